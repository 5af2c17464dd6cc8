/**
 * Route tables: the main table of each VPC, custom tables, routes and their targets,
 * subnet and gateway (edge) associations.
 *
 * Routes are stored without their State: whether a route is `active` or `blackhole`
 * depends on its target (attached, running, available...), so it is derived from the
 * current state every time a table is shown.
 */
import type {
  AssociateRouteTableRequest,
  AssociateRouteTableResult,
  CreateRouteRequest,
  CreateRouteResult,
  CreateRouteTableRequest,
  CreateRouteTableResult,
  DeleteRouteRequest,
  DeleteRouteTableRequest,
  DescribeRouteTablesRequest,
  DescribeRouteTablesResult,
  DisassociateRouteTableRequest,
  ReplaceRouteRequest,
  ReplaceRouteTableAssociationRequest,
  ReplaceRouteTableAssociationResult,
  Route,
  RouteTable,
  RouteTableAssociation,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { type Cidr, contains, formatCidr, parseCidr, parseCidr4, parseCidr6 } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { checkIdShape, kindOf, newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { instanceStateName, type InstanceRecord } from './instances.js';
import { findPeering, peeringRemoteEnd, peeringStatus } from './vpc-peering.js';
import { propagatedRoutes } from './vpn-gateways.js';
import { findPrefixList } from './prefix-lists.js';
import { defineIndex } from '../../state/store.js';

export interface RouteTableRecord extends RouteTable {
  RouteTableId: string;
  VpcId: string;
}

type RouteEntry = Route;
// Records of other families are read through their AWS shape, loosely: some of those
// families store fields this module only needs to peek at.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRecord = Record<string, any>;

const ORIGIN_LOCAL = 'CreateRouteTable';
const ORIGIN_USER = 'CreateRoute';

// ---------------------------------------------------------------------------------------
// Functions other families call (VPCs, subnets, gateways, default VPC)
// ---------------------------------------------------------------------------------------

function isIpv6(cidr: string): boolean {
  return cidr.includes(':');
}

function localRoute(cidr: string): RouteEntry {
  return isIpv6(cidr)
    ? { DestinationIpv6CidrBlock: cidr, GatewayId: 'local', Origin: ORIGIN_LOCAL }
    : { DestinationCidrBlock: cidr, GatewayId: 'local', Origin: ORIGIN_LOCAL };
}

defineIndex('route-table', 'VpcId');

export function vpcRouteTables(ctx: RequestContext, vpcId: string): Readonly<RouteTableRecord>[] {
  return ctx.state.listBy<RouteTableRecord>('route-table', 'VpcId', vpcId);
}

export function mainRouteTable(ctx: RequestContext, vpcId: string): Readonly<RouteTableRecord> | undefined {
  return vpcRouteTables(ctx, vpcId).find((r) => r.Associations?.some((a) => a.Main));
}

/** The table a subnet routes with: its explicit association, else its VPC's main table. */
export function subnetRouteTable(ctx: RequestContext, subnetId: string): Readonly<RouteTableRecord> | undefined {
  const tables = ctx.state.list<RouteTableRecord>('route-table');
  const explicit = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId));
  if (explicit) return explicit;
  const subnet = ctx.state.get<AnyRecord>('subnet', subnetId);
  return subnet ? mainRouteTable(ctx, subnet.VpcId) : undefined;
}

/** The table associated with a gateway (edge association), if any. */
export function gatewayRouteTable(ctx: RequestContext, gatewayId: string): Readonly<RouteTableRecord> | undefined {
  return ctx.state.list<RouteTableRecord>('route-table').find((t) => t.Associations?.some((a) => a.GatewayId === gatewayId));
}

/** The VPC's associated IPv4 and IPv6 blocks. */
function vpcBlocks(vpc: AnyRecord | undefined): string[] {
  if (!vpc) return [];
  const live = (s: string | undefined) => s === 'associated' || s === 'associating';
  const v4 = (vpc.CidrBlockAssociationSet ?? [])
    .filter((a: AnyRecord) => live(a.CidrBlockState?.State))
    .map((a: AnyRecord) => a.CidrBlock as string);
  const v6 = (vpc.Ipv6CidrBlockAssociationSet ?? [])
    .filter((a: AnyRecord) => live(a.Ipv6CidrBlockState?.State))
    .map((a: AnyRecord) => a.Ipv6CidrBlock as string);
  const primary = v4.length === 0 && vpc.CidrBlock ? [vpc.CidrBlock as string] : [];
  return [...primary, ...v4, ...v6];
}

function newTable(ctx: RequestContext, vpcId: string, cidrs: string[], main: boolean): RouteTableRecord {
  const id = newId('rtb');
  return {
    Associations: main
      ? [{ Main: true, RouteTableAssociationId: newId('rtbassoc'), RouteTableId: id, AssociationState: { State: 'associated' } }]
      : [],
    PropagatingVgws: [],
    RouteTableId: id,
    Routes: cidrs.map(localRoute),
    VpcId: vpcId,
    OwnerId: ctx.account,
  };
}

/** A new VPC's main route table, with a `local` route for each of its blocks. */
export function createMainRouteTable(
  ctx: RequestContext,
  vpc: { VpcId: string; CidrBlock: string; Ipv6CidrBlockAssociationSet?: Array<{ Ipv6CidrBlock?: string }> },
): RouteTableRecord {
  const cidrs = [vpc.CidrBlock, ...(vpc.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock!)];
  const rt = newTable(ctx, vpc.VpcId, cidrs, true);
  return ctx.state.put('route-table', rt.RouteTableId, rt);
}

/** Adds the `local` route for a newly associated VPC block to every table of the VPC. */
export function addLocalRoutes(ctx: RequestContext, vpcId: string, cidr: string): void {
  const key = canonical(cidr);
  for (const t of vpcRouteTables(ctx, vpcId)) {
    if ((t.Routes ?? []).some((r) => routeKey(r) === key)) continue;
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.Routes = [...(rt.Routes ?? []), localRoute(cidr)];
  }
}

/** Removes the `local` route of a disassociated VPC block (whatever its target now is). */
export function removeLocalRoutes(ctx: RequestContext, vpcId: string, cidr: string): void {
  const key = canonical(cidr);
  for (const t of vpcRouteTables(ctx, vpcId)) {
    if (!(t.Routes ?? []).some((r) => isLocal(r) && routeKey(r) === key)) continue;
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.Routes = (rt.Routes ?? []).filter((r) => !(isLocal(r) && routeKey(r) === key));
  }
}

/** Every IPv4/IPv6 destination of every route in the VPC's tables. */
export function routeDestinations(ctx: RequestContext, vpcId: string): string[] {
  return vpcRouteTables(ctx, vpcId).flatMap((t) =>
    (t.Routes ?? []).flatMap((r) => [r.DestinationCidrBlock, r.DestinationIpv6CidrBlock].filter((d): d is string => !!d)),
  );
}

/** Called by DeleteVpc once nothing blocks it: removes the main table. */
export function deleteVpcRouteTables(ctx: RequestContext, vpcId: string): void {
  for (const t of vpcRouteTables(ctx, vpcId)) ctx.state.delete('route-table', t.RouteTableId);
}

/** A deleted subnet leaves the route table it was explicitly associated with. */
export function removeSubnetRouteTableAssociations(ctx: RequestContext, subnetId: string): void {
  for (const t of ctx.state.list<RouteTableRecord>('route-table')) {
    if (!t.Associations?.some((a) => a.SubnetId === subnetId)) continue;
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.Associations = rt.Associations!.filter((a) => a.SubnetId !== subnetId);
  }
}

/** A gateway that goes away leaves the route table it was associated with (edge association). */
export function removeGatewayRouteTableAssociations(ctx: RequestContext, gatewayId: string): void {
  for (const t of ctx.state.list<RouteTableRecord>('route-table')) {
    if (!t.Associations?.some((a) => a.GatewayId === gatewayId)) continue;
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.Associations = rt.Associations!.filter((a) => a.GatewayId !== gatewayId);
  }
}

// ---------------------------------------------------------------------------------------
// Routes: destinations, targets, state
// ---------------------------------------------------------------------------------------

function canonical(cidr: string): string {
  const c = parseCidr(cidr);
  return c ? formatCidr(c) : cidr;
}

/** The destination that identifies a route in its table. */
function routeKey(r: RouteEntry): string {
  if (r.DestinationCidrBlock) return canonical(r.DestinationCidrBlock);
  if (r.DestinationIpv6CidrBlock) return canonical(r.DestinationIpv6CidrBlock);
  return r.DestinationPrefixListId ?? '';
}

/** The `local` route of a VPC block (its target may have been replaced). */
function isLocal(r: RouteEntry): boolean {
  return r.Origin === ORIGIN_LOCAL;
}

function attachedTo(attachments: AnyRecord[] | undefined, vpcId: string): boolean {
  return (attachments ?? []).some((a) => a.VpcId === vpcId && (a.State === 'available' || a.State === 'attached'));
}

function instanceState(ctx: RequestContext, instanceId: string): string | undefined {
  const instance = ctx.state.get<InstanceRecord>('instance', instanceId);
  return instance ? instanceStateName(instance, ctx.now) : undefined;
}

function instanceUp(ctx: RequestContext, instanceId: string): boolean {
  const s = instanceState(ctx, instanceId);
  return s === 'running' || s === 'pending';
}

/** The interfaces attached to an instance, primary first. */
function instanceInterfaces(ctx: RequestContext, instanceId: string): AnyRecord[] {
  return ctx.state
    .list<AnyRecord>('network-interface')
    .filter((e) => e.Attachment?.InstanceId === instanceId)
    .sort((a, b) => (a.Attachment.DeviceIndex ?? 0) - (b.Attachment.DeviceIndex ?? 0));
}

/** True while an interface can carry traffic: it is attached and what it is attached to runs. */
function interfaceUp(ctx: RequestContext, eniId: string): boolean {
  const eni = ctx.state.get<AnyRecord>('network-interface', eniId);
  if (!eni) return false;
  const attached = eni.Status === 'in-use' || eni.Attachment?.Status === 'attached';
  if (!attached) return false;
  const instanceId = eni.Attachment?.InstanceId;
  return !instanceId || instanceUp(ctx, instanceId);
}

const GONE = new Set(['deleted', 'deleting', 'failed', 'rejected', 'expired']);

function stateName(rec: AnyRecord | undefined): string | undefined {
  if (!rec) return undefined;
  const s = rec.State ?? rec.Status;
  return typeof s === 'string' ? s : (s?.Code ?? s?.Name);
}

function alive(rec: AnyRecord | undefined): boolean {
  return !!rec && !GONE.has(stateName(rec) ?? '');
}

function transitGatewayAttached(ctx: RequestContext, tgwId: string, vpcId: string): boolean {
  return ['transit-gateway-vpc-attachment', 'transit-gateway-attachment'].some((kind) =>
    ctx.state
      .list<AnyRecord>(kind)
      .some((a) => a.TransitGatewayId === tgwId && (a.VpcId === vpcId || a.ResourceId === vpcId) && alive(a)),
  );
}

/** The peering connection's status as the request's account and region see it, if they see it. */
function peeringCode(ctx: RequestContext, pcxId: string): string | undefined {
  const pcx = findPeering(ctx, pcxId);
  return pcx ? peeringStatus(pcx, ctx.now).Code : undefined;
}

/** `active` when the route's target can take traffic now, else `blackhole`. */
function routeState(ctx: RequestContext, vpcId: string, r: RouteEntry): 'active' | 'blackhole' {
  const ok = (() => {
    const gw = r.GatewayId;
    if (gw === 'local') return true;
    if (gw?.startsWith('igw-')) return attachedTo(ctx.state.get<AnyRecord>('internet-gateway', gw)?.Attachments, vpcId);
    if (gw?.startsWith('vgw-')) return attachedTo(ctx.state.get<AnyRecord>('vpn-gateway', gw)?.VpcAttachments, vpcId);
    if (gw?.startsWith('vpce-')) return alive(ctx.state.get<AnyRecord>('vpc-endpoint', gw));
    if (gw) return false;
    if (r.EgressOnlyInternetGatewayId) {
      return attachedTo(ctx.state.get<AnyRecord>('egress-only-internet-gateway', r.EgressOnlyInternetGatewayId)?.Attachments, vpcId);
    }
    if (r.NatGatewayId) {
      const s = stateName(ctx.state.get<AnyRecord>('nat-gateway', r.NatGatewayId));
      return s === 'available' || s === 'pending';
    }
    if (r.InstanceId) {
      if (!instanceUp(ctx, r.InstanceId)) return false;
      return !r.NetworkInterfaceId || interfaceUp(ctx, r.NetworkInterfaceId);
    }
    if (r.NetworkInterfaceId) return interfaceUp(ctx, r.NetworkInterfaceId);
    if (r.VpcPeeringConnectionId) {
      return peeringCode(ctx, r.VpcPeeringConnectionId) === 'active';
    }
    if (r.TransitGatewayId) {
      const tgw = ctx.state.get<AnyRecord>('transit-gateway', r.TransitGatewayId);
      return alive(tgw) && transitGatewayAttached(ctx, r.TransitGatewayId, vpcId);
    }
    if (r.LocalGatewayId) return alive(ctx.state.get<AnyRecord>('local-gateway', r.LocalGatewayId));
    if (r.CarrierGatewayId) return alive(ctx.state.get<AnyRecord>('carrier-gateway', r.CarrierGatewayId));
    if (r.CoreNetworkArn) return alive(ctx.state.get<AnyRecord>('core-network', r.CoreNetworkArn));
    return false;
  })();
  return ok ? 'active' : 'blackhole';
}

/** A route as AWS shows it: current State, and the instance behind an interface target. */
function routeView(ctx: RequestContext, vpcId: string, r: RouteEntry): Route {
  const { State: _stored, ...rest } = r;
  const out: Route = { ...rest };
  if (out.InstanceId) {
    out.InstanceOwnerId = ctx.account;
  } else if (out.NetworkInterfaceId) {
    const instanceId = ctx.state.get<AnyRecord>('network-interface', out.NetworkInterfaceId)?.Attachment?.InstanceId;
    if (instanceId) {
      out.InstanceId = instanceId;
      out.InstanceOwnerId = ctx.account;
    }
  }
  out.State = routeState(ctx, vpcId, r);
  return out;
}

/** The table as AWS shows it: internal fields dropped, route states derived now. */
export function routeTableView(ctx: RequestContext, t: Readonly<RouteTableRecord>): RouteTable {
  const routes = (t.Routes ?? []).map((r) => routeView(ctx, t.VpcId, r));
  if ((t.PropagatingVgws ?? []).length > 0) {
    // Routes learned from virtual private gateways; a static route to the same destination wins.
    const taken = new Set((t.Routes ?? []).map(routeKey));
    for (const p of propagatedRoutes(ctx, t)) {
      if (taken.has(routeKey(p))) continue;
      taken.add(routeKey(p));
      routes.push(p);
    }
  }
  return {
    Associations: (t.Associations ?? []).map((a) => ({ ...a })),
    PropagatingVgws: (t.PropagatingVgws ?? []).map((p) => ({ ...p })),
    RouteTableId: t.RouteTableId,
    Routes: routes,
    Tags: t.Tags,
    VpcId: t.VpcId,
    OwnerId: t.OwnerId,
  };
}

// ---------------------------------------------------------------------------------------
// CreateRouteTable / DeleteRouteTable / DescribeRouteTables
// ---------------------------------------------------------------------------------------

function getTable(ctx: RequestContext, id: string | undefined): Readonly<RouteTableRecord> {
  return requireRecord<RouteTableRecord>(ctx.state, 'route-table', id, 'routeTableId');
}

function dependencies(id: string): ApiError {
  return new ApiError('DependencyViolation', `The routeTable '${id}' has dependencies and cannot be deleted.`);
}

export function createRouteTable(ctx: RequestContext, input: CreateRouteTableRequest): CreateRouteTableResult {
  const vpc = requireRecord<AnyRecord>(ctx.state, 'vpc', input.VpcId, 'vpcId');
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'route-table');
  const quota = ctx.config.quotas.routeTablesPerVpc;
  if (vpcRouteTables(ctx, vpc.VpcId).length >= quota) {
    throw new ApiError('RouteTableLimitExceeded', `The maximum number of route tables (${quota}) for VPC '${vpc.VpcId}' has been reached.`);
  }
  const rt = newTable(ctx, vpc.VpcId, vpcBlocks(vpc), false);
  rt.Tags = tags;
  ctx.state.put('route-table', rt.RouteTableId, rt);
  return { RouteTable: routeTableView(ctx, rt), ClientToken: input.ClientToken };
}

export function deleteRouteTable(ctx: RequestContext, input: DeleteRouteTableRequest): void {
  const rt = getTable(ctx, input.RouteTableId);
  // The main table goes with its VPC; a table still associated with a subnet or gateway stays.
  if ((rt.Associations ?? []).length > 0) throw dependencies(rt.RouteTableId);
  ctx.state.delete('route-table', rt.RouteTableId);
}

const ROUTE_TABLE_FILTERS = {
  'association.gateway-id': (t: RouteTable) => pluck(t.Associations, (a) => a.GatewayId),
  'association.route-table-association-id': (t: RouteTable) => pluck(t.Associations, (a) => a.RouteTableAssociationId),
  'association.route-table-id': (t: RouteTable) => pluck(t.Associations, (a) => a.RouteTableId),
  'association.subnet-id': (t: RouteTable) => pluck(t.Associations, (a) => a.SubnetId),
  // Tables without any association match neither true nor false.
  'association.main': (t: RouteTable) => pluck(t.Associations, (a) => a.Main ?? false),
  'owner-id': (t: RouteTable) => t.OwnerId,
  'route-table-id': (t: RouteTable) => t.RouteTableId,
  'route.destination-cidr-block': (t: RouteTable) => pluck(t.Routes, (r) => r.DestinationCidrBlock),
  'route.destination-ipv6-cidr-block': (t: RouteTable) => pluck(t.Routes, (r) => r.DestinationIpv6CidrBlock),
  'route.destination-prefix-list-id': (t: RouteTable) => pluck(t.Routes, (r) => r.DestinationPrefixListId),
  'route.egress-only-internet-gateway-id': (t: RouteTable) => pluck(t.Routes, (r) => r.EgressOnlyInternetGatewayId),
  'route.gateway-id': (t: RouteTable) => pluck(t.Routes, (r) => r.GatewayId),
  'route.instance-id': (t: RouteTable) => pluck(t.Routes, (r) => r.InstanceId),
  'route.nat-gateway-id': (t: RouteTable) => pluck(t.Routes, (r) => r.NatGatewayId),
  'route.transit-gateway-id': (t: RouteTable) => pluck(t.Routes, (r) => r.TransitGatewayId),
  'route.origin': (t: RouteTable) => pluck(t.Routes, (r) => r.Origin),
  'route.state': (t: RouteTable) => pluck(t.Routes, (r) => r.State),
  'route.vpc-peering-connection-id': (t: RouteTable) => pluck(t.Routes, (r) => r.VpcPeeringConnectionId),
  'vpc-id': (t: RouteTable) => t.VpcId,
};

export function describeRouteTables(ctx: RequestContext, input: DescribeRouteTablesRequest): DescribeRouteTablesResult {
  const tables = selectByIds<RouteTableRecord>(ctx.state, 'route-table', input.RouteTableIds).map((t) => routeTableView(ctx, t));
  const selected = applyFilters(tables, input.Filters, ROUTE_TABLE_FILTERS);
  const page = paginate(selected, input, { min: 5, max: 100 });
  return { RouteTables: page.items, NextToken: page.nextToken };
}

// ---------------------------------------------------------------------------------------
// CreateRoute / ReplaceRoute / DeleteRoute
// ---------------------------------------------------------------------------------------

interface Destination {
  /** Model member of the route holding it. */
  field: 'DestinationCidrBlock' | 'DestinationIpv6CidrBlock' | 'DestinationPrefixListId';
  /** Wire name, as in AWS's messages. */
  param: string;
  /** Canonical text (host bits cleared). */
  text: string;
  cidr?: Cidr;
  /** For prefix lists: how many routes it counts as (its maximum number of entries). */
  weight: number;
}

type DestinationInput = Pick<CreateRouteRequest, 'DestinationCidrBlock' | 'DestinationIpv6CidrBlock' | 'DestinationPrefixListId'>;

const DESTINATION_PARAMS = [
  ['DestinationCidrBlock', 'destinationCidrBlock'],
  ['DestinationIpv6CidrBlock', 'destinationIpv6CidrBlock'],
  ['DestinationPrefixListId', 'destinationPrefixListId'],
] as const;

function given(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

function prefixList(ctx: RequestContext, id: string): AnyRecord | undefined {
  // Customer-managed lists are records; AWS-managed ones (S3, DynamoDB) are computed.
  return (findPrefixList(ctx, id) as AnyRecord | undefined) ?? ctx.state.get<AnyRecord>('managed-prefix-list', id);
}

/** Exactly one destination, parsed and canonicalised. */
function readDestination(ctx: RequestContext, input: DestinationInput): Destination {
  const present = DESTINATION_PARAMS.filter(([field]) => given(input[field]));
  if (present.length === 0) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock');
  }
  if (present.length > 1) {
    throw new ApiError(
      'InvalidParameterCombination',
      'The request must contain exactly one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId',
    );
  }
  const [field, param] = present[0]!;
  const value = input[field]!;
  if (field === 'DestinationPrefixListId') {
    const pl = prefixList(ctx, value);
    if (!pl || GONE.has(String(pl.State ?? '').replace(/-complete$/, ''))) {
      throw new ApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${value}' does not exist`);
    }
    return { field, param, text: value, weight: Number(pl.MaxEntries) > 0 ? Number(pl.MaxEntries) : 1 };
  }
  const cidr = field === 'DestinationCidrBlock' ? parseCidr4(value) : parseCidr6(value);
  if (!cidr) {
    const what = field === 'DestinationCidrBlock' ? 'CIDR block' : 'IPv6 CIDR block';
    throw new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. This is not a valid ${what}.`);
  }
  return { field, param, text: formatCidr(cidr), cidr, weight: 1 };
}

function findRoute(rt: Readonly<RouteTableRecord>, dest: Destination): number {
  return (rt.Routes ?? []).findIndex((r) => r[dest.field] !== undefined && routeKey(r) === dest.text);
}

function routeNotFound(rt: Readonly<RouteTableRecord>, dest: Destination): ApiError {
  const name = dest.param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return new ApiError('InvalidRoute.NotFound', `no route with ${name} ${dest.text} in route table ${rt.RouteTableId}`);
}

/** What a route can point at, by request parameter. */
const TARGET_PARAMS = [
  ['GatewayId', 'gatewayId'],
  ['LocalGatewayId', 'localGatewayId'],
  ['CarrierGatewayId', 'carrierGatewayId'],
  ['NatGatewayId', 'natGatewayId'],
  ['NetworkInterfaceId', 'networkInterfaceId'],
  ['VpcPeeringConnectionId', 'vpcPeeringConnectionId'],
  ['EgressOnlyInternetGatewayId', 'egressOnlyInternetGatewayId'],
  ['TransitGatewayId', 'transitGatewayId'],
  ['VpcEndpointId', 'vpcEndpointId'],
  ['CoreNetworkArn', 'coreNetworkArn'],
  ['InstanceId', 'instanceId'],
] as const;

type TargetParam = (typeof TARGET_PARAMS)[number][0];
type TargetInput = Pick<CreateRouteRequest, TargetParam>;

const TARGET_LIST = (() => {
  const names = TARGET_PARAMS.map(([, wire]) => wire);
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
})();

/** Kinds of target, as far as AWS's rules about them go. */
type TargetClass = 'local' | 'interface' | 'nat' | 'gwlb-endpoint' | 'gateway';

interface ResolvedTarget {
  /** The target members of the stored route. */
  fields: Partial<RouteEntry>;
  cls: TargetClass;
  id: string;
}

function differentNetworks(rt: Readonly<RouteTableRecord>, noun: string, id: string): ApiError {
  return new ApiError('InvalidParameterValue', `route table ${rt.RouteTableId} and ${noun} ${id} belong to different networks`);
}

function gatewayNotFound(id: string): ApiError {
  return new ApiError('InvalidGatewayID.NotFound', `The gateway ID '${id}' does not exist`);
}

/** A Gateway Load Balancer endpoint of the table's VPC (the only endpoints a route can target). */
function resolveEndpoint(ctx: RequestContext, rt: Readonly<RouteTableRecord>, id: string, notFound: () => ApiError): ResolvedTarget {
  const vpce = ctx.state.get<AnyRecord>('vpc-endpoint', id);
  if (!vpce || GONE.has(stateName(vpce)?.toLowerCase() ?? '')) throw notFound();
  if (vpce.VpcId !== rt.VpcId) throw differentNetworks(rt, 'vpc endpoint', id);
  if (vpce.VpcEndpointType !== 'GatewayLoadBalancer') {
    throw new ApiError(
      'InvalidParameterValue',
      `The vpc endpoint ${id} is not a Gateway Load Balancer endpoint. Only Gateway Load Balancer endpoints can be route targets.`,
    );
  }
  return { fields: { GatewayId: id }, cls: 'gwlb-endpoint', id };
}

/** The target's record must exist (else AWS's NotFound for its kind) and be usable from this table. */
function resolveTarget(ctx: RequestContext, rt: Readonly<RouteTableRecord>, param: TargetParam, id: string): ResolvedTarget {
  const vpcId = rt.VpcId;
  switch (param) {
    case 'GatewayId': {
      if (id.startsWith('igw-')) {
        const igw = ctx.state.get<AnyRecord>('internet-gateway', id);
        if (!igw) throw gatewayNotFound(id);
        if (!attachedTo(igw.Attachments, vpcId)) throw differentNetworks(rt, 'network gateway', id);
        return { fields: { GatewayId: id }, cls: 'gateway', id };
      }
      if (id.startsWith('vgw-')) {
        const vgw = ctx.state.get<AnyRecord>('vpn-gateway', id);
        if (!vgw || stateName(vgw) === 'deleted') throw gatewayNotFound(id);
        if (!attachedTo(vgw.VpcAttachments, vpcId)) throw differentNetworks(rt, 'network gateway', id);
        return { fields: { GatewayId: id }, cls: 'gateway', id };
      }
      if (id.startsWith('vpce-')) return resolveEndpoint(ctx, rt, id, () => gatewayNotFound(id));
      throw gatewayNotFound(id);
    }
    case 'VpcEndpointId':
      return resolveEndpoint(ctx, rt, id, () => new ApiError('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`));
    case 'EgressOnlyInternetGatewayId': {
      const eigw = ctx.state.get<AnyRecord>('egress-only-internet-gateway', id);
      if (!eigw) {
        throw new ApiError('InvalidEgressOnlyInternetGatewayId.NotFound', `The egressOnlyInternetGateway ID '${id}' does not exist`);
      }
      if (!attachedTo(eigw.Attachments, vpcId)) throw differentNetworks(rt, 'network gateway', id);
      return { fields: { EgressOnlyInternetGatewayId: id }, cls: 'gateway', id };
    }
    case 'NatGatewayId': {
      const nat = ctx.state.get<AnyRecord>('nat-gateway', id);
      if (!nat || GONE.has(stateName(nat) ?? '')) {
        throw new ApiError('InvalidNatGatewayID.NotFound', `The natGateway ID '${id}' does not exist`);
      }
      if (nat.VpcId && nat.VpcId !== vpcId) throw differentNetworks(rt, 'network gateway', id);
      return { fields: { NatGatewayId: id }, cls: 'nat', id };
    }
    case 'NetworkInterfaceId': {
      checkIdShape(kindOf('network-interface'), id);
      const eni = ctx.state.get<AnyRecord>('network-interface', id);
      if (!eni) throw new ApiError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
      if (eni.VpcId !== vpcId) throw differentNetworks(rt, 'interface', id);
      return { fields: { NetworkInterfaceId: id }, cls: 'interface', id };
    }
    case 'InstanceId': {
      checkIdShape(kindOf('instance'), id);
      const instance = ctx.state.get<AnyRecord>('instance', id);
      const state = instanceState(ctx, id);
      if (!instance || state === 'terminated' || state === 'shutting-down') {
        throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      }
      const attached = instanceInterfaces(ctx, id).map((e) => e.NetworkInterfaceId as string);
      const enis = attached.length
        ? attached
        : (instance.NetworkInterfaces ?? []).map((n: AnyRecord) => n.NetworkInterfaceId as string).filter(Boolean);
      if (enis.length > 1) {
        throw new ApiError(
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${id}'. Please specify an interface ID for the operation instead.`,
        );
      }
      const instanceVpc = instance.VpcId ?? (enis[0] ? ctx.state.get<AnyRecord>('network-interface', enis[0])?.VpcId : undefined);
      if (instanceVpc !== vpcId) throw differentNetworks(rt, 'instance', id);
      return { fields: enis[0] ? { InstanceId: id, NetworkInterfaceId: enis[0] } : { InstanceId: id }, cls: 'interface', id };
    }
    case 'VpcPeeringConnectionId': {
      const pcx = findPeering(ctx, id);
      if (!pcx || GONE.has(peeringStatus(pcx, ctx.now).Code)) {
        throw new ApiError('InvalidVpcPeeringConnectionID.NotFound', `The vpcPeeringConnection ID '${id}' does not exist`);
      }
      if (!peeringRemoteEnd(ctx, pcx, vpcId)) throw differentNetworks(rt, 'network gateway', id);
      return { fields: { VpcPeeringConnectionId: id }, cls: 'gateway', id };
    }
    case 'TransitGatewayId': {
      const tgw = ctx.state.get<AnyRecord>('transit-gateway', id);
      // AWS answers NotFound as well when the transit gateway has no attachment in this VPC.
      if (!alive(tgw) || !transitGatewayAttached(ctx, id, vpcId)) {
        throw new ApiError('InvalidTransitGatewayID.NotFound', `Transit Gateway ${id} was deleted or does not exist.`);
      }
      return { fields: { TransitGatewayId: id }, cls: 'gateway', id };
    }
    case 'LocalGatewayId': {
      if (!alive(ctx.state.get<AnyRecord>('local-gateway', id))) {
        throw new ApiError('InvalidLocalGatewayID.NotFound', `The localGateway ID '${id}' does not exist`);
      }
      return { fields: { LocalGatewayId: id }, cls: 'gateway', id };
    }
    case 'CarrierGatewayId': {
      const cagw = ctx.state.get<AnyRecord>('carrier-gateway', id);
      if (!alive(cagw)) throw new ApiError('InvalidCarrierGatewayID.NotFound', `The carrierGateway ID '${id}' does not exist`);
      if (cagw!.VpcId && cagw!.VpcId !== vpcId) throw differentNetworks(rt, 'network gateway', id);
      return { fields: { CarrierGatewayId: id }, cls: 'gateway', id };
    }
    case 'CoreNetworkArn': {
      if (!alive(ctx.state.get<AnyRecord>('core-network', id))) {
        throw new ApiError('InvalidCoreNetworkArn.NotFound', `The core network arn '${id}' does not exist.`);
      }
      return { fields: { CoreNetworkArn: id }, cls: 'gateway', id };
    }
  }
}

/** Exactly one target (or, for ReplaceRoute, LocalTarget), resolved. */
function readTarget(
  ctx: RequestContext,
  rt: Readonly<RouteTableRecord>,
  input: TargetInput & { LocalTarget?: boolean },
  allowLocal: boolean,
): ResolvedTarget {
  const present = TARGET_PARAMS.filter(([p]) => given(input[p]));
  const local = allowLocal && input.LocalTarget === true;
  const count = present.length + (local ? 1 : 0);
  if (count !== 1) {
    const message = `The request must contain exactly one of ${TARGET_LIST}${allowLocal ? ', or must have localTarget set to true' : ''}`;
    throw new ApiError(count === 0 ? 'MissingParameter' : 'InvalidParameterCombination', message);
  }
  if (local) return { fields: { GatewayId: 'local' }, cls: 'local', id: 'local' };
  const [param] = present[0]!;
  return resolveTarget(ctx, rt, param, input[param]!);
}

const RESERVED_V4 = parseCidr('169.254.168.0/22')!;
const RESERVED_V6 = parseCidr('fd00:ec2::/32')!;

function blocksOf(ctx: RequestContext, vpcId: string): Cidr[] {
  return vpcBlocks(ctx.state.get<AnyRecord>('vpc', vpcId))
    .map((b) => parseCidr(b))
    .filter((c): c is Cidr => !!c);
}

function subnetBlocks(ctx: RequestContext, vpcId: string): Cidr[] {
  return ctx.state
    .list<AnyRecord>('subnet')
    .filter((s) => s.VpcId === vpcId)
    .flatMap((s) => [
      s.CidrBlock as string | undefined,
      ...(s.Ipv6CidrBlockAssociationSet ?? [])
        .filter((a: AnyRecord) => a.Ipv6CidrBlockState?.State !== 'disassociated')
        .map((a: AnyRecord) => a.Ipv6CidrBlock as string),
    ])
    .filter((c): c is string => !!c)
    .map((c) => parseCidr(c))
    .filter((c): c is Cidr => !!c);
}

function isGatewayTable(rt: Readonly<RouteTableRecord>): boolean {
  return (rt.Associations ?? []).some((a) => !!a.GatewayId);
}

/**
 * AWS's rules on what a destination may point at, given the table's VPC:
 * - nothing inside 169.254.168.0/22 or fd00:ec2::/32 (reserved for AWS services);
 * - a destination equal to or inside a VPC block (the local route, or a route more specific
 *   than it) may only target an interface, an instance, a NAT gateway or a Gateway Load
 *   Balancer endpoint, and when more specific it must be exactly a subnet's block;
 * - egress-only internet gateways carry IPv6 only, carrier gateways IPv4 only;
 * - a gateway route table (edge association) holds only routes to the VPC's own blocks or
 *   subnets, through an interface or a Gateway Load Balancer endpoint, and no prefix lists.
 */
function checkRouteRules(ctx: RequestContext, rt: Readonly<RouteTableRecord>, dest: Destination, target: ResolvedTarget): void {
  const cidr = dest.cidr;
  if (cidr && (contains(RESERVED_V4, cidr) || contains(RESERVED_V6, cidr))) {
    throw new ApiError(
      'InvalidParameterValue',
      `The destination CIDR block ${dest.text} is reserved. Routes to ${formatCidr(cidr.version === 4 ? RESERVED_V4 : RESERVED_V6)} or a part of it are not allowed.`,
    );
  }
  if (target.fields.EgressOnlyInternetGatewayId && dest.field !== 'DestinationIpv6CidrBlock') {
    throw new ApiError('InvalidParameterValue', `Egress-only internet gateway ${target.id} can only be the target of IPv6 routes.`);
  }
  if (target.fields.CarrierGatewayId && dest.field === 'DestinationIpv6CidrBlock') {
    throw new ApiError('InvalidParameterValue', `Carrier gateway ${target.id} can only be the target of IPv4 routes.`);
  }
  if (target.cls === 'local') return;
  const blocks = blocksOf(ctx, rt.VpcId);
  const gatewayTable = isGatewayTable(rt);
  if (gatewayTable) {
    if (!cidr) throw new ApiError('InvalidParameterValue', `A prefix list cannot be the destination of a route in gateway route table ${rt.RouteTableId}.`);
    if (!blocks.some((b) => contains(b, cidr))) {
      throw new ApiError(
        'InvalidParameterValue',
        `The destination CIDR block ${dest.text} is outside the CIDR blocks of the VPC. Routes in gateway route table ${rt.RouteTableId} can only have destinations inside the VPC.`,
      );
    }
    if ((target.cls !== 'interface' && target.cls !== 'gwlb-endpoint') || target.fields.InstanceId) {
      throw new ApiError(
        'InvalidParameterValue',
        `Route table ${rt.RouteTableId} is associated with a gateway; its routes can only target a network interface or a Gateway Load Balancer endpoint.`,
      );
    }
  }
  if (!cidr) return;
  const inside = blocks.find((b) => contains(b, cidr));
  if (!inside) return;
  if (target.cls !== 'interface' && target.cls !== 'nat' && target.cls !== 'gwlb-endpoint') {
    throw new ApiError(
      'InvalidParameterValue',
      `The destination CIDR block ${dest.text} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.`,
    );
  }
  if (cidr.prefix > inside.prefix) {
    const subnets = subnetBlocks(ctx, rt.VpcId);
    if (!subnets.some((s) => s.version === cidr.version && s.base === cidr.base && s.prefix === cidr.prefix)) {
      throw new ApiError(
        'InvalidParameterValue',
        `The destination CIDR block ${dest.text} is more specific than one of this VPC's CIDR blocks but does not match the CIDR block of a subnet in ${rt.VpcId}.`,
      );
    }
  }
}

/** Routes the quota counts: the ones users made (not local, not propagated), per address family. */
function routeWeight(ctx: RequestContext, r: RouteEntry): { family: 4 | 6; weight: number } {
  if (r.DestinationIpv6CidrBlock) return { family: 6, weight: 1 };
  if (r.DestinationPrefixListId) {
    const pl = prefixList(ctx, r.DestinationPrefixListId);
    const weight = Number(pl?.MaxEntries) > 0 ? Number(pl!.MaxEntries) : 1;
    return { family: pl?.AddressFamily === 'IPv6' ? 6 : 4, weight };
  }
  return { family: 4, weight: 1 };
}

function checkRouteQuota(ctx: RequestContext, rt: Readonly<RouteTableRecord>, route: RouteEntry): void {
  const quota = ctx.config.quotas.routesPerRouteTable;
  const mine = routeWeight(ctx, route);
  const used = (rt.Routes ?? [])
    .filter((r) => r.Origin === ORIGIN_USER)
    .map((r) => routeWeight(ctx, r))
    .filter((w) => w.family === mine.family)
    .reduce((sum, w) => sum + w.weight, 0);
  if (used + mine.weight > quota) {
    throw new ApiError('RouteLimitExceeded', `The maximum number of routes (${quota}) in route table '${rt.RouteTableId}' has been reached.`);
  }
}

function destinationFields(dest: Destination): Partial<RouteEntry> {
  return { [dest.field]: dest.text };
}

export function createRoute(ctx: RequestContext, input: CreateRouteRequest): CreateRouteResult {
  const rt = getTable(ctx, input.RouteTableId);
  const dest = readDestination(ctx, input);
  const target = readTarget(ctx, rt, input, false);
  checkRouteRules(ctx, rt, dest, target);
  if (findRoute(rt, dest) >= 0) {
    throw new ApiError('RouteAlreadyExists', `The route identified by ${dest.text} already exists.`);
  }
  const route: RouteEntry = { ...destinationFields(dest), ...target.fields, Origin: ORIGIN_USER };
  checkRouteQuota(ctx, rt, route);
  const rec = ctx.state.edit<RouteTableRecord>('route-table', rt.RouteTableId)!;
  rec.Routes = [...(rec.Routes ?? []), route];
  return { Return: true };
}

/**
 * The route a gateway VPC endpoint keeps in each of its tables (its service's prefix list to
 * the endpoint). AWS: it cannot be deleted or modified explicitly; the endpoint's route
 * tables are changed with ModifyVpcEndpoint instead.
 */
function endpointRoute(ctx: RequestContext, r: RouteEntry): string | undefined {
  if (!r.DestinationPrefixListId || !r.GatewayId?.startsWith('vpce-')) return undefined;
  const vpce = ctx.state.get<AnyRecord>('vpc-endpoint', r.GatewayId);
  return vpce?.VpcEndpointType === 'GatewayLoadBalancer' ? undefined : r.GatewayId;
}

function checkNotEndpointRoute(ctx: RequestContext, rt: Readonly<RouteTableRecord>, dest: Destination, r: RouteEntry): void {
  const vpce = endpointRoute(ctx, r);
  if (vpce) {
    throw new ApiError(
      'InvalidParameterValue',
      `The route identified by ${dest.text} in route table ${rt.RouteTableId} belongs to VPC endpoint ${vpce} and cannot be modified or deleted. Use ModifyVpcEndpoint to remove the route table from the endpoint.`,
    );
  }
}

export function replaceRoute(ctx: RequestContext, input: ReplaceRouteRequest): void {
  const rt = getTable(ctx, input.RouteTableId);
  const dest = readDestination(ctx, input);
  const index = findRoute(rt, dest);
  const target = readTarget(ctx, rt, input, true);
  if (index < 0) throw routeNotFound(rt, dest);
  const existing = rt.Routes![index]!;
  checkNotEndpointRoute(ctx, rt, dest, existing);
  if (target.cls === 'local' && !isLocal(existing)) {
    throw new ApiError(
      'InvalidParameterValue',
      `The route identified by ${dest.text} in route table ${rt.RouteTableId} is not a local route; only a local route can be restored to the local target.`,
    );
  }
  checkRouteRules(ctx, rt, dest, target);
  const rec = ctx.state.edit<RouteTableRecord>('route-table', rt.RouteTableId)!;
  // A replaced route keeps its destination and origin; its target is the new one alone.
  const origin = isLocal(existing) ? ORIGIN_LOCAL : ORIGIN_USER;
  rec.Routes![index] = { ...destinationFields(dest), ...target.fields, Origin: origin };
}

export function deleteRoute(ctx: RequestContext, input: DeleteRouteRequest): void {
  const rt = getTable(ctx, input.RouteTableId);
  const dest = readDestination(ctx, input);
  const index = findRoute(rt, dest);
  if (index < 0) throw routeNotFound(rt, dest);
  if (isLocal(rt.Routes![index]!)) {
    throw new ApiError('InvalidParameterValue', `cannot remove local route ${dest.text} in route table ${rt.RouteTableId}`);
  }
  checkNotEndpointRoute(ctx, rt, dest, rt.Routes![index]!);
  const rec = ctx.state.edit<RouteTableRecord>('route-table', rt.RouteTableId)!;
  rec.Routes = rec.Routes!.filter((_, i) => i !== index);
}

// ---------------------------------------------------------------------------------------
// Associations
// ---------------------------------------------------------------------------------------

function associated(): { State: 'associated' } {
  return { State: 'associated' };
}

function findAssociation(ctx: RequestContext, id: string | undefined): { table: Readonly<RouteTableRecord>; association: RouteTableAssociation } {
  if (!given(id)) throw new ApiError('MissingParameter', 'The request must contain the parameter associationId');
  for (const table of ctx.state.list<RouteTableRecord>('route-table')) {
    const association = table.Associations?.find((a) => a.RouteTableAssociationId === id);
    if (association) return { table, association };
  }
  throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
}

/** An internet gateway or virtual private gateway attached to the table's VPC. */
function edgeGateway(ctx: RequestContext, rt: Readonly<RouteTableRecord>, id: string): void {
  const rec = id.startsWith('igw-')
    ? ctx.state.get<AnyRecord>('internet-gateway', id)
    : id.startsWith('vgw-')
      ? ctx.state.get<AnyRecord>('vpn-gateway', id)
      : undefined;
  if (!rec || stateName(rec) === 'deleted') throw gatewayNotFound(id);
  const attachments = id.startsWith('igw-') ? rec.Attachments : rec.VpcAttachments;
  if (!attachedTo(attachments, rt.VpcId)) throw differentNetworks(rt, 'network gateway', id);
}

/**
 * A table can become a gateway route table only if all its routes could be in one: targets
 * local, an interface or a Gateway Load Balancer endpoint; destinations inside the VPC; no
 * prefix lists; no route propagation.
 */
function checkGatewayTableRoutes(ctx: RequestContext, rt: Readonly<RouteTableRecord>, gatewayId: string): void {
  const refuse = (why: string) =>
    new ApiError('InvalidParameterValue', `Route table ${rt.RouteTableId} cannot be associated with gateway ${gatewayId}: ${why}`);
  if ((rt.PropagatingVgws ?? []).length > 0) throw refuse('route propagation is enabled for the route table.');
  const blocks = blocksOf(ctx, rt.VpcId);
  for (const r of rt.Routes ?? []) {
    const key = routeKey(r);
    if (r.DestinationPrefixListId) throw refuse(`the route to prefix list ${key} is not supported in a gateway route table.`);
    const cidr = parseCidr(key);
    if (!cidr || !blocks.some((b) => contains(b, cidr))) throw refuse(`the route to ${key} is outside the CIDR blocks of the VPC.`);
    const targetOk =
      r.GatewayId === 'local' || (r.NetworkInterfaceId && !r.InstanceId) || (r.GatewayId?.startsWith('vpce-') ?? false);
    if (!targetOk) throw refuse(`the route to ${key} has a target that is not supported in a gateway route table.`);
  }
}

export function associateRouteTable(ctx: RequestContext, input: AssociateRouteTableRequest): AssociateRouteTableResult {
  const rt = getTable(ctx, input.RouteTableId);
  const hasSubnet = given(input.SubnetId);
  const hasGateway = given(input.GatewayId);
  if (!hasSubnet && !hasGateway) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter subnetId or gatewayId');
  }
  if (hasSubnet && hasGateway) {
    throw new ApiError('InvalidParameterCombination', 'The request must contain exactly one of subnetId or gatewayId');
  }
  const association: RouteTableAssociation = {
    Main: false,
    RouteTableAssociationId: newId('rtbassoc'),
    RouteTableId: rt.RouteTableId,
    AssociationState: associated(),
  };
  if (hasSubnet) {
    const subnet = requireRecord<AnyRecord>(ctx.state, 'subnet', input.SubnetId, 'subnetId');
    if (subnet.VpcId !== rt.VpcId) {
      throw new ApiError('InvalidParameterValue', `Route table ${rt.RouteTableId} and subnet ${subnet.SubnetId} belong to different networks.`);
    }
    const current = ctx.state.list<RouteTableRecord>('route-table').find((t) => t.Associations?.some((a) => a.SubnetId === subnet.SubnetId));
    if (current) {
      throw new ApiError('Resource.AlreadyAssociated', `resource ${subnet.SubnetId} is already associated with route table ${current.RouteTableId}`);
    }
    association.SubnetId = subnet.SubnetId;
  } else {
    const gatewayId = input.GatewayId!;
    edgeGateway(ctx, rt, gatewayId);
    const current = gatewayRouteTable(ctx, gatewayId);
    if (current) {
      throw new ApiError('Resource.AlreadyAssociated', `resource ${gatewayId} is already associated with route table ${current.RouteTableId}`);
    }
    checkGatewayTableRoutes(ctx, rt, gatewayId);
    association.GatewayId = gatewayId;
  }
  const rec = ctx.state.edit<RouteTableRecord>('route-table', rt.RouteTableId)!;
  rec.Associations = [...(rec.Associations ?? []), association];
  return { AssociationId: association.RouteTableAssociationId, AssociationState: associated() };
}

export function disassociateRouteTable(ctx: RequestContext, input: DisassociateRouteTableRequest): void {
  const { table, association } = findAssociation(ctx, input.AssociationId);
  if (association.Main) {
    throw new ApiError('InvalidParameterValue', `Cannot disassociate the main route table association ${association.RouteTableAssociationId}`);
  }
  const rec = ctx.state.edit<RouteTableRecord>('route-table', table.RouteTableId)!;
  rec.Associations = rec.Associations!.filter((a) => a.RouteTableAssociationId !== association.RouteTableAssociationId);
}

/**
 * Moves an association (a subnet's, a gateway's, or the VPC's main one) to another table of
 * the same VPC, under a new association ID. Replacing the main association makes the other
 * table the VPC's main route table.
 */
export function replaceRouteTableAssociation(
  ctx: RequestContext,
  input: ReplaceRouteTableAssociationRequest,
): ReplaceRouteTableAssociationResult {
  const { table, association } = findAssociation(ctx, input.AssociationId);
  const target = getTable(ctx, input.RouteTableId);
  if (target.VpcId !== table.VpcId) {
    const subject = association.SubnetId
      ? `subnet ${association.SubnetId}`
      : association.GatewayId
        ? `network gateway ${association.GatewayId}`
        : `vpc ${table.VpcId}`;
    throw new ApiError('InvalidParameterValue', `Route table ${target.RouteTableId} and ${subject} belong to different networks.`);
  }
  if (association.GatewayId) checkGatewayTableRoutes(ctx, target, association.GatewayId);
  const moved: RouteTableAssociation = {
    Main: association.Main ?? false,
    RouteTableAssociationId: newId('rtbassoc'),
    RouteTableId: target.RouteTableId,
    AssociationState: associated(),
  };
  if (association.SubnetId) moved.SubnetId = association.SubnetId;
  if (association.GatewayId) moved.GatewayId = association.GatewayId;
  const from = ctx.state.edit<RouteTableRecord>('route-table', table.RouteTableId)!;
  from.Associations = from.Associations!.filter((a) => a.RouteTableAssociationId !== association.RouteTableAssociationId);
  const to = ctx.state.edit<RouteTableRecord>('route-table', target.RouteTableId)!;
  to.Associations = moved.Main ? [moved, ...(to.Associations ?? [])] : [...(to.Associations ?? []), moved];
  return { NewAssociationId: moved.RouteTableAssociationId, AssociationState: associated() };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateRouteTable: createRouteTable,
  DeleteRouteTable: deleteRouteTable,
  DescribeRouteTables: describeRouteTables,
  CreateRoute: createRoute,
  ReplaceRoute: replaceRoute,
  DeleteRoute: deleteRoute,
  AssociateRouteTable: associateRouteTable,
  DisassociateRouteTable: disassociateRouteTable,
  ReplaceRouteTableAssociation: replaceRouteTableAssociation,
};
