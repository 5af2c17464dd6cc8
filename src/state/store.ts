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
  close(): void;
}

export class MemoryPersistence implements Persistence {
  load(): StoredRecord[] {
    return [];
  }
  commit(): void {}
  clear(): void {}
  close(): void {}
}

type KindMap = Map<string, Map<string, unknown>>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export function scopeKey(account: string, region: string): string {
  return `${account}/${region}`;
}

export class Store {
  private readonly scopes = new Map<string, KindMap>();

  constructor(readonly persistence: Persistence) {
    for (const r of persistence.load()) this.table(r.scope, r.kind, true)!.set(r.id, deepFreeze(r.value));
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
    return new Transaction(this);
  }

  /** Called by Transaction.commit: persist first, then publish in memory. */
  apply(changes: Change[]): void {
    if (changes.length === 0) return;
    this.persistence.commit(changes);
    for (const c of changes) {
      if (c.value === null) this.table(c.scope, c.kind)?.delete(c.id);
      else this.table(c.scope, c.kind, true)!.set(c.id, deepFreeze(c.value));
    }
  }

  reset(): void {
    this.persistence.clear();
    this.scopes.clear();
  }
}

const DELETED = Symbol('deleted');

export class Transaction {
  /** scope → kind → id → new value (or DELETED) */
  private readonly writes = new Map<string, Map<string, Map<string, unknown>>>();
  private done = false;

  constructor(private readonly store: Store) {}

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
