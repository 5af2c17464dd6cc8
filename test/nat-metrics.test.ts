/**
 * NAT gateway metrics from simulated traffic: a VPC built through @aws-sdk/client-ec2 (public
 * and private subnets, internet gateway, NAT gateway, an instance behind it), connections
 * traced by the engine, limits and metrics applied, and the AWS/NATGateway datapoints read back
 * through @aws-sdk/client-cloudwatch and the AWS CLI.
 */
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import {
  AllocateAddressCommand,
  AssignPrivateNatGatewayAddressCommand,
  AssociateNatGatewayAddressCommand,
  AcceptVpcPeeringConnectionCommand,
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupIngressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteRouteCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  ReplaceNetworkAclAssociationCommand,
  ReplaceRouteCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { compile } from '../src/network/compile.js';
import { trace, type TraceRequest, type TraceResult } from '../src/network/trace.js';
import { buildNetworkModel } from '../src/services/ec2/snapshot.js';
import { applyNatLimits, inStartOrder, NAT_METRICS, natMetricData, recordNatMetrics, Spans } from '../src/traffic/nat-metrics.js';
import type { DecidedFlow, FlowSpec } from '../src/traffic/types.js';
import { awsCli } from './cli.js';
import { INTERNET_CLIENT, seededRandom, startTestServer, type TestServer } from './helpers.js';

const AMI = 'ami-0a2023c0ffee0a864';
const WEBSITE = '93.184.216.34';
const DNS = '8.8.8.8';
const MIN = 60_000;

let srv: TestServer;
let ec2: EC2Client;
let cw: CloudWatchClient;
const cli = awsCli(() => srv.endpoint);

interface Lab {
  vpcId: string;
  publicSubnet: string;
  privateSubnet: string;
  publicRt: string;
  privateRt: string;
  natId: string;
  natPublicIp: string;
  eni: string;
}

async function build(ec2: EC2Client, az = 'us-east-1a'): Promise<Lab> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = Vpc!.VpcId!;
  const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId!, VpcId: vpcId }));
  const subnet = async (cidr: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az }))).Subnet!.SubnetId!;
  const publicSubnet = await subnet('10.0.1.0/24');
  const privateSubnet = await subnet('10.0.2.0/24');
  const table = async (subnetId: string) => {
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId!, SubnetId: subnetId }));
    return RouteTable!.RouteTableId!;
  };
  const publicRt = await table(publicSubnet);
  const privateRt = await table(privateSubnet);
  await ec2.send(new CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: InternetGateway!.InternetGatewayId! }));
  const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId }));
  const natId = NatGateway!.NatGatewayId!;
  // The test server settles state transitions at once (stateTransitionMs: 0).
  const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }));
  assert.equal(NatGateways![0]!.State, 'available');
  const natPublicIp = NatGateways![0]!.NatGatewayAddresses![0]!.PublicIp!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId }));
  const { Instances } = await ec2.send(
    new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: privateSubnet }),
  );
  return { vpcId, publicSubnet, privateSubnet, publicRt, privateRt, natId, natPublicIp, eni: Instances![0]!.NetworkInterfaces![0]!.NetworkInterfaceId! };
}

/** Traces one connection from the private instance through the current state. */
function traced(lab: Lab, destination: string, protocol: 'tcp' | 'udp', port: number, sourcePort = 40000): TraceResult {
  return traceOf({ source: lab.eni, destination, protocol, destinationPort: port, sourcePort });
}

function traceOf(req: TraceRequest): TraceResult {
  return trace(compile(buildNetworkModel(srv.app)), req);
}

function flow(t: TraceResult, spec: FlowSpec, f: { start: number; end: number; packets: number; bytes: number; replyPackets: number; replyBytes: number }): DecidedFlow {
  return {
    spec,
    trace: t,
    decision: t,
    own: (h) => h,
    startMs: f.start,
    endMs: f.end,
    packets: f.packets,
    bytes: f.bytes,
    replyPackets: t.forward.accepted ? f.replyPackets : 0,
    replyBytes: t.forward.accepted ? f.replyBytes : 0,
    observations: [],
  };
}

/** applyNatLimits then recordNatMetrics, as the traffic endpoint runs them. */
async function send(flows: DecidedFlow[]): Promise<void> {
  await srv.app.exclusive(() => {
    applyNatLimits(srv.app, flows);
    recordNatMetrics(srv.app, flows);
  });
}

/** Sum (or another statistic) of one metric per minute in [start, end), via GetMetricStatistics. */
async function perMinute(natId: string, metric: string, start: number, end: number, stat: 'Sum' | 'Maximum' = 'Sum', client = cw): Promise<Map<number, number>> {
  const r = await client.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/NATGateway',
      MetricName: metric,
      Dimensions: [{ Name: 'NatGatewayId', Value: natId }],
      StartTime: new Date(start),
      EndTime: new Date(end),
      Period: 60,
      Statistics: [stat],
    }),
  );
  return new Map((r.Datapoints ?? []).map((d) => [d.Timestamp!.getTime(), d[stat]!]));
}

/** The totals of every metric over [start, end) in one GetMetricData request (Sum, one period). */
async function totals(natId: string, start: number, end: number): Promise<Record<string, number>> {
  const period = Math.ceil((end - start) / MIN) * 60;
  const r = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(start),
      EndTime: new Date(end),
      MetricDataQueries: NAT_METRICS.map(([name], i) => ({
        Id: `m${i}`,
        Label: name,
        MetricStat: {
          Metric: { Namespace: 'AWS/NATGateway', MetricName: name, Dimensions: [{ Name: 'NatGatewayId', Value: natId }] },
          Period: period,
          Stat: name === 'ActiveConnectionCount' ? 'Maximum' : 'Sum',
        },
      })),
    }),
  );
  const out: Record<string, number> = {};
  for (const res of r.MetricDataResults ?? []) out[res.Label!] = (res.Values ?? []).reduce((a, b) => a + b, 0);
  return out;
}

describe('open connections over time (ActiveConnectionCount, port allocation)', () => {
  /** The most spans open at one instant of [s, e), by brute force over every instant. */
  function bruteForce(list: Array<{ s: number; e: number; n: number }>, s: number, e: number): number {
    let max = 0;
    for (let t = s; t < e; t++) {
      let open = 0;
      for (const x of list) if (x.s <= t && t < x.e) open += x.n;
      max = Math.max(max, open);
    }
    return max;
  }

  it('finds the peak of every window in one sweep, as counting every instant does', () => {
    const rnd = seededRandom(12345);
    for (let round = 0; round < 300; round++) {
      const spans = new Spans();
      const list: Array<{ s: number; e: number; n: number }> = [];
      for (let i = rnd(12); i > 0; i--) {
        const s = rnd(300);
        const e = s + 1 + rnd(100);
        // Every other round, spans of one connection each (the sweep's other path).
        const n = round % 2 === 0 ? 1 : 1 + rnd(3);
        spans.add(s, e, n);
        list.push({ s, e, n });
        if (rnd(4) === 0) {
          spans.add(s, e, 1);
          list.push({ s, e, n: 1 });
        }
      }
      const windows = [0, 30, 60, 90, 120, 150, 180, 240, 300, 360].filter(() => rnd(3) !== 0);
      assert.deepEqual(spans.peaks(windows, 30), windows.map((w) => bruteForce(list, w, w + 30)), `round ${round}`);
      assert.equal(spans.peak(50, 250), bruteForce(list, 50, 250));
      assert.equal(spans.total, list.reduce((t, y) => t + y.n, 0));
      spans.prune(200);
      const kept = list.filter((y) => y.e >= 200);
      assert.equal(spans.total, kept.reduce((t, y) => t + y.n, 0));
      assert.equal(spans.empty, kept.length === 0);
      assert.equal(spans.peak(0, 400), bruteForce(kept, 0, 400));
    }
  });

  it('keeps its peaks exact through batches added, asked for and pruned in turn', () => {
    const rnd = seededRandom(777);
    for (let round = 0; round < 100; round++) {
      const spans = new Spans();
      let list: Array<{ s: number; e: number; n: number }> = [];
      for (let step = 0; step < 12; step++) {
        for (let i = rnd(20); i > 0; i--) {
          const s = rnd(1000);
          const e = s + 1 + rnd(150);
          const n = 1 + (rnd(4) === 0 ? rnd(3) : 0);
          spans.add(s, e, n);
          list.push({ s, e, n });
        }
        const what = rnd(3);
        if (what === 0) {
          const before = rnd(1000);
          spans.prune(before);
          list = list.filter((y) => y.e >= before);
        }
        const windows = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].filter(() => rnd(2) === 0);
        assert.deepEqual(spans.peaks(windows, 100), windows.map((w) => bruteForce(list, w, w + 100)), `round ${round} step ${step}`);
        assert.equal(spans.total, list.reduce((t, y) => t + y.n, 0));
      }
    }
  });
});

describe('open connections over time, many of them', () => {
  /** The most spans open at one instant of [a, b): at a, or at a start within (the count only rises at a start). */
  function peakByStarts(list: Array<{ s: number; e: number; n: number }>, a: number, b: number): number {
    const open = (t: number) => list.reduce((c, x) => (x.s <= t && t < x.e ? c + x.n : c), 0);
    let max = open(a);
    for (const x of list) if (a < x.s && x.s < b) max = Math.max(max, open(x.s));
    return max;
  }

  it('keeps its peaks exact with thousands of spans: whole milliseconds since the epoch, fractions, from zero, far apart', () => {
    const rnd = seededRandom(4242);
    const bases = { epoch: 1_764_000_000_000, fractions: 1_764_000_000_000, zero: 0, far: 1_000 };
    for (const [kind, base] of Object.entries(bases)) {
      const spans = new Spans();
      let list: Array<{ s: number; e: number; n: number }> = [];
      const add = (count: number) => {
        for (let i = 0; i < count; i++) {
          const s = base + rnd(600_000) + (kind === 'fractions' && rnd(3) === 0 ? 0.5 : 0) + (kind === 'far' && rnd(2) === 0 ? 2 ** 33 : 0);
          const e = s + 1 + rnd(90_000);
          const n = 1 + (rnd(5) === 0 ? rnd(3) : 0);
          spans.add(s, e, n);
          list.push({ s, e, n });
        }
      };
      const windows = Array.from({ length: 11 }, (_, k) => base + k * MIN);
      add(1500);
      assert.deepEqual(spans.peaks(windows, MIN), windows.map((w) => peakByStarts(list, w, w + MIN)), `${kind}, first`);
      // More added (merged into what was sorted), then the older ones let go.
      add(700);
      assert.deepEqual(spans.peaks(windows, MIN), windows.map((w) => peakByStarts(list, w, w + MIN)), `${kind}, added`);
      const before = base + 4 * MIN;
      spans.prune(before);
      list = list.filter((x) => x.e >= before);
      assert.equal(spans.total, list.reduce((t, x) => t + x.n, 0));
      assert.deepEqual(spans.peaks(windows, MIN), windows.map((w) => peakByStarts(list, w, w + MIN)), `${kind}, pruned`);
    }
  });
});

describe('connections in order of start (port allocation)', () => {
  it('orders by start and keeps the given order of connections that start alike, as a stable sort does', () => {
    const rnd = seededRandom(31);
    for (let round = 0; round < 600; round++) {
      const n = rnd(80);
      // Close starts (counted into place), far apart ones (sorted as numbers), fractions (compared).
      const kind = round % 3;
      const spread = kind === 0 ? 1 + rnd(500) : 1e9;
      const starts = Array.from({ length: n }, () => 1_764_000_000_000 + rnd(spread) + (kind === 2 ? rnd(4) / 4 : 0));
      const order = Array.from({ length: n }, (_, k) => 1000 + 3 * k);
      const expected = order.map((i, k) => ({ i, t: starts[k]!, k })).sort((a, b) => a.t - b.t || a.k - b.k).map((x) => x.i);
      assert.deepEqual(inStartOrder(order.slice(), starts), expected, `round ${round}`);
    }
  });
});

describe('NAT gateway metrics (AWS/NATGateway) from simulated traffic', () => {
  // Whole minutes, a little in the past.
  const t0 = Math.floor(Date.now() / MIN) * MIN - 40 * MIN;
  let lab: Lab;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
    cw = new CloudWatchClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    lab = await build(ec2);
  });

  it('counts bytes and packets each way, attempts and established connections, per minute', async () => {
    const web = traced(lab, WEBSITE, 'tcp', 443);
    assert.equal(web.verdict, 'accepted');
    assert.ok(web.forward.hops.some((h) => h.type === 'nat-gateway' && h.id === lab.natId && h.action === 'translate'));
    const dns = traced(lab, DNS, 'udp', 53);
    assert.equal(dns.verdict, 'accepted');
    // RFC 1918 addresses are not on the internet: the NAT gateway sends, the internet gateway drops.
    const lost = traced(lab, '192.168.5.5', 'tcp', 443);
    assert.equal(lost.verdict, 'dropped');
    assert.equal(lost.explanations[0]!.code, 'IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS');

    const flows = [
      // 50 s in the first minute, 10 s in the second.
      flow(web, { source: lab.eni, destination: WEBSITE }, { start: t0 + 10_000, end: t0 + 70_000, packets: 12, bytes: 1200, replyPackets: 6, replyBytes: 6000 }),
      flow(dns, { source: lab.eni, destination: DNS, protocol: 'udp' }, { start: t0 + 5_000, end: t0 + 5_000, packets: 1, bytes: 80, replyPackets: 1, replyBytes: 200 }),
      flow(lost, { source: lab.eni, destination: '192.168.5.5' }, { start: t0 + 20_000, end: t0 + 30_000, packets: 3, bytes: 180, replyPackets: 3, replyBytes: 999 }),
    ];
    await send(flows);
    assert.ok(flows.every((f) => !f.natDropped));

    const range: [number, number] = [t0, t0 + 5 * MIN];
    assert.deepEqual([...(await perMinute(lab.natId, 'BytesInFromSource', ...range))], [
      [t0, 1000 + 80 + 180],
      [t0 + MIN, 200],
    ]);
    assert.deepEqual([...(await perMinute(lab.natId, 'PacketsInFromSource', ...range))], [
      [t0, 10 + 1 + 3],
      [t0 + MIN, 2],
    ]);
    assert.deepEqual([...(await perMinute(lab.natId, 'BytesOutToDestination', ...range))], [
      [t0, 1000 + 80 + 180],
      [t0 + MIN, 200],
    ]);
    // Only the answered connections bring bytes back.
    assert.deepEqual([...(await perMinute(lab.natId, 'BytesInFromDestination', ...range))], [
      [t0, 5000 + 200],
      [t0 + MIN, 1000],
    ]);
    assert.deepEqual([...(await perMinute(lab.natId, 'PacketsOutToSource', ...range))], [
      [t0, 5 + 1],
      [t0 + MIN, 1],
    ]);
    assert.deepEqual([...(await perMinute(lab.natId, 'ConnectionAttemptCount', ...range))], [
      [t0, 3],
      [t0 + MIN, 0],
    ]);
    assert.deepEqual([...(await perMinute(lab.natId, 'ConnectionEstablishedCount', ...range))], [
      [t0, 2],
      [t0 + MIN, 0],
    ]);
    // One TCP connection established (the DNS query is UDP, the lost one never answered).
    assert.deepEqual([...(await perMinute(lab.natId, 'ActiveConnectionCount', ...range, 'Maximum'))], [
      [t0, 1],
      [t0 + MIN, 1],
    ]);

    const all = await totals(lab.natId, ...range);
    assert.deepEqual(all, {
      ActiveConnectionCount: 1,
      BytesInFromDestination: 6200,
      BytesInFromSource: 1460,
      BytesOutToDestination: 1460,
      BytesOutToSource: 6200,
      ConnectionAttemptCount: 3,
      ConnectionEstablishedCount: 2,
      ErrorPortAllocation: 0,
      IdleTimeoutCount: 0,
      PacketsDropCount: 0,
      PacketsInFromDestination: 7,
      PacketsInFromSource: 16,
      PacketsOutToDestination: 16,
      PacketsOutToSource: 7,
    });

    // Every metric is listed for the NAT gateway, in its own account and region only.
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/NATGateway' }));
    assert.deepEqual(
      listed.Metrics!.map((m) => m.MetricName).sort(),
      NAT_METRICS.map(([n]) => n),
    );
    assert.ok(listed.Metrics!.every((m) => m.Dimensions!.length === 1 && m.Dimensions![0]!.Name === 'NatGatewayId' && m.Dimensions![0]!.Value === lab.natId));
    const west = new CloudWatchClient({ endpoint: srv.endpoint, region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    assert.deepEqual((await west.send(new ListMetricsCommand({ Namespace: 'AWS/NATGateway' }))).Metrics, []);
    assert.equal((await perMinute(lab.natId, 'BytesInFromSource', ...range, 'Sum', west)).size, 0);
  });

  it('a reply dropped after the NAT gateway: in from the destination and out to the source, not established', async () => {
    // The private subnet lets in only traffic from the VPC: the website's reply dies at its ACL.
    const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: lab.vpcId }));
    const aclId = NetworkAcl!.NetworkAclId!;
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress: true, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' }));
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress: false, RuleAction: 'allow', Protocol: '-1', CidrBlock: '10.0.0.0/16' }));
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [lab.privateSubnet] }] }));
    const assoc = NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === lab.privateSubnet)!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aclId }));

    const t = traced(lab, WEBSITE, 'tcp', 443);
    assert.equal(t.verdict, 'dropped');
    assert.equal(t.explanations[0]!.direction, 'return');
    assert.equal(t.explanations[0]!.code, 'SUBNET_ACL_RESTRICTION');
    await send([flow(t, { source: lab.eni, destination: WEBSITE }, { start: t0, end: t0 + 30_000, packets: 4, bytes: 400, replyPackets: 2, replyBytes: 3000 })]);

    const all = await totals(lab.natId, t0, t0 + 2 * MIN);
    assert.equal(all.BytesInFromSource, 400);
    assert.equal(all.BytesOutToDestination, 400);
    assert.equal(all.BytesInFromDestination, 3000);
    assert.equal(all.BytesOutToSource, 3000);
    assert.equal(all.PacketsOutToSource, 2);
    assert.equal(all.ConnectionAttemptCount, 1);
    assert.equal(all.ConnectionEstablishedCount, 0);
    assert.equal(all.ActiveConnectionCount, 0);
  });

  it('no route from the NAT gateway: received from the source, nothing sent on', async () => {
    const t = traced(lab, WEBSITE, 'tcp', 443);
    // The NAT gateway's subnet loses its way to the internet.
    await ec2.send(new DeleteRouteCommand({ RouteTableId: lab.publicRt, DestinationCidrBlock: '0.0.0.0/0' }));
    const cut = traced(lab, WEBSITE, 'tcp', 443);
    assert.equal(t.verdict, 'accepted');
    assert.equal(cut.verdict, 'dropped');
    assert.equal(cut.explanations[0]!.code, 'NO_ROUTE_TO_DESTINATION');
    await send([flow(cut, { source: lab.eni, destination: WEBSITE }, { start: t0, end: t0 + 1_000, packets: 5, bytes: 500, replyPackets: 5, replyBytes: 500 })]);
    const all = await totals(lab.natId, t0, t0 + MIN);
    assert.equal(all.BytesInFromSource, 500);
    assert.equal(all.PacketsInFromSource, 5);
    assert.equal(all.BytesOutToDestination, 0);
    assert.equal(all.PacketsOutToDestination, 0);
    assert.equal(all.BytesInFromDestination, 0);
    assert.equal(all.ConnectionAttemptCount, 1);
    assert.equal(all.ConnectionEstablishedCount, 0);
  });

  it('ActiveConnectionCount counts concurrent TCP connections across batches; IdleTimeoutCount the ones silent for 350 s', async () => {
    const t = traced(lab, WEBSITE, 'tcp', 443);
    const spec: FlowSpec = { source: lab.eni, destination: WEBSITE };
    const traffic = { packets: 10, bytes: 1000, replyPackets: 10, replyBytes: 1000 };
    await send([flow(t, spec, { start: t0, end: t0 + 3 * MIN, ...traffic })]);
    await send([
      flow(t, spec, { start: t0 + MIN, end: t0 + MIN + 30_000, ...traffic }),
      flow(t, spec, { start: t0 + MIN + 10_000, end: t0 + 2 * MIN, ...traffic }),
    ]);
    // Two packets in 20 minutes: silent longer than 350 s between them.
    await send([flow(t, spec, { start: t0 + 10 * MIN, end: t0 + 30 * MIN, packets: 1, bytes: 60, replyPackets: 1, replyBytes: 60 })]);
    // Busy for 20 minutes: never idle.
    await send([flow(t, spec, { start: t0 + 10 * MIN, end: t0 + 30 * MIN, packets: 100, bytes: 6000, replyPackets: 100, replyBytes: 6000 })]);

    const active = await perMinute(lab.natId, 'ActiveConnectionCount', t0, t0 + 4 * MIN, 'Maximum');
    assert.deepEqual([...active], [
      [t0, 1],
      [t0 + MIN, 3],
      [t0 + 2 * MIN, 1],
    ]);
    const idle = await perMinute(lab.natId, 'IdleTimeoutCount', t0 + 10 * MIN, t0 + 30 * MIN);
    assert.equal([...idle.values()].reduce((a, b) => a + b, 0), 1);
    // 350 s after the connection's first packet.
    assert.equal(idle.get(t0 + 15 * MIN), 1);
    assert.equal((await perMinute(lab.natId, 'ActiveConnectionCount', t0 + 20 * MIN, t0 + 21 * MIN, 'Maximum')).get(t0 + 20 * MIN), 2);
  });

  it('counts a connection within one minute as the spread over minutes does, exactly (randomized)', () => {
    const walks = [
      { t: traced(lab, WEBSITE, 'tcp', 443), requestLeft: true, reply: true, accepted: true, tcp: true },
      { t: traced(lab, DNS, 'udp', 53), requestLeft: true, reply: true, accepted: true, tcp: false },
      { t: traced(lab, '192.168.5.5', 'tcp', 443), requestLeft: true, reply: false, accepted: false, tcp: true },
    ];
    const rnd = seededRandom(777);
    // Totals: none, small, past 32 bits, fractions; spans: empty, within a minute, across minutes, idle ones.
    const total = () => [0, 1, 7, 600, 40_000, 2 ** 31 + 5, 3e9 + 1, 2.5, 1e6 + 0.25][rnd(9)]!;
    const flows: DecidedFlow[] = [];
    for (let i = 0; i < 2000; i++) {
      const w = walks[rnd(walks.length)]!;
      const start = t0 + rnd(3 * MIN) + (rnd(5) === 0 ? 0.5 : 0);
      const duration = [0, 1 + rnd(1000), rnd(MIN), MIN + rnd(2 * MIN), 400_000 + rnd(1_000_000)][rnd(5)]!;
      const traffic = { start, end: start + duration, packets: total(), bytes: total(), replyPackets: total(), replyBytes: total() };
      const f = flow(w.t, { source: lab.eni, destination: WEBSITE }, traffic);
      if (w.tcp && w.accepted && rnd(10) === 0) f.natDropped = true;
      flows.push(f);
    }

    // What each minute gets by the rules (docs/nat-metrics.md), every total spread as over several minutes.
    const metric = Object.fromEntries(NAT_METRICS.map(([name], i) => [name, i]));
    const expected = new Map<number, number[]>();
    const at = (t: number) => {
      const m = Math.floor(t / MIN) * MIN;
      let v = expected.get(m);
      if (!v) expected.set(m, (v = new Array<number>(NAT_METRICS.length).fill(0)));
      return v;
    };
    const spread = (s: number, e: number, name: string, value: number) => {
      if (e <= s) {
        at(s)[metric[name]!]! += value;
        return;
      }
      for (let m = Math.floor(s / MIN) * MIN; m < e; m += MIN) {
        const from = Math.max(s, m) - s;
        const to = Math.min(e, m + MIN) - s;
        if (value) at(m)[metric[name]!]! += Math.round((value * to) / (e - s)) - Math.round((value * from) / (e - s));
        else at(m);
      }
    };
    const active: Array<{ s: number; e: number }> = [];
    for (const f of flows) {
      const w = walks.find((x) => x.t === f.decision)!;
      const [s, e] = [f.startMs, f.endMs];
      at(s)[metric.ConnectionAttemptCount!]! += 1;
      if (f.natDropped) {
        at(s)[metric.ErrorPortAllocation!]! += 1;
        spread(s, e, 'PacketsInFromSource', f.packets);
        spread(s, e, 'BytesInFromSource', f.bytes);
        spread(s, e, 'PacketsDropCount', f.packets);
        continue;
      }
      spread(s, e, 'PacketsInFromSource', f.packets);
      spread(s, e, 'BytesInFromSource', f.bytes);
      if (w.requestLeft) {
        spread(s, e, 'PacketsOutToDestination', f.packets);
        spread(s, e, 'BytesOutToDestination', f.bytes);
      }
      if (w.reply && f.replyPackets + f.replyBytes > 0) {
        for (const name of ['PacketsInFromDestination', 'PacketsOutToSource']) spread(s, e, name, f.replyPackets);
        for (const name of ['BytesInFromDestination', 'BytesOutToSource']) spread(s, e, name, f.replyBytes);
      }
      if (!w.accepted || f.replyPackets <= 0) continue;
      at(s)[metric.ConnectionEstablishedCount!]! += 1;
      if (!w.tcp) continue;
      active.push({ s, e: Math.max(e, s + 1) });
      const duration = e - s;
      if (duration > 350_000 && duration / Math.max(1, f.packets + f.replyPackets) > 350_000) at(s + 350_000)[metric.IdleTimeoutCount!]! += 1;
    }
    for (const [m, v] of expected) {
      const open = (t: number) => active.filter((x) => x.s <= t && t < x.e).length;
      v[metric.ActiveConnectionCount!] = Math.max(open(m), ...active.filter((x) => m < x.s && x.s < m + MIN).map((x) => open(x.s)));
    }

    const data = [...natMetricData(srv.app, flows).values()].flat().filter((d) => d.Dimensions![0]!.Value === lab.natId);
    const actual = new Map<number, number[]>();
    for (const d of data) {
      const m = d.Timestamp as number;
      if (!actual.has(m)) actual.set(m, new Array<number>(NAT_METRICS.length).fill(0));
      actual.get(m)![metric[d.MetricName!]!] = d.Value!;
    }
    assert.deepEqual([...actual].sort((a, b) => a[0] - b[0]), [...expected].sort((a, b) => a[0] - b[0]));
  });

  it('port allocation: beyond 55,000 simultaneous connections to one destination, ErrorPortAllocation and natDropped', async () => {
    const t = traced(lab, WEBSITE, 'tcp', 443);
    const spec: FlowSpec = { source: lab.eni, destination: WEBSITE, count: 55_001 };
    const many = (start: number, n: number, s = spec, tr = t) =>
      Array.from({ length: n }, () => flow(tr, s, { start, end: start + 2 * MIN, packets: 3, bytes: 180, replyPackets: 2, replyBytes: 120 }));
    const first = many(t0, 55_001);
    await send(first);
    assert.deepEqual(
      first.map((f, i) => [i, f.natDropped]).filter(([, d]) => d),
      [[55_000, true]],
    );

    let all = await totals(lab.natId, t0, t0 + 2 * MIN);
    assert.equal(all.ErrorPortAllocation, 1);
    assert.equal(all.ConnectionAttemptCount, 55_001);
    assert.equal(all.ConnectionEstablishedCount, 55_000);
    assert.equal(all.ActiveConnectionCount, 55_000);
    assert.equal(all.PacketsDropCount, 3);
    assert.equal(all.PacketsInFromSource, 3 * 55_001);
    assert.equal(all.PacketsOutToDestination, 3 * 55_000);
    assert.equal(all.PacketsInFromDestination, 2 * 55_000);

    // Still open a minute later (an earlier batch): a new connection to the same destination fails,
    const later = many(t0 + MIN, 1);
    // one to another port of the same address does not,
    const otherPort = many(t0 + MIN, 1, { ...spec, destinationPort: 8443 }, traced(lab, WEBSITE, 'tcp', 8443));
    // and one after the 55,000 have ended does not either.
    const afterwards = many(t0 + 2 * MIN, 1);
    await send([...later, ...otherPort, ...afterwards]);
    assert.equal(later[0]!.natDropped, true);
    assert.equal(otherPort[0]!.natDropped, undefined);
    assert.equal(afterwards[0]!.natDropped, undefined);
    all = await totals(lab.natId, t0, t0 + 3 * MIN);
    assert.equal(all.ErrorPortAllocation, 2);
    assert.equal(all.PacketsDropCount, 6);

    // A second Elastic IP doubles what the gateway holds per destination.
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: lab.natId, AllocationIds: [AllocationId!] }));
    const second = many(t0 + MIN + 30_000, 2);
    await send(second);
    assert.deepEqual(second.map((f) => f.natDropped), [undefined, undefined]);
  });

  it('remembers connections for the port limit across batches, and forgets them an hour after they end', async () => {
    const t = traced(lab, WEBSITE, 'tcp', 443);
    const spec: FlowSpec = { source: lab.eni, destination: WEBSITE };
    const base = t0 - 4 * 60 * MIN;
    const many = (start: number, n: number) =>
      Array.from({ length: n }, () => flow(t, spec, { start, end: start + 2 * MIN, packets: 1, bytes: 60, replyPackets: 1, replyBytes: 60 }));
    const full = many(base, 55_000);
    await send(full);
    assert.ok(full.every((f) => !f.natDropped));
    // Later traffic within the hour: the 55,000 are remembered, and one more alongside them fails.
    await send(many(base + 30 * MIN, 1));
    const alongside = many(base + MIN, 1);
    await send(alongside);
    assert.equal(alongside[0]!.natDropped, true);
    // Traffic three hours on: they ended long before, and are forgotten.
    await send(many(base + 3 * 60 * MIN, 1));
    const late = many(base + MIN, 1);
    await send(late);
    assert.equal(late[0]!.natDropped, undefined);
  });

  it('packets the NAT gateway refuses (a connection initiated towards it) count in PacketsDropCount only', async () => {
    const t = traceOf({ source: `internet:${INTERNET_CLIENT}`, destination: lab.natPublicIp, protocol: 'tcp', destinationPort: 443 });
    assert.equal(t.verdict, 'dropped');
    assert.ok(t.forward.hops.some((h) => h.type === 'nat-gateway' && h.id === lab.natId && h.action === 'drop'));
    await send([flow(t, { source: `internet:${INTERNET_CLIENT}`, destination: lab.natPublicIp }, { start: t0, end: t0 + 1_000, packets: 4, bytes: 240, replyPackets: 4, replyBytes: 240 })]);
    const all = await totals(lab.natId, t0, t0 + MIN);
    assert.equal(all.PacketsDropCount, 4);
    assert.equal(all.PacketsInFromSource, 0);
    assert.equal(all.BytesInFromSource, 0);
    assert.equal(all.ConnectionAttemptCount, 0);
    assert.equal(all.ErrorPortAllocation, 0);
  });

  it("metrics go to the NAT gateway's own account and region", async () => {
    const account = '111122223333';
    const far = await build(srv.ec2({ accessKeyId: account, region: 'eu-west-1' }), 'eu-west-1a');
    const spec: FlowSpec = { source: far.eni, destination: WEBSITE };
    const traffic = { start: t0, end: t0 + 10_000, packets: 2, bytes: 222, replyPackets: 1, replyBytes: 111 };
    await send([flow(traced(far, WEBSITE, 'tcp', 443), spec, traffic), flow(traced(lab, WEBSITE, 'tcp', 443), { ...spec, source: lab.eni }, { ...traffic, bytes: 333 })]);

    const farCw = new CloudWatchClient({ endpoint: srv.endpoint, region: 'eu-west-1', credentials: { accessKeyId: account, secretAccessKey: 'test' }, maxAttempts: 1 });
    const listed = await farCw.send(new ListMetricsCommand({ Namespace: 'AWS/NATGateway', MetricName: 'BytesInFromSource' }));
    assert.deepEqual(listed.Metrics!.map((m) => m.Dimensions![0]!.Value), [far.natId]);
    assert.deepEqual([...(await perMinute(far.natId, 'BytesInFromSource', t0, t0 + MIN, 'Sum', farCw))], [[t0, 222]]);
    const home = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/NATGateway', MetricName: 'BytesInFromSource' }));
    assert.deepEqual(home.Metrics!.map((m) => m.Dimensions![0]!.Value), [lab.natId]);
    assert.deepEqual([...(await perMinute(lab.natId, 'BytesInFromSource', t0, t0 + MIN))], [[t0, 333]]);
    assert.equal((await perMinute(far.natId, 'BytesInFromSource', t0, t0 + MIN)).size, 0);
  });

  it('a private NAT gateway towards a peered VPC has the same metrics', async () => {
    // VPC B (10.1.0.0/16) peered with the lab's VPC, a database there open to 10.0.0.0/16.
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    const vpcB = Vpc!.VpcId!;
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcB, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1a' }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcB }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId!, SubnetId: Subnet!.SubnetId! }));
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcB, GroupName: 'db', Description: 'db' }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }] }),
    );
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: Subnet!.SubnetId!, SecurityGroupIds: [GroupId!] }),
    );
    const db = Instances![0]!.PrivateIpAddress!;
    const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: lab.vpcId, PeerVpcId: vpcB }));
    const pcx = VpcPeeringConnection!.VpcPeeringConnectionId!;
    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: lab.publicSubnet, ConnectivityType: 'private' }));
    const privateNat = NatGateway!.NatGatewayId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: lab.privateRt, DestinationCidrBlock: '10.1.0.0/16', NatGatewayId: privateNat }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: lab.publicRt, DestinationCidrBlock: '10.1.0.0/16', VpcPeeringConnectionId: pcx }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTable!.RouteTableId!, DestinationCidrBlock: '10.0.0.0/16', VpcPeeringConnectionId: pcx }));

    const t = traced(lab, db, 'tcp', 5432);
    assert.equal(t.verdict, 'accepted', JSON.stringify(t.explanations));
    assert.ok(t.forward.hops.some((h) => h.type === 'nat-gateway' && h.id === privateNat && h.action === 'translate'));
    await send([flow(t, { source: lab.eni, destination: db, destinationPort: 5432 }, { start: t0, end: t0 + 20_000, packets: 9, bytes: 900, replyPackets: 8, replyBytes: 8000 })]);
    const all = await totals(privateNat, t0, t0 + MIN);
    assert.deepEqual(
      [all.BytesInFromSource, all.BytesOutToDestination, all.BytesInFromDestination, all.BytesOutToSource, all.ConnectionAttemptCount, all.ConnectionEstablishedCount, all.ActiveConnectionCount],
      [900, 900, 8000, 8000, 1, 1, 1],
    );
    // The public NAT gateway carried none of it.
    assert.equal((await perMinute(lab.natId, 'BytesInFromSource', t0, t0 + MIN)).size, 0);
  });

  it('end to end: POST /_vpcsim/traffic gives the NAT gateway the metrics of the traffic sent', async () => {
    const r = await fetch(`${srv.endpoint}/_vpcsim/traffic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        flows: [
          { source: lab.eni, destination: WEBSITE, protocol: 'tcp', destinationPort: 443, packets: 10, bytes: 1000, replyPackets: 5, replyBytes: 5000, durationMs: 30_000, count: 3 },
          { source: lab.eni, destination: '192.168.5.5', protocol: 'tcp', destinationPort: 443, packets: 2, bytes: 120, durationMs: 1_000 },
        ],
      }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const now = Math.floor(Date.now() / MIN) * MIN;
    const all = await totals(lab.natId, now - 20 * MIN, now + 20 * MIN);
    assert.equal(all.BytesInFromSource, 3 * 1000 + 120);
    assert.equal(all.BytesOutToDestination, 3 * 1000 + 120);
    assert.equal(all.BytesInFromDestination, 3 * 5000);
    assert.equal(all.BytesOutToSource, 3 * 5000);
    assert.equal(all.PacketsInFromSource, 3 * 10 + 2);
    assert.equal(all.PacketsOutToSource, 3 * 5);
    assert.equal(all.ConnectionAttemptCount, 4);
    assert.equal(all.ConnectionEstablishedCount, 3);
    assert.equal(all.ErrorPortAllocation, 0);
  });

  it('two NAT gateways in a row: the one without a port drops the connection, the one before forwarded it', async () => {
    // private instance → private NAT gateway (two addresses: 110,000 per destination) → public NAT gateway (55,000) → internet
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: lab.vpcId, CidrBlock: '10.0.3.0/24', AvailabilityZone: 'us-east-1a' }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: lab.vpcId }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId!, SubnetId: Subnet!.SubnetId! }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTable!.RouteTableId!, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: lab.natId }));
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: Subnet!.SubnetId!, ConnectivityType: 'private' }));
    const first = NatGateway!.NatGatewayId!;
    await ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: first, PrivateIpAddressCount: 1 }));
    await ec2.send(new ReplaceRouteCommand({ RouteTableId: lab.privateRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: first }));

    const t = traced(lab, WEBSITE, 'tcp', 443);
    assert.equal(t.verdict, 'accepted', JSON.stringify(t.explanations));
    assert.deepEqual(
      t.forward.hops.filter((h) => h.type === 'nat-gateway').map((h) => [h.id, h.action]),
      [
        [first, 'translate'],
        [lab.natId, 'translate'],
      ],
    );
    const flows = Array.from({ length: 55_001 }, () =>
      flow(t, { source: lab.eni, destination: WEBSITE, count: 55_001 }, { start: t0, end: t0 + 30_000, packets: 2, bytes: 100, replyPackets: 1, replyBytes: 50 }),
    );
    await send(flows);
    assert.equal(flows.filter((f) => f.natDropped).length, 1);

    const a = await totals(first, t0, t0 + MIN);
    const b = await totals(lab.natId, t0, t0 + MIN);
    assert.deepEqual(
      [a.ConnectionAttemptCount, a.ErrorPortAllocation, a.PacketsDropCount, a.PacketsOutToDestination, a.PacketsInFromDestination, a.ConnectionEstablishedCount],
      [55_001, 0, 0, 2 * 55_001, 55_000, 55_000],
    );
    assert.deepEqual(
      [b.ConnectionAttemptCount, b.ErrorPortAllocation, b.PacketsDropCount, b.PacketsInFromSource, b.PacketsOutToDestination, b.ConnectionEstablishedCount],
      [55_001, 1, 2, 2 * 55_001, 2 * 55_000, 55_000],
    );
  });

  it('AWS CLI: get-metric-statistics and list-metrics in AWS/NATGateway', async () => {
    const t = traced(lab, WEBSITE, 'tcp', 443);
    await send([
      flow(t, { source: lab.eni, destination: WEBSITE }, { start: t0 + 2 * MIN, end: t0 + 2 * MIN + 30_000, packets: 7, bytes: 7000, replyPackets: 3, replyBytes: 300 }),
    ]);
    const stats = await cli.ok([
      'cloudwatch', 'get-metric-statistics',
      '--namespace', 'AWS/NATGateway',
      '--metric-name', 'BytesOutToDestination',
      '--dimensions', `Name=NatGatewayId,Value=${lab.natId}`,
      '--start-time', new Date(t0).toISOString(),
      '--end-time', new Date(t0 + 5 * MIN).toISOString(),
      '--period', '60',
      '--statistics', 'Sum',
    ]);
    assert.equal(stats.Label, 'BytesOutToDestination');
    assert.deepEqual(
      stats.Datapoints.map((d: { Timestamp: string; Sum: number; Unit: string }) => [Date.parse(d.Timestamp), d.Sum, d.Unit]),
      [[t0 + 2 * MIN, 7000, 'Bytes']],
    );
    const listed = await cli.ok(['cloudwatch', 'list-metrics', '--namespace', 'AWS/NATGateway', '--metric-name', 'ConnectionEstablishedCount']);
    assert.deepEqual(listed.Metrics, [
      { Namespace: 'AWS/NATGateway', MetricName: 'ConnectionEstablishedCount', Dimensions: [{ Name: 'NatGatewayId', Value: lab.natId }] },
    ]);
  });
});
