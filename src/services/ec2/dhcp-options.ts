/**
 * DHCP options sets: the region's default set, custom sets, association with VPCs.
 *
 * A VPC's DhcpOptionsId is a set's ID, or "default" when no set is associated (what
 * AssociateDhcpOptions with DhcpOptionsId=default does). The region's default set is an
 * ordinary set apart from being created automatically: it can be deleted once unused, and
 * VPCs created after that get no set ("default").
 */
import type {
  AssociateDhcpOptionsRequest,
  CreateDhcpOptionsRequest,
  CreateDhcpOptionsResult,
  DeleteDhcpOptionsRequest,
  DescribeDhcpOptionsRequest,
  DescribeDhcpOptionsResult,
  DhcpConfiguration,
  DhcpOptions,
  NewDhcpConfiguration,
} from '@aws-sdk/client-ec2';
import { isIP } from 'node:net';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';

export interface DhcpOptionsRecord extends DhcpOptions {
  DhcpOptionsId: string;
  /** True for the set AWS creates for each region. */
  _default?: boolean;
}

const KIND = 'dhcp-options';
/** Per-region bookkeeping: whether the region's default set was deleted. */
const STATE_KIND = 'dhcp-options-state';
const STATE_ID = 'default-set';

/** The DhcpOptionsId of a VPC with no DHCP options set. */
export const NO_DHCP_OPTIONS = 'default';

/** The domain name AWS's default set hands out in a region. */
export function defaultDomainName(region: string): string {
  return region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
}

/**
 * The region's default DHCP options set, created on first use; "default" (no set) once
 * that set has been deleted.
 */
export function defaultDhcpOptionsId(ctx: RequestContext): string {
  const existing = ctx.state.list<DhcpOptionsRecord>(KIND).find((d) => d._default);
  if (existing) return existing.DhcpOptionsId;
  if (ctx.state.get<{ deleted?: boolean }>(STATE_KIND, STATE_ID)?.deleted) return NO_DHCP_OPTIONS;
  const rec: DhcpOptionsRecord = {
    DhcpOptionsId: newId('dopt'),
    OwnerId: ctx.account,
    DhcpConfigurations: [
      { Key: 'domain-name', Values: [{ Value: defaultDomainName(ctx.region) }] },
      { Key: 'domain-name-servers', Values: [{ Value: 'AmazonProvidedDNS' }] },
    ],
    _default: true,
  };
  ctx.state.put(KIND, rec.DhcpOptionsId, rec);
  return rec.DhcpOptionsId;
}

function dhcpView(d: Readonly<DhcpOptionsRecord>): DhcpOptions {
  return { DhcpConfigurations: d.DhcpConfigurations, DhcpOptionsId: d.DhcpOptionsId, OwnerId: d.OwnerId, Tags: d.Tags };
}

function invalid(key: string, value: string, why: string): ApiError {
  return new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${key} is invalid. ${why}`);
}

/** Server lists accept several values, and also comma-separated values within one value. */
function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim());
}

const DOMAIN_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9.])?$/;

/** Checks one DHCP option and returns its values as AWS stores them. */
function validateOption(key: string, raw: string[]): string[] {
  if (raw.length === 0 || raw.some((v) => v === '')) {
    throw new ApiError('InvalidParameterValue', `Value for parameter ${key} must not be empty.`);
  }
  switch (key) {
    case 'domain-name': {
      if (raw.length > 1) throw invalid(key, raw.join(','), 'Only one value may be specified.');
      const value = raw[0]!;
      const names = value.split(' ').filter(Boolean);
      if (value.length > 255 || names.length === 0 || names.some((n) => !DOMAIN_NAME.test(n) || n.includes('..'))) {
        throw invalid(key, value, 'It is not a valid domain name.');
      }
      return [value];
    }
    case 'domain-name-servers': {
      const values = splitList(raw);
      if (values.length > 4) throw invalid(key, values.join(','), 'At most 4 domain name servers may be specified.');
      for (const v of values) {
        if (v !== 'AmazonProvidedDNS' && !isIP(v)) throw invalid(key, v, 'It must be an IP address or AmazonProvidedDNS.');
      }
      return values;
    }
    case 'ntp-servers': {
      const values = splitList(raw);
      for (const v of values) if (!isIP(v)) throw invalid(key, v, 'It must be an IP address.');
      const v4 = values.filter((v) => isIP(v) === 4).length;
      const v6 = values.length - v4;
      if (v4 > 4 || v6 > 4) {
        throw invalid(key, values.join(','), 'At most 4 IPv4 and 4 IPv6 NTP servers may be specified.');
      }
      return values;
    }
    case 'netbios-name-servers': {
      const values = splitList(raw);
      if (values.length > 4) throw invalid(key, values.join(','), 'At most 4 NetBIOS name servers may be specified.');
      for (const v of values) if (isIP(v) !== 4) throw invalid(key, v, 'It must be an IPv4 address.');
      return values;
    }
    case 'netbios-node-type': {
      if (raw.length > 1 || !['1', '2', '4', '8'].includes(raw[0]!)) {
        throw invalid(key, raw.join(','), 'Valid values: 1, 2, 4, 8.');
      }
      return raw;
    }
    case 'ipv6-address-preferred-lease-time': {
      const v = raw[0]!;
      const n = Number(v);
      if (raw.length > 1 || !/^\d+$/.test(v) || n < 140 || n > 2147483647) {
        throw invalid(key, raw.join(','), 'It must be a number of seconds between 140 and 2147483647.');
      }
      return [String(n)];
    }
    default:
      throw new ApiError('InvalidParameterValue', `Value (${key}) for parameter Key is invalid. Unknown DHCP option.`);
  }
}

function buildConfigurations(input: NewDhcpConfiguration[] | undefined): DhcpConfiguration[] {
  const configs = input ?? [];
  if (configs.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter DhcpConfiguration');
  const out: DhcpConfiguration[] = [];
  const seen = new Set<string>();
  for (const c of configs) {
    const key = c.Key;
    if (!key) throw new ApiError('MissingParameter', 'The request must contain the parameter DhcpConfiguration.Key');
    if (seen.has(key)) throw new ApiError('InvalidParameterValue', `The DHCP option '${key}' is specified more than once.`);
    seen.add(key);
    const values = validateOption(key, c.Values ?? []);
    out.push({ Key: key, Values: values.map((Value) => ({ Value })) });
  }
  return out;
}

export function createDhcpOptions(ctx: RequestContext, input: CreateDhcpOptionsRequest): CreateDhcpOptionsResult {
  const configs = buildConfigurations(input.DhcpConfigurations);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'dhcp-options');
  if (ctx.state.list(KIND).length >= ctx.config.quotas.dhcpOptionsSetsPerRegion) {
    throw new ApiError('DhcpOptionsLimitExceeded', 'The maximum number of DHCP options sets has been reached.');
  }
  const rec: DhcpOptionsRecord = { DhcpConfigurations: configs, DhcpOptionsId: newId('dopt'), OwnerId: ctx.account, Tags: tags };
  ctx.state.put(KIND, rec.DhcpOptionsId, rec);
  return { DhcpOptions: dhcpView(rec) };
}

export function associateDhcpOptions(ctx: RequestContext, input: AssociateDhcpOptionsRequest): void {
  const id = input.DhcpOptionsId!;
  const target = id === NO_DHCP_OPTIONS ? NO_DHCP_OPTIONS : requireRecord<DhcpOptionsRecord>(ctx.state, KIND, id, 'DhcpOptionsId').DhcpOptionsId;
  requireRecord<{ VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const vpc = ctx.state.edit<{ DhcpOptionsId?: string }>('vpc', input.VpcId!)!;
  vpc.DhcpOptionsId = target;
}

export function deleteDhcpOptions(ctx: RequestContext, input: DeleteDhcpOptionsRequest): void {
  const d = requireRecord<DhcpOptionsRecord>(ctx.state, KIND, input.DhcpOptionsId, 'DhcpOptionsId');
  if (ctx.state.list<{ DhcpOptionsId?: string }>('vpc').some((v) => v.DhcpOptionsId === d.DhcpOptionsId)) {
    throw new ApiError('DependencyViolation', `The dhcpOptions '${d.DhcpOptionsId}' has dependencies and cannot be deleted.`);
  }
  if (d._default) ctx.state.put(STATE_KIND, STATE_ID, { deleted: true });
  ctx.state.delete(KIND, d.DhcpOptionsId);
}

const DHCP_FILTERS = {
  'dhcp-options-id': (d: DhcpOptionsRecord) => d.DhcpOptionsId,
  key: (d: DhcpOptionsRecord) => pluck(d.DhcpConfigurations, (c) => c.Key),
  value: (d: DhcpOptionsRecord) => (d.DhcpConfigurations ?? []).flatMap((c) => pluck(c.Values, (v) => v.Value)),
  'owner-id': (d: DhcpOptionsRecord) => d.OwnerId,
};

export function describeDhcpOptions(ctx: RequestContext, input: DescribeDhcpOptionsRequest): DescribeDhcpOptionsResult {
  const selected = applyFilters(
    selectByIds<DhcpOptionsRecord>(ctx.state, KIND, input.DhcpOptionsIds) as DhcpOptionsRecord[],
    input.Filters,
    DHCP_FILTERS,
  );
  const page = paginate(selected, input, { min: 5, max: 1000 });
  return { DhcpOptions: page.items.map(dhcpView), NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateDhcpOptions: createDhcpOptions,
  AssociateDhcpOptions: associateDhcpOptions,
  DeleteDhcpOptions: deleteDhcpOptions,
  DescribeDhcpOptions: describeDhcpOptions,
};
