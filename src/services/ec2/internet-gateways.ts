/**
 * Internet gateways: create, attach to a VPC (one gateway per VPC, one VPC per gateway),
 * detach, delete, describe.
 */
import type {
  AttachInternetGatewayRequest,
  CreateInternetGatewayRequest,
  CreateInternetGatewayResult,
  DeleteInternetGatewayRequest,
  DescribeInternetGatewaysRequest,
  DescribeInternetGatewaysResult,
  DetachInternetGatewayRequest,
  InternetGateway,
  NetworkInterface,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { newId, requireRecord, selectByIds } from './resources.js';
import { gatewayRouteTable, mainRouteTable, removeGatewayRouteTableAssociations, type RouteTableRecord } from './route-tables.js';
import { tagsFromSpecs } from './tags.js';

export interface InternetGatewayRecord extends InternetGateway {
  InternetGatewayId: string;
}

// AWS reports an attached IGW as "available" (not the model's "attached").
const ATTACHED_STATE = 'available' as 'attached';

function getGateway(ctx: RequestContext, id: string | undefined): Readonly<InternetGatewayRecord> {
  return requireRecord<InternetGatewayRecord>(ctx.state, 'internet-gateway', id, 'InternetGatewayId');
}

/** The internet gateway attached to the VPC, if any. */
export function vpcInternetGateway(ctx: RequestContext, vpcId: string): Readonly<InternetGatewayRecord> | undefined {
  return ctx.state
    .list<InternetGatewayRecord>('internet-gateway')
    .find((g) => g.Attachments?.some((a) => a.VpcId === vpcId));
}

function checkQuota(ctx: RequestContext): void {
  if (ctx.state.list('internet-gateway').length >= ctx.config.quotas.internetGatewaysPerRegion) {
    throw new ApiError('InternetGatewayLimitExceeded', 'The maximum number of internet gateways has been reached.');
  }
}

/** Creates an IGW attached to the VPC; with defaultRoute, adds 0.0.0.0/0 → igw to the main table. */
export function attachNewInternetGateway(ctx: RequestContext, vpcId: string, opts: { defaultRoute: boolean }): InternetGatewayRecord {
  const igw: InternetGatewayRecord = {
    Attachments: [{ State: ATTACHED_STATE, VpcId: vpcId }],
    InternetGatewayId: newId('igw'),
    OwnerId: ctx.account,
  };
  ctx.state.put('internet-gateway', igw.InternetGatewayId, igw);
  if (opts.defaultRoute) {
    const main = mainRouteTable(ctx, vpcId);
    if (main) {
      const rt = ctx.state.edit<RouteTableRecord>('route-table', main.RouteTableId)!;
      rt.Routes = [
        ...(rt.Routes ?? []),
        { DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGatewayId, Origin: 'CreateRoute', State: 'active' },
      ];
    }
  }
  return igw;
}

function igwView(g: Readonly<InternetGatewayRecord>): InternetGateway {
  return { Attachments: g.Attachments ?? [], InternetGatewayId: g.InternetGatewayId, OwnerId: g.OwnerId, Tags: g.Tags };
}

export function createInternetGateway(ctx: RequestContext, input: CreateInternetGatewayRequest): CreateInternetGatewayResult {
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'internet-gateway');
  checkQuota(ctx);
  const igw: InternetGatewayRecord = { Attachments: [], InternetGatewayId: newId('igw'), OwnerId: ctx.account, Tags: tags };
  ctx.state.put('internet-gateway', igw.InternetGatewayId, igw);
  return { InternetGateway: igwView(igw) };
}

export function attachInternetGateway(ctx: RequestContext, input: AttachInternetGatewayRequest): void {
  const igw = getGateway(ctx, input.InternetGatewayId);
  const vpc = requireRecord<{ VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const current = igw.Attachments?.[0];
  if (current) {
    throw new ApiError('Resource.AlreadyAssociated', `resource ${igw.InternetGatewayId} is already attached to network ${current.VpcId}`);
  }
  if (vpcInternetGateway(ctx, vpc.VpcId)) {
    throw new ApiError('InvalidParameterValue', `Network ${vpc.VpcId} already has an internet gateway attached`);
  }
  const rec = ctx.state.edit<InternetGatewayRecord>('internet-gateway', igw.InternetGatewayId)!;
  rec.Attachments = [{ State: ATTACHED_STATE, VpcId: vpc.VpcId }];
}

/** True when an interface of the VPC has a public IPv4 address (auto-assigned or Elastic) mapped to it. */
function vpcHasMappedPublicAddresses(ctx: RequestContext, vpcId: string): boolean {
  return ctx.state
    .list<NetworkInterface>('network-interface')
    .some((eni) => eni.VpcId === vpcId && (!!eni.Association?.PublicIp || !!eni.PrivateIpAddresses?.some((p) => p.Association?.PublicIp)));
}

export function detachInternetGateway(ctx: RequestContext, input: DetachInternetGatewayRequest): void {
  const igw = getGateway(ctx, input.InternetGatewayId);
  const vpc = requireRecord<{ VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  if (!igw.Attachments?.some((a) => a.VpcId === vpc.VpcId)) {
    throw new ApiError('Gateway.NotAttached', `resource ${igw.InternetGatewayId} is not attached to network ${vpc.VpcId}`);
  }
  if (vpcHasMappedPublicAddresses(ctx, vpc.VpcId)) {
    throw new ApiError(
      'DependencyViolation',
      `Network ${vpc.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    );
  }
  // A gateway route table (edge association) only exists for a gateway attached to its VPC.
  const edge = gatewayRouteTable(ctx, igw.InternetGatewayId);
  if (edge) {
    throw new ApiError(
      'DependencyViolation',
      `The internetGateway '${igw.InternetGatewayId}' is associated with route table '${edge.RouteTableId}'. Disassociate the route table from the gateway before detaching it.`,
    );
  }
  const rec = ctx.state.edit<InternetGatewayRecord>('internet-gateway', igw.InternetGatewayId)!;
  rec.Attachments = [];
}

export function deleteInternetGateway(ctx: RequestContext, input: DeleteInternetGatewayRequest): void {
  const igw = getGateway(ctx, input.InternetGatewayId);
  if (igw.Attachments?.length) {
    throw new ApiError('DependencyViolation', `The internetGateway '${igw.InternetGatewayId}' has dependencies and cannot be deleted.`);
  }
  // Detaching requires the edge association gone; nothing that names the gateway outlives it.
  removeGatewayRouteTableAssociations(ctx, igw.InternetGatewayId);
  ctx.state.delete('internet-gateway', igw.InternetGatewayId);
}

const IGW_FILTERS = {
  'attachment.state': (g: InternetGatewayRecord) => pluck(g.Attachments, (a) => a.State),
  'attachment.vpc-id': (g: InternetGatewayRecord) => pluck(g.Attachments, (a) => a.VpcId),
  'internet-gateway-id': (g: InternetGatewayRecord) => g.InternetGatewayId,
  'owner-id': (g: InternetGatewayRecord) => g.OwnerId,
};

export function describeInternetGateways(ctx: RequestContext, input: DescribeInternetGatewaysRequest): DescribeInternetGatewaysResult {
  const selected = applyFilters(
    selectByIds<InternetGatewayRecord>(ctx.state, 'internet-gateway', input.InternetGatewayIds) as InternetGatewayRecord[],
    input.Filters,
    IGW_FILTERS,
  );
  const page = paginate(selected, input, { min: 5, max: 1000 });
  return { InternetGateways: page.items.map(igwView), NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateInternetGateway: createInternetGateway,
  AttachInternetGateway: attachInternetGateway,
  DetachInternetGateway: detachInternetGateway,
  DeleteInternetGateway: deleteInternetGateway,
  DescribeInternetGateways: describeInternetGateways,
};
