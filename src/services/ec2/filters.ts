/**
 * EC2 Describe* filters: `Filter.N.Name` / `Filter.N.Value.M`. Values of one filter are
 * OR-ed, filters are AND-ed, `*` and `?` are wildcards (backslash escapes them), and every
 * resource understands `tag:<key>`, `tag-key` and `tag-value`.
 */
import { ApiError } from '../../protocol/errors.js';

export interface Filter {
  Name?: string;
  Values?: string[];
}

export interface Tag {
  Key?: string;
  Value?: string;
}

/** What a filter name reads from a record: one value, several, or nothing. */
export type FilterValue = string | number | boolean | undefined | null | Array<string | number | boolean | undefined | null>;
export type FilterDefs<T> = Record<string, (record: T) => FilterValue>;

/**
 * A compiled wildcard pattern: one entry per UTF-16 code unit to match literally, ANY for
 * `?`, STAR for a run of `*`. Matched by a loop, never a regular expression, so that no
 * pattern (a megabyte of stars, `*a*a*a…*b`) can overflow the stack or backtrack for ages.
 */
const ANY = -1;
const STAR = -2;

interface Glob {
  tokens: Int32Array;
  /** Code units a value needs at least (every token but the stars). */
  minLength: number;
}

const cache = new Map<string, Glob>();

function compileGlob(pattern: string): Glob {
  let glob = cache.get(pattern);
  if (glob) return glob;
  const tokens: number[] = [];
  let minLength = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0x5c /* backslash */ && i + 1 < pattern.length) {
      tokens.push(pattern.charCodeAt(++i));
      minLength++;
    } else if (c === 0x2a /* * */) {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
    } else {
      tokens.push(c === 0x3f /* ? */ ? ANY : c);
      minLength++;
    }
  }
  glob = { tokens: Int32Array.from(tokens), minLength };
  if (cache.size > 10_000) cache.clear();
  cache.set(pattern, glob);
  return glob;
}

/** Greedy matching with one remembered star: time bounded by the value's length squared. */
function globMatches(glob: Glob, value: string): boolean {
  if (value.length < glob.minLength) return false;
  const t = glob.tokens;
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < value.length) {
    if (p < t.length && t[p] !== STAR && (t[p] === ANY || t[p] === value.charCodeAt(i))) {
      p++;
      i++;
    } else if (p < t.length && t[p] === STAR) {
      starP = p++;
      starI = i;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (p < t.length && t[p] === STAR) p++;
  return p === t.length;
}

export function matchesPattern(pattern: string, value: string): boolean {
  if (!/[*?\\]/.test(pattern)) return pattern === value;
  return globMatches(compileGlob(pattern), value);
}

function asStrings(v: FilterValue): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== undefined && x !== null).map(String);
  return [String(v)];
}

type Matcher<T> = (record: T) => boolean;

/** AWS refuses a call whose filters carry more values than this, all filters together. */
export const MAX_FILTER_VALUES = 200;

export interface FilterOptions {
  /** False for resources that carry no tags (regions, zones): `tag:`, `tag-key`, `tag-value` are then invalid. */
  tags?: boolean;
}

function invalidFilter(name: string): ApiError {
  return new ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
}

function compile<T extends { Tags?: Tag[] }>(filter: Filter, defs: FilterDefs<T>, opts: FilterOptions): Matcher<T> {
  const name = filter.Name;
  if (!name) throw new ApiError('InvalidParameterValue', 'The filter name must not be empty');
  const values = filter.Values ?? [];
  if (values.length === 0) {
    throw new ApiError('InvalidParameterValue', `The filter '${name}' requires at least one value`);
  }
  // Plain values compare by equality (a Set); only wildcard patterns need a regular expression.
  const exact = new Set<string>();
  const patterns: Glob[] = [];
  for (const v of values) {
    if (/[*?\\]/.test(v)) patterns.push(compileGlob(v));
    else exact.add(v);
  }
  const matchOne = (c: string) => exact.has(c) || (patterns.length > 0 && patterns.some((g) => globMatches(g, c)));
  const anyMatch = (candidates: string[]) => candidates.some(matchOne);
  const isTagFilter = name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value';
  if (isTagFilter && opts.tags === false) throw invalidFilter(name);
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (r) => anyMatch((r.Tags ?? []).filter((t) => t.Key === key).map((t) => t.Value ?? ''));
  }
  if (name === 'tag-key') return (r) => anyMatch((r.Tags ?? []).map((t) => t.Key ?? ''));
  if (name === 'tag-value') return (r) => anyMatch((r.Tags ?? []).map((t) => t.Value ?? ''));
  const read = Object.hasOwn(defs, name) ? defs[name] : undefined;
  if (!read) throw invalidFilter(name);
  return (r) => {
    const v = read(r);
    if (v === undefined || v === null) return false;
    if (typeof v === 'string') return matchOne(v);
    if (!Array.isArray(v)) return matchOne(String(v));
    return anyMatch(asStrings(v));
  };
}

export function applyFilters<T extends { Tags?: Tag[] }>(
  records: readonly T[],
  filters: Filter[] | undefined,
  defs: FilterDefs<T>,
  opts: FilterOptions = {},
): T[] {
  if (!filters || filters.length === 0) return records as T[];
  const valueCount = filters.reduce((n, f) => n + (f.Values?.length ?? 0), 0);
  if (valueCount > MAX_FILTER_VALUES) {
    throw new ApiError(
      'FilterLimitExceeded',
      `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`,
    );
  }
  const matchers = filters.map((f) => compile(f, defs, opts));
  if (matchers.length === 1) return records.filter(matchers[0]!);
  return records.filter((r) => matchers.every((m) => m(r)));
}

/** Shorthand for filters that read nested lists: every value of `field` in `items`. */
export function pluck<I>(items: readonly I[] | undefined, read: (i: I) => FilterValue): string[] {
  return (items ?? []).flatMap((i) => asStrings(read(i)));
}
