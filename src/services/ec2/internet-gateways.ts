/**
 * Internet gateways (and egress-only internet gateways): create, attach, detach, delete.
 */
import type { InternetGateway } from '@aws-sdk/client-ec2';
import type { Handler, RequestContext } from '../context.js';
import { newId } from './resources.js';
import { mainRouteTable, type RouteTableRecord } from './route-tables.js';

export interface InternetGatewayRecord extends InternetGateway {
  InternetGatewayId: string;
}

/** Creates an IGW attached to the VPC; with defaultRoute, adds 0.0.0.0/0 → igw to the main table. */
export function attachNewInternetGateway(ctx: RequestContext, vpcId: string, opts: { defaultRoute: boolean }): InternetGatewayRecord {
  const igw: InternetGatewayRecord = {
    // AWS reports an attached IGW as "available" (not the model's "attached").
    Attachments: [{ State: 'available' as 'attached', VpcId: vpcId }],
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

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
