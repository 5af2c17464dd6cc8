/**
 * The bridge from vpcsim's state to the network engine: reads every account and region
 * (and the global peering registry) in one transaction and builds the vendor-independent
 * NetworkModel (network/model.ts). Derived states (route states, propagated VPN routes,
 * instance and NAT gateway states, peering status) are taken as the families compute them,
 * at one instant.
 */
import type { NetworkAclEntry, Route } from '@aws-sdk/client-ec2';
import type { Config } from '../../config.js';
import {
  type AclEntryModel,
  emptyModel,
  type NetworkModel,
  type PeeringEndModel,
  type RouteModel,
  type RouteTargetModel,
  type SecurityGroupRuleModel,
} from '../../network/model.js';
import { ScopedState, type Store } from '../../state/store.js';
import type { RequestContext } from '../context.js';
import { instanceStateName, type InstanceRecord } from './instances.js';
import { natGatewayState, type NatGatewayRecord } from './nat-gateways.js';
import type { EniRecord } from './network-interfaces.js';
import type { NetworkAclRecord } from './network-acls.js';
import { awsManagedPrefixLists, prefixListCidrs } from './prefix-lists.js';
import { routeTableView, type RouteTableRecord } from './route-tables.js';
import type { SecurityGroupRecord, SecurityGroupRuleRecord } from './security-groups.js';
import type { SubnetRecord } from './subnets.js';
import type { VpcEndpointRecord } from './vpc-endpoints.js';
import { PEERING_KIND, type PeeringEnd, type PeeringRecord, peeringStatus } from './vpc-peering.js';
import { vpcIpv4Cidrs, vpcIpv6Cidrs, type VpcRecord } from './vpcs.js';
import type { VpnConnectionRecord } from './vpn-connections.js';
import type { VpnGatewayRecord } from './vpn-gateways.js';

const GLOBAL_SCOPE = 'global/global';

interface Attachable {
  Attachments?: Array<{ VpcId?: string; State?: string }>;
}

interface InternetGatewayLike extends Attachable {
  InternetGatewayId: string;
}

interface EgressOnlyGatewayLike extends Attachable {
  EgressOnlyInternetGatewayId: string;
}

interface AclAssociationLike {
  NetworkAclId: string;
  SubnetId: string;
}

function attachedVpc(g: Attachable): string | undefined {
  return g.Attachments?.find((a) => a.State === 'available' || a.State === 'attached')?.VpcId;
}

function routeTarget(r: Route): RouteTargetModel {
  const gw = r.GatewayId;
  if (gw === 'local') return { kind: 'local', id: 'local' };
  if (gw?.startsWith('igw-')) return { kind: 'igw', id: gw };
  if (gw?.startsWith('vgw-')) return { kind: 'vgw', id: gw };
  if (gw?.startsWith('vpce-')) return { kind: 'vpce', id: gw };
  if (r.EgressOnlyInternetGatewayId) return { kind: 'eigw', id: r.EgressOnlyInternetGatewayId };
  if (r.NatGatewayId) return { kind: 'nat', id: r.NatGatewayId };
  if (r.NetworkInterfaceId) return { kind: 'eni', id: r.NetworkInterfaceId };
  if (r.InstanceId) return { kind: 'instance', id: r.InstanceId };
  if (r.VpcPeeringConnectionId) return { kind: 'pcx', id: r.VpcPeeringConnectionId };
  if (r.TransitGatewayId) return { kind: 'tgw', id: r.TransitGatewayId };
  const other = gw ?? r.LocalGatewayId ?? r.CarrierGatewayId ?? r.CoreNetworkArn ?? 'unknown';
  return { kind: 'other', id: other };
}

function aclEntry(e: NetworkAclEntry): AclEntryModel {
  const out: AclEntryModel = {
    ruleNumber: e.RuleNumber ?? 0,
    action: e.RuleAction === 'allow' ? 'allow' : 'deny',
    protocol: e.Protocol ?? '-1',
  };
  if (e.CidrBlock) out.cidr = e.CidrBlock;
  if (e.Ipv6CidrBlock) out.ipv6Cidr = e.Ipv6CidrBlock;
  if (e.PortRange) {
    out.fromPort = e.PortRange.From;
    out.toPort = e.PortRange.To;
  }
  if (e.IcmpTypeCode) {
    out.icmpType = e.IcmpTypeCode.Type;
    out.icmpCode = e.IcmpTypeCode.Code;
  }
  return out;
}

export interface SnapshotOptions {
  /** The instant the state is read at (derived states depend on it); default now. */
  now?: Date;
}

/** Builds the network model of everything the store holds, every account and region. */
export function buildNetworkModel(app: { store: Store; config: Config }, opts: SnapshotOptions = {}): NetworkModel {
  const now = opts.now ?? new Date();
  const model = emptyModel();
  const tx = app.store.begin();
  try {
    const scopes = app.store.scopeNames().filter((s) => s !== GLOBAL_SCOPE && s.includes('/'));
    const regions = new Set<string>();
    for (const scope of scopes) {
      const slash = scope.indexOf('/');
      const account = scope.slice(0, slash);
      const region = scope.slice(slash + 1);
      const ctx: RequestContext = {
        account,
        region,
        requestId: 'snapshot',
        state: new ScopedState(tx, scope),
        config: app.config,
        now,
        caller: { accessKeyId: '', account, region },
      };
      if (ctx.state.list('vpc').length === 0) continue;
      regions.add(region);
      readScope(ctx, model);
    }
    readPeerings(new ScopedState(tx, GLOBAL_SCOPE), tx, now, model);
    for (const region of regions) {
      for (const l of awsManagedPrefixLists(region)) {
        model.awsServices.push({ service: l.service, region, prefixListId: l.PrefixListId, cidrs: l.cidrs.slice() });
      }
    }
  } finally {
    tx.rollback();
  }
  return model;
}

function readScope(ctx: RequestContext, model: NetworkModel): void {
  const { account, region, now } = ctx;
  const state = ctx.state;

  for (const v of state.list<VpcRecord>('vpc')) {
    model.vpcs.push({
      id: v.VpcId,
      account,
      region,
      cidrs: vpcIpv4Cidrs(v).map((c) => `${formatBase(c.base)}/${c.prefix}`),
      ipv6Cidrs: vpcIpv6Cidrs(v),
    });
  }

  // Route tables (route states and propagated routes as DescribeRouteTables shows them).
  const explicit = new Map<string, string>();
  for (const t of state.list<RouteTableRecord>('route-table')) {
    const view = routeTableView(ctx, t);
    const routes: RouteModel[] = [];
    for (const r of view.Routes ?? []) {
      const route: RouteModel = { target: routeTarget(r), state: r.State === 'active' ? 'active' : 'blackhole' };
      if (r.Origin) route.origin = r.Origin;
      if (r.DestinationCidrBlock) route.destination = r.DestinationCidrBlock;
      else if (r.DestinationIpv6CidrBlock) route.destination = r.DestinationIpv6CidrBlock;
      else if (r.DestinationPrefixListId) {
        route.prefixListId = r.DestinationPrefixListId;
        route.prefixListCidrs = prefixListCidrs(ctx, r.DestinationPrefixListId) ?? [];
      } else continue;
      if (route.target.kind === 'instance' && r.NetworkInterfaceId) route.target.interfaceId = r.NetworkInterfaceId;
      routes.push(route);
    }
    const gatewayIds: string[] = [];
    let main = false;
    for (const a of view.Associations ?? []) {
      if (a.Main) main = true;
      if (a.SubnetId) explicit.set(a.SubnetId, t.RouteTableId);
      if (a.GatewayId) gatewayIds.push(a.GatewayId);
    }
    model.routeTables.push({ id: t.RouteTableId, vpcId: t.VpcId, main, routes, gatewayIds });
  }

  // Network ACLs and their subnet associations.
  for (const a of state.list<NetworkAclRecord>('network-acl')) {
    const entries = a.Entries ?? [];
    const byNumber = (x: AclEntryModel, y: AclEntryModel) => x.ruleNumber - y.ruleNumber;
    model.networkAcls.push({
      id: a.NetworkAclId,
      vpcId: a.VpcId,
      isDefault: !!a.IsDefault,
      ingress: entries.filter((e) => !e.Egress).map(aclEntry).sort(byNumber),
      egress: entries.filter((e) => e.Egress).map(aclEntry).sort(byNumber),
    });
  }
  const aclOf = new Map<string, string>();
  for (const a of state.list<AclAssociationLike>('network-acl-association')) aclOf.set(a.SubnetId, a.NetworkAclId);

  for (const s of state.list<SubnetRecord>('subnet')) {
    model.subnets.push({
      id: s.SubnetId,
      vpcId: s.VpcId,
      cidr: s.CidrBlock,
      ipv6Cidr: s.Ipv6CidrBlockAssociationSet?.find((x) => x.Ipv6CidrBlockState?.State === 'associated')?.Ipv6CidrBlock,
      availabilityZone: s.AvailabilityZone ?? '',
      routeTableId: explicit.get(s.SubnetId),
      networkAclId: aclOf.get(s.SubnetId),
    });
  }

  // Security groups and their rules.
  const rulesOf = new Map<string, Readonly<SecurityGroupRuleRecord>[]>();
  for (const r of state.list<SecurityGroupRuleRecord>('security-group-rule')) {
    const list = rulesOf.get(r.GroupId);
    if (list) list.push(r);
    else rulesOf.set(r.GroupId, [r]);
  }
  const ruleModel = (r: Readonly<SecurityGroupRuleRecord>): SecurityGroupRuleModel => {
    const out: SecurityGroupRuleModel = { id: r.SecurityGroupRuleId, protocol: r.IpProtocol, fromPort: r.FromPort, toPort: r.ToPort };
    if (r.CidrIpv4) out.cidr = r.CidrIpv4;
    if (r.CidrIpv6) out.ipv6Cidr = r.CidrIpv6;
    if (r.PrefixListId) {
      out.prefixListId = r.PrefixListId;
      out.prefixListCidrs = prefixListCidrs(ctx, r.PrefixListId) ?? [];
    }
    if (r.ReferencedGroupInfo?.GroupId) {
      out.groupId = r.ReferencedGroupInfo.GroupId;
      if (r.ReferencedGroupInfo.UserId) out.groupAccount = r.ReferencedGroupInfo.UserId;
      if (r.ReferencedGroupInfo.VpcId) out.groupVpcId = r.ReferencedGroupInfo.VpcId;
    }
    if (r.Description) out.description = r.Description;
    return out;
  };
  for (const g of state.list<SecurityGroupRecord>('security-group')) {
    const rules = rulesOf.get(g.GroupId) ?? [];
    model.securityGroups.push({
      id: g.GroupId,
      name: g.GroupName,
      vpcId: g.VpcId,
      account,
      region,
      ingress: rules.filter((r) => !r.IsEgress).map(ruleModel),
      egress: rules.filter((r) => r.IsEgress).map(ruleModel),
    });
  }

  // NAT gateways and endpoints own interfaces.
  const natOfEni = new Map<string, string>();
  for (const n of state.list<NatGatewayRecord>('nat-gateway')) {
    const primary = n.NatGatewayAddresses.find((a) => a.IsPrimary);
    if (n._eniId) natOfEni.set(n._eniId, n.NatGatewayId);
    model.natGateways.push({
      id: n.NatGatewayId,
      vpcId: n.VpcId,
      subnetId: n.SubnetId,
      connectivity: n.ConnectivityType,
      state: natGatewayState(n, now) ?? n.State,
      interfaceId: n._eniId,
      privateIp: primary?.PrivateIp,
      publicIp: primary?.PublicIp,
    });
  }
  const endpointOfEni = new Map<string, string>();
  for (const e of state.list<VpcEndpointRecord>('vpc-endpoint')) {
    for (const id of e.NetworkInterfaceIds ?? []) endpointOfEni.set(id, e.VpcEndpointId);
    const service = e.ServiceName.split('.').pop() ?? '';
    const managed = e.VpcEndpointType === 'Gateway' ? awsManagedPrefixLists(region).find((l) => l.service === service) : undefined;
    const pending =
      e.VpcEndpointType === 'Interface' && e.State !== 'deleted' && now.getTime() - Date.parse(e.CreationTimestamp) < ctx.config.stateTransitionMs;
    model.vpcEndpoints.push({
      id: e.VpcEndpointId,
      vpcId: e.VpcId,
      type: e.VpcEndpointType,
      serviceName: e.ServiceName,
      state: pending ? 'pending' : e.State,
      routeTableIds: e.RouteTableIds.slice(),
      prefixListId: managed?.PrefixListId,
      prefixListCidrs: managed?.cidrs.slice(),
      interfaceIds: (e.NetworkInterfaceIds ?? []).slice(),
    });
  }

  // Interfaces and instances.
  const byInstance = new Map<string, Array<{ id: string; index: number }>>();
  for (const e of state.list<EniRecord>('network-interface')) {
    const privateIps: string[] = [];
    const publicIps: Record<string, string> = {};
    const sorted = [...e.PrivateIpAddresses].sort((a, b) => Number(!!b.Primary) - Number(!!a.Primary));
    for (const p of sorted) {
      if (!p.PrivateIpAddress) continue;
      privateIps.push(p.PrivateIpAddress);
      if (p.Association?.PublicIp) publicIps[p.PrivateIpAddress] = p.Association.PublicIp;
    }
    if (privateIps.length === 0 && e.PrivateIpAddress) privateIps.push(e.PrivateIpAddress);
    if (e.Association?.PublicIp && privateIps[0] && !publicIps[privateIps[0]]) publicIps[privateIps[0]] = e.Association.PublicIp;
    const instanceId = e.Attachment?.InstanceId;
    if (instanceId) {
      const list = byInstance.get(instanceId) ?? [];
      list.push({ id: e.NetworkInterfaceId, index: e.Attachment?.DeviceIndex ?? 0 });
      byInstance.set(instanceId, list);
    }
    model.interfaces.push({
      id: e.NetworkInterfaceId,
      account,
      region,
      vpcId: e.VpcId,
      subnetId: e.SubnetId,
      availabilityZone: e.AvailabilityZone,
      privateIps,
      publicIps,
      ipv6Addresses: (e.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!).filter(Boolean),
      groupIds: (e.Groups ?? []).map((g) => g.GroupId!).filter(Boolean),
      sourceDestCheck: e.SourceDestCheck !== false,
      type: e.InterfaceType ?? 'interface',
      attached: e.Status === 'in-use' || e.Attachment?.Status === 'attached',
      instanceId,
      natGatewayId: natOfEni.get(e.NetworkInterfaceId),
      vpcEndpointId: endpointOfEni.get(e.NetworkInterfaceId),
      description: e.Description,
    });
  }
  for (const i of state.list<InstanceRecord>('instance')) {
    model.instances.push({
      id: i.InstanceId,
      account,
      region,
      state: instanceStateName(i, now),
      vpcId: i.VpcId,
      subnetId: i.SubnetId,
      interfaceIds: (byInstance.get(i.InstanceId) ?? []).sort((a, b) => a.index - b.index).map((x) => x.id),
    });
  }

  // Gateways.
  for (const g of state.list<InternetGatewayLike>('internet-gateway')) {
    model.internetGateways.push({ id: g.InternetGatewayId, account, region, vpcId: attachedVpc(g) });
  }
  for (const g of state.list<EgressOnlyGatewayLike>('egress-only-internet-gateway')) {
    model.egressOnlyInternetGateways.push({ id: g.EgressOnlyInternetGatewayId, vpcId: attachedVpc(g) });
  }
  for (const g of state.list<VpnGatewayRecord>('vpn-gateway')) {
    if (g.State === 'deleted') continue;
    const vpcId = g.VpcAttachments?.find((a) => a.State === 'attached')?.VpcId;
    model.vpnGateways.push({ id: g.VpnGatewayId!, account, region, vpcId, state: g.State ?? 'available' });
  }
  for (const c of state.list<VpnConnectionRecord>('vpn-connection')) {
    if (c.State === 'deleted' || !c.VpnGatewayId) continue;
    model.vpnConnections.push({
      id: c.VpnConnectionId,
      vpnGatewayId: c.VpnGatewayId,
      customerGatewayId: c.CustomerGatewayId,
      state: c.State ?? 'available',
      staticRoutesOnly: !!c.Options?.StaticRoutesOnly,
      tunnels: (c.VgwTelemetry ?? []).map((t) => ({ outsideIp: t.OutsideIpAddress ?? '', status: t.Status === 'UP' ? 'UP' : 'DOWN' })),
      onPremisesCidrs: (c.Routes ?? []).filter((r) => r.State === 'available' && r.DestinationCidrBlock).map((r) => r.DestinationCidrBlock!),
    });
  }
}

function formatBase(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Peering connections live once, in the global registry; each end's blocks are read from its VPC. */
function readPeerings(registry: ScopedState, tx: ScopedState['tx'], now: Date, model: NetworkModel): void {
  const end = (e: PeeringEnd, snap: { CidrBlock?: string; CidrBlockSet?: Array<{ CidrBlock?: string }>; Ipv6CidrBlockSet?: Array<{ Ipv6CidrBlock?: string }> } | undefined): PeeringEndModel => {
    const vpc = new ScopedState(tx, `${e.account}/${e.region}`).get<VpcRecord>('vpc', e.vpcId);
    if (vpc) {
      return {
        account: e.account,
        region: e.region,
        vpcId: e.vpcId,
        cidrs: vpcIpv4Cidrs(vpc).map((c) => `${formatBase(c.base)}/${c.prefix}`),
        ipv6Cidrs: vpcIpv6Cidrs(vpc),
      };
    }
    const cidrs = (snap?.CidrBlockSet ?? []).map((c) => c.CidrBlock!).filter(Boolean);
    if (cidrs.length === 0 && snap?.CidrBlock) cidrs.push(snap.CidrBlock);
    return {
      account: e.account,
      region: e.region,
      vpcId: e.vpcId,
      cidrs,
      ipv6Cidrs: (snap?.Ipv6CidrBlockSet ?? []).map((c) => c.Ipv6CidrBlock!).filter(Boolean),
    };
  };
  for (const p of registry.list<PeeringRecord>(PEERING_KIND)) {
    model.peeringConnections.push({
      id: p.VpcPeeringConnectionId,
      status: peeringStatus(p, now).Code,
      requester: end(p._requester, p._cidrs.requester),
      accepter: end(p._accepter, p._cidrs.accepter),
    });
  }
}
