/**
 * `vpcsim import`: a real account's describe-* export (test/fixtures/aws-export) loaded into a
 * data directory by the command line, then served: the Describe* calls answer the exported
 * resources, and traces and Reachability Analyzer paths run on them. Broken exports write
 * nothing; the collect script is run against a stand-in `aws` that prints canned JSON.
 */
import {
  AllocateAddressCommand,
  AcceptVpcPeeringConnectionCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AttachVpnGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateCustomerGatewayCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnConnectionCommand,
  CreateVpnConnectionRouteCommand,
  CreateVpnGatewayCommand,
  DescribeDhcpOptionsCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
  RunInstancesCommand,
  CreateNetworkInsightsPathCommand,
  DescribeAddressesCommand,
  DescribeCustomerGatewaysCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInsightsAnalysesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  DescribeVpnConnectionsCommand,
  DescribeVpnGatewaysCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  type IpPermission,
  StartInstancesCommand,
  StartNetworkInsightsAnalysisCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqlitePersistence } from '../src/state/sqlite.js';
import { AWS } from './cli.js';
import { startTestServer, tempDir, type TestServer } from './helpers.js';
import { checkIntegrity } from './integrity.js';
import { createTestDatabase, TEST_POSTGRES_URL } from './pg.js';
import { spawnServer } from './process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'vpcsim.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'aws-export');
const COLLECT = join(ROOT, 'scripts', 'collect-aws-network.sh');
const ACCOUNT = '111122223333';

// The fixture is read as the CLI printed it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function fixture(region: string, file: string): Json {
  return JSON.parse(readFileSync(join(FIXTURE, region, file), 'utf8'));
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a shell script with exactly this environment (plus PATH). */
function run_(script: string, args: string[], env: Record<string, string>) {
  return run('/bin/sh', [script, ...args], env);
}

function vpcsim(args: string[]) {
  return run(process.execPath, [BIN, ...args]);
}

/** Every record a data directory holds (empty when nothing was ever written). */
function storedRecords(dataDir: string): number {
  if (!existsSync(join(dataDir, 'vpcsim.sqlite3'))) return 0;
  const p = new SqlitePersistence(dataDir);
  try {
    return [...p.load()].length;
  } finally {
    p.close();
  }
}

function pick(obj: Json, fields: string[]): Json {
  const out: Json = {};
  for (const f of fields) if (obj?.[f] !== undefined) out[f] = obj[f];
  return out;
}

/** Dates the SDK parsed, back to the instant (the fixture's strings and the SDK's Dates compare). */
function iso(v: unknown): string | undefined {
  return v === undefined ? undefined : new Date(v as string).toISOString();
}

/** Security group permissions, order-free: one line per (protocol, ports, peer). */
function flatten(perms: IpPermission[] | undefined): string[] {
  const out: string[] = [];
  for (const p of perms ?? []) {
    const head = `${p.IpProtocol} ${p.FromPort ?? ''}-${p.ToPort ?? ''}`;
    for (const r of p.IpRanges ?? []) out.push(`${head} ${r.CidrIp} ${r.Description ?? ''}`);
    for (const r of p.Ipv6Ranges ?? []) out.push(`${head} ${r.CidrIpv6} ${r.Description ?? ''}`);
    for (const r of p.PrefixListIds ?? []) out.push(`${head} ${r.PrefixListId} ${r.Description ?? ''}`);
    for (const r of p.UserIdGroupPairs ?? []) out.push(`${head} ${r.UserId}/${r.GroupId} ${r.Description ?? ''}`);
  }
  return out.sort();
}

async function trace(endpoint: string, body: Record<string, unknown>): Promise<Json> {
  const r = await fetch(`${endpoint}/_vpcsim/trace`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await r.json();
  assert.equal(r.status, 200, JSON.stringify(json));
  return json;
}

describe('vpcsim import of a real account export', () => {
  let dataDir = '';
  let srv: TestServer;
  let east: EC2Client;
  let west: EC2Client;
  let imported = { stdout: '', stderr: '' };

  before(async () => {
    dataDir = tempDir('vpcsim-import-');
    const r = await vpcsim(['import', FIXTURE, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    imported = r;
    srv = await startTestServer({ dataDir, stateTransitionMs: 0 });
    east = srv.ec2({ accessKeyId: ACCOUNT, region: 'us-east-1' });
    west = srv.ec2({ accessKeyId: ACCOUNT, region: 'us-west-2' });
  });

  after(async () => {
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports what it imported, per account and region, and what the export left out', () => {
    assert.match(imported.stdout, /imported account 111122223333 us-east-1: 1 vpc, 3 subnets, 3 route-tables, 2 network-acls, 5 security-groups, 13 security-group-rules, 6 network-interfaces, 4 instances, 1 internet-gateway, 1 egress-only-internet-gateway, 2 nat-gateways/);
    assert.match(imported.stdout, /imported account 111122223333 us-west-2: 1 vpc, 1 subnet, 1 route-table/);
    assert.match(imported.stderr, /warning: 111122223333\/us-west-2: DHCP options set dopt-0b00000000000aaaa is not in the export/);
  });

  it('the state is sound: one main table, default ACL and group per VPC, address books that match the interfaces', () => {
    assert.deepEqual(checkIntegrity(srv.app.store), []);
  });

  it('the global registries hold the account’s public addresses and the peering connection', () => {
    const ips = srv.app.store.table('global/global', 'public-ip')!;
    for (const ip of ['3.93.20.30', '3.93.20.31', '52.0.100.10', '34.200.1.1', '34.200.1.2']) {
      assert.deepEqual(ips.get(ip), { ip, account: ACCOUNT, region: 'us-east-1' }, ip);
    }
    const pcx = srv.app.store.table('global/global', 'vpc-peering-connection')!.get('pcx-0a00000000000ab01') as Json;
    assert.deepEqual(pcx._requester, { account: ACCOUNT, region: 'us-east-1', vpcId: 'vpc-0a1b2c3d4e5f60718' });
    assert.deepEqual(pcx._accepter, { account: ACCOUNT, region: 'us-west-2', vpcId: 'vpc-0b1b2c3d4e5f60718' });
  });

  it('DescribeVpcs: the exported VPCs, and no default VPC of vpcsim’s own', async () => {
    for (const [client, region] of [
      [east, 'us-east-1'],
      [west, 'us-west-2'],
    ] as const) {
      const { Vpcs } = await client.send(new DescribeVpcsCommand({}));
      const want = fixture(region, 'describe-vpcs.json').Vpcs;
      const fields = ['VpcId', 'CidrBlock', 'CidrBlockAssociationSet', 'IsDefault', 'State', 'OwnerId', 'DhcpOptionsId', 'InstanceTenancy', 'Tags'];
      assert.deepEqual(
        Vpcs!.map((v) => pick(v, fields)),
        want.map((v: Json) => pick(v, fields)),
      );
    }
    const { EnableDnsHostnames } = await east.send(new DescribeVpcAttributeCommand({ VpcId: 'vpc-0a1b2c3d4e5f60718', Attribute: 'enableDnsHostnames' }));
    assert.equal(EnableDnsHostnames!.Value, true);
    const west2 = await west.send(new DescribeVpcAttributeCommand({ VpcId: 'vpc-0b1b2c3d4e5f60718', Attribute: 'enableDnsHostnames' }));
    assert.equal(west2.EnableDnsHostnames!.Value, false);
  });

  it('DescribeSubnets: the exported subnets with their free-address counts', async () => {
    const { Subnets } = await east.send(new DescribeSubnetsCommand({}));
    const fields = ['SubnetId', 'VpcId', 'CidrBlock', 'AvailabilityZone', 'AvailabilityZoneId', 'AvailableIpAddressCount', 'MapPublicIpOnLaunch', 'DefaultForAz', 'State', 'OwnerId', 'SubnetArn', 'Tags'];
    assert.deepEqual(
      Subnets!.map((s) => pick(s, fields)),
      fixture('us-east-1', 'describe-subnets.json').Subnets.map((s: Json) => pick(s, fields)),
    );
    // Filters work on imported records as on any others.
    const named = await east.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Name', Values: ['prod-app-*'] }] }));
    assert.deepEqual(named.Subnets!.map((s) => s.SubnetId), ['subnet-0a00000000000a002']);
    const { NetworkInterfaces } = await east.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: ['i-0a00000000000b0e3'] }] }),
    );
    assert.deepEqual(NetworkInterfaces!.map((e) => e.NetworkInterfaceId), ['eni-0a00000000000e003']);
  });

  it('DescribeRouteTables: routes, states (blackhole to a deleted NAT gateway, routes the VPN propagates) and associations', async () => {
    const { RouteTables } = await east.send(new DescribeRouteTablesCommand({}));
    const want = fixture('us-east-1', 'describe-route-tables.json').RouteTables;
    assert.deepEqual(RouteTables!.map((t) => t.RouteTableId).sort(), want.map((t: Json) => t.RouteTableId).sort());
    const routeKey = (r: Json) =>
      [r.DestinationCidrBlock ?? r.DestinationPrefixListId, r.GatewayId ?? r.NatGatewayId ?? r.VpcPeeringConnectionId, r.Origin, r.State].join(' ');
    for (const w of want) {
      const got = RouteTables!.find((t) => t.RouteTableId === w.RouteTableId)!;
      assert.deepEqual(got.Routes!.map(routeKey).sort(), w.Routes.map(routeKey).sort(), w.RouteTableId);
      assert.deepEqual(got.Associations, w.Associations);
      assert.deepEqual(got.PropagatingVgws, w.PropagatingVgws);
      assert.deepEqual(got.Tags, w.Tags);
    }
    const priv = RouteTables!.find((t) => t.RouteTableId === 'rtb-0a00000000000f002')!;
    assert.equal(priv.Routes!.find((r) => r.DestinationCidrBlock === '172.16.0.0/16')!.State, 'blackhole');
    assert.equal(priv.Routes!.find((r) => r.DestinationCidrBlock === '192.168.0.0/16')!.Origin, 'EnableVgwRoutePropagation');
  });

  it('DescribeSecurityGroups and DescribeSecurityGroupRules: the groups, their permissions and the rules with their IDs', async () => {
    const { SecurityGroups } = await east.send(new DescribeSecurityGroupsCommand({}));
    const want = fixture('us-east-1', 'describe-security-groups.json').SecurityGroups;
    assert.equal(SecurityGroups!.length, want.length);
    for (const w of want) {
      const got = SecurityGroups!.find((g) => g.GroupId === w.GroupId)!;
      assert.deepEqual(pick(got, ['GroupName', 'Description', 'VpcId', 'OwnerId', 'SecurityGroupArn']), pick(w, ['GroupName', 'Description', 'VpcId', 'OwnerId', 'SecurityGroupArn']));
      assert.deepEqual(got.Tags ?? [], w.Tags);
      assert.deepEqual(flatten(got.IpPermissions), flatten(w.IpPermissions), `${w.GroupId} ingress`);
      assert.deepEqual(flatten(got.IpPermissionsEgress), flatten(w.IpPermissionsEgress), `${w.GroupId} egress`);
    }
    const { SecurityGroupRules } = await east.send(new DescribeSecurityGroupRulesCommand({}));
    const rules = fixture('us-east-1', 'describe-security-group-rules.json').SecurityGroupRules;
    const fields = ['SecurityGroupRuleId', 'GroupId', 'GroupOwnerId', 'IsEgress', 'IpProtocol', 'FromPort', 'ToPort', 'CidrIpv4', 'PrefixListId', 'ReferencedGroupInfo', 'Description', 'SecurityGroupRuleArn'];
    const byId = (a: Json, b: Json) => a.SecurityGroupRuleId.localeCompare(b.SecurityGroupRuleId);
    assert.deepEqual(
      SecurityGroupRules!.map((r) => pick(r, fields)).sort(byId),
      rules.map((r: Json) => pick(r, fields)).sort(byId),
    );
    // Without describe-security-group-rules (us-west-2), rules are made from the permissions.
    const westRules = await west.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: ['sg-0b00000000000a0d1'] }] }));
    assert.deepEqual(
      westRules.SecurityGroupRules!.map((r) => `${r.IsEgress} ${r.IpProtocol} ${r.FromPort} ${r.CidrIpv4}`).sort(),
      ['false tcp 443 10.0.0.0/16', 'true -1 -1 0.0.0.0/0'],
    );
    for (const r of westRules.SecurityGroupRules!) assert.match(r.SecurityGroupRuleId!, /^sgr-[0-9a-f]{17}$/);
  });

  it('DescribeNetworkAcls: entries and subnet associations', async () => {
    const { NetworkAcls } = await east.send(new DescribeNetworkAclsCommand({}));
    const want = fixture('us-east-1', 'describe-network-acls.json').NetworkAcls;
    const fields = ['NetworkAclId', 'VpcId', 'IsDefault', 'OwnerId', 'Entries'];
    assert.deepEqual(
      NetworkAcls!.map((a) => ({ ...pick(a, fields), Associations: a.Associations, Tags: a.Tags ?? [] })),
      want.map((a: Json) => ({ ...pick(a, fields), Associations: a.Associations, Tags: a.Tags })),
    );
  });

  it('DescribeNetworkInterfaces: addresses, Elastic IP associations, attachments, requester-managed interfaces', async () => {
    const { NetworkInterfaces } = await east.send(new DescribeNetworkInterfacesCommand({}));
    const want = fixture('us-east-1', 'describe-network-interfaces.json').NetworkInterfaces;
    assert.deepEqual(NetworkInterfaces!.map((e) => e.NetworkInterfaceId).sort(), want.map((e: Json) => e.NetworkInterfaceId).sort());
    for (const w of want) {
      const got = NetworkInterfaces!.find((e) => e.NetworkInterfaceId === w.NetworkInterfaceId)!;
      const fields = ['SubnetId', 'VpcId', 'PrivateIpAddress', 'PrivateDnsName', 'Groups', 'InterfaceType', 'MacAddress', 'RequesterManaged', 'SourceDestCheck', 'Status', 'Description', 'Association', 'OwnerId'];
      assert.deepEqual(pick(got, fields), pick(w, fields), w.NetworkInterfaceId);
      assert.deepEqual(got.PrivateIpAddresses, w.PrivateIpAddresses);
      assert.equal(got.Attachment?.InstanceId, w.Attachment?.InstanceId);
      assert.equal(got.Attachment?.AttachmentId, w.Attachment?.AttachmentId);
      assert.equal(iso(got.Attachment?.AttachTime), iso(w.Attachment?.AttachTime));
    }
  });

  it('DescribeInstances: states, addresses and groups as the export shows them', async () => {
    const { Reservations } = await east.send(new DescribeInstancesCommand({}));
    const want = fixture('us-east-1', 'describe-instances.json').Reservations;
    assert.deepEqual(Reservations!.map((r) => r.ReservationId).sort(), want.map((r: Json) => r.ReservationId).sort());
    const fields = ['InstanceId', 'InstanceType', 'ImageId', 'State', 'SubnetId', 'VpcId', 'PrivateIpAddress', 'PrivateDnsName', 'PublicIpAddress', 'PublicDnsName', 'SecurityGroups', 'Tags', 'KeyName', 'Placement', 'StateTransitionReason', 'StateReason'];
    for (const wr of want) {
      const gr = Reservations!.find((r) => r.ReservationId === wr.ReservationId)!;
      for (const w of wr.Instances) {
        const got = gr.Instances!.find((i) => i.InstanceId === w.InstanceId)!;
        assert.deepEqual(pick(got, fields), pick(w, fields), w.InstanceId);
        assert.equal(iso(got.LaunchTime), iso(w.LaunchTime));
        assert.deepEqual(got.NetworkInterfaces!.map((n) => n.NetworkInterfaceId), w.NetworkInterfaces.map((n: Json) => n.NetworkInterfaceId));
      }
    }
  });

  it('DescribeNatGateways, DescribeAddresses, DescribeInternetGateways: gateways and Elastic IPs', async () => {
    const { NatGateways } = await east.send(new DescribeNatGatewaysCommand({}));
    const wantNat = fixture('us-east-1', 'describe-nat-gateways.json').NatGateways;
    const natFields = ['NatGatewayId', 'State', 'SubnetId', 'VpcId', 'ConnectivityType', 'NatGatewayAddresses', 'Tags'];
    assert.deepEqual(
      NatGateways!.map((n) => pick(n, natFields)).sort((a: Json, b: Json) => a.NatGatewayId.localeCompare(b.NatGatewayId)),
      wantNat.map((n: Json) => pick(n, natFields)).sort((a: Json, b: Json) => a.NatGatewayId.localeCompare(b.NatGatewayId)),
    );
    const { Addresses } = await east.send(new DescribeAddressesCommand({}));
    const addrFields = ['AllocationId', 'PublicIp', 'AssociationId', 'NetworkInterfaceId', 'NetworkInterfaceOwnerId', 'PrivateIpAddress', 'InstanceId', 'Domain', 'NetworkBorderGroup', 'PublicIpv4Pool'];
    assert.deepEqual(
      Addresses!.map((a) => pick(a, addrFields)),
      fixture('us-east-1', 'describe-addresses.json').Addresses.map((a: Json) => pick(a, addrFields)),
    );
    const { InternetGateways } = await east.send(new DescribeInternetGatewaysCommand({}));
    assert.deepEqual(InternetGateways, fixture('us-east-1', 'describe-internet-gateways.json').InternetGateways);
  });

  it('DescribeVpcEndpoints: the gateway endpoint routes to the region’s S3 prefix list, the interface endpoint keeps its DNS names', async () => {
    const { VpcEndpoints } = await east.send(new DescribeVpcEndpointsCommand({}));
    const want = fixture('us-east-1', 'describe-vpc-endpoints.json').VpcEndpoints;
    const fields = ['VpcEndpointId', 'VpcEndpointType', 'VpcId', 'ServiceName', 'State', 'RouteTableIds', 'SubnetIds', 'Groups', 'NetworkInterfaceIds', 'PrivateDnsEnabled', 'Tags', 'OwnerId'];
    assert.deepEqual(
      VpcEndpoints!.map((e) => pick(e, fields)),
      want.map((e: Json) => pick(e, fields)),
    );
    const ssm = VpcEndpoints!.find((e) => e.VpcEndpointType === 'Interface')!;
    assert.deepEqual(
      ssm.DnsEntries!.map((d) => d.DnsName).sort(),
      want[1].DnsEntries.map((d: Json) => d.DnsName).sort(),
    );
  });

  it('DescribeVpcPeeringConnections: one connection, seen from both regions with each side’s tags', async () => {
    for (const [client, tag] of [
      [east, 'prod-to-shared'],
      [west, 'shared-from-prod'],
    ] as const) {
      const { VpcPeeringConnections } = await client.send(new DescribeVpcPeeringConnectionsCommand({}));
      assert.equal(VpcPeeringConnections!.length, 1);
      const p = VpcPeeringConnections![0]!;
      assert.equal(p.VpcPeeringConnectionId, 'pcx-0a00000000000ab01');
      assert.deepEqual(p.Status, { Code: 'active', Message: 'Active' });
      assert.equal(p.RequesterVpcInfo!.VpcId, 'vpc-0a1b2c3d4e5f60718');
      assert.equal(p.AccepterVpcInfo!.Region, 'us-west-2');
      assert.equal(p.AccepterVpcInfo!.CidrBlock, '10.1.0.0/16');
      assert.deepEqual(p.Tags, [{ Key: 'Name', Value: tag }]);
    }
  });

  it('site-to-site VPN and customer-managed prefix lists', async () => {
    const { VpnGateways } = await east.send(new DescribeVpnGatewaysCommand({}));
    assert.deepEqual(
      VpnGateways!.map((g) => pick(g, ['VpnGatewayId', 'State', 'VpcAttachments', 'AmazonSideAsn', 'Tags'])),
      fixture('us-east-1', 'describe-vpn-gateways.json').VpnGateways.map((g: Json) => pick(g, ['VpnGatewayId', 'State', 'VpcAttachments', 'AmazonSideAsn', 'Tags'])),
    );
    const { CustomerGateways } = await east.send(new DescribeCustomerGatewaysCommand({}));
    assert.deepEqual(CustomerGateways!.map((g) => [g.CustomerGatewayId, g.IpAddress, g.BgpAsn]), [['cgw-0a00000000000cd02', '198.51.100.10', '65000']]);
    const { VpnConnections } = await east.send(new DescribeVpnConnectionsCommand({}));
    assert.equal(VpnConnections!.length, 1);
    assert.deepEqual(VpnConnections![0]!.Routes, [{ DestinationCidrBlock: '192.168.0.0/16', Source: 'Static', State: 'available' }]);
    assert.deepEqual(VpnConnections![0]!.VgwTelemetry!.map((t) => [t.OutsideIpAddress, t.Status]), [
      ['34.200.1.1', 'UP'],
      ['34.200.1.2', 'DOWN'],
    ]);
    const { PrefixLists } = await east.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'owner-id', Values: [ACCOUNT] }] }));
    assert.deepEqual(PrefixLists!.map((l) => [l.PrefixListId, l.PrefixListName, l.MaxEntries, l.Version]), [['pl-0a00000000000a0f1', 'office-networks', 10, 2]]);
    const { Entries } = await east.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: 'pl-0a00000000000a0f1' }));
    assert.deepEqual(Entries, fixture('us-east-1', 'get-managed-prefix-list-entries-pl-0a00000000000a0f1.json').Entries);
  });

  it('trace: the public web instance answers the internet on 443 through its Elastic IP; the database does not', async () => {
    const web = await trace(srv.endpoint, { source: 'internet:198.18.0.1', destination: '3.93.20.30', protocol: 'tcp', port: 443 });
    assert.equal(web.verdict, 'accepted');
    assert.equal(web.destination?.networkInterfaceId ?? web.hops.at(-2)?.component?.id, 'eni-0a00000000000e001');
    const ssh = await trace(srv.endpoint, { source: 'internet:192.0.2.1', destination: '3.93.20.30', protocol: 'tcp', port: 22 });
    assert.notEqual(ssh.verdict, 'accepted', 'SSH only from the office prefix list');
    const office = await trace(srv.endpoint, { source: 'internet:203.0.113.9', destination: '3.93.20.30', protocol: 'tcp', port: 22 });
    assert.equal(office.verdict, 'accepted', 'the office prefix list (imported entries) allows SSH');
    const db = await trace(srv.endpoint, { source: 'internet:198.18.0.1', destination: '10.0.3.40', protocol: 'tcp', port: 5432 });
    assert.notEqual(db.verdict, 'accepted');
    assert.ok(db.explanations.some((e: Json) => e.explanationCode === 'IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS'), JSON.stringify(db.explanations));
  });

  it('trace: web reaches the database on 5432; the app tier is stopped by the data subnet’s network ACL', async () => {
    const ok = await trace(srv.endpoint, { source: 'i-0a00000000000b0e1', destination: 'i-0a00000000000b0e3', protocol: 'tcp', port: 5432 });
    assert.equal(ok.verdict, 'accepted');
    const blocked = await trace(srv.endpoint, { source: 'i-0a00000000000b0e2', destination: 'i-0a00000000000b0e3', protocol: 'tcp', port: 5432 });
    assert.notEqual(blocked.verdict, 'accepted');
    const acl = blocked.explanations.find((e: Json) => e.component?.id === 'acl-0a00000000000a0a1');
    assert.ok(acl, JSON.stringify(blocked.explanations));
    assert.equal(acl.aclRule.ruleNumber, 105);
  });

  it('trace: NAT egress, peering to the other region, the VPN, and the route to a deleted NAT gateway', async () => {
    const out = await trace(srv.endpoint, { source: 'i-0a00000000000b0e2', destination: '8.8.8.8', protocol: 'tcp', port: 443 });
    assert.equal(out.verdict, 'accepted');
    assert.ok(out.hops.some((h: Json) => h.component.id === 'nat-0a00000000000c001'), 'through the NAT gateway');
    const peer = await trace(srv.endpoint, { source: 'i-0a00000000000b0e1', destination: 'i-0b00000000000b0e1', protocol: 'tcp', port: 443 });
    assert.equal(peer.verdict, 'accepted');
    assert.ok(peer.hops.some((h: Json) => h.component.id === 'pcx-0a00000000000ab01'), 'over the peering connection');
    const onprem = await trace(srv.endpoint, { source: 'i-0a00000000000b0e2', destination: '192.168.1.5', protocol: 'tcp', port: 443 });
    assert.equal(onprem.verdict, 'accepted');
    assert.ok(onprem.hops.some((h: Json) => h.component.id === 'vgw-0a00000000000cd01'), 'through the virtual private gateway');
    const dead = await trace(srv.endpoint, { source: 'i-0a00000000000b0e2', destination: '172.16.1.5', protocol: 'tcp', port: 443 });
    assert.notEqual(dead.verdict, 'accepted');
    assert.ok(dead.explanations.some((e: Json) => e.component.id === 'rtb-0a00000000000f002'), JSON.stringify(dead.explanations));
  });

  it('trace over IPv6: out through the egress-only internet gateway, nothing in', async () => {
    const out = await trace(srv.endpoint, { source: 'i-0a00000000000b0e2', destination: '2600:9000::1', protocol: 'tcp', port: 443 });
    assert.equal(out.verdict, 'accepted', JSON.stringify(out.explanations));
    assert.ok(out.hops.some((h: Json) => h.component.id === 'eigw-0a00000000000b002'), 'through the egress-only internet gateway');
    const inbound = await trace(srv.endpoint, { source: 'internet:2600:9000::1', destination: '2600:1f18:1234:5602::30', protocol: 'tcp', port: 443 });
    assert.notEqual(inbound.verdict, 'accepted');
  });

  it('vpcsim trace on the command line against the imported state', async () => {
    const r = await vpcsim(['trace', '--endpoint', srv.endpoint, '--from', 'i-0a00000000000b0e2', '--to', 'i-0a00000000000b0e3', '--port', '5432']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /acl-0a00000000000a0a1/);
    const ok = await vpcsim(['trace', '--endpoint', srv.endpoint, '--from', 'i-0a00000000000b0e1', '--to', 'i-0a00000000000b0e3', '--port', '5432']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });

  it('Reachability Analyzer: paths between imported resources', async () => {
    const analyse = async (input: { Source: string; Destination: string; DestinationPort: number }) => {
      const { NetworkInsightsPath } = await east.send(new CreateNetworkInsightsPathCommand({ ...input, Protocol: 'tcp' }));
      const { NetworkInsightsAnalysis } = await east.send(
        new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: NetworkInsightsPath!.NetworkInsightsPathId }),
      );
      const { NetworkInsightsAnalyses } = await east.send(
        new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [NetworkInsightsAnalysis!.NetworkInsightsAnalysisId!] }),
      );
      const a = NetworkInsightsAnalyses![0]!;
      assert.equal(a.Status, 'succeeded', a.StatusMessage);
      return a;
    };
    const web = await analyse({ Source: 'igw-0a00000000000b001', Destination: 'i-0a00000000000b0e1', DestinationPort: 443 });
    assert.equal(web.NetworkPathFound, true);
    assert.ok(web.ForwardPathComponents!.some((c) => c.Component?.Id === 'eni-0a00000000000e001'));
    const db = await analyse({ Source: 'i-0a00000000000b0e2', Destination: 'i-0a00000000000b0e3', DestinationPort: 5432 });
    assert.equal(db.NetworkPathFound, false);
    assert.ok(db.Explanations!.some((e) => e.ExplanationCode === 'SUBNET_ACL_RESTRICTION' || e.Acl?.Id === 'acl-0a00000000000a0a1'), JSON.stringify(db.Explanations));
  });

  it('the imported state is live: the stopped bastion starts and gets a public address, as its subnet gives at launch', async () => {
    const { StartingInstances } = await east.send(new StartInstancesCommand({ InstanceIds: ['i-0a00000000000b0e4'] }));
    assert.equal(StartingInstances![0]!.PreviousState!.Name, 'stopped');
    const { Reservations } = await east.send(new DescribeInstancesCommand({ InstanceIds: ['i-0a00000000000b0e4'] }));
    const bastion = Reservations![0]!.Instances![0]!;
    assert.equal(bastion.State!.Name, 'running');
    assert.match(bastion.PublicIpAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(bastion.PrivateIpAddress, '10.0.1.21');
  });
});

describe('vpcsim import: what it refuses and what it fills in', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('vpcsim-import-');
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of the fixture with one file replaced. */
  function brokenCopy(region: string, file: string, edit: (body: Json) => Json): string {
    const copy = join(dir(), 'export');
    cpSync(FIXTURE, copy, { recursive: true });
    const path = join(copy, region, file);
    writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')))));
    return copy;
  }

  it('a malformed item: the error names the file and the item, and nothing is written', async () => {
    const copy = brokenCopy('us-east-1', 'describe-subnets.json', (b) => {
      b.Subnets[1].CidrBlock = '10.0.2.0/33';
      return b;
    });
    const data = dir();
    const r = await vpcsim(['import', copy, '--data-dir', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /us-east-1\/describe-subnets\.json: subnet-0a00000000000a002: CidrBlock '10\.0\.2\.0\/33' is not a valid CIDR block/);
    assert.match(r.stderr, /nothing was imported/);
    assert.equal(storedRecords(data), 0);
  });

  it('an error late in the import (the second region) leaves the first region unwritten too', async () => {
    const copy = brokenCopy('us-west-2', 'describe-instances.json', (b) => {
      b.Reservations[0].Instances[0].SubnetId = 'subnet-0b0000000000ffff1';
      return b;
    });
    const data = dir();
    const r = await vpcsim(['import', copy, '--data-dir', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /us-west-2\/describe-instances\.json: i-0b00000000000b0e1: its subnet subnet-0b0000000000ffff1 is not in the export/);
    assert.equal(storedRecords(data), 0);
  });

  it('a file of unknown shape, and a file that is not JSON, are errors', async () => {
    const data = dir();
    const unknown = brokenCopy('us-east-1', 'describe-vpcs.json', () => ({ Buckets: [] }));
    const r = await vpcsim(['import', unknown, '--data-dir', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /describe-vpcs\.json: unknown JSON shape: 'Buckets' is not a list vpcsim imports/);
    const notJson = join(dir(), 'export');
    cpSync(FIXTURE, notJson, { recursive: true });
    writeFileSync(join(notJson, 'us-east-1', 'describe-addresses.json'), '{"Addresses": [');
    const r2 = await vpcsim(['import', notJson, '--data-dir', data]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /us-east-1\/describe-addresses\.json: not valid JSON/);
    assert.equal(storedRecords(data), 0);
  });

  it('--check reports what would be imported and writes nothing; it fails like an import on a broken export', async () => {
    const data = dir();
    const r = await vpcsim(['import', FIXTURE, '--data-dir', data, '--check']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would import account 111122223333 us-east-1: 1 vpc, 3 subnets/);
    assert.match(r.stdout, /checked: nothing was written/);
    assert.equal(storedRecords(data), 0);
    const broken = brokenCopy('us-east-1', 'describe-route-tables.json', (b) => {
      delete b.RouteTables[1].Routes[3].GatewayId;
      return b;
    });
    const r2 = await vpcsim(['import', broken, '--data-dir', data, '--check']);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /describe-route-tables\.json: rtb-0a00000000000f001: the route to 0\.0\.0\.0\/0 has no target/);
  });

  it('a second import of the same account and region needs --replace, which replaces instead of adding', async () => {
    const data = dir();
    assert.equal((await vpcsim(['import', FIXTURE, '--data-dir', data, '--quiet'])).code, 0);
    const first = storedRecords(data);
    const again = await vpcsim(['import', FIXTURE, '--data-dir', data]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /account 111122223333 in us-east-1 already has state in this store; pass --replace/);
    assert.equal(storedRecords(data), first);
    const replaced = await vpcsim(['import', FIXTURE, '--data-dir', data, '--replace', '--quiet']);
    assert.equal(replaced.code, 0, replaced.stderr);
    // Rules made from permissions get new IDs, the rest is the same: as many records as before.
    assert.equal(storedRecords(data), first);
  });

  it('missing files are skipped: a VPC alone gets its main route table, default ACL and default group', async () => {
    const only = join(dir(), 'export');
    mkdirSync(join(only, 'eu-west-1'), { recursive: true });
    writeFileSync(
      join(only, 'eu-west-1', 'describe-vpcs.json'),
      JSON.stringify({
        Vpcs: [{ OwnerId: '444455556666', CidrBlock: '172.20.0.0/16', VpcId: 'vpc-0c1b2c3d4e5f60718', State: 'available', IsDefault: false, DhcpOptionsId: 'default' }],
      }),
    );
    writeFileSync(
      join(only, 'eu-west-1', 'describe-subnets.json'),
      JSON.stringify({ Subnets: [{ SubnetId: 'subnet-0c00000000000a001', VpcId: 'vpc-0c1b2c3d4e5f60718', CidrBlock: '172.20.1.0/24', AvailabilityZone: 'eu-west-1a', AvailableIpAddressCount: 251, State: 'available' }] }),
    );
    const data = dir();
    const r = await vpcsim(['import', only, '--data-dir', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported account 444455556666 eu-west-1: 1 vpc, 1 subnet, 1 route-table, 1 network-acl, 1 security-group, 2 security-group-rules/);
    assert.match(r.stderr, /VPC vpc-0c1b2c3d4e5f60718 has no main route table in the export/);
    const srv = await startTestServer({ dataDir: data, stateTransitionMs: 0 });
    try {
      assert.deepEqual(checkIntegrity(srv.app.store), []);
      const ec2 = srv.ec2({ accessKeyId: '444455556666', region: 'eu-west-1' });
      const { Vpcs } = await ec2.send(new DescribeVpcsCommand({}));
      assert.deepEqual(Vpcs!.map((v) => v.VpcId), ['vpc-0c1b2c3d4e5f60718'], 'the imported VPC and no default VPC');
      const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({}));
      assert.equal(RouteTables![0]!.Associations![0]!.Main, true);
      assert.deepEqual(RouteTables![0]!.Routes!.map((x) => `${x.DestinationCidrBlock} ${x.GatewayId}`), ['172.20.0.0/16 local']);
      // Another region of the same account is a new one: it gets its default VPC as usual.
      const other = await srv.ec2({ accessKeyId: '444455556666', region: 'eu-west-2' }).send(new DescribeVpcsCommand({}));
      assert.equal(other.Vpcs!.filter((v) => v.IsDefault).length, 1);
    } finally {
      await srv.close();
    }
  });

  it('Batfish’s layout (aws_configs/<region>/Vpcs.json …) reads too; --account names the account of an export without one', async () => {
    const batfish = join(dir(), 'snapshot');
    mkdirSync(join(batfish, 'aws_configs', 'us-west-2'), { recursive: true });
    const names: Record<string, string> = {
      'describe-vpcs.json': 'Vpcs.json',
      'describe-subnets.json': 'Subnets.json',
      'describe-route-tables.json': 'RouteTables.json',
      'describe-network-acls.json': 'NetworkAcls.json',
      'describe-security-groups.json': 'SecurityGroups.json',
      'describe-network-interfaces.json': 'NetworkInterfaces.json',
      'describe-instances.json': 'Reservations.json',
    };
    for (const [from, to] of Object.entries(names)) cpSync(join(FIXTURE, 'us-west-2', from), join(batfish, 'aws_configs', 'us-west-2', to));
    const data = dir();
    const r = await vpcsim(['import', batfish, '--data-dir', data, '--account', '555566667777']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported account 555566667777 us-west-2: 1 vpc, 1 subnet, 1 route-table, 1 network-acl, 2 security-groups, 4 security-group-rules, 1 network-interface, 1 instance/);
    const srv = await startTestServer({ dataDir: data, stateTransitionMs: 0 });
    try {
      const { Reservations } = await srv.ec2({ accessKeyId: '555566667777', region: 'us-west-2' }).send(new DescribeInstancesCommand({}));
      assert.deepEqual(Reservations!.flatMap((x) => x.Instances!.map((i) => [i.InstanceId, i.PrivateIpAddress, i.State!.Name])), [['i-0b00000000000b0e1', '10.1.1.10', 'running']]);
      const other = await srv.ec2({ accessKeyId: ACCOUNT, region: 'us-west-2' }).send(new DescribeInstancesCommand({}));
      assert.deepEqual(other.Reservations, [], 'the export’s own OwnerIds do not decide the account when --account is given');
    } finally {
      await srv.close();
    }
  });

  it('usage errors: no folder, a folder that is not a region', async () => {
    const r = await vpcsim(['import']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the export folder is missing/);
    const bad = join(dir(), 'export');
    mkdirSync(join(bad, 'prod-stuff'), { recursive: true });
    const r2 = await vpcsim(['import', bad, '--data-dir', dir()]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /prod-stuff: not a region name/);
    const flat = join(dir(), 'export');
    mkdirSync(flat);
    cpSync(join(FIXTURE, 'us-west-2', 'describe-vpcs.json'), join(flat, 'describe-vpcs.json'));
    const r3 = await vpcsim(['import', flat, '--data-dir', dir()]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /describe-vpcs\.json: outside a region folder/);
  });
});

describe('vpcsim serve --import', () => {
  it('serves an export from memory, and from a data directory where a restart with the same flag replaces it', async () => {
    const mem = await spawnServer(['--in-memory', '--import', FIXTURE]);
    try {
      assert.match(mem.output(), /imported account 111122223333 us-east-1/);
      const client = new EC2Client({ endpoint: mem.endpoint, region: 'us-west-2', credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' }, maxAttempts: 1 });
      const { Vpcs } = await client.send(new DescribeVpcsCommand({}));
      assert.deepEqual(Vpcs!.map((v) => v.VpcId), ['vpc-0b1b2c3d4e5f60718']);
    } finally {
      await mem.stop();
    }
    const data = tempDir('vpcsim-import-');
    try {
      for (let i = 0; i < 2; i++) {
        const srv = await spawnServer(['--data-dir', data, '--import', FIXTURE]);
        await srv.stop();
      }
      const srv = await startTestServer({ dataDir: data, stateTransitionMs: 0 });
      try {
        assert.deepEqual(checkIntegrity(srv.app.store), []);
        const { Subnets } = await srv.ec2({ accessKeyId: ACCOUNT, region: 'us-east-1' }).send(new DescribeSubnetsCommand({}));
        assert.equal(Subnets!.length, 3, 'imported once, not twice');
      } finally {
        await srv.close();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('a broken export stops the server with the error', async () => {
    const bad = join(tempDir('vpcsim-import-'), 'export');
    try {
      cpSync(FIXTURE, bad, { recursive: true });
      writeFileSync(join(bad, 'us-east-1', 'describe-vpcs.json'), JSON.stringify({ Vpcs: [{ VpcId: 'vpc-0a1b2c3d4e5f60718' }] }));
      await assert.rejects(spawnServer(['--in-memory', '--import', bad]), /server (exited|did not start)[\s\S]*describe-vpcs\.json: vpc-0a1b2c3d4e5f60718: CidrBlock is missing/);
    } finally {
      rmSync(join(bad, '..'), { recursive: true, force: true });
    }
  });
});

describe('vpcsim import into PostgreSQL', { skip: TEST_POSTGRES_URL ? false : 'VPCSIM_TEST_POSTGRES_URL is not set' }, () => {
  it('imports into a shared store; --replace while a server runs on it is seen by that server', async () => {
    const db = await createTestDatabase();
    const work = tempDir('vpcsim-import-');
    let srv: TestServer | undefined;
    try {
      const r = await vpcsim(['import', FIXTURE, '--store', db.url, '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      srv = await startTestServer({ store: db.url, stateTransitionMs: 0 });
      const ec2 = srv.ec2({ accessKeyId: ACCOUNT, region: 'us-east-1' });
      const before = await ec2.send(new DescribeVpcsCommand({}));
      assert.deepEqual(before.Vpcs!.map((v) => v.Tags?.find((x) => x.Key === 'Name')?.Value), ['prod']);
      const copy = join(work, 'export');
      cpSync(FIXTURE, copy, { recursive: true });
      const vpcs = JSON.parse(readFileSync(join(copy, 'us-east-1', 'describe-vpcs.json'), 'utf8'));
      vpcs.Vpcs[0].Tags = [{ Key: 'Name', Value: 'prod-renamed' }];
      writeFileSync(join(copy, 'us-east-1', 'describe-vpcs.json'), JSON.stringify(vpcs));
      const again = await vpcsim(['import', copy, '--store', db.url]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already has state in this store/);
      const replaced = await vpcsim(['import', copy, '--store', db.url, '--replace', '--quiet']);
      assert.equal(replaced.code, 0, replaced.stderr);
      const after = await ec2.send(new DescribeVpcsCommand({}));
      assert.deepEqual(after.Vpcs!.map((v) => v.Tags?.find((x) => x.Key === 'Name')?.Value), ['prod-renamed']);
      const t = await trace(srv.endpoint, { source: 'internet:198.18.0.1', destination: '3.93.20.30', protocol: 'tcp', port: 443 });
      assert.equal(t.verdict, 'accepted');
    } finally {
      await srv?.close();
      await db.drop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/**
 * Round trip: a network built through the API, collected by the script with the real AWS CLI
 * (pointed at that server), imported into a new store: every Describe* answers the same.
 */
describe('collect from a vpcsim server with the AWS CLI, import, describe: the same network', { skip: existsSync(AWS) || /^aws$/.test(AWS) ? false : 'no AWS CLI' }, () => {
  it('round trip', async () => {
    const work = tempDir('vpcsim-roundtrip-');
    const account = '777788889999';
    const a = await startTestServer({ stateTransitionMs: 0 });
    let b: TestServer | undefined;
    try {
      const ec2 = a.ec2({ accessKeyId: account, region: 'us-east-1' });
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16', AmazonProvidedIpv6CidrBlock: true, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'rt' }] }] }));
      const vpcId = Vpc!.VpcId!;
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
      const { Subnet: pub } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.1.0/24' }));
      const { Subnet: priv } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.2.0/24' }));
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: pub!.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
      const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
      const { RouteTable: pubRt } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: pubRt!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: InternetGateway!.InternetGatewayId }));
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: pubRt!.RouteTableId, SubnetId: pub!.SubnetId }));
      const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub!.SubnetId, AllocationId }));
      const { RouteTable: privRt } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: privRt!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NatGateway!.NatGatewayId }));
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privRt!.RouteTableId, SubnetId: priv!.SubnetId }));
      const { PrefixList } = await ec2.send(new CreateManagedPrefixListCommand({ PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '198.51.100.0/24', Description: 'hq' }] }));
      const { GroupId: web } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web' }));
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }] },
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: PrefixList!.PrefixListId }] },
      ] }));
      const { GroupId: db } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'db', Description: 'db' }));
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: web }] }] }));
      const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }));
      await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: NetworkAcl!.NetworkAclId, RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: false, CidrBlock: '10.50.1.0/24', PortRange: { From: 5432, To: 5432 } }));
      const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [priv!.SubnetId!] }] }));
      const assoc = NetworkAcls![0]!.Associations!.find((x) => x.SubnetId === priv!.SubnetId)!;
      await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: NetworkAcl!.NetworkAclId }));
      const run = (subnet: string, sg: string) =>
        ec2.send(new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', MinCount: 1, MaxCount: 1, SubnetId: subnet, SecurityGroupIds: [sg] }));
      await run(pub!.SubnetId!, web!);
      await run(priv!.SubnetId!, db!);
      await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', RouteTableIds: [privRt!.RouteTableId!] }));
      await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcId, VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.ssm', SubnetIds: [priv!.SubnetId!], SecurityGroupIds: [web!] }));
      const { Vpc: other } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
      const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: other!.VpcId }));
      await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: VpcPeeringConnection!.VpcPeeringConnectionId }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: privRt!.RouteTableId, DestinationCidrBlock: '10.60.0.0/16', VpcPeeringConnectionId: VpcPeeringConnection!.VpcPeeringConnectionId }));
      const { CustomerGateway } = await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.77', BgpAsn: 65010 }));
      const { VpnGateway } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
      await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: VpnGateway!.VpnGatewayId, VpcId: vpcId }));
      const { VpnConnection } = await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: CustomerGateway!.CustomerGatewayId, VpnGatewayId: VpnGateway!.VpnGatewayId, Options: { StaticRoutesOnly: true } }));
      await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: VpnConnection!.VpnConnectionId, DestinationCidrBlock: '192.168.0.0/16' }));

      // Collect with the AWS CLI, through a wrapper that points it at server A.
      const bin = join(work, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'aws-vpcsim'), `#!/bin/sh\nexec ${AWS} --endpoint-url ${a.endpoint} "$@"\n`);
      chmodSync(join(bin, 'aws-vpcsim'), 0o755);
      const out = join(work, 'export');
      const collected = await run_(COLLECT, ['-o', out, '-r', 'us-east-1'], {
        AWS_CLI: join(bin, 'aws-vpcsim'),
        HOME: work,
        AWS_ACCESS_KEY_ID: account,
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_MAX_ATTEMPTS: '1',
      });
      assert.equal(collected.code, 0, collected.stderr);
      const data = join(work, 'data');
      const imp = await vpcsim(['import', out, '--data-dir', data]);
      assert.equal(imp.code, 0, imp.stderr);
      assert.match(imp.stdout, /imported account 777788889999 us-east-1/);
      b = await startTestServer({ dataDir: data, stateTransitionMs: 0 });
      assert.deepEqual(checkIntegrity(b.app.store), []);
      const ec2b = b.ec2({ accessKeyId: account, region: 'us-east-1' });
      const compare = async (name: string, command: () => Json, key: string, id: string) => {
        const sortBy = (list: Json[]) => [...(list ?? [])].sort((x, y) => String(x[id]).localeCompare(String(y[id])));
        // CurrentInstanceBootMode is newer than the botocore model of some AWS CLIs, which leave it out.
        const strip = (o: Json) => JSON.parse(JSON.stringify(o, (k, v) => (k === '$metadata' || k === 'CurrentInstanceBootMode' ? undefined : v)));
        const got = strip(await ec2b.send(command()))[key];
        const want = strip(await ec2.send(command()))[key];
        assert.ok(want.length > 0, `${name}: the original has some`);
        assert.deepEqual(sortBy(got), sortBy(want), name);
      };
      await compare('DescribeVpcs', () => new DescribeVpcsCommand({}), 'Vpcs', 'VpcId');
      await compare('DescribeSubnets', () => new DescribeSubnetsCommand({}), 'Subnets', 'SubnetId');
      await compare('DescribeRouteTables', () => new DescribeRouteTablesCommand({}), 'RouteTables', 'RouteTableId');
      await compare('DescribeSecurityGroups', () => new DescribeSecurityGroupsCommand({}), 'SecurityGroups', 'GroupId');
      await compare('DescribeSecurityGroupRules', () => new DescribeSecurityGroupRulesCommand({}), 'SecurityGroupRules', 'SecurityGroupRuleId');
      await compare('DescribeNetworkAcls', () => new DescribeNetworkAclsCommand({}), 'NetworkAcls', 'NetworkAclId');
      await compare('DescribeNetworkInterfaces', () => new DescribeNetworkInterfacesCommand({}), 'NetworkInterfaces', 'NetworkInterfaceId');
      await compare('DescribeInstances', () => new DescribeInstancesCommand({}), 'Reservations', 'ReservationId');
      await compare('DescribeInternetGateways', () => new DescribeInternetGatewaysCommand({}), 'InternetGateways', 'InternetGatewayId');
      await compare('DescribeNatGateways', () => new DescribeNatGatewaysCommand({}), 'NatGateways', 'NatGatewayId');
      await compare('DescribeAddresses', () => new DescribeAddressesCommand({}), 'Addresses', 'AllocationId');
      await compare('DescribeVpcEndpoints', () => new DescribeVpcEndpointsCommand({}), 'VpcEndpoints', 'VpcEndpointId');
      await compare('DescribeVpcPeeringConnections', () => new DescribeVpcPeeringConnectionsCommand({}), 'VpcPeeringConnections', 'VpcPeeringConnectionId');
      await compare('DescribeVpnGateways', () => new DescribeVpnGatewaysCommand({}), 'VpnGateways', 'VpnGatewayId');
      await compare('DescribeCustomerGateways', () => new DescribeCustomerGatewaysCommand({}), 'CustomerGateways', 'CustomerGatewayId');
      await compare('DescribeVpnConnections', () => new DescribeVpnConnectionsCommand({}), 'VpnConnections', 'VpnConnectionId');
      await compare('DescribeManagedPrefixLists', () => new DescribeManagedPrefixListsCommand({}), 'PrefixLists', 'PrefixListId');
      await compare('DescribeDhcpOptions', () => new DescribeDhcpOptionsCommand({}), 'DhcpOptions', 'DhcpOptionsId');
      const entries = await ec2b.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: PrefixList!.PrefixListId }));
      assert.deepEqual(entries.Entries, [{ Cidr: '198.51.100.0/24', Description: 'hq' }]);
    } finally {
      await a.close();
      await b?.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('scripts/collect-aws-network.sh', () => {
  it('writes one folder per region with a file per command, and the account, using only the aws command it finds', async () => {
    const work = tempDir('vpcsim-collect-');
    try {
      const bin = join(work, 'bin');
      mkdirSync(bin);
      const log = join(work, 'calls.log');
      // A stand-in for the AWS CLI: canned JSON, and a log of the calls it was asked to make.
      writeFileSync(
        join(bin, 'aws'),
        `#!/bin/sh
echo "$*" >> "${log}"
case "$*" in
  *"configure get region"*) exit 1 ;;
  *"sts get-caller-identity"*"--query Account"*) echo 123456789012 ;;
  *"sts get-caller-identity"*) echo '{"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/audit"}' ;;
  *"describe-regions"*) printf 'us-east-1\\teu-west-1\\n' ;;
  *"describe-vpcs"*"--query"*) case "$*" in *us-east-1*) echo vpc-0123456789abcdef0 ;; *) echo "" ;; esac ;;
  *"describe-vpcs"*) echo '{"Vpcs": []}' ;;
  *"describe-managed-prefix-lists"*"--query"*) case "$*" in *us-east-1*) echo pl-0123456789abcdef0 ;; *) echo "" ;; esac ;;
  *"describe-vpc-attribute"*) echo '{"VpcId": "vpc-0123456789abcdef0", "EnableDnsSupport": {"Value": true}}' ;;
  *"describe-vpn-connections"*) echo "An error occurred (UnauthorizedOperation) when calling the DescribeVpnConnections operation" >&2; exit 254 ;;
  *"ec2 describe-"*)
    cmd=$(echo "$*" | sed 's/^ec2 \\([a-z-]*\\).*/\\1/')
    case "$cmd" in
      describe-subnets) key=Subnets ;; describe-route-tables) key=RouteTables ;; describe-security-groups) key=SecurityGroups ;;
      describe-security-group-rules) key=SecurityGroupRules ;; describe-network-acls) key=NetworkAcls ;;
      describe-network-interfaces) key=NetworkInterfaces ;; describe-instances) key=Reservations ;;
      describe-internet-gateways) key=InternetGateways ;; describe-egress-only-internet-gateways) key=EgressOnlyInternetGateways ;;
      describe-nat-gateways) key=NatGateways ;; describe-vpc-peering-connections) key=VpcPeeringConnections ;;
      describe-vpc-endpoints) key=VpcEndpoints ;; describe-vpn-gateways) key=VpnGateways ;;
      describe-customer-gateways) key=CustomerGateways ;; describe-addresses) key=Addresses ;; describe-dhcp-options) key=DhcpOptions ;;
      describe-managed-prefix-lists|describe-prefix-lists) key=PrefixLists ;;
      *) echo "unexpected: $*" >&2; exit 1 ;;
    esac
    echo "{\\"$key\\": []}" ;;
  *"get-managed-prefix-list-entries"*) echo '{"Entries": []}' ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
`,
      );
      chmodSync(join(bin, 'aws'), 0o755);
      const out = join(work, 'export');
      const r = await run('/bin/sh', [COLLECT, '-o', out], { PATH: `${bin}:/usr/bin:/bin` });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /skipped describe-vpn-connections\.json: An error occurred \(UnauthorizedOperation\)/);
      assert.deepEqual(JSON.parse(readFileSync(join(out, 'get-caller-identity.json'), 'utf8')).Account, '123456789012');
      assert.deepEqual(readdirSync(out).sort(), ['eu-west-1', 'get-caller-identity.json', 'us-east-1']);
      const east = readdirSync(join(out, 'us-east-1')).sort();
      for (const cmd of [
        'describe-vpcs',
        'describe-subnets',
        'describe-route-tables',
        'describe-security-groups',
        'describe-security-group-rules',
        'describe-network-acls',
        'describe-network-interfaces',
        'describe-instances',
        'describe-internet-gateways',
        'describe-egress-only-internet-gateways',
        'describe-nat-gateways',
        'describe-vpc-peering-connections',
        'describe-vpc-endpoints',
        'describe-vpn-gateways',
        'describe-customer-gateways',
        'describe-addresses',
        'describe-dhcp-options',
        'describe-managed-prefix-lists',
        'describe-prefix-lists',
      ]) {
        assert.ok(east.includes(`${cmd}.json`), `${cmd}.json in ${east.join(', ')}`);
      }
      assert.ok(!east.includes('describe-vpn-connections.json'), 'a refused command leaves no file');
      assert.ok(!east.some((f) => f.endsWith('.tmp') || f.endsWith('.err')));
      assert.ok(east.includes('describe-vpc-attribute-vpc-0123456789abcdef0-enableDnsHostnames.json'));
      assert.ok(east.includes('get-managed-prefix-list-entries-pl-0123456789abcdef0.json'));
      assert.ok(!readdirSync(join(out, 'eu-west-1')).some((f) => f.startsWith('describe-vpc-attribute')));
      const calls = readFileSync(log, 'utf8');
      assert.match(calls, /ec2 describe-subnets --region eu-west-1 --output json/);
      assert.match(calls, /sts get-caller-identity --region us-east-1 --output json/, 'a region for STS when none is configured');
      assert.doesNotMatch(calls, /\b(create|delete|modify|run|terminate|associate|attach)-/, 'read-only calls only');
      // What it collected is an export vpcsim imports.
      const data = join(work, 'data');
      const imp = await vpcsim(['import', out, '--data-dir', data]);
      assert.equal(imp.code, 0, imp.stderr);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
