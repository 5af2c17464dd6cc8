/**
 * The embedded default store: one SQLite file (WAL mode) in the data directory.
 * Each committed transaction is one SQLite transaction; a process killed with SIGKILL
 * loses nothing that was acknowledged.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, Persistence, StoredRecord } from './store.js';

const SCHEMA_VERSION = 2;

export class SqlitePersistence implements Persistence {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly commitTx: (changes: Change[]) => void;
  /** Creation order of records, for loading them back in that order. */
  private seq = 0;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'vpcsim.sqlite3'));
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction is in the WAL file before commit returns,
    // so it survives a crash of the process (kill -9); FULL also survives power loss.
    this.db.pragma(`synchronous = ${process.env.VPCSIM_SQLITE_SYNC === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.upsert = this.db.prepare(
      'INSERT INTO records (scope, kind, id, seq, body) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (scope, kind, id) DO UPDATE SET body = excluded.body',
    );
    this.remove = this.db.prepare('DELETE FROM records WHERE scope = ? AND kind = ? AND id = ?');
    this.commitTx = this.db.transaction((changes: Change[]) => {
      for (const c of changes) {
        if (c.value === null) this.remove.run(c.scope, c.kind, c.id);
        else this.upsert.run(c.scope, c.kind, c.id, ++this.seq, JSON.stringify(c.value));
      }
    });
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as
      | { value: string }
      | undefined;
    const version = row ? Number(row.value) : 0;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the data directory was written by a newer vpcsim (schema ${version}); upgrade vpcsim`);
    }
    // Schema 2: one clustered B-tree keyed by (scope, kind, id) — a write touches one tree, not
    // a table and its unique index. `seq` keeps creation order for loading.
    const create = `
      CREATE TABLE IF NOT EXISTS records2 (
        scope TEXT NOT NULL,
        kind  TEXT NOT NULL,
        id    TEXT NOT NULL,
        seq   INTEGER NOT NULL,
        body  TEXT NOT NULL,
        PRIMARY KEY (scope, kind, id)
      ) WITHOUT ROWID`;
    this.db.transaction(() => {
      if (version < 2) {
        this.db.exec(create);
        const old = this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'records'`).get();
        if (old) {
          this.db.exec('INSERT INTO records2 (scope, kind, id, seq, body) SELECT scope, kind, id, seq, body FROM records');
          this.db.exec('DROP TABLE records');
        }
        this.db.exec('ALTER TABLE records2 RENAME TO records');
      }
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    })();
    const max = this.db.prepare('SELECT MAX(seq) AS m FROM records').get() as { m: number | null };
    this.seq = max.m ?? 0;
  }

  *load(): Iterable<StoredRecord> {
    const rows = this.db.prepare('SELECT scope, kind, id, body FROM records ORDER BY seq').iterate() as Iterable<{
      scope: string;
      kind: string;
      id: string;
      body: string;
    }>;
    for (const r of rows) yield { scope: r.scope, kind: r.kind, id: r.id, value: JSON.parse(r.body) };
  }

  commit(changes: Change[]): void {
    this.commitTx(changes);
  }

  clear(): void {
    this.db.exec('DELETE FROM records');
  }

  close(): void {
    this.db.close();
  }
}
