/**
 * Instances: enough of EC2 for traffic to have real endpoints. RunInstances places each
 * instance in a subnet through its network interfaces (created by the launch or existing
 * ones), Start/Stop/Terminate move it through AWS's states, and Describe* show it.
 *
 * An instance record is AWS's `Instance` shape without what belongs to its network
 * interfaces: addresses, DNS names, security groups and the source/destination check
 * are read from the attached interfaces whenever the instance is shown.
 *
 * State changes take `stateTransitionMs` (config): the record holds the state it is
 * heading to (`State`) and, until that time, the state it shows meanwhile (`_transition`);
 * the current state is worked out when read, so no timers run. Work that AWS does at the
 * start of a change (releasing addresses, deleting interfaces) happens at the call.
 */
import type {
  DescribeInstanceAttributeRequest,
  DescribeInstanceStatusRequest,
  DescribeInstanceStatusResult,
  DescribeInstancesRequest,
  DescribeInstancesResult,
  GroupIdentifier,
  Instance,
  InstanceAttribute,
  InstanceNetworkInterface,
  InstanceStateChange,
  InstanceStateName,
  InstanceStatus,
  ModifyInstanceAttributeRequest,
  Reservation,
  ResetInstanceAttributeRequest,
  RunInstancesRequest,
  StartInstancesRequest,
  StartInstancesResult,
  StopInstancesRequest,
  StopInstancesResult,
  TagSpecification,
  TerminateInstancesRequest,
  TerminateInstancesResult,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck, type Tag } from './filters.js';
import { paginate } from './paginate.js';
import { checkIdShape, kindOf, newId, notFound } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { zonesOf } from './regions.js';
import { getSubnet, type SubnetRecord } from './subnets.js';
import type { VpcRecord } from './vpcs.js';
import type { SecurityGroupRecord } from './security-groups.js';
import { requireImage } from './images.js';
import {
  addressesNeeded,
  assignAutoPublicIp,
  attachInterface,
  detachInterface,
  type EniRecord,
  eniView,
  getNetworkInterface,
  insertInterface,
  interfacesByInstance,
  interfacesOfInstance,
  releaseAutoPublicIp,
  removeInterface,
  resolveGroups,
  splitPrivateIps,
} from './network-interfaces.js';

// ---------------------------------------------------------------------------------------
// Instance types

export interface InstanceTypeInfo {
  architecture: 'x86_64' | 'arm64';
  vcpus: number;
  threadsPerCore: number;
  /** Network interfaces the type allows. */
  interfaces: number;
  /** Private IPv4 addresses per interface. */
  ipv4PerInterface: number;
}

const TYPES = new Map<string, InstanceTypeInfo>();

function addFamily(
  family: string,
  architecture: 'x86_64' | 'arm64',
  sizes: Array<[size: string, vcpus: number, interfaces: number, ipv4: number]>,
  threadsPerCore: number,
): void {
  for (const [size, vcpus, interfaces, ipv4] of sizes) {
    TYPES.set(`${family}.${size}`, {
      architecture,
      vcpus,
      threadsPerCore: vcpus === 1 ? 1 : threadsPerCore,
      interfaces,
      ipv4PerInterface: ipv4,
    });
  }
}

const BURSTABLE: Array<[string, number, number, number]> = [
  ['nano', 2, 2, 2],
  ['micro', 2, 2, 2],
  ['small', 2, 3, 4],
  ['medium', 2, 3, 6],
  ['large', 2, 3, 12],
  ['xlarge', 4, 4, 15],
  ['2xlarge', 8, 4, 15],
];
const STANDARD: Array<[string, number, number, number]> = [
  ['large', 2, 3, 10],
  ['xlarge', 4, 4, 15],
  ['2xlarge', 8, 4, 15],
  ['4xlarge', 16, 8, 30],
  ['8xlarge', 32, 8, 30],
  ['12xlarge', 48, 8, 30],
  ['16xlarge', 64, 15, 50],
  ['24xlarge', 96, 15, 50],
];
addFamily('t2', 'x86_64', [
  ['nano', 1, 2, 2],
  ['micro', 1, 2, 2],
  ['small', 1, 3, 4],
  ['medium', 2, 3, 6],
  ['large', 2, 3, 12],
  ['xlarge', 4, 3, 15],
  ['2xlarge', 8, 3, 15],
], 1);
for (const f of ['t3', 't3a']) addFamily(f, 'x86_64', BURSTABLE, 2);
addFamily('t4g', 'arm64', BURSTABLE, 1);
for (const f of ['m5', 'm5a', 'm6i', 'm6a', 'm7i', 'm7a', 'c5', 'c5a', 'c6i', 'c6a', 'c7i', 'r5', 'r5a', 'r6i', 'r6a', 'r7i']) {
  addFamily(f, 'x86_64', STANDARD, 2);
}
for (const f of ['m6g', 'm7g', 'c6g', 'c7g', 'r6g', 'r7g']) addFamily(f, 'arm64', STANDARD, 1);
addFamily('m1', 'x86_64', [['small', 1, 2, 4]], 1);

/** What vpcsim knows of an instance type, or undefined for a type it does not accept. */
export function instanceTypeInfo(type: string): InstanceTypeInfo | undefined {
  return TYPES.get(type);
}

const DEFAULT_INSTANCE_TYPE = 'm1.small';

function requireType(type: string): InstanceTypeInfo {
  const info = TYPES.get(type);
  if (!info) throw new ApiError('InvalidParameterValue', `Invalid value '${type}' for InstanceType.`);
  return info;
}

// ---------------------------------------------------------------------------------------
// Records and states

export interface InstanceRecord
  extends Omit<Instance, 'LaunchTime' | 'UsageOperationUpdateTime' | 'State' | 'InstanceType' | 'Placement'> {
  InstanceId: string;
  ImageId: string;
  InstanceType: string;
  State: { Code: number; Name: InstanceStateName };
  LaunchTime: string;
  UsageOperationUpdateTime: string;
  Placement: { AvailabilityZone: string; GroupName?: string; Tenancy?: string };
  SubnetId: string;
  VpcId: string;
  Tags?: Tag[];
  _reservationId: string;
  /** Until `until`, the instance shows state `name` on its way to `State`. */
  _transition?: { name: InstanceStateName; until: string };
  /** When the instance first reached 'running'. */
  _firstRunningAt: string;
  /** When the instance reached (or will reach) 'terminated'. */
  _terminatedAt?: string;
  _reason?: { transition: string; code: string; message: string };
  _userData?: string;
  _disableApiTermination: boolean;
  _disableApiStop: boolean;
  _shutdownBehavior: string;
}

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

function stateOf(name: InstanceStateName): { Code: number; Name: InstanceStateName } {
  return { Code: STATE_CODES[name], Name: name };
}

/** Terminated instances stay visible this long, as on AWS. */
const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;

/** The state the instance is in at `now`. */
export function instanceStateName(r: Readonly<InstanceRecord>, now: Date): InstanceStateName {
  const t = r._transition;
  if (t && now.getTime() < Date.parse(t.until)) return t.name;
  return r.State.Name;
}

function isExpired(r: Readonly<InstanceRecord>, now: Date): boolean {
  return r.State.Name === 'terminated' && !!r._terminatedAt && now.getTime() - Date.parse(r._terminatedAt) > TERMINATED_VISIBLE_MS;
}

/** Instances AWS would still show. */
function visibleInstances(ctx: RequestContext): Readonly<InstanceRecord>[] {
  return ctx.state.list<InstanceRecord>('instance').filter((r) => !isExpired(r, ctx.now));
}

/** Removes instances terminated long enough ago that AWS no longer shows them. */
function purgeExpired(ctx: RequestContext): void {
  for (const r of ctx.state.list<InstanceRecord>('instance')) if (isExpired(r, ctx.now)) ctx.state.delete('instance', r.InstanceId);
}

/** The instance with this ID, or InvalidInstanceID.Malformed / .NotFound. */
export function getInstance(ctx: RequestContext, id: string | undefined, param = 'InstanceId'): Readonly<InstanceRecord> {
  const kind = kindOf('instance');
  if (!id) throw new ApiError('MissingParameter', `The request must contain the parameter ${param}`);
  checkIdShape(kind, id);
  const r = ctx.state.get<InstanceRecord>('instance', id);
  if (!r || isExpired(r, ctx.now)) throw notFound(kind, [id]);
  return r;
}

function selectInstances(ctx: RequestContext, ids: string[] | undefined): Readonly<InstanceRecord>[] {
  if (!ids || ids.length === 0) return visibleInstances(ctx);
  const kind = kindOf('instance');
  const unique = [...new Set(ids)];
  unique.forEach((id) => checkIdShape(kind, id));
  const out: Readonly<InstanceRecord>[] = [];
  const missing: string[] = [];
  for (const id of unique) {
    const r = ctx.state.get<InstanceRecord>('instance', id);
    if (r && !isExpired(r, ctx.now)) out.push(r);
    else missing.push(id);
  }
  if (missing.length) throw notFound(kind, missing);
  return out;
}

function editInstance(ctx: RequestContext, id: string): InstanceRecord {
  return ctx.state.edit<InstanceRecord>('instance', id)!;
}

/** Moves the instance to `to`, showing `via` for the configured transition time. */
function transition(ctx: RequestContext, r: InstanceRecord, via: InstanceStateName, to: InstanceStateName): void {
  const delay = ctx.config.stateTransitionMs;
  r.State = stateOf(to);
  if (delay > 0) r._transition = { name: via, until: new Date(ctx.now.getTime() + delay).toISOString() };
  else delete r._transition;
}

function gmt(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}

function userInitiated(ctx: RequestContext): InstanceRecord['_reason'] {
  return {
    transition: `User initiated (${gmt(ctx.now)})`,
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown',
  };
}

// ---------------------------------------------------------------------------------------
// Views

function vpcHostnames(ctx: RequestContext, vpcId: string, cache: Map<string, boolean>): boolean {
  let v = cache.get(vpcId);
  if (v === undefined) {
    v = ctx.state.get<VpcRecord>('vpc', vpcId)?._attributes?.enableDnsHostnames === true;
    cache.set(vpcId, v);
  }
  return v;
}

function instanceInterface(ctx: RequestContext, e: Readonly<EniRecord>, hostnames: boolean): InstanceNetworkInterface {
  const v = eniView(ctx, e, hostnames);
  const assoc = (a: typeof v.Association) =>
    a ? { IpOwnerId: a.IpOwnerId, PublicDnsName: a.PublicDnsName, PublicIp: a.PublicIp, CarrierIp: a.CarrierIp, CustomerOwnedIp: a.CustomerOwnedIp } : undefined;
  return {
    Association: assoc(v.Association),
    Attachment: v.Attachment
      ? {
          AttachTime: v.Attachment.AttachTime,
          AttachmentId: v.Attachment.AttachmentId,
          DeleteOnTermination: v.Attachment.DeleteOnTermination,
          DeviceIndex: v.Attachment.DeviceIndex,
          Status: v.Attachment.Status,
          NetworkCardIndex: v.Attachment.NetworkCardIndex,
        }
      : undefined,
    Description: v.Description,
    Groups: v.Groups,
    Ipv6Addresses: (v.Ipv6Addresses ?? []).map((a) => ({ Ipv6Address: a.Ipv6Address, IsPrimaryIpv6: a.IsPrimaryIpv6 })),
    MacAddress: v.MacAddress,
    NetworkInterfaceId: v.NetworkInterfaceId,
    OwnerId: v.OwnerId,
    PrivateDnsName: v.PrivateDnsName,
    PrivateIpAddress: v.PrivateIpAddress,
    PrivateIpAddresses: (v.PrivateIpAddresses ?? []).map((p) => ({
      Association: assoc(p.Association),
      Primary: p.Primary,
      PrivateDnsName: p.PrivateDnsName,
      PrivateIpAddress: p.PrivateIpAddress,
    })),
    SourceDestCheck: v.SourceDestCheck,
    Status: v.Status,
    SubnetId: v.SubnetId,
    VpcId: v.VpcId,
    InterfaceType: v.InterfaceType,
  };
}

function unionGroups(enis: readonly Readonly<EniRecord>[]): GroupIdentifier[] {
  const out: GroupIdentifier[] = [];
  for (const e of enis) for (const g of e.Groups) if (!out.some((o) => o.GroupId === g.GroupId)) out.push({ ...g });
  return out;
}

/** The AWS `Instance` shape: the record, its current state, and what its interfaces say. */
export function instanceView(
  ctx: RequestContext,
  r: Readonly<InstanceRecord>,
  enis: readonly Readonly<EniRecord>[] = interfacesOfInstance(ctx, r.InstanceId),
  opts: { state?: InstanceStateName; hostnames?: Map<string, boolean> } = {},
): Instance {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!k.startsWith('_')) out[k] = v;
  const name = opts.state ?? instanceStateName(r, ctx.now);
  out.State = stateOf(name);
  out.Placement = { ...r.Placement };
  out.Tags = (r.Tags ?? []).map((t) => ({ ...t }));
  if (name === 'pending') {
    out.StateTransitionReason = '';
    out.StateReason = { Code: 'pending', Message: 'pending' };
  } else if (name === 'running' || !r._reason) {
    out.StateTransitionReason = '';
  } else {
    out.StateTransitionReason = r._reason.transition;
    out.StateReason = { Code: r._reason.code, Message: r._reason.message };
  }
  if (name === 'terminated') {
    out.NetworkInterfaces = [];
    out.SecurityGroups = [];
    out.PrivateDnsName = '';
    out.PublicDnsName = '';
    delete out.SubnetId;
    delete out.VpcId;
    return out as Instance;
  }
  const cache = opts.hostnames ?? new Map<string, boolean>();
  const ifaces = enis.map((e) => instanceInterface(ctx, e, vpcHostnames(ctx, e.VpcId, cache)));
  const primary = ifaces.find((i) => i.Attachment?.DeviceIndex === 0);
  out.NetworkInterfaces = ifaces;
  out.SecurityGroups = unionGroups(enis);
  out.PrivateIpAddress = primary?.PrivateIpAddress;
  out.PrivateDnsName = primary?.PrivateDnsName ?? '';
  out.PublicIpAddress = primary?.Association?.PublicIp;
  out.PublicDnsName = primary?.Association?.PublicDnsName ?? '';
  out.SourceDestCheck = primary?.SourceDestCheck;
  if (primary) {
    out.SubnetId = primary.SubnetId;
    out.VpcId = primary.VpcId;
  }
  return out as Instance;
}

function reservationView(
  ctx: RequestContext,
  records: readonly Readonly<InstanceRecord>[],
  byInstance = interfacesByInstance(ctx),
  state?: InstanceStateName,
): Reservation {
  const hostnames = new Map<string, boolean>();
  return {
    Groups: [],
    Instances: records.map((r) => instanceView(ctx, r, byInstance.get(r.InstanceId) ?? [], { state, hostnames })),
    OwnerId: ctx.account,
    ReservationId: records[0]!._reservationId,
  };
}

// ---------------------------------------------------------------------------------------
// RunInstances

function defaultVpc(ctx: RequestContext): Readonly<VpcRecord> | undefined {
  return ctx.state.list<VpcRecord>('vpc').find((v) => v.IsDefault);
}

/** The default subnet RunInstances uses when none is given: in the zone asked for, else the first zone's. */
function defaultSubnet(ctx: RequestContext, zone?: string): Readonly<SubnetRecord> {
  const vpc = defaultVpc(ctx);
  if (!vpc) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user');
  const subnets = ctx.state
    .list<SubnetRecord>('subnet')
    .filter((s) => s.VpcId === vpc.VpcId && s.DefaultForAz)
    .sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''));
  if (subnets.length === 0) {
    throw new ApiError('MissingInput', `No subnets found for the default VPC '${vpc.VpcId}'. Please specify a subnet.`);
  }
  if (zone !== undefined) {
    const s = subnets.find((x) => x.AvailabilityZone === zone);
    if (!s) throw new ApiError('InvalidParameterValue', `No default subnet for availability zone: '${zone}'.`);
    return s;
  }
  return subnets[0]!;
}

/** Security groups named in RunInstances' SecurityGroups (names only work in the default VPC). */
function groupIdsByName(ctx: RequestContext, subnet: Readonly<SubnetRecord>, names: string[]): string[] {
  const vpc = defaultVpc(ctx);
  if (!vpc || vpc.VpcId !== subnet.VpcId) {
    throw new ApiError('InvalidParameterCombination', 'The parameter groupName cannot be used with the parameter subnet');
  }
  const groups = ctx.state.list<SecurityGroupRecord>('security-group').filter((g) => g.VpcId === vpc.VpcId);
  return names.map((n) => {
    const g = groups.find((x) => x.GroupName === n);
    if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${n}' does not exist in default VPC '${vpc.VpcId}'`);
    return g.GroupId;
  });
}

interface NewInterfacePlan {
  kind: 'new';
  deviceIndex: number;
  subnet: Readonly<SubnetRecord>;
  groups: GroupIdentifier[];
  primaryIp?: string;
  secondaryIps: string[];
  secondaryCount: number;
  ipv6Addresses: string[];
  ipv6Count: number;
  description?: string;
  deleteOnTermination: boolean;
  autoPublicIp: boolean;
}

interface ExistingInterfacePlan {
  kind: 'existing';
  deviceIndex: number;
  eni: Readonly<EniRecord>;
  deleteOnTermination: boolean;
}

type InterfacePlan = NewInterfacePlan | ExistingInterfacePlan;

function combination(message: string): ApiError {
  return new ApiError('InvalidParameterCombination', message);
}

function count(v: number | undefined, param: string): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0) {
    throw new ApiError('InvalidParameterValue', `Value (${n}) for parameter ${param} is invalid. Expected a non-negative integer.`);
  }
  return n;
}

function checkZone(ctx: RequestContext, zone: string | undefined): void {
  if (zone !== undefined && !zonesOf(ctx.region).some((z) => z.ZoneName === zone)) {
    throw new ApiError('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
  }
}

function planInterfaces(ctx: RequestContext, input: RunInstancesRequest, launching: number): InterfacePlan[] {
  const zone = input.Placement?.AvailabilityZone;
  checkZone(ctx, zone);
  const specs = input.NetworkInterfaces ?? [];
  if (specs.length === 0) {
    const subnet = input.SubnetId ? getSubnet(ctx, input.SubnetId) : defaultSubnet(ctx, zone);
    let ids = [...(input.SecurityGroupIds ?? [])];
    if (input.SecurityGroups?.length) ids = [...ids, ...groupIdsByName(ctx, subnet, input.SecurityGroups)];
    const ipv6Count = count(input.Ipv6AddressCount, 'ipv6AddressCount');
    const ipv6Addresses = (input.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!).filter(Boolean);
    if (ipv6Count > 0 && ipv6Addresses.length) throw combination('The parameters ipv6AddressCount and ipv6Addresses cannot be specified together.');
    if (input.PrivateIpAddress !== undefined && launching > 1) {
      throw combination('The private IP address parameter can only be used when launching a single instance.');
    }
    if (ipv6Addresses.length && launching > 1) {
      throw combination('The IPv6 addresses parameter can only be used when launching a single instance.');
    }
    return [
      {
        kind: 'new',
        deviceIndex: 0,
        subnet,
        groups: resolveGroups(ctx, subnet, ids),
        primaryIp: input.PrivateIpAddress,
        secondaryIps: [],
        secondaryCount: 0,
        ipv6Addresses,
        ipv6Count,
        deleteOnTermination: true,
        autoPublicIp: subnet.MapPublicIpOnLaunch === true,
      },
    ];
  }
  if (input.SubnetId) throw combination('Network interfaces and an instance-level subnet ID may not be specified on the same request');
  if (input.SecurityGroupIds?.length || input.SecurityGroups?.length) {
    throw combination('Network interfaces and an instance-level security groups may not be specified on the same request');
  }
  if (input.PrivateIpAddress !== undefined) {
    throw combination('Network interfaces and an instance-level private IP address should not be specified on the same request');
  }
  if (input.Ipv6AddressCount || input.Ipv6Addresses?.length) {
    throw combination('Network interfaces and an instance-level IPv6 addresses should not be specified on the same request');
  }
  const seen = new Set<number>();
  for (const s of specs) {
    if (s.DeviceIndex === undefined) {
      throw new ApiError('MissingParameter', 'Each network interface requires a device index.');
    }
    if (!Number.isInteger(s.DeviceIndex) || s.DeviceIndex < 0) {
      throw new ApiError('InvalidParameterValue', `Value (${s.DeviceIndex}) for parameter deviceIndex is invalid.`);
    }
    if (seen.has(s.DeviceIndex)) {
      throw new ApiError('InvalidParameterValue', `Each network interface requires a unique device index; device index ${s.DeviceIndex} is used twice.`);
    }
    seen.add(s.DeviceIndex);
  }
  if (!seen.has(0)) throw new ApiError('InvalidParameterValue', 'A network interface at device index 0 is required.');
  if (specs.length > 1 && specs.some((s) => s.AssociatePublicIpAddress === true)) {
    throw combination('The associatePublicIPAddress parameter cannot be specified when launching with multiple network interfaces.');
  }
  const plans: InterfacePlan[] = [];
  for (const s of [...specs].sort((a, b) => a.DeviceIndex! - b.DeviceIndex!)) {
    if (s.Ipv4Prefixes?.length || s.Ipv4PrefixCount || s.Ipv6Prefixes?.length || s.Ipv6PrefixCount) {
      throw new ApiError('UnsupportedOperation', 'Prefix delegation is not supported by vpcsim.');
    }
    if (s.NetworkInterfaceId) {
      if (s.AssociatePublicIpAddress === true) {
        throw combination('The associatePublicIPAddress parameter cannot be specified for an existing network interface.');
      }
      if (s.SubnetId || s.Groups?.length || s.PrivateIpAddress || s.PrivateIpAddresses?.length || s.SecondaryPrivateIpAddressCount) {
        throw combination('A network interface ID and network interface properties (subnet, groups, addresses) may not be specified together.');
      }
      if (launching > 1) throw combination('An existing network interface can only be used when launching a single instance.');
      const eni = getNetworkInterface(ctx, s.NetworkInterfaceId, `NetworkInterface.${s.DeviceIndex}.NetworkInterfaceId`);
      if (eni.Attachment || eni.Status === 'in-use') {
        throw new ApiError('InvalidNetworkInterface.InUse', `Interface: [${eni.NetworkInterfaceId}] in use.`);
      }
      plans.push({ kind: 'existing', deviceIndex: s.DeviceIndex!, eni, deleteOnTermination: s.DeleteOnTermination ?? false });
      continue;
    }
    const subnet = s.SubnetId ? getSubnet(ctx, s.SubnetId, `NetworkInterface.${s.DeviceIndex}.SubnetId`) : defaultSubnet(ctx, zone);
    const { primary, secondaries } = splitPrivateIps(s.PrivateIpAddress, s.PrivateIpAddresses);
    const secondaryCount = count(s.SecondaryPrivateIpAddressCount, 'secondaryPrivateIpAddressCount');
    if (secondaryCount > 0 && secondaries.length > 0) {
      throw combination('The parameters privateIpAddresses (with secondary addresses) and secondaryPrivateIpAddressCount cannot be specified together.');
    }
    if ((primary !== undefined || secondaries.length > 0) && launching > 1) {
      throw combination('The private IP address parameter can only be used when launching a single instance.');
    }
    const ipv6Addresses = (s.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!).filter(Boolean);
    plans.push({
      kind: 'new',
      deviceIndex: s.DeviceIndex!,
      subnet,
      groups: resolveGroups(ctx, subnet, s.Groups),
      primaryIp: primary,
      secondaryIps: secondaries,
      secondaryCount,
      ipv6Addresses,
      ipv6Count: count(s.Ipv6AddressCount, 'ipv6AddressCount'),
      description: s.Description,
      deleteOnTermination: s.DeleteOnTermination ?? true,
      autoPublicIp: s.DeviceIndex === 0 && (s.AssociatePublicIpAddress ?? (specs.length === 1 && subnet.MapPublicIpOnLaunch === true)),
    });
  }
  return plans;
}

function planZone(p: InterfacePlan): string {
  return p.kind === 'new' ? p.subnet.AvailabilityZone! : p.eni.AvailabilityZone;
}

function planSubnetId(p: InterfacePlan): string {
  return p.kind === 'new' ? p.subnet.SubnetId : p.eni.SubnetId;
}

/** Splits TagSpecifications of RunInstances by resource type. */
function launchTags(ctx: RequestContext, specs: TagSpecification[] | undefined): { instance?: Tag[]; eni?: Tag[] } {
  const of = (type: string) => (specs ?? []).filter((s) => s.ResourceType === type);
  for (const s of specs ?? []) {
    if (!s.ResourceType) throw new ApiError('MissingParameter', 'The request must contain the parameter TagSpecification.ResourceType');
    if (!['instance', 'network-interface', 'volume'].includes(s.ResourceType)) {
      throw new ApiError('InvalidParameterValue', `'${s.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
  }
  // Volumes are not simulated; their tags are checked and dropped.
  tagsFromSpecs(ctx, of('volume'), 'volume');
  return { instance: tagsFromSpecs(ctx, of('instance'), 'instance'), eni: tagsFromSpecs(ctx, of('network-interface'), 'network-interface') };
}

const USER_DATA_LIMIT = 16 * 1024;

export function runInstances(ctx: RequestContext, input: RunInstancesRequest): Reservation {
  purgeExpired(ctx);
  const min = input.MinCount!;
  const max = input.MaxCount!;
  if (min < 1) throw new ApiError('InvalidParameterValue', `Value (${min}) for parameter minCount is invalid. Expected a positive integer.`);
  if (max < 1) throw new ApiError('InvalidParameterValue', `Value (${max}) for parameter maxCount is invalid. Expected a positive integer.`);
  if (min > max) {
    throw new ApiError('InvalidParameterValue', `Value (${min}) for parameter minCount is invalid. minCount must be less than or equal to maxCount (${max}).`);
  }
  if (input.LaunchTemplate) throw new ApiError('UnsupportedOperation', 'Launch templates are not supported by vpcsim.');
  if (input.InstanceMarketOptions) throw new ApiError('UnsupportedOperation', 'Spot instances are not supported by vpcsim.');
  if (!input.ImageId) throw new ApiError('MissingParameter', 'The request must contain the parameter ImageId');
  const image = requireImage(ctx, input.ImageId);
  const type = input.InstanceType ?? DEFAULT_INSTANCE_TYPE;
  const info = requireType(type);
  if (info.architecture !== image.Architecture) {
    throw new ApiError(
      'InvalidParameterValue',
      `The architecture '${info.architecture}' of the specified instance type does not match the architecture '${image.Architecture}' of the specified AMI. ` +
        "Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.",
    );
  }
  if (input.UserData !== undefined && Buffer.from(input.UserData, 'base64').length > USER_DATA_LIMIT) {
    throw new ApiError('InvalidParameterValue', `User data is limited to ${USER_DATA_LIMIT} bytes`);
  }
  const shutdown = input.InstanceInitiatedShutdownBehavior ?? 'stop';
  if (shutdown !== 'stop' && shutdown !== 'terminate') {
    throw new ApiError('InvalidParameterValue', `Value (${shutdown}) for parameter instanceInitiatedShutdownBehavior is invalid.`);
  }
  const tenancy = input.Placement?.Tenancy ?? 'default';
  const tags = launchTags(ctx, input.TagSpecifications);

  const plans = planInterfaces(ctx, input, max);
  const primaryPlan = plans.find((p) => p.deviceIndex === 0)!;
  const zone = planZone(primaryPlan);
  if (plans.some((p) => planZone(p) !== zone)) {
    throw combination('You may not attach a network interface to an instance if they are not in the same availability zone');
  }
  const askedZone = input.Placement?.AvailabilityZone;
  if (askedZone !== undefined && askedZone !== zone) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${askedZone}) for parameter availabilityZone is invalid. Subnet '${planSubnetId(primaryPlan)}' is in the availability zone ${zone}`,
    );
  }
  if (plans.length > info.interfaces) {
    throw new ApiError('AttachmentLimitExceeded', `Interface count ${plans.length} exceeds the limit for ${type}`);
  }
  for (const p of plans) {
    const n = p.kind === 'new' ? addressesNeeded(p) : p.eni.PrivateIpAddresses.length;
    if (n > info.ipv4PerInterface) {
      throw new ApiError('PrivateIpAddressLimitExceeded', 'Number of private addresses will exceed limit.');
    }
  }

  // As many instances as the subnets have addresses for, at least MinCount.
  const needed = new Map<string, number>();
  for (const p of plans) if (p.kind === 'new') needed.set(p.subnet.SubnetId, (needed.get(p.subnet.SubnetId) ?? 0) + addressesNeeded(p));
  let launching = max;
  for (const [subnetId, per] of needed) {
    const fits = Math.floor((getSubnet(ctx, subnetId).AvailableIpAddressCount ?? 0) / per);
    if (fits < min) {
      throw new ApiError(
        'InsufficientFreeAddressesInSubnet',
        `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`,
      );
    }
    launching = Math.min(launching, fits);
  }

  const reservationId = newId('r');
  const launchTime = new Date(Math.floor(ctx.now.getTime() / 1000) * 1000).toISOString();
  const runningAt = new Date(ctx.now.getTime() + ctx.config.stateTransitionMs).toISOString();
  const vpcId = primaryPlan.kind === 'new' ? primaryPlan.subnet.VpcId : primaryPlan.eni.VpcId;
  const subnetForOptions = getSubnet(ctx, planSubnetId(primaryPlan));
  const imdsV2 = image.ImdsSupport === 'v2.0';
  const records: InstanceRecord[] = [];
  for (let k = 0; k < launching; k++) {
    const instanceId = newId('i');
    const rec: InstanceRecord = {
      AmiLaunchIndex: k,
      ImageId: image.ImageId,
      InstanceId: instanceId,
      InstanceType: type,
      KeyName: input.KeyName,
      LaunchTime: launchTime,
      Monitoring: { State: input.Monitoring?.Enabled ? 'enabled' : 'disabled' },
      Placement: { AvailabilityZone: zone, GroupName: input.Placement?.GroupName ?? '', Tenancy: tenancy },
      ProductCodes: [],
      State: stateOf('running'),
      StateTransitionReason: '',
      SubnetId: planSubnetId(primaryPlan),
      VpcId: vpcId,
      Architecture: image.Architecture,
      BlockDeviceMappings: [],
      ClientToken: input.ClientToken ?? '',
      EbsOptimized: input.EbsOptimized ?? false,
      EnaSupport: true,
      Hypervisor: 'xen',
      RootDeviceName: image.RootDeviceName,
      RootDeviceType: 'ebs',
      VirtualizationType: 'hvm',
      CpuOptions: {
        CoreCount: input.CpuOptions?.CoreCount ?? Math.max(1, info.vcpus / info.threadsPerCore),
        ThreadsPerCore: input.CpuOptions?.ThreadsPerCore ?? info.threadsPerCore,
      },
      CapacityReservationSpecification: { CapacityReservationPreference: 'open' },
      HibernationOptions: { Configured: input.HibernationOptions?.Configured ?? false },
      MetadataOptions: {
        State: 'applied',
        HttpTokens: input.MetadataOptions?.HttpTokens ?? (imdsV2 ? 'required' : 'optional'),
        HttpPutResponseHopLimit: input.MetadataOptions?.HttpPutResponseHopLimit ?? (imdsV2 ? 2 : 1),
        HttpEndpoint: input.MetadataOptions?.HttpEndpoint ?? 'enabled',
        HttpProtocolIpv6: input.MetadataOptions?.HttpProtocolIpv6 ?? 'disabled',
        InstanceMetadataTags: input.MetadataOptions?.InstanceMetadataTags ?? 'disabled',
      },
      EnclaveOptions: { Enabled: input.EnclaveOptions?.Enabled ?? false },
      BootMode: image.BootMode,
      CurrentInstanceBootMode: image.BootMode === 'uefi' || image.BootMode === 'uefi-preferred' ? 'uefi' : 'legacy-bios',
      PlatformDetails: 'Linux/UNIX',
      UsageOperation: 'RunInstances',
      UsageOperationUpdateTime: launchTime,
      PrivateDnsNameOptions: {
        HostnameType: input.PrivateDnsNameOptions?.HostnameType ?? subnetForOptions.PrivateDnsNameOptionsOnLaunch?.HostnameType ?? 'ip-name',
        EnableResourceNameDnsARecord:
          input.PrivateDnsNameOptions?.EnableResourceNameDnsARecord ??
          subnetForOptions.PrivateDnsNameOptionsOnLaunch?.EnableResourceNameDnsARecord ??
          false,
        EnableResourceNameDnsAAAARecord:
          input.PrivateDnsNameOptions?.EnableResourceNameDnsAAAARecord ??
          subnetForOptions.PrivateDnsNameOptionsOnLaunch?.EnableResourceNameDnsAAAARecord ??
          false,
      },
      MaintenanceOptions: { AutoRecovery: input.MaintenanceOptions?.AutoRecovery ?? 'default' },
      Tags: tags.instance?.map((t) => ({ ...t })),
      _reservationId: reservationId,
      _firstRunningAt: runningAt,
      _userData: input.UserData,
      _disableApiTermination: input.DisableApiTermination ?? false,
      _disableApiStop: input.DisableApiStop ?? false,
      _shutdownBehavior: shutdown,
    };
    if (ctx.config.stateTransitionMs > 0) rec._transition = { name: 'pending', until: runningAt };
    ctx.state.put('instance', instanceId, rec);
    records.push(rec);
    for (const p of plans) {
      let eniId: string;
      let autoPublic: boolean;
      if (p.kind === 'new') {
        const eni = insertInterface(ctx, {
          subnetId: p.subnet.SubnetId,
          groups: p.groups,
          primaryIp: p.primaryIp,
          secondaryIps: p.secondaryIps,
          secondaryCount: p.secondaryCount,
          ipv6Addresses: p.ipv6Addresses,
          ipv6Count: p.ipv6Count,
          description: p.description,
          tags: tags.eni?.map((t) => ({ ...t })),
          autoPublicIp: p.autoPublicIp,
        });
        eniId = eni.NetworkInterfaceId;
        autoPublic = p.autoPublicIp;
      } else {
        eniId = p.eni.NetworkInterfaceId;
        autoPublic = p.deviceIndex === 0 && p.eni._autoPublicIp === true;
      }
      attachInterface(ctx, eniId, { instanceId, deviceIndex: p.deviceIndex, deleteOnTermination: p.deleteOnTermination, at: launchTime });
      if (autoPublic && p.deviceIndex === 0) assignAutoPublicIp(ctx, eniId);
    }
  }
  return reservationView(ctx, records, interfacesByInstance(ctx), 'pending');
}

// ---------------------------------------------------------------------------------------
// Start / Stop / Terminate

function change(id: string, previous: InstanceStateName, current: InstanceStateName): InstanceStateChange {
  return { InstanceId: id, PreviousState: stateOf(previous), CurrentState: stateOf(current) };
}

export function startInstances(ctx: RequestContext, input: StartInstancesRequest): StartInstancesResult {
  const records = selectInstances(ctx, input.InstanceIds);
  const out: InstanceStateChange[] = [];
  for (const r of records) {
    const cur = instanceStateName(r, ctx.now);
    if (cur === 'running' || cur === 'pending') {
      out.push(change(r.InstanceId, cur, cur));
      continue;
    }
    if (cur !== 'stopped') {
      throw new ApiError('IncorrectInstanceState', `The instance '${r.InstanceId}' is not in a state from which it can be started.`);
    }
    const primary = interfacesOfInstance(ctx, r.InstanceId).find((e) => e.Attachment!.DeviceIndex === 0);
    if (primary?._autoPublicIp) assignAutoPublicIp(ctx, primary.NetworkInterfaceId);
    const rec = editInstance(ctx, r.InstanceId);
    transition(ctx, rec, 'pending', 'running');
    delete rec._reason;
    out.push(change(r.InstanceId, 'stopped', 'pending'));
  }
  return { StartingInstances: out };
}

export function stopInstances(ctx: RequestContext, input: StopInstancesRequest): StopInstancesResult {
  const records = selectInstances(ctx, input.InstanceIds);
  const out: InstanceStateChange[] = [];
  for (const r of records) {
    const cur = instanceStateName(r, ctx.now);
    if (cur === 'stopped' || cur === 'stopping') {
      out.push(change(r.InstanceId, cur, cur));
      continue;
    }
    if (cur === 'pending' && ctx.now.getTime() < Date.parse(r._firstRunningAt)) {
      throw new ApiError('IncorrectInstanceState', `Instance '${r.InstanceId}' cannot be stopped as it has never reached the 'running' state.`);
    }
    if (cur !== 'running') {
      throw new ApiError('IncorrectInstanceState', `This instance '${r.InstanceId}' is not in a state from which it can be stopped.`);
    }
    if (r._disableApiStop) {
      throw new ApiError('OperationNotPermitted', `The instance '${r.InstanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
    }
    if (input.Hibernate && !r.HibernationOptions?.Configured) {
      throw new ApiError('UnsupportedHibernationConfiguration', `The instance '${r.InstanceId}' is not configured for hibernation.`);
    }
    for (const e of interfacesOfInstance(ctx, r.InstanceId)) releaseAutoPublicIp(ctx, e.NetworkInterfaceId);
    const rec = editInstance(ctx, r.InstanceId);
    transition(ctx, rec, 'stopping', 'stopped');
    rec._reason = userInitiated(ctx);
    out.push(change(r.InstanceId, cur, 'stopping'));
  }
  return { StoppingInstances: out };
}

export function terminateInstances(ctx: RequestContext, input: TerminateInstancesRequest): TerminateInstancesResult {
  const records = selectInstances(ctx, input.InstanceIds);
  for (const r of records) {
    if (r._disableApiTermination && r.State.Name !== 'terminated') {
      throw new ApiError(
        'OperationNotPermitted',
        `The instance '${r.InstanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
      );
    }
  }
  const out: InstanceStateChange[] = [];
  for (const r of records) {
    const cur = instanceStateName(r, ctx.now);
    if (cur === 'terminated' || cur === 'shutting-down') {
      out.push(change(r.InstanceId, cur, cur));
      continue;
    }
    for (const e of interfacesOfInstance(ctx, r.InstanceId)) {
      if (e.Attachment!.DeleteOnTermination) removeInterface(ctx, e.NetworkInterfaceId);
      else detachInterface(ctx, e.NetworkInterfaceId);
    }
    const rec = editInstance(ctx, r.InstanceId);
    transition(ctx, rec, 'shutting-down', 'terminated');
    rec._terminatedAt = new Date(ctx.now.getTime() + ctx.config.stateTransitionMs).toISOString();
    rec._reason = userInitiated(ctx);
    out.push(change(r.InstanceId, cur, 'shutting-down'));
  }
  purgeExpired(ctx);
  return { TerminatingInstances: out };
}

// ---------------------------------------------------------------------------------------
// Describe

interface InstanceRow {
  v: Instance;
  r: Readonly<InstanceRecord>;
  enis: readonly Readonly<EniRecord>[];
  owner: string;
  Tags?: Tag[];
}

const ni = (read: (e: Readonly<EniRecord>, v: InstanceNetworkInterface) => unknown) => (row: InstanceRow) =>
  row.enis.flatMap((e, i) => {
    const x = read(e, row.v.NetworkInterfaces?.[i] ?? {});
    return (Array.isArray(x) ? x : [x]) as Array<string | number | boolean | undefined>;
  });

const INSTANCE_FILTERS = {
  affinity: (x: InstanceRow) => x.v.Placement?.Affinity,
  architecture: (x: InstanceRow) => x.v.Architecture,
  'availability-zone': (x: InstanceRow) => x.v.Placement?.AvailabilityZone,
  'availability-zone-id': (x: InstanceRow) => x.v.Placement?.AvailabilityZoneId,
  'block-device-mapping.attach-time': (x: InstanceRow) => pluck(x.v.BlockDeviceMappings, (b) => b.Ebs?.AttachTime as unknown as string),
  'block-device-mapping.delete-on-termination': (x: InstanceRow) => pluck(x.v.BlockDeviceMappings, (b) => b.Ebs?.DeleteOnTermination),
  'block-device-mapping.device-name': (x: InstanceRow) => pluck(x.v.BlockDeviceMappings, (b) => b.DeviceName),
  'block-device-mapping.status': (x: InstanceRow) => pluck(x.v.BlockDeviceMappings, (b) => b.Ebs?.Status),
  'block-device-mapping.volume-id': (x: InstanceRow) => pluck(x.v.BlockDeviceMappings, (b) => b.Ebs?.VolumeId),
  'boot-mode': (x: InstanceRow) => x.v.BootMode,
  'capacity-reservation-id': (x: InstanceRow) => x.v.CapacityReservationId,
  'client-token': (x: InstanceRow) => x.v.ClientToken,
  'current-instance-boot-mode': (x: InstanceRow) => x.v.CurrentInstanceBootMode,
  'dns-name': (x: InstanceRow) => x.v.PublicDnsName,
  'ebs-optimized': (x: InstanceRow) => x.v.EbsOptimized,
  'ena-support': (x: InstanceRow) => x.v.EnaSupport,
  'enclave-options.enabled': (x: InstanceRow) => x.v.EnclaveOptions?.Enabled,
  'group-id': (x: InstanceRow) => pluck(x.v.SecurityGroups, (g) => g.GroupId),
  'group-name': (x: InstanceRow) => pluck(x.v.SecurityGroups, (g) => g.GroupName),
  'hibernation-options.configured': (x: InstanceRow) => x.v.HibernationOptions?.Configured,
  'host-id': (x: InstanceRow) => x.v.Placement?.HostId,
  hypervisor: (x: InstanceRow) => x.v.Hypervisor,
  'iam-instance-profile.arn': (x: InstanceRow) => x.v.IamInstanceProfile?.Arn,
  'iam-instance-profile.id': (x: InstanceRow) => x.v.IamInstanceProfile?.Id,
  'image-id': (x: InstanceRow) => x.v.ImageId,
  'instance-id': (x: InstanceRow) => x.v.InstanceId,
  'instance-lifecycle': (x: InstanceRow) => x.v.InstanceLifecycle,
  'instance-state-code': (x: InstanceRow) => x.v.State?.Code,
  'instance-state-name': (x: InstanceRow) => x.v.State?.Name,
  'instance-type': (x: InstanceRow) => x.v.InstanceType,
  'instance.group-id': (x: InstanceRow) => pluck(x.v.SecurityGroups, (g) => g.GroupId),
  'instance.group-name': (x: InstanceRow) => pluck(x.v.SecurityGroups, (g) => g.GroupName),
  'ip-address': (x: InstanceRow) => x.v.PublicIpAddress,
  'ipv6-address': (x: InstanceRow) => ni((e) => pluck(e.Ipv6Addresses, (a) => a.Ipv6Address))(x),
  'kernel-id': (x: InstanceRow) => x.v.KernelId,
  'key-name': (x: InstanceRow) => x.v.KeyName,
  'launch-index': (x: InstanceRow) => x.v.AmiLaunchIndex,
  'launch-time': (x: InstanceRow) => x.r.LaunchTime,
  'maintenance-options.auto-recovery': (x: InstanceRow) => x.v.MaintenanceOptions?.AutoRecovery,
  'metadata-options.http-endpoint': (x: InstanceRow) => x.v.MetadataOptions?.HttpEndpoint,
  'metadata-options.http-protocol-ipv4': () => 'enabled',
  'metadata-options.http-protocol-ipv6': (x: InstanceRow) => x.v.MetadataOptions?.HttpProtocolIpv6,
  'metadata-options.http-put-response-hop-limit': (x: InstanceRow) => x.v.MetadataOptions?.HttpPutResponseHopLimit,
  'metadata-options.http-tokens': (x: InstanceRow) => x.v.MetadataOptions?.HttpTokens,
  'metadata-options.instance-metadata-tags': (x: InstanceRow) => x.v.MetadataOptions?.InstanceMetadataTags,
  'metadata-options.state': (x: InstanceRow) => x.v.MetadataOptions?.State,
  'monitoring-state': (x: InstanceRow) => x.v.Monitoring?.State,
  'network-interface.addresses.association.allocation-id': ni((e) => pluck(e.PrivateIpAddresses, (p) => p.Association?.AllocationId)),
  'network-interface.addresses.association.association-id': ni((e) => pluck(e.PrivateIpAddresses, (p) => p.Association?.AssociationId)),
  'network-interface.addresses.association.ip-owner-id': ni((_e, v) => pluck(v.PrivateIpAddresses, (p) => p.Association?.IpOwnerId)),
  'network-interface.addresses.association.public-dns-name': ni((_e, v) => pluck(v.PrivateIpAddresses, (p) => p.Association?.PublicDnsName)),
  'network-interface.addresses.association.public-ip': ni((_e, v) => pluck(v.PrivateIpAddresses, (p) => p.Association?.PublicIp)),
  'network-interface.addresses.primary': ni((_e, v) => pluck(v.PrivateIpAddresses, (p) => p.Primary)),
  'network-interface.addresses.private-dns-name': ni((_e, v) => pluck(v.PrivateIpAddresses, (p) => p.PrivateDnsName)),
  'network-interface.addresses.private-ip-address': ni((_e, v) => pluck(v.PrivateIpAddresses, (p) => p.PrivateIpAddress)),
  'network-interface.association.allocation-id': ni((e) => (e.PrivateIpAddresses.find((p) => p.Primary)?.Association ?? e.Association)?.AllocationId),
  'network-interface.association.association-id': ni((e) => (e.PrivateIpAddresses.find((p) => p.Primary)?.Association ?? e.Association)?.AssociationId),
  'network-interface.association.ip-owner-id': ni((_e, v) => v.Association?.IpOwnerId),
  'network-interface.association.public-dns-name': ni((_e, v) => v.Association?.PublicDnsName),
  'network-interface.association.public-ip': ni((_e, v) => v.Association?.PublicIp),
  'network-interface.attachment.attach-time': ni((e) => e.Attachment?.AttachTime),
  'network-interface.attachment.attachment-id': ni((e) => e.Attachment?.AttachmentId),
  'network-interface.attachment.delete-on-termination': ni((e) => e.Attachment?.DeleteOnTermination),
  'network-interface.attachment.device-index': ni((e) => e.Attachment?.DeviceIndex),
  'network-interface.attachment.instance-id': ni((e) => e.Attachment?.InstanceId),
  'network-interface.attachment.instance-owner-id': ni((e) => e.Attachment?.InstanceOwnerId),
  'network-interface.attachment.network-card-index': ni((e) => e.Attachment?.NetworkCardIndex),
  'network-interface.attachment.status': ni((e) => e.Attachment?.Status),
  'network-interface.availability-zone': ni((e) => e.AvailabilityZone),
  'network-interface.description': ni((e) => e.Description),
  'network-interface.group-id': ni((e) => pluck(e.Groups, (g) => g.GroupId)),
  'network-interface.group-name': ni((e) => pluck(e.Groups, (g) => g.GroupName)),
  'network-interface.ipv6-address': ni((e) => pluck(e.Ipv6Addresses, (a) => a.Ipv6Address)),
  'network-interface.ipv6-addresses.ipv6-address': ni((e) => pluck(e.Ipv6Addresses, (a) => a.Ipv6Address)),
  'network-interface.ipv6-addresses.is-primary-ipv6': ni((e) => pluck(e.Ipv6Addresses, (a) => a.IsPrimaryIpv6)),
  'network-interface.ipv6-native': ni((e) => e.Ipv6Native),
  'network-interface.mac-address': ni((e) => e.MacAddress),
  'network-interface.network-interface-id': ni((e) => e.NetworkInterfaceId),
  'network-interface.owner-id': ni((e) => e.OwnerId),
  'network-interface.private-dns-name': ni((e) => e.PrivateDnsName),
  'network-interface.private-ip-address': ni((e) => pluck(e.PrivateIpAddresses, (p) => p.PrivateIpAddress)),
  'network-interface.public-dns-name': ni((_e, v) => v.Association?.PublicDnsName),
  'network-interface.requester-id': ni((e) => e.RequesterId),
  'network-interface.requester-managed': ni((e) => e.RequesterManaged),
  'network-interface.status': ni((e) => e.Status),
  'network-interface.source-dest-check': ni((e) => e.SourceDestCheck),
  'network-interface.subnet-id': ni((e) => e.SubnetId),
  'network-interface.tag-key': ni((e) => pluck(e.Tags, (t) => t.Key)),
  'network-interface.tag-value': ni((e) => pluck(e.Tags, (t) => t.Value)),
  'network-interface.vpc-id': ni((e) => e.VpcId),
  'outpost-arn': (x: InstanceRow) => x.v.OutpostArn,
  'owner-id': (x: InstanceRow) => x.owner,
  'placement-group-name': (x: InstanceRow) => x.v.Placement?.GroupName,
  'placement-partition-number': (x: InstanceRow) => x.v.Placement?.PartitionNumber,
  platform: (x: InstanceRow) => x.v.Platform,
  'platform-details': (x: InstanceRow) => x.v.PlatformDetails,
  'private-dns-name': (x: InstanceRow) => x.v.PrivateDnsName,
  'private-dns-name-options.enable-resource-name-dns-a-record': (x: InstanceRow) => x.v.PrivateDnsNameOptions?.EnableResourceNameDnsARecord,
  'private-dns-name-options.enable-resource-name-dns-aaaa-record': (x: InstanceRow) => x.v.PrivateDnsNameOptions?.EnableResourceNameDnsAAAARecord,
  'private-dns-name-options.hostname-type': (x: InstanceRow) => x.v.PrivateDnsNameOptions?.HostnameType,
  'private-ip-address': (x: InstanceRow) => x.v.PrivateIpAddress,
  'product-code': (x: InstanceRow) => pluck(x.v.ProductCodes, (p) => p.ProductCodeId),
  'product-code.type': (x: InstanceRow) => pluck(x.v.ProductCodes, (p) => p.ProductCodeType),
  'ramdisk-id': (x: InstanceRow) => x.v.RamdiskId,
  reason: (x: InstanceRow) => x.v.StateTransitionReason,
  'requester-id': () => undefined,
  'reservation-id': (x: InstanceRow) => x.r._reservationId,
  'root-device-name': (x: InstanceRow) => x.v.RootDeviceName,
  'root-device-type': (x: InstanceRow) => x.v.RootDeviceType,
  'source-dest-check': (x: InstanceRow) => x.v.SourceDestCheck,
  'spot-instance-request-id': (x: InstanceRow) => x.v.SpotInstanceRequestId,
  'state-reason-code': (x: InstanceRow) => x.v.StateReason?.Code,
  'state-reason-message': (x: InstanceRow) => x.v.StateReason?.Message,
  'subnet-id': (x: InstanceRow) => x.v.SubnetId,
  tenancy: (x: InstanceRow) => x.v.Placement?.Tenancy,
  'tpm-support': (x: InstanceRow) => x.v.TpmSupport,
  'usage-operation': (x: InstanceRow) => x.v.UsageOperation,
  'usage-operation-update-time': (x: InstanceRow) => x.r.UsageOperationUpdateTime,
  'virtualization-type': (x: InstanceRow) => x.v.VirtualizationType,
  'vpc-id': (x: InstanceRow) => x.v.VpcId,
};

function rows(ctx: RequestContext, records: readonly Readonly<InstanceRecord>[]): InstanceRow[] {
  const byInstance = interfacesByInstance(ctx);
  const hostnames = new Map<string, boolean>();
  return records.map((r) => {
    const enis = byInstance.get(r.InstanceId) ?? [];
    const v = instanceView(ctx, r, enis, { hostnames });
    return { v, r, enis: v.NetworkInterfaces?.length ? enis : [], owner: ctx.account, Tags: r.Tags };
  });
}

function noIdsWithMaxResults(ids: string[] | undefined, max: number | undefined): void {
  if (max !== undefined && ids && ids.length > 0) {
    throw combination('The parameter instancesSet cannot be used with the parameter maxResults');
  }
}

export function describeInstances(ctx: RequestContext, input: DescribeInstancesRequest): DescribeInstancesResult {
  noIdsWithMaxResults(input.InstanceIds, input.MaxResults);
  const selected = applyFilters(rows(ctx, selectInstances(ctx, input.InstanceIds)), input.Filters, INSTANCE_FILTERS);
  const page = paginate(selected, input);
  const reservations: Reservation[] = [];
  const byId = new Map<string, Reservation>();
  for (const row of page.items) {
    let res = byId.get(row.r._reservationId);
    if (!res) {
      res = { Groups: [], Instances: [], OwnerId: ctx.account, ReservationId: row.r._reservationId };
      byId.set(row.r._reservationId, res);
      reservations.push(res);
    }
    res.Instances!.push(row.v);
  }
  return { Reservations: reservations, NextToken: page.nextToken };
}

type StatusRow = InstanceStatus & { _zoneId?: string; Tags?: Tag[] };

const STATUS_FILTERS = {
  'availability-zone': (s: InstanceStatus) => s.AvailabilityZone,
  'availability-zone-id': (s: StatusRow) => s._zoneId,
  'event.code': (s: InstanceStatus) => pluck(s.Events, (e) => e.Code),
  'event.description': (s: InstanceStatus) => pluck(s.Events, (e) => e.Description),
  'event.instance-event-id': (s: InstanceStatus) => pluck(s.Events, (e) => e.InstanceEventId),
  'event.not-after': (s: InstanceStatus) => pluck(s.Events, (e) => e.NotAfter as unknown as string),
  'event.not-before': (s: InstanceStatus) => pluck(s.Events, (e) => e.NotBefore as unknown as string),
  'event.not-before-deadline': (s: InstanceStatus) => pluck(s.Events, (e) => e.NotBeforeDeadline as unknown as string),
  'instance-state-code': (s: InstanceStatus) => s.InstanceState?.Code,
  'instance-state-name': (s: InstanceStatus) => s.InstanceState?.Name,
  'instance-status.reachability': (s: InstanceStatus) => pluck(s.InstanceStatus?.Details, (d) => d.Status),
  'instance-status.status': (s: InstanceStatus) => s.InstanceStatus?.Status,
  'system-status.reachability': (s: InstanceStatus) => pluck(s.SystemStatus?.Details, (d) => d.Status),
  'system-status.status': (s: InstanceStatus) => s.SystemStatus?.Status,
  'attached-ebs-status.status': (s: InstanceStatus) => s.AttachedEbsStatus?.Status,
};

export function describeInstanceStatus(ctx: RequestContext, input: DescribeInstanceStatusRequest): DescribeInstanceStatusResult {
  noIdsWithMaxResults(input.InstanceIds, input.MaxResults);
  const zones = zonesOf(ctx.region);
  const statuses: StatusRow[] = [];
  for (const r of selectInstances(ctx, input.InstanceIds)) {
    const name = instanceStateName(r, ctx.now);
    if (name !== 'running' && !input.IncludeAllInstances) continue;
    const running = name === 'running';
    const check = running
      ? { Status: 'ok' as const, Details: [{ Name: 'reachability' as const, Status: 'passed' as const }] }
      : { Status: 'not-applicable' as const, Details: [] };
    statuses.push({
      AvailabilityZone: r.Placement.AvailabilityZone,
      Events: [],
      InstanceId: r.InstanceId,
      InstanceState: stateOf(name),
      InstanceStatus: check,
      SystemStatus: { Status: check.Status, Details: check.Details.map((d) => ({ ...d })) },
      AttachedEbsStatus: { Status: check.Status, Details: check.Details.map((d) => ({ Name: d.Name, Status: d.Status })) },
      _zoneId: zones.find((z) => z.ZoneName === r.Placement.AvailabilityZone)?.ZoneId,
    });
  }
  const selected = applyFilters(statuses, input.Filters, STATUS_FILTERS);
  const page = paginate(selected, input);
  return { InstanceStatuses: page.items.map(({ _zoneId: _z, Tags: _t, ...s }) => s), NextToken: page.nextToken };
}

// ---------------------------------------------------------------------------------------
// Attributes

const INSTANCE_ATTRIBUTES = [
  'instanceType',
  'kernel',
  'ramdisk',
  'userData',
  'disableApiTermination',
  'instanceInitiatedShutdownBehavior',
  'rootDeviceName',
  'blockDeviceMapping',
  'productCodes',
  'sourceDestCheck',
  'groupSet',
  'ebsOptimized',
  'sriovNetSupport',
  'enaSupport',
  'enclaveOptions',
  'disableApiStop',
];

function unknownAttribute(a: string | undefined): ApiError {
  return new ApiError('InvalidParameterValue', `Value (${a}) for parameter attribute is invalid. Unknown attribute.`);
}

/** The only interface of the instance; AWS refuses instance-level changes with several. */
function soleInterface(ctx: RequestContext, r: Readonly<InstanceRecord>): Readonly<EniRecord> {
  const enis = interfacesOfInstance(ctx, r.InstanceId);
  if (enis.length > 1) {
    throw new ApiError(
      'InvalidInstanceID',
      `There are multiple interfaces attached to instance '${r.InstanceId}'. Please specify an interface ID for the operation instead.`,
    );
  }
  if (enis.length === 0) {
    throw new ApiError('IncorrectInstanceState', `The instance '${r.InstanceId}' is not in a valid state for this operation.`);
  }
  return enis[0]!;
}

function requireStopped(ctx: RequestContext, r: Readonly<InstanceRecord>): void {
  if (instanceStateName(r, ctx.now) !== 'stopped') {
    throw new ApiError('IncorrectInstanceState', `The instance '${r.InstanceId}' is not in the 'stopped' state.`);
  }
}

function parseBool(v: string | undefined, attr: string): boolean {
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ApiError('InvalidParameterValue', `Value (${v}) for parameter ${attr} is invalid. Expected 'true' or 'false'.`);
}

export function modifyInstanceAttribute(ctx: RequestContext, input: ModifyInstanceAttributeRequest): void {
  const r = getInstance(ctx, input.InstanceId);
  type Change = { attr: string; value: unknown };
  const changes: Change[] = [];
  const add = (attr: string, value: unknown) => {
    if (value !== undefined) changes.push({ attr, value });
  };
  add('sourceDestCheck', input.SourceDestCheck?.Value);
  add('disableApiTermination', input.DisableApiTermination?.Value);
  add('disableApiStop', input.DisableApiStop?.Value);
  add('ebsOptimized', input.EbsOptimized?.Value);
  add('enaSupport', input.EnaSupport?.Value);
  add('instanceInitiatedShutdownBehavior', input.InstanceInitiatedShutdownBehavior?.Value);
  add('instanceType', input.InstanceType?.Value);
  add('kernel', input.Kernel?.Value);
  add('ramdisk', input.Ramdisk?.Value);
  add('sriovNetSupport', input.SriovNetSupport?.Value);
  add('userData', input.UserData ? Buffer.from(input.UserData.Value ?? new Uint8Array()).toString('base64') : undefined);
  if (input.Groups?.length) add('groupSet', input.Groups);
  if (input.BlockDeviceMappings?.length) add('blockDeviceMapping', input.BlockDeviceMappings);
  if (input.Attribute !== undefined) {
    const a = input.Attribute as string;
    if (!INSTANCE_ATTRIBUTES.includes(a)) throw unknownAttribute(a);
    if (input.Value === undefined && a !== 'groupSet') {
      throw new ApiError('MissingParameter', 'The request must contain the parameter value');
    }
    const v = input.Value;
    const boolAttrs = ['sourceDestCheck', 'disableApiTermination', 'disableApiStop', 'ebsOptimized', 'enaSupport'];
    if (boolAttrs.includes(a)) add(a, parseBool(v, a));
    else if (a === 'userData') add(a, v);
    else if (a === 'groupSet') {
      if (!input.Groups?.length) throw new ApiError('MissingParameter', 'The request must contain the parameter groupId');
    } else add(a, v);
  }
  if (changes.length === 0) throw new ApiError('MissingParameter', 'The request must contain exactly one attribute to modify.');
  const unique = new Set(changes.map((c) => c.attr));
  if (unique.size > 1) throw combination('Only one attribute can be modified at a time.');
  const { attr, value } = changes[0]!;
  const state = instanceStateName(r, ctx.now);
  if (state === 'terminated' || state === 'shutting-down') {
    throw new ApiError('IncorrectInstanceState', `The instance '${r.InstanceId}' is not in a valid state for this operation.`);
  }
  switch (attr) {
    case 'sourceDestCheck': {
      const eni = soleInterface(ctx, r);
      ctx.state.edit<EniRecord>('network-interface', eni.NetworkInterfaceId)!.SourceDestCheck = value as boolean;
      return;
    }
    case 'groupSet': {
      const eni = soleInterface(ctx, r);
      const groups = resolveGroups(ctx, { SubnetId: eni.SubnetId, VpcId: eni.VpcId }, value as string[], 'modify');
      ctx.state.edit<EniRecord>('network-interface', eni.NetworkInterfaceId)!.Groups = groups;
      return;
    }
    case 'disableApiTermination':
      editInstance(ctx, r.InstanceId)._disableApiTermination = value as boolean;
      return;
    case 'disableApiStop':
      editInstance(ctx, r.InstanceId)._disableApiStop = value as boolean;
      return;
    case 'instanceInitiatedShutdownBehavior': {
      if (value !== 'stop' && value !== 'terminate') {
        throw new ApiError('InvalidParameterValue', `Value (${String(value)}) for parameter instanceInitiatedShutdownBehavior is invalid.`);
      }
      editInstance(ctx, r.InstanceId)._shutdownBehavior = value;
      return;
    }
    case 'instanceType': {
      requireStopped(ctx, r);
      const type = String(value);
      const info = requireType(type);
      if (info.architecture !== r.Architecture) {
        throw new ApiError(
          'InvalidInstanceAttributeValue',
          `The architecture '${info.architecture}' of the instance type ${type} does not match the architecture '${r.Architecture}' of the instance.`,
        );
      }
      const enis = interfacesOfInstance(ctx, r.InstanceId);
      if (enis.length > info.interfaces || enis.some((e) => e.PrivateIpAddresses.length > info.ipv4PerInterface)) {
        throw new ApiError('InvalidInstanceAttributeValue', `The instance type ${type} does not support the network interfaces and addresses of instance '${r.InstanceId}'.`);
      }
      const rec = editInstance(ctx, r.InstanceId);
      rec.InstanceType = type;
      rec.CpuOptions = { CoreCount: Math.max(1, info.vcpus / info.threadsPerCore), ThreadsPerCore: info.threadsPerCore };
      return;
    }
    case 'userData': {
      requireStopped(ctx, r);
      const text = value as string;
      if (Buffer.from(text, 'base64').length > USER_DATA_LIMIT) {
        throw new ApiError('InvalidParameterValue', `User data is limited to ${USER_DATA_LIMIT} bytes`);
      }
      editInstance(ctx, r.InstanceId)._userData = text;
      return;
    }
    case 'ebsOptimized':
      requireStopped(ctx, r);
      editInstance(ctx, r.InstanceId).EbsOptimized = value as boolean;
      return;
    case 'enaSupport':
      requireStopped(ctx, r);
      editInstance(ctx, r.InstanceId).EnaSupport = value as boolean;
      return;
    default:
      throw new ApiError('UnsupportedOperation', `Modifying the instance attribute '${attr}' is not supported by vpcsim.`);
  }
}

export function describeInstanceAttribute(ctx: RequestContext, input: DescribeInstanceAttributeRequest): InstanceAttribute {
  const r = getInstance(ctx, input.InstanceId);
  const attr = input.Attribute as string;
  const out: InstanceAttribute = { InstanceId: r.InstanceId };
  const enis = interfacesOfInstance(ctx, r.InstanceId);
  switch (attr) {
    case 'instanceType':
      out.InstanceType = { Value: r.InstanceType };
      break;
    case 'kernel':
      out.KernelId = {};
      break;
    case 'ramdisk':
      out.RamdiskId = {};
      break;
    case 'userData':
      out.UserData = r._userData !== undefined ? { Value: r._userData } : {};
      break;
    case 'disableApiTermination':
      out.DisableApiTermination = { Value: r._disableApiTermination };
      break;
    case 'disableApiStop':
      out.DisableApiStop = { Value: r._disableApiStop };
      break;
    case 'instanceInitiatedShutdownBehavior':
      out.InstanceInitiatedShutdownBehavior = { Value: r._shutdownBehavior };
      break;
    case 'rootDeviceName':
      out.RootDeviceName = { Value: r.RootDeviceName };
      break;
    case 'blockDeviceMapping':
      out.BlockDeviceMappings = [];
      break;
    case 'productCodes':
      out.ProductCodes = [];
      break;
    case 'sourceDestCheck':
      out.SourceDestCheck = { Value: enis.find((e) => e.Attachment!.DeviceIndex === 0)?.SourceDestCheck ?? true };
      break;
    case 'groupSet':
      out.Groups = unionGroups(enis);
      break;
    case 'ebsOptimized':
      out.EbsOptimized = { Value: r.EbsOptimized ?? false };
      break;
    case 'sriovNetSupport':
      out.SriovNetSupport = { Value: 'simple' };
      break;
    case 'enaSupport':
      out.EnaSupport = { Value: r.EnaSupport ?? true };
      break;
    case 'enclaveOptions':
      out.EnclaveOptions = { Enabled: r.EnclaveOptions?.Enabled ?? false };
      break;
    default:
      throw unknownAttribute(attr);
  }
  return out;
}

export function resetInstanceAttribute(ctx: RequestContext, input: ResetInstanceAttributeRequest): void {
  const r = getInstance(ctx, input.InstanceId);
  const attr = input.Attribute as string;
  if (!INSTANCE_ATTRIBUTES.includes(attr)) throw unknownAttribute(attr);
  switch (attr) {
    case 'sourceDestCheck': {
      const eni = soleInterface(ctx, r);
      ctx.state.edit<EniRecord>('network-interface', eni.NetworkInterfaceId)!.SourceDestCheck = true;
      return;
    }
    case 'kernel':
    case 'ramdisk':
      requireStopped(ctx, r);
      return;
    default:
      throw new ApiError(
        'InvalidParameterValue',
        `Value (${attr}) for parameter attribute is invalid. Only the attributes kernel, ramdisk and sourceDestCheck can be reset.`,
      );
  }
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  RunInstances: runInstances,
  StartInstances: startInstances,
  StopInstances: stopInstances,
  TerminateInstances: terminateInstances,
  DescribeInstances: describeInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  ModifyInstanceAttribute: modifyInstanceAttribute,
  DescribeInstanceAttribute: describeInstanceAttribute,
  ResetInstanceAttribute: resetInstanceAttribute,
};
