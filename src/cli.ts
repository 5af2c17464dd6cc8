/**
 * The `vpcsim` command.
 */
import { parseArgs } from 'node:util';
import { applyEnv, applyQuota, applyStore, checkAuthConfig, defaultConfig, loadCredentials, parseAccount, parseAuthMode, parsePort } from './config.js';
import { startServer } from './index.js';
import { VERSION } from './version.js';
import { traceCommand } from './cli-trace.js';
import { exposureCommand } from './cli-exposure.js';
import { trafficCommand } from './cli-traffic.js';
import { importCommand } from './cli-import.js';

const USAGE = `vpcsim ${VERSION} — Amazon VPC on your own machine

Usage:
  vpcsim serve [options]     start the AWS-compatible endpoint (default http://127.0.0.1:4566)
  vpcsim trace --from SRC --to DST --protocol tcp --port N
                             where a packet goes and why, hop by hop (vpcsim trace --help)
  vpcsim exposure [--vpc VPC]
                             which interfaces the internet reaches, on which ports (vpcsim exposure --help)
  vpcsim traffic --from SRC --to DST --port N | --scenario FILE | flush | clock --advance 10m
                             simulated traffic, recorded by flow logs (vpcsim traffic --help)
  vpcsim import DIR [--data-dir D | --store URL] [--replace]
                             load a real account's describe-* JSON export (vpcsim import --help)
  vpcsim --version           print the version
  vpcsim help                print this help

Options for serve (environment variable in brackets):
  --host HOST            address to listen on [VPCSIM_HOST] (default 127.0.0.1)
  --port PORT            port to listen on [VPCSIM_PORT] (default 4566)
  --data-dir DIR         where state is kept (SQLite) [VPCSIM_DATA_DIR] (default ~/.vpcsim)
  --in-memory            keep state in memory only; nothing is written [VPCSIM_IN_MEMORY=1]
  --store STORE          sqlite (default, in --data-dir), memory, or postgres://user:password@host:port/db:
                         PostgreSQL, which several vpcsim servers may share [VPCSIM_STORE]
  --account-id ID        account for access keys that are not 12 digits [VPCSIM_ACCOUNT_ID] (default 000000000000)
  --region REGION        region for unsigned requests [VPCSIM_REGION] (default us-east-1)
  --quota NAME=N         override a quota, e.g. --quota vpcsPerRegion=10 [VPCSIM_QUOTA_VPCS_PER_REGION=10]
  --log-requests         print one line per request [VPCSIM_LOG_REQUESTS=1]
  --auth MODE            none: accept any access key (default); sigv4: verify AWS Signature Version 4
                         on every request against --credentials [VPCSIM_AUTH]
  --credentials FILE     JSON list of {accessKeyId, secretAccessKey, accountId, sessionToken?, admin?}:
                         each key acts in its account; admin keys may reset state [VPCSIM_CREDENTIALS]
  --import DIR           load a real account's export (see vpcsim import) before serving; it replaces
                         the state of the accounts and regions it covers (repeatable)
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v' || command === 'version') {
    console.log(VERSION);
    return;
  }
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  if (command === 'trace') {
    process.exitCode = await traceCommand(rest);
    return;
  }
  if (command === 'exposure') {
    process.exitCode = await exposureCommand(rest);
    return;
  }
  if (command === 'import') {
    process.exitCode = await importCommand(rest);
    return;
  }
  if (command === 'traffic') {
    process.exitCode = await trafficCommand(rest);
    return;
  }
  if (command !== 'serve') throw new Error(`unknown command '${command}'\n\n${USAGE}`);

  const { values } = parseArgs({
    args: rest,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean' },
      store: { type: 'string' },
      'account-id': { type: 'string' },
      region: { type: 'string' },
      quota: { type: 'string', multiple: true },
      'log-requests': { type: 'boolean' },
      auth: { type: 'string' },
      credentials: { type: 'string' },
      import: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const config = applyEnv(defaultConfig(), process.env);
  if (values.host) config.host = values.host;
  if (values.port) config.port = parsePort(values.port);
  if (values['data-dir']) config.dataDir = values['data-dir'];
  if (values.store) applyStore(config, values.store);
  if (values['in-memory']) {
    if (config.store) throw new Error('--in-memory and a PostgreSQL --store exclude each other');
    config.inMemory = true;
  }
  if (values['account-id']) config.accountId = parseAccount(values['account-id']);
  if (values.region) config.defaultRegion = values.region;
  for (const q of values.quota ?? []) applyQuota(config, q);
  if (values['log-requests']) config.logRequests = true;
  if (values.auth) config.auth = parseAuthMode(values.auth);
  if (values.credentials) config.credentials = loadCredentials(values.credentials);
  checkAuthConfig(config);

  // An export to load: read (and its files checked) before the server starts.
  const imports = values.import?.length ? (await import('./import/index.js')).readAll(values.import) : undefined;
  const running = await startServer(config);
  if (imports) {
    try {
      const result = await running.app.exclusive(() => imports.run(running.app, { replace: true }));
      for (const w of result.warnings) console.error(`warning: ${w}`);
      for (const s of result.scopes) console.log(`imported account ${s.account} ${s.region}`);
    } catch (err) {
      await running.close();
      throw new Error(`vpcsim import: ${err instanceof Error ? err.message : err}`);
    }
  }
  const where = config.store
    ? `state in PostgreSQL ${(await import('./state/postgres.js')).redactUrl(config.store)}`
    : config.inMemory
      ? 'in-memory state'
      : `state in ${config.dataDir}`;
  console.log(
    `vpcsim ${VERSION} listening on ${running.endpoint} ` +
      `(${where}, ` +
      (config.auth === 'sigv4'
        ? `SigV4 required, ${config.credentials.length} access key${config.credentials.length === 1 ? '' : 's'})`
        : `account ${config.accountId})`),
  );
  const stop = () => {
    running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
