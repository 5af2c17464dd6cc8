/**
 * VPC endpoints to AWS services, and the catalogue of those services.
 *
 * - Gateway endpoints (S3, DynamoDB) are routes: each chosen route table gets a route to the
 *   service's AWS-managed prefix list, targeting the endpoint (shown as GatewayId vpce-...).
 * - Interface endpoints are requester-managed network interfaces, one per chosen subnet (one
 *   subnet per Availability Zone), with the endpoint's security groups, regional and zonal DNS
 *   names, and optionally the service's own DNS name inside the VPC (private DNS).
 *
 * Records are the AWS `VpcEndpoint` shape. Their stored State is `available` or `deleted`
 * (what other families read); `pending` (an interface endpoint being created) and `deleting`
 * are derived when the endpoint is shown, each lasting `config.stateTransitionMs`. A deleted
 * endpoint stays visible for a while, as on AWS, and is then dropped.
 */
import type {
  CreateVpcEndpointRequest,
  CreateVpcEndpointResult,
  DeleteVpcEndpointsRequest,
  DeleteVpcEndpointsResult,
  DescribeVpcEndpointServicesRequest,
  DescribeVpcEndpointServicesResult,
  DescribeVpcEndpointsRequest,
  DescribeVpcEndpointsResult,
  DnsEntry,
  GroupIdentifier,
  ModifyVpcEndpointRequest,
  ModifyVpcEndpointResult,
  ServiceDetail,
  UnsuccessfulItem,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck, type Tag } from './filters.js';
import { createRequesterManagedInterface, defaultGroupOf, deleteRequesterManagedInterface } from './network-interfaces.js';
import { paginate } from './paginate.js';
import { awsManagedPrefixListFor, findPrefixList, type AwsManagedService } from './prefix-lists.js';
import { zonesOf } from './regions.js';
import { isWellFormedId, kindOf, newId, notFound, registerKind, requireRecord } from './resources.js';
import { tagsFromSpecs } from './tags.js';

export const VPC_ENDPOINT = 'vpc-endpoint';

registerKind({
  kind: VPC_ENDPOINT,
  prefix: 'vpce',
  code: 'InvalidVpcEndpointId',
  noun: 'Vpc Endpoint Id',
  idField: 'VpcEndpointId',
});

/** The account AWS's endpoint interfaces report as their requester. */
const ENDPOINT_REQUESTER_ID = '727180483921';
/** How long a deleted endpoint is still shown (as `deleted`) before it disappears. */
const DELETED_VISIBLE_MS = 60 * 60 * 1000;
const MAX_POLICY_LENGTH = 20_480;

type EndpointType = 'Gateway' | 'Interface';
const ENDPOINT_TYPES = ['Interface', 'Gateway', 'GatewayLoadBalancer', 'Resource', 'ServiceNetwork'];

// ---------------------------------------------------------------------------------------
// The catalogue of AWS services a region offers endpoints to
// ---------------------------------------------------------------------------------------

interface ServiceDef {
  /** The name after com.amazonaws.<region>. */
  key: string;
  types: EndpointType[];
  /** The service's label in interface endpoint DNS names (…<stem>.<region>.vpce.amazonaws.com). */
  stem: string;
  /** The service's own DNS names, which private DNS resolves inside the VPC ({r} = region). */
  privateDns?: string[];
  /** Interface endpoint names take a wildcard label (bucket-style, as S3's). */
  wildcard?: boolean;
  /** Private DNS is on unless asked otherwise (true for services that have private DNS names, except S3). */
  privateDnsByDefault?: boolean;
}

const iface = (key: string, stem: string, privateDns: string): ServiceDef => ({
  key,
  types: ['Interface'],
  stem,
  privateDns: [privateDns],
  privateDnsByDefault: true,
});

const SERVICES: ServiceDef[] = [
  { key: 'dynamodb', types: ['Gateway', 'Interface'], stem: 'dynamodb' },
  iface('ec2', 'ec2', 'ec2.{r}.amazonaws.com'),
  iface('ec2messages', 'ec2messages', 'ec2messages.{r}.amazonaws.com'),
  iface('ecr.api', 'api.ecr', 'api.ecr.{r}.amazonaws.com'),
  iface('ecr.dkr', 'dkr.ecr', '*.dkr.ecr.{r}.amazonaws.com'),
  iface('elasticloadbalancing', 'elasticloadbalancing', 'elasticloadbalancing.{r}.amazonaws.com'),
  iface('events', 'events', 'events.{r}.amazonaws.com'),
  iface('execute-api', 'execute-api', '*.execute-api.{r}.amazonaws.com'),
  iface('kinesis-streams', 'kinesis', 'kinesis.{r}.amazonaws.com'),
  iface('kms', 'kms', 'kms.{r}.amazonaws.com'),
  iface('lambda', 'lambda', 'lambda.{r}.amazonaws.com'),
  iface('logs', 'logs', 'logs.{r}.amazonaws.com'),
  iface('monitoring', 'monitoring', 'monitoring.{r}.amazonaws.com'),
  {
    key: 's3',
    types: ['Gateway', 'Interface'],
    stem: 's3',
    wildcard: true,
    privateDns: ['*.s3.{r}.amazonaws.com', '*.s3-accesspoint.{r}.amazonaws.com', '*.s3-control.{r}.amazonaws.com'],
  },
  iface('secretsmanager', 'secretsmanager', 'secretsmanager.{r}.amazonaws.com'),
  iface('sns', 'sns', 'sns.{r}.amazonaws.com'),
  iface('sqs', 'sqs', 'sqs.{r}.amazonaws.com'),
  iface('ssm', 'ssm', 'ssm.{r}.amazonaws.com'),
  iface('ssmmessages', 'ssmmessages', 'ssmmessages.{r}.amazonaws.com'),
  iface('sts', 'sts', 'sts.{r}.amazonaws.com'),
];

/** The Route 53 zone of the region's vpce.amazonaws.com names (AWS's IDs where known). */
const VPCE_ZONES: Record<string, string> = {
  'us-east-1': 'Z7HUB22UULQXV',
  'us-west-2': 'Z1YSA3EXCYUU9Z',
  'eu-west-1': 'Z38GZ743OKFT7T',
};

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function regionalZoneId(region: string): string {
  const known = VPCE_ZONES[region];
  if (known) return known;
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return `Z${[...digest(`vpcsim:vpce-zone:${region}`).subarray(0, 13)].map((b) => alphabet[b % 36]).join('')}`;
}

function serviceName(region: string, s: ServiceDef): string {
  return `com.amazonaws.${region}.${s.key}`;
}

function privateDnsNames(region: string, s: ServiceDef): string[] {
  return (s.privateDns ?? []).map((n) => n.replace('{r}', region));
}

/** The service a name stands for in this region, if any. */
function findService(region: string, name: string | undefined): ServiceDef | undefined {
  return SERVICES.find((s) => serviceName(region, s) === name);
}

function invalidServiceName(name: string): ApiError {
  return new ApiError('InvalidServiceName', `The Vpc Endpoint Service '${name}' does not exist`);
}

/** A service's ID, the same in every account of a region. */
function serviceId(region: string, s: ServiceDef, type: EndpointType): string {
  return `vpce-svc-${digest(`vpcsim:vpce-svc:${region}:${s.key}:${type}`).toString('hex').slice(0, 17)}`;
}

interface ServiceRow extends ServiceDetail {
  Tags: Tag[];
  _region: string;
}

/** One row per service and endpoint type (S3 and DynamoDB appear twice), by name. */
function catalogue(region: string): ServiceRow[] {
  const zones = zonesOf(region).map((z) => z.ZoneName);
  const rows: ServiceRow[] = [];
  for (const s of SERVICES) {
    for (const type of [...s.types].sort()) {
      const row: ServiceRow = {
        ServiceName: serviceName(region, s),
        ServiceId: serviceId(region, s, type),
        ServiceType: [{ ServiceType: type }],
        AvailabilityZones: zones.slice(),
        Owner: 'amazon',
        BaseEndpointDnsNames: [type === 'Gateway' ? `${s.key}.${region}.amazonaws.com` : `${s.stem}.${region}.vpce.amazonaws.com`],
        VpcEndpointPolicySupported: true,
        AcceptanceRequired: false,
        ManagesVpcEndpoints: false,
        Tags: [],
        SupportedIpAddressTypes: ['ipv4'],
        _region: region,
      };
      const names = type === 'Interface' ? privateDnsNames(region, s) : [];
      if (names.length > 0) {
        row.PrivateDnsName = names[0];
        row.PrivateDnsNames = names.map((n) => ({ PrivateDnsName: n }));
        row.PrivateDnsNameVerificationState = 'verified';
      }
      rows.push(row);
    }
  }
  return rows.sort((a, b) => (a.ServiceName! < b.ServiceName! ? -1 : a.ServiceName! > b.ServiceName! ? 1 : 0));
}

const SERVICE_FILTERS = {
  owner: (r: ServiceRow) => r.Owner,
  'service-name': (r: ServiceRow) => r.ServiceName,
  'service-region': (r: ServiceRow) => r._region,
  'service-type': (r: ServiceRow) => pluck(r.ServiceType, (t) => t.ServiceType),
  'supported-ip-address-types': (r: ServiceRow) => r.SupportedIpAddressTypes,
};

/** MaxResults above 1000 returns 1000 items, as AWS documents for the endpoint calls. */
function pageInput(input: { MaxResults?: number; NextToken?: string }): { MaxResults?: number; NextToken?: string } {
  return { NextToken: input.NextToken, MaxResults: input.MaxResults === undefined ? undefined : Math.min(input.MaxResults, 1000) };
}

export function describeVpcEndpointServices(
  ctx: RequestContext,
  input: DescribeVpcEndpointServicesRequest,
): DescribeVpcEndpointServicesResult {
  let rows = catalogue(ctx.region);
  if (input.ServiceNames && input.ServiceNames.length > 0) {
    for (const name of input.ServiceNames) if (!findService(ctx.region, name)) throw invalidServiceName(name);
    rows = rows.filter((r) => input.ServiceNames!.includes(r.ServiceName!));
  }
  const selected = applyFilters(rows, input.Filters, SERVICE_FILTERS);
  const page = paginate(selected, pageInput(input), { min: 1, max: 1000 });
  const details: ServiceDetail[] = page.items.map(({ _region: _r, ...d }) => d);
  return {
    ServiceNames: [...new Set(details.map((d) => d.ServiceName!))],
    ServiceDetails: details,
    NextToken: page.nextToken,
  };
}

// ---------------------------------------------------------------------------------------
// Endpoint records
// ---------------------------------------------------------------------------------------

export interface VpcEndpointRecord extends Omit<VpcEndpoint, 'State' | 'CreationTimestamp' | 'VpcEndpointType'> {
  VpcEndpointId: string;
  VpcEndpointType: EndpointType;
  VpcId: string;
  ServiceName: string;
  /** `available` or `deleted`; `pending` and `deleting` are derived when shown. */
  State: 'available' | 'deleted';
  CreationTimestamp: string;
  RouteTableIds: string[];
  SubnetIds: string[];
  Groups: GroupIdentifier[];
  NetworkInterfaceIds: string[];
  PrivateDnsEnabled: boolean;
  _deletedAt?: string;
  /** The random label of the endpoint's DNS names (vpce-…-<label>.…). */
  _dnsLabel: string;
  /** The private hosted zone holding the service's own names, for private DNS. */
  _privateZoneId: string;
}

function age(ctx: RequestContext, iso: string): number {
  return ctx.now.getTime() - Date.parse(iso);
}

/** Deleted long enough ago that AWS no longer shows it. */
function expired(ctx: RequestContext, r: Readonly<VpcEndpointRecord>): boolean {
  return r.State === 'deleted' && age(ctx, r._deletedAt ?? r.CreationTimestamp) > ctx.config.stateTransitionMs + DELETED_VISIBLE_MS;
}

function live(r: Readonly<VpcEndpointRecord>): boolean {
  return r.State !== 'deleted';
}

/** Drops deleted endpoints that are no longer shown. */
function purgeExpired(ctx: RequestContext): void {
  for (const r of ctx.state.list<VpcEndpointRecord>(VPC_ENDPOINT)) {
    if (expired(ctx, r)) ctx.state.delete(VPC_ENDPOINT, r.VpcEndpointId);
  }
}

function endpointState(ctx: RequestContext, r: Readonly<VpcEndpointRecord>): string {
  const t = ctx.config.stateTransitionMs;
  if (r.State === 'deleted') {
    return r.VpcEndpointType === 'Interface' && r._deletedAt && age(ctx, r._deletedAt) < t ? 'deleting' : 'deleted';
  }
  if (r.VpcEndpointType === 'Interface' && age(ctx, r.CreationTimestamp) < t) return 'pending';
  return r.State;
}

function subnetZone(ctx: RequestContext, subnetId: string): string | undefined {
  return ctx.state.get<{ AvailabilityZone?: string }>('subnet', subnetId)?.AvailabilityZone;
}

function dnsEntries(ctx: RequestContext, r: Readonly<VpcEndpointRecord>): DnsEntry[] {
  if (r.VpcEndpointType !== 'Interface' || r.State === 'deleted') return [];
  const s = findService(ctx.region, r.ServiceName);
  if (!s) return [];
  const zone = regionalZoneId(ctx.region);
  const label = `${s.wildcard ? '*.' : ''}${r.VpcEndpointId}-${r._dnsLabel}`;
  const suffix = `${s.stem}.${ctx.region}.vpce.amazonaws.com`;
  const out: DnsEntry[] = [{ DnsName: `${label}.${suffix}`, HostedZoneId: zone }];
  const zones = r.SubnetIds.map((id) => subnetZone(ctx, id)).filter((z): z is string => !!z).sort();
  for (const az of zones) out.push({ DnsName: `${label}-${az}.${suffix}`, HostedZoneId: zone });
  if (r.PrivateDnsEnabled) {
    for (const name of privateDnsNames(ctx.region, s)) out.push({ DnsName: name, HostedZoneId: r._privateZoneId });
  }
  return out;
}

/** The endpoint as AWS shows it: current state, DNS names, route tables that still exist. */
function endpointView(ctx: RequestContext, r: Readonly<VpcEndpointRecord>): VpcEndpoint {
  const out: Record<string, unknown> = {
    VpcEndpointId: r.VpcEndpointId,
    VpcEndpointType: r.VpcEndpointType,
    VpcId: r.VpcId,
    ServiceName: r.ServiceName,
    State: endpointState(ctx, r),
    PolicyDocument: r.PolicyDocument,
    RouteTableIds: r.RouteTableIds.filter((id) => ctx.state.get('route-table', id)),
    SubnetIds: r.SubnetIds.slice(),
    Groups: r.Groups.map((g) => ({ ...g })),
    IpAddressType: r.IpAddressType,
    PrivateDnsEnabled: r.PrivateDnsEnabled,
    RequesterManaged: false,
    NetworkInterfaceIds: r.NetworkInterfaceIds.slice(),
    DnsEntries: dnsEntries(ctx, r),
    CreationTimestamp: r.CreationTimestamp,
    Tags: (r.Tags ?? []).map((t) => ({ ...t })),
    OwnerId: r.OwnerId,
  };
  if (r.DnsOptions) out.DnsOptions = { ...r.DnsOptions };
  return out as VpcEndpoint;
}

// ---------------------------------------------------------------------------------------
// Validation shared by Create and Modify
// ---------------------------------------------------------------------------------------

function malformedId(code: string, what: string, prefix: string, id: string): ApiError {
  return new ApiError(
    code,
    `Invalid ${what}: '${id}' (expecting '${prefix}-...; the Id may only contain lowercase alphanumeric characters and a single dash')`,
  );
}

function endpointVpc(ctx: RequestContext, id: string | undefined): { VpcId: string; _attributes?: { enableDnsSupport?: boolean; enableDnsHostnames?: boolean } } {
  if (id === undefined || id === '') throw new ApiError('MissingParameter', 'The request must contain the parameter VpcId');
  if (!isWellFormedId(kindOf('vpc'), id)) throw malformedId('InvalidVpcId.Malformed', 'Id', 'vpc', id);
  const vpc = ctx.state.get<{ VpcId: string; _attributes?: { enableDnsSupport?: boolean; enableDnsHostnames?: boolean } }>('vpc', id);
  if (!vpc) throw new ApiError('InvalidVpcId.NotFound', `The Vpc Id '${id}' does not exist`);
  return vpc;
}

interface RouteTableLike {
  RouteTableId: string;
  VpcId: string;
  Routes?: Array<Record<string, unknown> & { DestinationPrefixListId?: string; DestinationIpv6CidrBlock?: string; GatewayId?: string; Origin?: string }>;
  Associations?: Array<{ GatewayId?: string }>;
}

function endpointRouteTable(ctx: RequestContext, id: string, vpcId: string): Readonly<RouteTableLike> {
  if (!isWellFormedId(kindOf('route-table'), id)) throw malformedId('InvalidRouteTableId.Malformed', 'Id', 'rtb', id);
  const rt = ctx.state.get<RouteTableLike>('route-table', id);
  if (!rt) throw new ApiError('InvalidRouteTableId.NotFound', `The routeTable ID '${id}' does not exist`);
  if (rt.VpcId !== vpcId) {
    throw new ApiError('InvalidParameter', `Route table ${id} and vpc ${vpcId} belong to different networks.`);
  }
  return rt;
}

interface SubnetLike {
  SubnetId: string;
  VpcId: string;
  AvailabilityZone?: string;
}

function endpointSubnet(ctx: RequestContext, id: string, vpcId: string): Readonly<SubnetLike> {
  if (!isWellFormedId(kindOf('subnet'), id)) throw malformedId('InvalidSubnetId.Malformed', 'Subnet Id', 'subnet', id);
  const subnet = ctx.state.get<SubnetLike>('subnet', id);
  if (!subnet) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
  if (subnet.VpcId !== vpcId) {
    throw new ApiError('InvalidParameter', `Subnet ${id} and vpc ${vpcId} belong to different networks.`);
  }
  return subnet;
}

/** Subnets for an interface endpoint: at most one per Availability Zone, counting `existing`. */
function checkSubnets(ctx: RequestContext, ids: string[], vpcId: string, existing: string[] = []): string[] {
  const seen = new Map<string, string>();
  for (const id of existing) {
    const az = subnetZone(ctx, id);
    if (az) seen.set(az, id);
  }
  const out: string[] = [];
  for (const id of [...new Set(ids)]) {
    if (existing.includes(id)) continue;
    const subnet = endpointSubnet(ctx, id, vpcId);
    const az = subnet.AvailabilityZone ?? '';
    if (seen.has(az)) {
      throw new ApiError(
        'DuplicateSubnetsInSameZone',
        `Found another VPC endpoint subnet in the availability zone of ${id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`,
      );
    }
    seen.set(az, id);
    out.push(id);
  }
  return out;
}

/** Security groups of an interface endpoint: the VPC's default group when none are named. */
function checkGroups(ctx: RequestContext, ids: string[] | undefined, vpcId: string): GroupIdentifier[] {
  if (!ids || ids.length === 0) return defaultGroupOf(ctx, vpcId);
  const out: GroupIdentifier[] = [];
  for (const id of [...new Set(ids)]) {
    const g = requireRecord<{ GroupId: string; GroupName: string; VpcId: string }>(ctx.state, 'security-group', id, 'SecurityGroupId');
    if (g.VpcId !== vpcId) {
      throw new ApiError('InvalidParameter', `Security group ${id} and vpc ${vpcId} belong to different networks.`);
    }
    out.push({ GroupId: g.GroupId, GroupName: g.GroupName });
  }
  if (out.length > ctx.config.quotas.securityGroupsPerInterface) {
    throw new ApiError('SecurityGroupsPerInterfaceLimitExceeded', 'The maximum number of security groups per interface has been reached.');
  }
  return out;
}

/** AWS's default policies: the gateway one compact, the interface one pretty-printed. */
const DEFAULT_POLICY: Record<EndpointType, string> = {
  Gateway: '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
  Interface: '{\n  "Statement": [\n    {\n      "Action": "*", \n      "Effect": "Allow", \n      "Principal": "*", \n      "Resource": "*"\n    }\n  ]\n}',
};

function invalidPolicy(detail: string): ApiError {
  return new ApiError('InvalidPolicyDocument', `The Policy Document is not valid. ${detail}`.trim());
}

/** A policy must be a JSON object of at most 20,480 characters. */
function checkPolicy(doc: string): string {
  if (doc.length > MAX_POLICY_LENGTH) {
    throw new ApiError('InvalidPolicyDocument', `The Policy Document is too long. It must be at most ${MAX_POLICY_LENGTH} characters.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch (err) {
    const m = /position (\d+)/.exec(String((err as Error).message));
    const pos = m ? Number(m[1]) : doc.length;
    const before = doc.slice(0, pos).split('\n');
    throw invalidPolicy(`Syntax error at position (${before.length},${before[before.length - 1]!.length + 1})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidPolicy('');
  return doc;
}

function onlyFor(what: string, types: string): ApiError {
  return new ApiError('InvalidParameter', `${what} are only supported for ${types} type VPC Endpoint${types.includes(' and ') ? 's' : ''}.`);
}

/** Private DNS for an interface endpoint: the service must have names, the VPC DNS on, no other owner of the names. */
function checkPrivateDns(
  ctx: RequestContext,
  s: ServiceDef,
  vpc: ReturnType<typeof endpointVpc>,
  self?: string,
): void {
  const names = privateDnsNames(ctx.region, s);
  if (names.length === 0) {
    throw new ApiError(
      'InvalidParameter',
      `Private DNS can't be enabled because the service ${serviceName(ctx.region, s)} does not provide a private DNS name.`,
    );
  }
  if (!vpc._attributes?.enableDnsSupport || !vpc._attributes?.enableDnsHostnames) {
    throw new ApiError(
      'InvalidParameter',
      `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpc.VpcId}`,
    );
  }
  const conflict = ctx.state
    .list<VpcEndpointRecord>(VPC_ENDPOINT)
    .find(
      (e) =>
        e.VpcEndpointId !== self &&
        live(e) &&
        e.VpcId === vpc.VpcId &&
        e.ServiceName === serviceName(ctx.region, s) &&
        e.VpcEndpointType === 'Interface' &&
        e.PrivateDnsEnabled,
    );
  if (conflict) {
    throw new ApiError(
      'InvalidParameter',
      `private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${names[0]} in the VPC ${vpc.VpcId}`,
    );
  }
}

/** A live gateway endpoint for the service in the VPC. */
function hasGatewayEndpoint(ctx: RequestContext, vpcId: string, name: string): boolean {
  return ctx.state
    .list<VpcEndpointRecord>(VPC_ENDPOINT)
    .some((e) => live(e) && e.VpcId === vpcId && e.ServiceName === name && e.VpcEndpointType === 'Gateway');
}

/** DnsOptions of an interface endpoint (S3's also say whether private DNS is for inbound resolvers only). */
function dnsOptions(
  ctx: RequestContext,
  s: ServiceDef,
  vpcId: string,
  ipType: string,
  privateDns: boolean,
  requested: CreateVpcEndpointRequest['DnsOptions'],
  current?: VpcEndpointRecord['DnsOptions'],
): VpcEndpointRecord['DnsOptions'] {
  const recordType = requested?.DnsRecordIpType ?? current?.DnsRecordIpType ?? ipType;
  const allowed: Record<string, string[]> = {
    ipv4: ['ipv4', 'service-defined'],
    dualstack: ['ipv4', 'dualstack', 'ipv6', 'service-defined'],
    ipv6: ['ipv6', 'service-defined'],
  };
  if (!(allowed[ipType] ?? []).includes(recordType)) {
    throw new ApiError('InvalidParameter', `DnsRecordIpType ${recordType} is not supported for an endpoint with IpAddressType ${ipType}.`);
  }
  const out: NonNullable<VpcEndpointRecord['DnsOptions']> = { DnsRecordIpType: recordType as 'ipv4' };
  if (s.key === 's3') {
    const name = serviceName(ctx.region, s);
    const hasGateway = hasGatewayEndpoint(ctx, vpcId, name);
    const wanted = requested?.PrivateDnsOnlyForInboundResolverEndpoint;
    if (wanted === true && !hasGateway) {
      throw new ApiError(
        'InvalidParameter',
        `To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC ${vpcId} must have a Gateway endpoint for the service.`,
      );
    }
    out.PrivateDnsOnlyForInboundResolverEndpoint = privateDns ? (wanted ?? current?.PrivateDnsOnlyForInboundResolverEndpoint ?? hasGateway) : false;
  }
  return out;
}

function checkIpAddressType(ctx: RequestContext, s: ServiceDef, value: string | undefined): string {
  const ip = value ?? 'ipv4';
  if (!['ipv4', 'dualstack', 'ipv6'].includes(ip)) {
    throw new ApiError('InvalidParameterValue', `Value (${ip}) for parameter ipAddressType is invalid. Valid values: ipv4, dualstack, ipv6`);
  }
  // Every service of the catalogue takes IPv4 only.
  if (ip !== 'ipv4') {
    throw new ApiError(
      'InvalidParameter',
      `The VPC endpoint service ${serviceName(ctx.region, s)} does not support the IP address type ${ip}.`,
    );
  }
  return ip;
}

// ---------------------------------------------------------------------------------------
// Gateway endpoint routes
// ---------------------------------------------------------------------------------------

const ORIGIN_USER = 'CreateRoute';

/** Routes the quota counts in a table's IPv4 family (a prefix list counts as its size). */
function ipv4RouteWeight(ctx: RequestContext, rt: Readonly<RouteTableLike>): number {
  return (rt.Routes ?? [])
    .filter((r) => r.Origin === ORIGIN_USER && !r.DestinationIpv6CidrBlock)
    .reduce((sum, r) => {
      if (!r.DestinationPrefixListId) return sum + 1;
      const pl = findPrefixList(ctx, r.DestinationPrefixListId);
      if (pl?.AddressFamily === 'IPv6') return sum;
      return sum + (Number(pl?.MaxEntries) > 0 ? Number(pl!.MaxEntries) : 1);
    }, 0);
}

/** Checks the tables a gateway endpoint would route through (before any is changed). */
function checkGatewayTables(ctx: RequestContext, ids: string[], vpcId: string, prefixListId: string): string[] {
  const out: string[] = [];
  for (const id of [...new Set(ids)]) {
    const rt = endpointRouteTable(ctx, id, vpcId);
    if ((rt.Associations ?? []).some((a) => !!a.GatewayId)) {
      throw new ApiError('InvalidParameterValue', `A prefix list cannot be the destination of a route in gateway route table ${id}.`);
    }
    if ((rt.Routes ?? []).some((r) => r.DestinationPrefixListId === prefixListId)) {
      throw new ApiError('RouteAlreadyExists', `route table ${id} already has a route with destination-prefix-list-id ${prefixListId}`);
    }
    const quota = ctx.config.quotas.routesPerRouteTable;
    if (ipv4RouteWeight(ctx, rt) + 1 > quota) {
      throw new ApiError('RouteLimitExceeded', `The maximum number of routes (${quota}) in route table '${id}' has been reached.`);
    }
    out.push(id);
  }
  return out;
}

function addEndpointRoute(ctx: RequestContext, tableId: string, prefixListId: string, endpointId: string): void {
  const rt = ctx.state.edit<RouteTableLike>('route-table', tableId)!;
  rt.Routes = [...(rt.Routes ?? []), { DestinationPrefixListId: prefixListId, GatewayId: endpointId, Origin: ORIGIN_USER }];
}

function removeEndpointRoutes(ctx: RequestContext, tableId: string, endpointId: string): void {
  const current = ctx.state.get<RouteTableLike>('route-table', tableId);
  if (!current || !(current.Routes ?? []).some((r) => r.GatewayId === endpointId)) return;
  const rt = ctx.state.edit<RouteTableLike>('route-table', tableId)!;
  rt.Routes = (rt.Routes ?? []).filter((r) => r.GatewayId !== endpointId);
}

function gatewayPrefixListId(ctx: RequestContext, s: ServiceDef): string {
  return awsManagedPrefixListFor(ctx.region, s.key as AwsManagedService).PrefixListId;
}

// ---------------------------------------------------------------------------------------
// Interface endpoint network interfaces
// ---------------------------------------------------------------------------------------

function addInterface(ctx: RequestContext, rec: VpcEndpointRecord, subnetId: string): string {
  const eni = createRequesterManagedInterface(ctx, {
    subnetId,
    description: `VPC Endpoint Interface ${rec.VpcEndpointId}`,
    interfaceType: 'vpc_endpoint',
    requesterId: ENDPOINT_REQUESTER_ID,
    groups: rec.Groups.map((g) => g.GroupId!),
  });
  return eni.NetworkInterfaceId!;
}

function interfaceInSubnet(ctx: RequestContext, rec: Readonly<VpcEndpointRecord>, subnetId: string): string | undefined {
  return rec.NetworkInterfaceIds.find((id) => ctx.state.get<{ SubnetId?: string }>('network-interface', id)?.SubnetId === subnetId);
}

function setInterfaceGroups(ctx: RequestContext, rec: Readonly<VpcEndpointRecord>): void {
  for (const id of rec.NetworkInterfaceIds) {
    const eni = ctx.state.edit<{ Groups: GroupIdentifier[] }>('network-interface', id);
    if (eni) eni.Groups = rec.Groups.map((g) => ({ ...g }));
  }
}

// ---------------------------------------------------------------------------------------
// CreateVpcEndpoint
// ---------------------------------------------------------------------------------------

function randomLabel(length: number, alphabet: string): string {
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

function limitExceeded(): ApiError {
  return new ApiError('VpcEndpointLimitExceeded', 'The maximum number of VPC endpoints has been reached.');
}

export function createVpcEndpoint(ctx: RequestContext, input: CreateVpcEndpointRequest): CreateVpcEndpointResult {
  purgeExpired(ctx);
  const type = input.VpcEndpointType ?? 'Gateway';
  if (!ENDPOINT_TYPES.includes(type)) {
    throw new ApiError('InvalidParameterValue', `Value (${type}) for parameter vpcEndpointType is invalid. Valid values: ${ENDPOINT_TYPES.join(', ')}`);
  }
  const vpc = endpointVpc(ctx, input.VpcId);
  if (input.ServiceName === undefined || input.ServiceName === '') {
    throw new ApiError('MissingParameter', 'The request must contain the parameter ServiceName');
  }
  const s = findService(ctx.region, input.ServiceName);
  if (!s) throw invalidServiceName(input.ServiceName);
  if (!(s.types as string[]).includes(type)) {
    throw new ApiError('InvalidParameter', `Endpoint type (${type}) does not match available service types ([${s.types.join(', ')}]).`);
  }
  const policy = input.PolicyDocument !== undefined ? checkPolicy(input.PolicyDocument) : DEFAULT_POLICY[type as EndpointType];
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, VPC_ENDPOINT);
  const live_ = ctx.state.list<VpcEndpointRecord>(VPC_ENDPOINT).filter(live);
  const rec: VpcEndpointRecord = {
    VpcEndpointId: newId('vpce'),
    VpcEndpointType: type as EndpointType,
    VpcId: vpc.VpcId,
    ServiceName: input.ServiceName,
    State: 'available',
    PolicyDocument: policy,
    RouteTableIds: [],
    SubnetIds: [],
    Groups: [],
    IpAddressType: 'ipv4',
    PrivateDnsEnabled: false,
    NetworkInterfaceIds: [],
    CreationTimestamp: ctx.now.toISOString(),
    Tags: tags,
    OwnerId: ctx.account,
    _dnsLabel: randomLabel(8, '0123456789abcdefghijklmnopqrstuvwxyz'),
    _privateZoneId: `Z0${randomLabel(18, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ')}`,
  };

  if (type === 'Gateway') {
    if ((input.SubnetIds?.length ?? 0) > 0) throw onlyFor('Subnet IDs', 'Interface and GatewayLoadBalancer');
    if ((input.SecurityGroupIds?.length ?? 0) > 0) throw onlyFor('Security group IDs', 'Interface');
    if (input.PrivateDnsEnabled === true) throw onlyFor('Private DNS names', 'Interface');
    if (input.IpAddressType !== undefined) checkIpAddressType(ctx, s, input.IpAddressType);
    if (live_.filter((e) => e.VpcEndpointType === 'Gateway').length >= ctx.config.quotas.gatewayEndpointsPerRegion) {
      throw limitExceeded();
    }
    const pl = gatewayPrefixListId(ctx, s);
    rec.RouteTableIds = checkGatewayTables(ctx, input.RouteTableIds ?? [], vpc.VpcId, pl);
    for (const id of rec.RouteTableIds) addEndpointRoute(ctx, id, pl, rec.VpcEndpointId);
    ctx.state.put(VPC_ENDPOINT, rec.VpcEndpointId, rec);
    return { VpcEndpoint: endpointView(ctx, rec), ClientToken: input.ClientToken };
  }

  // Interface
  if ((input.RouteTableIds?.length ?? 0) > 0) throw onlyFor('Route table IDs', 'Gateway');
  if (live_.filter((e) => e.VpcEndpointType === 'Interface' && e.VpcId === vpc.VpcId).length >= ctx.config.quotas.interfaceEndpointsPerVpc) {
    throw limitExceeded();
  }
  rec.IpAddressType = checkIpAddressType(ctx, s, input.IpAddressType) as VpcEndpointRecord['IpAddressType'];
  rec.PrivateDnsEnabled = input.PrivateDnsEnabled ?? s.privateDnsByDefault === true;
  if (rec.PrivateDnsEnabled) checkPrivateDns(ctx, s, vpc);
  rec.DnsOptions = dnsOptions(ctx, s, vpc.VpcId, rec.IpAddressType!, rec.PrivateDnsEnabled, input.DnsOptions);
  rec.SubnetIds = checkSubnets(ctx, input.SubnetIds ?? [], vpc.VpcId);
  rec.Groups = checkGroups(ctx, input.SecurityGroupIds, vpc.VpcId);
  rec.NetworkInterfaceIds = rec.SubnetIds.map((subnetId) => addInterface(ctx, rec, subnetId));
  ctx.state.put(VPC_ENDPOINT, rec.VpcEndpointId, rec);
  return { VpcEndpoint: endpointView(ctx, rec), ClientToken: input.ClientToken };
}

// ---------------------------------------------------------------------------------------
// ModifyVpcEndpoint
// ---------------------------------------------------------------------------------------

/** An endpoint that has not been deleted (else the NotFound error). */
function liveEndpoint(ctx: RequestContext, id: string | undefined): Readonly<VpcEndpointRecord> {
  const rec = requireRecord<VpcEndpointRecord>(ctx.state, VPC_ENDPOINT, id, 'VpcEndpointId');
  if (!live(rec)) throw notFound(kindOf(VPC_ENDPOINT), [rec.VpcEndpointId]);
  return rec;
}

export function modifyVpcEndpoint(ctx: RequestContext, input: ModifyVpcEndpointRequest): ModifyVpcEndpointResult {
  const current = liveEndpoint(ctx, input.VpcEndpointId);
  const s = findService(ctx.region, current.ServiceName)!;
  const vpc = endpointVpc(ctx, current.VpcId);
  if (input.ResetPolicy === true && input.PolicyDocument !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'You cannot specify both PolicyDocument and ResetPolicy.');
  }
  const policy = input.PolicyDocument !== undefined ? checkPolicy(input.PolicyDocument) : undefined;
  const rec = ctx.state.edit<VpcEndpointRecord>(VPC_ENDPOINT, current.VpcEndpointId)!;
  if (policy !== undefined) rec.PolicyDocument = policy;
  if (input.ResetPolicy === true) rec.PolicyDocument = DEFAULT_POLICY[rec.VpcEndpointType];
  const given = (list: unknown[] | undefined) => (list?.length ?? 0) > 0;

  if (rec.VpcEndpointType === 'Gateway') {
    if (given(input.AddSubnetIds) || given(input.RemoveSubnetIds)) throw onlyFor('Subnet IDs', 'Interface and GatewayLoadBalancer');
    if (given(input.AddSecurityGroupIds) || given(input.RemoveSecurityGroupIds)) throw onlyFor('Security group IDs', 'Interface');
    if (input.PrivateDnsEnabled === true) throw onlyFor('Private DNS names', 'Interface');
    if (input.IpAddressType !== undefined) checkIpAddressType(ctx, s, input.IpAddressType);
    const pl = gatewayPrefixListId(ctx, s);
    const associated = rec.RouteTableIds.filter((id) => ctx.state.get('route-table', id));
    const remove = [...new Set(input.RemoveRouteTableIds ?? [])];
    for (const id of remove) {
      endpointRouteTable(ctx, id, rec.VpcId);
      if (!associated.includes(id)) {
        throw new ApiError('InvalidParameter', `Route table ${id} is not associated with VPC endpoint ${rec.VpcEndpointId}.`);
      }
    }
    const toAdd = (input.AddRouteTableIds ?? []).filter((id) => !associated.includes(id) || remove.includes(id));
    for (const id of remove) removeEndpointRoutes(ctx, id, rec.VpcEndpointId);
    const added = checkGatewayTables(ctx, toAdd, rec.VpcId, pl);
    for (const id of added) addEndpointRoute(ctx, id, pl, rec.VpcEndpointId);
    rec.RouteTableIds = [...associated.filter((id) => !remove.includes(id)), ...added];
    return { Return: true };
  }

  // Interface
  if (given(input.AddRouteTableIds) || given(input.RemoveRouteTableIds)) throw onlyFor('Route table IDs', 'Gateway');
  if (input.IpAddressType !== undefined) rec.IpAddressType = checkIpAddressType(ctx, s, input.IpAddressType) as VpcEndpointRecord['IpAddressType'];
  if (input.PrivateDnsEnabled !== undefined && input.PrivateDnsEnabled !== rec.PrivateDnsEnabled) {
    if (input.PrivateDnsEnabled) checkPrivateDns(ctx, s, vpc, rec.VpcEndpointId);
    rec.PrivateDnsEnabled = input.PrivateDnsEnabled;
  }
  if (input.DnsOptions !== undefined || input.IpAddressType !== undefined || input.PrivateDnsEnabled !== undefined) {
    rec.DnsOptions = dnsOptions(ctx, s, rec.VpcId, rec.IpAddressType!, rec.PrivateDnsEnabled, input.DnsOptions, rec.DnsOptions);
  }

  // Security groups first, so that new interfaces get the new set.
  if (given(input.AddSecurityGroupIds) || given(input.RemoveSecurityGroupIds)) {
    const remove = new Set(input.RemoveSecurityGroupIds ?? []);
    for (const id of remove) {
      if (!rec.Groups.some((g) => g.GroupId === id)) {
        throw new ApiError('InvalidParameter', `Security group ${id} is not associated with VPC endpoint ${rec.VpcEndpointId}.`);
      }
    }
    const keep = rec.Groups.filter((g) => !remove.has(g.GroupId!));
    const addIds = [...new Set(input.AddSecurityGroupIds ?? [])].filter((id) => !keep.some((g) => g.GroupId === id));
    const groups = [...keep, ...(addIds.length > 0 ? checkGroups(ctx, addIds, rec.VpcId) : [])];
    if (groups.length === 0) {
      throw new ApiError('InvalidParameter', `VPC endpoint ${rec.VpcEndpointId} must have at least one security group.`);
    }
    if (groups.length > ctx.config.quotas.securityGroupsPerInterface) {
      throw new ApiError('SecurityGroupsPerInterfaceLimitExceeded', 'The maximum number of security groups per interface has been reached.');
    }
    rec.Groups = groups;
    setInterfaceGroups(ctx, rec);
  }

  if (given(input.AddSubnetIds) || given(input.RemoveSubnetIds)) {
    const remove = [...new Set(input.RemoveSubnetIds ?? [])];
    for (const id of remove) {
      endpointSubnet(ctx, id, rec.VpcId);
      if (!rec.SubnetIds.includes(id)) {
        throw new ApiError('InvalidParameter', `Subnet ${id} is not associated with VPC endpoint ${rec.VpcEndpointId}.`);
      }
    }
    const remaining = rec.SubnetIds.filter((id) => !remove.includes(id));
    const added = checkSubnets(ctx, input.AddSubnetIds ?? [], rec.VpcId, remaining);
    for (const id of remove) {
      const eni = interfaceInSubnet(ctx, rec, id);
      if (eni) {
        deleteRequesterManagedInterface(ctx, eni);
        rec.NetworkInterfaceIds = rec.NetworkInterfaceIds.filter((x) => x !== eni);
      }
    }
    for (const id of added) rec.NetworkInterfaceIds.push(addInterface(ctx, rec, id));
    rec.SubnetIds = [...remaining, ...added];
  }
  return { Return: true };
}

// ---------------------------------------------------------------------------------------
// DeleteVpcEndpoints / DescribeVpcEndpoints
// ---------------------------------------------------------------------------------------

function unsuccessful(id: string, code: string, message: string): UnsuccessfulItem {
  return { ResourceId: id, Error: { Code: code, Message: message } };
}

export function deleteVpcEndpoints(ctx: RequestContext, input: DeleteVpcEndpointsRequest): DeleteVpcEndpointsResult {
  const kind = kindOf(VPC_ENDPOINT);
  const failed: UnsuccessfulItem[] = [];
  for (const id of [...new Set(input.VpcEndpointIds ?? [])]) {
    if (!isWellFormedId(kind, id)) {
      failed.push(unsuccessful(id, 'InvalidVpcEndpointId.Malformed', `Invalid id: "${id}" (expecting "vpce-...")`));
      continue;
    }
    const current = ctx.state.get<VpcEndpointRecord>(VPC_ENDPOINT, id);
    if (!current || !live(current)) {
      failed.push(unsuccessful(id, 'InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`));
      continue;
    }
    const rec = ctx.state.edit<VpcEndpointRecord>(VPC_ENDPOINT, id)!;
    if (rec.VpcEndpointType === 'Gateway') {
      // Every table of the VPC, so that a route survives no association change.
      for (const t of ctx.state.list<RouteTableLike>('route-table')) {
        if (t.VpcId === rec.VpcId) removeEndpointRoutes(ctx, t.RouteTableId, id);
      }
    } else {
      for (const eni of rec.NetworkInterfaceIds) deleteRequesterManagedInterface(ctx, eni);
      rec.NetworkInterfaceIds = [];
    }
    rec.State = 'deleted';
    rec._deletedAt = ctx.now.toISOString();
  }
  purgeExpired(ctx);
  return { Unsuccessful: failed };
}

const ENDPOINT_FILTERS = {
  'ip-address-type': (e: VpcEndpoint) => e.IpAddressType,
  'service-name': (e: VpcEndpoint) => e.ServiceName,
  'service-region': (e: VpcEndpoint & { _region?: string }) => e._region,
  'vpc-id': (e: VpcEndpoint) => e.VpcId,
  'vpc-endpoint-id': (e: VpcEndpoint) => e.VpcEndpointId,
  'vpc-endpoint-state': (e: VpcEndpoint) => e.State,
  'vpc-endpoint-type': (e: VpcEndpoint) => e.VpcEndpointType,
};

export function describeVpcEndpoints(ctx: RequestContext, input: DescribeVpcEndpointsRequest): DescribeVpcEndpointsResult {
  const kind = kindOf(VPC_ENDPOINT);
  const visible = ctx.state.list<VpcEndpointRecord>(VPC_ENDPOINT).filter((e) => !expired(ctx, e));
  let selected = visible;
  if (input.VpcEndpointIds && input.VpcEndpointIds.length > 0) {
    const ids = [...new Set(input.VpcEndpointIds)];
    for (const id of ids) {
      if (!isWellFormedId(kind, id)) throw new ApiError('InvalidVpcEndpointId.Malformed', `Invalid id: "${id}" (expecting "vpce-...")`);
    }
    const missingIds = ids.filter((id) => !visible.some((e) => e.VpcEndpointId === id));
    if (missingIds.length) throw notFound(kind, missingIds);
    selected = visible.filter((e) => ids.includes(e.VpcEndpointId));
  }
  const views = selected.map((e) => ({ ...endpointView(ctx, e), _region: ctx.region }));
  const filtered = applyFilters(views, input.Filters, ENDPOINT_FILTERS);
  const page = paginate(filtered, pageInput(input), { min: 1, max: 1000 });
  return { VpcEndpoints: page.items.map(({ _region: _r, ...e }) => e), NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  DescribeVpcEndpointServices: describeVpcEndpointServices,
  CreateVpcEndpoint: createVpcEndpoint,
  ModifyVpcEndpoint: modifyVpcEndpoint,
  DeleteVpcEndpoints: deleteVpcEndpoints,
  DescribeVpcEndpoints: describeVpcEndpoints,
};
