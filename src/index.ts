/**
 * Starting vpcsim from code (tests, benchmarks, embedding): `startServer(options)`.
 */
import type { Server } from 'node:http';
import { type Config, defaultConfig } from './config.js';
import { App } from './server/app.js';
import { createHttpServer, listen } from './server/http.js';
import { allProviders } from './services/registry.js';
import { SqlitePersistence } from './state/sqlite.js';
import { MemoryPersistence, type Persistence, Store } from './state/store.js';

export interface RunningServer {
  app: App;
  server: Server;
  config: Config;
  /** e.g. http://127.0.0.1:4566 */
  endpoint: string;
  close(): Promise<void>;
}

/** An app on SQLite or in memory (a PostgreSQL store needs openApp). */
export function createApp(config: Config): App {
  if (config.store) throw new Error('a PostgreSQL store is opened asynchronously: use openApp() or startServer()');
  const persistence: Persistence = config.inMemory ? new MemoryPersistence() : new SqlitePersistence(config.dataDir);
  return new App(config, new Store(persistence), allProviders());
}

/** An app on any store: connects to PostgreSQL, migrates and loads, when config.store names it. */
export async function openApp(config: Config): Promise<App> {
  if (!config.store) return createApp(config);
  const { PostgresPersistence } = await import('./state/postgres.js');
  const persistence = await PostgresPersistence.open(config.store);
  return new App(config, new Store(persistence), allProviders());
}

export async function startServer(overrides: Partial<Config> = {}): Promise<RunningServer> {
  const config: Config = { ...defaultConfig(), ...overrides };
  const app = await openApp(config);
  const server = createHttpServer(app);
  const addr = await listen(server, config.port, config.host);
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    app,
    server,
    config,
    endpoint: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          Promise.resolve(app.store.persistence.close()).then(
            () => resolve(),
            () => resolve(),
          );
        });
      }),
  };
}

export { defaultConfig };
export type { Config };
