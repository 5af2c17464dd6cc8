/**
 * `vpcsim import <dir>…`: loads a real account's configuration (the JSON the AWS CLI's
 * describe-* commands print, one folder per region) into a data directory or PostgreSQL
 * store, offline: no server may be running on that store meanwhile.
 *
 * Exit status: 0 when imported, 1 when the export could not be imported (nothing written),
 * 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { applyEnv, applyStore, defaultConfig, parseAccount } from './config.js';
import { ImportError, importFolders } from './import/index.js';
import { openApp } from './index.js';

export const IMPORT_USAGE = `Usage: vpcsim import DIR [DIR…] [options]

  DIR                    an export: DIR/<region>/describe-*.json (see scripts/collect-aws-network.sh),
                         the account in DIR/get-caller-identity.json; several DIRs for several accounts
  --data-dir DIR         the data directory to write [VPCSIM_DATA_DIR] (default ~/.vpcsim)
  --store STORE          sqlite (in --data-dir) or postgres://… [VPCSIM_STORE]
  --replace              empty the accounts' regions the export covers first (else they must be empty)
  --check                check the export and print what would be imported; write nothing
  --account ID           the account, for exports without get-caller-identity.json
  --quiet                print nothing but errors

Stop any vpcsim server using the data directory first; start it again afterwards.
`;

export async function importCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let dirs: string[];
  let values: { 'data-dir'?: string; store?: string; replace?: boolean; check?: boolean; account?: string; quiet?: boolean; help?: boolean };
  const config = applyEnv(defaultConfig(), env);
  try {
    const parsed = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        replace: { type: 'boolean' },
        check: { type: 'boolean' },
        account: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    dirs = parsed.positionals;
    if (values.help) {
      console.log(IMPORT_USAGE);
      return 0;
    }
    if (dirs.length === 0) throw new Error('the export folder is missing.');
    if (values['data-dir']) config.dataDir = values['data-dir'];
    if (values.store) applyStore(config, values.store);
    if (config.inMemory && !config.store) throw new Error('an in-memory store would forget the import at once; use --data-dir or --store.');
    if (values.account) parseAccount(values.account);
  } catch (err) {
    console.error(`vpcsim import: ${err instanceof Error ? err.message : err}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  let app;
  try {
    app = await openApp(config);
  } catch (err) {
    console.error(`vpcsim import: cannot open the store: ${err instanceof Error ? err.message : err}`);
    return 1;
  }
  try {
    const result = await app.exclusive(() =>
      importFolders(app, dirs, { replace: values.replace === true, check: values.check === true, account: values.account }),
    );
    if (!values.quiet) {
      for (const w of result.warnings) console.error(`warning: ${w}`);
      for (const s of result.scopes) {
        const counts = Object.entries(s.counts).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`);
        console.log(`${values.check ? 'would import' : 'imported'} account ${s.account} ${s.region}: ${counts.join(', ') || 'nothing'}`);
      }
      const where = config.store ? 'the PostgreSQL store' : config.dataDir;
      if (values.check) console.log('checked: nothing was written');
      else console.log(`state written to ${where}; start it with: vpcsim serve${config.store ? ' --store …' : ` --data-dir ${config.dataDir}`}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ImportError) console.error(`vpcsim import: ${err.message}\nnothing was imported.`);
    else console.error(`vpcsim import: ${err instanceof Error ? (err.stack ?? err.message) : err}\nnothing was imported.`);
    return 1;
  } finally {
    await app.store.persistence.close();
  }
}
