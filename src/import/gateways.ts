/**
 * NAT gateways, VPC peering connections (one record in global/global, a small local record
 * in each side's scope), VPC endpoints (gateway endpoints' routes), site-to-site VPN
 * (virtual private gateways, customer gateways, connections) and customer-managed prefix lists.
 */
import { formatCidr, parseCidr } from '../network/cidr.js';
import { awsManagedPrefixListFor, type AwsManagedService } from '../services/ec2/prefix-lists.js';
import { privateDnsName } from '../services/ec2/network-interfaces.js';
import { Check, clean, idPattern, type Json, type ScopeImport } from './context.js';
import { registerPublicIp } from './interfaces.js';

// ---------------------------------------------------------------------------------------
// NAT gateways

const NAT_REQUESTER_ID = '036872051663';

export function importNatGateways(s: ScopeImport): void {
  for (const { file, item, index } of s.items('NatGateways')) {
    const c = new Check(file, item?.NatGatewayId ?? `item ${index}`);
    const id = c.str(item, 'NatGatewayId', { pattern: idPattern('nat') });
    const subnetId = c.str(item, 'SubnetId', { pattern: idPattern('subnet') });
    const shown = c.str(item, 'State', { pattern: /^(pending|available|failed|deleting|deleted)$/ });
    const state = shown === 'pending' ? 'available' : shown === 'deleting' ? 'deleted' : shown;
    const live = state === 'available';
    const subnet = s.state.get<Json>('subnet', subnetId);
    if (live && !subnet) c.fail(`its subnet ${subnetId} is not in the export (describe-subnets)`);
    const addresses = c.list(item, 'NatGatewayAddresses').map((a: Json, i: number) => {
      const out: Json = { IsPrimary: a.IsPrimary ?? i === 0, Status: a.Status === 'failed' ? 'failed' : 'succeeded' };
      for (const k of ['AllocationId', 'NetworkInterfaceId', 'PrivateIp', 'PublicIp', 'AssociationId', 'FailureMessage']) if (typeof a[k] === 'string') out[k] = a[k];
      return out;
    });
    const primary = addresses.find((a: Json) => a.IsPrimary);
    const record: Json = {
      NatGatewayId: id,
      SubnetId: subnetId,
      VpcId: c.str(item, 'VpcId', { pattern: idPattern('vpc') }),
      ConnectivityType: item.ConnectivityType === 'private' ? 'private' : 'public',
      State: state,
      CreateTime: c.time(item, 'CreateTime', s.run.now),
      NatGatewayAddresses: addresses,
      Tags: c.tags(item),
      _zone: subnet?.AvailabilityZone ?? '',
    };
    if (item.DeleteTime) record.DeleteTime = c.time(item, 'DeleteTime');
    if (state === 'failed') {
      record.FailureCode = item.FailureCode;
      record.FailureMessage = item.FailureMessage;
    }
    // Shown for an hour from the import, as AWS shows it for an hour from the export.
    if (!live) record._settledAt = s.run.now.toISOString();
    if (live) {
      if (!primary?.NetworkInterfaceId || !primary.PrivateIp) c.fail('an available NAT gateway needs its primary address (NetworkInterfaceId, PrivateIp)');
      record._eniId = primary.NetworkInterfaceId;
      // Older CLIs do not print an address's AssociationId: the interface has it.
      const eni = s.state.get<Json>('network-interface', primary.NetworkInterfaceId);
      for (const a of addresses) {
        if (a.AssociationId || !a.PublicIp || !eni) continue;
        const held = (eni.PrivateIpAddresses ?? []).find((p: Json) => p.PrivateIpAddress === a.PrivateIp)?.Association;
        if (held?.PublicIp === a.PublicIp && held.AssociationId) a.AssociationId = held.AssociationId;
      }
      if (!s.state.get('network-interface', primary.NetworkInterfaceId)) {
        // The gateway's interface, as AWS describes it, when describe-network-interfaces is not in the export.
        const private_ = addresses.filter((a: Json) => a.PrivateIp);
        const assocOf = (a: Json) =>
          a.PublicIp ? { AllocationId: a.AllocationId, AssociationId: a.AssociationId, IpOwnerId: s.account, PublicIp: a.PublicIp, PublicDnsName: '' } : undefined;
        const eni = {
          AvailabilityZone: subnet!.AvailabilityZone,
          Description: `Interface for NAT Gateway ${id}`,
          Groups: [],
          InterfaceType: 'nat_gateway',
          Ipv6Addresses: [],
          MacAddress: '02:00:00:00:00:00',
          NetworkInterfaceId: primary.NetworkInterfaceId,
          OwnerId: s.account,
          PrivateDnsName: privateDnsName(s.region, primary.PrivateIp),
          PrivateIpAddress: primary.PrivateIp,
          PrivateIpAddresses: private_.map((a: Json) =>
            clean({ Primary: a.IsPrimary, PrivateIpAddress: a.PrivateIp, PrivateDnsName: privateDnsName(s.region, a.PrivateIp), Association: assocOf(a) }),
          ),
          RequesterId: NAT_REQUESTER_ID,
          RequesterManaged: true,
          SourceDestCheck: false,
          Status: 'in-use',
          SubnetId: subnetId,
          VpcId: record.VpcId,
          Ipv6Native: false,
          Association: assocOf(primary),
        };
        for (const a of addresses) registerPublicIp(s, c, a.PublicIp);
        s.put('network-interface', eni.NetworkInterfaceId, clean(eni));
      }
    }
    s.put('nat-gateway', id, clean(record));
  }
}

// ---------------------------------------------------------------------------------------
// VPC peering

const PEERING = 'vpc-peering-connection';
const STATUS: Record<string, string> = {
  'initiating-request': 'pending-acceptance',
  'pending-acceptance': 'pending-acceptance',
  provisioning: 'active',
  active: 'active',
  deleting: 'deleted',
  deleted: 'deleted',
  rejected: 'rejected',
  failed: 'failed',
  expired: 'pending-acceptance',
};

function side(c: Check, info: Json, name: string, region: string): { end: Json; cidrs: Json; options: Json } {
  if (!info || typeof info !== 'object') c.fail(`${name} is missing`);
  const vpcId = c.str(info, 'VpcId', { pattern: idPattern('vpc') });
  const account = c.str(info, 'OwnerId', { pattern: /^\d{12}$/ });
  const cidrs: Json = {};
  if (info.CidrBlock) cidrs.CidrBlock = info.CidrBlock;
  if (Array.isArray(info.CidrBlockSet)) cidrs.CidrBlockSet = info.CidrBlockSet.map((x: Json) => ({ CidrBlock: x.CidrBlock }));
  if (Array.isArray(info.Ipv6CidrBlockSet) && info.Ipv6CidrBlockSet.length) {
    cidrs.Ipv6CidrBlockSet = info.Ipv6CidrBlockSet.map((x: Json) => ({ Ipv6CidrBlock: x.Ipv6CidrBlock }));
  }
  const o = info.PeeringOptions ?? {};
  return {
    end: { account, region: info.Region ?? region, vpcId },
    cidrs,
    options: {
      AllowDnsResolutionFromRemoteVpc: o.AllowDnsResolutionFromRemoteVpc === true,
      AllowEgressFromLocalClassicLinkToRemoteVpc: o.AllowEgressFromLocalClassicLinkToRemoteVpc === true,
      AllowEgressFromLocalVpcToRemoteClassicLink: o.AllowEgressFromLocalVpcToRemoteClassicLink === true,
    },
  };
}

export function importPeerings(s: ScopeImport): void {
  const registry = s.state.other('global', 'global');
  for (const { file, item, index } of s.items('VpcPeeringConnections')) {
    const c = new Check(file, item?.VpcPeeringConnectionId ?? `item ${index}`);
    const id = c.str(item, 'VpcPeeringConnectionId', { pattern: idPattern('pcx') });
    const shown = c.str(item?.Status, 'Code');
    const code = STATUS[shown];
    if (!code) c.fail(`Status.Code '${shown}' is not a peering status`);
    const req = side(c, item.RequesterVpcInfo, 'RequesterVpcInfo', s.region);
    const acc = side(c, item.AccepterVpcInfo, 'AccepterVpcInfo', s.region);
    const here = [req.end, acc.end].some((e) => e.account === s.account && e.region === s.region);
    if (!here) c.fail(`neither side of the connection is account ${s.account} in ${s.region}`);
    const existing = registry.get<Json>(PEERING, id);
    if (existing) {
      // The same connection seen from its other side (another region or account of the import).
      const same = (a: Json, b: Json) => a.account === b.account && a.region === b.region && a.vpcId === b.vpcId;
      if (!same(existing._requester, req.end) || !same(existing._accepter, acc.end)) c.fail('differs from the same connection described elsewhere in the import');
      // Blocks only the accepter's side shows once active: keep whichever description has them.
      const rec = registry.edit<Json>(PEERING, id)!;
      if (!rec._cidrs.accepter?.CidrBlock && acc.cidrs.CidrBlock) rec._cidrs.accepter = acc.cidrs;
    } else {
      const now = s.run.now.toISOString();
      const ended = code === 'deleted' || code === 'rejected' || code === 'failed';
      const expiry = item.ExpirationTime ? c.time(item, 'ExpirationTime') : new Date(s.run.now.getTime() + 7 * 86400_000).toISOString();
      registry.put(
        PEERING,
        id,
        clean({
          VpcPeeringConnectionId: id,
          Status: { Code: code, Message: item.Status.Message ?? '' },
          ExpirationTime: shown === 'expired' ? expiry : code === 'pending-acceptance' && Date.parse(expiry) <= s.run.now.getTime() ? now : expiry,
          _requester: req.end,
          _accepter: acc.end,
          _createdAt: now,
          _endedAt: ended ? now : undefined,
          _endedBy: ended ? s.account : undefined,
          _options: { requester: req.options, accepter: acc.options },
          _cidrs: { requester: req.cidrs, accepter: acc.cidrs },
        }),
      );
    }
    s.put(PEERING, id, clean({ VpcPeeringConnectionId: id, Tags: c.tags(item) }));
  }
}

// ---------------------------------------------------------------------------------------
// VPC endpoints

const ENDPOINT_STATES: Record<string, 'available' | 'deleted'> = {
  pendingacceptance: 'available',
  pending: 'available',
  available: 'available',
  deleting: 'deleted',
  deleted: 'deleted',
  rejected: 'deleted',
  failed: 'deleted',
  expired: 'deleted',
};

function randomLabel(length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

export function importVpcEndpoints(s: ScopeImport): void {
  for (const { file, item, index } of s.items('VpcEndpoints')) {
    const c = new Check(file, item?.VpcEndpointId ?? `item ${index}`);
    const id = c.str(item, 'VpcEndpointId', { pattern: idPattern('vpce') });
    const type = c.str(item, 'VpcEndpointType', { pattern: /^(Interface|Gateway|GatewayLoadBalancer|Resource|ServiceNetwork)$/ });
    const vpcId = c.str(item, 'VpcId', { pattern: idPattern('vpc') });
    if (!s.imported('vpc', vpcId)) c.fail(`its VPC ${vpcId} is not in the export (describe-vpcs)`);
    const service = c.str(item, 'ServiceName');
    const shown = c.str(item, 'State').toLowerCase();
    const state = ENDPOINT_STATES[shown];
    if (!state) c.fail(`State '${item.State}' is not an endpoint state`);
    const dns = c.list(item, 'DnsEntries');
    const label = dns
      .map((d: Json) => new RegExp(`^(?:\\*\\.)?${id}-([a-z0-9]+)\\.`).exec(String(d?.DnsName ?? ''))?.[1])
      .find((x: string | undefined) => !!x);
    const privateZone = dns.find((d: Json) => typeof d?.DnsName === 'string' && !d.DnsName.includes('vpce.amazonaws.com'))?.HostedZoneId;
    const interfaces = c.list(item, 'NetworkInterfaceIds').map(String);
    for (const eni of interfaces) {
      if (state === 'available' && !s.state.get('network-interface', eni)) {
        s.warn(`endpoint ${id}: its interface ${eni} is not in the export (describe-network-interfaces); traffic to it cannot be traced`);
      }
    }
    const record: Json = {
      VpcEndpointId: id,
      VpcEndpointType: type,
      VpcId: vpcId,
      ServiceName: service,
      State: state,
      PolicyDocument: item.PolicyDocument,
      RouteTableIds: c.list(item, 'RouteTableIds').map(String),
      SubnetIds: c.list(item, 'SubnetIds').map(String),
      Groups: c.list(item, 'Groups').map((g: Json) => ({ GroupId: g.GroupId, GroupName: g.GroupName })),
      IpAddressType: item.IpAddressType,
      PrivateDnsEnabled: item.PrivateDnsEnabled === true,
      NetworkInterfaceIds: interfaces,
      CreationTimestamp: c.time(item, 'CreationTimestamp', s.run.now),
      Tags: c.tags(item),
      OwnerId: item.OwnerId ?? s.account,
      DnsOptions: item.DnsOptions,
      _dnsLabel: label ?? randomLabel(8, '0123456789abcdefghijklmnopqrstuvwxyz'),
      _privateZoneId: privateZone ?? `Z0${randomLabel(18, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ')}`,
    };
    if (state === 'deleted') record._deletedAt = s.run.now.toISOString();
    s.put('vpc-endpoint', id, clean(record));

    // A gateway endpoint's route in each of its tables: its service's prefix list (vpcsim's ID) to the endpoint.
    const key = service.split('.').pop() as AwsManagedService;
    if (type !== 'Gateway' || state !== 'available' || (key !== 's3' && key !== 'dynamodb')) continue;
    const pl = awsManagedPrefixListFor(s.region, key).PrefixListId;
    for (const rtId of record.RouteTableIds as string[]) {
      const rt = s.state.edit<Json>('route-table', rtId);
      if (!rt) continue;
      const route = { DestinationPrefixListId: pl, GatewayId: id, Origin: 'CreateRoute' };
      const routes: Json[] = rt.Routes ?? [];
      const at = routes.findIndex((r: Json) => r.GatewayId === id);
      rt.Routes = at >= 0 ? [...routes.slice(0, at), route, ...routes.slice(at + 1).filter((r: Json) => r.GatewayId !== id)] : [...routes, route];
    }
  }
}

// ---------------------------------------------------------------------------------------
// Site-to-site VPN

function deletedAt(s: ScopeImport, state: string | undefined): string | undefined {
  return state === 'deleted' || state === 'deleting' ? s.run.now.toISOString() : undefined;
}

function settled(state: string): string {
  return state === 'deleting' ? 'deleted' : state === 'pending' ? 'available' : state;
}

export function importVpn(s: ScopeImport): void {
  for (const { file, item, index } of s.items('CustomerGateways')) {
    const c = new Check(file, item?.CustomerGatewayId ?? `item ${index}`);
    const id = c.str(item, 'CustomerGatewayId', { pattern: idPattern('cgw') });
    const state = c.str(item, 'State');
    s.put('customer-gateway', id, clean({ ...item, State: settled(state), Tags: c.tags(item), _deletedAt: deletedAt(s, state) }));
  }
  for (const { file, item, index } of s.items('VpnGateways')) {
    const c = new Check(file, item?.VpnGatewayId ?? `item ${index}`);
    const id = c.str(item, 'VpnGatewayId', { pattern: idPattern('vgw') });
    const state = c.str(item, 'State');
    const attachments = c.list(item, 'VpcAttachments').map((a: Json) => ({
      State: a.State === 'attaching' ? 'attached' : a.State === 'detaching' ? 'detached' : c.str(a, 'State'),
      VpcId: c.str(a, 'VpcId', { pattern: idPattern('vpc') }),
    }));
    s.put('vpn-gateway', id, clean({ ...item, State: settled(state), VpcAttachments: attachments, Tags: c.tags(item), _deletedAt: deletedAt(s, state) }));
  }
  for (const { file, item, index } of s.items('VpnConnections')) {
    const c = new Check(file, item?.VpnConnectionId ?? `item ${index}`);
    const id = c.str(item, 'VpnConnectionId', { pattern: idPattern('vpn') });
    const state = c.str(item, 'State');
    const cgwId = c.str(item, 'CustomerGatewayId', { pattern: idPattern('cgw') });
    const cgw = s.state.get<Json>('customer-gateway', cgwId);
    const telemetry = c.list(item, 'VgwTelemetry').map((t: Json) => ({
      ...t,
      Status: t.Status === 'UP' ? 'UP' : 'DOWN',
      LastStatusChange: c.time(t, 'LastStatusChange', s.run.now),
    }));
    for (const t of telemetry) registerPublicIp(s, c, t.OutsideIpAddress);
    const routes = c.list(item, 'Routes').map((r: Json) => {
      const p = parseCidr(String(r?.DestinationCidrBlock));
      if (!p) c.fail(`route destination '${r?.DestinationCidrBlock}' is not a CIDR block`);
      return { DestinationCidrBlock: formatCidr(p!), Source: r.Source ?? 'Static', State: r.State === 'pending' ? 'available' : r.State === 'deleting' ? 'deleted' : r.State };
    });
    s.put(
      'vpn-connection',
      id,
      clean({
        ...item,
        State: settled(state),
        Routes: routes,
        VgwTelemetry: telemetry,
        Tags: c.tags(item),
        _cgwAsn: cgw ? (cgw.BgpAsnExtended ?? cgw.BgpAsn) : undefined,
        _deletedAt: deletedAt(s, state),
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------
// Customer-managed prefix lists

export function importPrefixLists(s: ScopeImport): void {
  for (const { file, item, index } of s.items('PrefixLists')) {
    if (item?.OwnerId === 'AWS') continue;
    const c = new Check(file, item?.PrefixListId ?? `item ${index}`);
    const id = c.str(item, 'PrefixListId', { pattern: idPattern('pl') });
    const family = c.str(item, 'AddressFamily', { pattern: /^IPv[46]$/ });
    const version = c.num(item, 'Version', true) ?? 1;
    const entriesFile = s.data.prefixListEntries.get(id);
    let entries: Json[] = [];
    if (entriesFile) {
      const ec = new Check(entriesFile, id);
      entries = ec.list(entriesFile.body, 'Entries').map((e: Json) => {
        const p = parseCidr(String(e?.Cidr));
        if (!p || `IPv${p.version}` !== family) ec.fail(`entry '${e?.Cidr}' is not an ${family} CIDR block`);
        return clean({ Cidr: formatCidr(p!), Description: e.Description });
      });
    } else {
      s.warn(`prefix list ${id}: no get-managed-prefix-list-entries-${id}.json in the export; imported without entries`);
    }
    const state = String(item.State ?? 'create-complete');
    s.put(
      'prefix-list',
      id,
      clean({
        PrefixListId: id,
        AddressFamily: family,
        State: state.endsWith('-in-progress') ? state.replace('-in-progress', '-complete') : state,
        PrefixListArn: item.PrefixListArn ?? `arn:aws:ec2:${s.region}:${s.account}:prefix-list/${id}`,
        PrefixListName: c.str(item, 'PrefixListName'),
        MaxEntries: c.num(item, 'MaxEntries'),
        Version: version,
        Tags: c.tags(item),
        OwnerId: item.OwnerId ?? s.account,
        _versions: [{ version, entries }],
      }),
    );
  }
}
