/**
 * Many clients at once: AWS's invariants hold whatever the interleaving. Each scenario sends
 * one burst of concurrent requests from separate SDK clients (each with its own connections)
 * and checks that exactly the allowed ones succeeded, the others failed with AWS's error, and
 * the state shows exactly what succeeded. Written against startTestServer only, so it runs
 * on whichever store the suite is configured with.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptVpcPeeringConnectionCommand,
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeAddressesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { startTestServer, type TestServer } from './helpers.js';

/** Clients per burst. */
const N = 24;

interface Outcome<T> {
  ok: T[];
  /** Error codes of the failed calls, sorted. */
  codes: string[];
  /** For each call in order: its value, or its error code. */
  each: Array<{ ok: true; value: T } | { ok: false; code: string }>;
}

/** Runs every call at once and sorts the answers into successes and error codes. */
async function burst<T>(calls: Array<() => Promise<T>>): Promise<Outcome<T>> {
  const results = await Promise.allSettled(calls.map((c) => c()));
  const each = results.map((r) =>
    r.status === 'fulfilled'
      ? ({ ok: true, value: r.value } as const)
      : ({ ok: false, code: (r.reason as { Code?: string; name?: string }).Code ?? (r.reason as Error).name ?? 'unknown' } as const),
  );
  return {
    ok: each.flatMap((e) => (e.ok ? [e.value] : [])),
    codes: each.flatMap((e) => (e.ok ? [] : [e.code])).sort(),
    each,
  };
}

function repeat<T>(n: number, value: T): T[] {
  return Array.from({ length: n }, () => value);
}

describe('concurrent clients', () => {
  let srv: TestServer;
  let clients: EC2Client[];
  let accountSeq = 100000000000;
  /** N clients of a fresh account (so that quotas and scopes start empty). */
  const freshAccount = (): EC2Client[] => {
    const accessKeyId = String(++accountSeq);
    return Array.from({ length: N }, () => srv.ec2({ accessKeyId }));
  };

  before(async () => {
    srv = await startTestServer({
      stateTransitionMs: 0,
      quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 5, elasticIpsPerRegion: 5, subnetsPerVpc: 200 },
    });
    clients = freshAccount();
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await srv.close();
  });

  it('the first requests of an account, all at once, set it up once: one default VPC', async () => {
    const cs = freshAccount();
    const out = await burst(cs.map((c) => () => c.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))));
    assert.deepEqual(out.codes, []);
    const ids = new Set(out.ok.map((o) => o.Vpcs!.map((v) => v.VpcId).join(',')));
    assert.equal(ids.size, 1, 'every client saw the same default VPC');
    assert.equal(out.ok[0]!.Vpcs!.length, 1);
    const { SecurityGroups } = await cs[0]!.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
    assert.equal(SecurityGroups!.length, 1);
  });

  it('overlapping subnets: exactly one of each overlapping pair is created, the other gets InvalidSubnet.Conflict', async () => {
    const { Vpc } = await clients[0]!.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = Vpc!.VpcId!;
    // Pairs that overlap each other (a /24 and a /25 inside it) and nothing else.
    const pairs = Array.from({ length: N }, (_, i) => [`10.0.${i}.0/24`, `10.0.${i}.128/25`] as const);
    const calls = pairs.flatMap(([a, b], i) => [
      () => clients[i % N]!.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: a })),
      () => clients[(i + 1) % N]!.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: b })),
    ]);
    // Interleave: the b of one pair may well go before its a.
    const order = calls.map((_, i) => i).sort((x, y) => ((x * 7919) % calls.length) - ((y * 7919) % calls.length));
    const shuffled = await burst(order.map((i) => calls[i]!));
    const byCall = new Map(order.map((callIndex, pos) => [callIndex, shuffled.each[pos]!]));
    for (let i = 0; i < pairs.length; i++) {
      const a = byCall.get(2 * i)!;
      const b = byCall.get(2 * i + 1)!;
      assert.equal(Number(a.ok) + Number(b.ok), 1, `exactly one of ${pairs[i]!.join(' and ')}`);
      const failed = a.ok ? b : a;
      assert.equal(!failed.ok && failed.code, 'InvalidSubnet.Conflict');
    }
    // The same CIDR from every client at once: one subnet.
    const same = await burst(clients.map((c) => () => c.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.200.0/24' }))));
    assert.equal(same.ok.length, 1);
    assert.deepEqual(same.codes, repeat(N - 1, 'InvalidSubnet.Conflict'));

    const { Subnets } = await clients[0]!.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    assert.equal(Subnets!.length, pairs.length + 1);
    const created = new Set([...shuffled.ok, ...same.ok].map((o) => o.Subnet!.SubnetId));
    assert.deepEqual(new Set(Subnets!.map((s) => s.SubnetId)), created, 'the subnets are exactly the acknowledged ones');
  });

  it('routes to one destination: one is created, the others get RouteAlreadyExists; distinct ones all land', async () => {
    const c = clients[0]!;
    const { Vpc } = await c.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    const vpcId = Vpc!.VpcId!;
    const { InternetGateway } = await c.send(new CreateInternetGatewayCommand({}));
    const igw = InternetGateway!.InternetGatewayId!;
    await c.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const { RouteTable } = await c.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const rtb = RouteTable!.RouteTableId!;

    const same = await burst(clients.map((k) => () => k.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }))));
    assert.equal(same.ok.length, 1);
    assert.deepEqual(same.codes, repeat(N - 1, 'RouteAlreadyExists'));

    const distinct = await burst(clients.map((k, i) => () => k.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: `192.168.${i}.0/24`, GatewayId: igw }))));
    assert.deepEqual(distinct.codes, []);

    const { RouteTables } = await c.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    const routes = RouteTables![0]!.Routes!;
    assert.equal(routes.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0').length, 1);
    assert.equal(routes.length, 1 + 1 + N, 'local, the default route, one per client');
  });

  it('identical security group rules: one is added, the others get InvalidPermission.Duplicate; one revoke wins', async () => {
    const c = clients[0]!;
    const { Vpc } = await c.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }));
    const { GroupId } = await c.send(new CreateSecurityGroupCommand({ GroupName: 'race', Description: 'race', VpcId: Vpc!.VpcId }));
    const rule = { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] };
    const add = await burst(clients.map((k) => () => k.send(new AuthorizeSecurityGroupIngressCommand(rule))));
    assert.equal(add.ok.length, 1);
    assert.deepEqual(add.codes, repeat(N - 1, 'InvalidPermission.Duplicate'));
    const rules = async () =>
      (await c.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [GroupId!] }] }))).SecurityGroupRules!.filter(
        (r) => !r.IsEgress,
      );
    assert.equal((await rules()).length, 1);

    const revoke = await burst(clients.map((k) => () => k.send(new RevokeSecurityGroupIngressCommand(rule))));
    assert.equal(revoke.ok.length, 1);
    assert.deepEqual(revoke.codes, repeat(N - 1, 'InvalidPermission.NotFound'));
    assert.equal((await rules()).length, 0);
  });

  it('peering requests between the same VPCs: all answer the one connection; one accept wins', async () => {
    const clients = freshAccount();
    const c = clients[0]!;
    const a = (await c.send(new CreateVpcCommand({ CidrBlock: '172.16.0.0/16' }))).Vpc!.VpcId!;
    const b = (await c.send(new CreateVpcCommand({ CidrBlock: '172.17.0.0/16' }))).Vpc!.VpcId!;
    // AWS answers a repeated request for a pending or active pair with that connection.
    const req = await burst(clients.map((k) => () => k.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))));
    assert.deepEqual(req.codes, []);
    const ids = new Set(req.ok.map((o) => o.VpcPeeringConnection!.VpcPeeringConnectionId));
    assert.equal(ids.size, 1, 'one connection');
    const pcx = [...ids][0]!;
    const { VpcPeeringConnections } = await c.send(
      new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: 'requester-vpc-info.vpc-id', Values: [a] }] }),
    );
    assert.equal(VpcPeeringConnections!.length, 1);

    const acc = await burst(clients.map((k) => () => k.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }))));
    assert.equal(acc.ok.length, 1);
    assert.deepEqual(acc.codes, repeat(N - 1, 'InvalidStateTransition'));
    const after = await c.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [pcx] }));
    assert.equal(after.VpcPeeringConnections![0]!.Status!.Code, 'active');
  });

  it('peering requests in both directions, accepted at once: one pair, one active connection', async () => {
    const clients = freshAccount();
    const c = clients[0]!;
    const a = (await c.send(new CreateVpcCommand({ CidrBlock: '172.18.0.0/16' }))).Vpc!.VpcId!;
    const b = (await c.send(new CreateVpcCommand({ CidrBlock: '172.19.0.0/16' }))).Vpc!.VpcId!;
    const both = await burst([
      () => clients[1]!.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b })),
      () => clients[2]!.send(new CreateVpcPeeringConnectionCommand({ VpcId: b, PeerVpcId: a })),
    ]);
    assert.deepEqual(both.codes, []);
    const pcxs = both.ok.map((o) => o.VpcPeeringConnection!.VpcPeeringConnectionId!);
    assert.notEqual(pcxs[0], pcxs[1], 'each direction is its own request');
    const acc = await burst(clients.map((k, i) => () => k.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcxs[i % 2] }))));
    assert.equal(acc.ok.length, 1);
    const { VpcPeeringConnections } = await c.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: pcxs }));
    assert.equal(VpcPeeringConnections!.filter((p) => p.Status!.Code === 'active').length, 1);
    assert.ok(acc.codes.every((code) => code === 'VpcPeeringConnectionAlreadyExists' || code === 'InvalidStateTransition'), acc.codes.join());
    assert.ok(acc.codes.includes('VpcPeeringConnectionAlreadyExists'), 'the other direction is refused');
  });

  it('quotas under a burst: never more VPCs or Elastic IPs than allowed', async () => {
    const cs = freshAccount();
    const vpcs = await burst(cs.map((k, i) => () => k.send(new CreateVpcCommand({ CidrBlock: `10.${50 + i}.0.0/16` }))));
    const { Vpcs } = await cs[0]!.send(new DescribeVpcsCommand({}));
    assert.equal(Vpcs!.length, 5, 'the default VPC and four more');
    assert.equal(vpcs.ok.length, Vpcs!.filter((v) => !v.IsDefault).length);
    assert.deepEqual(vpcs.codes, repeat(N - vpcs.ok.length, 'VpcLimitExceeded'));

    const eips = await burst(cs.map((k) => () => k.send(new AllocateAddressCommand({ Domain: 'vpc' }))));
    assert.equal(eips.ok.length, 5);
    assert.deepEqual(eips.codes, repeat(N - 5, 'AddressLimitExceeded'));
    const { Addresses } = await cs[0]!.send(new DescribeAddressesCommand({}));
    assert.equal(Addresses!.length, 5);
    assert.equal(new Set(Addresses!.map((x) => x.PublicIp)).size, 5, 'five distinct addresses');
    for (const k of cs) k.destroy();
  });
});
