/**
 * Server configuration: defaults, then environment variables, then command-line flags.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Quotas {
  vpcsPerRegion: number;
  subnetsPerVpc: number;
  cidrBlocksPerVpc: number;
  ipv6CidrBlocksPerVpc: number;
  internetGatewaysPerRegion: number;
  egressOnlyInternetGatewaysPerRegion: number;
  elasticIpsPerRegion: number;
  routeTablesPerVpc: number;
  routesPerRouteTable: number;
  dhcpOptionsSetsPerRegion: number;
  tagsPerResource: number;
  securityGroupsPerInterface: number;
  securityGroupsPerRegion: number;
  /** Inbound or outbound rules per security group (each direction; IPv4 and IPv6 counted apart). */
  rulesPerSecurityGroup: number;
  networkAclsPerVpc: number;
  networkAclEntriesPerDirection: number;
  activeVpcPeeringConnectionsPerVpc: number;
  outstandingVpcPeeringConnectionsPerVpc: number;
  customerGatewaysPerRegion: number;
  vpnGatewaysPerRegion: number;
  vpnConnectionsPerRegion: number;
  vpnConnectionsPerVpnGateway: number;
  natGatewaysPerAz: number;
  /** Elastic IPs (primary and secondary) per public NAT gateway; AWS allows raising it up to 8. */
  elasticIpsPerNatGateway: number;
  gatewayEndpointsPerRegion: number;
  /** Interface (and Gateway Load Balancer) endpoints per VPC. */
  interfaceEndpointsPerVpc: number;
  /** Customer-managed prefix lists per region. */
  prefixListsPerRegion: number;
  /** Largest MaxEntries a prefix list may have. */
  entriesPerPrefixList: number;
  /** Findings one Network Access Scope analysis may hold before it stops (failed: narrow the scope). */
  findingsPerAccessScopeAnalysis: number;
  /** Milliseconds one Network Access Scope analysis may take before it stops (failed: narrow the scope). */
  accessScopeAnalysisMs: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  vpcsPerRegion: 5,
  subnetsPerVpc: 200,
  cidrBlocksPerVpc: 5,
  ipv6CidrBlocksPerVpc: 5,
  internetGatewaysPerRegion: 5,
  egressOnlyInternetGatewaysPerRegion: 5,
  elasticIpsPerRegion: 5,
  routeTablesPerVpc: 200,
  routesPerRouteTable: 50,
  dhcpOptionsSetsPerRegion: 1000,
  tagsPerResource: 50,
  securityGroupsPerInterface: 5,
  securityGroupsPerRegion: 2500,
  rulesPerSecurityGroup: 60,
  networkAclsPerVpc: 200,
  networkAclEntriesPerDirection: 20,
  activeVpcPeeringConnectionsPerVpc: 50,
  outstandingVpcPeeringConnectionsPerVpc: 25,
  customerGatewaysPerRegion: 50,
  vpnGatewaysPerRegion: 5,
  vpnConnectionsPerRegion: 50,
  vpnConnectionsPerVpnGateway: 10,
  natGatewaysPerAz: 5,
  elasticIpsPerNatGateway: 2,
  gatewayEndpointsPerRegion: 20,
  interfaceEndpointsPerVpc: 50,
  prefixListsPerRegion: 100,
  entriesPerPrefixList: 1000,
  findingsPerAccessScopeAnalysis: 10000,
  accessScopeAnalysisMs: 2000,
};

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  inMemory: boolean;
  /**
   * A PostgreSQL URL (`postgres://user:password@host:port/database`): state lives there, and
   * several vpcsim servers may share it. Unset: SQLite in dataDir (or memory with inMemory).
   */
  store?: string;
  accountId: string;
  defaultRegion: string;
  quotas: Quotas;
  /** Public IPv4 ranges Elastic and auto-assigned public addresses come from. */
  publicIpPool: string[];
  /** Largest accepted request body, bytes. */
  maxBodyBytes: number;
  /** Print one line per request. */
  logRequests: boolean;
  /** How long instance state changes (pending, stopping, shutting-down) take, milliseconds. */
  stateTransitionMs: number;
  /**
   * "none": any access key is accepted (a 12-digit key is the account, a key listed in
   * `credentials` maps to its account). "sigv4": every request must be signed (AWS Signature
   * Version 4) with one of `credentials`, whose account it then acts in.
   */
  auth: AuthMode;
  /** Access keys, their secrets and accounts (`--credentials FILE`). */
  credentials: Credential[];
}

export type AuthMode = 'none' | 'sigv4';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** The 12-digit account the key acts in. */
  accountId: string;
  /** For temporary credentials: requests must carry this X-Amz-Security-Token. */
  sessionToken?: string;
  /** May call vpcsim's own state-changing endpoints (/moto-api/reset) in sigv4 mode. */
  admin?: boolean;
}

export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: 4566,
    dataDir: join(homedir(), '.vpcsim'),
    inMemory: false,
    accountId: '000000000000',
    defaultRegion: 'us-east-1',
    quotas: { ...DEFAULT_QUOTAS },
    // RFC 5737 documentation ranges: never real hosts.
    publicIpPool: ['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/24'],
    maxBodyBytes: 10 * 1024 * 1024,
    logRequests: false,
    stateTransitionMs: 1000,
    auth: 'none',
    credentials: [],
  };
}

const QUOTA_ENV_PREFIX = 'VPCSIM_QUOTA_';

function quotaEnvName(key: string): string {
  return QUOTA_ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Applies VPCSIM_* environment variables to a config. */
export function applyEnv(config: Config, env: NodeJS.ProcessEnv): Config {
  if (env.VPCSIM_HOST) config.host = env.VPCSIM_HOST;
  if (env.VPCSIM_PORT) config.port = parsePort(env.VPCSIM_PORT);
  if (env.VPCSIM_DATA_DIR) config.dataDir = env.VPCSIM_DATA_DIR;
  if (env.VPCSIM_IN_MEMORY) config.inMemory = /^(1|true|yes)$/i.test(env.VPCSIM_IN_MEMORY);
  if (env.VPCSIM_STORE) applyStore(config, env.VPCSIM_STORE);
  if (env.VPCSIM_ACCOUNT_ID) config.accountId = parseAccount(env.VPCSIM_ACCOUNT_ID);
  if (env.VPCSIM_REGION) config.defaultRegion = env.VPCSIM_REGION;
  if (env.VPCSIM_PUBLIC_IP_POOL) config.publicIpPool = env.VPCSIM_PUBLIC_IP_POOL.split(',').map((s) => s.trim());
  if (env.VPCSIM_LOG_REQUESTS) config.logRequests = /^(1|true|yes)$/i.test(env.VPCSIM_LOG_REQUESTS);
  if (env.VPCSIM_STATE_TRANSITION_MS) config.stateTransitionMs = parsePositive(env.VPCSIM_STATE_TRANSITION_MS, 'VPCSIM_STATE_TRANSITION_MS');
  if (env.VPCSIM_AUTH) config.auth = parseAuthMode(env.VPCSIM_AUTH);
  if (env.VPCSIM_CREDENTIALS) config.credentials = loadCredentials(env.VPCSIM_CREDENTIALS);
  for (const key of Object.keys(config.quotas) as Array<keyof Quotas>) {
    const v = env[quotaEnvName(key)];
    if (v !== undefined) config.quotas[key] = parsePositive(v, quotaEnvName(key));
  }
  return config;
}

/** `--quota vpcsPerRegion=10` style overrides. */
export function applyQuota(config: Config, spec: string): void {
  const [key, value] = spec.split('=');
  if (!key || value === undefined || !(key in config.quotas)) {
    throw new Error(`unknown quota '${spec}'; known: ${Object.keys(config.quotas).join(', ')}`);
  }
  config.quotas[key as keyof Quotas] = parsePositive(value, key);
}

/**
 * `--store`: `sqlite` (the default, in the data directory), `memory`, or a PostgreSQL URL
 * (`postgres://` or `postgresql://`).
 */
export function applyStore(config: Config, v: string): void {
  if (/^postgres(ql)?:\/\//i.test(v)) {
    config.store = v;
    config.inMemory = false;
  } else if (v === 'sqlite') {
    config.store = undefined;
    config.inMemory = false;
  } else if (v === 'memory') {
    config.store = undefined;
    config.inMemory = true;
  } else {
    throw new Error(`invalid store '${v.replace(/\/\/[^@/]*@/, '//…@')}': sqlite, memory or postgres://user:password@host:port/database expected`);
  }
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port '${v}'`);
  return n;
}

export function parseAccount(v: string): string {
  if (!/^\d{12}$/.test(v)) throw new Error(`invalid account id '${v}': 12 digits expected`);
  return v;
}

function parsePositive(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid value '${v}' for ${name}`);
  return n;
}

export function parseAuthMode(v: string): AuthMode {
  if (v === 'none' || v === 'sigv4') return v;
  throw new Error(`invalid auth mode '${v}': none or sigv4 expected`);
}

/**
 * Checks a parsed credentials document: a JSON list of
 * {accessKeyId, secretAccessKey, accountId, sessionToken?, admin?}.
 */
export function parseCredentials(value: unknown, source = 'credentials'): Credential[] {
  if (!Array.isArray(value)) throw new Error(`${source}: a JSON list of {accessKeyId, secretAccessKey, accountId} expected`);
  const seen = new Set<string>();
  return value.map((item, i) => {
    const where = `${source}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`${where}: an object expected`);
    const o = item as Record<string, unknown>;
    const known = new Set(['accessKeyId', 'secretAccessKey', 'accountId', 'sessionToken', 'admin']);
    for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`${where}: unknown field '${k}'`);
    const str = (k: string, optional = false): string | undefined => {
      const v = o[k];
      if (v === undefined && optional) return undefined;
      if (typeof v !== 'string' || v === '') throw new Error(`${where}: '${k}' must be a non-empty string`);
      return v;
    };
    const accessKeyId = str('accessKeyId')!;
    if (!/^[\w]{3,128}$/.test(accessKeyId)) throw new Error(`${where}: invalid accessKeyId '${accessKeyId}'`);
    if (seen.has(accessKeyId)) throw new Error(`${where}: accessKeyId '${accessKeyId}' is listed twice`);
    seen.add(accessKeyId);
    const accountId = str('accountId')!;
    if (!/^\d{12}$/.test(accountId)) throw new Error(`${where}: invalid accountId '${accountId}': 12 digits expected`);
    if (o.admin !== undefined && typeof o.admin !== 'boolean') throw new Error(`${where}: 'admin' must be true or false`);
    const cred: Credential = { accessKeyId, secretAccessKey: str('secretAccessKey')!, accountId };
    const token = str('sessionToken', true);
    if (token !== undefined) cred.sessionToken = token;
    if (o.admin === true) cred.admin = true;
    return cred;
  });
}

/** Reads a credentials file (see parseCredentials). */
export function loadCredentials(path: string): Credential[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read credentials file '${path}': ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`credentials file '${path}' is not valid JSON: ${(err as Error).message}`);
  }
  return parseCredentials(value, path);
}

/** sigv4 mode needs at least one credential to accept anything. */
export function checkAuthConfig(config: Pick<Config, 'auth' | 'credentials'>): void {
  if (config.auth === 'sigv4' && config.credentials.length === 0) {
    throw new Error('--auth sigv4 needs credentials: --credentials FILE (or VPCSIM_CREDENTIALS)');
  }
}

export { quotaEnvName };
