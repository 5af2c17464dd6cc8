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
  /** The region's long name, as zone group long names use it ("US East (N. Virginia)"). */
  long: string;
  /** AZ letters in order, e.g. "abcdef". */
  zones: string;
  /** AZ ID stem, e.g. "use1". */
  idStem: string;
  /** Regions that accounts must opt in to. */
  optIn?: boolean;
}

const REGIONS: RegionInfo[] = [
  { name: 'us-east-1', long: 'US East (N. Virginia)', zones: 'abcdef', idStem: 'use1' },
  { name: 'us-east-2', long: 'US East (Ohio)', zones: 'abc', idStem: 'use2' },
  { name: 'us-west-1', long: 'US West (N. California)', zones: 'bc', idStem: 'usw1' },
  { name: 'us-west-2', long: 'US West (Oregon)', zones: 'abcd', idStem: 'usw2' },
  { name: 'af-south-1', long: 'Africa (Cape Town)', zones: 'abc', idStem: 'afs1', optIn: true },
  { name: 'ap-east-1', long: 'Asia Pacific (Hong Kong)', zones: 'abc', idStem: 'ape1', optIn: true },
  { name: 'ap-south-1', long: 'Asia Pacific (Mumbai)', zones: 'abc', idStem: 'aps1' },
  { name: 'ap-south-2', long: 'Asia Pacific (Hyderabad)', zones: 'abc', idStem: 'aps2', optIn: true },
  { name: 'ap-southeast-1', long: 'Asia Pacific (Singapore)', zones: 'abc', idStem: 'apse1' },
  { name: 'ap-southeast-2', long: 'Asia Pacific (Sydney)', zones: 'abc', idStem: 'apse2' },
  { name: 'ap-southeast-3', long: 'Asia Pacific (Jakarta)', zones: 'abc', idStem: 'apse3', optIn: true },
  { name: 'ap-southeast-4', long: 'Asia Pacific (Melbourne)', zones: 'abc', idStem: 'apse4', optIn: true },
  { name: 'ap-southeast-5', long: 'Asia Pacific (Malaysia)', zones: 'abc', idStem: 'apse5', optIn: true },
  { name: 'ap-southeast-7', long: 'Asia Pacific (Thailand)', zones: 'abc', idStem: 'apse7', optIn: true },
  { name: 'ap-northeast-1', long: 'Asia Pacific (Tokyo)', zones: 'acd', idStem: 'apne1' },
  { name: 'ap-northeast-2', long: 'Asia Pacific (Seoul)', zones: 'abcd', idStem: 'apne2' },
  { name: 'ap-northeast-3', long: 'Asia Pacific (Osaka)', zones: 'abc', idStem: 'apne3' },
  { name: 'ca-central-1', long: 'Canada (Central)', zones: 'abd', idStem: 'cac1' },
  { name: 'ca-west-1', long: 'Canada West (Calgary)', zones: 'abc', idStem: 'caw1', optIn: true },
  { name: 'eu-central-1', long: 'Europe (Frankfurt)', zones: 'abc', idStem: 'euc1' },
  { name: 'eu-central-2', long: 'Europe (Zurich)', zones: 'abc', idStem: 'euc2', optIn: true },
  { name: 'eu-west-1', long: 'Europe (Ireland)', zones: 'abc', idStem: 'euw1' },
  { name: 'eu-west-2', long: 'Europe (London)', zones: 'abc', idStem: 'euw2' },
  { name: 'eu-west-3', long: 'Europe (Paris)', zones: 'abc', idStem: 'euw3' },
  { name: 'eu-south-1', long: 'Europe (Milan)', zones: 'abc', idStem: 'eus1', optIn: true },
  { name: 'eu-south-2', long: 'Europe (Spain)', zones: 'abc', idStem: 'eus2', optIn: true },
  { name: 'eu-north-1', long: 'Europe (Stockholm)', zones: 'abc', idStem: 'eun1' },
  { name: 'il-central-1', long: 'Israel (Tel Aviv)', zones: 'abc', idStem: 'ilc1', optIn: true },
  { name: 'me-south-1', long: 'Middle East (Bahrain)', zones: 'abc', idStem: 'mes1', optIn: true },
  { name: 'me-central-1', long: 'Middle East (UAE)', zones: 'abc', idStem: 'mec1', optIn: true },
  { name: 'mx-central-1', long: 'Mexico (Central)', zones: 'abc', idStem: 'mxc1', optIn: true },
  { name: 'sa-east-1', long: 'South America (Sao Paulo)', zones: 'abc', idStem: 'sae1' },
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

/** The zone group of a region's Availability Zones: "us-east-1-zg-1", "US East (N. Virginia) 1". */
function zoneGroup(region: string): { name: string; long: string } {
  const info = byName.get(region);
  return { name: `${region}-zg-1`, long: `${info?.long ?? region} 1` };
}

const ZONE_FILTERS = {
  'group-long-name': (z: AvailabilityZone) => z.GroupLongName,
  'group-name': (z: AvailabilityZone) => z.GroupName,
  message: (z: AvailabilityZone) => (z.Messages ?? []).map((m) => m.Message),
  'opt-in-status': (z: AvailabilityZone) => z.OptInStatus,
  'parent-zone-id': (z: AvailabilityZone) => z.ParentZoneId,
  'parent-zone-name': (z: AvailabilityZone) => z.ParentZoneName,
  'region-name': (z: AvailabilityZone) => z.RegionName,
  state: (z: AvailabilityZone) => z.State,
  'zone-id': (z: AvailabilityZone) => z.ZoneId,
  'zone-name': (z: AvailabilityZone) => z.ZoneName,
  'zone-type': (z: AvailabilityZone) => z.ZoneType,
};

export function describeAvailabilityZones(ctx: RequestContext, input: DescribeAvailabilityZonesRequest): DescribeAvailabilityZonesResult {
  const group = zoneGroup(ctx.region);
  const all: AvailabilityZone[] = zonesOf(ctx.region).map((z) => ({
    OptInStatus: 'opt-in-not-required',
    Messages: [],
    RegionName: ctx.region,
    ZoneName: z.ZoneName,
    ZoneId: z.ZoneId,
    GroupName: group.name,
    NetworkBorderGroup: ctx.region,
    ZoneType: 'availability-zone',
    GroupLongName: group.long,
    State: 'available',
  }));
  let zones = all;
  if (input.ZoneNames?.length || input.ZoneIds?.length) {
    // The first unknown name or ID, in request order, is the one AWS reports.
    const badName = (input.ZoneNames ?? []).find((n) => !all.some((z) => z.ZoneName === n));
    if (badName !== undefined) throw new ApiError('InvalidParameterValue', `Invalid availability zone: [${badName}]`);
    const badId = (input.ZoneIds ?? []).find((n) => !all.some((z) => z.ZoneId === n));
    if (badId !== undefined) throw new ApiError('InvalidParameterValue', `Invalid availability zone-id: [${badId}]`);
    zones = all.filter((z) => input.ZoneNames?.includes(z.ZoneName!) || input.ZoneIds?.includes(z.ZoneId!));
  }
  zones = applyFilters(zones as Array<AvailabilityZone & { Tags?: [] }>, input.Filters, ZONE_FILTERS, { tags: false });
  return { AvailabilityZones: zones };
}

export function describeRegions(ctx: RequestContext, input: DescribeRegionsRequest): DescribeRegionsResult {
  let regions = REGIONS.filter((r) => input.AllRegions || !r.optIn || r.name === ctx.region);
  if (input.RegionNames?.length) {
    // AWS names the alphabetically first unknown region.
    const unknown = input.RegionNames.filter((n) => !byName.has(n)).sort();
    if (unknown.length) throw new ApiError('InvalidParameterValue', `Invalid region: [${unknown[0]}]`);
    regions = REGIONS.filter((r) => input.RegionNames!.includes(r.name));
  }
  const out = regions.map((r) => ({
    RegionName: r.name,
    Endpoint: `ec2.${r.name}.amazonaws.com`,
    // The region being called is in use, so it counts as opted in.
    OptInStatus: !r.optIn ? 'opt-in-not-required' : r.name === ctx.region ? 'opted-in' : 'not-opted-in',
  }));
  const filtered = applyFilters(
    out as Array<(typeof out)[number] & { Tags?: [] }>,
    input.Filters,
    {
      endpoint: (r) => r.Endpoint,
      'opt-in-status': (r) => r.OptInStatus,
      'region-name': (r) => r.RegionName,
    },
    { tags: false },
  );
  return { Regions: filtered };
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
    if (!Object.hasOwn(attrs, n)) throw new ApiError('InvalidParameterValue', `Value (${n}) for parameter attributeName is invalid.`);
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
