/**
 * The commercial regions and their availability zones, with AZ IDs, as
 * DescribeRegions / DescribeAvailabilityZones report them.
 */
import type {
  DescribeAccountAttributesRequest,
  DescribeAccountAttributesResult,
  DescribeAvailabilityZonesRequest,
  DescribeAvailabilityZonesResult,
  DescribeRegionsRequest,
  DescribeRegionsResult,
  AvailabilityZone,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters } from './filters.js';

interface RegionInfo {
  name: string;
  /** AZ letters in order, e.g. "abcdef". */
  zones: string;
  /** AZ ID stem, e.g. "use1". */
  idStem: string;
  /** Regions that accounts must opt in to. */
  optIn?: boolean;
}

const REGIONS: RegionInfo[] = [
  { name: 'us-east-1', zones: 'abcdef', idStem: 'use1' },
  { name: 'us-east-2', zones: 'abc', idStem: 'use2' },
  { name: 'us-west-1', zones: 'bc', idStem: 'usw1' },
  { name: 'us-west-2', zones: 'abcd', idStem: 'usw2' },
  { name: 'af-south-1', zones: 'abc', idStem: 'afs1', optIn: true },
  { name: 'ap-east-1', zones: 'abc', idStem: 'ape1', optIn: true },
  { name: 'ap-south-1', zones: 'abc', idStem: 'aps1' },
  { name: 'ap-south-2', zones: 'abc', idStem: 'aps2', optIn: true },
  { name: 'ap-southeast-1', zones: 'abc', idStem: 'apse1' },
  { name: 'ap-southeast-2', zones: 'abc', idStem: 'apse2' },
  { name: 'ap-southeast-3', zones: 'abc', idStem: 'apse3', optIn: true },
  { name: 'ap-southeast-4', zones: 'abc', idStem: 'apse4', optIn: true },
  { name: 'ap-southeast-5', zones: 'abc', idStem: 'apse5', optIn: true },
  { name: 'ap-southeast-7', zones: 'abc', idStem: 'apse7', optIn: true },
  { name: 'ap-northeast-1', zones: 'acd', idStem: 'apne1' },
  { name: 'ap-northeast-2', zones: 'abcd', idStem: 'apne2' },
  { name: 'ap-northeast-3', zones: 'abc', idStem: 'apne3' },
  { name: 'ca-central-1', zones: 'abd', idStem: 'cac1' },
  { name: 'ca-west-1', zones: 'abc', idStem: 'caw1', optIn: true },
  { name: 'eu-central-1', zones: 'abc', idStem: 'euc1' },
  { name: 'eu-central-2', zones: 'abc', idStem: 'euc2', optIn: true },
  { name: 'eu-west-1', zones: 'abc', idStem: 'euw1' },
  { name: 'eu-west-2', zones: 'abc', idStem: 'euw2' },
  { name: 'eu-west-3', zones: 'abc', idStem: 'euw3' },
  { name: 'eu-south-1', zones: 'abc', idStem: 'eus1', optIn: true },
  { name: 'eu-south-2', zones: 'abc', idStem: 'eus2', optIn: true },
  { name: 'eu-north-1', zones: 'abc', idStem: 'eun1' },
  { name: 'il-central-1', zones: 'abc', idStem: 'ilc1', optIn: true },
  { name: 'me-south-1', zones: 'abc', idStem: 'mes1', optIn: true },
  { name: 'me-central-1', zones: 'abc', idStem: 'mec1', optIn: true },
  { name: 'mx-central-1', zones: 'abc', idStem: 'mxc1', optIn: true },
  { name: 'sa-east-1', zones: 'abc', idStem: 'sae1' },
];

const byName = new Map(REGIONS.map((r) => [r.name, r]));

export function isKnownRegion(region: string): boolean {
  return byName.has(region);
}

export interface Zone {
  ZoneName: string;
  ZoneId: string;
}

/** The region's AZs; a region vpcsim does not know gets three zones a, b, c. */
export function zonesOf(region: string): Zone[] {
  const info = byName.get(region) ?? { name: region, zones: 'abc', idStem: region.replace(/[^a-z0-9]/g, '') };
  return [...info.zones].map((letter, i) => ({ ZoneName: `${region}${letter}`, ZoneId: `${info.idStem}-az${i + 1}` }));
}

/** Finds an AZ by name or ID in the region, or throws the AWS error. */
export function resolveZone(region: string, name?: string, id?: string): Zone {
  const zones = zonesOf(region);
  if (name !== undefined && id !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'Only one of AvailabilityZone or AvailabilityZoneId may be specified.');
  }
  if (name !== undefined) {
    const z = zones.find((x) => x.ZoneName === name);
    if (!z) {
      throw new ApiError(
        'InvalidParameterValue',
        `Value (${name}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.map((x) => x.ZoneName).join(', ')}.`,
      );
    }
    return z;
  }
  if (id !== undefined) {
    const z = zones.find((x) => x.ZoneId === id);
    if (!z) {
      throw new ApiError(
        'InvalidParameterValue',
        `Value (${id}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zone IDs: ${zones.map((x) => x.ZoneId).join(', ')}.`,
      );
    }
    return z;
  }
  return zones[Math.floor(Math.random() * zones.length)]!;
}

export function describeAvailabilityZones(ctx: RequestContext, input: DescribeAvailabilityZonesRequest): DescribeAvailabilityZonesResult {
  const all: AvailabilityZone[] = zonesOf(ctx.region).map((z) => ({
    State: 'available',
    OptInStatus: 'opt-in-not-required',
    Messages: [],
    RegionName: ctx.region,
    ZoneName: z.ZoneName,
    ZoneId: z.ZoneId,
    GroupName: ctx.region,
    NetworkBorderGroup: ctx.region,
    ZoneType: 'availability-zone',
    GroupLongName: ctx.region,
  }));
  let zones = all;
  if (input.ZoneNames?.length || input.ZoneIds?.length) {
    for (const n of input.ZoneNames ?? []) {
      if (!all.some((z) => z.ZoneName === n)) {
        throw new ApiError('InvalidParameterValue', `The zone '${n}' does not exist.`);
      }
    }
    for (const n of input.ZoneIds ?? []) {
      if (!all.some((z) => z.ZoneId === n)) {
        throw new ApiError('InvalidParameterValue', `The zone ID '${n}' does not exist.`);
      }
    }
    zones = all.filter((z) => input.ZoneNames?.includes(z.ZoneName!) || input.ZoneIds?.includes(z.ZoneId!));
  }
  zones = applyFilters(zones as Array<AvailabilityZone & { Tags?: [] }>, input.Filters, {
    'group-name': (z) => z.GroupName,
    'group-long-name': (z) => z.GroupLongName,
    'message': (z) => (z.Messages ?? []).map((m) => m.Message),
    'opt-in-status': (z) => z.OptInStatus,
    'parent-zone-id': (z) => z.ParentZoneId,
    'parent-zone-name': (z) => z.ParentZoneName,
    'region-name': (z) => z.RegionName,
    state: (z) => z.State,
    'zone-id': (z) => z.ZoneId,
    'zone-name': (z) => z.ZoneName,
    'zone-type': (z) => z.ZoneType,
    'network-border-group': (z) => z.NetworkBorderGroup,
  });
  return { AvailabilityZones: zones };
}

export function describeRegions(ctx: RequestContext, input: DescribeRegionsRequest): DescribeRegionsResult {
  let regions = REGIONS.filter((r) => input.AllRegions || !r.optIn || r.name === ctx.region);
  if (input.RegionNames?.length) {
    for (const n of input.RegionNames) {
      if (!byName.has(n)) throw new ApiError('InvalidParameterValue', `Invalid region name: ${n}`);
    }
    regions = REGIONS.filter((r) => input.RegionNames!.includes(r.name));
  }
  const out = regions.map((r) => ({
    RegionName: r.name,
    Endpoint: `ec2.${r.name}.amazonaws.com`,
    OptInStatus: r.optIn ? 'not-opted-in' : 'opt-in-not-required',
    Tags: undefined as undefined | [],
  }));
  const filtered = applyFilters(out, input.Filters, {
    endpoint: (r) => r.Endpoint,
    'opt-in-status': (r) => r.OptInStatus,
    'region-name': (r) => r.RegionName,
  });
  return { Regions: filtered.map(({ Tags: _t, ...r }) => r) };
}

export function describeAccountAttributes(ctx: RequestContext, input: DescribeAccountAttributesRequest): DescribeAccountAttributesResult {
  const defaultVpc = ctx.state.list<{ VpcId: string; IsDefault?: boolean }>('vpc').find((v) => v.IsDefault);
  const q = ctx.config.quotas;
  const attrs: Record<string, string[]> = {
    'supported-platforms': ['VPC'],
    'default-vpc': [defaultVpc?.VpcId ?? 'none'],
    'max-instances': ['20'],
    'vpc-max-security-groups-per-interface': ['5'],
    'max-elastic-ips': [String(q.elasticIpsPerRegion)],
    'vpc-max-elastic-ips': [String(q.elasticIpsPerRegion)],
  };
  const names = input.AttributeNames?.length ? input.AttributeNames : Object.keys(attrs);
  for (const n of names) {
    if (!(n in attrs)) throw new ApiError('InvalidParameterValue', `Value (${n}) for parameter attributeName is invalid.`);
  }
  return {
    AccountAttributes: names.map((n) => ({
      AttributeName: n,
      AttributeValues: attrs[n]!.map((v) => ({ AttributeValue: v })),
    })),
  };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeAccountAttributes: describeAccountAttributes,
};
