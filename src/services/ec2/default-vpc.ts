/**
 * The default VPC: 172.31.0.0/16, a /20 default subnet in every availability zone, an
 * attached internet gateway and a 0.0.0.0/0 route to it. Present in every region from
 * first use, and re-creatable with CreateDefaultVpc / CreateDefaultSubnet.
 */
import type {
  CreateDefaultSubnetRequest,
  CreateDefaultSubnetResult,
  CreateDefaultVpcRequest,
  CreateDefaultVpcResult,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { type Cidr4, overlaps, parseCidr4 } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { resolveZone, zonesOf } from './regions.js';
import { insertSubnet, type SubnetRecord, subnetView } from './subnets.js';
import { insertVpc, type VpcRecord, vpcView } from './vpcs.js';
import { attachNewInternetGateway } from './internet-gateways.js';

const DEFAULT_VPC_CIDR = '172.31.0.0/16';

function defaultVpc(ctx: RequestContext): Readonly<VpcRecord> | undefined {
  return ctx.state.list<VpcRecord>('vpc').find((v) => v.IsDefault);
}

/** The next /20 of 172.31.0.0/16 that no subnet of the VPC uses. */
function nextDefaultSubnetCidr(ctx: RequestContext, vpcId: string): Cidr4 {
  const taken = ctx.state
    .list<SubnetRecord>('subnet')
    .filter((s) => s.VpcId === vpcId)
    .map((s) => parseCidr4(s.CidrBlock)!);
  const base = parseCidr4(DEFAULT_VPC_CIDR)!.base;
  for (let i = 0; i < 16; i++) {
    const c: Cidr4 = { version: 4, base: base + i * 4096, prefix: 20 };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  throw new ApiError('InsufficientFreeAddressesInSubnet', 'The default VPC has no free /20 block for a default subnet.');
}

/**
 * Builds the default VPC. A region's own default VPC exists whatever the VPC quota (it is
 * part of the region); CreateDefaultVpc passes `enforceQuota` and counts against it.
 */
export function buildDefaultVpc(ctx: RequestContext, opts: { enforceQuota?: boolean } = {}): VpcRecord {
  const vpc = insertVpc(ctx, { cidr: parseCidr4(DEFAULT_VPC_CIDR)!, isDefault: true, ignoreQuota: !opts.enforceQuota });
  for (const zone of zonesOf(ctx.region)) {
    insertSubnet(ctx, vpc, { cidr: nextDefaultSubnetCidr(ctx, vpc.VpcId), zone, defaultForAz: true });
  }
  attachNewInternetGateway(ctx, vpc.VpcId, { defaultRoute: true });
  return vpc;
}

export function createDefaultVpc(ctx: RequestContext, _input: CreateDefaultVpcRequest): CreateDefaultVpcResult {
  if (defaultVpc(ctx)) {
    throw new ApiError('DefaultVpcAlreadyExists', 'A Default VPC already exists for this account in this region.');
  }
  return { Vpc: { ...vpcView(buildDefaultVpc(ctx, { enforceQuota: true })), State: 'pending' } };
}

export function createDefaultSubnet(ctx: RequestContext, input: CreateDefaultSubnetRequest): CreateDefaultSubnetResult {
  const vpc = defaultVpc(ctx);
  if (!vpc) throw new ApiError('DefaultVpcDoesNotExist', 'No default VPC for this user.');
  if (input.Ipv6Native) throw new ApiError('UnsupportedOperation', 'IPv6-only default subnets are not supported by vpcsim.');
  const zone = resolveZone(ctx.region, input.AvailabilityZone, input.AvailabilityZoneId);
  if (input.AvailabilityZone === undefined && input.AvailabilityZoneId === undefined) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter AvailabilityZone');
  }
  const existing = ctx.state
    .list<SubnetRecord>('subnet')
    .find((s) => s.VpcId === vpc.VpcId && s.DefaultForAz && s.AvailabilityZone === zone.ZoneName);
  if (existing) {
    throw new ApiError(
      'DefaultSubnetAlreadyExistsInAvailabilityZone',
      `${existing.SubnetId} is already the default subnet for ${zone.ZoneName}.`,
    );
  }
  const subnet = insertSubnet(ctx, vpc, { cidr: nextDefaultSubnetCidr(ctx, vpc.VpcId), zone, defaultForAz: true });
  return { Subnet: subnetView(subnet) };
}


/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateDefaultVpc: createDefaultVpc,
  CreateDefaultSubnet: createDefaultSubnet,
};
