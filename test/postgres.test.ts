/**
 * The PostgreSQL store: durability across restarts and SIGKILL, migrations, and two vpcsim
 * servers on one database behind the same clients — AWS's invariants hold across them.
 * Needs VPCSIM_TEST_POSTGRES_URL (a role that may create databases); .ci/run provides it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { applyEnv, applyStore } from '../src/config.js';
import { createApp, defaultConfig, openApp, startServer } from '../src/index.js';
import type { ServiceProvider } from '../src/services/context.js';
import { PostgresPersistence, redactUrl } from '../src/state/postgres.js';
import { scopeKey, Store } from '../src/state/store.js';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from './pg.js';
import { type ServerProcess, spawnServer } from './process.js';

const skip = TEST_POSTGRES_URL
  ? false
  : 'VPCSIM_TEST_POSTGRES_URL is not set (e.g. postgres://vpcsim:vpcsim@127.0.0.1:5432/vpcsim_test, a role with CREATEDB): PostgreSQL store tests skipped';

function client(endpoint: string, accessKeyId = 'test', region = 'us-east-1'): EC2Client {
  return new EC2Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 1 });
}

function code(err: unknown): string {
  const e = err as { Code?: string; name?: string };
  return e.Code ?? e.name ?? String(err);
}

async function vpcIds(ec2: EC2Client): Promise<string[]> {
  return (await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.map((v) => v.VpcId!).sort();
}

/** Every VPC has exactly one main route table, default ACL and default group; nothing refers to a missing VPC. */
async function checkIntegrity(ec2: EC2Client): Promise<Set<string>> {
  const present = new Set(await vpcIds(ec2));
  const rts = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables!;
  const acls = (await ec2.send(new DescribeNetworkAclsCommand({}))).NetworkAcls!;
  const sgs = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!;
  for (const id of present) {
    assert.equal(rts.filter((r) => r.VpcId === id && r.Associations?.some((a) => a.Main)).length, 1, `main table of ${id}`);
    assert.equal(acls.filter((a) => a.VpcId === id && a.IsDefault).length, 1, `default ACL of ${id}`);
    assert.equal(sgs.filter((g) => g.VpcId === id && g.GroupName === 'default').length, 1, `default group of ${id}`);
  }
  for (const r of [...rts, ...acls, ...sgs]) assert.ok(present.has(r.VpcId!), `orphan of ${r.VpcId}`);
  return present;
}

describe('PostgreSQL store: durability and migrations', { skip }, () => {
  it('keeps state across a clean restart, with no second default VPC', async () => {
    const db = await createTestDatabase();
    try {
      let srv = await spawnServer(['--store', db.url]);
      assert.match(srv.output(), /state in PostgreSQL postgres:\/\/vpcsim:\*\*\*@/, 'the password is not printed');
      let ec2 = client(srv.endpoint);
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }));
      await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId!, CidrBlock: '10.7.1.0/24' }));
      const before = await vpcIds(ec2);
      assert.equal(before.length, 2);
      await srv.stop();

      srv = await spawnServer([], { VPCSIM_STORE: db.url });
      ec2 = client(srv.endpoint);
      try {
        assert.deepEqual(await vpcIds(ec2), before);
        const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }] }));
        assert.deepEqual(subnets.Subnets!.map((s) => s.CidrBlock), ['10.7.1.0/24']);
        await checkIntegrity(ec2);
      } finally {
        await srv.stop();
      }
      const { rows } = await db.query<{ version: number }>('SELECT max(version) AS version FROM schema_version');
      assert.equal(rows[0]!.version, 1, 'schema version recorded');
    } finally {
      await db.drop();
    }
  });

  it('loses no acknowledged change and applies none by half when a server is killed with SIGKILL', async () => {
    const db = await createTestDatabase();
    const args = ['--store', db.url, '--quota', 'vpcsPerRegion=100000'];
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    try {
      a = await spawnServer(args);
      b = await spawnServer(args);
      const acknowledged: string[] = [];
      const deleted: string[] = [];
      /** Deletes sent but not answered when the server died: they may or may not have happened. */
      const inFlightDeletes = new Set<string>();
      const afterKill: string[] = [];
      let killed = false;
      let stop = false;
      // Writers on both servers create VPCs (each with its main route table, default ACL and
      // default group, in one transaction) and delete every third one.
      const writer = async (endpoint: string, w: number) => {
        const ec2 = client(endpoint);
        for (let i = 0; !stop; i++) {
          try {
            const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${(w * 50 + i) % 250}.0.0/16` }));
            acknowledged.push(Vpc!.VpcId!);
            if (killed) afterKill.push(Vpc!.VpcId!);
            if (i % 3 === 0) {
              inFlightDeletes.add(Vpc!.VpcId!);
              await ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId! }));
              inFlightDeletes.delete(Vpc!.VpcId!);
              deleted.push(Vpc!.VpcId!);
            }
          } catch {
            return; // the server went away
          }
        }
      };
      const writers = [
        writer(a.endpoint, 0),
        writer(a.endpoint, 1),
        writer(a.endpoint, 2),
        writer(b.endpoint, 3),
        writer(b.endpoint, 4),
      ];
      await new Promise((r) => setTimeout(r, 1500));
      await a.kill();
      killed = true;
      // The survivor goes on writing: the killed server's open transaction released the lock.
      await new Promise((r) => setTimeout(r, 700));
      stop = true;
      await Promise.all(writers);
      assert.ok(acknowledged.length > 20, `only ${acknowledged.length} VPCs were created before the kill`);
      assert.ok(afterKill.length > 0, 'the surviving server kept writing after the other was killed');

      a = await spawnServer(args);
      for (const srv of [a, b]) {
        const ec2 = client(srv.endpoint);
        const present = await checkIntegrity(ec2);
        for (const id of acknowledged) {
          if (deleted.includes(id)) assert.ok(!present.has(id), `${id} was deleted (acknowledged) but is back`);
          else if (!inFlightDeletes.has(id)) assert.ok(present.has(id), `${id} was acknowledged but is missing`);
        }
      }
      assert.ok(inFlightDeletes.size <= 3, 'at most one unanswered delete per writer on the killed server');
      assert.deepEqual(await vpcIds(client(a.endpoint)), await vpcIds(client(b.endpoint)), 'both servers see the same state');
    } finally {
      await a?.stop();
      await b?.stop();
      await db.drop();
    }
  });

  it('gives back exactly what was written: keys with U+0000 and unpaired surrogates, key order, creation order', async () => {
    const db = await createTestDatabase();
    try {
      const p1 = await PostgresPersistence.open(db.url);
      const s1 = new Store(p1);
      const S = scopeKey('000000000000', 'us-east-1');
      const odd = ['log\u0000stream\u00001', 'lone \ud800 high', 'lone \udc00 low', '\u0001starts', 'plain'];
      const value = (i: number) => ({ zeta: i, alpha: 'x\u0000y', nested: { b: [1, 'é', '\ud83d\ude00'], a: null }, text: '<&>"\'' });
      await p1.exclusive(() => {
        const tx = s1.begin();
        odd.forEach((id, i) => tx.put(S, 'th\u0000ing', id, value(i)));
        tx.put(S, 'thing', 'z', { n: 1 });
        tx.commit();
        // A second transaction in the same section sees the first one's writes.
        const tx2 = s1.begin();
        assert.equal(tx2.list(S, 'th\u0000ing').length, odd.length);
        tx2.put(S, 'thing', 'a', { n: 2 });
        tx2.delete(S, 'thing', 'z');
        tx2.commit();
      });
      await p1.close();
      const p2 = await PostgresPersistence.open(db.url);
      const s2 = new Store(p2);
      try {
        const tx = s2.begin();
        assert.deepEqual(tx.list(S, 'th\u0000ing'), odd.map((_, i) => value(i)), 'values, in creation order');
        assert.deepEqual(
          Object.keys(tx.get<object>(S, 'th\u0000ing', odd[0]!)!),
          ['zeta', 'alpha', 'nested', 'text'],
          'key order kept',
        );
        assert.deepEqual(odd.map((id) => tx.get(S, 'th\u0000ing', id) !== undefined), odd.map(() => true), 'every key found');
        assert.deepEqual(tx.list(S, 'thing'), [{ n: 2 }]);
      } finally {
        await p2.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('refuses a database written by a newer vpcsim', async () => {
    const db = await createTestDatabase();
    try {
      const srv = await startServer({ port: 0, store: db.url });
      await srv.close();
      await db.query('INSERT INTO schema_version (version) VALUES (99)');
      await assert.rejects(startServer({ port: 0, store: db.url }), /newer vpcsim \(schema 99/);
      await assert.rejects(spawnServer(['--store', db.url]), /newer vpcsim \(schema 99/);
    } finally {
      await db.drop();
    }
  });

  it('a read whose handler writes is run again under the lock, and persisted', async () => {
    const db = await createTestDatabase();
    const app = await openApp({ ...defaultConfig(), store: db.url });
    try {
      let calls = 0;
      const provider = {
        name: 'fake',
        protocol: 'json',
        model: { metadata: {}, operations: {}, shapes: {} },
        handlers: {
          DescribeThings: (ctx: { state: { get<T>(k: string, id: string): T | undefined; put(k: string, id: string, v: object): void } }) => {
            calls++;
            const n = (ctx.state.get<{ n: number }>('thing', 'counter')?.n ?? 0) + 1;
            ctx.state.put('thing', 'counter', { n });
            return { n };
          },
        },
      } as unknown as ServiceProvider;
      const caller = { accessKeyId: 'test', account: '000000000000', region: 'us-east-1' };
      const first = await app.run(provider, 'DescribeThings', {}, caller, 'r1');
      assert.deepEqual(first, { n: 1 });
      assert.equal(calls, 1, 'a new scope goes straight to the lock');
      const second = await app.run(provider, 'DescribeThings', {}, caller, 'r2');
      assert.deepEqual(second, { n: 2 }, 'the first try was discarded, not applied twice');
      assert.equal(calls, 3, 'tried as a read, then run again under the lock');
      const { rows } = await db.query<{ body: { n: number } }>("SELECT body FROM records WHERE kind = 'thing'");
      assert.deepEqual(rows.map((r) => r.body), [{ n: 2 }]);
    } finally {
      await app.store.persistence.close();
      await db.drop();
    }
  });

  it('answers ServiceUnavailable (503) while the database is gone', async () => {
    const db = await createTestDatabase();
    const srv = await startServer({ port: 0, store: db.url });
    try {
      const ec2 = client(srv.endpoint);
      assert.equal((await vpcIds(ec2)).length, 1);
      await db.drop();
      for (const call of [() => ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' })), () => vpcIds(ec2)]) {
        const err = (await call().then(
          () => assert.fail('expected ServiceUnavailable'),
          (e: unknown) => e,
        )) as { $metadata?: { httpStatusCode?: number } };
        assert.equal(code(err), 'ServiceUnavailable');
        assert.equal(err.$metadata?.httpStatusCode, 503);
      }
    } finally {
      await srv.close();
    }
  });

  it('reports a database it cannot reach and starts nothing', async () => {
    const u = new URL(TEST_POSTGRES_URL!);
    u.pathname = '/vpcsim_no_such_database';
    await assert.rejects(spawnServer(['--store', u.toString()]), /vpcsim_no_such_database/);
  });
});

describe('PostgreSQL store: two servers on one database', { skip }, () => {
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let ea: EC2Client;
  let eb: EC2Client;

  before(async () => {
    db = await createTestDatabase();
    [a, b] = await Promise.all([spawnServer(['--store', db.url]), spawnServer(['--store', db.url])]);
    ea = client(a.endpoint);
    eb = client(b.endpoint);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const reset = async (endpoint: string) => {
    const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    assert.equal(r.status, 200);
  };

  it('a resource created on one server is visible on the other at once', async () => {
    await reset(a.endpoint);
    for (let i = 0; i < 25; i++) {
      const [from, to] = i % 2 === 0 ? [ea, eb] : [eb, ea];
      const { Vpc } = await from.send(new CreateVpcCommand({ CidrBlock: `10.${i}.0.0/16` }));
      const seen = await to.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }));
      assert.equal(seen.Vpcs![0]!.CidrBlock, `10.${i}.0.0/16`);
      await to.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId! }));
      assert.equal(code(await from.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] })).catch((e) => e)), 'InvalidVpcID.NotFound');
    }
  });

  it('concurrent overlapping subnets through both servers: exactly one of each pair succeeds', async () => {
    await reset(b.endpoint);
    const { Vpc } = await ea.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }));
    const vpcId = Vpc!.VpcId!;
    const rounds = 30;
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        // Two overlapping blocks in the same round: a /24 and one of its /25s, one per server.
        const results = await Promise.allSettled([
          ea.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.50.${i}.0/24` })),
          eb.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.50.${i}.128/25` })),
        ]);
        for (const r of results) if (r.status === 'rejected') assert.equal(code(r.reason), 'InvalidSubnet.Conflict');
        return results.filter((r) => r.status === 'fulfilled').length;
      }),
    );
    assert.deepEqual(outcomes, Array(rounds).fill(1), 'one success per overlapping pair');
    for (const ec2 of [ea, eb]) {
      const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
      assert.equal(Subnets!.length, rounds, 'one subnet per round, on both servers');
    }
  });

  it('the VPC quota is never exceeded by concurrent creates on both servers', async () => {
    await reset(a.endpoint);
    for (const account of ['111111111111', '222222222222']) {
      // A fresh account: its default VPC counts against the quota of 5.
      const ca = client(a.endpoint, account);
      const cb = client(b.endpoint, account);
      const attempts = Array.from({ length: 24 }, (_, i) =>
        (i % 2 === 0 ? ca : cb).send(new CreateVpcCommand({ CidrBlock: `10.${i}.0.0/16` })),
      );
      const results = await Promise.allSettled(attempts);
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      for (const r of results) if (r.status === 'rejected') assert.equal(code(r.reason), 'VpcLimitExceeded');
      assert.equal(ok, 4, 'the default VPC and four more');
      assert.equal((await vpcIds(ca)).length, 5);
      assert.equal((await vpcIds(cb)).length, 5);
      const defaults = (await cb.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs!;
      assert.equal(defaults.length, 1, 'one default VPC although both servers met the account at once');
    }
  });

  it('a new region first used on both servers at once gets one default VPC', async () => {
    const region = 'eu-west-3';
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => client(i % 2 ? a.endpoint : b.endpoint, '333333333333', region).send(new DescribeVpcsCommand({}))),
    );
    for (const r of results) assert.equal(r.Vpcs!.length, 1, 'each answer shows exactly the one default VPC');
    assert.equal(new Set(results.map((r) => r.Vpcs![0]!.VpcId)).size, 1, 'the same default VPC everywhere');
  });

  it('reset through one server clears the other', async () => {
    const { Vpc } = await ea.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    assert.ok((await vpcIds(eb)).includes(Vpc!.VpcId!));
    const defaultBefore = (await vpcIds(eb)).filter((id) => id !== Vpc!.VpcId);
    await reset(a.endpoint);
    const afterReset = await vpcIds(eb);
    assert.equal(afterReset.length, 1, 'only a (new) default VPC');
    assert.ok(!afterReset.includes(Vpc!.VpcId!));
    assert.notDeepEqual(afterReset, defaultBefore, 'the default VPC was made anew');
    assert.deepEqual(await vpcIds(ea), afterReset, 'and the same one on the server that reset');
  });

  it('a server behind the compacted log reloads the whole state', async () => {
    await reset(a.endpoint);
    await vpcIds(eb); // b is up to date
    const { Vpc } = await ea.send(new CreateVpcCommand({ CidrBlock: '10.11.0.0/16' }));
    // What compaction does: drop the log up to its end and move the horizon there.
    await db.query('DELETE FROM changes');
    await db.query('UPDATE log_state SET horizon = last_seq');
    assert.ok((await vpcIds(eb)).includes(Vpc!.VpcId!), 'b reloaded and sees the VPC');
    await checkIntegrity(eb);
    // And it goes on from there: both servers keep writing and reading the same state.
    const { Vpc: v2 } = await eb.send(new CreateVpcCommand({ CidrBlock: '10.12.0.0/16' }));
    assert.deepEqual(await vpcIds(ea), await vpcIds(eb));
    assert.ok((await vpcIds(ea)).includes(v2!.VpcId!));
  });
});

describe('--store and VPCSIM_STORE', () => {
  it('choose SQLite, memory or a PostgreSQL URL, and refuse anything else without printing a password', () => {
    const config = defaultConfig();
    applyStore(config, 'postgres://u:secret@db.internal:5433/vpcsim');
    assert.equal(config.store, 'postgres://u:secret@db.internal:5433/vpcsim');
    applyStore(config, 'memory');
    assert.deepEqual([config.store, config.inMemory], [undefined, true]);
    applyStore(config, 'postgresql://u@127.0.0.1/x');
    assert.deepEqual([config.store, config.inMemory], ['postgresql://u@127.0.0.1/x', false]);
    applyStore(config, 'sqlite');
    assert.deepEqual([config.store, config.inMemory], [undefined, false]);
    assert.equal(applyEnv(defaultConfig(), { VPCSIM_STORE: 'postgres://h/db' }).store, 'postgres://h/db');
    assert.throws(() => applyStore(config, 'mysql://u:secret@h/db'), (err: Error) => /invalid store/.test(err.message) && !err.message.includes('secret'));
    assert.equal(redactUrl('postgres://u:secret@h:1/db'), 'postgres://u:***@h:1/db');
    assert.throws(() => createApp({ ...defaultConfig(), store: 'postgres://h/db' }), /openApp/);
  });
});
