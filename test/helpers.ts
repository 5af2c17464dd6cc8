/**
 * Test harness: a vpcsim server on a free loopback port, and SDK clients pointed at it.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, type RunningServer, startServer } from '../src/index.js';
import type { RequestContext } from '../src/services/context.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { createTestDatabase, TEST_ON_POSTGRES } from './pg.js';

export interface TestServer extends RunningServer {
  ec2(opts?: { region?: string; accessKeyId?: string }): EC2Client;
  sts(opts?: { region?: string; accessKeyId?: string }): STSClient;
  /** POST /moto-api/reset */
  reset(): Promise<void>;
}

/** A seeded pseudo-random source: `rnd(n)` is an integer in [0, n), the same sequence for the same seed. */
export function seededRandom(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
}

/**
 * An internet host for traces and traffic, outside the public address pool (the default and
 * every test's): an Elastic IP or public address drawn at random is never it.
 */
export const INTERNET_CLIENT = '84.200.69.7';

export function tempDir(prefix = 'vpcsim-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts vpcsim on 127.0.0.1 and a free port; in memory unless a dataDir is given — or, with
 * VPCSIM_TEST_STORE=postgres, on a fresh PostgreSQL database dropped on close.
 */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const db = TEST_ON_POSTGRES && !overrides.dataDir && !overrides.store && !overrides.inMemory ? await createTestDatabase() : undefined;
  let running: RunningServer;
  try {
    running = await startServer({ port: 0, host: '127.0.0.1', inMemory: !overrides.dataDir && !db, ...(db ? { store: db.url } : {}), ...overrides });
  } catch (err) {
    await db?.drop();
    throw err;
  }
  if (db) {
    const close = running.close;
    running.close = async () => {
      await close();
      await db.drop();
    };
  }
  const clientConfig = (opts: { region?: string; accessKeyId?: string } = {}) => ({
    endpoint: running.endpoint,
    region: opts.region ?? 'us-east-1',
    credentials: { accessKeyId: opts.accessKeyId ?? 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    ...running,
    ec2: (opts) => new EC2Client(clientConfig(opts)),
    sts: (opts) => new STSClient(clientConfig(opts)),
    reset: async () => {
      const r = await fetch(`${running.endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`reset failed: ${r.status}`);
    },
  };
}

/** Runs `fn` and returns the AWS error code it failed with (fails the test if it succeeded). */
export async function errorCode(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return e.Code ?? e.name ?? 'unknown';
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Like errorCode, but also returns the message and HTTP status. */
export async function apiError(fn: () => Promise<unknown>): Promise<{ code: string; message: string; status?: number }> {
  try {
    await fn();
  } catch (err) {
    const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.Code ?? e.name ?? 'unknown', message: e.message ?? '', status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Runs `fn` inside a committed transaction of the test server, as another family of vpcsim
 * would (for exported functions that no API operation reaches directly).
 */
export function inside<T>(srv: RunningServer, fn: (ctx: RequestContext) => T, region = 'us-east-1', account = '000000000000'): T {
  const tx = srv.app.store.begin();
  const ctx: RequestContext = {
    account,
    region,
    requestId: 'test',
    state: new ScopedState(tx, scopeKey(account, region)),
    config: srv.config,
    now: new Date(),
    caller: { accessKeyId: 'test', account, region },
  };
  const out = fn(ctx);
  tx.commit();
  return out;
}
