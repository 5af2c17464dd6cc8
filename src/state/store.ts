/**
 * State: every resource is a record (a plain JSON object) filed under
 * (scope = "account/region", kind, id). The whole state lives in memory for speed; a
 * Persistence backend (SQLite by default) receives every committed transaction atomically
 * and gives the state back on start.
 *
 * Handlers run synchronously inside one Transaction: reads see the transaction's own
 * writes, nothing is visible to others until commit, and a thrown error discards it all.
 * Committed records are frozen, so a handler cannot change state behind the
 * transaction's back.
 */
import { keepShape } from '../keep-shape.js';

export interface Change {
  scope: string;
  kind: string;
  id: string;
  /** The new record, or null when it was deleted. */
  value: unknown | null;
}

export interface StoredRecord {
  scope: string;
  kind: string;
  id: string;
  value: unknown;
}

/** Where committed transactions go. Implementations: SQLite, in-memory. */
export interface Persistence {
  /** Every record, in insertion order. */
  load(): Iterable<StoredRecord>;
  /** Applies all changes atomically (all or none), durably before returning. */
  commit(changes: Change[]): void;
  /** Removes everything. */
  clear(): void;
  close(): void | Promise<void>;
  /** Told which Store it serves (called by the Store's constructor). */
  attach?(store: Store): void;
}

/**
 * A store shared by several vpcsim servers (PostgreSQL): before reading, a server catches up
 * with the others' commits; writing sections are serialised across all servers.
 */
export interface SharedStore {
  /** Applies every change committed (by any server) before this call to the in-memory state. */
  catchUp(): Promise<void>;
  /**
   * Runs `fn` on the latest state with writes serialised across servers. The transactions
   * `fn` commits are captured (see Store.capture), persisted in one database transaction,
   * and published in memory only once that committed; they are persisted even when `fn`
   * throws afterwards. Resolves to what `fn` returned, or rejects with what it threw.
   */
  exclusive<T>(fn: () => T): Promise<T>;
  /** Clears the state for every server. */
  resetAll(): Promise<void>;
}

/** A Persistence that is a SharedStore (see sharedStore()). */
export type SharedPersistence = Persistence & SharedStore;

export function sharedStore(p: Persistence): SharedPersistence | undefined {
  return typeof (p as Partial<SharedStore>).exclusive === 'function' ? (p as SharedPersistence) : undefined;
}

/** The database behind a shared store cannot be reached: the request may be retried. */
export class StoreUnavailableError extends Error {}

export class MemoryPersistence implements Persistence {
  load(): StoredRecord[] {
    return [];
  }
  commit(): void {}
  clear(): void {}
  close(): void {}
}

type KindMap = Map<string, Map<string, unknown>>;

/** A transaction's writes: scope → kind → id → new value (or DELETED). */
type WriteSet = Map<string, Map<string, Map<string, unknown>>>;

function cloneWrites(w: WriteSet): WriteSet {
  const out: WriteSet = new Map();
  for (const [scope, kinds] of w) {
    const k2 = new Map<string, Map<string, unknown>>();
    for (const [kind, ids] of kinds) k2.set(kind, new Map(ids));
    out.set(scope, k2);
  }
  return out;
}

/**
 * Secondary indexes: kind → fields whose values are indexed (e.g. security group rules by
 * GroupId), so that "the records of kind K with field F = v" does not scan every record.
 * Declared by the modules that own the kind, before the store is created.
 */
const INDEXED = new Map<string, string[]>();

export function defineIndex(kind: string, field: string): void {
  const fields = INDEXED.get(kind) ?? [];
  if (!fields.includes(field)) fields.push(field);
  INDEXED.set(kind, fields);
}

/** A record's value at `field`, which may be a dotted path ("ReferencedGroupInfo.GroupId"). */
function fieldValue(record: unknown, field: string): unknown {
  if (record === undefined || record === null) return undefined;
  if (!field.includes('.')) return (record as Record<string, unknown>)[field];
  let v: unknown = record;
  for (const part of field.split('.')) {
    if (v === undefined || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** scope/kind/field → value → ids */
type IndexMap = Map<string, Map<string, Set<string>>>;

function indexKey(scope: string, kind: string, field: string): string {
  return `${scope}\u0000${kind}\u0000${field}`;
}

/** Arrays their makers declared to hold numbers only (see numbersOnly). */
const NUMBER_COLUMNS = new WeakSet<readonly number[]>();

/**
 * Declares an array to hold numbers only, and to keep holding only numbers: the store leaves it
 * as it leaves any array of numbers (unfrozen, see deepFreeze) without reading it through. For
 * large columns (event times): reading every element of arrays of all kinds in one place costs
 * more than the element.
 */
export function numbersOnly<T extends readonly number[]>(column: T): T {
  NUMBER_COLUMNS.add(column);
  return column;
}

/**
 * Freezes a record and everything in it, but for arrays of numbers only (columns of event
 * times, say): V8 keeps numbers that are not small integers unboxed in an array, and freezing
 * it would box every one of them (a heap object each, made in the commit).
 */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    if (Array.isArray(value)) {
      if (NUMBER_COLUMNS.has(value)) return value;
      let numbers = true;
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'number') continue;
        numbers = false;
        if (v !== null && typeof v === 'object') deepFreeze(v);
      }
      if (!numbers || value.length === 0) Object.freeze(value);
    } else {
      Object.freeze(value);
      for (const v of Object.values(value as object)) deepFreeze(v);
    }
  }
  return value;
}

export function scopeKey(account: string, region: string): string {
  return `${account}/${region}`;
}

export class Store {
  private readonly scopes = new Map<string, KindMap>();
  private readonly indexes: IndexMap = new Map();
  /** Grows whenever the whole state is dropped or replaced (reset, reload): caches keyed on it go stale. */
  generation = 0;
  /** Grows with every change published in memory (commit, applyExternal, replaceAll, reset). */
  changes = 0;
  /** Per kind: grows with every published change to a record of that kind (see kindVersion). */
  private readonly kindVersions = new Map<string, number>();
  /** While capturing (see capture): the writes of the transactions committed so far. */
  private staged: WriteSet | null = null;

  constructor(readonly persistence: Persistence) {
    persistence.attach?.(this);
    this.loadAll(persistence.load());
  }

  private loadAll(records: Iterable<StoredRecord>): void {
    for (const r of records) {
      this.table(r.scope, r.kind, true)!.set(r.id, deepFreeze(r.value));
      this.index(r.scope, r.kind, r.id, undefined, r.value);
    }
  }

  private index(scope: string, kind: string, id: string, before: unknown, after: unknown): void {
    const fields = INDEXED.get(kind);
    if (!fields) return;
    for (const field of fields) {
      const key = indexKey(scope, kind, field);
      let byValue = this.indexes.get(key);
      if (!byValue) {
        byValue = new Map();
        this.indexes.set(key, byValue);
      }
      const old = fieldValue(before, field);
      const now = fieldValue(after, field);
      if (old === now && before !== undefined && after !== undefined) continue;
      if (old !== undefined) {
        const ids = byValue.get(String(old));
        ids?.delete(id);
        if (ids?.size === 0) byValue.delete(String(old));
      }
      if (now !== undefined) {
        let ids = byValue.get(String(now));
        if (!ids) {
          ids = new Set();
          byValue.set(String(now), ids);
        }
        ids.add(id);
      }
    }
  }

  /** Committed ids of `kind` whose indexed `field` equals `value`; undefined when not indexed. */
  indexed(scope: string, kind: string, field: string, value: string): ReadonlySet<string> | undefined {
    if (!INDEXED.get(kind)?.includes(field)) return undefined;
    return this.indexes.get(indexKey(scope, kind, field))?.get(value) ?? new Set();
  }

  table(scope: string, kind: string, create = false): Map<string, unknown> | undefined {
    let kinds = this.scopes.get(scope);
    if (!kinds) {
      if (!create) return undefined;
      kinds = new Map();
      this.scopes.set(scope, kinds);
    }
    let t = kinds.get(kind);
    if (!t && create) {
      t = new Map();
      kinds.set(kind, t);
    }
    return t;
  }

  /** Every scope ("account/region") that holds records. */
  scopeNames(): string[] {
    return [...this.scopes.keys()];
  }

  begin(): Transaction {
    return new Transaction(this, this.staged ? cloneWrites(this.staged) : undefined);
  }

  /** Runs `fn` in a transaction of its own and commits what it wrote; if it throws, nothing is. */
  transact<T>(fn: (tx: Transaction) => T): T {
    const tx = this.begin();
    try {
      const out = fn(tx);
      tx.commit();
      return out;
    } catch (err) {
      tx.rollback();
      throw err;
    }
  }

  /** Called by Transaction.commit: persist first, then publish in memory. */
  apply(changes: Change[]): void {
    if (changes.length === 0) return;
    this.persistence.commit(changes);
    this.publish(changes);
  }

  /**
   * Publishes changes that are already durable (another server's, read back from a shared
   * database, or this server's own once its database transaction committed): memory and
   * indexes only, nothing is persisted again.
   */
  applyExternal(changes: Change[]): void {
    this.publish(changes);
  }

  /**
   * A number that changes whenever a record of `kind` changes in memory (in any scope), or the
   * whole state is replaced: with `generation`, a key for caches derived from some kinds.
   */
  kindVersion(kind: string): number {
    return this.kindVersions.get(kind) ?? 0;
  }

  private publish(changes: Change[]): void {
    if (changes.length > 0) this.changes++;
    for (const c of changes) {
      this.kindVersions.set(c.kind, (this.kindVersions.get(c.kind) ?? 0) + 1);
      const before = this.table(c.scope, c.kind)?.get(c.id);
      if (c.value === null) this.table(c.scope, c.kind)?.delete(c.id);
      else this.table(c.scope, c.kind, true)!.set(c.id, deepFreeze(c.value));
      this.index(c.scope, c.kind, c.id, before, c.value ?? undefined);
    }
  }

  /**
   * Runs `fn` with commits held back: the transactions `fn` commits are neither persisted
   * nor published, but each later transaction begun inside `fn` sees the earlier ones'
   * writes. Returns their combined changes (one per record, its final value) and what `fn`
   * returned or threw. The caller persists the changes, then publishes them (applyExternal).
   * Used where the database write is asynchronous (a shared PostgreSQL store): nothing is
   * visible in memory before it is durable.
   */
  capture<T>(fn: () => T): { changes: Change[]; result?: T; error?: unknown; failed: boolean } {
    if (this.staged) throw new Error('capture() does not nest');
    this.staged = new Map();
    let result: T | undefined;
    let error: unknown;
    let failed = false;
    try {
      result = fn();
    } catch (err) {
      error = err;
      failed = true;
    }
    const staged = this.staged;
    this.staged = null;
    const changes: Change[] = [];
    for (const [scope, kinds] of staged) {
      for (const [kind, ids] of kinds) {
        for (const [id, v] of ids) changes.push({ scope, kind, id, value: v === DELETED ? null : v });
      }
    }
    return failed ? { changes, error, failed } : { changes, result, failed };
  }

  /** Called by Transaction.commit while capturing: the transaction's writes (which include
   *  those staged before it began) become the staged set. */
  stage(writes: WriteSet): boolean {
    if (!this.staged) return false;
    for (const kinds of writes.values()) {
      for (const ids of kinds.values()) for (const v of ids.values()) if (v !== DELETED) deepFreeze(v);
    }
    this.staged = writes;
    return true;
  }

  /** Replaces the whole in-memory state (a reload from a shared database); nothing is persisted. */
  replaceAll(records: Iterable<StoredRecord>): void {
    this.scopes.clear();
    this.indexes.clear();
    this.generation++;
    this.changes++;
    this.loadAll(records);
  }

  reset(): void {
    this.persistence.clear();
    this.scopes.clear();
    this.indexes.clear();
    this.generation++;
    this.changes++;
  }
}

const DELETED = Symbol('deleted');

export class Transaction {
  /** scope → kind → id → new value (or DELETED) */
  private readonly writes: WriteSet;
  private done = false;

  constructor(
    private readonly store: Store,
    staged?: WriteSet,
  ) {
    this.writes = staged ?? new Map();
  }

  private pending(scope: string, kind: string, create: boolean): Map<string, unknown> | undefined {
    let kinds = this.writes.get(scope);
    if (!kinds) {
      if (!create) return undefined;
      kinds = new Map();
      this.writes.set(scope, kinds);
    }
    let t = kinds.get(kind);
    if (!t && create) {
      t = new Map();
      kinds.set(kind, t);
    }
    return t;
  }

  get<T>(scope: string, kind: string, id: string): Readonly<T> | undefined {
    const p = this.pending(scope, kind, false);
    if (p?.has(id)) {
      const v = p.get(id);
      return v === DELETED ? undefined : (v as T);
    }
    return this.store.table(scope, kind)?.get(id) as T | undefined;
  }

  /** All records of a kind in a scope, in creation order, with this transaction's writes applied. */
  list<T>(scope: string, kind: string): Readonly<T>[] {
    const committed = this.store.table(scope, kind);
    const p = this.pending(scope, kind, false);
    if (!p) return committed ? (Array.from(committed.values()) as T[]) : [];
    const out: T[] = [];
    if (committed) {
      for (const [id, v] of committed) {
        if (p?.has(id)) {
          const w = p.get(id);
          if (w !== DELETED) out.push(w as T);
        } else out.push(v as T);
      }
    }
    if (p) {
      for (const [id, w] of p) if (w !== DELETED && !committed?.has(id)) out.push(w as T);
    }
    return out;
  }

  /**
   * The records of a kind whose `field` equals `value` (with this transaction's writes
   * applied). Uses the secondary index when the kind declares one, else scans.
   */
  listBy<T>(scope: string, kind: string, field: string, value: string): Readonly<T>[] {
    const ids = this.store.indexed(scope, kind, field, value);
    if (!ids) return this.list<T>(scope, kind).filter((r) => String(fieldValue(r, field)) === value);
    const p = this.pending(scope, kind, false);
    const matches = (w: unknown) => w !== DELETED && String(fieldValue(w, field)) === value;
    const out: T[] = [];
    const committed = this.store.table(scope, kind);
    for (const id of ids) {
      if (p?.has(id)) {
        const w = p.get(id);
        if (matches(w)) out.push(w as T);
      } else out.push(committed!.get(id) as T);
    }
    if (p) {
      for (const [id, w] of p) {
        if (!ids.has(id) && matches(w)) out.push(w as T);
      }
    }
    return out;
  }

  put<T>(scope: string, kind: string, id: string, value: T): T {
    this.pending(scope, kind, true)!.set(id, value);
    return value;
  }

  delete(scope: string, kind: string, id: string): void {
    this.pending(scope, kind, true)!.set(id, DELETED);
  }

  /** A private, mutable copy of a record, written back on commit. */
  edit<T>(scope: string, kind: string, id: string): T | undefined {
    const p = this.pending(scope, kind, false);
    const w = p?.get(id);
    if (w !== undefined && w !== DELETED && !Object.isFrozen(w)) return w as T;
    const current = this.get<T>(scope, kind, id);
    if (current === undefined) return undefined;
    return this.put(scope, kind, id, structuredClone(current) as T);
  }

  get dirty(): boolean {
    return this.writes.size > 0;
  }

  commit(): void {
    if (this.done) throw new Error('transaction already finished');
    this.done = true;
    if (this.store.stage(this.writes)) return;
    const changes: Change[] = [];
    for (const [scope, kinds] of this.writes) {
      for (const [kind, ids] of kinds) {
        for (const [id, v] of ids) changes.push({ scope, kind, id, value: v === DELETED ? null : v });
      }
    }
    this.store.apply(changes);
  }

  rollback(): void {
    this.done = true;
    this.writes.clear();
  }
}

/** A transaction seen through one scope (account + region): what handlers use. */
export class ScopedState {
  constructor(
    readonly tx: Transaction,
    readonly scope: string,
  ) {}
  get<T>(kind: string, id: string): Readonly<T> | undefined {
    return this.tx.get<T>(this.scope, kind, id);
  }
  list<T>(kind: string): Readonly<T>[] {
    return this.tx.list<T>(this.scope, kind);
  }
  /** Records of `kind` with `field` = `value` (indexed when the kind declares it: see defineIndex). */
  listBy<T>(kind: string, field: string, value: string): Readonly<T>[] {
    return this.tx.listBy<T>(this.scope, kind, field, value);
  }
  put<T>(kind: string, id: string, value: T): T {
    return this.tx.put(this.scope, kind, id, value);
  }
  delete(kind: string, id: string): void {
    this.tx.delete(this.scope, kind, id);
  }
  edit<T>(kind: string, id: string): T | undefined {
    return this.tx.edit<T>(this.scope, kind, id);
  }
  /** The same transaction, seen through another account/region (peering, sharing). */
  other(account: string, region: string): ScopedState {
    return new ScopedState(this.tx, scopeKey(account, region));
  }
}

// A transaction and its scoped view kept for their shapes (see keepShape): requests and batches make and drop them all the time.
{
  const tx = keepShape(new Transaction(undefined as unknown as Store));
  keepShape(new ScopedState(tx, ''));
}
