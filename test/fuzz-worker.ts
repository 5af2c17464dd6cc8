/**
 * A vpcsim server in a worker thread, for the fuzz test: the test's own thread stays free to
 * time out a request that never finishes (even one that keeps the server's thread busy),
 * and a crash of the server shows as the worker's exit. On request it runs the state
 * integrity check and reports how many requests reached an operation handler.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startServer } from '../src/index.js';
import { checkIntegrity } from './integrity.js';

export interface WorkerStats {
  /** Calls that reached an operation handler, by "service.Operation". */
  handlerCalls: Record<string, number>;
  problems: string[];
}

const overrides = (workerData ?? {}) as { maxBodyBytes?: number };
const running = await startServer({ port: 0, host: '127.0.0.1', inMemory: true, ...overrides });

const handlerCalls: Record<string, number> = {};
for (const provider of running.app.providers.values()) {
  for (const [op, handler] of Object.entries(provider.handlers)) {
    const key = `${provider.name}.${op}`;
    provider.handlers[op] = (ctx, input) => {
      handlerCalls[key] = (handlerCalls[key] ?? 0) + 1;
      return handler(ctx, input);
    };
  }
}

parentPort!.on('message', (msg: { type: string }) => {
  if (msg.type === 'stats') {
    const stats: WorkerStats = { handlerCalls, problems: checkIntegrity(running.app.store) };
    parentPort!.postMessage({ type: 'stats', stats });
  } else if (msg.type === 'close') {
    void running.close().then(() => parentPort!.postMessage({ type: 'closed' }));
  }
});
parentPort!.postMessage({ type: 'ready', endpoint: running.endpoint });
