/**
 * Site-to-Site VPN: what customer gateways, virtual private gateways and VPN connections
 * share. A deleted one keeps its record in the `deleted` state for a while (AWS shows it in
 * Describe* calls, then it disappears); every other operation treats it as gone.
 */
import { randomInt } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import type { RequestContext } from '../context.js';
import { checkIdShape, kindOf, notFound, requireRecord } from './resources.js';

/** How long a deleted gateway or connection stays describable. */
export const DELETED_VISIBLE_MS = 60 * 60 * 1000;

export interface Deletable {
  State?: string;
  /** When the record reached the `deleted` state (ISO). */
  _deletedAt?: string;
}

/** What a record adds to its AWS shape to be Deletable. */
export interface DeletedAt {
  _deletedAt?: string;
}

function expired(r: Deletable, now: Date): boolean {
  return r.State === 'deleted' && !!r._deletedAt && now.getTime() - Date.parse(r._deletedAt) >= DELETED_VISIBLE_MS;
}

export function isLive(r: Deletable): boolean {
  return r.State !== 'deleted';
}

/** Records of a kind Describe* shows: live ones, and deleted ones still within their visible time. */
export function visibleRecords<T extends Deletable>(ctx: RequestContext, kindName: string): Readonly<T>[] {
  return ctx.state.list<T>(kindName).filter((r) => !expired(r, ctx.now));
}

/** Drops deleted records whose visible time is over (called by the Create* calls). */
export function purgeExpired(ctx: RequestContext, kindName: string): void {
  const kind = kindOf(kindName);
  for (const r of ctx.state.list<Deletable & Record<string, unknown>>(kindName)) {
    if (expired(r, ctx.now)) ctx.state.delete(kindName, r[kind.idField] as string);
  }
}

/** A live record by ID: a deleted one is as unknown to AWS's mutating calls as a missing one. */
export function requireLive<T extends Deletable>(ctx: RequestContext, kindName: string, id: string | undefined, param?: string): Readonly<T> {
  const rec = requireRecord<T>(ctx.state, kindName, id, param);
  if (!isLive(rec)) throw notFound(kindOf(kindName), [id!]);
  return rec;
}

/** Describe* selection by ID: every ID must name a visible record. */
export function selectVisible<T extends Deletable>(ctx: RequestContext, kindName: string, ids: string[] | undefined): Readonly<T>[] {
  const all = visibleRecords<T>(ctx, kindName);
  if (!ids || ids.length === 0) return all;
  const kind = kindOf(kindName);
  const unique = [...new Set(ids)];
  for (const id of unique) checkIdShape(kind, id);
  const byId = new Map(all.map((r) => [(r as Record<string, unknown>)[kind.idField] as string, r]));
  const missing = unique.filter((id) => !byId.has(id));
  if (missing.length) throw notFound(kind, missing);
  return unique.map((id) => byId.get(id)!);
}

/** Marks a record deleted now (a private copy is edited; the caller has checked it is live). */
export function markDeleted<T extends Deletable>(ctx: RequestContext, kindName: string, id: string): T {
  const rec = ctx.state.edit<T>(kindName, id)!;
  (rec as Deletable).State = 'deleted';
  rec._deletedAt = ctx.now.toISOString();
  return rec;
}

/** Strips the internal `_` fields of a record. */
export function publicView<T extends object>(r: Readonly<T>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!k.startsWith('_')) out[k] = v;
  return out as T;
}

export function invalidValue(param: string, value: unknown, why = ''): ApiError {
  return new ApiError('InvalidParameterValue', `Value (${String(value)}) for parameter ${param} is invalid.${why ? ` ${why}` : ''}`);
}

const PSK_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

/** A pre-shared key as AWS generates them: 32 characters of [A-Za-z0-9._], never starting with 0. */
export function generatePreSharedKey(): string {
  let key = '';
  while (key.length < 32) {
    const c = PSK_CHARS[randomInt(PSK_CHARS.length)]!;
    if (key.length === 0 && c === '0') continue;
    key += c;
  }
  return key;
}

/** AWS's pre-shared key rule: 8 to 64 of [A-Za-z0-9._], not starting with zero. */
export function isValidPreSharedKey(key: string): boolean {
  return /^[A-Za-z0-9._]{8,64}$/.test(key) && !key.startsWith('0');
}
