/**
 * MaxResults / NextToken for Describe* calls. Without MaxResults everything is returned,
 * as AWS does for these calls; with it, pages of that size and an opaque token that the
 * AWS CLI's paginator follows to the end.
 */
import { ApiError } from '../../protocol/errors.js';

export interface PageInput {
  MaxResults?: number;
  NextToken?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

const TOKEN_PREFIX = 'vpcsim:';

function decodeToken(token: string): number {
  let text = '';
  try {
    text = Buffer.from(token, 'base64url').toString('utf8');
  } catch {
    // fall through to the error below
  }
  const m = text.startsWith(TOKEN_PREFIX) ? /^\d{1,9}$/.exec(text.slice(TOKEN_PREFIX.length)) : null;
  if (!m) throw new ApiError('InvalidPaginationToken', `The pagination token '${token}' is invalid.`);
  return Number(m[0]);
}

export function encodeToken(offset: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${offset}`).toString('base64url');
}

export function paginate<T>(items: readonly T[], input: PageInput, limits: { min?: number; max?: number } = {}): Page<T> {
  const min = limits.min ?? 5;
  const max = limits.max ?? 1000;
  const start = input.NextToken ? decodeToken(input.NextToken) : 0;
  if (input.MaxResults === undefined) {
    return { items: start ? items.slice(start) : (items as T[]) };
  }
  // AWS's own wording (it says "greater than" for the inclusive minimum).
  if (input.MaxResults < min) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value greater than ${min}.`,
    );
  }
  if (input.MaxResults > max) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value less than ${max}.`,
    );
  }
  const end = start + input.MaxResults;
  const page = items.slice(start, end);
  return { items: page, nextToken: end < items.length ? encodeToken(end) : undefined };
}
