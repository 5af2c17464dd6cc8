/**
 * PostgreSQL for tests: a fresh database per server, made from VPCSIM_TEST_POSTGRES_URL (a
 * role that may CREATE DATABASE) and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The base URL, or undefined when PostgreSQL tests cannot run. */
export const TEST_POSTGRES_URL = process.env.VPCSIM_TEST_POSTGRES_URL || undefined;

/** Whether startTestServer() puts its servers on PostgreSQL (the suite's second run). */
export const TEST_ON_POSTGRES = process.env.VPCSIM_TEST_STORE === 'postgres';

export interface TestDatabase {
  name: string;
  /** The base URL with this database. */
  url: string;
  /** Runs SQL on the database (own connection each time). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

async function onBase<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  if (!TEST_POSTGRES_URL) throw new Error('VPCSIM_TEST_POSTGRES_URL is not set');
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `vpcsim_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onBase((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(TEST_POSTGRES_URL!);
  u.pathname = `/${name}`;
  const url = u.toString();
  let dropped = false;
  return {
    name,
    url,
    query: async (sql, params) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      if (dropped) return;
      dropped = true;
      // FORCE ends the servers' connections, but not a connection of another role (PostgreSQL's
      // autovacuum worker, which may just have started on the database): wait for it and retry.
      for (let attempt = 1; ; attempt++) {
        try {
          await onBase((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
          return;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if ((code !== '42501' && code !== '55006') || attempt === 20) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
  };
}
