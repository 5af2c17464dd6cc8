/**
 * The compiled network kept between traces and analyses (services/ec2/network-cache.ts): a
 * trace answers the state as it is right after any change (security group rules, ACL
 * entries, routes, instance states, time-derived states), and nothing is compiled again when
 * nothing the network depends on changed.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNetworkAclEntryCommand,
  CreateNetworkInsightsPathCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteNetworkAclEntryCommand,
  DeleteRouteCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInsightsAnalysesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StartNetworkInsightsAnalysisCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compiledNetwork, compiledNetworkBuilds } from '../src/services/ec2/network-cache.js';
import { INTERNET_CLIENT, startTestServer, type TestServer } from './helpers.js';
import { createTestDatabase, TEST_POSTGRES_URL } from './pg.js';

const AMI = 'ami-0a2023c0ffee0a864';
const WEBSITE = '93.184.216.34';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

async function traced(srv: TestServer, body: Record<string, unknown>): Promise<Json> {
  const r = await fetch(`${srv.endpoint}/_vpcsim/trace`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 'tcp', ...body }),
  });
  const json = await r.json();
  assert.equal(r.status, 200, JSON.stringify(json));
  return json;
}

function codes(t: Json): string[] {
  return t.explanations.map((e: Json) => e.explanationCode);
}

interface Web {
  vpcId: string;
  igwId: string;
  subnetId: string;
  rtbId: string;
  sgId: string;
  instanceId: string;
  eniId: string;
  publicIp: string;
}

/** A VPC with an internet gateway, a public subnet and a web server (tcp 443 from anywhere) with an Elastic IP. */
async function buildWeb(ec2: EC2Client, cidr = '10.0.0.0/16'): Promise<Web> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
  const igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr.replace('.0.0/16', '.1.0/24'), AvailabilityZone: 'us-east-1a' })))
    .Subnet!.SubnetId!;
  const rtbId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnetId }));
  await ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }));
  const sgId = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web' }))).GroupId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({ GroupId: sgId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
  );
  const i = (
    await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnetId, SecurityGroupIds: [sgId] }))
  ).Instances![0]!;
  const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: i.InstanceId }));
  return { vpcId, igwId, subnetId, rtbId, sgId, instanceId: i.InstanceId!, eniId: i.NetworkInterfaces![0]!.NetworkInterfaceId!, publicIp: PublicIp! };
}

describe('compiled network cache', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let web: Web;
  const inbound = () => traced(srv, { source: `internet:${INTERNET_CLIENT}`, destination: web.publicIp, port: 443 });
  const outbound = () => traced(srv, { source: web.instanceId, destination: WEBSITE, port: 443 });

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
    web = await buildWeb(ec2);
  });
  after(async () => {
    ec2?.destroy();
    await srv?.close();
  });

  it('compiles once and answers again from the same network while nothing changes', async () => {
    assert.equal((await inbound()).verdict, 'accepted');
    const builds = compiledNetworkBuilds();
    const net = compiledNetwork(srv.app);
    assert.equal(compiledNetwork(srv.app), net, 'the same compiled network while the state is unchanged');
    assert.equal((await inbound()).verdict, 'accepted');
    assert.equal((await outbound()).verdict, 'accepted');
    assert.equal(compiledNetworkBuilds(), builds, 'no build for unchanged state');
    assert.equal(compiledNetwork(srv.app), net);
  });

  it('a security group rule revoked or authorized shows in the very next trace', async () => {
    const perm = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    assert.equal((await inbound()).verdict, 'accepted');
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
    const t = await inbound();
    assert.equal(t.verdict, 'dropped');
    assert.ok(codes(t).includes('ENI_SG_RULES_MISMATCH'), JSON.stringify(codes(t)));
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
    assert.equal((await inbound()).verdict, 'accepted');
  });

  it('an ACL entry added or deleted shows in the very next trace', async () => {
    const acls = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [web.subnetId] }] }));
    const aclId = acls.NetworkAcls![0]!.NetworkAclId!;
    await ec2.send(
      new CreateNetworkAclEntryCommand({
        NetworkAclId: aclId,
        RuleNumber: 50,
        Egress: false,
        RuleAction: 'deny',
        Protocol: '6',
        CidrBlock: `${INTERNET_CLIENT}/32`,
        PortRange: { From: 443, To: 443 },
      }),
    );
    const t = await inbound();
    assert.equal(t.verdict, 'dropped');
    assert.ok(codes(t).includes('SUBNET_ACL_RESTRICTION'), JSON.stringify(codes(t)));
    // Another client is not concerned by the entry.
    assert.equal((await traced(srv, { source: 'internet:84.200.69.8', destination: web.publicIp, port: 443 })).verdict, 'accepted');
    await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 50, Egress: false }));
    assert.equal((await inbound()).verdict, 'accepted');
  });

  it('a route deleted or created shows in the very next trace', async () => {
    assert.equal((await outbound()).verdict, 'accepted');
    await ec2.send(new DeleteRouteCommand({ RouteTableId: web.rtbId, DestinationCidrBlock: '0.0.0.0/0' }));
    const t = await outbound();
    assert.equal(t.verdict, 'dropped');
    assert.ok(codes(t).includes('NO_ROUTE_TO_DESTINATION'), JSON.stringify(codes(t)));
    await ec2.send(new CreateRouteCommand({ RouteTableId: web.rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: web.igwId }));
    assert.equal((await outbound()).verdict, 'accepted');
  });

  it('an instance stopped or started shows in the very next trace', async () => {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [web.instanceId] }));
    assert.equal((await inbound()).verdict, 'dropped');
    await ec2.send(new StartInstancesCommand({ InstanceIds: [web.instanceId] }));
    assert.equal((await inbound()).verdict, 'accepted');
  });

  it('writes the network does not read (network insights paths) compile nothing; an analysis reuses the network', async () => {
    assert.equal((await inbound()).verdict, 'accepted');
    const builds = compiledNetworkBuilds();
    const net = compiledNetwork(srv.app);
    const { NetworkInsightsPath } = await ec2.send(
      new CreateNetworkInsightsPathCommand({ Source: web.igwId, Destination: web.instanceId, Protocol: 'tcp', DestinationPort: 443 }),
    );
    const { NetworkInsightsAnalysis } = await ec2.send(
      new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: NetworkInsightsPath!.NetworkInsightsPathId }),
    );
    const described = await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [NetworkInsightsAnalysis!.NetworkInsightsAnalysisId!] }));
    assert.equal(described.NetworkInsightsAnalyses![0]!.NetworkPathFound, true);
    assert.equal(compiledNetworkBuilds(), builds, 'the path, the analysis and its record compiled nothing');
    assert.equal(compiledNetwork(srv.app), net);
  });

  it('an analysis started right after a rule change sees the change', async () => {
    const { NetworkInsightsPath } = await ec2.send(
      new CreateNetworkInsightsPathCommand({ Source: web.igwId, Destination: web.instanceId, Protocol: 'tcp', DestinationPort: 443 }),
    );
    const analyse = async () => {
      const { NetworkInsightsAnalysis } = await ec2.send(
        new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: NetworkInsightsPath!.NetworkInsightsPathId }),
      );
      const r = await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [NetworkInsightsAnalysis!.NetworkInsightsAnalysisId!] }));
      return r.NetworkInsightsAnalyses![0]!;
    };
    assert.equal((await analyse()).NetworkPathFound, true);
    const perm = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
    const blocked = await analyse();
    assert.equal(blocked.NetworkPathFound, false);
    assert.ok(blocked.Explanations!.some((e) => e.ExplanationCode === 'ENI_SG_RULES_MISMATCH'), JSON.stringify(blocked.Explanations));
    // Looking past the blocker relaxed a private copy: the shared network still blocks.
    assert.equal((await inbound()).verdict, 'dropped');
    assert.equal(compiledNetwork(srv.app).securityGroups.get(web.sgId)!.ingress.length, 0);
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
    assert.equal((await analyse()).NetworkPathFound, true);
  });

  it('changes committed on the store outside a request, and captured unpublished ones, are seen', async () => {
    const before = compiledNetwork(srv.app);
    const store = srv.app.store;
    // A record kind the network does not read: same network.
    const tx = store.begin();
    tx.put('000000000000/us-east-1', 'unrelated-kind', 'x-1', { X: 1 });
    tx.commit();
    assert.equal(compiledNetwork(srv.app), before);
    // Captured writes (a writing section on a shared store): visible to a new build, not cached.
    const scope = [...store.scopeNames()].find((s) => store.table(s, 'security-group')?.has(web.sgId))!;
    const seen = store.capture(() => {
      const t = store.begin();
      const rule = t.list<{ GroupId: string; IsEgress: boolean; SecurityGroupRuleId: string }>(scope, 'security-group-rule').find((r) => r.GroupId === web.sgId && !r.IsEgress)!;
      t.delete(scope, 'security-group-rule', rule.SecurityGroupRuleId);
      t.commit();
      return compiledNetwork(srv.app).securityGroups.get(web.sgId)!.ingress.length;
    });
    assert.equal(seen.result, 0, 'the captured deletion is seen inside the section');
    assert.equal(compiledNetwork(srv.app), before, 'nothing published: the cached network still holds');
    store.applyExternal(seen.changes);
    const after = compiledNetwork(srv.app);
    assert.notEqual(after, before);
    assert.equal(after.securityGroups.get(web.sgId)!.ingress.length, 0);
    assert.equal((await inbound()).verdict, 'dropped');
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    assert.equal((await inbound()).verdict, 'accepted');
  });

  it('a pending peering request expires at its expiration time, without any write', async () => {
    const other = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
    const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: web.vpcId, PeerVpcId: other }));
    const id = VpcPeeringConnection!.VpcPeeringConnectionId!;
    const expires = new Date(VpcPeeringConnection!.ExpirationTime!).getTime();
    const now = compiledNetwork(srv.app, { now: new Date(expires - 60_000) });
    assert.equal(now.peerings.get(id)!.model.status, 'pending-acceptance');
    assert.equal(compiledNetwork(srv.app, { now: new Date(expires - 30_000) }), now, 'no deadline in between: reused');
    const later = compiledNetwork(srv.app, { now: new Date(expires + 1000) });
    assert.equal(later.peerings.get(id)!.model.status, 'expired');
  });

  it('a reset empties the network', async () => {
    assert.ok(compiledNetwork(srv.app).interfaces.size > 0);
    await srv.reset();
    assert.equal(compiledNetwork(srv.app).interfaces.has(web.eniId), false);
  });
});

describe('compiled network cache and state transitions', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 2000 });
    ec2 = srv.ec2();
  });
  after(async () => {
    ec2?.destroy();
    await srv?.close();
  });

  it('an instance becoming running is seen as soon as it is, without any write', async () => {
    const web = await buildWeb(ec2);
    // Launched just now: pending for 2 s.
    const { Instances } = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: web.subnetId, SecurityGroupIds: [web.sgId] }));
    const ip = Instances![0]!.PrivateIpAddress!;
    const t0 = await traced(srv, { source: web.instanceId, destination: ip, port: 443 });
    assert.equal(t0.verdict, 'dropped', 'the new instance is still pending');
    await new Promise((r) => setTimeout(r, 2100));
    const t1 = await traced(srv, { source: web.instanceId, destination: ip, port: 443 });
    assert.equal(t1.verdict, 'accepted', JSON.stringify(t1.explanations));
  });

  it('reuses the network once the state has settled', () => {
    const later = Date.now() + 60_000;
    const a = compiledNetwork(srv.app, { now: new Date(later) });
    assert.equal(compiledNetwork(srv.app, { now: new Date(later + 5000) }), a);
  });
});

describe('compiled network cache on a shared PostgreSQL store', { skip: TEST_POSTGRES_URL ? false : 'VPCSIM_TEST_POSTGRES_URL is not set' }, () => {
  it("a trace on one server sees another server's rule change at once", async () => {
    const db = await createTestDatabase();
    const a = await startTestServer({ stateTransitionMs: 0, store: db.url });
    const b = await startTestServer({ stateTransitionMs: 0, store: db.url });
    const ec2a = a.ec2();
    try {
      const web = await buildWeb(ec2a);
      const inboundOn = (srv: TestServer) => traced(srv, { source: `internet:${INTERNET_CLIENT}`, destination: web.publicIp, port: 443 });
      assert.equal((await inboundOn(b)).verdict, 'accepted');
      const cached = compiledNetwork(b.app);
      assert.equal((await inboundOn(b)).verdict, 'accepted');
      assert.equal(compiledNetwork(b.app), cached, 'unchanged: server b reuses its network');
      const perm = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
      await ec2a.send(new RevokeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
      assert.equal((await inboundOn(b)).verdict, 'dropped', 'server b sees the revocation made on server a');
      await ec2a.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
      assert.equal((await inboundOn(b)).verdict, 'accepted');
      // An analysis started on server b, right after a change on server a.
      await ec2a.send(new RevokeSecurityGroupIngressCommand({ GroupId: web.sgId, IpPermissions: perm }));
      const ec2b = b.ec2();
      try {
        const { NetworkInsightsPath } = await ec2b.send(
          new CreateNetworkInsightsPathCommand({ Source: web.igwId, Destination: web.instanceId, Protocol: 'tcp', DestinationPort: 443 }),
        );
        const { NetworkInsightsAnalysis } = await ec2b.send(new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: NetworkInsightsPath!.NetworkInsightsPathId }));
        const r = await ec2b.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [NetworkInsightsAnalysis!.NetworkInsightsAnalysisId!] }));
        assert.equal(r.NetworkInsightsAnalyses![0]!.NetworkPathFound, false);
      } finally {
        ec2b.destroy();
      }
    } finally {
      ec2a.destroy();
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
