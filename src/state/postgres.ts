/**
 * The shared store: PostgreSQL, for several vpcsim servers on one database.
 *
 * Each server keeps the whole state in memory, as with SQLite; the database holds the
 * records and a change log. Writes are serialised across servers by a row lock on the
 * single `log_state` row, taken at the start of the writing database transaction:
 *
 *   BEGIN; SELECT … FROM log_state FOR UPDATE        (the lock; the log's current end)
 *   catch up: apply the changes other servers logged since this server's `lastSeq`
 *   run the request's handler, synchronously, on that caught-up state (commits captured)
 *   write the records and append the changes, advance log_state; COMMIT
 *   publish the changes in memory; answer
 *
 * Reads catch up (one cheap query) and then answer from memory. So every request sees every
 * change acknowledged before it arrived, on whichever server; writes see the latest state
 * under the lock, so AWS's invariants (no overlapping subnets, quotas) hold across servers
 * exactly as in one process. Nothing is published before its database transaction commits.
 *
 * The change log is compacted: only the last LOG_KEEP changes are kept, a server further
 * behind reloads the whole state from `records`. Reset empties both tables and moves the
 * log's horizon past everything, so every other server drops its memory on its next request.
 */
import pg from 'pg';
import { type Change, type Persistence, type SharedStore, type Store, StoreUnavailableError, type StoredRecord } from './store.js';

/** The schema this version of vpcsim writes. */
export const PG_SCHEMA_VERSION = 1;

/** Versioned migrations: MIGRATIONS[n] takes the schema from version n-1 to n. */
const MIGRATIONS: Record<number, string[]> = {
  1: [
    // Records keyed by (scope, kind, id); `seq` is the change that created the record (load order).
    // `json`, not `jsonb`: the text is kept exactly as written (key order, and strings may hold
    // U+0000, which jsonb refuses).
    `CREATE TABLE records (
       scope text NOT NULL,
       kind  text NOT NULL,
       id    text NOT NULL,
       seq   bigint NOT NULL,
       body  json NOT NULL,
       PRIMARY KEY (scope, kind, id))`,
    `CREATE INDEX records_by_seq ON records (seq)`,
    // The change log: one row per record written or (body NULL) deleted, in commit order.
    `CREATE TABLE changes (
       seq   bigint PRIMARY KEY,
       scope text NOT NULL,
       kind  text NOT NULL,
       id    text NOT NULL,
       body  json)`,
    // The single row every writer locks: the log's last seq, and its horizon (changes with
    // seq <= horizon are gone; a server behind it reloads from records).
    `CREATE TABLE log_state (
       singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
       last_seq  bigint NOT NULL,
       horizon   bigint NOT NULL)`,
    `INSERT INTO log_state (last_seq, horizon) VALUES (0, 0)`,
  ],
};

/** Changes kept in the log for servers to catch up from; further behind, a server reloads. */
const LOG_KEEP = 10_000;
/** Key of the advisory lock that makes concurrent migrations wait for each other. */
const MIGRATION_LOCK = 0x76706373696d; // "vpcsim"

const WRITE_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(seq, scope, kind, id, body)
  ), logged AS (
    INSERT INTO changes (seq, scope, kind, id, body) SELECT seq, scope, kind, id, body::json FROM input
  ), upserted AS (
    INSERT INTO records (scope, kind, id, seq, body)
      SELECT scope, kind, id, seq, body::json FROM input WHERE body IS NOT NULL
      ON CONFLICT (scope, kind, id) DO UPDATE SET body = excluded.body
  ), deleted AS (
    DELETE FROM records r USING input i
      WHERE i.body IS NULL AND r.scope = i.scope AND r.kind = i.kind AND r.id = i.id
  )
  UPDATE log_state SET last_seq = $6`;

/** Outside the lock: the log's state and, when this server can catch up from the log, the changes it misses. */
const CATCH_UP_SQL = `
  SELECT s.last_seq, s.horizon, c.seq, c.scope, c.kind, c.id, c.body::text AS body
  FROM log_state s LEFT JOIN changes c ON s.horizon <= $1 AND c.seq > $1
  ORDER BY c.seq`;

/** A writing section's database transaction. */
interface OpenTx {
  client: pg.PoolClient;
  /** Until COMMIT or ROLLBACK was sent. */
  open: boolean;
  end(sql: 'COMMIT' | 'ROLLBACK'): Promise<void>;
}

interface ChangeRow {
  seq: string;
  scope: string;
  kind: string;
  id: string;
  body: string | null;
}

interface RecordRow {
  scope: string;
  kind: string;
  id: string;
  body: string;
}

/** A URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

function unavailable(err: unknown): StoreUnavailableError {
  if (err instanceof StoreUnavailableError) return err;
  return new StoreUnavailableError(`PostgreSQL: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/**
 * Keys (scope, kind, id) as PostgreSQL text, which holds neither U+0000 (some ids use it as a
 * separator) nor unpaired surrogates: such a key is stored as \u0001 + its JSON text. Plain
 * keys are stored as they are.
 */
const NEEDS_ENCODING = /[\u0000\u0001]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function encodeKey(key: string): string {
  return NEEDS_ENCODING.test(key) ? `\u0001${JSON.stringify(key)}` : key;
}

export function decodeKey(text: string): string {
  return text.charCodeAt(0) === 1 ? (JSON.parse(text.slice(1)) as string) : text;
}

function toRecords(rows: RecordRow[]): StoredRecord[] {
  return rows.map((r) => ({ scope: decodeKey(r.scope), kind: decodeKey(r.kind), id: decodeKey(r.id), value: JSON.parse(r.body) }));
}

export class PostgresPersistence implements Persistence, SharedStore {
  private readonly pool: pg.Pool;
  /** The state as loaded on open, handed to the Store once. */
  private initial: StoredRecord[];
  /** The last change of the log this server's memory reflects. */
  private lastSeq: number;
  /** In-process queue of writing sections: one at a time holds (or waits for) the database lock. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Catch-up queries: the one running, and the one that starts after it for requests arriving meanwhile. */
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private store?: Store;
  private closed = false;

  private constructor(pool: pg.Pool, initial: StoredRecord[], lastSeq: number) {
    this.pool = pool;
    this.initial = initial;
    this.lastSeq = lastSeq;
  }

  /** Connects, migrates the schema (refusing a newer one) and loads the state. */
  static async open(url: string, opts: { poolSize?: number } = {}): Promise<PostgresPersistence> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 4,
      idleTimeoutMillis: 30_000,
      // A database that does not answer fails requests (503) instead of hanging them.
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      // A server that stops (SIGSTOP, a partition) while holding the write lock loses it after
      // this long, and the other servers go on; waiting for the lock longer than lock_timeout fails.
      idle_in_transaction_session_timeout: 30_000,
      lock_timeout: 60_000,
    });
    // An idle connection that breaks (the database restarted) must not take the process down;
    // the pool opens a new one for the next query.
    pool.on('error', (err) => console.error(`vpcsim: PostgreSQL connection lost: ${err.message}`));
    try {
      await migrate(pool);
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const { rows } = await client.query<{ last_seq: string }>('SELECT last_seq FROM log_state');
        const records = await client.query<RecordRow>('SELECT scope, kind, id, body::text AS body FROM records ORDER BY seq');
        await client.query('COMMIT');
        return new PostgresPersistence(pool, toRecords(records.rows), Number(rows[0]!.last_seq));
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(`PostgreSQL store ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
  }

  load(): Iterable<StoredRecord> {
    const records = this.initial;
    this.initial = [];
    return records;
  }

  attach(store: Store): void {
    this.store = store;
  }

  private attached(): Store {
    if (!this.store) throw new Error('the PostgreSQL store is not attached to a Store');
    return this.store;
  }

  /** Runs `task` after every writing section queued before it. */
  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Applies logged changes this server has not seen yet (rows in seq order). */
  private applyRows(store: Store, rows: { seq: number; change: Change }[]): void {
    const fresh: Change[] = [];
    let last = this.lastSeq;
    for (const r of rows) {
      if (r.seq <= last) continue;
      fresh.push(r.change);
      last = r.seq;
    }
    if (fresh.length > 0) store.applyExternal(fresh);
    this.lastSeq = last;
  }

  private applyChangeRows(store: Store, rows: ChangeRow[]): void {
    this.applyRows(
      store,
      rows.map((r) => ({
        seq: Number(r.seq),
        change: {
          scope: decodeKey(r.scope),
          kind: decodeKey(r.kind),
          id: decodeKey(r.id),
          value: r.body === null ? null : JSON.parse(r.body),
        },
      })),
    );
  }

  /** Replaces memory with a complete state read at log position `seq`, unless memory is already past it. */
  private reload(store: Store, records: StoredRecord[], seq: number): void {
    if (seq <= this.lastSeq) return;
    store.replaceAll(records);
    this.lastSeq = seq;
  }

  catchUp(): Promise<void> {
    const store = this.attached();
    if (!this.running) return this.startCatchUp(store);
    // A query already on its way may have been sent before the change this request must see:
    // wait for the next one, shared by everyone arriving meanwhile.
    this.next ??= this.running.then(
      () => this.startNext(store),
      () => this.startNext(store),
    );
    return this.next;
  }

  private startNext(store: Store): Promise<void> {
    this.next = null;
    return this.running ? this.catchUp() : this.startCatchUp(store);
  }

  private startCatchUp(store: Store): Promise<void> {
    const p = this.queryCatchUp(store).finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  private async queryCatchUp(store: Store): Promise<void> {
    const from = this.lastSeq;
    let result: pg.QueryResult<ChangeRow & { last_seq: string; horizon: string }>;
    try {
      result = await this.pool.query(CATCH_UP_SQL, [from]);
    } catch (err) {
      throw unavailable(err);
    }
    const head = result.rows[0]!;
    const lastSeq = Number(head.last_seq);
    if (lastSeq <= this.lastSeq) return;
    if (Number(head.horizon) <= from) {
      this.applyChangeRows(store, head.seq === null ? [] : result.rows);
      return;
    }
    // Too far behind the log (or the state was reset): read everything at one snapshot.
    const client = await this.pool.connect().catch((err) => {
      throw unavailable(err);
    });
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await client.query<{ last_seq: string }>('SELECT last_seq FROM log_state');
      const records = await client.query<RecordRow>('SELECT scope, kind, id, body::text AS body FROM records ORDER BY seq');
      await client.query('COMMIT');
      this.reload(store, toRecords(records.rows), Number(rows[0]!.last_seq));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw unavailable(err);
    } finally {
      client.release();
    }
  }

  /**
   * One writing section: the database lock, catch-up, then `body` with the open transaction
   * and the log's end. Body commits or rolls back (tx.end); the section rolls back otherwise.
   */
  private section<T>(body: (tx: OpenTx, lastSeq: number) => Promise<T>): Promise<T> {
    return this.serialise(async () => {
      if (this.closed) throw new StoreUnavailableError('the store is closed');
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw unavailable(err);
      }
      let broken = false;
      const tx: OpenTx = {
        client,
        open: true,
        end: async (sql) => {
          tx.open = false;
          await client.query(sql);
        },
      };
      try {
        let lastSeq: number;
        try {
          const [, lock] = (await client.query('BEGIN; SELECT last_seq, horizon FROM log_state FOR UPDATE')) as unknown as pg.QueryResult[];
          const row = lock!.rows[0] as { last_seq: string; horizon: string };
          lastSeq = Number(row.last_seq);
          if (lastSeq > this.lastSeq) {
            const store = this.attached();
            if (Number(row.horizon) <= this.lastSeq) {
              const { rows } = await client.query<ChangeRow>(
                'SELECT seq, scope, kind, id, body::text AS body FROM changes WHERE seq > $1 ORDER BY seq',
                [this.lastSeq],
              );
              this.applyChangeRows(store, rows);
            } else {
              const { rows } = await client.query<RecordRow>('SELECT scope, kind, id, body::text AS body FROM records ORDER BY seq');
              this.reload(store, toRecords(rows), lastSeq);
            }
          }
        } catch (err) {
          broken = true;
          throw unavailable(err);
        }
        return await body(tx, lastSeq);
      } catch (err) {
        if (!broken && tx.open) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
        }
        throw err;
      } finally {
        client.release(broken || undefined);
      }
    });
  }

  /** Appends `changes` after log position `lastSeq` and commits; returns their seqs. */
  private async write(tx: OpenTx, changes: Change[], lastSeq: number): Promise<number[]> {
    const client = tx.client;
    const seqs = changes.map((_, i) => lastSeq + i + 1);
    const end = lastSeq + changes.length;
    await client.query(WRITE_SQL, [
      seqs,
      changes.map((c) => encodeKey(c.scope)),
      changes.map((c) => encodeKey(c.kind)),
      changes.map((c) => encodeKey(c.id)),
      changes.map((c) => (c.value === null ? null : JSON.stringify(c.value))),
      end,
    ]);
    // Compaction: keep the last LOG_KEEP changes, now and then.
    if (end % LOG_KEEP < changes.length && end > 2 * LOG_KEEP) {
      await client.query('DELETE FROM changes WHERE seq <= $1', [end - LOG_KEEP]);
      await client.query('UPDATE log_state SET horizon = GREATEST(horizon, $1)', [end - LOG_KEEP]);
    }
    await tx.end('COMMIT');
    return seqs;
  }

  exclusive<T>(fn: () => T): Promise<T> {
    return this.section(async (tx, lastSeq) => {
      const store = this.attached();
      const captured = store.capture(fn);
      if (captured.changes.length === 0) {
        await tx.end('ROLLBACK').catch((err) => {
          throw unavailable(err);
        });
      } else {
        let seqs: number[];
        try {
          seqs = await this.write(tx, captured.changes, lastSeq);
        } catch (err) {
          throw unavailable(err);
        }
        this.applyRows(
          store,
          captured.changes.map((change, i) => ({ seq: seqs[i]!, change })),
        );
      }
      if (captured.failed) throw captured.error;
      return captured.result as T;
    });
  }

  resetAll(): Promise<void> {
    return this.section(async (tx, lastSeq) => {
      try {
        await this.truncate(tx, lastSeq);
      } catch (err) {
        throw unavailable(err);
      }
      this.reload(this.attached(), [], lastSeq + 1);
    });
  }

  /** Empties the database and moves the log's horizon past everything: every server reloads. */
  private async truncate(tx: OpenTx, lastSeq: number): Promise<void> {
    await tx.client.query('DELETE FROM records');
    await tx.client.query('DELETE FROM changes');
    await tx.client.query('UPDATE log_state SET last_seq = $1, horizon = $1', [lastSeq + 1]);
    await tx.end('COMMIT');
  }

  /**
   * A commit made outside exclusive() (code that drives the Store directly): already
   * published in memory, written to the database behind, in order with this server's
   * other writes.
   */
  commit(changes: Change[]): void {
    const copy = changes.map((c) => ({ ...c }));
    this.section(async (tx, lastSeq) => {
      const seqs = await this.write(tx, copy, lastSeq);
      this.lastSeq = Math.max(this.lastSeq, seqs[seqs.length - 1]!);
    }).catch((err) => console.error(`vpcsim: writing behind to PostgreSQL failed: ${(err as Error).message}`));
  }

  /** Store.reset() outside resetAll(): memory is already empty; the database follows. */
  clear(): void {
    this.section(async (tx, lastSeq) => {
      await this.truncate(tx, lastSeq);
      this.lastSeq = Math.max(this.lastSeq, lastSeq + 1);
    }).catch((err) => console.error(`vpcsim: clearing PostgreSQL failed: ${(err as Error).message}`));
  }

  /** Waits for queued writes, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.serialise(async () => {
      this.closed = true;
    });
    await this.running?.catch(() => {});
    await this.pool.end();
  }
}

/** Brings the schema to PG_SCHEMA_VERSION (one server at a time); refuses a newer one. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT max(version) AS version FROM schema_version');
    const version = rows[0]?.version ?? 0;
    if (version > PG_SCHEMA_VERSION) {
      throw new Error(
        `the PostgreSQL database was written by a newer vpcsim (schema ${version}, this one knows ${PG_SCHEMA_VERSION}); upgrade vpcsim`,
      );
    }
    for (let v = version + 1; v <= PG_SCHEMA_VERSION; v++) {
      for (const sql of MIGRATIONS[v]!) await client.query(sql);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
