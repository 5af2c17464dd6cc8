/** What the benchmarks measure with: CPU time, heap, a forced collection, in-process API calls. */
import type { App } from '../src/server/app.js';

/** CPU seconds this process has used (user + system): fair on a shared machine. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A full collection, when node runs with --expose-gc (twice: finalizers free more). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

export const heapMiB = (): number => process.memoryUsage().heapUsed / 1048576;

let calls = 0;

/** One operation through the app, in-process, as a caller of `account` in `region`. */
export function invoke<T = Record<string, unknown>>(app: App, provider: string, op: string, input: Record<string, unknown>, account: string, region: string): T {
  const p = app.providers.get(provider)!;
  return app.invoke(p, op, input, { accessKeyId: 'bench', account, region }, `bench-${++calls}`) as T;
}
