/**
 * Subnets: create/describe/delete, attributes, IPv6 blocks, and the address book of
 * each subnet (which private addresses are taken, so AvailableIpAddressCount is right).
 */
import type {
  AssociateSubnetCidrBlockRequest,
  AssociateSubnetCidrBlockResult,
  CreateSubnetRequest,
  CreateSubnetResult,
  DeleteSubnetRequest,
  DescribeSubnetsRequest,
  DescribeSubnetsResult,
  DisassociateSubnetCidrBlockRequest,
  DisassociateSubnetCidrBlockResult,
  ModifySubnetAttributeRequest,
  Subnet,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import {
  type Cidr4,
  contains,
  containsIp4,
  formatCidr,
  formatIpv4,
  last4,
  overlaps,
  parseCidr,
  parseCidr4,
  parseCidr6,
  parseIpv4,
  size4,
} from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { editRecord, newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { resolveZone, type Zone } from './regions.js';
import { getVpc, vpcIpv4Cidrs, vpcIpv6Cidrs, type VpcRecord } from './vpcs.js';
import { associateDefaultNetworkAcl, removeSubnetFromNetworkAcls } from './network-acls.js';
import { removeSubnetRouteTableAssociations } from './route-tables.js';
import { defineIndex } from '../../state/store.js';

export interface SubnetRecord extends Subnet {
  SubnetId: string;
  VpcId: string;
  CidrBlock: string;
  /** Private IPv4 addresses in use in this subnet (interfaces, NAT gateways, endpoints). */
  _used: string[];
}

defineIndex('subnet', 'VpcId');

/** AWS reserves the first four addresses and the last one of every subnet. */
export const RESERVED_PER_SUBNET = 5;

export function getSubnet(ctx: RequestContext, subnetId: string | undefined, param = 'SubnetId'): Readonly<SubnetRecord> {
  return requireRecord<SubnetRecord>(ctx.state, 'subnet', subnetId, param);
}

function availableCount(cidr: Cidr4, used: number): number {
  return Math.max(0, size4(cidr) - RESERVED_PER_SUBNET - used);
}

/** True for the network address, the VPC router, DNS, the reserved .3, and broadcast. */
export function isReservedAddress(cidr: Cidr4, ip: number): boolean {
  return ip - cidr.base < 4 || ip === last4(cidr);
}

/**
 * Takes a private IPv4 address in the subnet: the one asked for (it must be inside the
 * subnet, not reserved, not in use), else the lowest free one.
 */
export function allocatePrivateIp(ctx: RequestContext, subnetId: string, requested?: string): string {
  const subnet = editRecord<SubnetRecord>(ctx.state, 'subnet', subnetId);
  const cidr = parseCidr4(subnet.CidrBlock)!;
  const used = new Set(subnet._used);
  let ip: string;
  if (requested !== undefined) {
    const n = parseIpv4(requested);
    if (n === undefined) throw new ApiError('InvalidParameterValue', `Invalid IPv4 address: ${requested}`);
    if (!containsIp4(cidr, n)) {
      throw new ApiError('InvalidParameterValue', `Address ${requested} does not fall within the subnet's address range`);
    }
    if (isReservedAddress(cidr, n)) {
      throw new ApiError('InvalidParameterValue', `Address ${requested} is in subnet's reserved address range`);
    }
    if (used.has(requested)) {
      throw new ApiError('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
    }
    ip = requested;
  } else {
    let found: string | undefined;
    for (let n = cidr.base + 4; n < last4(cidr); n++) {
      const candidate = formatIpv4(n);
      if (!used.has(candidate)) {
        found = candidate;
        break;
      }
    }
    if (!found) {
      throw new ApiError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`);
    }
    ip = found;
  }
  subnet._used = [...subnet._used, ip];
  subnet.AvailableIpAddressCount = availableCount(cidr, subnet._used.length);
  return ip;
}

export function releasePrivateIp(ctx: RequestContext, subnetId: string, ip: string): void {
  const subnet = ctx.state.edit<SubnetRecord>('subnet', subnetId);
  if (!subnet) return;
  subnet._used = subnet._used.filter((u) => u !== ip);
  subnet.AvailableIpAddressCount = availableCount(parseCidr4(subnet.CidrBlock)!, subnet._used.length);
}

export function subnetView(s: Readonly<SubnetRecord>): Subnet {
  const { _used: _u, ...rest } = s;
  return rest;
}

/** Creates a subnet record (checks done by the caller) with its default ACL association. */
export function insertSubnet(
  ctx: RequestContext,
  vpc: Readonly<VpcRecord>,
  opts: { cidr: Cidr4; zone: Zone; defaultForAz: boolean; ipv6Cidr?: string; ipv6Native?: boolean; tags?: Subnet['Tags'] },
): SubnetRecord {
  const id = newId('subnet');
  const subnet: SubnetRecord = {
    AvailabilityZoneId: opts.zone.ZoneId,
    MapCustomerOwnedIpOnLaunch: false,
    OwnerId: ctx.account,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: opts.ipv6Cidr
      ? [{ AssociationId: newId('subnet-cidr-assoc'), Ipv6CidrBlock: opts.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' } }]
      : [],
    Tags: opts.tags,
    SubnetArn: `arn:aws:ec2:${ctx.region}:${ctx.account}:subnet/${id}`,
    EnableDns64: false,
    Ipv6Native: opts.ipv6Native ?? false,
    PrivateDnsNameOptionsOnLaunch: {
      HostnameType: 'ip-name',
      EnableResourceNameDnsARecord: false,
      EnableResourceNameDnsAAAARecord: false,
    },
    BlockPublicAccessStates: { InternetGatewayBlockMode: 'off' },
    SubnetId: id,
    State: 'available',
    VpcId: vpc.VpcId,
    CidrBlock: formatCidr(opts.cidr),
    AvailableIpAddressCount: availableCount(opts.cidr, 0),
    AvailabilityZone: opts.zone.ZoneName,
    DefaultForAz: opts.defaultForAz,
    MapPublicIpOnLaunch: opts.defaultForAz,
    _used: [],
  };
  ctx.state.put('subnet', id, subnet);
  associateDefaultNetworkAcl(ctx, subnet);
  return subnet;
}

function parseSubnetCidr(text: string): Cidr4 {
  const c = parseCidr(text);
  if (!c || c.version !== 4) {
    throw new ApiError('InvalidParameterValue', `Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  }
  if (c.prefix < 16 || c.prefix > 28) throw new ApiError('InvalidSubnet.Range', `The CIDR '${text}' is invalid.`);
  return c;
}

function checkSubnetIpv6(ctx: RequestContext, vpc: Readonly<VpcRecord>, text: string, exceptSubnet?: string): string {
  const c = parseCidr6(text);
  if (!c) {
    throw new ApiError('InvalidParameterValue', `Value (${text}) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
  }
  if (c.prefix < 44 || c.prefix > 64) throw new ApiError('InvalidSubnet.Range', `The IPv6 CIDR '${text}' is invalid: subnet IPv6 blocks are /44 to /64.`);
  const inVpc = vpcIpv6Cidrs(vpc).some((v) => contains(parseCidr(v)!, c));
  if (!inVpc) throw new ApiError('InvalidSubnet.Range', `The IPv6 CIDR '${text}' is not within the VPC's IPv6 CIDR blocks.`);
  const clash = ctx.state
    .list<SubnetRecord>('subnet')
    .find(
      (s) =>
        s.VpcId === vpc.VpcId &&
        s.SubnetId !== exceptSubnet &&
        (s.Ipv6CidrBlockAssociationSet ?? []).some(
          (a) => a.Ipv6CidrBlockState?.State === 'associated' && overlaps(parseCidr(a.Ipv6CidrBlock!)!, c),
        ),
    );
  if (clash) throw new ApiError('InvalidSubnet.Conflict', `The CIDR '${text}' conflicts with another subnet`);
  return formatCidr(c);
}

export function createSubnet(ctx: RequestContext, input: CreateSubnetRequest): CreateSubnetResult {
  const vpc = getVpc(ctx, input.VpcId);
  if (input.Ipv4IpamPoolId || input.Ipv6IpamPoolId) {
    throw new ApiError('UnsupportedOperation', 'IPAM pools are not supported by vpcsim; pass CidrBlock instead.');
  }
  if (input.OutpostArn) throw new ApiError('UnsupportedOperation', 'Outposts are not supported by vpcsim.');
  const ipv6Native = input.Ipv6Native === true;
  if (ipv6Native && input.CidrBlock) {
    throw new ApiError('InvalidParameterCombination', 'An IPv6-native subnet cannot have an IPv4 CIDR block.');
  }
  if (ipv6Native) throw new ApiError('UnsupportedOperation', 'IPv6-only subnets are not supported by vpcsim yet.');
  if (!input.CidrBlock) throw new ApiError('MissingParameter', 'The request must contain the parameter cidrBlock');
  const cidr = parseSubnetCidr(input.CidrBlock);
  if (!vpcIpv4Cidrs(vpc).some((v) => contains(v, cidr))) {
    throw new ApiError('InvalidSubnet.Range', `The CIDR '${input.CidrBlock}' is invalid.`);
  }
  const siblings = ctx.state.listBy<SubnetRecord>('subnet', 'VpcId', vpc.VpcId);
  if (siblings.some((s) => overlaps(parseCidr4(s.CidrBlock)!, cidr))) {
    throw new ApiError('InvalidSubnet.Conflict', `The CIDR '${input.CidrBlock}' conflicts with another subnet`);
  }
  if (siblings.length >= ctx.config.quotas.subnetsPerVpc) {
    throw new ApiError('SubnetLimitExceeded', `The maximum number of subnets (${ctx.config.quotas.subnetsPerVpc}) for VPC '${vpc.VpcId}' has been reached.`);
  }
  const ipv6 = input.Ipv6CidrBlock ? checkSubnetIpv6(ctx, vpc, input.Ipv6CidrBlock) : undefined;
  const zone = resolveZone(ctx.region, input.AvailabilityZone, input.AvailabilityZoneId);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'subnet');
  const subnet = insertSubnet(ctx, vpc, { cidr, zone, defaultForAz: false, ipv6Cidr: ipv6, tags });
  return { Subnet: subnetView(subnet) };
}

const SUBNET_FILTERS = {
  'availability-zone': (s: SubnetRecord) => s.AvailabilityZone,
  availabilityZone: (s: SubnetRecord) => s.AvailabilityZone,
  'availability-zone-id': (s: SubnetRecord) => s.AvailabilityZoneId,
  availabilityZoneId: (s: SubnetRecord) => s.AvailabilityZoneId,
  'available-ip-address-count': (s: SubnetRecord) => s.AvailableIpAddressCount,
  'cidr-block': (s: SubnetRecord) => s.CidrBlock,
  cidr: (s: SubnetRecord) => s.CidrBlock,
  cidrBlock: (s: SubnetRecord) => s.CidrBlock,
  'customer-owned-ipv4-pool': (s: SubnetRecord) => s.CustomerOwnedIpv4Pool,
  'default-for-az': (s: SubnetRecord) => s.DefaultForAz,
  defaultForAz: (s: SubnetRecord) => s.DefaultForAz,
  'enable-dns64': (s: SubnetRecord) => s.EnableDns64,
  'enable-lni-at-device-index': (s: SubnetRecord) => s.EnableLniAtDeviceIndex,
  'ipv6-cidr-block-association.ipv6-cidr-block': (s: SubnetRecord) => pluck(s.Ipv6CidrBlockAssociationSet, (a) => a.Ipv6CidrBlock),
  'ipv6-cidr-block-association.association-id': (s: SubnetRecord) => pluck(s.Ipv6CidrBlockAssociationSet, (a) => a.AssociationId),
  'ipv6-cidr-block-association.state': (s: SubnetRecord) => pluck(s.Ipv6CidrBlockAssociationSet, (a) => a.Ipv6CidrBlockState?.State),
  'ipv6-native': (s: SubnetRecord) => s.Ipv6Native,
  'map-customer-owned-ip-on-launch': (s: SubnetRecord) => s.MapCustomerOwnedIpOnLaunch,
  'map-public-ip-on-launch': (s: SubnetRecord) => s.MapPublicIpOnLaunch,
  'outpost-arn': (s: SubnetRecord) => s.OutpostArn,
  'owner-id': (s: SubnetRecord) => s.OwnerId,
  'private-dns-name-options-on-launch.hostname-type': (s: SubnetRecord) => s.PrivateDnsNameOptionsOnLaunch?.HostnameType,
  'private-dns-name-options-on-launch.enable-resource-name-dns-a-record': (s: SubnetRecord) =>
    s.PrivateDnsNameOptionsOnLaunch?.EnableResourceNameDnsARecord,
  'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record': (s: SubnetRecord) =>
    s.PrivateDnsNameOptionsOnLaunch?.EnableResourceNameDnsAAAARecord,
  state: (s: SubnetRecord) => s.State,
  'subnet-arn': (s: SubnetRecord) => s.SubnetArn,
  'subnet-id': (s: SubnetRecord) => s.SubnetId,
  'vpc-id': (s: SubnetRecord) => s.VpcId,
};

export function describeSubnets(ctx: RequestContext, input: DescribeSubnetsRequest): DescribeSubnetsResult {
  const selected = applyFilters(selectByIds<SubnetRecord>(ctx.state, 'subnet', input.SubnetIds) as SubnetRecord[], input.Filters, SUBNET_FILTERS);
  const page = paginate(selected, input);
  return { Subnets: page.items.map(subnetView), NextToken: page.nextToken };
}

export function deleteSubnet(ctx: RequestContext, input: DeleteSubnetRequest): void {
  const subnet = getSubnet(ctx, input.SubnetId);
  const blockers = ['network-interface', 'nat-gateway', 'instance'];
  for (const kind of blockers) {
    const inUse = ctx.state
      .list<Blocker>(kind)
      .some((r) => r.SubnetId === subnet.SubnetId && !isGone(currentState(r, ctx.now)));
    if (inUse) {
      throw new ApiError('DependencyViolation', `The subnet '${subnet.SubnetId}' has dependencies and cannot be deleted.`);
    }
  }
  removeSubnetRouteTableAssociations(ctx, subnet.SubnetId);
  removeSubnetFromNetworkAcls(ctx, subnet.SubnetId);
  ctx.state.delete('subnet', subnet.SubnetId);
}

/** What may keep a subnet in use: an interface, a NAT gateway, an instance. */
interface Blocker {
  SubnetId?: string;
  State?: string | { Name?: string };
  /** Instances and NAT gateways show `name` until `until` on their way to `State`. */
  _transition?: { name: string; until: string };
}

/** The state a record shows now: an instance shutting down is not terminated until it is. */
function currentState(r: Readonly<Blocker>, now: Date): string | undefined {
  const t = r._transition;
  if (t && now.getTime() < Date.parse(t.until)) return t.name;
  return typeof r.State === 'string' ? r.State : r.State?.Name;
}

function isGone(state: string | undefined): boolean {
  return state === 'deleted' || state === 'terminated' || state === 'failed';
}

export function modifySubnetAttribute(ctx: RequestContext, input: ModifySubnetAttributeRequest): void {
  getSubnet(ctx, input.SubnetId);
  const bool = (v: { Value?: boolean } | undefined) => v?.Value;
  const changes: Array<[string, (s: SubnetRecord) => void]> = [];
  const add = (present: boolean, name: string, apply: (s: SubnetRecord) => void) => {
    if (present) changes.push([name, apply]);
  };
  add(input.MapPublicIpOnLaunch !== undefined, 'MapPublicIpOnLaunch', (s) => (s.MapPublicIpOnLaunch = bool(input.MapPublicIpOnLaunch) ?? false));
  add(input.AssignIpv6AddressOnCreation !== undefined, 'AssignIpv6AddressOnCreation', (s) => {
    const v = bool(input.AssignIpv6AddressOnCreation) ?? false;
    if (v && !(s.Ipv6CidrBlockAssociationSet ?? []).some((a) => a.Ipv6CidrBlockState?.State === 'associated')) {
      throw new ApiError('InvalidParameterValue', `Subnet '${s.SubnetId}' has no IPv6 CIDR block; it cannot assign IPv6 addresses on creation.`);
    }
    s.AssignIpv6AddressOnCreation = v;
  });
  add(input.MapCustomerOwnedIpOnLaunch !== undefined, 'MapCustomerOwnedIpOnLaunch', (s) => {
    if (bool(input.MapCustomerOwnedIpOnLaunch)) throw new ApiError('InvalidParameterValue', 'Customer-owned IP pools are only available on Outposts subnets.');
    s.MapCustomerOwnedIpOnLaunch = false;
  });
  add(input.EnableDns64 !== undefined, 'EnableDns64', (s) => (s.EnableDns64 = bool(input.EnableDns64) ?? false));
  add(input.PrivateDnsHostnameTypeOnLaunch !== undefined, 'PrivateDnsHostnameTypeOnLaunch', (s) => {
    const type = input.PrivateDnsHostnameTypeOnLaunch as string;
    if (type !== 'ip-name' && type !== 'resource-name') {
      throw new ApiError(
        'InvalidParameterValue',
        `Value (${type}) for parameter privateDnsHostnameTypeOnLaunch is invalid. Valid values: ip-name, resource-name`,
      );
    }
    s.PrivateDnsNameOptionsOnLaunch = { ...s.PrivateDnsNameOptionsOnLaunch, HostnameType: input.PrivateDnsHostnameTypeOnLaunch };
  });
  add(input.EnableResourceNameDnsARecordOnLaunch !== undefined, 'EnableResourceNameDnsARecordOnLaunch', (s) => {
    s.PrivateDnsNameOptionsOnLaunch = {
      ...s.PrivateDnsNameOptionsOnLaunch,
      EnableResourceNameDnsARecord: bool(input.EnableResourceNameDnsARecordOnLaunch) ?? false,
    };
  });
  add(input.EnableResourceNameDnsAAAARecordOnLaunch !== undefined, 'EnableResourceNameDnsAAAARecordOnLaunch', (s) => {
    s.PrivateDnsNameOptionsOnLaunch = {
      ...s.PrivateDnsNameOptionsOnLaunch,
      EnableResourceNameDnsAAAARecord: bool(input.EnableResourceNameDnsAAAARecordOnLaunch) ?? false,
    };
  });
  add(input.EnableLniAtDeviceIndex !== undefined, 'EnableLniAtDeviceIndex', (s) => (s.EnableLniAtDeviceIndex = input.EnableLniAtDeviceIndex));
  add(input.DisableLniAtDeviceIndex !== undefined, 'DisableLniAtDeviceIndex', (s) => delete s.EnableLniAtDeviceIndex);
  if (input.CustomerOwnedIpv4Pool !== undefined) {
    throw new ApiError('InvalidParameterValue', 'Customer-owned IP pools are only available on Outposts subnets.');
  }
  if (changes.length === 0) {
    throw new ApiError('MissingParameter', 'The request must contain exactly one attribute to modify.');
  }
  if (changes.length > 1) {
    throw new ApiError('InvalidParameterCombination', 'You can only modify one attribute at a time.');
  }
  const subnet = ctx.state.edit<SubnetRecord>('subnet', input.SubnetId!)!;
  changes[0]![1](subnet);
}

export function associateSubnetCidrBlock(ctx: RequestContext, input: AssociateSubnetCidrBlockRequest): AssociateSubnetCidrBlockResult {
  const current = getSubnet(ctx, input.SubnetId);
  if (!input.Ipv6CidrBlock) {
    if (input.Ipv6IpamPoolId) throw new ApiError('UnsupportedOperation', 'IPAM pools are not supported by vpcsim.');
    throw new ApiError('MissingParameter', 'The request must contain the parameter ipv6CidrBlock');
  }
  if ((current.Ipv6CidrBlockAssociationSet ?? []).some((a) => a.Ipv6CidrBlockState?.State === 'associated')) {
    throw new ApiError('InvalidParameterValue', `Subnet '${current.SubnetId}' already has an IPv6 CIDR block.`);
  }
  const vpc = getVpc(ctx, current.VpcId);
  const cidr = checkSubnetIpv6(ctx, vpc, input.Ipv6CidrBlock, current.SubnetId);
  const subnet = ctx.state.edit<SubnetRecord>('subnet', current.SubnetId)!;
  const assoc = { AssociationId: newId('subnet-cidr-assoc'), Ipv6CidrBlock: cidr, Ipv6CidrBlockState: { State: 'associated' as const } };
  subnet.Ipv6CidrBlockAssociationSet = [...(subnet.Ipv6CidrBlockAssociationSet ?? []), assoc];
  return { SubnetId: subnet.SubnetId, Ipv6CidrBlockAssociation: { ...assoc, Ipv6CidrBlockState: { State: 'associating' } } };
}

export function disassociateSubnetCidrBlock(ctx: RequestContext, input: DisassociateSubnetCidrBlockRequest): DisassociateSubnetCidrBlockResult {
  for (const s of ctx.state.list<SubnetRecord>('subnet')) {
    const assoc = s.Ipv6CidrBlockAssociationSet?.find((a) => a.AssociationId === input.AssociationId);
    if (!assoc) continue;
    const subnet = ctx.state.edit<SubnetRecord>('subnet', s.SubnetId)!;
    subnet.Ipv6CidrBlockAssociationSet = subnet.Ipv6CidrBlockAssociationSet!.filter((a) => a.AssociationId !== input.AssociationId);
    subnet.AssignIpv6AddressOnCreation = false;
    return { SubnetId: s.SubnetId, Ipv6CidrBlockAssociation: { ...assoc, Ipv6CidrBlockState: { State: 'disassociating' } } };
  }
  throw new ApiError('InvalidSubnetCidrBlockAssociationID.NotFound', `The subnet CIDR block association ID '${input.AssociationId}' does not exist`);
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  DeleteSubnet: deleteSubnet,
  ModifySubnetAttribute: modifySubnetAttribute,
  AssociateSubnetCidrBlock: associateSubnetCidrBlock,
  DisassociateSubnetCidrBlock: disassociateSubnetCidrBlock,
};
