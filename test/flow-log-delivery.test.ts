/**
 * Flow log delivery against a running server: observations fed to the app's pipeline, records
 * aggregated per window (NODATA, SKIPDATA), then read back as a user would with
 * @aws-sdk/client-cloudwatch-logs (streams, events, space-delimited filter patterns) and
 * @aws-sdk/client-s3 (keys in AWS's layout, gzip text with a header line), and the flow log's
 * delivery status through @aws-sdk/client-ec2.
 */
import {
  CloudWatchLogsClient,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFlowLogsCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteFlowLogsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeFlowLogsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { logGroupExists } from '../src/services/logs/index.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { type DeliveryReport, flowHash, flowLogPipeline, flowLogPipelineImpl, s3Key, sortByStart } from '../src/traffic/flow-log-delivery.js';
import { type FlowRecord, flowKind } from '../src/traffic/flow-records.js';
import type { InterfaceObservation } from '../src/traffic/types.js';
import { seededRandom, startTestServer, type TestServer } from './helpers.js';
import { TEST_ON_POSTGRES } from './pg.js';

/** The final counts of a delivery (on a shared store the writes finish after the call returns). */
const settle = async (r: DeliveryReport): Promise<DeliveryReport> => (r.settled ? await r.settled : r);

const ROLE = 'arn:aws:iam::000000000000:role/flow-logs';
const ACCOUNT = '000000000000';
const MIN = 60_000;

describe('flow log delivery', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let logs: CloudWatchLogsClient;
  let s3: S3Client;
  let vpcId: string;
  let subnetId: string;
  let eniId: string;
  let eniIp: string;
  /** A time after the flow logs' creation, on a 10-minute boundary (so on a 1-minute one too). */
  let base: number;

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
    const cfg = { endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
    logs = new CloudWatchLogsClient(cfg);
    s3 = new S3Client({ ...cfg, forcePathStyle: true });
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.60.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: '10.60.1.10' }))).NetworkInterface!;
    eniId = eni.NetworkInterfaceId!;
    eniIp = eni.PrivateIpAddress!;
    base = Math.ceil((Date.now() + 1000) / (10 * MIN)) * 10 * MIN;
  });

  const cwFlowLog = async (input: object = {}) =>
    (
      await ec2.send(
        new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [vpcId], TrafficType: 'ALL', LogGroupName: '/vpc/flow', DeliverLogsPermissionArn: ROLE, MaxAggregationInterval: 60, ...input } as never),
      )
    ).FlowLogIds![0]!;

  const obs = (over: Partial<InterfaceObservation> = {}): InterfaceObservation => ({
    interfaceId: eniId,
    account: ACCOUNT,
    region: 'us-east-1',
    vpcId,
    subnetId,
    srcaddr: '203.0.113.5',
    dstaddr: eniIp,
    srcport: 20641,
    dstport: 22,
    protocol: 6,
    pktSrcaddr: '203.0.113.5',
    pktDstaddr: eniIp,
    packets: 10,
    bytes: 1000,
    tcpFlags: 2,
    action: 'ACCEPT',
    flowDirection: 'ingress',
    startMs: base + 10_000,
    endMs: base + 20_000,
    ...over,
  });

  const sec = (ms: number) => Math.floor(ms / 1000);
  /** Runs `fn` with the pipeline's window capacity set to `n`, then sets it back. */
  const withWindowCapacity = async (n: number, fn: (impl: ReturnType<typeof flowLogPipelineImpl>) => Promise<void>) => {
    const impl = flowLogPipelineImpl(srv.app);
    const saved = impl.windowCapacity;
    impl.windowCapacity = n;
    try {
      await fn(impl);
    } finally {
      impl.windowCapacity = saved;
    }
  };
  const events = async (stream: string, group = '/vpc/flow') =>
    (await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }))).events!;

  it('two flow logs of one interface aggregate once while they capture the same traffic, and apart once only one of them captured some', async () => {
    const first = await cwFlowLog();
    await new Promise((r) => setTimeout(r, 30));
    const second = await cwFlowLog({ LogGroupName: '/vpc/second' });
    const described = (await ec2.send(new DescribeFlowLogsCommand({ FlowLogIds: [first, second] }))).FlowLogs!;
    const createdAt = (id: string) => described.find((f) => f.FlowLogId === id)!.CreationTime!.getTime();
    const between = createdAt(first) + 1;
    assert.ok(between < createdAt(second), 'the flow logs were created apart');
    const p = flowLogPipeline(srv.app);
    // Both capture: one aggregation for the two.
    p.record([obs()]);
    // Before the second flow log existed: only the first captures it (its own window), and from
    // then on each aggregates on its own, starting from what the two had in common.
    p.record([obs({ startMs: between, endMs: between }), obs()]);
    const report = await settle(p.flush());
    assert.equal(report.records, 3);
    const lines = async (group: string) => (await events(`${eniId}-all`, group)).map((e) => e.message!.split(' ').slice(8, 11).join(' '));
    assert.deepEqual(await lines('/vpc/flow'), [`10 1000 ${sec(between)}`, `20 2000 ${sec(base + 10_000)}`]);
    assert.deepEqual(await lines('/vpc/second'), [`20 2000 ${sec(base + 10_000)}`]);
    // Later traffic keeps them apart and right.
    p.record([obs({ srcport: 1111 })]);
    await settle(p.flush());
    assert.deepEqual((await lines('/vpc/flow')).slice(2), [`10 1000 ${sec(base + 10_000)}`]);
    assert.deepEqual((await lines('/vpc/second')).slice(1), [`10 1000 ${sec(base + 10_000)}`]);
  });

  it('notices flow logs created and deleted between two record calls', async () => {
    const first = await cwFlowLog();
    const p = flowLogPipelineImpl(srv.app);
    p.record([obs()]);
    // Created after the first call: captures the second call's traffic (which is later than it).
    await cwFlowLog({ LogGroupName: '/vpc/later' });
    p.record([obs({ srcport: 2222 })]);
    assert.equal(p.pending, 3);
    // Deleted: captures nothing more.
    await ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: [first] }));
    p.record([obs({ srcport: 3333 })]);
    assert.equal(p.pending, 4);
    await settle(p.flush());
    const ports = (await events(`${eniId}-all`, '/vpc/later')).map((e) => e.message!.split(' ')[5]).sort();
    assert.deepEqual(ports, ['2222', '3333']);
  });

  it('delivers lines beyond ASCII to CloudWatch Logs intact, event by event', async () => {
    await cwFlowLog({ LogFormat: '${az-id} ${srcport} ${packets}' });
    const p = flowLogPipeline(srv.app);
    // An Availability Zone ID beyond ASCII (as a producer could hand one over): its lines are UTF-8.
    p.record([3, 1, 2].map((k) => obs({ azId: 'usé1-az1', srcport: 1000 + k, packets: k, startMs: base + k * 1000, endMs: base + k * 1000 })));
    assert.equal((await settle(p.flush())).records, 3);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      ['usé1-az1 1001 1', 'usé1-az1 1002 2', 'usé1-az1 1003 3'],
    );
  });

  it('delivers to CloudWatch Logs: one stream per interface, one event per record, readable with a space-delimited filter pattern', async () => {
    await cwFlowLog();
    const p = flowLogPipeline(srv.app);
    p.record([
      obs(),
      obs({ srcaddr: '198.51.100.7', pktSrcaddr: '198.51.100.7', srcport: 49761, dstport: 3389, packets: 3, bytes: 180, action: 'REJECT', startMs: base + 30_000, endMs: base + 31_000 }),
    ]);
    const report = await settle(p.flush());
    assert.deepEqual({ records: report.records, logEvents: report.logEvents, s3Objects: report.s3Objects }, { records: 2, logEvents: 2, s3Objects: 0 });

    const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/vpc/flow' }))).logStreams!;
    assert.deepEqual(streams.map((s) => s.logStreamName), [`${eniId}-all`]);
    assert.equal(streams[0]!.firstEventTimestamp, (sec(base) + 10) * 1000);
    const evs = await events(`${eniId}-all`);
    assert.deepEqual(
      evs.map((e) => [e.timestamp, e.message]),
      [
        [(sec(base) + 10) * 1000, `2 ${ACCOUNT} ${eniId} 203.0.113.5 ${eniIp} 20641 22 6 10 1000 ${sec(base) + 10} ${sec(base) + 20} ACCEPT OK`],
        [(sec(base) + 30) * 1000, `2 ${ACCOUNT} ${eniId} 198.51.100.7 ${eniIp} 49761 3389 6 3 180 ${sec(base) + 30} ${sec(base) + 31} REJECT OK`],
      ],
    );
    const ssh = await logs.send(
      new FilterLogEventsCommand({ logGroupName: '/vpc/flow', filterPattern: '[version, account, eni, source, destination, srcport, destport="22", ...]' }),
    );
    assert.deepEqual(ssh.events!.map((e) => e.message!.split(' ')[3]), ['203.0.113.5']);
    const rejects = await logs.send(new FilterLogEventsCommand({ logGroupName: '/vpc/flow', filterPattern: '[..., action="REJECT", status]' }));
    assert.deepEqual(rejects.events!.map((e) => e.message!.split(' ')[6]), ['3389']);
    // The log group was created by the delivery.
    const groups = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups!;
    assert.deepEqual(groups.map((g) => g.logGroupName), ['/vpc/flow']);
  });

  it('aggregates one flow per window: sums packets and bytes, ORs TCP flags, spans first to last packet; another window is another record', async () => {
    await cwFlowLog({ LogFormat: '${srcport} ${packets} ${bytes} ${tcp-flags} ${start} ${end} ${log-status}' });
    const p = flowLogPipeline(srv.app);
    p.record([obs({ tcpFlags: 2, startMs: base + 5_000, endMs: base + 6_000 }), obs({ tcpFlags: 16, packets: 5, bytes: 300, startMs: base + 40_500, endMs: base + 50_900 })]);
    p.record([obs({ tcpFlags: 1, packets: 1, bytes: 40, startMs: base + MIN + 1_000, endMs: base + MIN + 1_000 })]);
    // Only the first window has closed.
    const first = await settle(p.deliverDue(base + MIN));
    assert.equal(first.records, 1);
    assert.deepEqual((await events(`${eniId}-all`)).map((e) => e.message), [`20641 15 1300 18 ${sec(base) + 5} ${sec(base) + 50} OK`]);
    const second = await settle(p.deliverDue(base + 2 * MIN));
    assert.equal(second.records, 1);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [`20641 15 1300 18 ${sec(base) + 5} ${sec(base) + 50} OK`, `20641 1 40 1 ${sec(base) + 61} ${sec(base) + 61} OK`],
    );
    // Nothing left.
    assert.equal((await settle(p.flush())).records, 0);
  });

  it('keeps different flows apart and honours TrafficType (ACCEPT-only and REJECT-only flow logs)', async () => {
    await cwFlowLog({ TrafficType: 'ACCEPT', LogGroupName: '/vpc/accept', LogFormat: '${srcport} ${action}' });
    await cwFlowLog({ TrafficType: 'REJECT', LogGroupName: '/vpc/reject', LogFormat: '${srcport} ${action}' });
    const p = flowLogPipeline(srv.app);
    p.record([obs({ srcport: 1000 }), obs({ srcport: 1001 }), obs({ srcport: 1002, action: 'REJECT' })]);
    const r = await settle(p.flush());
    assert.equal(r.records, 3);
    assert.deepEqual((await events(`${eniId}-accept`, '/vpc/accept')).map((e) => e.message), ['1000 ACCEPT', '1001 ACCEPT']);
    assert.deepEqual((await events(`${eniId}-reject`, '/vpc/reject')).map((e) => e.message), ['1002 REJECT']);
  });

  it('captures only traffic after the flow log was created, only on the interfaces it covers, and not for Firehose destinations', async () => {
    await cwFlowLog({ ResourceType: 'Subnet', ResourceIds: [subnetId], LogFormat: '${interface-id} ${srcport}' });
    await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'VPC',
        ResourceIds: [vpcId],
        TrafficType: 'ALL',
        LogDestinationType: 'kinesis-data-firehose',
        LogDestination: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/flows',
        DeliverLogsPermissionArn: ROLE,
      }),
    );
    const other = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.60.2.0/24' }))).Subnet!.SubnetId!;
    const p = flowLogPipeline(srv.app);
    p.record([
      obs({ srcport: 1, startMs: Date.now() - 3_600_000, endMs: Date.now() - 3_599_000 }),
      obs({ srcport: 2, subnetId: other, interfaceId: 'eni-0000000000000000f' }),
      obs({ srcport: 3 }),
    ]);
    const r = await settle(p.flush());
    assert.equal(r.records, 1);
    assert.deepEqual((await events(`${eniId}-all`)).map((e) => e.message), [`${eniId} 3`]);
  });

  it('writes NODATA for windows the interface spent idle after it had traffic, up to the time the simulation reached and 60 windows after the last traffic', async () => {
    await cwFlowLog({ LogFormat: '${version} ${interface-id} ${srcaddr} ${packets} ${start} ${end} ${action} ${log-status}' });
    const p = flowLogPipeline(srv.app);
    // Before any traffic: no NODATA.
    assert.equal((await settle(p.deliverDue(base + 2 * MIN))).records, 0);
    p.record([obs({ startMs: base + 2 * MIN + 1_000, endMs: base + 2 * MIN + 2_000 })]);
    const r = await settle(p.deliverDue(base + 5 * MIN));
    assert.equal(r.records, 3);
    const w = (k: number) => sec(base) + k * 60;
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [`2 ${eniId} 203.0.113.5 10 ${w(2) + 1} ${w(2) + 2} ACCEPT OK`, `2 ${eniId} - - ${w(3)} ${w(3) + 59} - NODATA`, `2 ${eniId} - - ${w(4)} ${w(4) + 59} - NODATA`],
    );
    // The same time again adds nothing; a later time adds the windows passed since.
    assert.equal((await settle(p.deliverDue(base + 5 * MIN))).records, 0);
    assert.equal((await settle(p.deliverDue(base + 7 * MIN + 30_000))).records, 2);
    // A jump far ahead writes NODATA up to 60 windows after the last traffic (window 2), then no more.
    const late = await settle(p.deliverDue(base + 24 * 60 * MIN));
    assert.equal(late.records, 62 - 7 + 1);
    const all = await events(`${eniId}-all`);
    assert.equal(all.at(-1)!.message, `2 ${eniId} - - ${w(62)} ${w(62) + 59} - NODATA`);
    assert.equal((await settle(p.deliverDue(base + 48 * 60 * MIN))).records, 0);
    assert.equal(flowLogPipelineImpl(srv.app).pairCount, 0);
    // New traffic starts the count again.
    p.record([obs({ startMs: base + 48 * 60 * MIN + 5_000, endMs: base + 48 * 60 * MIN + 5_000 })]);
    assert.equal((await settle(p.deliverDue(base + 48 * 60 * MIN + 3 * MIN))).records, 3);
  });

  it('turns the flows past the window capacity into one SKIPDATA record', async () => {
    await cwFlowLog({ LogFormat: '${srcport} ${packets} ${start} ${end} ${log-status}' });
    await withWindowCapacity(2, async (impl) => {
      impl.record([
        obs({ srcport: 1, startMs: base + 1_000, endMs: base + 1_000 }),
        obs({ srcport: 2, startMs: base + 2_000, endMs: base + 2_000 }),
        obs({ srcport: 1, startMs: base + 3_000, endMs: base + 3_000 }),
        obs({ srcport: 3, startMs: base + 7_000, endMs: base + 8_000 }),
        obs({ srcport: 4, startMs: base + 4_000, endMs: base + 5_000 }),
      ]);
      assert.equal(impl.pending, 3);
      assert.equal((await settle(impl.flush())).records, 3);
    });
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [`1 20 ${sec(base) + 1} ${sec(base) + 3} OK`, `2 10 ${sec(base) + 2} ${sec(base) + 2} OK`, `- - ${sec(base) + 4} ${sec(base) + 8} SKIPDATA`],
    );
  });

  it("keeps each interface's observations in their order when interfaces come interleaved", async () => {
    await cwFlowLog({ LogFormat: '${interface-id} ${srcport} ${packets} ${start} ${end} ${log-status}' });
    const other = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: '10.60.1.11' }))).NetworkInterface!;
    const two = (over: Partial<InterfaceObservation>) => obs({ interfaceId: other.NetworkInterfaceId!, dstaddr: other.PrivateIpAddress!, pktDstaddr: other.PrivateIpAddress!, ...over });
    await withWindowCapacity(2, async (impl) => {
      // Which flows get a record and which the SKIPDATA record is the order each interface saw them in.
      impl.record([
        two({ srcport: 9, startMs: base + 9_000, endMs: base + 9_000 }),
        obs({ srcport: 3, startMs: base + 3_000, endMs: base + 3_000 }),
        two({ srcport: 8, startMs: base + 1_000, endMs: base + 1_000 }),
        obs({ srcport: 1, startMs: base + 1_000, endMs: base + 1_000 }),
        two({ srcport: 7, startMs: base + 5_000, endMs: base + 5_000 }),
        obs({ srcport: 3, startMs: base + 4_000, endMs: base + 4_000 }),
        obs({ srcport: 2, startMs: base + 2_000, endMs: base + 2_000 }),
        two({ srcport: 9, startMs: base + 6_000, endMs: base + 6_000 }),
      ]);
      assert.equal((await settle(impl.flush())).records, 6);
    });
    const s = sec(base);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [`${eniId} 1 10 ${s + 1} ${s + 1} OK`, `${eniId} - - ${s + 2} ${s + 2} SKIPDATA`, `${eniId} 3 20 ${s + 3} ${s + 4} OK`],
    );
    assert.deepEqual(
      (await events(`${other.NetworkInterfaceId!}-all`)).map((e) => e.message),
      [`${other.NetworkInterfaceId!} 8 10 ${s + 1} ${s + 1} OK`, `${other.NetworkInterfaceId!} - - ${s + 5} ${s + 5} SKIPDATA`, `${other.NetworkInterfaceId!} 9 20 ${s + 6} ${s + 9} OK`],
    );
  });

  it('keeps what a record needs of an observation, not the observation: changing it afterwards changes nothing', async () => {
    await cwFlowLog({ LogFormat: '${srcaddr} ${dstaddr} ${srcport} ${dstport} ${action} ${packets}' });
    const p = flowLogPipeline(srv.app);
    const o = obs({ startMs: base + 1_000, endMs: base + 1_000 });
    p.record([o]);
    Object.assign(o, { srcaddr: '198.51.100.99', pktSrcaddr: '198.51.100.99', srcport: 1, dstport: 2, action: 'REJECT' });
    // The same flow again: it aggregates into the first record, whose key is what was recorded.
    p.record([obs({ startMs: base + 2_000, endMs: base + 2_000 })]);
    assert.equal((await settle(p.flush())).records, 1);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [`203.0.113.5 ${eniIp} 20641 22 ACCEPT 20`],
    );
  });

  it('splits a flow that spans several windows among them', async () => {
    await cwFlowLog({ LogFormat: '${packets} ${bytes} ${tcp-flags} ${start} ${end}' });
    const p = flowLogPipeline(srv.app);
    // 150 s from base+30s: 30 s, 60 s and 60 s in three windows.
    p.record([obs({ packets: 150, bytes: 15_000, tcpFlags: 2 | 16 | 1, startMs: base + 30_000, endMs: base + 180_000 - 1 })]);
    assert.equal((await settle(p.deliverDue(base + 3 * MIN))).records, 3);
    const s = sec(base);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [`30 3000 18 ${s + 30} ${s + 59}`, `60 6000 16 ${s + 60} ${s + 119}`, `60 6000 17 ${s + 120} ${s + 179}`],
    );
  });

  it('delivers to S3 as gzip text in AWS key layouts (Hive-compatible hourly, and plain with a prefix), header line first', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'flow-bucket' }));
    const hive = (
      await ec2.send(
        new CreateFlowLogsCommand({
          ResourceType: 'Subnet',
          ResourceIds: [subnetId],
          TrafficType: 'ALL',
          LogDestinationType: 's3',
          LogDestination: 'arn:aws:s3:::flow-bucket',
          MaxAggregationInterval: 60,
          LogFormat: '${version} ${vpc-id} ${subnet-id} ${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${packets} ${flow-direction} ${traffic-path} ${action} ${log-status}',
          DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: true, PerHourPartition: true },
        }),
      )
    ).FlowLogIds![0]!;
    const plain = (
      await ec2.send(
        new CreateFlowLogsCommand({ ResourceType: 'NetworkInterface', ResourceIds: [eniId], TrafficType: 'REJECT', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket/team/net/' }),
      )
    ).FlowLogIds![0]!;
    const p = flowLogPipeline(srv.app);
    p.record([
      obs(),
      obs({ flowDirection: 'egress', srcaddr: eniIp, dstaddr: '203.0.113.5', srcport: 22, dstport: 20641, pktSrcaddr: eniIp, pktDstaddr: '203.0.113.5', trafficPath: 2 }),
      obs({ srcport: 5555, dstport: 3389, action: 'REJECT', packets: 1, bytes: 60 }),
    ]);
    const at = base + MIN;
    // The 1-minute window of the first flow log has closed, the 10-minute one of the second not yet.
    const r = await settle(p.deliverDue(at));
    assert.deepEqual({ records: r.records, logEvents: r.logEvents, s3Objects: r.s3Objects }, { records: 3, logEvents: 0, s3Objects: 1 });
    const f = await settle(p.flush());
    assert.deepEqual({ records: f.records, logEvents: f.logEvents, s3Objects: f.s3Objects }, { records: 1, logEvents: 0, s3Objects: 1 });

    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'flow-bucket' }))).Contents ?? []).map((o) => o.Key!).sort();
    assert.equal(keys.length, 2);
    const t = new Date(at);
    const y = t.getUTCFullYear();
    const mo = String(t.getUTCMonth() + 1).padStart(2, '0');
    const d = String(t.getUTCDate()).padStart(2, '0');
    const h = String(t.getUTCHours()).padStart(2, '0');
    const mi = String(t.getUTCMinutes()).padStart(2, '0');
    const hiveKey = keys.find((k) => k.includes(hive))!;
    const plainKey = keys.find((k) => k.includes(plain))!;
    assert.match(
      hiveKey,
      new RegExp(`^AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/year=${y}/month=${mo}/day=${d}/hour=${h}/${ACCOUNT}_vpcflowlogs_us-east-1_${hive}_${y}${mo}${d}T${h}${mi}Z_[0-9a-f]{8}\\.log\\.gz$`),
    );
    assert.match(plainKey, new RegExp(`^team/net/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/${y}/${mo}/${d}/${ACCOUNT}_vpcflowlogs_us-east-1_${plain}_${y}${mo}${d}T${h}${mi}Z_[0-9a-f]{8}\\.log\\.gz$`));

    const read = async (key: string) => gunzipSync(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'flow-bucket', Key: key }))).Body!.transformToByteArray())).toString();
    assert.equal(
      await read(hiveKey),
      [
        'version vpc-id subnet-id interface-id srcaddr dstaddr dstport packets flow-direction traffic-path action log-status',
        `5 ${vpcId} ${subnetId} ${eniId} 203.0.113.5 ${eniIp} 22 10 ingress - ACCEPT OK`,
        `5 ${vpcId} ${subnetId} ${eniId} ${eniIp} 203.0.113.5 20641 10 egress 2 ACCEPT OK`,
        `5 ${vpcId} ${subnetId} ${eniId} 203.0.113.5 ${eniIp} 3389 1 ingress - REJECT OK`,
        '',
      ].join('\n'),
    );
    assert.equal(
      await read(plainKey),
      [
        'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
        `2 ${ACCOUNT} ${eniId} 203.0.113.5 ${eniIp} 5555 3389 6 1 60 ${sec(base) + 10} ${sec(base) + 20} REJECT OK`,
        '',
      ].join('\n'),
    );
    assert.equal(s3Key({ account: ACCOUNT, region: 'eu-west-1', flowLogId: 'fl-1', prefix: 'p' }, Date.UTC(2026, 0, 2, 3, 4), 'abcdef01'), `p/AWSLogs/${ACCOUNT}/vpcflowlogs/eu-west-1/2026/01/02/${ACCOUNT}_vpcflowlogs_eu-west-1_fl-1_20260102T0304Z_abcdef01.log.gz`);
  });

  it('delivers Parquet files (FileFormat parquet): AWS column names and types, null for what plain text prints as -, GZIP pages, .log.parquet', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'parquet-bucket' }));
    const id = (
      await ec2.send(
        new CreateFlowLogsCommand({
          ResourceType: 'NetworkInterface',
          ResourceIds: [eniId],
          TrafficType: 'ALL',
          LogDestinationType: 's3',
          LogDestination: 'arn:aws:s3:::parquet-bucket',
          MaxAggregationInterval: 60,
          LogFormat: '${version} ${account-id} ${interface-id} ${srcaddr} ${srcport} ${protocol} ${packets} ${bytes} ${start} ${end} ${tcp-flags} ${traffic-path} ${action} ${log-status} ${pkt-src-aws-service}',
          DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true },
        }),
      )
    ).FlowLogIds![0]!;
    const p = flowLogPipeline(srv.app);
    p.record([
      // Later in the window first: the file holds an interface's records in time order.
      obs({ startMs: base + 30_000, endMs: base + 31_000, flowDirection: 'egress', srcaddr: eniIp, dstaddr: '203.0.113.5', srcport: 22, dstport: 20641, trafficPath: 2, packets: 3_000_000_000, bytes: 6_000_000_000 }),
      obs({ srcport: 5555, action: 'REJECT', packets: 1, bytes: 60, tcpFlags: 0 }),
    ]);
    const r = await settle(p.flush());
    assert.deepEqual({ records: r.records, s3Objects: r.s3Objects }, { records: 2, s3Objects: 1 });

    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'parquet-bucket' }))).Contents ?? []).map((o) => o.Key!);
    assert.equal(keys.length, 1);
    assert.match(keys[0]!, new RegExp(`^AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/year=\\d{4}/month=\\d{2}/day=\\d{2}/${ACCOUNT}_vpcflowlogs_us-east-1_${id}_\\d{8}T\\d{4}Z_[0-9a-f]{8}\\.log\\.parquet$`));
    const bytes = await (await s3.send(new GetObjectCommand({ Bucket: 'parquet-bucket', Key: keys[0]! }))).Body!.transformToByteArray();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(file);
    assert.deepEqual(
      meta.schema.slice(1).map((e) => [e.name, e.type, e.converted_type ?? '']),
      [
        ['version', 'INT32', ''],
        ['account_id', 'BYTE_ARRAY', 'UTF8'],
        ['interface_id', 'BYTE_ARRAY', 'UTF8'],
        ['srcaddr', 'BYTE_ARRAY', 'UTF8'],
        ['srcport', 'INT32', ''],
        ['protocol', 'INT32', ''],
        ['packets', 'INT64', ''],
        ['bytes', 'INT64', ''],
        ['start', 'INT64', ''],
        ['end', 'INT64', ''],
        ['tcp_flags', 'INT32', ''],
        ['traffic_path', 'INT32', ''],
        ['action', 'BYTE_ARRAY', 'UTF8'],
        ['log_status', 'BYTE_ARRAY', 'UTF8'],
        ['pkt_src_aws_service', 'BYTE_ARRAY', 'UTF8'],
      ],
    );
    assert.ok(meta.row_groups.every((g) => g.columns.every((c) => c.meta_data?.codec === 'GZIP')), 'GZIP pages');
    const rows = await parquetReadObjects({ file, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } });
    const s = sec(base);
    const row = (srcaddr: string, srcport: number, packets: bigint, bytes: bigint, start: number, end: number, flags: number, path: number | null, action: string) => ({
      version: 5,
      account_id: ACCOUNT,
      interface_id: eniId,
      srcaddr,
      srcport,
      protocol: 6,
      packets,
      bytes,
      start: BigInt(start),
      end: BigInt(end),
      tcp_flags: flags,
      traffic_path: path,
      action,
      log_status: 'OK',
      pkt_src_aws_service: null,
    });
    assert.deepEqual(rows, [
      row('203.0.113.5', 5555, 1n, 60n, s + 10, s + 20, 0, null, 'REJECT'),
      row(eniIp, 22, 3_000_000_000n, 6_000_000_000n, s + 30, s + 31, 2, 2, 'ACCEPT'),
    ]);
  });

  it('a flow log to S3 and its twin to CloudWatch Logs deliver the same lines, in each interface\'s time order, delivery after delivery', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'twin-bucket' }));
    await cwFlowLog();
    const toS3 = (
      await ec2.send(
        new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [vpcId], TrafficType: 'ALL', MaxAggregationInterval: 60, LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::twin-bucket' }),
      )
    ).FlowLogIds![0]!;
    const other = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: '10.60.1.11' }))).NetworkInterface!.NetworkInterfaceId!;
    const p = flowLogPipeline(srv.app);
    const read = async (key: string) => gunzipSync(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'twin-bucket', Key: key }))).Body!.transformToByteArray())).toString();
    const seen = new Set<string>();
    for (let round = 0; round < 2; round++) {
      const t = base + round * 10 * MIN;
      p.record([
        obs({ startMs: t + 3 * MIN, endMs: t + 3 * MIN + 500 }),
        obs({ interfaceId: other, dstaddr: '10.60.1.11', pktDstaddr: '10.60.1.11', startMs: t + 2 * MIN, endMs: t + 2 * MIN + 10 }),
        obs({ srcport: 30_000 + round, startMs: t + 1_000, endMs: t + 2_000 }),
        obs({ interfaceId: other, dstaddr: '10.60.1.11', pktDstaddr: '10.60.1.11', srcport: 7, startMs: t + 5_000, endMs: t + 6_000 }),
        obs({ srcport: 40_000, startMs: t + 3 * MIN + 10_000, endMs: t + 3 * MIN + 10_000 }),
      ]);
      const r = await settle(p.flush());
      assert.deepEqual({ records: r.records, logEvents: r.logEvents, s3Objects: r.s3Objects }, { records: 10, logEvents: 5, s3Objects: 1 });
      const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'twin-bucket' }))).Contents ?? []).map((o) => o.Key!).filter((k) => k.includes(toS3) && !seen.has(k));
      assert.equal(keys.length, 1);
      seen.add(keys[0]!);
      // This round's events: 3 records of one interface a round, 2 of the other.
      const messages = async (iface: string, n: number) => (await events(`${iface}-all`)).map((e) => e.message!).slice(round * n);
      const mine = await messages(eniId, 3);
      const theirs = await messages(other, 2);
      // Each stream in time order: the start field (11th) never goes back.
      for (const list of [mine, theirs]) {
        const starts = list.map((m) => Number(m.split(' ')[10]));
        assert.deepEqual(starts, starts.slice().sort((a, b) => a - b));
      }
      assert.equal(mine.length, 3);
      assert.equal(theirs.length, 2);
      assert.equal(await read(keys[0]!), ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status', ...mine, ...theirs, ''].join('\n'));
    }
    // The log group's stored bytes: every event's message.
    const all = [...(await events(`${eniId}-all`)), ...(await events(`${other}-all`))];
    const group = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/vpc/flow' }))).logGroups!.find((g) => g.logGroupName === '/vpc/flow')!;
    assert.equal(group.storedBytes, all.reduce((n, e) => n + Buffer.byteLength(e.message!), 0));
  });

  it('writes an interface\'s lines to an S3 file window by window: in a window in the order its flows first came, NODATA in its window\'s place', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'order-bucket' }));
    await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'NetworkInterface',
        ResourceIds: [eniId],
        TrafficType: 'ALL',
        MaxAggregationInterval: 60,
        LogDestinationType: 's3',
        LogDestination: 'arn:aws:s3:::order-bucket',
        LogFormat: '${srcport} ${start} ${log-status}',
      }),
    );
    const p = flowLogPipeline(srv.app);
    const at = (srcport: number, ms: number) => obs({ srcport, startMs: base + ms, endMs: base + ms });
    // Traffic in windows 0, 3 and 1 (in that order), later flows of a window before earlier ones.
    p.record([at(1, 50_000), at(2, 3 * MIN + 40_000), at(3, 5_000), at(4, 3 * MIN + 1_000), at(5, MIN + 30_000), at(1, 2_000)]);
    await settle(p.deliverDue(base + 4 * MIN));
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'order-bucket' }))).Contents ?? []).map((o) => o.Key!);
    assert.equal(keys.length, 1);
    const text = gunzipSync(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'order-bucket', Key: keys[0]! }))).Body!.transformToByteArray())).toString();
    const s = sec(base);
    assert.deepEqual(text.split('\n'), [
      'srcport start log-status',
      // Window 0: port 1 came first (its later packet only widened the record), then port 3.
      `1 ${s + 2} OK`,
      `3 ${s + 5} OK`,
      `5 ${s + 90} OK`,
      // Window 2 had no traffic.
      `- ${s + 120} NODATA`,
      `2 ${s + 220} OK`,
      `4 ${s + 181} OK`,
      '',
    ]);
  });

  it('marks an S3 flow log FAILED ("Access error") while its bucket is gone, and SUCCESS again once a delivery succeeds', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'gone-bucket' }));
    const id = (
      await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [vpcId], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::gone-bucket' }))
    ).FlowLogIds![0]!;
    await s3.send(new DeleteBucketCommand({ Bucket: 'gone-bucket' }));
    const p = flowLogPipeline(srv.app);
    p.record([obs()]);
    const r = await settle(p.flush());
    assert.deepEqual({ records: r.records, s3Objects: r.s3Objects, failed: r.failed }, { records: 0, s3Objects: 0, failed: 1 });
    const describe = async () => (await ec2.send(new DescribeFlowLogsCommand({ FlowLogIds: [id] }))).FlowLogs![0]!;
    let fl = await describe();
    assert.equal(fl.DeliverLogsStatus, 'FAILED');
    assert.equal(fl.DeliverLogsErrorMessage, 'Access error');
    const failed = (await ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'deliver-log-status', Values: ['FAILED'] }] }))).FlowLogs!;
    assert.deepEqual(failed.map((f) => f.FlowLogId), [id]);

    await s3.send(new CreateBucketCommand({ Bucket: 'gone-bucket' }));
    p.record([obs()]);
    assert.equal((await settle(p.flush())).s3Objects, 1);
    fl = await describe();
    assert.equal(fl.DeliverLogsStatus, 'SUCCESS');
    assert.equal(fl.DeliverLogsErrorMessage, undefined);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'gone-bucket' }))).Contents ?? []).map((o) => o.Key!);
    assert.equal(keys.length, 1);
    await s3.send(new DeleteObjectCommand({ Bucket: 'gone-bucket', Key: keys[0]! }));
  });

  it('recreates a deleted log group on the next delivery, and drops the records of a deleted flow log', async () => {
    const id = await cwFlowLog({ LogFormat: '${srcport}' });
    const p = flowLogPipeline(srv.app);
    p.record([obs({ srcport: 1 })]);
    await settle(p.flush());
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/vpc/flow' }));
    p.record([obs({ srcport: 2 })]);
    assert.equal((await settle(p.flush())).records, 1);
    assert.deepEqual((await events(`${eniId}-all`)).map((e) => e.message), ['2']);

    // The store marks the open window (not on a shared store: see flow-log-windows.ts) until it is delivered or its flow log goes.
    const windowRows = () => srv.app.store.scopeNames().reduce((n, scope) => n + (srv.app.store.table(scope, 'flow-log-window')?.size ?? 0), 0);
    assert.equal(windowRows(), 0, 'delivered windows leave no rows');
    p.record([obs({ srcport: 3 })]);
    assert.equal(windowRows(), TEST_ON_POSTGRES ? 0 : 1);
    await ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: [id] }));
    const r = await settle(p.flush());
    assert.deepEqual({ records: r.records, failed: r.failed }, { records: 0, failed: 1 });
    assert.equal(windowRows(), 0, 'the window of a deleted flow log leaves no row');
    assert.deepEqual((await events(`${eniId}-all`)).map((e) => e.message), ['2']);
    // And no NODATA for it afterwards.
    assert.equal((await settle(p.deliverDue(base + 10 * MIN))).records, 0);
  });

  it('a reset of the state drops what was pending', async () => {
    await cwFlowLog();
    const impl = flowLogPipelineImpl(srv.app);
    impl.record([obs()]);
    assert.equal(impl.pending, 1);
    await srv.reset();
    assert.equal((await settle(impl.flush())).records, 0);
    assert.equal(impl.pending, 0);
  });

  it('on a store shared by several servers, delivers through App.exclusive and reports the final counts when settled', async () => {
    await cwFlowLog({ LogFormat: '${srcport}' });
    const calls: string[] = [];
    // The shape of an App on PostgreSQL: exclusive runs the write later, under the servers' lock.
    const shared = {
      store: srv.app.store,
      config: srv.app.config,
      exclusive: <T>(fn: () => T): Promise<T> => {
        calls.push('exclusive');
        return Promise.resolve().then(fn);
      },
    };
    const p = flowLogPipeline(shared);
    assert.notEqual(p, flowLogPipeline(srv.app));
    assert.equal(p, flowLogPipeline(shared));
    p.record([obs({ srcport: 7 }), obs({ srcport: 8 })]);
    const handed = p.flush();
    assert.deepEqual(calls, ['exclusive']);
    assert.equal(handed.records, 2);
    assert.ok(handed.settled instanceof Promise);
    // Nothing is written before the lock is held.
    assert.equal(logGroupExists(new ScopedState(srv.app.store.begin(), scopeKey(ACCOUNT, 'us-east-1')), '/vpc/flow'), false);
    const final = await handed.settled!;
    assert.deepEqual({ records: final.records, logEvents: final.logEvents, s3Objects: final.s3Objects }, { records: 2, logEvents: 2, s3Objects: 0 });
    assert.deepEqual((await events(`${eniId}-all`)).map((e) => e.message), ['7', '8']);
  });

  it('keeps apart two flows whose hashes collide', async () => {
    await cwFlowLog({ LogFormat: '${srcaddr} ${srcport} ${packets}' });
    // A deterministic search for two flows with the same 32-bit hash (a birthday collision).
    const seen = new Map<number, InterfaceObservation>();
    let pair: [InterfaceObservation, InterfaceObservation] | undefined;
    for (let i = 0; !pair && i < 1_000_000; i++) {
      const o = obs({ srcaddr: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, srcport: 1024 + (i % 50_000) });
      const h = flowHash(o, flowKind(o));
      const other = seen.get(h);
      if (other) pair = [other, o];
      else seen.set(h, o);
    }
    assert.ok(pair, 'no collision found');
    const [a, b] = pair;
    assert.equal(flowHash(a, flowKind(a)), flowHash(b, flowKind(b)));
    const p = flowLogPipeline(srv.app);
    p.record([a, b, { ...a, packets: 5 }, { ...b, packets: 7 }]);
    assert.equal((await settle(p.flush())).records, 2);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message).sort(),
      [`${a.srcaddr} ${a.srcport} 15`, `${b.srcaddr} ${b.srcport} 17`].sort(),
    );
  });

  it("keeps every record of a busy interface's next windows, within and past the room they start with, across a save of the open windows", async () => {
    await cwFlowLog({ LogFormat: '${srcport} ${packets} ${start}' });
    const p = flowLogPipelineImpl(srv.app);
    const seen = (port: number, atMs: number) => obs({ srcport: port, packets: 1, bytes: 100, startMs: atMs, endMs: atMs });
    const flows = (n: number, from: number, atMs: number) => Array.from({ length: n }, (_, i) => seen(from + i, atMs));
    // Window 0: 40 flows (its table grows; the next windows start as large, with room for 65 records).
    p.record(flows(40, 1000, base + 1_000));
    // Window 1: 10 flows, the open windows saved (as a stopping server does), 20 more and the first 10 again.
    p.record(flows(10, 2000, base + MIN + 1_000));
    p.save();
    p.record(flows(20, 2010, base + MIN + 2_000));
    p.record(flows(10, 2000, base + MIN + 3_000));
    // Window 2: 80 flows, past the room.
    p.record(flows(80, 3000, base + 2 * MIN + 1_000));
    assert.equal(p.pending, 150);
    assert.equal((await settle(p.flush())).records, 150);
    const s = (ms: number) => sec(base + ms);
    const lines = (n: number, from: number, packets: number, start: number) => Array.from({ length: n }, (_, i) => `${from + i} ${packets} ${start}`);
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      [...lines(40, 1000, 1, s(1_000)), ...lines(10, 2000, 2, s(MIN + 1_000)), ...lines(20, 2010, 1, s(MIN + 2_000)), ...lines(80, 3000, 1, s(2 * MIN + 1_000))],
    );
  });

  it('aggregates thousands of flows of one interface in one window exactly, in the order they first came', async () => {
    await cwFlowLog({ LogFormat: '${srcaddr} ${srcport} ${packets} ${bytes}' });
    const rnd = seededRandom(99);
    // 3,000 flows, each seen 1 to 3 times, the sightings shuffled.
    const flows = Array.from({ length: 3_000 }, (_, i) => ({ srcaddr: `198.51.100.${i % 2}`, srcport: 1024 + i, times: 1 + rnd(3) }));
    const sightings = flows.flatMap((f) => Array.from({ length: f.times }, () => f));
    for (let i = sightings.length - 1; i > 0; i--) {
      const j = rnd(i + 1);
      [sightings[i], sightings[j]] = [sightings[j]!, sightings[i]!];
    }
    const p = flowLogPipeline(srv.app);
    // In batches, as traffic comes.
    for (let i = 0; i < sightings.length; i += 500) {
      p.record(sightings.slice(i, i + 500).map((f) => obs({ srcaddr: f.srcaddr, pktSrcaddr: f.srcaddr, srcport: f.srcport, packets: 1, bytes: 100 })));
    }
    assert.equal(flowLogPipelineImpl(srv.app).pending, 3_000);
    assert.equal((await settle(p.flush())).records, 3_000);
    const firstSeen: string[] = [];
    const seen = new Set<string>();
    for (const f of sightings) {
      const line = `${f.srcaddr} ${f.srcport} ${f.times} ${100 * f.times}`;
      if (!seen.has(line)) firstSeen.push(line);
      seen.add(line);
    }
    // One start second for all: the stream keeps the order the flows first came in.
    assert.deepEqual(
      (await events(`${eniId}-all`)).map((e) => e.message),
      firstSeen,
    );
    // About 80 KiB of lines: stored as more than one batch of events (each text under 64 KiB), read back as one stream.
    const stored = srv.app.store.scopeNames().flatMap((s) => [...(srv.app.store.table(s, 'logs-events')?.values() ?? [])]) as Array<{ _stream: string; text?: string }>;
    const batches = stored.filter((b) => b._stream.endsWith(`${eniId}-all`));
    assert.ok(batches.length >= 2, `${batches.length} batches`);
    for (const b of batches) assert.ok(b.text!.length <= 64 << 10);
    assert.equal(batches.map((b) => b.text).join('\n'), firstSeen.join('\n'));
  });

  it('delivers in the interface\'s own account and Region, each flow log on the interface, subnet and VPC capturing it', async () => {
    const west = srv.ec2({ region: 'eu-west-1' });
    const westLogs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const vpc = (await west.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await west.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.70.1.0/24' }))).Subnet!.SubnetId!;
    const eni = (await west.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }))).NetworkInterface!.NetworkInterfaceId!;
    for (const [type, id, group] of [['VPC', vpc, '/w/vpc'], ['Subnet', subnet, '/w/subnet'], ['NetworkInterface', eni, '/w/eni']] as const) {
      await west.send(new CreateFlowLogsCommand({ ResourceType: type, ResourceIds: [id], TrafficType: 'ALL', LogGroupName: group, DeliverLogsPermissionArn: ROLE, LogFormat: '${region} ${interface-id} ${srcport}' }));
    }
    const p = flowLogPipeline(srv.app);
    p.record([obs({ region: 'eu-west-1', vpcId: vpc, subnetId: subnet, interfaceId: eni, srcport: 9 })]);
    const r = await settle(p.flush());
    assert.deepEqual({ records: r.records, logEvents: r.logEvents }, { records: 3, logEvents: 3 });
    for (const group of ['/w/vpc', '/w/subnet', '/w/eni']) {
      const got = await westLogs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: `${eni}-all`, startFromHead: true }));
      assert.deepEqual(got.events!.map((e) => e.message), [`eu-west-1 ${eni} 9`], group);
    }
    // Nothing in us-east-1.
    assert.deepEqual((await logs.send(new DescribeLogGroupsCommand({}))).logGroups, []);
  });

  it('delivers nothing for a flow log whose resource was deleted since the traffic', async () => {
    const other = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!.NetworkInterfaceId!;
    await cwFlowLog({ ResourceType: 'NetworkInterface', ResourceIds: [other], LogFormat: '${srcport}' });
    const p = flowLogPipeline(srv.app);
    p.record([obs({ interfaceId: other, srcport: 11 })]);
    assert.equal(flowLogPipelineImpl(srv.app).pending, 1);
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: other }));
    const r = await settle(p.flush());
    assert.deepEqual({ records: r.records, failed: r.failed }, { records: 0, failed: 1 });
    assert.deepEqual((await logs.send(new DescribeLogGroupsCommand({}))).logGroups, []);
  });
});

describe('records in time order (sortByStart)', () => {
  it('orders by start second and keeps the order of records that start alike, as a stable sort does', () => {
    const rnd = seededRandom(4242);
    for (let round = 0; round < 2_000; round++) {
      const n = rnd(60);
      // Mostly a few windows' seconds (counted into place), sometimes far apart (a comparison sort).
      const spread = round % 10 === 0 ? 10_000_000 : 1 + rnd(1_200);
      const recs = Array.from({ length: n }, (_, i) => ({ start: 1_764_000_000 + rnd(spread), tag: i }) as unknown as FlowRecord & { tag: number });
      const expected = recs.slice().sort((a, b) => a.start - b.start || a.tag - b.tag);
      sortByStart(recs);
      assert.deepEqual(
        recs.map((r) => r.tag),
        expected.map((r) => r.tag),
        `round ${round}`,
      );
    }
  });
});
