/**
 * Details of one resource: its attributes, its rules (security group rules, ACL entries,
 * routes with their state), related resources, and tags — all in tables.
 */
import { type ReactNode, useEffect, useState } from 'react';
import { describeAll } from '../api/aws.js';
import { filterParams, type Session } from '../api/client.js';
import { arr, bool, nameTag, type Rec, str, tagsOf } from '../api/values.js';
import { routeDestination, routeTarget } from '../model.js';
import { IdLink, portRange, protocolName, type Select, StateBadge, Table } from './common.js';

const TITLES: Record<string, string> = {
  vpc: 'VPC',
  subnet: 'Subnet',
  'route-table': 'Route table',
  'internet-gateway': 'Internet gateway',
  'egress-only-internet-gateway': 'Egress-only internet gateway',
  'nat-gateway': 'NAT gateway',
  'vpc-endpoint': 'VPC endpoint',
  'vpc-peering-connection': 'Peering connection',
  'vpn-gateway': 'Virtual private gateway',
  'vpn-connection': 'Site-to-Site VPN connection',
  'customer-gateway': 'Customer gateway',
  'network-interface': 'Network interface',
  instance: 'Instance',
  'security-group': 'Security group',
  'network-acl': 'Network ACL',
  'dx-gateway': 'Direct Connect gateway',
  'dx-virtual-interface': 'Direct Connect virtual interface',
  'dx-connection': 'Direct Connect connection',
  'elastic-ip': 'Elastic IP',
};

interface Props {
  id: string;
  kind: string;
  rec: Rec;
  session: Session;
  known: (id: string) => boolean;
  onSelect: Select;
  /** Region-wide lookup, for related resources (a subnet's route table, an ENI's groups). */
  lookup: (id: string) => { kind: string; rec: Rec } | undefined;
  /** The subnet's derived facts, when the resource is a subnet. */
  subnetFacts?: { isPublic: boolean; routeTableId?: string; routeTableExplicit: boolean; aclId?: string };
}

/** Scalars of a record, one level of nesting flattened (instanceState.name). */
function attributes(rec: Rec): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'tagSet' || k === 'tags' || k === 'Tags') continue;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object') out.push([k, v]);
    else if (!Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Rec)) if (typeof v2 !== 'object' && v2 !== '') out.push([`${k}.${k2}`, v2]);
    } else if (v.length > 0 && v.every((x) => typeof x !== 'object')) out.push([k, v.join(', ')]);
  }
  return out;
}

export function Details(props: Props) {
  const { rec, kind, id } = props;
  const link = (x: unknown) => <IdLink id={str(x)} known={props.known} onSelect={props.onSelect} />;
  const attrs = attributes(rec);
  const sections: ReactNode[] = [];

  if (kind === 'security-group') sections.push(<SecurityGroupRules key="sg" group={rec} session={props.session} link={link} />);
  if (kind === 'network-acl') {
    sections.push(<AclEntries key="acl" acl={rec} />);
    sections.push(
      <Section key="assoc" title="Subnet associations">
        <Table columns={['Subnet', 'Association']} rows={arr(rec.associationSet).map((a) => [link(a.subnetId), <span className="mono">{str(a.networkAclAssociationId)}</span>])} />
      </Section>,
    );
  }
  if (kind === 'route-table') sections.push(<Routes key="routes" table={rec} link={link} />);
  if (kind === 'route-table')
    sections.push(
      <Section key="assoc" title="Associations">
        <Table
          columns={['Subnet / gateway', 'Main', 'State']}
          rows={arr(rec.associationSet).map((a) => [link(a.subnetId || a.gatewayId || ''), bool(a.main) ? 'Yes' : 'No', <StateBadge state={str(a.associationState?.state)} />])}
        />
      </Section>,
    );
  if (kind === 'subnet' && props.subnetFacts) {
    const f = props.subnetFacts;
    const rt = f.routeTableId ? props.lookup(f.routeTableId)?.rec : undefined;
    const acl = f.aclId ? props.lookup(f.aclId)?.rec : undefined;
    sections.push(
      <Section key="reach" title="Reachability">
        <p>
          <span className={`pub ${f.isPublic ? 'pub-yes' : 'pub-no'}`}>{f.isPublic ? 'Public' : 'Private'}</span>{' '}
          {f.isPublic ? 'its route table has a route to an internet gateway.' : 'its route table has no route to an internet gateway.'}
        </p>
      </Section>,
    );
    if (rt) {
      sections.push(
        <Section key="rt" title={<>Route table {link(rt.routeTableId)} {f.routeTableExplicit ? '' : <span className="muted">(main, implicit)</span>}</>}>
          <RouteRows table={rt} link={link} />
        </Section>,
      );
    }
    if (acl) sections.push(<AclEntries key="acl" acl={acl} title={<>Network ACL {link(acl.networkAclId)}</>} />);
  }
  if (kind === 'instance') {
    sections.push(
      <Section key="enis" title="Network interfaces">
        <Table
          columns={['Interface', 'Private IP', 'Public IP', 'Subnet', 'Source/dest. check']}
          rows={arr(rec.networkInterfaceSet).map((n) => [
            link(n.networkInterfaceId),
            <span className="mono">{str(n.privateIpAddress)}</span>,
            <span className="mono">{str(n.association?.publicIp)}</span>,
            link(n.subnetId),
            str(n.sourceDestCheck),
          ])}
        />
      </Section>,
    );
    sections.push(<GroupList key="sgs" groups={arr(rec.groupSet)} link={link} />);
  }
  if (kind === 'network-interface') {
    sections.push(
      <Section key="ips" title="Addresses">
        <Table
          columns={['Private IP', 'Primary', 'Public IP']}
          rows={arr(rec.privateIpAddressesSet).map((p) => [<span className="mono">{str(p.privateIpAddress)}</span>, bool(p.primary) ? 'Yes' : 'No', <span className="mono">{str(p.association?.publicIp)}</span>])}
        />
      </Section>,
    );
    sections.push(<GroupList key="sgs" groups={arr(rec.groupSet)} link={link} />);
  }
  if (kind === 'nat-gateway') {
    sections.push(
      <Section key="addrs" title="Addresses">
        <Table
          columns={['Private IP', 'Public IP', 'Allocation', 'Interface', 'Status']}
          rows={arr(rec.natGatewayAddressSet).map((a) => [
            <span className="mono">{str(a.privateIp)}</span>,
            <span className="mono">{str(a.publicIp)}</span>,
            <span className="mono">{str(a.allocationId)}</span>,
            link(a.networkInterfaceId),
            <StateBadge state={str(a.status)} />,
          ])}
        />
      </Section>,
    );
  }
  if (kind === 'vpn-connection') {
    sections.push(
      <Section key="tunnels" title="Tunnels">
        <Table
          columns={['Outside IP', 'Status', 'Since', 'Accepted routes']}
          rows={arr(rec.vgwTelemetry).map((t) => [<span className="mono">{str(t.outsideIpAddress)}</span>, <StateBadge state={str(t.status)} />, str(t.lastStatusChange), str(t.acceptedRouteCount)])}
        />
      </Section>,
    );
    sections.push(
      <Section key="routes" title="Static routes">
        <Table columns={['Destination', 'State']} rows={arr(rec.routes).map((r) => [<span className="mono">{str(r.destinationCidrBlock)}</span>, <StateBadge state={str(r.state)} />])} />
      </Section>,
    );
  }
  if (kind === 'vpc-peering-connection') {
    const side = (x: Rec | undefined) => [link(x?.vpcId), <span className="mono">{[str(x?.cidrBlock), ...arr(x?.cidrBlockSet).map((c) => str(c.cidrBlock))].filter((v, i, a) => v && a.indexOf(v) === i).join(', ')}</span>, str(x?.ownerId), str(x?.region)];
    sections.push(
      <Section key="sides" title="Peers">
        <Table columns={['Side', 'VPC', 'CIDR', 'Account', 'Region']} rows={[['Requester', ...side(rec.requesterVpcInfo)], ['Accepter', ...side(rec.accepterVpcInfo)]]} />
      </Section>,
    );
  }
  if (kind === 'vpc-endpoint') {
    sections.push(
      <Section key="rel" title="Attached to">
        <Table
          columns={['Kind', 'Resource']}
          rows={[
            ...arr<string>(rec.routeTableIdSet).map((x) => ['Route table', link(x)]),
            ...arr<string>(rec.subnetIdSet).map((x) => ['Subnet', link(x)]),
            ...arr<string>(rec.networkInterfaceIdSet).map((x) => ['Network interface', link(x)]),
            ...arr(rec.groupSet).map((g) => ['Security group', link(g.groupId)]),
          ]}
        />
      </Section>,
    );
  }
  if (kind === 'vpc') {
    sections.push(
      <Section key="cidrs" title="CIDR blocks">
        <Table
          columns={['CIDR', 'State', 'Association']}
          rows={[
            ...arr(rec.cidrBlockAssociationSet).map((c) => [<span className="mono">{str(c.cidrBlock)}</span>, <StateBadge state={str(c.cidrBlockState?.state)} />, <span className="mono">{str(c.associationId)}</span>]),
            ...arr(rec.ipv6CidrBlockAssociationSet).map((c) => [<span className="mono">{str(c.ipv6CidrBlock)}</span>, <StateBadge state={str(c.ipv6CidrBlockState?.state)} />, <span className="mono">{str(c.associationId)}</span>]),
          ]}
        />
      </Section>,
    );
  }

  const tags = tagsOf(rec);
  const state = str(rec.state ?? rec.status?.code ?? rec.instanceState?.name ?? rec.virtualInterfaceState ?? rec.status);
  return (
    <div className="details" data-testid="details">
      <div className="details-head">
        <div className="details-kind">{TITLES[kind] ?? kind}</div>
        <h2 className="mono" data-testid="details-id">
          {id}
        </h2>
        {nameTag(rec) && <div className="details-name">{nameTag(rec)}</div>}
        {typeof state === 'string' && state && <StateBadge state={state} />}
      </div>
      {sections}
      <Section title="Attributes">
        <Table columns={['Attribute', 'Value']} rows={attrs.map(([k, v]) => [k, typeof v === 'string' && /^[a-z]+-[0-9a-f]{8,17}$/.test(v) ? link(v) : <span className="mono wrap">{String(v)}</span>])} />
      </Section>
      <Section title={`Tags (${tags.length})`}>
        <Table columns={['Key', 'Value']} rows={tags.map((t) => [t.key, t.value])} empty="No tags" testId="tags" />
      </Section>
    </div>
  );
}

function Section(props: { title: ReactNode; children: ReactNode }) {
  return (
    <section className="section">
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}

function GroupList(props: { groups: Rec[]; link: (x: unknown) => ReactNode }) {
  return (
    <Section title="Security groups">
      <Table columns={['Group', 'Name']} rows={props.groups.map((g) => [props.link(g.groupId), str(g.groupName)])} />
    </Section>
  );
}

interface RuleRow {
  id: string;
  protocol: string;
  ports: string;
  peer: string;
  description: string;
}

function permissionRows(perms: Rec[]): RuleRow[] {
  const rows: RuleRow[] = [];
  for (const p of perms) {
    const base = { id: '', protocol: protocolName(p.ipProtocol), ports: portRange(p.fromPort, p.toPort, p.ipProtocol) };
    for (const r of arr(p.ipRanges)) rows.push({ ...base, peer: str(r.cidrIp), description: str(r.description) });
    for (const r of arr(p.ipv6Ranges)) rows.push({ ...base, peer: str(r.cidrIpv6), description: str(r.description) });
    for (const r of arr(p.prefixListIds)) rows.push({ ...base, peer: str(r.prefixListId), description: str(r.description) });
    for (const r of arr(p.groups)) rows.push({ ...base, peer: str(r.groupId), description: str(r.description) });
  }
  return rows;
}

function SecurityGroupRules(props: { group: Rec; session: Session; link: (x: unknown) => ReactNode }) {
  const gid = str(props.group.groupId);
  // Rule IDs come from DescribeSecurityGroupRules; until it answers, the group's own permissions.
  const [rules, setRules] = useState<Rec[] | undefined>();
  const sig = JSON.stringify([props.group.ipPermissions, props.group.ipPermissionsEgress]);
  useEffect(() => {
    let live = true;
    describeAll(props.session, 'DescribeSecurityGroupRules', 'securityGroupRuleSet', filterParams({ 'group-id': [gid] }))
      .then((r) => live && setRules(r.items))
      .catch(() => live && setRules(undefined));
    return () => {
      live = false;
    };
  }, [gid, sig, props.session]);
  const fromRules = (egress: boolean): RuleRow[] | undefined =>
    rules
      ?.filter((r) => bool(r.isEgress) === egress)
      .map((r) => ({
        id: str(r.securityGroupRuleId),
        protocol: protocolName(r.ipProtocol),
        ports: portRange(r.fromPort, r.toPort, r.ipProtocol),
        peer: str(r.cidrIpv4) || str(r.cidrIpv6) || str(r.prefixListId) || str(r.referencedGroupInfo?.groupId),
        description: str(r.description),
      }));
  const inbound = fromRules(false) ?? permissionRows(arr(props.group.ipPermissions));
  const outbound = fromRules(true) ?? permissionRows(arr(props.group.ipPermissionsEgress));
  const table = (rows: RuleRow[], dir: string) => (
    <Table
      columns={['Rule', 'Protocol', 'Port range', dir === 'in' ? 'Source' : 'Destination', 'Description']}
      rows={rows.map((r) => [<span className="mono">{r.id || '-'}</span>, r.protocol, r.ports, props.link(r.peer), r.description])}
      empty="No rules"
      testId={`sg-${dir}bound`}
    />
  );
  return (
    <>
      <Section title={`Inbound rules (${inbound.length})`}>{table(inbound, 'in')}</Section>
      <Section title={`Outbound rules (${outbound.length})`}>{table(outbound, 'out')}</Section>
    </>
  );
}

function AclEntries(props: { acl: Rec; title?: ReactNode }) {
  const entries = arr(props.acl.entrySet);
  const table = (egress: boolean) => {
    const rows = entries
      .filter((e) => bool(e.egress) === egress)
      .sort((a, b) => Number(a.ruleNumber) - Number(b.ruleNumber))
      .map((e) => [
        Number(e.ruleNumber) >= 32767 ? '*' : str(e.ruleNumber),
        protocolName(e.protocol),
        protocolName(e.protocol) === 'ICMP' ? portRange(e.icmpTypeCode?.type, e.icmpTypeCode?.code, 'icmp') : portRange(e.portRange?.from, e.portRange?.to, e.protocol),
        <span className="mono">{str(e.cidrBlock) || str(e.ipv6CidrBlock)}</span>,
        <span className={str(e.ruleAction) === 'allow' ? 'allow' : 'deny'}>{str(e.ruleAction) === 'allow' ? 'Allow' : 'Deny'}</span>,
      ]);
    return <Table columns={['Rule #', 'Protocol', 'Port range', egress ? 'Destination' : 'Source', 'Allow/Deny']} rows={rows} testId={`acl-${egress ? 'out' : 'in'}bound`} />;
  };
  return (
    <>
      {props.title && <h3 className="section-title">{props.title}</h3>}
      <Section title="Inbound rules">{table(false)}</Section>
      <Section title="Outbound rules">{table(true)}</Section>
    </>
  );
}

function RouteRows(props: { table: Rec; link: (x: unknown) => ReactNode }) {
  return (
    <Table
      columns={['Destination', 'Target', 'Status', 'Propagated']}
      rows={arr(props.table.routeSet).map((r) => [
        <span className="mono">{routeDestination(r)}</span>,
        routeTarget(r) === 'local' ? 'local' : props.link(routeTarget(r)),
        <StateBadge state={str(r.state)} />,
        str(r.origin) === 'EnableVgwRoutePropagation' ? 'Yes' : 'No',
      ])}
      testId="routes"
    />
  );
}

function Routes(props: { table: Rec; link: (x: unknown) => ReactNode }) {
  return (
    <Section title={`Routes (${arr(props.table.routeSet).length})`}>
      <RouteRows {...props} />
    </Section>
  );
}
