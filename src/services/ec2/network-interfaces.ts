/**
 * Network interfaces (ENIs): create/describe/delete, private IPv4 addresses (primary and
 * secondary, taken from the subnet's address book), IPv6 addresses, security groups,
 * attachment to instances, attributes, the public IPv4 address an interface may carry,
 * and the requester-managed interfaces AWS services (NAT gateways, endpoints) own.
 *
 * An interface record is AWS's `NetworkInterface` shape, with tags kept as `Tags` (the
 * shape calls them `TagSet`). Instances do not copy addresses: they read them from here.
 */
import { randomBytes } from 'node:crypto';
import type {
  AssignPrivateIpAddressesRequest,
  AssignPrivateIpAddressesResult,
  AttachNetworkInterfaceRequest,
  AttachNetworkInterfaceResult,
  CreateNetworkInterfaceRequest,
  CreateNetworkInterfaceResult,
  DeleteNetworkInterfaceRequest,
  DescribeNetworkInterfaceAttributeRequest,
  DescribeNetworkInterfaceAttributeResult,
  DescribeNetworkInterfacesRequest,
  DescribeNetworkInterfacesResult,
  DetachNetworkInterfaceRequest,
  GroupIdentifier,
  ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface,
  NetworkInterfaceAssociation,
  NetworkInterfaceAttachment,
  NetworkInterfaceIpv6Address,
  NetworkInterfacePrivateIpAddress,
  PrivateIpAddressSpecification,
  ResetNetworkInterfaceAttributeRequest,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { containsIp6, formatIpv6, parseCidr4, parseCidr6, parseIpv6, size4 } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck, type Tag } from './filters.js';
import { paginate } from './paginate.js';
import { newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { allocatePrivateIp, getSubnet, releasePrivateIp, RESERVED_PER_SUBNET, type SubnetRecord } from './subnets.js';
import { allocatePublicIp, releasePublicIp } from './addresses.js';
import { getInstance, instanceStateName, instanceTypeInfo, type InstanceRecord } from './instances.js';

/** The attachment as stored (times as ISO strings). */
export interface EniAttachment extends Omit<NetworkInterfaceAttachment, 'AttachTime'> {
  AttachmentId: string;
  AttachTime: string;
  DeviceIndex: number;
}

export interface EniRecord extends Omit<NetworkInterface, 'Attachment' | 'TagSet'> {
  NetworkInterfaceId: string;
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  PrivateIpAddress: string;
  PrivateIpAddresses: NetworkInterfacePrivateIpAddress[];
  Groups: GroupIdentifier[];
  Attachment?: EniAttachment;
  Tags?: Tag[];
  /** The interface gets an Amazon-owned public IPv4 address while its instance runs. */
  _autoPublicIp?: boolean;
}

interface SecurityGroupRecord {
  GroupId: string;
  GroupName: string;
  VpcId: string;
}

interface VpcLike {
  VpcId: string;
  _attributes?: { enableDnsHostnames?: boolean };
}

/** The largest number of IPv4 addresses any instance type allows on one interface. */
const MAX_IPV4_PER_INTERFACE = 50;
const AMAZON_OWNER = 'amazon';

// ---------------------------------------------------------------------------------------
// Names and small helpers

export function privateDnsName(region: string, ip: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

export function publicDnsName(region: string, ip: string): string {
  const host = `ec2-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

function newMac(): string {
  const b = randomBytes(5);
  return ['02', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

export function getNetworkInterface(ctx: RequestContext, id: string | undefined, param = 'NetworkInterfaceId'): Readonly<EniRecord> {
  return requireRecord<EniRecord>(ctx.state, 'network-interface', id, param);
}

function editEni(ctx: RequestContext, id: string): EniRecord {
  return ctx.state.edit<EniRecord>('network-interface', id)!;
}

/**
 * Interfaces an AWS service manages (NAT gateways, VPC endpoints) take tags from users and
 * nothing else: AWS answers any other change with this error.
 */
export function requireUserManaged(eni: Readonly<Pick<EniRecord, 'RequesterManaged'>>): void {
  if (eni.RequesterManaged) throw serviceManaged();
}

/** AWS's error for a change to something an AWS service manages on the user's behalf. */
export function serviceManaged(): ApiError {
  return new ApiError('AuthFailure', 'You do not have permission to access the specified resource.');
}

function vpcHasDnsHostnames(ctx: RequestContext, vpcId: string): boolean {
  return ctx.state.get<VpcLike>('vpc', vpcId)?._attributes?.enableDnsHostnames === true;
}

/** The association (public address) of the interface's primary private address. */
export function primaryAssociation(r: Readonly<EniRecord>): NetworkInterfaceAssociation | undefined {
  return r.PrivateIpAddresses.find((p) => p.Primary)?.Association ?? r.Association;
}

function isAutoAssigned(a: NetworkInterfaceAssociation | undefined): boolean {
  return !!a && a.IpOwnerId === AMAZON_OWNER && !a.AllocationId;
}

/** Every interface attached to the instance, by device index. */
export function interfacesOfInstance(ctx: RequestContext, instanceId: string): Readonly<EniRecord>[] {
  return ctx.state
    .list<EniRecord>('network-interface')
    .filter((e) => e.Attachment?.InstanceId === instanceId)
    .sort((a, b) => a.Attachment!.DeviceIndex - b.Attachment!.DeviceIndex);
}

/** Interfaces grouped by the instance they are attached to (one pass, for Describe calls). */
export function interfacesByInstance(ctx: RequestContext): Map<string, Readonly<EniRecord>[]> {
  const out = new Map<string, Readonly<EniRecord>[]>();
  for (const e of ctx.state.list<EniRecord>('network-interface')) {
    const id = e.Attachment?.InstanceId;
    if (!id) continue;
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(e);
  }
  for (const list of out.values()) list.sort((a, b) => a.Attachment!.DeviceIndex - b.Attachment!.DeviceIndex);
  return out;
}

// ---------------------------------------------------------------------------------------
// Views

function withDns(ctx: RequestContext, a: NetworkInterfaceAssociation | undefined, hostnames: boolean): NetworkInterfaceAssociation | undefined {
  if (!a) return undefined;
  const out: NetworkInterfaceAssociation = { ...a };
  if (a.PublicIp) out.PublicDnsName = hostnames ? publicDnsName(ctx.region, a.PublicIp) : '';
  return out;
}

/** The AWS `NetworkInterface` shape of a record. */
export function eniView(ctx: RequestContext, r: Readonly<EniRecord>, hostnames = vpcHasDnsHostnames(ctx, r.VpcId)): NetworkInterface {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!k.startsWith('_') && k !== 'Tags') out[k] = v;
  const primary = withDns(ctx, primaryAssociation(r), hostnames);
  out.Association = primary;
  out.PrivateIpAddresses = r.PrivateIpAddresses.map((p) => ({
    ...p,
    Association: p.Primary ? primary : withDns(ctx, p.Association, hostnames),
  }));
  out.Groups = r.Groups.map((g) => ({ ...g }));
  out.Ipv6Addresses = (r.Ipv6Addresses ?? []).map((a) => ({ ...a }));
  out.Attachment = r.Attachment ? { ...r.Attachment } : undefined;
  out.TagSet = (r.Tags ?? []).map((t) => ({ ...t }));
  return out as NetworkInterface;
}

// ---------------------------------------------------------------------------------------
// Security groups

function findGroup(ctx: RequestContext, id: string): Readonly<SecurityGroupRecord> {
  return requireRecord<SecurityGroupRecord>(ctx.state, 'security-group', id, 'SecurityGroupId');
}

/** The default security group of a VPC, as a group identifier. */
export function defaultGroupOf(ctx: RequestContext, vpcId: string): GroupIdentifier[] {
  const g = ctx.state.list<SecurityGroupRecord>('security-group').find((s) => s.VpcId === vpcId && s.GroupName === 'default');
  return g ? [{ GroupId: g.GroupId, GroupName: g.GroupName }] : [];
}

/**
 * Security groups for an interface in `subnet`: each must exist and be in the subnet's
 * VPC, at most the per-interface quota; none given means the VPC's default group.
 * `onMismatch` decides the error for a group of another VPC (AWS words it per operation).
 */
export function resolveGroups(
  ctx: RequestContext,
  subnet: { SubnetId: string; VpcId: string },
  ids: string[] | undefined,
  onMismatch: 'create' | 'modify' = 'create',
): GroupIdentifier[] {
  if (!ids || ids.length === 0) return defaultGroupOf(ctx, subnet.VpcId);
  const unique = [...new Set(ids)];
  const out: GroupIdentifier[] = [];
  for (const id of unique) {
    const g = findGroup(ctx, id);
    if (g.VpcId !== subnet.VpcId) {
      if (onMismatch === 'modify') {
        throw new ApiError('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.');
      }
      throw new ApiError('InvalidParameter', `Security group ${g.GroupId} and subnet ${subnet.SubnetId} belong to different networks.`);
    }
    out.push({ GroupId: g.GroupId, GroupName: g.GroupName });
  }
  if (out.length > ctx.config.quotas.securityGroupsPerInterface) {
    throw new ApiError('SecurityGroupsPerInterfaceLimitExceeded', 'The maximum number of security groups per interface has been reached.');
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Addresses

function checkSubnetCapacity(subnet: Readonly<SubnetRecord>, needed: number): void {
  if ((subnet.AvailableIpAddressCount ?? 0) < needed) {
    throw new ApiError(
      'InsufficientFreeAddressesInSubnet',
      `The specified subnet '${subnet.SubnetId}' does not have enough free addresses to satisfy the request.`,
    );
  }
}

function checkCount(value: number | undefined, param: string): number {
  const n = value ?? 0;
  if (!Number.isInteger(n) || n < 0) {
    throw new ApiError('InvalidParameterValue', `Value (${n}) for parameter ${param} is invalid. Expected a non-negative integer.`);
  }
  return n;
}

/** Which interface in the subnet holds this private address, if any. */
function holderOf(ctx: RequestContext, subnetId: string, ip: string): Readonly<EniRecord> | undefined {
  return ctx.state
    .list<EniRecord>('network-interface')
    .find((e) => e.SubnetId === subnetId && e.PrivateIpAddresses.some((p) => p.PrivateIpAddress === ip));
}

/** Limit of IPv4 addresses on the interface: the instance type's when attached. */
function ipv4Limit(ctx: RequestContext, eni: Readonly<EniRecord>): { limit: number; type?: string } {
  const instanceId = eni.Attachment?.InstanceId;
  if (instanceId) {
    const inst = ctx.state.get<InstanceRecord>('instance', instanceId);
    const info = inst ? instanceTypeInfo(inst.InstanceType) : undefined;
    if (info) return { limit: info.ipv4PerInterface, type: inst!.InstanceType };
  }
  return { limit: MAX_IPV4_PER_INTERFACE };
}

function limitExceeded(): ApiError {
  return new ApiError('PrivateIpAddressLimitExceeded', 'Number of private addresses will exceed limit.');
}

function subnetIpv6Blocks(subnet: Readonly<SubnetRecord>) {
  return (subnet.Ipv6CidrBlockAssociationSet ?? [])
    .filter((a) => a.Ipv6CidrBlockState?.State === 'associated' && a.Ipv6CidrBlock)
    .map((a) => parseCidr6(a.Ipv6CidrBlock!)!);
}

function usedIpv6(ctx: RequestContext, subnetId: string): Set<string> {
  const used = new Set<string>();
  for (const e of ctx.state.list<EniRecord>('network-interface')) {
    if (e.SubnetId !== subnetId) continue;
    for (const a of e.Ipv6Addresses ?? []) if (a.Ipv6Address) used.add(a.Ipv6Address);
  }
  return used;
}

/** IPv6 addresses for a new interface: the ones asked for, plus `count` picked at random. */
function allocateIpv6(ctx: RequestContext, subnet: Readonly<SubnetRecord>, requested: string[], count: number): NetworkInterfaceIpv6Address[] {
  if (requested.length === 0 && count === 0) return [];
  const blocks = subnetIpv6Blocks(subnet);
  if (blocks.length === 0) {
    throw new ApiError('InvalidParameterValue', `Subnet '${subnet.SubnetId}' does not have an IPv6 CIDR block; it cannot assign IPv6 addresses.`);
  }
  const used = usedIpv6(ctx, subnet.SubnetId);
  const out: NetworkInterfaceIpv6Address[] = [];
  for (const text of requested) {
    const n = parseIpv6(text);
    if (n === undefined) throw new ApiError('InvalidParameterValue', `Invalid IPv6 address: ${text}`);
    if (!blocks.some((b) => containsIp6(b, n))) {
      throw new ApiError('InvalidParameterValue', `Address ${text} does not fall within the subnet's address range`);
    }
    const canonical = formatIpv6(n);
    if (used.has(canonical)) throw new ApiError('InvalidIPAddress.InUse', `Address ${canonical} is in use.`);
    used.add(canonical);
    out.push({ Ipv6Address: canonical, IsPrimaryIpv6: false });
  }
  const block = blocks[0]!;
  const hostBits = 128 - block.prefix;
  for (let i = 0; i < count; i++) {
    let candidate: string;
    do {
      const rnd = BigInt(`0x${randomBytes(16).toString('hex')}`) & ((1n << BigInt(hostBits)) - 1n);
      candidate = formatIpv6(block.base | (rnd < 4n ? rnd + 4n : rnd));
    } while (used.has(candidate));
    used.add(candidate);
    out.push({ Ipv6Address: candidate, IsPrimaryIpv6: false });
  }
  return out;
}

/** Gives the interface an Amazon-owned public IPv4 address on its primary private address. */
export function assignAutoPublicIp(ctx: RequestContext, eniId: string): void {
  const eni = editEni(ctx, eniId);
  if (primaryAssociation(eni)) return;
  const ip = allocatePublicIp(ctx);
  const assoc: NetworkInterfaceAssociation = { IpOwnerId: AMAZON_OWNER, PublicIp: ip, PublicDnsName: publicDnsName(ctx.region, ip) };
  eni.Association = assoc;
  eni.PrivateIpAddresses = eni.PrivateIpAddresses.map((p) => (p.Primary ? { ...p, Association: { ...assoc } } : p));
}

/** Gives back an auto-assigned public IPv4 address (Elastic IPs stay). */
export function releaseAutoPublicIp(ctx: RequestContext, eniId: string): void {
  const current = ctx.state.get<EniRecord>('network-interface', eniId);
  if (!current || !isAutoAssigned(primaryAssociation(current))) return;
  const eni = editEni(ctx, eniId);
  releasePublicIp(ctx, primaryAssociation(eni)!.PublicIp!);
  delete eni.Association;
  eni.PrivateIpAddresses = eni.PrivateIpAddresses.map((p) => {
    if (!p.Primary) return p;
    const { Association: _a, ...rest } = p;
    return rest;
  });
}

/**
 * Sets (or, with `association` undefined, removes) the public address of one private
 * address of the interface — what Elastic IP association does. An Elastic IP on the
 * primary address replaces an auto-assigned public address; removing it gives a running
 * instance's primary interface a new auto-assigned one, as AWS does.
 */
export function setAddressAssociation(
  ctx: RequestContext,
  eniId: string,
  privateIp: string,
  association: NetworkInterfaceAssociation | undefined,
): void {
  const current = getNetworkInterface(ctx, eniId);
  const entry = current.PrivateIpAddresses.find((p) => p.PrivateIpAddress === privateIp);
  if (!entry) {
    throw new ApiError('InvalidParameterValue', `The private IP address ${privateIp} is not assigned to network interface '${eniId}'.`);
  }
  if (entry.Primary && association) releaseAutoPublicIp(ctx, eniId);
  const eni = editEni(ctx, eniId);
  eni.PrivateIpAddresses = eni.PrivateIpAddresses.map((p) => {
    if (p.PrivateIpAddress !== privateIp) return p;
    const { Association: _a, ...rest } = p;
    return association ? { ...rest, Association: { ...association } } : rest;
  });
  if (entry.Primary) {
    if (association) eni.Association = { ...association };
    else delete eni.Association;
  }
  if (entry.Primary && !association && eni._autoPublicIp && eni.Attachment?.DeviceIndex === 0 && eni.Attachment.InstanceId) {
    const inst = ctx.state.get<InstanceRecord>('instance', eni.Attachment.InstanceId);
    const state = inst ? instanceStateName(inst, ctx.now) : undefined;
    if (state === 'running' || state === 'pending') assignAutoPublicIp(ctx, eniId);
  }
}

interface AddressRecord {
  AllocationId?: string;
  AssociationId?: string;
  NetworkInterfaceId?: string;
  NetworkInterfaceOwnerId?: string;
  PrivateIpAddress?: string;
  InstanceId?: string;
}

/** Elastic IPs associated with the interface (optionally one private address of it). */
function eipsOn(ctx: RequestContext, eniId: string, privateIp?: string): AddressRecord[] {
  return ctx.state
    .list<AddressRecord>('elastic-ip')
    .filter((a) => a.NetworkInterfaceId === eniId && (privateIp === undefined || a.PrivateIpAddress === privateIp));
}

function dropEipAssociations(ctx: RequestContext, eniId: string, privateIp?: string): void {
  for (const a of eipsOn(ctx, eniId, privateIp)) {
    if (!a.AllocationId) continue;
    const rec = ctx.state.edit<AddressRecord>('elastic-ip', a.AllocationId);
    if (!rec) continue;
    delete rec.AssociationId;
    delete rec.NetworkInterfaceId;
    delete rec.NetworkInterfaceOwnerId;
    delete rec.PrivateIpAddress;
    delete rec.InstanceId;
  }
}

function setEipInstance(ctx: RequestContext, eniId: string, instanceId: string | undefined): void {
  for (const a of eipsOn(ctx, eniId)) {
    if (!a.AllocationId) continue;
    const rec = ctx.state.edit<AddressRecord>('elastic-ip', a.AllocationId);
    if (!rec) continue;
    if (instanceId) rec.InstanceId = instanceId;
    else delete rec.InstanceId;
  }
}

// ---------------------------------------------------------------------------------------
// Creating and deleting

export interface NewInterfaceOptions {
  subnetId: string;
  groups?: GroupIdentifier[];
  primaryIp?: string;
  secondaryIps?: string[];
  secondaryCount?: number;
  ipv6Addresses?: string[];
  ipv6Count?: number;
  description?: string;
  interfaceType?: string;
  tags?: Tag[];
  requesterId?: string;
  autoPublicIp?: boolean;
}

/** Splits a PrivateIpAddress / PrivateIpAddresses pair into the primary and secondaries. */
export function splitPrivateIps(
  primaryParam: string | undefined,
  list: PrivateIpAddressSpecification[] | undefined,
): { primary?: string; secondaries: string[] } {
  const primaries = (list ?? []).filter((p) => p.Primary === true);
  if (primaries.length > 1) {
    throw new ApiError('InvalidParameterValue', 'Only one primary private IP address can be specified.');
  }
  const listedPrimary = primaries[0]?.PrivateIpAddress;
  if (primaryParam !== undefined && listedPrimary !== undefined && primaryParam !== listedPrimary) {
    throw new ApiError('InvalidParameterCombination', 'The primary private IP address was specified more than once with different values.');
  }
  const secondaries: string[] = [];
  for (const p of list ?? []) {
    if (p.Primary === true) continue;
    if (!p.PrivateIpAddress) throw new ApiError('MissingParameter', 'The request must contain the parameter PrivateIpAddresses.PrivateIpAddress');
    if (p.PrivateIpAddress === (primaryParam ?? listedPrimary)) continue;
    secondaries.push(p.PrivateIpAddress);
  }
  if (new Set(secondaries).size !== secondaries.length) {
    throw new ApiError('InvalidParameterValue', 'The same private IP address was specified more than once.');
  }
  return { primary: primaryParam ?? listedPrimary, secondaries };
}

/** How many private IPv4 addresses a new interface takes. */
export function addressesNeeded(opts: { secondaryIps?: string[]; secondaryCount?: number }): number {
  return 1 + (opts.secondaryIps?.length ?? 0) + (opts.secondaryCount ?? 0);
}

/** Creates an interface record (the caller has checked groups); returns it. */
export function insertInterface(ctx: RequestContext, opts: NewInterfaceOptions): EniRecord {
  const subnet = getSubnet(ctx, opts.subnetId);
  const secondaryCount = opts.secondaryCount ?? 0;
  const total = addressesNeeded(opts);
  if (total > MAX_IPV4_PER_INTERFACE) throw limitExceeded();
  checkSubnetCapacity(subnet, total);
  const region = ctx.region;
  const primary = allocatePrivateIp(ctx, subnet.SubnetId, opts.primaryIp);
  const addresses: NetworkInterfacePrivateIpAddress[] = [
    { Primary: true, PrivateIpAddress: primary, PrivateDnsName: privateDnsName(region, primary) },
  ];
  for (const ip of opts.secondaryIps ?? []) {
    const got = allocatePrivateIp(ctx, subnet.SubnetId, ip);
    addresses.push({ Primary: false, PrivateIpAddress: got, PrivateDnsName: privateDnsName(region, got) });
  }
  for (let i = 0; i < secondaryCount; i++) {
    const got = allocatePrivateIp(ctx, subnet.SubnetId);
    addresses.push({ Primary: false, PrivateIpAddress: got, PrivateDnsName: privateDnsName(region, got) });
  }
  let ipv6Count = opts.ipv6Count ?? 0;
  if (ipv6Count === 0 && !(opts.ipv6Addresses?.length) && subnet.AssignIpv6AddressOnCreation) ipv6Count = 1;
  const ipv6 = allocateIpv6(ctx, subnet, opts.ipv6Addresses ?? [], ipv6Count);
  const id = newId('eni');
  const eni: EniRecord = {
    AvailabilityZone: subnet.AvailabilityZone!,
    Description: opts.description ?? '',
    Groups: (opts.groups ?? []).map((g) => ({ ...g })),
    InterfaceType: (opts.interfaceType ?? 'interface') as NetworkInterface['InterfaceType'],
    Ipv6Addresses: ipv6,
    MacAddress: newMac(),
    NetworkInterfaceId: id,
    OwnerId: ctx.account,
    PrivateDnsName: privateDnsName(region, primary),
    PrivateIpAddress: primary,
    PrivateIpAddresses: addresses,
    RequesterId: opts.requesterId,
    RequesterManaged: opts.requesterId !== undefined,
    SourceDestCheck: true,
    Status: 'available',
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    Ipv6Native: false,
    Tags: opts.tags,
    _autoPublicIp: opts.autoPublicIp || undefined,
  };
  return ctx.state.put('network-interface', id, eni);
}

/** Deletes an interface with everything it holds: private, auto-assigned public, Elastic IP associations. */
export function removeInterface(ctx: RequestContext, eniId: string): void {
  const eni = ctx.state.get<EniRecord>('network-interface', eniId);
  if (!eni) return;
  releaseAutoPublicIp(ctx, eniId);
  dropEipAssociations(ctx, eniId);
  for (const p of eni.PrivateIpAddresses) if (p.PrivateIpAddress) releasePrivateIp(ctx, eni.SubnetId, p.PrivateIpAddress);
  ctx.state.delete('network-interface', eniId);
}

/** Attaches an available interface to an instance (checks done by the caller). */
export function attachInterface(
  ctx: RequestContext,
  eniId: string,
  opts: { instanceId: string; deviceIndex: number; deleteOnTermination: boolean; at?: string },
): EniAttachment {
  const eni = editEni(ctx, eniId);
  const attachment: EniAttachment = {
    AttachTime: opts.at ?? ctx.now.toISOString(),
    AttachmentId: newId('eni-attach'),
    DeleteOnTermination: opts.deleteOnTermination,
    DeviceIndex: opts.deviceIndex,
    NetworkCardIndex: 0,
    InstanceId: opts.instanceId,
    InstanceOwnerId: ctx.account,
    Status: 'attached',
  };
  eni.Attachment = attachment;
  eni.Status = 'in-use';
  setEipInstance(ctx, eniId, opts.instanceId);
  return attachment;
}

/** Detaches an interface from its instance; it keeps its addresses except an auto-assigned public one. */
export function detachInterface(ctx: RequestContext, eniId: string): void {
  releaseAutoPublicIp(ctx, eniId);
  const eni = editEni(ctx, eniId);
  delete eni.Attachment;
  eni.Status = 'available';
  setEipInstance(ctx, eniId, undefined);
}

export function createNetworkInterface(ctx: RequestContext, input: CreateNetworkInterfaceRequest): CreateNetworkInterfaceResult {
  const subnet = getSubnet(ctx, input.SubnetId);
  if (input.Ipv4Prefixes?.length || input.Ipv4PrefixCount || input.Ipv6Prefixes?.length || input.Ipv6PrefixCount) {
    throw new ApiError('UnsupportedOperation', 'Prefix delegation is not supported by vpcsim.');
  }
  const interfaceType = input.InterfaceType ?? 'interface';
  if (!['interface', 'efa', 'efa-only', 'trunk'].includes(interfaceType)) {
    throw new ApiError('InvalidParameterValue', `Value (${interfaceType}) for parameter InterfaceType is invalid.`);
  }
  const { primary, secondaries } = splitPrivateIps(input.PrivateIpAddress, input.PrivateIpAddresses);
  const secondaryCount = checkCount(input.SecondaryPrivateIpAddressCount, 'secondaryPrivateIpAddressCount');
  if (secondaryCount > 0 && secondaries.length > 0) {
    throw new ApiError(
      'InvalidParameterCombination',
      'The parameters privateIpAddresses (with secondary addresses) and secondaryPrivateIpAddressCount cannot be specified together.',
    );
  }
  const ipv6Count = checkCount(input.Ipv6AddressCount, 'ipv6AddressCount');
  if (ipv6Count > 0 && input.Ipv6Addresses?.length) {
    throw new ApiError('InvalidParameterCombination', 'The parameters ipv6AddressCount and ipv6Addresses cannot be specified together.');
  }
  const groups = resolveGroups(ctx, subnet, input.Groups);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'network-interface');
  const eni = insertInterface(ctx, {
    subnetId: subnet.SubnetId,
    groups,
    primaryIp: primary,
    secondaryIps: secondaries,
    secondaryCount,
    ipv6Addresses: (input.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!).filter(Boolean),
    ipv6Count,
    description: input.Description,
    interfaceType,
    tags,
  });
  return { NetworkInterface: eniView(ctx, eni), ClientToken: input.ClientToken };
}

function inUse(eniId: string): ApiError {
  return new ApiError('InvalidParameterValue', `Network interface '${eniId}' is currently in use.`);
}

export function deleteNetworkInterface(ctx: RequestContext, input: DeleteNetworkInterfaceRequest): void {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  if (eni.Attachment || eni.Status === 'in-use') throw inUse(eni.NetworkInterfaceId);
  removeInterface(ctx, eni.NetworkInterfaceId);
}

// ---------------------------------------------------------------------------------------
// Requester-managed interfaces (NAT gateways, VPC endpoints, load balancers, ...)

export interface RequesterManagedOptions {
  subnetId: string;
  description: string;
  interfaceType: string;
  requesterId: string;
  privateIp?: string;
  /** Security group IDs; none means no groups (as for NAT gateway interfaces). */
  groups?: string[];
  tags?: Tag[];
}

/**
 * Creates an interface an AWS service owns in the user's subnet: in use from the start,
 * attached through an `ela-attach` attachment users cannot detach, not deletable by users,
 * and not changeable by them except for tags (see `requireUserManaged`). Returns its view.
 */
export function createRequesterManagedInterface(ctx: RequestContext, opts: RequesterManagedOptions): NetworkInterface {
  const subnet = getSubnet(ctx, opts.subnetId);
  const groups = opts.groups?.length ? resolveGroups(ctx, subnet, opts.groups) : [];
  const eni = insertInterface(ctx, {
    subnetId: subnet.SubnetId,
    groups,
    primaryIp: opts.privateIp,
    description: opts.description,
    interfaceType: opts.interfaceType,
    requesterId: opts.requesterId,
    tags: opts.tags,
  });
  eni.Attachment = {
    AttachTime: ctx.now.toISOString(),
    AttachmentId: newId('ela-attach'),
    DeleteOnTermination: false,
    DeviceIndex: 1,
    NetworkCardIndex: 0,
    InstanceOwnerId: 'amazon-aws',
    Status: 'attached',
  };
  eni.Status = 'in-use';
  return eniView(ctx, eni);
}

/** Deletes a requester-managed interface (when the service resource that owns it goes away). */
export function deleteRequesterManagedInterface(ctx: RequestContext, eniId: string): void {
  removeInterface(ctx, eniId);
}

// ---------------------------------------------------------------------------------------
// Describe

type EniRow = NetworkInterface & { Tags?: Tag[] };

const ENI_FILTERS = {
  'addresses.private-ip-address': (r: EniRow) => pluck(r.PrivateIpAddresses, (p) => p.PrivateIpAddress),
  'addresses.primary': (r: EniRow) => pluck(r.PrivateIpAddresses, (p) => p.Primary),
  'addresses.association.public-ip': (r: EniRow) => pluck(r.PrivateIpAddresses, (p) => p.Association?.PublicIp),
  'addresses.association.owner-id': (r: EniRow) => pluck(r.PrivateIpAddresses, (p) => p.Association?.IpOwnerId),
  'association.association-id': (r: EniRow) => r.Association?.AssociationId,
  'association.allocation-id': (r: EniRow) => r.Association?.AllocationId,
  'association.ip-owner-id': (r: EniRow) => r.Association?.IpOwnerId,
  'association.public-ip': (r: EniRow) => r.Association?.PublicIp,
  'association.public-dns-name': (r: EniRow) => r.Association?.PublicDnsName,
  'attachment.attachment-id': (r: EniRow) => r.Attachment?.AttachmentId,
  'attachment.attach-time': (r: EniRow) => r.Attachment?.AttachTime as unknown as string | undefined,
  'attachment.delete-on-termination': (r: EniRow) => r.Attachment?.DeleteOnTermination,
  'attachment.device-index': (r: EniRow) => r.Attachment?.DeviceIndex,
  'attachment.instance-id': (r: EniRow) => r.Attachment?.InstanceId,
  'attachment.instance-owner-id': (r: EniRow) => r.Attachment?.InstanceOwnerId,
  'attachment.network-card-index': (r: EniRow) => r.Attachment?.NetworkCardIndex,
  'attachment.status': (r: EniRow) => r.Attachment?.Status,
  'availability-zone': (r: EniRow) => r.AvailabilityZone,
  description: (r: EniRow) => r.Description,
  'group-id': (r: EniRow) => pluck(r.Groups, (g) => g.GroupId),
  'group-name': (r: EniRow) => pluck(r.Groups, (g) => g.GroupName),
  'ipv6-addresses.ipv6-address': (r: EniRow) => pluck(r.Ipv6Addresses, (a) => a.Ipv6Address),
  'interface-type': (r: EniRow) => r.InterfaceType,
  'mac-address': (r: EniRow) => r.MacAddress,
  'network-interface-id': (r: EniRow) => r.NetworkInterfaceId,
  'owner-id': (r: EniRow) => r.OwnerId,
  'private-ip-address': (r: EniRow) => pluck(r.PrivateIpAddresses, (p) => p.PrivateIpAddress),
  'private-dns-name': (r: EniRow) => pluck(r.PrivateIpAddresses, (p) => p.PrivateDnsName),
  'requester-id': (r: EniRow) => r.RequesterId,
  'requester-managed': (r: EniRow) => r.RequesterManaged,
  'source-dest-check': (r: EniRow) => r.SourceDestCheck,
  status: (r: EniRow) => r.Status,
  'subnet-id': (r: EniRow) => r.SubnetId,
  'vpc-id': (r: EniRow) => r.VpcId,
};

export function describeNetworkInterfaces(ctx: RequestContext, input: DescribeNetworkInterfacesRequest): DescribeNetworkInterfacesResult {
  if (input.MaxResults !== undefined && input.NetworkInterfaceIds?.length) {
    throw new ApiError('InvalidParameterCombination', 'The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults');
  }
  const records = selectByIds<EniRecord>(ctx.state, 'network-interface', input.NetworkInterfaceIds);
  const hostnames = new Map<string, boolean>();
  const rows: EniRow[] = records.map((r) => {
    let h = hostnames.get(r.VpcId);
    if (h === undefined) hostnames.set(r.VpcId, (h = vpcHasDnsHostnames(ctx, r.VpcId)));
    return { ...eniView(ctx, r, h), Tags: r.Tags };
  });
  const selected = applyFilters(rows, input.Filters, ENI_FILTERS);
  const page = paginate(selected, input);
  return {
    NetworkInterfaces: page.items.map(({ Tags: _t, ...v }) => v),
    NextToken: page.nextToken,
  };
}

// ---------------------------------------------------------------------------------------
// Private addresses

export function assignPrivateIpAddresses(ctx: RequestContext, input: AssignPrivateIpAddressesRequest): AssignPrivateIpAddressesResult {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  if (input.Ipv4Prefixes?.length || input.Ipv4PrefixCount) {
    throw new ApiError('UnsupportedOperation', 'Prefix delegation is not supported by vpcsim.');
  }
  const listed = [...new Set(input.PrivateIpAddresses ?? [])];
  const hasCount = input.SecondaryPrivateIpAddressCount !== undefined;
  if (listed.length > 0 && hasCount) {
    throw new ApiError(
      'InvalidParameterCombination',
      'The parameters privateIpAddress and secondaryPrivateIpAddressCount cannot be specified together.',
    );
  }
  if (listed.length === 0 && !hasCount) {
    throw new ApiError('MissingParameter', 'Either the parameter privateIpAddress or secondaryPrivateIpAddressCount must be specified.');
  }
  const count = hasCount ? checkCount(input.SecondaryPrivateIpAddressCount, 'secondaryPrivateIpAddressCount') : 0;
  if (hasCount && count < 1) {
    throw new ApiError('InvalidParameterValue', 'Value (0) for parameter secondaryPrivateIpAddressCount is invalid. Expected a positive integer.');
  }
  const adding = listed.length + count;
  if (eni.PrivateIpAddresses.length + adding > ipv4Limit(ctx, eni).limit) throw limitExceeded();
  const subnet = getSubnet(ctx, eni.SubnetId);
  // Addresses moved from another interface of the subnet (AllowReassignment).
  for (const ip of listed) {
    if (eni.PrivateIpAddresses.some((p) => p.PrivateIpAddress === ip)) {
      throw new ApiError('InvalidParameterValue', `The address ${ip} is already assigned to network interface '${eni.NetworkInterfaceId}'.`);
    }
    const holder = holderOf(ctx, eni.SubnetId, ip);
    if (!holder) continue;
    const entry = holder.PrivateIpAddresses.find((p) => p.PrivateIpAddress === ip)!;
    if (!input.AllowReassignment || entry.Primary) throw new ApiError('InvalidIPAddress.InUse', `Address ${ip} is in use.`);
    unassign(ctx, holder.NetworkInterfaceId, [ip]);
  }
  const fresh = listed.filter((ip) => !eni.PrivateIpAddresses.some((p) => p.PrivateIpAddress === ip));
  checkSubnetCapacity(getSubnet(ctx, subnet.SubnetId), fresh.length + count);
  const assigned: string[] = [];
  for (const ip of fresh) assigned.push(allocatePrivateIp(ctx, eni.SubnetId, ip));
  for (let i = 0; i < count; i++) assigned.push(allocatePrivateIp(ctx, eni.SubnetId));
  const rec = editEni(ctx, eni.NetworkInterfaceId);
  rec.PrivateIpAddresses = [
    ...rec.PrivateIpAddresses,
    ...assigned.map((ip) => ({ Primary: false, PrivateIpAddress: ip, PrivateDnsName: privateDnsName(ctx.region, ip) })),
  ];
  return {
    NetworkInterfaceId: eni.NetworkInterfaceId,
    AssignedPrivateIpAddresses: assigned.map((ip) => ({ PrivateIpAddress: ip })),
    AssignedIpv4Prefixes: [],
  };
}

function unassign(ctx: RequestContext, eniId: string, ips: string[]): void {
  const eni = editEni(ctx, eniId);
  for (const ip of ips) {
    dropEipAssociations(ctx, eniId, ip);
    releasePrivateIp(ctx, eni.SubnetId, ip);
  }
  eni.PrivateIpAddresses = eni.PrivateIpAddresses.filter((p) => !ips.includes(p.PrivateIpAddress!));
}

export function unassignPrivateIpAddresses(ctx: RequestContext, input: { NetworkInterfaceId?: string; PrivateIpAddresses?: string[]; Ipv4Prefixes?: string[] }): void {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  if (input.Ipv4Prefixes?.length) throw new ApiError('UnsupportedOperation', 'Prefix delegation is not supported by vpcsim.');
  const ips = [...new Set(input.PrivateIpAddresses ?? [])];
  if (ips.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter privateIpAddress');
  for (const ip of ips) {
    const entry = eni.PrivateIpAddresses.find((p) => p.PrivateIpAddress === ip);
    if (!entry) {
      throw new ApiError('InvalidParameterValue', `Some of the specified addresses are not assigned to interface ${eni.NetworkInterfaceId}`);
    }
    if (entry.Primary) {
      throw new ApiError('InvalidParameterValue', `The primary private IP address ${ip} of network interface '${eni.NetworkInterfaceId}' cannot be unassigned.`);
    }
  }
  unassign(ctx, eni.NetworkInterfaceId, ips);
}

// ---------------------------------------------------------------------------------------
// Attachment

export function attachNetworkInterface(ctx: RequestContext, input: AttachNetworkInterfaceRequest): AttachNetworkInterfaceResult {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  const inst = getInstance(ctx, input.InstanceId);
  requireUserManaged(eni);
  const deviceIndex = input.DeviceIndex!;
  if (!Number.isInteger(deviceIndex) || deviceIndex < 0) {
    throw new ApiError('InvalidParameterValue', `Value (${deviceIndex}) for parameter deviceIndex is invalid.`);
  }
  if ((input.NetworkCardIndex ?? 0) !== 0) {
    throw new ApiError('InvalidParameterValue', `Value (${input.NetworkCardIndex}) for parameter networkCardIndex is invalid. The instance type ${inst.InstanceType} has one network card.`);
  }
  const state = instanceStateName(inst, ctx.now);
  if (state !== 'running' && state !== 'stopped') {
    throw new ApiError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a valid state for this operation.`);
  }
  if (eni.Attachment || eni.Status === 'in-use') {
    throw new ApiError('InvalidNetworkInterface.InUse', `Interface: [${eni.NetworkInterfaceId}] in use.`);
  }
  if (eni.AvailabilityZone !== inst.Placement?.AvailabilityZone) {
    throw new ApiError(
      'InvalidParameterCombination',
      'You may not attach a network interface to an instance if they are not in the same availability zone',
    );
  }
  const attached = interfacesOfInstance(ctx, inst.InstanceId);
  if (attached.some((e) => e.Attachment!.DeviceIndex === deviceIndex)) {
    throw new ApiError('InvalidParameterValue', `Instance '${inst.InstanceId}' already has an interface attached at device index '${deviceIndex}'.`);
  }
  const info = instanceTypeInfo(inst.InstanceType);
  if (info && attached.length + 1 > info.interfaces) {
    throw new ApiError('AttachmentLimitExceeded', `Interface count ${attached.length + 1} exceeds the limit for ${inst.InstanceType}`);
  }
  if (info && eni.PrivateIpAddresses.length > info.ipv4PerInterface) throw limitExceeded();
  const attachment = attachInterface(ctx, eni.NetworkInterfaceId, {
    instanceId: inst.InstanceId,
    deviceIndex,
    deleteOnTermination: false,
  });
  return { AttachmentId: attachment.AttachmentId, NetworkCardIndex: 0 };
}

function findByAttachment(ctx: RequestContext, attachmentId: string | undefined): Readonly<EniRecord> {
  if (!attachmentId) throw new ApiError('MissingParameter', 'The request must contain the parameter attachmentId');
  const eni = ctx.state.list<EniRecord>('network-interface').find((e) => e.Attachment?.AttachmentId === attachmentId);
  if (!eni) throw new ApiError('InvalidAttachmentID.NotFound', `The attachment ID '${attachmentId}' does not exist`);
  return eni;
}

export function detachNetworkInterface(ctx: RequestContext, input: DetachNetworkInterfaceRequest): void {
  const eni = findByAttachment(ctx, input.AttachmentId);
  if (eni.Attachment!.AttachmentId.startsWith('ela-attach-')) {
    throw new ApiError('OperationNotPermitted', "You are not allowed to manage 'ela-attach' attachments.");
  }
  if (eni.Attachment!.DeviceIndex === 0) {
    throw new ApiError('OperationNotPermitted', 'The network interface at device index 0 cannot be detached.');
  }
  detachInterface(ctx, eni.NetworkInterfaceId);
}

// ---------------------------------------------------------------------------------------
// Attributes

export function modifyNetworkInterfaceAttribute(ctx: RequestContext, input: ModifyNetworkInterfaceAttributeRequest): void {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  requireUserManaged(eni);
  const given = [
    input.Description !== undefined,
    input.SourceDestCheck !== undefined,
    input.Groups !== undefined && input.Groups.length > 0,
    input.Attachment !== undefined,
    input.AssociatePublicIpAddress !== undefined,
    input.EnaSrdSpecification !== undefined,
    input.ConnectionTrackingSpecification !== undefined,
    input.EnablePrimaryIpv6 !== undefined,
  ].filter(Boolean).length;
  if (given === 0) {
    throw new ApiError('MissingParameter', 'The request must contain exactly one attribute to modify.');
  }
  if (input.EnablePrimaryIpv6 !== undefined) {
    throw new ApiError('UnsupportedOperation', 'Primary IPv6 addresses are not supported by vpcsim.');
  }
  if (input.Description !== undefined) {
    editEni(ctx, eni.NetworkInterfaceId).Description = input.Description.Value ?? '';
  }
  if (input.SourceDestCheck !== undefined) {
    if (input.SourceDestCheck.Value === undefined) {
      throw new ApiError('MissingParameter', 'The request must contain the parameter sourceDestCheck.value');
    }
    editEni(ctx, eni.NetworkInterfaceId).SourceDestCheck = input.SourceDestCheck.Value;
  }
  if (input.Groups !== undefined && input.Groups.length > 0) {
    const subnet = getSubnet(ctx, eni.SubnetId);
    editEni(ctx, eni.NetworkInterfaceId).Groups = resolveGroups(ctx, subnet, input.Groups, 'modify');
  }
  if (input.Attachment !== undefined) {
    const id = input.Attachment.AttachmentId;
    if (!id) throw new ApiError('MissingParameter', 'The request must contain the parameter attachment.attachmentId');
    if (eni.Attachment?.AttachmentId !== id) {
      throw new ApiError('InvalidAttachmentID.NotFound', `The attachment ID '${id}' does not exist`);
    }
    if (input.Attachment.DeleteOnTermination !== undefined) {
      editEni(ctx, eni.NetworkInterfaceId).Attachment!.DeleteOnTermination = input.Attachment.DeleteOnTermination;
    }
  }
  if (input.AssociatePublicIpAddress !== undefined) {
    const rec = editEni(ctx, eni.NetworkInterfaceId);
    rec._autoPublicIp = input.AssociatePublicIpAddress || undefined;
    if (!input.AssociatePublicIpAddress) {
      releaseAutoPublicIp(ctx, eni.NetworkInterfaceId);
    } else if (rec.Attachment?.DeviceIndex === 0 && rec.Attachment.InstanceId) {
      const inst = ctx.state.get<InstanceRecord>('instance', rec.Attachment.InstanceId);
      const state = inst ? instanceStateName(inst, ctx.now) : undefined;
      if (state === 'running' || state === 'pending') assignAutoPublicIp(ctx, eni.NetworkInterfaceId);
    }
  }
}

const ENI_ATTRIBUTES = ['description', 'groupSet', 'sourceDestCheck', 'attachment', 'associatePublicIpAddress'];

export function describeNetworkInterfaceAttribute(
  ctx: RequestContext,
  input: DescribeNetworkInterfaceAttributeRequest,
): DescribeNetworkInterfaceAttributeResult {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  const attr = input.Attribute as string | undefined;
  if (attr !== undefined && !ENI_ATTRIBUTES.includes(attr)) {
    throw new ApiError('InvalidParameterValue', `Value (${attr}) for parameter attribute is invalid. Unknown attribute.`);
  }
  const view = eniView(ctx, eni);
  const out: DescribeNetworkInterfaceAttributeResult = { NetworkInterfaceId: eni.NetworkInterfaceId };
  const want = (a: string) => attr === undefined || attr === a;
  if (want('description')) out.Description = { Value: eni.Description ?? '' };
  if (want('groupSet')) out.Groups = view.Groups;
  if (want('sourceDestCheck')) out.SourceDestCheck = { Value: eni.SourceDestCheck };
  if (want('attachment') && view.Attachment) out.Attachment = view.Attachment;
  if (want('associatePublicIpAddress')) out.AssociatePublicIpAddress = eni._autoPublicIp === true;
  return out;
}

export function resetNetworkInterfaceAttribute(ctx: RequestContext, input: ResetNetworkInterfaceAttributeRequest): void {
  const eni = getNetworkInterface(ctx, input.NetworkInterfaceId);
  if (input.SourceDestCheck === undefined) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter sourceDestCheck');
  }
  editEni(ctx, eni.NetworkInterfaceId).SourceDestCheck = true;
}

/** Free addresses of a subnet, for callers planning several interfaces at once. */
export function freeAddresses(subnet: Readonly<SubnetRecord>): number {
  return subnet.AvailableIpAddressCount ?? Math.max(0, size4(parseCidr4(subnet.CidrBlock)!) - RESERVED_PER_SUBNET);
}

/**
 * The user-facing address operations: the same as the functions above (which the services
 * owning requester-managed interfaces call for their own interfaces), refused on those.
 */
function userAssignPrivateIpAddresses(ctx: RequestContext, input: AssignPrivateIpAddressesRequest): AssignPrivateIpAddressesResult {
  requireUserManaged(getNetworkInterface(ctx, input.NetworkInterfaceId));
  return assignPrivateIpAddresses(ctx, input);
}

function userUnassignPrivateIpAddresses(ctx: RequestContext, input: { NetworkInterfaceId?: string; PrivateIpAddresses?: string[]; Ipv4Prefixes?: string[] }): void {
  requireUserManaged(getNetworkInterface(ctx, input.NetworkInterfaceId));
  unassignPrivateIpAddresses(ctx, input);
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateNetworkInterface: createNetworkInterface,
  DeleteNetworkInterface: deleteNetworkInterface,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  AssignPrivateIpAddresses: userAssignPrivateIpAddresses,
  UnassignPrivateIpAddresses: userUnassignPrivateIpAddresses,
  AttachNetworkInterface: attachNetworkInterface,
  DetachNetworkInterface: detachNetworkInterface,
  ModifyNetworkInterfaceAttribute: modifyNetworkInterfaceAttribute,
  DescribeNetworkInterfaceAttribute: describeNetworkInterfaceAttribute,
  ResetNetworkInterfaceAttribute: resetNetworkInterfaceAttribute,
};
