/**
 * Route tables: the main table of each VPC, routes and associations.
 */
import type { RouteTable } from '@aws-sdk/client-ec2';
import type { Handler, RequestContext } from '../context.js';
import { newId } from './resources.js';

export interface RouteTableRecord extends RouteTable {
  RouteTableId: string;
  VpcId: string;
}

function isIpv6(cidr: string): boolean {
  return cidr.includes(':');
}

function localRoute(cidr: string): NonNullable<RouteTable['Routes']>[number] {
  return isIpv6(cidr)
    ? { DestinationIpv6CidrBlock: cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }
    : { DestinationCidrBlock: cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' };
}

export function vpcRouteTables(ctx: RequestContext, vpcId: string): Readonly<RouteTableRecord>[] {
  return ctx.state.list<RouteTableRecord>('route-table').filter((r) => r.VpcId === vpcId);
}

export function mainRouteTable(ctx: RequestContext, vpcId: string): Readonly<RouteTableRecord> | undefined {
  return vpcRouteTables(ctx, vpcId).find((r) => r.Associations?.some((a) => a.Main));
}

/** A new VPC's main route table, with a `local` route for each of its blocks. */
export function createMainRouteTable(
  ctx: RequestContext,
  vpc: { VpcId: string; CidrBlock: string; Ipv6CidrBlockAssociationSet?: Array<{ Ipv6CidrBlock?: string }> },
): RouteTableRecord {
  const id = newId('rtb');
  const cidrs = [vpc.CidrBlock, ...(vpc.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock!)];
  const rt: RouteTableRecord = {
    Associations: [
      { Main: true, RouteTableAssociationId: newId('rtbassoc'), RouteTableId: id, AssociationState: { State: 'associated' } },
    ],
    PropagatingVgws: [],
    RouteTableId: id,
    Routes: cidrs.map(localRoute),
    VpcId: vpc.VpcId,
    OwnerId: ctx.account,
  };
  return ctx.state.put('route-table', id, rt);
}

/** Adds the `local` route for a newly associated VPC block to every table of the VPC. */
export function addLocalRoutes(ctx: RequestContext, vpcId: string, cidr: string): void {
  for (const t of vpcRouteTables(ctx, vpcId)) {
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.Routes = [...(rt.Routes ?? []), localRoute(cidr)];
  }
}

export function removeLocalRoutes(ctx: RequestContext, vpcId: string, cidr: string): void {
  for (const t of vpcRouteTables(ctx, vpcId)) {
    const rt = ctx.state.edit<RouteTableRecord>('route-table', t.RouteTableId)!;
    rt.Routes = (rt.Routes ?? []).filter(
      (r) => !(r.GatewayId === 'local' && (r.DestinationCidrBlock === cidr || r.DestinationIpv6CidrBlock === cidr)),
    );
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

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
