/**
 * `vpcsim import`: a real account's configuration, as the AWS CLI's describe-* commands print
 * it (one folder per region), written into the store as the EC2 families' own records — same
 * IDs, owners, tags and states — so that the API, `vpcsim trace` and the Reachability
 * Analyzer work on it. Everything is written in one transaction: a file that cannot be
 * imported is reported (file and item) and nothing is written.
 *
 * Imported scopes are marked initialised, so the server does not add a default VPC of its
 * own on the first request: the account has the default VPC the export shows, or none.
 */
import type { Config } from '../config.js';
import type { Store } from '../state/store.js';
import { scopeKey } from '../state/store.js';
import { ImportError, type ImportRun, type RegionExport, ScopeImport } from './context.js';
import { importAddresses, checkAttachments, importInstances, importNetworkInterfaces } from './interfaces.js';
import { importNatGateways, importPeerings, importPrefixLists, importVpcEndpoints, importVpn } from './gateways.js';
import {
  completeVpcs,
  countSubnetAddresses,
  importDhcpOptions,
  importInternetGateways,
  importNetworkAcls,
  importRouteTables,
  importSubnets,
  importVpcs,
  mapAwsPrefixLists,
} from './network.js';
import { readExport } from './read.js';
import { importSecurityGroups } from './security-groups.js';

export { ImportError } from './context.js';
export { readExport, LIST_KEYS } from './read.js';

/** What the app's scope initialisation looks for (server/app.ts). */
const INIT_KIND = '_meta';
const INIT_ID = 'initialized';
const GLOBAL = 'global/global';

export interface ImportOptions {
  /** Empty the account/region scopes the export covers before writing (else they must be empty). */
  replace?: boolean;
  /** The account the export belongs to, when it has no get-caller-identity.json. */
  account?: string;
  /** The import's time (deleted resources stay visible as long after it as AWS shows them). */
  now?: Date;
  /** Check the export and report what would be imported, writing nothing. */
  check?: boolean;
}

export interface ImportedScope {
  account: string;
  region: string;
  /** Records written, by kind. */
  counts: Record<string, number>;
}

export interface ImportResult {
  scopes: ImportedScope[];
  warnings: string[];
}

/** The (kind, id) pairs of one scope of the store. */
function scopeRecords(store: Store, scope: string): Array<[string, string]> {
  // The store keeps scope → kind → id → record; its kinds are not listed anywhere else.
  const scopes = (store as unknown as { scopes: Map<string, Map<string, Map<string, unknown>>> }).scopes;
  const out: Array<[string, string]> = [];
  for (const [kind, ids] of scopes.get(scope) ?? []) for (const id of ids.keys()) out.push([kind, id]);
  return out;
}

function importScope(s: ScopeImport): void {
  mapAwsPrefixLists(s);
  importPrefixLists(s);
  importDhcpOptions(s);
  importVpcs(s);
  importSubnets(s);
  importSecurityGroups(s);
  importRouteTables(s);
  importNetworkAcls(s);
  importInternetGateways(s);
  importVpn(s);
  importNetworkInterfaces(s);
  importInstances(s);
  checkAttachments(s);
  importNatGateways(s);
  importAddresses(s);
  importVpcEndpoints(s);
  importPeerings(s);
  completeVpcs(s);
  countSubnetAddresses(s);
}

/** Imports already-read exports into the store, in one transaction. */
export function importRegions(app: { store: Store; config: Config }, regions: RegionExport[], opts: ImportOptions = {}): ImportResult {
  const seen = new Set<string>();
  for (const r of regions) {
    const scope = scopeKey(r.account, r.region);
    if (seen.has(scope)) throw new ImportError(r.region, undefined, `account ${r.account} in ${r.region} appears twice in the import`);
    seen.add(scope);
    if (!opts.replace && app.store.scopeNames().includes(scope)) {
      throw new ImportError(
        r.region,
        undefined,
        `account ${r.account} in ${r.region} already has state in this store; pass --replace to overwrite it`,
      );
    }
  }
  const tx = app.store.begin();
  const run: ImportRun = { tx, config: app.config, now: opts.now ?? new Date(), warnings: [] };
  try {
    if (opts.replace) {
      for (const scope of seen) for (const [kind, id] of scopeRecords(app.store, scope)) tx.delete(scope, kind, id);
      // What the replaced scopes held in the global registries.
      for (const [kind, id] of scopeRecords(app.store, GLOBAL)) {
        const rec = tx.get<Record<string, unknown>>(GLOBAL, kind, id);
        const ends =
          kind === 'public-ip'
            ? [rec as { account: string; region: string }]
            : kind === 'vpc-peering-connection'
              ? [rec?._requester as { account: string; region: string }, rec?._accepter as { account: string; region: string }]
              : [];
        if (ends.some((e) => e && seen.has(scopeKey(e.account, e.region)))) tx.delete(GLOBAL, kind, id);
      }
    }
    const scopes: ScopeImport[] = regions.map((r) => new ScopeImport(run, r));
    for (const s of scopes) {
      importScope(s);
      s.state.put(INIT_KIND, INIT_ID, { at: run.now.toISOString(), imported: true });
    }
    const result: ImportResult = {
      warnings: run.warnings,
      scopes: scopes.map((s) => {
        const counts: Record<string, number> = {};
        for (const kind of KINDS) {
          const n = tx.list(s.state.scope, kind).length;
          if (n) counts[kind] = n;
        }
        return { account: s.account, region: s.region, counts };
      }),
    };
    if (opts.check) tx.rollback();
    else tx.commit();
    return result;
  } catch (err) {
    tx.rollback();
    throw err;
  }
}

/** Kinds reported in the summary. */
const KINDS = [
  'vpc',
  'subnet',
  'route-table',
  'network-acl',
  'security-group',
  'security-group-rule',
  'network-interface',
  'instance',
  'internet-gateway',
  'egress-only-internet-gateway',
  'nat-gateway',
  'elastic-ip',
  'vpc-peering-connection',
  'vpc-endpoint',
  'vpn-gateway',
  'customer-gateway',
  'vpn-connection',
  'prefix-list',
  'dhcp-options',
];

/** Reads the export folders and imports them (see importRegions). */
export function importFolders(app: { store: Store; config: Config }, dirs: string[], opts: ImportOptions = {}): ImportResult {
  const regions = dirs.flatMap((d) => readExport(d, opts.account));
  return importRegions(app, regions, opts);
}

/** Reads export folders now, to import them later (serve --import: the files are checked before the server starts). */
export function readAll(dirs: string[], account?: string): { run(app: { store: Store; config: Config }, opts?: ImportOptions): ImportResult } {
  const regions = dirs.flatMap((d) => readExport(d, account));
  return { run: (app, opts = {}) => importRegions(app, regions, opts) };
}
