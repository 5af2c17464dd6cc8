/**
 * `npm test`: runs the whole suite with Node's test runner — once with the servers on the
 * default stores (in memory, SQLite), and, when VPCSIM_TEST_POSTGRES_URL is set, once more
 * with every test server on its own PostgreSQL database (VPCSIM_TEST_STORE=postgres). The
 * second run leaves out what the store cannot change: tests that start no server, and the
 * end-to-end tests whose subject is a client (the AWS CLI, the browser) rather than the state.
 * Each run prints the runner's own report and summary; the last line adds them up. Exits
 * non-zero when any run fails.
 *
 *   node dist/scripts/run-tests.js [test files…]   (default: every dist/test/*.test.js)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const testDir = join(here, '..', 'test');

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(testDir)
      .filter((f) => f.endsWith('.test.js'))
      .sort()
      .map((f) => join(testDir, f));

interface Totals {
  pass: number;
  fail: number;
  skipped: number;
  cancelled: number;
  todo: number;
}

/** Run once only (see above). */
const STORE_INDEPENDENT = new Set([
  'docs.test.js',
  'engine-exposure.test.js',
  'engine-symbolic.test.js',
  'engine-unit.test.js',
  'flow-log-records.test.js',
  'logs-filter-pattern.test.js',
  'store.test.js',
  'traffic-equivalence.test.js',
  'cli-e2e.test.js',
  'cli-e2e-connectivity.test.js',
  'cli-e2e-security.test.js',
  'cli-e2e-traffic.test.js',
  'console.test.js',
  // Servers of their own on SQLite data directories, whatever the test store.
  'traffic-restart.test.js',
]);

const runs: { name: string; env: NodeJS.ProcessEnv; files: string[] }[] = [{ name: 'default stores (in memory, SQLite)', env: { VPCSIM_TEST_STORE: '' }, files }];
if (process.env.VPCSIM_TEST_POSTGRES_URL) {
  const storeFiles = files.filter((f) => !STORE_INDEPENDENT.has(f.slice(f.lastIndexOf('/') + 1)));
  runs.push({ name: `PostgreSQL (VPCSIM_TEST_STORE=postgres), ${storeFiles.length} of ${files.length} files`, env: { VPCSIM_TEST_STORE: 'postgres' }, files: storeFiles });
} else {
  console.log('VPCSIM_TEST_POSTGRES_URL is not set: the suite runs once, without PostgreSQL.');
}

const total: Totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
let failed = false;
const work = mkdtempSync(join(tmpdir(), 'vpcsim-test-run-'));
try {
  runs.forEach((run, i) => {
    console.log(`\n=== test run ${i + 1}/${runs.length}: ${run.name} ===\n`);
    const tap = join(work, `run-${i}.tap`);
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        '--test',
        '--test-concurrency=2',
        // What Node shows by default, and a TAP copy to add the runs up.
        `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tap}`,
        ...run.files,
      ],
      { stdio: 'inherit', env: { ...process.env, ...run.env } },
    );
    let counts: Partial<Totals> = {};
    try {
      const text = readFileSync(tap, 'utf8');
      for (const key of Object.keys(total) as (keyof Totals)[]) {
        const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text);
        if (m) counts[key] = Number(m[1]);
      }
    } catch {
      counts = {};
    }
    for (const key of Object.keys(total) as (keyof Totals)[]) total[key] += counts[key] ?? 0;
    const ok = r.status === 0 && counts.pass !== undefined;
    if (!ok) failed = true;
    console.log(
      `\n=== test run ${i + 1}/${runs.length} (${run.name}): ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s ===`,
    );
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failed && total.fail === 0) total.fail = 1; // a run that died without a summary still fails
console.log(`total: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(failed ? 1 : 0);
