/**
 * The EC2 provider: the official EC2 model, and the handlers vpcsim implements. Each
 * resource family's module exports the `handlers` it serves; this file only gathers them.
 */
import { loadModel } from '../../protocol/model.js';
import type { Handler, RequestContext, ServiceProvider } from '../context.js';
import * as addresses from './addresses.js';
import * as defaultVpc from './default-vpc.js';
import * as dhcpOptions from './dhcp-options.js';
import * as egressOnlyInternetGateways from './egress-only-internet-gateways.js';
import * as images from './images.js';
import * as instances from './instances.js';
import * as internetGateways from './internet-gateways.js';
import * as networkAcls from './network-acls.js';
import * as natGateways from './nat-gateways.js';
import * as networkInterfaces from './network-interfaces.js';
import * as regions from './regions.js';
import * as routeTables from './route-tables.js';
import * as securityGroups from './security-groups.js';
import * as subnets from './subnets.js';
import * as tags from './tags.js';
import * as vpcs from './vpcs.js';
import * as customerGateways from './customer-gateways.js';
import * as vpnConnections from './vpn-connections.js';
import * as vpnGateways from './vpn-gateways.js';
import * as vpcPeering from './vpc-peering.js';
import * as vpcEndpoints from './vpc-endpoints.js';
import * as prefixLists from './prefix-lists.js';
import * as flowLogs from './flow-logs.js';
import * as networkInsights from './network-insights.js';
import * as networkAccessScopes from './network-access-scopes.js';

const families: Array<{ handlers: Record<string, Handler> }> = [
  vpcs,
  vpcPeering,
  vpcEndpoints,
  prefixLists,
  defaultVpc,
  subnets,
  routeTables,
  internetGateways,
  egressOnlyInternetGateways,
  addresses,
  dhcpOptions,
  networkAcls,
  securityGroups,
  networkInterfaces,
  natGateways,
  instances,
  images,
  tags,
  regions,
  customerGateways,
  vpnGateways,
  vpnConnections,
  networkInsights,
  networkAccessScopes,
  flowLogs,
];

export function ec2Handlers(): Record<string, Handler> {
  const all: Record<string, Handler> = {};
  for (const f of families) {
    for (const [op, h] of Object.entries(f.handlers)) {
      if (all[op]) throw new Error(`EC2 operation ${op} is served by two modules`);
      all[op] = h;
    }
  }
  return all;
}

export function ec2Provider(): ServiceProvider {
  return {
    name: 'ec2',
    model: loadModel('ec2-2016-11-15'),
    protocol: 'ec2',
    handlers: ec2Handlers(),
    initScope: (ctx: RequestContext) => {
      dhcpOptions.defaultDhcpOptionsId(ctx);
      defaultVpc.buildDefaultVpc(ctx);
    },
  };
}
