/**
 * Client tokens: the idempotency of every operation whose input has a `ClientToken` member,
 * in one place for all of them.
 *
 * AWS's rules: a client token is a case-sensitive string of up to 64 ASCII characters. A
 * request that repeats a token of a request that completed successfully, with the same
 * parameters, succeeds without doing anything again and answers what the first one answered;
 * with different parameters (the token aside) it fails with IdempotentParameterMismatch.
 * Tokens belong to an account and a region: the same token in another region is another
 * request.
 *
 * Each successful request with a token leaves a record (kind `_client-token`, in the request's
 * account/region scope, id `<Operation>:<token>`) holding a hash of its canonical input and its
 * output. It is written in the operation's own transaction, so it exists exactly when the
 * operation's changes do, and it is persisted with them. Records are dropped
 * `CLIENT_TOKEN_RETENTION_MS` after the request.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../protocol/errors.js';
import type { ServiceModel } from '../protocol/model.js';
import type { ScopedState } from '../state/store.js';

export const CLIENT_TOKEN_KIND = '_client-token';
/** How long a token is remembered: AWS keeps them at least 24 hours. */
export const CLIENT_TOKEN_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Expired tokens of a scope are looked for at most this often. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const MAX_TOKEN_LENGTH = 64;

export interface ClientTokenRecord {
  operation: string;
  token: string;
  /** sha256 of the canonical input without ClientToken and DryRun. */
  inputHash: string;
  /** The operation's output, as first answered. */
  output: Record<string, unknown>;
  /** When the first request completed (ISO). */
  at: string;
}

/** Per model: operations whose input has a ClientToken member. */
const tokenOps = new WeakMap<ServiceModel, Map<string, boolean>>();

export function takesClientToken(model: ServiceModel, operation: string): boolean {
  let ops = tokenOps.get(model);
  if (!ops) {
    ops = new Map();
    tokenOps.set(model, ops);
  }
  let has = ops.get(operation);
  if (has === undefined) {
    const ref = Object.hasOwn(model.operations, operation) ? model.operations[operation]!.input : undefined;
    const shape = ref ? model.shapes[ref.shape] : undefined;
    has = !!shape?.members && Object.hasOwn(shape.members, 'ClientToken');
    ops.set(operation, has);
  }
  return has;
}

/** A JSON text of `value` that does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function inputHash(input: Record<string, unknown>): string {
  const { ClientToken: _token, DryRun: _dryRun, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function checkToken(token: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !/^[\x00-\x7f]*$/.test(token)) {
    const shown = String(token).slice(0, 100);
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${shown}) for parameter clientToken is invalid. A client token is a case-sensitive string of up to ${MAX_TOKEN_LENGTH} ASCII characters.`,
    );
  }
  return token;
}

export function mismatch(): ApiError {
  return new ApiError(
    'IdempotentParameterMismatch',
    'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
  );
}

const lastSweep = new Map<string, number>();

/** Removes the scope's expired tokens (records are listed oldest first), at most once an interval. */
function sweep(state: ScopedState, now: Date): void {
  const t = now.getTime();
  const last = lastSweep.get(state.scope);
  if (last !== undefined && t - last < SWEEP_INTERVAL_MS) return;
  lastSweep.set(state.scope, t);
  for (const r of state.list<ClientTokenRecord>(CLIENT_TOKEN_KIND)) {
    if (!expired(r, t)) continue;
    state.delete(CLIENT_TOKEN_KIND, recordId(r.operation, r.token));
  }
}

function expired(r: Readonly<ClientTokenRecord>, nowMs: number): boolean {
  return nowMs - Date.parse(r.at) >= CLIENT_TOKEN_RETENTION_MS;
}

function recordId(operation: string, token: string): string {
  return `${operation}:${token}`;
}

/**
 * Runs `run` (the operation) under the request's client token, if the operation takes one and
 * the request gives one: a repeated request answers the first one's output without running
 * again; a request reusing a token with other parameters fails. Requests without a token, and
 * dry runs, just run.
 */
export function withClientToken(
  model: ServiceModel,
  operation: string,
  input: Record<string, unknown>,
  state: ScopedState,
  now: Date,
  run: () => Record<string, unknown>,
): Record<string, unknown> {
  if (!takesClientToken(model, operation) || input.DryRun === true) return run();
  const given = input.ClientToken;
  if (given === undefined || given === '') return run();
  const token = checkToken(given);
  const id = recordId(operation, token);
  const hash = inputHash(input);
  const prior = state.get<ClientTokenRecord>(CLIENT_TOKEN_KIND, id);
  if (prior && !expired(prior, now.getTime())) {
    if (prior.inputHash !== hash) throw mismatch();
    return structuredClone(prior.output) as Record<string, unknown>;
  }
  const output = run();
  // Kept as JSON would keep it, so that a replay (also after a restart) answers the same.
  const stored = JSON.parse(JSON.stringify(output)) as Record<string, unknown>;
  sweep(state, now);
  state.put<ClientTokenRecord>(CLIENT_TOKEN_KIND, id, { operation, token, inputHash: hash, output: stored, at: now.toISOString() });
  return output;
}
