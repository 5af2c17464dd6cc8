/**
 * Reading an export folder: `<dir>/<region>/<command>.json`, the account in
 * `<dir>/get-caller-identity.json` (what `aws sts get-caller-identity` prints). Files are
 * recognised by the list they hold (`Vpcs`, `Subnets`, …), so Batfish's layout
 * (`<dir>/aws_configs/<region>/Vpcs.json`) reads as well; a JSON file whose shape is not one
 * of these is an error, a file that is absent is skipped.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isKnownRegion } from '../services/ec2/regions.js';
import { ACCOUNT, type ExportFile, ImportError, type Json, type RegionExport } from './context.js';

/** The lists an export may hold, by the top-level key of the describe-* output. */
export const LIST_KEYS: Record<string, string> = {
  Vpcs: 'describe-vpcs',
  Subnets: 'describe-subnets',
  RouteTables: 'describe-route-tables',
  SecurityGroups: 'describe-security-groups',
  SecurityGroupRules: 'describe-security-group-rules',
  NetworkAcls: 'describe-network-acls',
  NetworkInterfaces: 'describe-network-interfaces',
  Reservations: 'describe-instances',
  InternetGateways: 'describe-internet-gateways',
  EgressOnlyInternetGateways: 'describe-egress-only-internet-gateways',
  NatGateways: 'describe-nat-gateways',
  VpcPeeringConnections: 'describe-vpc-peering-connections',
  VpcEndpoints: 'describe-vpc-endpoints',
  VpnGateways: 'describe-vpn-gateways',
  VpnConnections: 'describe-vpn-connections',
  CustomerGateways: 'describe-customer-gateways',
  Addresses: 'describe-addresses',
  DhcpOptions: 'describe-dhcp-options',
  /** describe-managed-prefix-lists */
  PrefixLists: 'describe-managed-prefix-lists',
  /** describe-prefix-lists (AWS services' lists with their CIDRs): same key, told apart by shape. */
  AwsPrefixLists: 'describe-prefix-lists',
};

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const PREFIX_LIST_ENTRIES = /^get-managed-prefix-list-entries-(pl-[0-9a-f]+)\.json$/;
const VPC_ATTRIBUTES = ['EnableDnsSupport', 'EnableDnsHostnames', 'EnableNetworkAddressUsageMetrics'];

function readJson(path: string, name: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImportError(name, undefined, `unreadable (${(err as Error).message})`);
  }
  if (text.trim() === '') throw new ImportError(name, undefined, 'empty file');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ImportError(name, undefined, `not valid JSON (${(err as Error).message})`);
  }
}

/** The list a describe-* output holds (its key in LIST_KEYS), or an error for any other shape. */
function classify(file: ExportFile): { key: string } | { attribute: { vpcId: string; attribute: string; value: boolean } } | { entries: true } {
  const body = file.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ImportError(file.name, undefined, 'not the JSON object a describe-* command prints');
  }
  const keys = Object.keys(body).filter((k) => k !== 'NextToken' && k !== 'ResponseMetadata');
  if (typeof body.VpcId === 'string' && keys.length === 2) {
    const attribute = keys.find((k) => VPC_ATTRIBUTES.includes(k));
    const value = attribute ? body[attribute]?.Value : undefined;
    if (attribute && typeof value === 'boolean') return { attribute: { vpcId: body.VpcId, attribute, value } };
  }
  if (keys.length === 1 && keys[0] === 'Entries' && Array.isArray(body.Entries)) return { entries: true };
  if (keys.length !== 1) {
    throw new ImportError(file.name, undefined, `unknown JSON shape (top-level keys: ${keys.join(', ') || 'none'}); expected the output of one describe-* command`);
  }
  const key = keys[0]!;
  if (!Array.isArray(body[key])) throw new ImportError(file.name, undefined, `${key} must be a list`);
  if (key === 'PrefixLists') {
    // describe-prefix-lists items carry Cidrs; describe-managed-prefix-lists items an AddressFamily.
    const legacy = (body.PrefixLists as Json[]).some((p) => Array.isArray(p?.Cidrs));
    return { key: legacy ? 'AwsPrefixLists' : 'PrefixLists' };
  }
  if (!(key in LIST_KEYS) || key === 'AwsPrefixLists') {
    throw new ImportError(file.name, undefined, `unknown JSON shape: '${key}' is not a list vpcsim imports`);
  }
  return { key };
}

/** The account of the export: get-caller-identity.json (or account.json), else undefined. */
function exportAccount(dir: string, root: string): string | undefined {
  for (const name of ['get-caller-identity.json', 'account.json']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const rel = relative(root, path) || name;
    const body = readJson(path, rel);
    const account = typeof body === 'string' ? body : body?.Account ?? body?.AccountId;
    if (typeof account !== 'string' || !ACCOUNT.test(account)) {
      throw new ImportError(rel, undefined, 'must hold the 12-digit account ID ({"Account": "123456789012"})');
    }
    return account;
  }
  return undefined;
}

/** The first owner ID the region's files show (for exports without the account file). */
function ownerOf(files: Map<string, ExportFile[]>): string | undefined {
  for (const key of ['Vpcs', 'SecurityGroups', 'Subnets', 'NetworkInterfaces', 'RouteTables', 'NetworkAcls', 'Reservations']) {
    for (const f of files.get(key) ?? []) {
      for (const item of f.body[key] as Json[]) {
        const owner = item?.OwnerId;
        if (typeof owner === 'string' && ACCOUNT.test(owner)) return owner;
      }
    }
  }
  return undefined;
}

/** Reads every region folder of an export. `account` overrides the account file. */
export function readExport(root: string, account?: string): RegionExport[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ImportError(root, undefined, 'not a folder');
  let base = root;
  if (existsSync(join(root, 'aws_configs')) && statSync(join(root, 'aws_configs')).isDirectory()) base = join(root, 'aws_configs');
  const fileAccount = exportAccount(root, root) ?? (base !== root ? exportAccount(base, root) : undefined);
  const regions: RegionExport[] = [];
  for (const entry of readdirSync(base).sort()) {
    const dir = join(base, entry);
    if (!statSync(dir).isDirectory()) {
      if (entry.endsWith('.json') && entry !== 'get-caller-identity.json' && entry !== 'account.json') {
        throw new ImportError(relative(root, dir), undefined, 'outside a region folder: put each region\'s files in a folder named after the region (e.g. us-east-1/)');
      }
      continue;
    }
    const rel = relative(root, dir);
    if (!REGION.test(entry)) {
      throw new ImportError(rel, undefined, `not a region name (the export has one folder per region, e.g. us-east-1)`);
    }
    if (!isKnownRegion(entry)) throw new ImportError(rel, undefined, `'${entry}' is not a region vpcsim knows`);
    const files = new Map<string, ExportFile[]>();
    const prefixListEntries = new Map<string, ExportFile>();
    const attributes: Array<{ file: ExportFile; vpcId: string; attribute: string; value: boolean }> = [];
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.json')) continue;
      const relName = join(rel, name);
      const file: ExportFile = { name: relName, body: readJson(join(dir, name), relName) };
      const kind = classify(file);
      if ('entries' in kind) {
        const m = PREFIX_LIST_ENTRIES.exec(name);
        if (!m) throw new ImportError(relName, undefined, 'holds prefix list entries; name it get-managed-prefix-list-entries-<prefix-list-id>.json');
        prefixListEntries.set(m[1]!, file);
      } else if ('attribute' in kind) {
        attributes.push({ file, ...kind.attribute });
      } else {
        const list = files.get(kind.key) ?? [];
        list.push(file);
        files.set(kind.key, list);
      }
    }
    const owner = account ?? fileAccount ?? ownerOf(files);
    if (!owner) {
      if (files.size === 0) continue;
      throw new ImportError(rel, undefined, 'no account ID: add get-caller-identity.json (aws sts get-caller-identity) or pass --account');
    }
    const vpcAttributes = new Map<string, Array<{ file: ExportFile; attribute: string; value: boolean }>>();
    for (const a of attributes) {
      const list = vpcAttributes.get(a.vpcId) ?? [];
      list.push({ file: a.file, attribute: a.attribute, value: a.value });
      vpcAttributes.set(a.vpcId, list);
    }
    regions.push({ account: owner, region: entry, files, prefixListEntries, vpcAttributes });
  }
  if (regions.length === 0) throw new ImportError(root, undefined, 'holds no region folder with describe-*.json files');
  return regions;
}
