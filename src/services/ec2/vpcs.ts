/**
 * VPCs: create/describe/delete, attributes, and secondary CIDR blocks.
 */
import type {
  AssociateVpcCidrBlockRequest,
  AssociateVpcCidrBlockResult,
  CreateVpcRequest,
  CreateVpcResult,
  DeleteVpcRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult,
  DescribeVpcsRequest,
  DescribeVpcsResult,
  DisassociateVpcCidrBlockRequest,
  DisassociateVpcCidrBlockResult,
  ModifyVpcAttributeRequest,
  Vpc,
  VpcCidrBlockAssociation,
  VpcIpv6CidrBlockAssociation,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import {
  type Cidr4,
  contains,
  formatCidr,
  isRfc1918,
  overlaps,
  parseCidr,
  parseCidr4,
  RANGES,
} from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { editRecord, newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { addLocalRoutes, createMainRouteTable, deleteVpcRouteTables, removeLocalRoutes, routeDestinations } from './route-tables.js';
import { addIpv6DefaultEntries, createDefaultNetworkAcl, deleteVpcNetworkAcls } from './network-acls.js';
import { hasPendingPeeringRequest, releaseVpcPeerings } from './vpc-peering.js';
import { addIpv6DefaultEgressRules, createDefaultSecurityGroup, deleteVpcSecurityGroups } from './security-groups.js';
import { defaultDhcpOptionsId } from './dhcp-options.js';

export interface VpcAttributes {
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  enableNetworkAddressUsageMetrics: boolean;
}

export interface VpcRecord extends Vpc {
  VpcId: string;
  CidrBlock: string;
  _attributes: VpcAttributes;
}

/**
 * What keeps a VPC from being deleted: any record of these kinds that belongs to it,
 * except the defaults that go with the VPC, and gateways still attached to it.
 */
const BLOCKERS: Array<[kind: string, blocks: (r: Record<string, any>, vpcId: string) => boolean]> = [
  ['subnet', (r, id) => r.VpcId === id],
  ['route-table', (r, id) => r.VpcId === id && !r.Associations?.some((a: { Main?: boolean }) => a.Main)],
  ['network-acl', (r, id) => r.VpcId === id && !r.IsDefault],
  ['security-group', (r, id) => r.VpcId === id && r.GroupName !== 'default'],
  ['internet-gateway', (r, id) => r.Attachments?.some((a: { VpcId?: string }) => a.VpcId === id)],
  ['egress-only-internet-gateway', (r, id) => r.Attachments?.some((a: { VpcId?: string }) => a.VpcId === id)],
  ['vpn-gateway', (r, id) => r.VpcAttachments?.some((a: { VpcId?: string; State?: string }) => a.VpcId === id && a.State !== 'detached')],
  ['network-interface', (r, id) => r.VpcId === id],
  // A failed NAT gateway has no interface left and does not hold the VPC.
  ['nat-gateway', (r, id) => r.VpcId === id && r.State !== 'deleted' && r.State !== 'failed'],
  ['vpc-endpoint', (r, id) => r.VpcId === id && r.State !== 'deleted'],
];

export function getVpc(ctx: RequestContext, vpcId: string | undefined, param = 'VpcId'): Readonly<VpcRecord> {
  return requireRecord<VpcRecord>(ctx.state, 'vpc', vpcId, param);
}

/** The VPC's associated IPv4 blocks (primary first). */
export function vpcIpv4Cidrs(vpc: Readonly<Vpc>): Cidr4[] {
  return (vpc.CidrBlockAssociationSet ?? [])
    .filter((a) => a.CidrBlockState?.State === 'associated' || a.CidrBlockState?.State === 'associating')
    .map((a) => parseCidr4(a.CidrBlock!)!)
    .filter(Boolean);
}

export function vpcIpv6Cidrs(vpc: Readonly<Vpc>): string[] {
  return (vpc.Ipv6CidrBlockAssociationSet ?? [])
    .filter((a) => a.Ipv6CidrBlockState?.State === 'associated' || a.Ipv6CidrBlockState?.State === 'associating')
    .map((a) => a.Ipv6CidrBlock!);
}

function parseVpcCidr(value: string, param: string): Cidr4 {
  const c = parseCidr(value);
  if (!c || c.version !== 4) {
    throw new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. This is not a valid CIDR block.`);
  }
  if (c.prefix < 16 || c.prefix > 28) throw new ApiError('InvalidVpc.Range', `The CIDR '${value}' is invalid.`);
  if (contains(RANGES.linkLocal, c) || contains(RANGES.multicast, c) || contains(RANGES.loopback, c) || contains(RANGES.thisNetwork, c)) {
    throw new ApiError('InvalidVpc.Range', `The CIDR '${value}' is restricted.`);
  }
  return c;
}

/** An Amazon-provided /56 from a documentation-looking AWS range. */
function amazonIpv6Block(): string {
  const b = randomBytes(3);
  const hi = 0x2600_1f10 | (b[0]! & 0x0f);
  const group3 = (b[1]! << 8) | b[2]!;
  const n = (BigInt(hi) << 96n) | (BigInt(group3) << 80n);
  return formatCidr({ version: 6, base: n, prefix: 56 });
}

function ipv6Association(ctx: RequestContext, cidr: string, state: 'associating' | 'associated'): VpcIpv6CidrBlockAssociation {
  return {
    AssociationId: newId('vpc-cidr-assoc'),
    Ipv6CidrBlock: cidr,
    Ipv6CidrBlockState: { State: state },
    NetworkBorderGroup: ctx.region,
    Ipv6Pool: 'Amazon',
  };
}

/** Creates a VPC with its main route table, default network ACL and default security group. */
export function insertVpc(
  ctx: RequestContext,
  opts: { cidr: Cidr4; isDefault: boolean; tenancy?: string; ipv6?: boolean; tags?: Vpc['Tags']; ignoreQuota?: boolean },
): VpcRecord {
  const vpcs = ctx.state.list<VpcRecord>('vpc');
  if (!opts.ignoreQuota && vpcs.length >= ctx.config.quotas.vpcsPerRegion) {
    throw new ApiError('VpcLimitExceeded', 'The maximum number of VPCs has been reached.');
  }
  const cidr = formatCidr(opts.cidr);
  const vpc: VpcRecord = {
    OwnerId: ctx.account,
    InstanceTenancy: (opts.tenancy ?? 'default') as Vpc['InstanceTenancy'],
    Ipv6CidrBlockAssociationSet: opts.ipv6 ? [ipv6Association(ctx, amazonIpv6Block(), 'associated')] : undefined,
    CidrBlockAssociationSet: [{ AssociationId: newId('vpc-cidr-assoc'), CidrBlock: cidr, CidrBlockState: { State: 'associated' } }],
    IsDefault: opts.isDefault,
    BlockPublicAccessStates: { InternetGatewayBlockMode: 'off' },
    VpcId: newId('vpc'),
    State: 'available',
    CidrBlock: cidr,
    DhcpOptionsId: defaultDhcpOptionsId(ctx),
    Tags: opts.tags,
    _attributes: { enableDnsSupport: true, enableDnsHostnames: opts.isDefault, enableNetworkAddressUsageMetrics: false },
  };
  ctx.state.put('vpc', vpc.VpcId, vpc);
  createMainRouteTable(ctx, vpc);
  createDefaultNetworkAcl(ctx, vpc);
  createDefaultSecurityGroup(ctx, vpc);
  return vpc;
}

/** The VPC as AWS shows it (internal fields dropped). */
export function vpcView(v: Readonly<VpcRecord>): Vpc {
  const { _attributes: _a, ...rest } = v;
  return rest;
}

export function createVpc(ctx: RequestContext, input: CreateVpcRequest): CreateVpcResult {
  if (input.Ipv4IpamPoolId) {
    throw new ApiError('UnsupportedOperation', 'IPAM pools are not supported by vpcsim; pass CidrBlock instead.');
  }
  if (!input.CidrBlock) throw new ApiError('MissingParameter', "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
  const cidr = parseVpcCidr(input.CidrBlock, 'cidrBlock');
  // The model lists host too, but a VPC takes only these two.
  if (input.InstanceTenancy !== undefined && input.InstanceTenancy !== 'default' && input.InstanceTenancy !== 'dedicated') {
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${input.InstanceTenancy}) for parameter instanceTenancy is invalid. Valid values: default, dedicated`,
    );
  }
  if (input.Ipv6CidrBlock || input.Ipv6Pool || input.Ipv6IpamPoolId) {
    throw new ApiError('UnsupportedOperation', 'BYOIP and IPAM IPv6 pools are not supported by vpcsim; use AmazonProvidedIpv6CidrBlock.');
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'vpc');
  const vpc = insertVpc(ctx, {
    cidr,
    isDefault: false,
    tenancy: input.InstanceTenancy,
    ipv6: input.AmazonProvidedIpv6CidrBlock === true,
    tags,
  });
  // AWS reports a new VPC as pending; it is available by the next call.
  const view = vpcView(vpc);
  return {
    Vpc: {
      ...view,
      State: 'pending',
      Ipv6CidrBlockAssociationSet: view.Ipv6CidrBlockAssociationSet?.map((a) => ({ ...a, Ipv6CidrBlockState: { State: 'associating' } })),
    },
  };
}

/** Every filter the DescribeVpcs reference lists (tag filters are common to all). */
const VPC_FILTERS = {
  cidr: (v: VpcRecord) => v.CidrBlock,
  'cidr-block-association.cidr-block': (v: VpcRecord) => pluck(v.CidrBlockAssociationSet, (a) => a.CidrBlock),
  'cidr-block-association.association-id': (v: VpcRecord) => pluck(v.CidrBlockAssociationSet, (a) => a.AssociationId),
  'cidr-block-association.state': (v: VpcRecord) => pluck(v.CidrBlockAssociationSet, (a) => a.CidrBlockState?.State),
  'dhcp-options-id': (v: VpcRecord) => v.DhcpOptionsId,
  'ipv6-cidr-block-association.ipv6-cidr-block': (v: VpcRecord) => pluck(v.Ipv6CidrBlockAssociationSet, (a) => a.Ipv6CidrBlock),
  'ipv6-cidr-block-association.ipv6-pool': (v: VpcRecord) => pluck(v.Ipv6CidrBlockAssociationSet, (a) => a.Ipv6Pool),
  'ipv6-cidr-block-association.association-id': (v: VpcRecord) => pluck(v.Ipv6CidrBlockAssociationSet, (a) => a.AssociationId),
  'ipv6-cidr-block-association.state': (v: VpcRecord) => pluck(v.Ipv6CidrBlockAssociationSet, (a) => a.Ipv6CidrBlockState?.State),
  'is-default': (v: VpcRecord) => v.IsDefault,
  'owner-id': (v: VpcRecord) => v.OwnerId,
  state: (v: VpcRecord) => v.State,
  'vpc-id': (v: VpcRecord) => v.VpcId,
};

export function describeVpcs(ctx: RequestContext, input: DescribeVpcsRequest): DescribeVpcsResult {
  const selected = applyFilters(selectByIds<VpcRecord>(ctx.state, 'vpc', input.VpcIds) as VpcRecord[], input.Filters, VPC_FILTERS);
  const page = paginate(selected, input);
  return { Vpcs: page.items.map(vpcView), NextToken: page.nextToken };
}

export function deleteVpc(ctx: RequestContext, input: DeleteVpcRequest): void {
  const vpc = getVpc(ctx, input.VpcId);
  for (const [kind, blocks] of BLOCKERS) {
    if (ctx.state.list<Record<string, unknown>>(kind).some((r) => blocks(r, vpc.VpcId))) {
      throw new ApiError('DependencyViolation', `The vpc '${vpc.VpcId}' has dependencies and cannot be deleted.`);
    }
  }
  // Its peering connections end with it (refused while another account's request awaits an answer).
  releaseVpcPeerings(ctx, vpc.VpcId);
  // The VPC's own defaults go with it (each family refuses if a non-default one remains).
  deleteVpcSecurityGroups(ctx, vpc.VpcId);
  deleteVpcNetworkAcls(ctx, vpc.VpcId);
  deleteVpcRouteTables(ctx, vpc.VpcId);
  ctx.state.delete('vpc', vpc.VpcId);
}

const ATTRIBUTE_NAMES = ['enableDnsSupport', 'enableDnsHostnames', 'enableNetworkAddressUsageMetrics'] as const;

export function describeVpcAttribute(ctx: RequestContext, input: DescribeVpcAttributeRequest): DescribeVpcAttributeResult {
  const attr = input.Attribute as (typeof ATTRIBUTE_NAMES)[number];
  if (!ATTRIBUTE_NAMES.includes(attr)) {
    throw new ApiError('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
  }
  const vpc = getVpc(ctx, input.VpcId);
  const out: DescribeVpcAttributeResult = { VpcId: vpc.VpcId };
  const key = (attr.charAt(0).toUpperCase() + attr.slice(1)) as 'EnableDnsSupport';
  (out as Record<string, unknown>)[key] = { Value: vpc._attributes[attr] };
  return out;
}

export function modifyVpcAttribute(ctx: RequestContext, input: ModifyVpcAttributeRequest): void {
  const given = [
    ['enableDnsSupport', input.EnableDnsSupport],
    ['enableDnsHostnames', input.EnableDnsHostnames],
    ['enableNetworkAddressUsageMetrics', input.EnableNetworkAddressUsageMetrics],
  ].filter(([, v]) => v !== undefined) as Array<[keyof VpcAttributes, { Value?: boolean }]>;
  getVpc(ctx, input.VpcId);
  if (given.length === 0) {
    throw new ApiError('MissingParameter', 'The request must contain exactly one of the parameters EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics');
  }
  if (given.length > 1) {
    throw new ApiError('InvalidParameterCombination', 'Only one attribute can be modified at a time.');
  }
  const [name, value] = given[0]!;
  if (value.Value === undefined) throw new ApiError('MissingParameter', `The request must contain the parameter ${name}.Value`);
  const vpc = editRecord<VpcRecord>(ctx.state, 'vpc', input.VpcId);
  if (name === 'enableDnsHostnames' && value.Value && !vpc._attributes.enableDnsSupport) {
    throw new ApiError('InvalidParameterValue', 'DNS hostnames cannot be enabled while DNS resolution (enableDnsSupport) is disabled for the VPC.');
  }
  vpc._attributes[name] = value.Value;
}

/**
 * AWS's restrictions on a secondary IPv4 block, by the range of the VPC's primary block
 * (VPC user guide, "IPv4 CIDR block association restrictions").
 */
function checkSecondaryRange(primary: Cidr4, existing: Cidr4[], c: Cidr4, text: string): void {
  const restricted = () =>
    new ApiError(
      'InvalidVpc.Range',
      `The CIDR '${text}' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR.`,
    );
  const inRange = (range: Cidr4) => overlaps(range, c);
  const otherPrivate = (own: Cidr4) => RANGES.rfc1918.some((r) => !(r.base === own.base && r.prefix === own.prefix) && inRange(r));
  if (contains(RANGES.benchmarking, primary)) {
    // 198.19.0.0/16 primary: no RFC 1918 block.
    if (RANGES.rfc1918.some(inRange)) throw restricted();
    return;
  }
  if (inRange(RANGES.benchmarking)) throw restricted();
  if (contains(RANGES.ten, primary)) {
    if (otherPrivate(RANGES.ten)) throw restricted();
    // With any block in 10.0.0.0/15, nothing from 10.0.0.0/16.
    if (existing.some((e) => overlaps(TEN_SLASH_15, e)) && inRange(TEN_SLASH_16)) throw restricted();
  } else if (contains(RANGES.oneSevenTwo, primary)) {
    if (otherPrivate(RANGES.oneSevenTwo) || inRange(SEVENTEEN_TWO_THIRTY_ONE)) throw restricted();
  } else if (contains(RANGES.oneNineTwo, primary)) {
    if (otherPrivate(RANGES.oneNineTwo)) throw restricted();
  } else if (isRfc1918(c) || RANGES.rfc1918.some(inRange)) {
    // Public or 100.64.0.0/10 primary: no RFC 1918 block.
    throw restricted();
  }
}

const TEN_SLASH_15 = parseCidr4('10.0.0.0/15')!;
const TEN_SLASH_16 = parseCidr4('10.0.0.0/16')!;
const SEVENTEEN_TWO_THIRTY_ONE = parseCidr4('172.31.0.0/16')!;

export function associateVpcCidrBlock(ctx: RequestContext, input: AssociateVpcCidrBlockRequest): AssociateVpcCidrBlockResult {
  const current = getVpc(ctx, input.VpcId);
  const wantsV4 = input.CidrBlock !== undefined || input.Ipv4IpamPoolId !== undefined;
  const wantsV6 = input.AmazonProvidedIpv6CidrBlock === true || input.Ipv6CidrBlock !== undefined || input.Ipv6Pool !== undefined || input.Ipv6IpamPoolId !== undefined;
  if (wantsV4 === wantsV6) {
    throw new ApiError('InvalidParameterCombination', 'Specify exactly one of CidrBlock or AmazonProvidedIpv6CidrBlock.');
  }
  const vpc = ctx.state.edit<VpcRecord>('vpc', current.VpcId)!;
  if (wantsV6) {
    if (input.Ipv6CidrBlock || input.Ipv6Pool || input.Ipv6IpamPoolId) {
      throw new ApiError('UnsupportedOperation', 'BYOIP and IPAM IPv6 pools are not supported by vpcsim; use AmazonProvidedIpv6CidrBlock.');
    }
    if (vpcIpv6Cidrs(vpc).length >= ctx.config.quotas.ipv6CidrBlocksPerVpc) {
      throw new ApiError('CidrLimitExceeded', `This network '${vpc.VpcId}' has met its maximum number of allowed IPv6 CIDRs: ${ctx.config.quotas.ipv6CidrBlocksPerVpc}`);
    }
    const assoc = ipv6Association(ctx, amazonIpv6Block(), 'associated');
    vpc.Ipv6CidrBlockAssociationSet = [...(vpc.Ipv6CidrBlockAssociationSet ?? []), assoc];
    addLocalRoutes(ctx, vpc.VpcId, assoc.Ipv6CidrBlock!);
    addIpv6DefaultEntries(ctx, vpc.VpcId);
    addIpv6DefaultEgressRules(ctx, vpc.VpcId);
    return { VpcId: vpc.VpcId, Ipv6CidrBlockAssociation: { ...assoc, Ipv6CidrBlockState: { State: 'associating' } } };
  }
  if (input.Ipv4IpamPoolId) throw new ApiError('UnsupportedOperation', 'IPAM pools are not supported by vpcsim; pass CidrBlock instead.');
  const text = input.CidrBlock!;
  const c = parseVpcCidr(text, 'cidrBlock');
  if (hasPendingPeeringRequest(ctx, vpc.VpcId)) {
    // The peering guide: no new IPv4 blocks while the VPC's own peering request awaits an answer.
    throw new ApiError(
      'OperationNotPermitted',
      `The vpc '${vpc.VpcId}' has a VPC peering request pending acceptance; IPv4 CIDR blocks cannot be added until it is answered.`,
    );
  }
  const existing = vpcIpv4Cidrs(vpc);
  if (existing.length >= ctx.config.quotas.cidrBlocksPerVpc) {
    throw new ApiError('CidrLimitExceeded', `This network '${vpc.VpcId}' has met its maximum number of allowed CIDRs: ${ctx.config.quotas.cidrBlocksPerVpc}`);
  }
  const clash = existing.find((e) => overlaps(e, c));
  if (clash) {
    throw new ApiError('InvalidVpc.Range', `The CIDR '${formatCidr(c)}' conflicts with another CIDR block of the VPC ('${formatCidr(clash)}').`);
  }
  checkSecondaryRange(existing[0]!, existing, c, text);
  for (const dest of routeDestinations(ctx, vpc.VpcId)) {
    const d = parseCidr4(dest);
    if (d && contains(c, d)) {
      throw new ApiError(
        'InvalidVpc.Range',
        `The CIDR '${formatCidr(c)}' is equal to or larger than the route destination '${dest}' of a route table in the VPC.`,
      );
    }
  }
  const assoc: VpcCidrBlockAssociation = {
    AssociationId: newId('vpc-cidr-assoc'),
    CidrBlock: formatCidr(c),
    CidrBlockState: { State: 'associated' },
  };
  vpc.CidrBlockAssociationSet = [...(vpc.CidrBlockAssociationSet ?? []), assoc];
  addLocalRoutes(ctx, vpc.VpcId, assoc.CidrBlock!);
  return { VpcId: vpc.VpcId, CidrBlockAssociation: { ...assoc, CidrBlockState: { State: 'associating' } } };
}

export function disassociateVpcCidrBlock(ctx: RequestContext, input: DisassociateVpcCidrBlockRequest): DisassociateVpcCidrBlockResult {
  const id = input.AssociationId!;
  for (const v of ctx.state.list<VpcRecord>('vpc')) {
    const v4 = v.CidrBlockAssociationSet?.find((a) => a.AssociationId === id);
    const v6 = v.Ipv6CidrBlockAssociationSet?.find((a) => a.AssociationId === id);
    if (!v4 && !v6) continue;
    const cidr = (v4?.CidrBlock ?? v6?.Ipv6CidrBlock)!;
    if (v4 && v4.CidrBlock === v.CidrBlock) {
      throw new ApiError(
        'OperationNotPermitted',
        `The vpc CIDR block with association ID ${id} may not be disassociated. It is the primary IPv4 CIDR block of the VPC`,
      );
    }
    const block = parseCidr(cidr)!;
    const inUse = ctx.state
      .list<{ VpcId: string; CidrBlock?: string; Ipv6CidrBlockAssociationSet?: Array<{ Ipv6CidrBlock?: string }> }>('subnet')
      .some((s) => {
        if (s.VpcId !== v.VpcId) return false;
        const cidrs = [s.CidrBlock, ...(s.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock)];
        return cidrs.some((c) => c && contains(block, parseCidr(c)!));
      });
    if (inUse) {
      throw new ApiError('DependencyViolation', `The vpc CIDR block '${cidr}' has dependencies (subnets) and cannot be disassociated.`);
    }
    const vpc = ctx.state.edit<VpcRecord>('vpc', v.VpcId)!;
    vpc.CidrBlockAssociationSet = vpc.CidrBlockAssociationSet?.filter((a) => a.AssociationId !== id);
    vpc.Ipv6CidrBlockAssociationSet = vpc.Ipv6CidrBlockAssociationSet?.filter((a) => a.AssociationId !== id);
    if (vpc.Ipv6CidrBlockAssociationSet?.length === 0) delete vpc.Ipv6CidrBlockAssociationSet;
    removeLocalRoutes(ctx, v.VpcId, cidr);
    if (v4) return { VpcId: v.VpcId, CidrBlockAssociation: { ...v4, CidrBlockState: { State: 'disassociating' } } };
    return { VpcId: v.VpcId, Ipv6CidrBlockAssociation: { ...v6!, Ipv6CidrBlockState: { State: 'disassociating' } } };
  }
  throw new ApiError('InvalidVpcCidrBlockAssociationID.NotFound', `The vpc CIDR block association ID '${id}' does not exist`);
}


/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateVpc: createVpc,
  DescribeVpcs: describeVpcs,
  DeleteVpc: deleteVpc,
  DescribeVpcAttribute: describeVpcAttribute,
  ModifyVpcAttribute: modifyVpcAttribute,
  AssociateVpcCidrBlock: associateVpcCidrBlock,
  DisassociateVpcCidrBlock: disassociateVpcCidrBlock,
};
