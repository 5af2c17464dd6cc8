/**
 * The one error type every layer throws. The protocol layer renders it in the
 * wire format of the service that was called (EC2 envelope, query envelope, JSON).
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Constructors for the error codes that many operations share. */
export const errors = {
  missingParameter: (name: string) =>
    new ApiError('MissingParameter', `The request must contain the parameter ${name}`),
  invalidParameterValue: (message: string) => new ApiError('InvalidParameterValue', message),
  badValue: (param: string, value: unknown) =>
    new ApiError('InvalidParameterValue', `Value (${String(value)}) for parameter ${param} is invalid.`),
  invalidParameter: (message: string) => new ApiError('InvalidParameter', message),
  invalidParameterCombination: (message: string) => new ApiError('InvalidParameterCombination', message),
  unknownParameter: (name: string) =>
    new ApiError('UnknownParameter', `The parameter ${name} is not recognized`),
  dependencyViolation: (message: string) => new ApiError('DependencyViolation', message),
  dryRun: () => new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
  notFound: (code: string, message: string) => new ApiError(code, message),
  limitExceeded: (code: string, message: string) => new ApiError(code, message),
  operationNotPermitted: (message: string) => new ApiError('OperationNotPermitted', message),
};

/**
 * "Invalid<Thing>ID.NotFound" / ".Malformed" helpers keyed by the resource's ID prefix,
 * with AWS's own message wording.
 */
export interface IdKind {
  /** ID prefix without the dash, e.g. "vpc". */
  prefix: string;
  /** Error code stem, e.g. "InvalidVpcID" (→ InvalidVpcID.NotFound / .Malformed). */
  code: string;
  /** Human noun used in messages, e.g. "vpc ID" */
  noun: string;
}

export function idNotFound(kind: IdKind, ids: string | string[]): ApiError {
  const list = Array.isArray(ids) ? ids : [ids];
  const quoted = list.map((i) => `'${i}'`).join(', ');
  return new ApiError(`${kind.code}.NotFound`, `The ${kind.noun} ${quoted} does not exist`);
}

export function idMalformed(kind: IdKind, id: string): ApiError {
  return new ApiError(`${kind.code}.Malformed`, `Invalid id: "${id}" (expecting "${kind.prefix}-...")`);
}
