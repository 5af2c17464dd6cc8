/**
 * What the map shows for one VPC, derived from a region snapshot: subnets by availability
 * zone with their route table, ACL and public/private status (public: the subnet's route
 * table — explicit association, else the main table — has an active route to an internet
 * gateway), what lives in each subnet, the route tables, and the VPC's connections.
 */
import type { RegionSnapshot } from './api/aws.js';
import { arr, nameTag, type Rec, str } from './api/values.js';

export type ConnectionKind =
  | 'internet-gateway'
  | 'egress-only-internet-gateway'
  | 'vpn-gateway'
  | 'vpn-connection'
  | 'customer-gateway'
  | 'dx-gateway'
  | 'dx-virtual-interface'
  | 'vpc-peering-connection'
  | 'vpc-endpoint';

export interface Connection {
  id: string;
  kind: ConnectionKind;
  label: string;
  sub: string;
  state: string;
  rec: Rec;
  /** Connections this one hangs from (a VPN connection from its VPN gateway). */
  parent?: string;
}

export type MemberKind = 'instance' | 'network-interface' | 'nat-gateway' | 'vpc-endpoint';

export interface Member {
  id: string;
  kind: MemberKind;
  label: string;
  sub: string;
  state: string;
  rec: Rec;
  /** Interfaces of an instance or a NAT gateway, shown inside its chip. */
  interfaces: string[];
}

export interface SubnetView {
  id: string;
  rec: Rec;
  name?: string;
  cidr: string;
  ipv6?: string;
  az: string;
  isPublic: boolean;
  routeTableId?: string;
  routeTableExplicit: boolean;
  aclId?: string;
  members: Member[];
}

export interface VpcView {
  vpc: Rec;
  id: string;
  name?: string;
  cidrs: string[];
  azs: string[];
  subnets: SubnetView[];
  subnetsByAz: Map<string, SubnetView[]>;
  routeTables: Rec[];
  mainRouteTableId?: string;
  connections: Connection[];
  securityGroups: Rec[];
  networkAcls: Rec[];
  /** Every resource on this map by ID (for details and path highlighting). */
  index: Map<string, { kind: string; rec: Rec }>;
}

export function routeTarget(r: Rec): string {
  return (
    str(r.gatewayId) ||
    str(r.natGatewayId) ||
    str(r.egressOnlyInternetGatewayId) ||
    str(r.vpcPeeringConnectionId) ||
    str(r.transitGatewayId) ||
    str(r.networkInterfaceId) ||
    str(r.instanceId) ||
    str(r.localGatewayId) ||
    str(r.carrierGatewayId) ||
    str(r.coreNetworkArn) ||
    '-'
  );
}

export function routeDestination(r: Rec): string {
  return str(r.destinationCidrBlock) || str(r.destinationIpv6CidrBlock) || str(r.destinationPrefixListId) || '-';
}

export function routeTableOfSubnet(routeTables: Rec[], vpcId: string, subnetId: string): { rt?: Rec; explicit: boolean } {
  const inVpc = routeTables.filter((t) => t.vpcId === vpcId);
  const explicit = inVpc.find((t) => arr(t.associationSet).some((a) => a.subnetId === subnetId && str(a.associationState?.state || 'associated') === 'associated'));
  if (explicit) return { rt: explicit, explicit: true };
  return { rt: inVpc.find((t) => arr(t.associationSet).some((a) => a.main === 'true' || a.main === true)), explicit: false };
}

export function hasInternetRoute(rt: Rec | undefined): boolean {
  return arr(rt?.routeSet).some((r) => str(r.gatewayId).startsWith('igw-') && str(r.state) !== 'blackhole');
}

function azSortKey(az: string): string {
  return az;
}

export function buildVpcView(snap: RegionSnapshot, vpcId: string): VpcView | undefined {
  const vpc = snap.vpcs.find((v) => v.vpcId === vpcId);
  if (!vpc) return undefined;
  const index = new Map<string, { kind: string; rec: Rec }>();
  index.set(vpcId, { kind: 'vpc', rec: vpc });
  const routeTables = snap.routeTables.filter((t) => t.vpcId === vpcId);
  for (const t of routeTables) index.set(str(t.routeTableId), { kind: 'route-table', rec: t });
  const mainRouteTableId = str(routeTables.find((t) => arr(t.associationSet).some((a) => a.main === 'true'))?.routeTableId) || undefined;
  const networkAcls = snap.networkAcls.filter((a) => a.vpcId === vpcId);
  for (const a of networkAcls) index.set(str(a.networkAclId), { kind: 'network-acl', rec: a });
  const securityGroups = snap.securityGroups.filter((g) => g.vpcId === vpcId);
  for (const g of securityGroups) index.set(str(g.groupId), { kind: 'security-group', rec: g });

  const enisBySubnet = new Map<string, Rec[]>();
  for (const e of snap.networkInterfaces) {
    if (e.vpcId !== vpcId) continue;
    index.set(str(e.networkInterfaceId), { kind: 'network-interface', rec: e });
    const list = enisBySubnet.get(str(e.subnetId)) ?? [];
    list.push(e);
    enisBySubnet.set(str(e.subnetId), list);
  }
  const instancesBySubnet = new Map<string, Rec[]>();
  for (const i of snap.instances) {
    if (i.vpcId !== vpcId || str(i.instanceState?.name) === 'terminated') continue;
    index.set(str(i.instanceId), { kind: 'instance', rec: i });
    const list = instancesBySubnet.get(str(i.subnetId)) ?? [];
    list.push(i);
    instancesBySubnet.set(str(i.subnetId), list);
  }
  const natBySubnet = new Map<string, Rec[]>();
  for (const n of snap.natGateways) {
    if (n.vpcId !== vpcId || str(n.state) === 'deleted') continue;
    index.set(str(n.natGatewayId), { kind: 'nat-gateway', rec: n });
    const list = natBySubnet.get(str(n.subnetId)) ?? [];
    list.push(n);
    natBySubnet.set(str(n.subnetId), list);
  }
  const endpoints = snap.vpcEndpoints.filter((e) => e.vpcId === vpcId && str(e.state).toLowerCase() !== 'deleted');

  const subnets: SubnetView[] = snap.subnets
    .filter((s) => s.vpcId === vpcId)
    .map((s) => {
      const id = str(s.subnetId);
      index.set(id, { kind: 'subnet', rec: s });
      const { rt, explicit } = routeTableOfSubnet(snap.routeTables, vpcId, id);
      const acl = networkAcls.find((a) => arr(a.associationSet).some((x) => x.subnetId === id));
      const members: Member[] = [];
      const claimed = new Set<string>();
      for (const i of instancesBySubnet.get(id) ?? []) {
        const ifaces = arr(i.networkInterfaceSet).map((n) => str(n.networkInterfaceId));
        ifaces.forEach((x) => claimed.add(x));
        members.push({
          id: str(i.instanceId),
          kind: 'instance',
          label: nameTag(i) ?? str(i.instanceId),
          sub: [str(i.privateIpAddress), str(i.ipAddress)].filter(Boolean).join(' · '),
          state: str(i.instanceState?.name),
          rec: i,
          interfaces: ifaces,
        });
      }
      for (const n of natBySubnet.get(id) ?? []) {
        const ifaces = arr(n.natGatewayAddressSet).map((a) => str(a.networkInterfaceId)).filter(Boolean);
        ifaces.forEach((x) => claimed.add(x));
        const addr = arr(n.natGatewayAddressSet)[0];
        members.push({
          id: str(n.natGatewayId),
          kind: 'nat-gateway',
          label: nameTag(n) ?? str(n.natGatewayId),
          sub: `${str(n.connectivityType) || 'public'} NAT · ${[str(addr?.privateIp), str(addr?.publicIp)].filter(Boolean).join(' · ')}`,
          state: str(n.state),
          rec: n,
          interfaces: ifaces,
        });
      }
      for (const e of endpoints) {
        if (!arr<string>(e.subnetIdSet).includes(id)) continue;
        const ifaces = arr<string>(e.networkInterfaceIdSet).filter((x) => str(index.get(x)?.rec.subnetId) === id);
        ifaces.forEach((x) => claimed.add(x));
        members.push({
          id: str(e.vpcEndpointId),
          kind: 'vpc-endpoint',
          label: nameTag(e) ?? str(e.vpcEndpointId),
          sub: `${str(e.vpcEndpointType)} · ${str(e.serviceName).split('.').pop()}`,
          state: str(e.state),
          rec: e,
          interfaces: ifaces,
        });
      }
      for (const e of enisBySubnet.get(id) ?? []) {
        const eid = str(e.networkInterfaceId);
        if (claimed.has(eid)) continue;
        members.push({
          id: eid,
          kind: 'network-interface',
          label: nameTag(e) ?? eid,
          sub: [str(e.privateIpAddress), str(e.association?.publicIp)].filter(Boolean).join(' · ') + (e.interfaceType && e.interfaceType !== 'interface' ? ` · ${str(e.interfaceType)}` : ''),
          state: str(e.status),
          rec: e,
          interfaces: [eid],
        });
      }
      return {
        id,
        rec: s,
        name: nameTag(s),
        cidr: str(s.cidrBlock),
        ipv6: str(arr(s.ipv6CidrBlockAssociationSet)[0]?.ipv6CidrBlock) || undefined,
        az: str(s.availabilityZone),
        isPublic: hasInternetRoute(rt),
        routeTableId: str(rt?.routeTableId) || undefined,
        routeTableExplicit: explicit,
        aclId: str(acl?.networkAclId) || undefined,
        members,
      };
    });
  // Public subnets first in each zone, then by address.
  const ipKey = (cidr: string) =>
    cidr
      .split('/')[0]!
      .split('.')
      .map((p) => p.padStart(3, '0'))
      .join('.');
  subnets.sort((a, b) => Number(b.isPublic) - Number(a.isPublic) || ipKey(a.cidr).localeCompare(ipKey(b.cidr)));
  const azs = [...new Set(subnets.map((s) => s.az))].sort((a, b) => azSortKey(a).localeCompare(azSortKey(b)));
  const subnetsByAz = new Map<string, SubnetView[]>(azs.map((az) => [az, subnets.filter((s) => s.az === az)]));

  const connections: Connection[] = [];
  const add = (c: Connection) => {
    connections.push(c);
    index.set(c.id, { kind: c.kind, rec: c.rec });
  };
  for (const g of snap.internetGateways) {
    if (!arr(g.attachmentSet).some((a) => a.vpcId === vpcId)) continue;
    add({ id: str(g.internetGatewayId), kind: 'internet-gateway', label: nameTag(g) ?? str(g.internetGatewayId), sub: 'Internet gateway', state: str(arr(g.attachmentSet)[0]?.state), rec: g });
  }
  for (const g of snap.egressOnlyGateways) {
    if (!arr(g.attachmentSet).some((a) => a.vpcId === vpcId)) continue;
    add({
      id: str(g.egressOnlyInternetGatewayId),
      kind: 'egress-only-internet-gateway',
      label: nameTag(g) ?? str(g.egressOnlyInternetGatewayId),
      sub: 'Egress-only internet gateway (IPv6)',
      state: str(arr(g.attachmentSet)[0]?.state),
      rec: g,
    });
  }
  for (const e of endpoints) {
    add({
      id: str(e.vpcEndpointId),
      kind: 'vpc-endpoint',
      label: nameTag(e) ?? str(e.vpcEndpointId),
      sub: `${str(e.vpcEndpointType)} endpoint · ${str(e.serviceName)}`,
      state: str(e.state),
      rec: e,
    });
  }
  for (const p of snap.peerings) {
    const req = p.requesterVpcInfo ?? {};
    const acc = p.accepterVpcInfo ?? {};
    if (req.vpcId !== vpcId && acc.vpcId !== vpcId) continue;
    const status = str(p.status?.code);
    if (['deleted', 'rejected', 'expired', 'failed'].includes(status)) continue;
    const peer = req.vpcId === vpcId ? acc : req;
    add({
      id: str(p.vpcPeeringConnectionId),
      kind: 'vpc-peering-connection',
      label: nameTag(p) ?? str(p.vpcPeeringConnectionId),
      sub: `peer ${str(peer.vpcId)} ${str(peer.cidrBlock)} · ${str(peer.ownerId)} ${str(peer.region)}`,
      state: status,
      rec: p,
    });
  }
  const vgws = snap.vpnGateways.filter((g) => arr(g.attachments).some((a) => a.vpcId === vpcId && str(a.state) !== 'detached'));
  for (const g of vgws) {
    const gid = str(g.vpnGatewayId);
    add({ id: gid, kind: 'vpn-gateway', label: nameTag(g) ?? gid, sub: `Virtual private gateway · ASN ${str(g.amazonSideAsn)}`, state: str(g.state), rec: g });
    for (const c of snap.vpnConnections) {
      if (c.vpnGatewayId !== gid || str(c.state) === 'deleted') continue;
      const up = arr(c.vgwTelemetry).filter((t) => str(t.status) === 'UP').length;
      add({
        id: str(c.vpnConnectionId),
        kind: 'vpn-connection',
        label: nameTag(c) ?? str(c.vpnConnectionId),
        sub: `Site-to-Site VPN · ${up}/${arr(c.vgwTelemetry).length} tunnels up`,
        state: str(c.state),
        rec: c,
        parent: gid,
      });
      const cgw = snap.customerGateways.find((x) => x.customerGatewayId === c.customerGatewayId);
      if (cgw && !index.has(str(cgw.customerGatewayId))) {
        add({
          id: str(cgw.customerGatewayId),
          kind: 'customer-gateway',
          label: nameTag(cgw) ?? str(cgw.customerGatewayId),
          sub: `Customer gateway · ${str(cgw.ipAddress)} · ASN ${str(cgw.bgpAsn)}`,
          state: str(cgw.state),
          rec: cgw,
          parent: str(c.vpnConnectionId),
        });
      }
    }
    for (const v of snap.dxVirtualInterfaces) {
      if (v.virtualGatewayId !== gid) continue;
      add(dxVif(v, gid));
    }
    for (const a of snap.dxAssociations) {
      const assocGw = str(a.virtualGatewayId || a.associatedGateway?.id);
      if (assocGw !== gid || ['disassociated', 'disassociating'].includes(str(a.associationState))) continue;
      const dxgw = snap.dxGateways.find((d) => d.directConnectGatewayId === a.directConnectGatewayId);
      const dxId = str(a.directConnectGatewayId);
      if (!index.has(dxId)) {
        add({
          id: dxId,
          kind: 'dx-gateway',
          label: str(dxgw?.directConnectGatewayName) || dxId,
          sub: `Direct Connect gateway · ASN ${str(dxgw?.amazonSideAsn)}`,
          state: str(a.associationState),
          rec: dxgw ?? a,
          parent: gid,
        });
        for (const v of snap.dxVirtualInterfaces) if (v.directConnectGatewayId === dxId) add(dxVif(v, dxId));
      }
    }
  }
  return {
    vpc,
    id: vpcId,
    name: nameTag(vpc),
    cidrs: arr(vpc.cidrBlockAssociationSet)
      .filter((c) => str(c.cidrBlockState?.state) === 'associated' || !c.cidrBlockState)
      .map((c) => str(c.cidrBlock))
      .concat(arr(vpc.ipv6CidrBlockAssociationSet).map((c) => str(c.ipv6CidrBlock)))
      .filter(Boolean),
    azs,
    subnets,
    subnetsByAz,
    routeTables,
    mainRouteTableId,
    connections,
    securityGroups,
    networkAcls,
    index,
  };
}

function dxVif(v: Rec, parent: string): Connection {
  return {
    id: str(v.virtualInterfaceId),
    kind: 'dx-virtual-interface',
    label: str(v.virtualInterfaceName) || str(v.virtualInterfaceId),
    sub: `Direct Connect ${str(v.virtualInterfaceType)} VIF · VLAN ${str(v.vlan)} · ${str(v.connectionId)}`,
    state: str(v.virtualInterfaceState),
    rec: v,
    parent,
  };
}

/** Region-wide index: everything by ID, for resources outside the chosen VPC. */
export function regionIndex(snap: RegionSnapshot): Map<string, { kind: string; rec: Rec }> {
  const out = new Map<string, { kind: string; rec: Rec }>();
  const put = (list: Rec[], key: string, kind: string) => list.forEach((r) => out.set(str(r[key]), { kind, rec: r }));
  put(snap.vpcs, 'vpcId', 'vpc');
  put(snap.subnets, 'subnetId', 'subnet');
  put(snap.routeTables, 'routeTableId', 'route-table');
  put(snap.internetGateways, 'internetGatewayId', 'internet-gateway');
  put(snap.egressOnlyGateways, 'egressOnlyInternetGatewayId', 'egress-only-internet-gateway');
  put(snap.natGateways, 'natGatewayId', 'nat-gateway');
  put(snap.vpcEndpoints, 'vpcEndpointId', 'vpc-endpoint');
  put(snap.peerings, 'vpcPeeringConnectionId', 'vpc-peering-connection');
  put(snap.vpnGateways, 'vpnGatewayId', 'vpn-gateway');
  put(snap.vpnConnections, 'vpnConnectionId', 'vpn-connection');
  put(snap.customerGateways, 'customerGatewayId', 'customer-gateway');
  put(snap.networkInterfaces, 'networkInterfaceId', 'network-interface');
  put(snap.instances, 'instanceId', 'instance');
  put(snap.securityGroups, 'groupId', 'security-group');
  put(snap.networkAcls, 'networkAclId', 'network-acl');
  put(snap.dxGateways, 'directConnectGatewayId', 'dx-gateway');
  put(snap.dxVirtualInterfaces, 'virtualInterfaceId', 'dx-virtual-interface');
  put(snap.dxConnections, 'connectionId', 'dx-connection');
  put(snap.addresses, 'allocationId', 'elastic-ip');
  return out;
}
