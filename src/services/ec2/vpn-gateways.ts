/**
 * Virtual private gateways: the AWS end of Site-to-Site VPN connections, attached to at most
 * one VPC (and a VPC to at most one of them). Route propagation: a route table that
 * propagates a gateway shows the static routes of the gateway's VPN connections.
 */
import type {
  AttachVpnGatewayRequest,
  AttachVpnGatewayResult,
  CreateVpnGatewayRequest,
  CreateVpnGatewayResult,
  DeleteVpnGatewayRequest,
  DescribeVpnGatewaysRequest,
  DescribeVpnGatewaysResult,
  DetachVpnGatewayRequest,
  DisableVgwRoutePropagationRequest,
  EnableVgwRoutePropagationRequest,
  Route,
  RouteTable,
  VpnGateway,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { zonesOf } from './regions.js';
import { newId, registerKind, requireRecord } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import type { VpnConnectionRecord } from './vpn-connections.js';
import { type DeletedAt, invalidValue, isLive, markDeleted, publicView, purgeExpired, requireLive, selectVisible } from './vpn.js';

registerKind({
  kind: 'vpn-gateway',
  prefix: 'vgw',
  code: 'InvalidVpnGatewayID',
  noun: 'vpnGateway ID',
  idField: 'VpnGatewayId',
});

export interface VpnGatewayRecord extends VpnGateway, DeletedAt {
  VpnGatewayId: string;
}

type RouteTableRecord = RouteTable & { RouteTableId: string; VpcId: string };

const DEFAULT_AMAZON_SIDE_ASN = 64512;

export function getVpnGateway(ctx: RequestContext, id: string | undefined, param = 'VpnGatewayId'): Readonly<VpnGatewayRecord> {
  return requireLive<VpnGatewayRecord>(ctx, 'vpn-gateway', id, param);
}

/** The VPC the gateway is attached to (attaching or attached), if any. */
export function attachedVpcId(g: Readonly<VpnGateway>): string | undefined {
  return g.VpcAttachments?.find((a) => a.State === 'attached' || a.State === 'attaching')?.VpcId;
}

/** The live gateway attached to the VPC, if any. */
export function vpcVpnGateway(ctx: RequestContext, vpcId: string): Readonly<VpnGatewayRecord> | undefined {
  return ctx.state.list<VpnGatewayRecord>('vpn-gateway').find((g) => isLive(g) && attachedVpcId(g) === vpcId);
}

export function vpnGatewayView(g: Readonly<VpnGatewayRecord>): VpnGateway {
  const v = publicView(g);
  return { ...v, VpcAttachments: v.VpcAttachments ?? [] };
}

function isValidAmazonSideAsn(asn: number): boolean {
  return Number.isInteger(asn) && ((asn >= 64512 && asn <= 65534) || (asn >= 4_200_000_000 && asn <= 4_294_967_294));
}

export function createVpnGateway(ctx: RequestContext, input: CreateVpnGatewayRequest): CreateVpnGatewayResult {
  if (input.Type !== 'ipsec.1') throw invalidValue('type', input.Type, 'Valid values: ipsec.1');
  const asn = input.AmazonSideAsn ?? DEFAULT_AMAZON_SIDE_ASN;
  if (!isValidAmazonSideAsn(asn)) {
    throw invalidValue(
      'amazonSideAsn',
      asn,
      'The ASN must be a private ASN in the 64512 to 65534 range (16-bit) or the 4200000000 to 4294967294 range (32-bit).',
    );
  }
  if (input.AvailabilityZone !== undefined) {
    const zones = zonesOf(ctx.region).map((z) => z.ZoneName);
    if (!zones.includes(input.AvailabilityZone)) {
      throw invalidValue('availabilityZone', input.AvailabilityZone, `Valid zones in ${ctx.region}: ${zones.join(', ')}.`);
    }
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'vpn-gateway');
  purgeExpired(ctx, 'vpn-gateway');
  const live = ctx.state.list<VpnGatewayRecord>('vpn-gateway').filter(isLive);
  if (live.length >= ctx.config.quotas.vpnGatewaysPerRegion) {
    throw new ApiError('VpnGatewayLimitExceeded', 'The maximum number of virtual private gateways has been reached.');
  }
  const vgw: VpnGatewayRecord = {
    AvailabilityZone: input.AvailabilityZone,
    State: 'available',
    Type: 'ipsec.1',
    VpcAttachments: [],
    VpnGatewayId: newId('vgw'),
    AmazonSideAsn: asn,
    Tags: tags,
  };
  ctx.state.put('vpn-gateway', vgw.VpnGatewayId, vgw);
  return { VpnGateway: vpnGatewayView(vgw) };
}

export function attachVpnGateway(ctx: RequestContext, input: AttachVpnGatewayRequest): AttachVpnGatewayResult {
  const vgw = getVpnGateway(ctx, input.VpnGatewayId);
  const vpc = requireRecord<{ VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const current = attachedVpcId(vgw);
  if (current === vpc.VpcId) return { VpcAttachment: { State: 'attached', VpcId: vpc.VpcId } };
  if (current !== undefined) {
    throw new ApiError('VpnGatewayAttachmentLimitExceeded', 'The maximum number of virtual private gateway attachments has been reached.');
  }
  const other = vpcVpnGateway(ctx, vpc.VpcId);
  if (other) {
    throw new ApiError('InvalidVpcState', `VPC ${vpc.VpcId} is currently attached to the Virtual Private Gateway ${other.VpnGatewayId}`);
  }
  const rec = ctx.state.edit<VpnGatewayRecord>('vpn-gateway', vgw.VpnGatewayId)!;
  rec.VpcAttachments = [{ State: 'attached', VpcId: vpc.VpcId }];
  // AWS answers while the attachment is still being made; it is attached by the next call.
  return { VpcAttachment: { State: 'attaching', VpcId: vpc.VpcId } };
}

export function detachVpnGateway(ctx: RequestContext, input: DetachVpnGatewayRequest): void {
  const vgw = getVpnGateway(ctx, input.VpnGatewayId);
  const vpcId = input.VpcId ?? '';
  if (attachedVpcId(vgw) !== vpcId) {
    throw new ApiError(
      'InvalidVpnGatewayAttachment.NotFound',
      `The attachment with vpn gateway ID '${vgw.VpnGatewayId}' and vpc ID '${vpcId}' does not exist`,
    );
  }
  const rec = ctx.state.edit<VpnGatewayRecord>('vpn-gateway', vgw.VpnGatewayId)!;
  rec.VpcAttachments = [{ State: 'detached', VpcId: vpcId }];
  // Route propagation from this gateway ends with the attachment.
  for (const t of ctx.state.list<RouteTableRecord>('route-table')) {
    if (t.VpcId !== vpcId || !t.PropagatingVgws?.some((p) => p.GatewayId === vgw.VpnGatewayId)) continue;
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.PropagatingVgws = (rt.PropagatingVgws ?? []).filter((p) => p.GatewayId !== vgw.VpnGatewayId);
  }
}

export function deleteVpnGateway(ctx: RequestContext, input: DeleteVpnGatewayRequest): void {
  const vgw = getVpnGateway(ctx, input.VpnGatewayId);
  const hasConnections = ctx.state
    .list<VpnConnectionRecord>('vpn-connection')
    .some((c) => c.VpnGatewayId === vgw.VpnGatewayId && isLive(c));
  if (attachedVpcId(vgw) !== undefined || hasConnections) {
    throw new ApiError('IncorrectState', 'The VPN gateway is in use.');
  }
  markDeleted<VpnGatewayRecord>(ctx, 'vpn-gateway', vgw.VpnGatewayId);
}

const VGW_FILTERS = {
  'amazon-side-asn': (g: VpnGatewayRecord) => g.AmazonSideAsn,
  'attachment.state': (g: VpnGatewayRecord) => pluck(g.VpcAttachments, (a) => a.State),
  'attachment.vpc-id': (g: VpnGatewayRecord) => pluck(g.VpcAttachments, (a) => a.VpcId),
  'availability-zone': (g: VpnGatewayRecord) => g.AvailabilityZone,
  state: (g: VpnGatewayRecord) => g.State,
  type: (g: VpnGatewayRecord) => g.Type,
  'vpn-gateway-id': (g: VpnGatewayRecord) => g.VpnGatewayId,
};

export function describeVpnGateways(ctx: RequestContext, input: DescribeVpnGatewaysRequest): DescribeVpnGatewaysResult {
  const selected = applyFilters(
    selectVisible<VpnGatewayRecord>(ctx, 'vpn-gateway', input.VpnGatewayIds) as VpnGatewayRecord[],
    input.Filters,
    VGW_FILTERS,
  );
  return { VpnGateways: selected.map(vpnGatewayView) };
}

export function enableVgwRoutePropagation(ctx: RequestContext, input: EnableVgwRoutePropagationRequest): void {
  const table = requireRecord<RouteTableRecord>(ctx.state, 'route-table', input.RouteTableId, 'RouteTableId');
  const vgw = getVpnGateway(ctx, input.GatewayId, 'GatewayId');
  if (attachedVpcId(vgw) !== table.VpcId) {
    throw new ApiError('Gateway.NotAttached', `resource ${vgw.VpnGatewayId} is not attached to network ${table.VpcId}`);
  }
  if (table.PropagatingVgws?.some((p) => p.GatewayId === vgw.VpnGatewayId)) return;
  const rt = ctx.state.edit<RouteTableRecord>('route-table', table.RouteTableId)!;
  rt.PropagatingVgws = [...(rt.PropagatingVgws ?? []), { GatewayId: vgw.VpnGatewayId }];
}

export function disableVgwRoutePropagation(ctx: RequestContext, input: DisableVgwRoutePropagationRequest): void {
  const table = requireRecord<RouteTableRecord>(ctx.state, 'route-table', input.RouteTableId, 'RouteTableId');
  const vgw = requireRecord<VpnGatewayRecord>(ctx.state, 'vpn-gateway', input.GatewayId, 'GatewayId');
  if (!table.PropagatingVgws?.some((p) => p.GatewayId === vgw.VpnGatewayId)) return;
  const rt = ctx.state.edit<RouteTableRecord>('route-table', table.RouteTableId)!;
  rt.PropagatingVgws = (rt.PropagatingVgws ?? []).filter((p) => p.GatewayId !== vgw.VpnGatewayId);
}

/** True when the connection carries traffic: available, with at least one tunnel up. */
export function vpnConnectionIsUp(c: Readonly<VpnConnectionRecord>): boolean {
  return c.State === 'available' && !!c.VgwTelemetry?.some((t) => t.Status === 'UP');
}

/**
 * The routes a route table shows because it propagates virtual private gateways: for each
 * gateway in its PropagatingVgws that is attached to the table's VPC, the static routes of
 * the gateway's available VPN connections with a tunnel up, one route per destination.
 * Computed from the current state; nothing is stored.
 */
export function propagatedRoutes(ctx: RequestContext, routeTable: Readonly<RouteTable>): Route[] {
  const out: Route[] = [];
  const connections = ctx.state.list<VpnConnectionRecord>('vpn-connection');
  for (const p of routeTable.PropagatingVgws ?? []) {
    const vgw = p.GatewayId ? ctx.state.get<VpnGatewayRecord>('vpn-gateway', p.GatewayId) : undefined;
    if (!vgw || !isLive(vgw) || !routeTable.VpcId || attachedVpcId(vgw) !== routeTable.VpcId) continue;
    if (vgw.VpcAttachments?.find((a) => a.VpcId === routeTable.VpcId)?.State !== 'attached') continue;
    const seen = new Set<string>();
    for (const c of connections) {
      if (c.VpnGatewayId !== vgw.VpnGatewayId || !vpnConnectionIsUp(c)) continue;
      for (const r of c.Routes ?? []) {
        if (r.State !== 'available' || !r.DestinationCidrBlock || seen.has(r.DestinationCidrBlock)) continue;
        seen.add(r.DestinationCidrBlock);
        out.push({
          DestinationCidrBlock: r.DestinationCidrBlock,
          GatewayId: vgw.VpnGatewayId,
          Origin: 'EnableVgwRoutePropagation',
          State: 'active',
        });
      }
    }
  }
  return out;
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateVpnGateway: createVpnGateway,
  AttachVpnGateway: attachVpnGateway,
  DetachVpnGateway: detachVpnGateway,
  DeleteVpnGateway: deleteVpnGateway,
  DescribeVpnGateways: describeVpnGateways,
  EnableVgwRoutePropagation: enableVgwRoutePropagation,
  DisableVgwRoutePropagation: disableVgwRoutePropagation,
};
