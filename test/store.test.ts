/**
 * The transactional store: isolation, atomic commit, rollback, frozen records, secondary
 * indexes, and reload from SQLite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqlitePersistence } from '../src/state/sqlite.js';
import { defineIndex, MemoryPersistence, Store } from '../src/state/store.js';
import { tempDir } from './helpers.js';

defineIndex('thing', 'Owner');
defineIndex('thing', 'Ref.Id');
const S = 'acct/region';

interface Thing {
  Id: string;
  Owner?: string;
  n?: number;
  Ref?: { Id?: string };
}

describe('store', () => {
  it('hides uncommitted writes from other transactions and applies them atomically', () => {
    const store = new Store(new MemoryPersistence());
    const t1 = store.begin();
    t1.put<Thing>(S, 'thing', 'a', { Id: 'a', Owner: 'x' });
    assert.equal(t1.get<Thing>(S, 'thing', 'a')?.Owner, 'x', 'own writes are visible');
    assert.equal(store.begin().get(S, 'thing', 'a'), undefined, 'others do not see them');
    t1.commit();
    assert.equal(store.begin().get<Thing>(S, 'thing', 'a')?.Owner, 'x');
    const t2 = store.begin();
    t2.delete(S, 'thing', 'a');
    t2.rollback();
    assert.ok(store.begin().get(S, 'thing', 'a'), 'a rolled-back delete leaves the record');
  });

  it('freezes committed records, and edit() gives a private copy', () => {
    const store = new Store(new MemoryPersistence());
    const t = store.begin();
    t.put<Thing>(S, 'thing', 'a', { Id: 'a', n: 1 });
    t.commit();
    const committed = store.begin().get<Thing>(S, 'thing', 'a')!;
    assert.throws(() => {
      (committed as Thing).n = 2;
    }, TypeError);
    const t2 = store.begin();
    const copy = t2.edit<Thing>(S, 'thing', 'a')!;
    copy.n = 5;
    assert.equal(store.begin().get<Thing>(S, 'thing', 'a')!.n, 1, 'not visible before commit');
    t2.commit();
    assert.equal(store.begin().get<Thing>(S, 'thing', 'a')!.n, 5);
  });

  it('freezes arrays and what they hold, but for arrays of numbers (columns of times), which stay unboxed', () => {
    const store = new Store(new MemoryPersistence());
    const t = store.begin();
    t.put(S, 'thing', 'a', { Id: 'a', list: [{ n: 1 }], mixed: [1, 'x', 2.5, { n: 3 }, 4], times: [1764170000000.5, 2], nested: [[3.5, 4]] });
    t.commit();
    const r = store.begin().get<{ list: Array<{ n: number }>; mixed: unknown[]; times: number[]; nested: number[][] }>(S, 'thing', 'a')!;
    assert.ok(Object.isFrozen(r.list) && Object.isFrozen(r.list[0]) && Object.isFrozen(r.mixed) && Object.isFrozen(r.mixed[3]) && Object.isFrozen(r.nested));
    assert.ok(!Object.isFrozen(r.times) && !Object.isFrozen(r.nested[0]));
  });

  it('answers listBy through the index, with the transaction\'s own writes applied', () => {
    const store = new Store(new MemoryPersistence());
    const t = store.begin();
    for (const [id, owner] of [['a', 'x'], ['b', 'y'], ['c', 'x']] as const) t.put<Thing>(S, 'thing', id, { Id: id, Owner: owner });
    t.commit();
    const ids = (tx = store.begin(), owner = 'x') => tx.listBy<Thing>(S, 'thing', 'Owner', owner).map((r) => r.Id);
    assert.deepEqual(ids(), ['a', 'c']);
    const t2 = store.begin();
    t2.edit<Thing>(S, 'thing', 'a')!.Owner = 'y'; // moves out of x
    t2.put<Thing>(S, 'thing', 'd', { Id: 'd', Owner: 'x' }); // new in x
    t2.delete(S, 'thing', 'c'); // gone from x
    assert.deepEqual(ids(t2), ['d']);
    assert.deepEqual(ids(t2, 'y').sort(), ['a', 'b']);
    assert.deepEqual(ids(), ['a', 'c'], 'others still see the committed index');
    t2.commit();
    assert.deepEqual(ids(), ['d']);
    assert.deepEqual(ids(store.begin(), 'y').sort(), ['a', 'b']);
    // Dotted paths index nested fields.
    const t3 = store.begin();
    t3.put<Thing>(S, 'thing', 'e', { Id: 'e', Ref: { Id: 'b' } });
    t3.commit();
    assert.deepEqual(store.begin().listBy<Thing>(S, 'thing', 'Ref.Id', 'b').map((r) => r.Id), ['e']);
    // An unindexed field falls back to a scan.
    assert.deepEqual(store.begin().listBy<Thing>(S, 'thing', 'Id', 'b').map((r) => r.Id), ['b']);
  });

  it('reloads records and indexes from SQLite', () => {
    const dir = tempDir();
    let p = new SqlitePersistence(dir);
    let store = new Store(p);
    const t = store.begin();
    t.put<Thing>(S, 'thing', 'a', { Id: 'a', Owner: 'x' });
    t.put<Thing>(S, 'thing', 'b', { Id: 'b', Owner: 'x' });
    t.commit();
    const t2 = store.begin();
    t2.delete(S, 'thing', 'a');
    t2.commit();
    p.close();
    p = new SqlitePersistence(dir);
    store = new Store(p);
    assert.deepEqual(store.begin().listBy<Thing>(S, 'thing', 'Owner', 'x').map((r) => r.Id), ['b']);
    p.close();
  });

  it('migrates a data directory written with the first schema', () => {
    const dir = tempDir();
    const db = new Database(join(dir, 'vpcsim.sqlite3'));
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, kind TEXT NOT NULL,
        id TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (scope, kind, id));
      INSERT INTO meta VALUES ('schema_version', '1');
      INSERT INTO records (scope, kind, id, body) VALUES ('${S}', 'thing', 'z', '{"Id":"z","Owner":"x"}');
      INSERT INTO records (scope, kind, id, body) VALUES ('${S}', 'thing', 'a', '{"Id":"a","Owner":"x"}');`);
    db.close();
    const p = new SqlitePersistence(dir);
    const store = new Store(p);
    assert.deepEqual(store.begin().list<Thing>(S, 'thing').map((r) => r.Id), ['z', 'a'], 'creation order kept');
    const t = store.begin();
    t.put<Thing>(S, 'thing', 'b', { Id: 'b' });
    t.commit();
    p.close();
    const again = new SqlitePersistence(dir);
    assert.deepEqual(new Store(again).begin().list<Thing>(S, 'thing').map((r) => r.Id), ['z', 'a', 'b']);
    again.close();
  });
});
