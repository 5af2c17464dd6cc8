/**
 * VPCs and what is theirs: DHCP options, subnets, route tables (associations inline, routes
 * without their derived State), network ACLs (associations as records of their own),
 * internet and egress-only internet gateways.
 */
import { formatCidr, parseCidr, parseCidr4 } from '../network/cidr.js';
import { defaultDomainName } from '../services/ec2/dhcp-options.js';
import { createDefaultNetworkAcl } from '../services/ec2/network-acls.js';
import { awsManagedPrefixListFor, type AwsManagedService } from '../services/ec2/prefix-lists.js';
import { createMainRouteTable } from '../services/ec2/route-tables.js';
import { newId } from '../services/ec2/resources.js';
import { createDefaultSecurityGroup } from '../services/ec2/security-groups.js';
import { Check, clean, idPattern, type Json, type ScopeImport } from './context.js';

const VPC_ID = idPattern('vpc');
const SUBNET_ID = idPattern('subnet');

function cidr(c: Check, obj: Json, field: string, version?: 4 | 6): string {
  const text = c.str(obj, field);
  const parsed = parseCidr(text);
  if (!parsed || (version && parsed.version !== version)) c.fail(`${field} '${text}' is not a valid CIDR block`);
  return text;
}

// ---------------------------------------------------------------------------------------
// DHCP options

export function importDhcpOptions(s: ScopeImport): void {
  let haveDefault = false;
  for (const { file, item } of s.items('DhcpOptions')) {
    const c = new Check(file, item?.DhcpOptionsId ?? '(no DhcpOptionsId)');
    const id = c.str(item, 'DhcpOptionsId', { pattern: idPattern('dopt') });
    const configs = c.list(item, 'DhcpConfigurations');
    const text = JSON.stringify(
      configs.map((x: Json) => [x.Key, (x.Values ?? []).map((v: Json) => v.Value)]).sort(),
    );
    const standard = JSON.stringify(
      [
        ['domain-name', [defaultDomainName(s.region)]],
        ['domain-name-servers', ['AmazonProvidedDNS']],
      ].sort(),
    );
    const isDefault = !haveDefault && text === standard;
    if (isDefault) haveDefault = true;
    s.put('dhcp-options', id, clean({ DhcpConfigurations: configs, DhcpOptionsId: id, OwnerId: item.OwnerId ?? s.account, Tags: c.tags(item), _default: isDefault || undefined }));
  }
}

/** DHCP options sets the VPCs name but the export does not describe: the region's default set. */
function ensureDhcpOptions(s: ScopeImport, id: string): void {
  if (id === 'default' || s.imported('dhcp-options', id)) return;
  s.put('dhcp-options', id, {
    DhcpOptionsId: id,
    OwnerId: s.account,
    DhcpConfigurations: [
      { Key: 'domain-name', Values: [{ Value: defaultDomainName(s.region) }] },
      { Key: 'domain-name-servers', Values: [{ Value: 'AmazonProvidedDNS' }] },
    ],
    _default: ![...(s.ids.get('dhcp-options') ?? [])].some((d) => s.state.get<{ _default?: boolean }>('dhcp-options', d)?._default) || undefined,
  });
  s.warn(`DHCP options set ${id} is not in the export (describe-dhcp-options); imported with the region's default settings`);
}

// ---------------------------------------------------------------------------------------
// VPCs

export function importVpcs(s: ScopeImport): void {
  for (const { file, item, index } of s.items('Vpcs')) {
    const c = new Check(file, item?.VpcId ?? `item ${index}`);
    const id = c.str(item, 'VpcId', { pattern: VPC_ID });
    const primary = cidr(c, item, 'CidrBlock', 4);
    const assocs = c.list(item, 'CidrBlockAssociationSet');
    for (const a of assocs) cidr(c, a, 'CidrBlock', 4);
    for (const a of c.list(item, 'Ipv6CidrBlockAssociationSet')) cidr(c, a, 'Ipv6CidrBlock', 6);
    const isDefault = c.bool(item, 'IsDefault', false);
    const dhcp = c.str(item, 'DhcpOptionsId', { optional: true }) ?? 'default';
    const attrs = { enableDnsSupport: true, enableDnsHostnames: isDefault, enableNetworkAddressUsageMetrics: false };
    for (const a of s.data.vpcAttributes.get(id) ?? []) {
      const key = (a.attribute.charAt(0).toLowerCase() + a.attribute.slice(1)) as keyof typeof attrs;
      attrs[key] = a.value;
    }
    const record = {
      ...item,
      OwnerId: item.OwnerId ?? s.account,
      CidrBlockAssociationSet: assocs.length
        ? assocs
        : [{ AssociationId: newId('vpc-cidr-assoc'), CidrBlock: primary, CidrBlockState: { State: 'associated' } }],
      IsDefault: isDefault,
      State: 'available',
      DhcpOptionsId: dhcp,
      // AWS's default; older CLIs do not print it.
      BlockPublicAccessStates: item.BlockPublicAccessStates ?? { InternetGatewayBlockMode: 'off' },
      Tags: c.tags(item),
      _attributes: attrs,
    };
    if (record.Ipv6CidrBlockAssociationSet?.length === 0) delete record.Ipv6CidrBlockAssociationSet;
    s.put('vpc', id, clean(record));
    ensureDhcpOptions(s, dhcp);
  }
  for (const id of s.data.vpcAttributes.keys()) {
    if (!s.imported('vpc', id)) s.warn(`describe-vpc-attribute for ${id}, a VPC the export does not describe: ignored`);
  }
}

// ---------------------------------------------------------------------------------------
// Subnets

export function importSubnets(s: ScopeImport): void {
  for (const { file, item, index } of s.items('Subnets')) {
    const c = new Check(file, item?.SubnetId ?? `item ${index}`);
    const id = c.str(item, 'SubnetId', { pattern: SUBNET_ID });
    const vpcId = c.str(item, 'VpcId', { pattern: VPC_ID });
    if (!s.imported('vpc', vpcId)) c.fail(`its VPC ${vpcId} is not in the export (describe-vpcs)`);
    cidr(c, item, 'CidrBlock', 4);
    c.str(item, 'AvailabilityZone');
    const record = {
      ...item,
      OwnerId: item.OwnerId ?? s.account,
      State: 'available',
      SubnetArn: item.SubnetArn ?? `arn:aws:ec2:${s.region}:${s.account}:subnet/${id}`,
      BlockPublicAccessStates: item.BlockPublicAccessStates ?? { InternetGatewayBlockMode: 'off' },
      Ipv6CidrBlockAssociationSet: c.list(item, 'Ipv6CidrBlockAssociationSet'),
      Tags: c.tags(item),
      _used: [] as string[],
    };
    s.put('subnet', id, clean(record));
  }
}

// ---------------------------------------------------------------------------------------
// Route tables

const SERVICES: AwsManagedService[] = ['s3', 'dynamodb'];

/** The ID vpcsim gives an AWS-managed prefix list the export names (unchanged for customer lists). */
export function prefixListId(s: ScopeImport, id: string): string {
  return s.prefixListMap.get(id) ?? id;
}

/** Learns the export's AWS-managed prefix list IDs (describe-prefix-lists, describe-managed-prefix-lists). */
export function mapAwsPrefixLists(s: ScopeImport): void {
  for (const key of ['AwsPrefixLists', 'PrefixLists']) {
    for (const { file, item } of s.items(key)) {
      if (key === 'PrefixLists' && item?.OwnerId !== 'AWS') continue;
      const c = new Check(file, item?.PrefixListId ?? '(no PrefixListId)');
      const id = c.str(item, 'PrefixListId', { pattern: idPattern('pl') });
      const name = c.str(item, 'PrefixListName');
      const service = SERVICES.find((sv) => name === `com.amazonaws.${s.region}.${sv}`);
      if (service) s.prefixListMap.set(id, awsManagedPrefixListFor(s.region, service).PrefixListId);
    }
  }
}

const TARGETS = [
  'GatewayId',
  'NatGatewayId',
  'NetworkInterfaceId',
  'InstanceId',
  'VpcPeeringConnectionId',
  'TransitGatewayId',
  'EgressOnlyInternetGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'CoreNetworkArn',
];

export function importRouteTables(s: ScopeImport): void {
  for (const { file, item, index } of s.items('RouteTables')) {
    const c = new Check(file, item?.RouteTableId ?? `item ${index}`);
    const id = c.str(item, 'RouteTableId', { pattern: idPattern('rtb') });
    const vpcId = c.str(item, 'VpcId', { pattern: VPC_ID });
    if (!s.imported('vpc', vpcId)) c.fail(`its VPC ${vpcId} is not in the export (describe-vpcs)`);
    const routes: Json[] = [];
    for (const r of c.list(item, 'Routes')) {
      // Propagated routes are derived from the VPN connections; they are not stored.
      if (r?.Origin === 'EnableVgwRoutePropagation') continue;
      const dest = r?.DestinationCidrBlock ?? r?.DestinationIpv6CidrBlock ?? r?.DestinationPrefixListId;
      if (typeof dest !== 'string') c.fail(`a route has no destination (${JSON.stringify(r)})`);
      if (r.DestinationCidrBlock !== undefined) cidr(c, r, 'DestinationCidrBlock', 4);
      if (r.DestinationIpv6CidrBlock !== undefined) cidr(c, r, 'DestinationIpv6CidrBlock', 6);
      const route: Json = {};
      if (r.DestinationCidrBlock) route.DestinationCidrBlock = formatCidr(parseCidr(r.DestinationCidrBlock)!);
      else if (r.DestinationIpv6CidrBlock) route.DestinationIpv6CidrBlock = formatCidr(parseCidr(r.DestinationIpv6CidrBlock)!);
      else route.DestinationPrefixListId = prefixListId(s, r.DestinationPrefixListId);
      const targets = TARGETS.filter((t) => typeof r[t] === 'string');
      if (targets.length === 0) c.fail(`the route to ${dest} has no target`);
      for (const t of targets) route[t] = r[t];
      // An interface target shows its instance; the instance is read from the attachment.
      if (route.NetworkInterfaceId && route.InstanceId) delete route.InstanceId;
      route.Origin = r.Origin === 'CreateRouteTable' ? 'CreateRouteTable' : 'CreateRoute';
      routes.push(route);
    }
    const associations = c.list(item, 'Associations').map((a: Json) => {
      const out: Json = {
        Main: a?.Main === true,
        RouteTableAssociationId: new Check(file, id).str(a, 'RouteTableAssociationId', { pattern: idPattern('rtbassoc') }),
        RouteTableId: id,
        AssociationState: { State: a?.AssociationState?.State ?? 'associated' },
      };
      if (a.SubnetId) out.SubnetId = a.SubnetId;
      if (a.GatewayId) out.GatewayId = a.GatewayId;
      return out;
    });
    for (const a of associations) {
      if (a.SubnetId && !s.imported('subnet', a.SubnetId)) c.fail(`is associated with subnet ${a.SubnetId}, which the export does not describe`);
    }
    s.put(
      'route-table',
      id,
      clean({
        Associations: associations.filter((a: Json) => a.AssociationState.State === 'associated' || a.AssociationState.State === 'associating'),
        PropagatingVgws: c.list(item, 'PropagatingVgws').map((p: Json) => ({ GatewayId: p.GatewayId })),
        RouteTableId: id,
        Routes: routes,
        VpcId: vpcId,
        OwnerId: item.OwnerId ?? s.account,
        Tags: c.tags(item),
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------
// Network ACLs

const ACL_KIND = 'network-acl';
const ACL_ASSOCIATION = 'network-acl-association';

/** The entries AWS gives a default ACL in one direction (IPv4, and IPv6 when the VPC has a block). */
function isDefaultDirection(entries: Json[], ipv6: boolean): boolean {
  const want = ['100 allow 0.0.0.0/0', '32767 deny 0.0.0.0/0', ...(ipv6 ? ['101 allow ::/0', '32768 deny ::/0'] : [])];
  const have = entries
    .map((e) => (e.Protocol === '-1' ? `${e.RuleNumber} ${e.RuleAction} ${e.CidrBlock ?? e.Ipv6CidrBlock}` : 'x'))
    .sort();
  return JSON.stringify(have) === JSON.stringify([...want].sort());
}

export function importNetworkAcls(s: ScopeImport): void {
  for (const { file, item, index } of s.items('NetworkAcls')) {
    const c = new Check(file, item?.NetworkAclId ?? `item ${index}`);
    const id = c.str(item, 'NetworkAclId', { pattern: idPattern('acl') });
    const vpcId = c.str(item, 'VpcId', { pattern: VPC_ID });
    if (!s.imported('vpc', vpcId)) c.fail(`its VPC ${vpcId} is not in the export (describe-vpcs)`);
    const entries = c.list(item, 'Entries').map((e: Json) => {
      const rule = c.num(e, 'RuleNumber');
      const ec = new Check(file, `${id} rule ${rule}`);
      const out: Json = {};
      if (e.CidrBlock !== undefined) out.CidrBlock = formatCidr(parseCidr(cidr(ec, e, 'CidrBlock', 4))!);
      else out.Ipv6CidrBlock = formatCidr(parseCidr(cidr(ec, e, 'Ipv6CidrBlock', 6))!);
      out.Egress = ec.bool(e, 'Egress');
      out.Protocol = ec.str(e, 'Protocol', { pattern: /^(-1|\d{1,3})$/ });
      out.RuleAction = ec.str(e, 'RuleAction', { pattern: /^(allow|deny)$/ });
      out.RuleNumber = rule;
      if (e.PortRange) out.PortRange = { From: ec.num(e.PortRange, 'From'), To: ec.num(e.PortRange, 'To') };
      if (e.IcmpTypeCode) out.IcmpTypeCode = { Code: ec.num(e.IcmpTypeCode, 'Code'), Type: ec.num(e.IcmpTypeCode, 'Type') };
      return out;
    });
    entries.sort((a: Json, b: Json) => Number(!!b.Egress) - Number(!!a.Egress) || a.RuleNumber - b.RuleNumber);
    const isDefault = c.bool(item, 'IsDefault', false);
    const vpc = s.state.get<Json>('vpc', vpcId);
    const ipv6 = (vpc?.Ipv6CidrBlockAssociationSet ?? []).length > 0;
    const changed: Json = {};
    if (isDefault) {
      if (!isDefaultDirection(entries.filter((e: Json) => e.Egress), ipv6)) changed.egress = true;
      if (!isDefaultDirection(entries.filter((e: Json) => !e.Egress), ipv6)) changed.ingress = true;
    }
    s.put(
      ACL_KIND,
      id,
      clean({
        Entries: entries,
        IsDefault: isDefault,
        NetworkAclId: id,
        VpcId: vpcId,
        OwnerId: item.OwnerId ?? s.account,
        Tags: c.tags(item),
        _changed: Object.keys(changed).length ? changed : undefined,
      }),
    );
    for (const a of c.list(item, 'Associations')) {
      const assocId = c.str(a, 'NetworkAclAssociationId', { pattern: idPattern('aclassoc') });
      const subnetId = c.str(a, 'SubnetId', { pattern: SUBNET_ID });
      if (!s.imported('subnet', subnetId)) c.fail(`is associated with subnet ${subnetId}, which the export does not describe`);
      if (s.aclOfSubnet.has(subnetId)) c.fail(`subnet ${subnetId} is associated with two network ACLs`);
      s.aclOfSubnet.set(subnetId, id);
      s.put(ACL_ASSOCIATION, assocId, { NetworkAclAssociationId: assocId, NetworkAclId: id, SubnetId: subnetId });
    }
  }
}

// ---------------------------------------------------------------------------------------
// What every VPC has, for exports that leave it out

/**
 * Every VPC gets a main route table, a default network ACL and a default security group,
 * and every subnet an ACL association, as AWS always has them: created as the families
 * create them when the export does not describe them.
 */
export function completeVpcs(s: ScopeImport): void {
  // One pass over each kind (a large account has thousands of each).
  const byVpc = (kind: string): Map<string, Json[]> => {
    const out = new Map<string, Json[]>();
    for (const r of s.state.list<Json>(kind)) {
      const list = out.get(r.VpcId) ?? [];
      list.push(r);
      out.set(r.VpcId, list);
    }
    return out;
  };
  const tablesOf = byVpc('route-table');
  const aclsOf = byVpc(ACL_KIND);
  const subnetsOf = byVpc('subnet');
  const groupsOf = byVpc('security-group');
  for (const vpcId of s.ids.get('vpc') ?? []) {
    const vpc: Json = { ...s.state.get<Json>('vpc', vpcId)! };
    const tables = tablesOf.get(vpcId) ?? [];
    if (!tables.some((t) => (t.Associations ?? []).some((a: Json) => a.Main))) {
      const liveCidrs = (vpc.CidrBlockAssociationSet ?? []).filter((a: Json) => a.CidrBlockState?.State === 'associated').map((a: Json) => a.CidrBlock);
      const rt = createMainRouteTable(s.ctx, vpc);
      // A local route for every further IPv4 block as well.
      const edited = s.state.edit<Json>('route-table', rt.RouteTableId)!;
      for (const block of liveCidrs.slice(1)) edited.Routes.push({ DestinationCidrBlock: block, GatewayId: 'local', Origin: 'CreateRouteTable' });
      s.warn(`VPC ${vpcId} has no main route table in the export; one with local routes only was created (${rt.RouteTableId})`);
    }
    const acls = aclsOf.get(vpcId) ?? [];
    let defaultAcl = acls.find((a) => a.IsDefault);
    if (!defaultAcl) {
      defaultAcl = createDefaultNetworkAcl(s.ctx, vpc);
      s.warn(`VPC ${vpcId} has no default network ACL in the export; one allowing all traffic was created (${defaultAcl.NetworkAclId})`);
    }
    for (const sub of subnetsOf.get(vpcId) ?? []) {
      if (s.aclOfSubnet.has(sub.SubnetId)) continue;
      s.aclOfSubnet.set(sub.SubnetId, defaultAcl.NetworkAclId);
      const assocId = newId('aclassoc');
      s.state.put(ACL_ASSOCIATION, assocId, { NetworkAclAssociationId: assocId, NetworkAclId: defaultAcl.NetworkAclId, SubnetId: sub.SubnetId });
    }
    const groups = groupsOf.get(vpcId) ?? [];
    if (!groups.some((g) => g.GroupName === 'default')) {
      const g = createDefaultSecurityGroup(s.ctx, vpc);
      s.warn(`VPC ${vpcId} has no default security group in the export; one was created (${g.GroupId})`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Internet gateways

export function importInternetGateways(s: ScopeImport): void {
  for (const { file, item, index } of s.items('InternetGateways')) {
    const c = new Check(file, item?.InternetGatewayId ?? `item ${index}`);
    const id = c.str(item, 'InternetGatewayId', { pattern: idPattern('igw') });
    const attachments = c.list(item, 'Attachments').map((a: Json) => ({ State: c.str(a, 'State'), VpcId: c.str(a, 'VpcId', { pattern: VPC_ID }) }));
    s.put('internet-gateway', id, clean({ Attachments: attachments, InternetGatewayId: id, OwnerId: item.OwnerId ?? s.account, Tags: c.tags(item) }));
  }
  for (const { file, item, index } of s.items('EgressOnlyInternetGateways')) {
    const c = new Check(file, item?.EgressOnlyInternetGatewayId ?? `item ${index}`);
    const id = c.str(item, 'EgressOnlyInternetGatewayId', { pattern: idPattern('eigw') });
    const attachments = c.list(item, 'Attachments').map((a: Json) => ({ State: c.str(a, 'State'), VpcId: c.str(a, 'VpcId', { pattern: VPC_ID }) }));
    s.put('egress-only-internet-gateway', id, clean({ Attachments: attachments, EgressOnlyInternetGatewayId: id, Tags: c.tags(item) }));
  }
}

/** Private addresses each subnet's interfaces hold: the subnet's address book and free count. */
export function countSubnetAddresses(s: ScopeImport): void {
  const used = new Map<string, string[]>();
  for (const e of s.state.list<Json>('network-interface')) {
    const list = used.get(e.SubnetId) ?? [];
    for (const p of e.PrivateIpAddresses ?? []) if (p.PrivateIpAddress) list.push(p.PrivateIpAddress);
    used.set(e.SubnetId, list);
  }
  for (const id of s.ids.get('subnet') ?? []) {
    const sub = s.state.edit<Json>('subnet', id)!;
    const c = parseCidr4(sub.CidrBlock)!;
    sub._used = used.get(id) ?? [];
    const count = Math.max(0, 2 ** (32 - c.prefix) - 5 - sub._used.length);
    if (typeof sub.AvailableIpAddressCount === 'number' && sub.AvailableIpAddressCount !== count) {
      s.warn(
        `subnet ${id}: the export shows ${sub.AvailableIpAddressCount} free addresses, the imported interfaces leave ${count} ` +
          '(addresses held by resources the export does not describe are not counted)',
      );
    }
    sub.AvailableIpAddressCount = count;
  }
}
