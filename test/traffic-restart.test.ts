/**
 * Simulated traffic across server restarts (real `vpcsim serve` processes on one data directory):
 * the simulation clock and the flow log windows not delivered yet outlive a clean stop; after a
 * SIGKILL the records of an open window are lost and its interfaces get a SKIPDATA record.
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateFlowLogsCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { tempDir } from './helpers.js';
import { type ServerProcess, spawnServer } from './process.js';

const ACCOUNT = '000000000000';
const GROUP = '/vpc/restart';
const BUCKET = 'restart-flow-logs';
/** Instances are running as soon as they are launched. */
const ENV = { VPCSIM_STATE_TRANSITION_MS: '0' };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

interface World {
  a: { id: string; eni: string; ip: string };
  b: { id: string; eni: string; ip: string };
  /** The simulated time the traffic is sent at: a minute boundary (the start of a 60-second window). */
  base: number;
}

async function post(srv: ServerProcess, path: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(`${srv.endpoint}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

async function clockOf(srv: ServerProcess): Promise<Record<string, unknown>> {
  return ((await (await fetch(`${srv.endpoint}/_vpcsim/clock`)).json()) as { clock: Record<string, unknown> }).clock;
}

/** A VPC with two instances in one subnet (the default group lets them talk), flow logs on the VPC to CloudWatch Logs and S3, the clock set. */
async function build(srv: ServerProcess, setClock = true): Promise<World> {
  const ec2 = new EC2Client({ endpoint: srv.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.60.1.0/24' }))).Subnet!.SubnetId!;
  const run = async () => {
    const i = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances![0]!;
    return { id: i.InstanceId!, eni: i.NetworkInterfaces![0]!.NetworkInterfaceId!, ip: i.PrivateIpAddress! };
  };
  const a = await run();
  const b = await run();
  await ec2.send(
    new CreateFlowLogsCommand({
      ResourceType: 'VPC',
      ResourceIds: [vpcId],
      TrafficType: 'ALL',
      LogGroupName: GROUP,
      DeliverLogsPermissionArn: `arn:aws:iam::${ACCOUNT}:role/flow-logs`,
      MaxAggregationInterval: 60,
    }),
  );
  await s3(srv).send(new CreateBucketCommand({ Bucket: BUCKET }));
  await ec2.send(
    new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [vpcId], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: `arn:aws:s3:::${BUCKET}`, MaxAggregationInterval: 60 }),
  );
  if (!setClock) return { a, b, base: NaN };
  const base = Math.ceil((Date.now() + 2_000) / 60_000) * 60_000 + 60_000;
  const set = await post(srv, '/_vpcsim/clock', { set: base });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  return { a, b, base };
}

/** One connection a → b on tcp/22 from port 40000, at the clock's time (lasting a second, or `durationMs`); the clock's answer. */
async function send(srv: ServerProcess, w: World, durationMs?: number): Promise<{ now: number }> {
  const r = await post(srv, '/_vpcsim/traffic', {
    flows: [{ source: w.a.id, destination: w.b.id, protocol: 'tcp', destinationPort: 22, sourcePort: 40000, packets: 3, bytes: 180, replyPackets: 2, replyBytes: 120, durationMs }],
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.accepted, 1);
  assert.equal(r.body.delivered, undefined, 'the window is still open');
  return r.body.clock;
}

async function flush(srv: ServerProcess): Promise<Record<string, number>> {
  const r = await post(srv, '/_vpcsim/flush', {});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.delivered;
}

async function events(srv: ServerProcess, eni: string): Promise<string[]> {
  const logs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const r = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: `${eni}-all`, startFromHead: true }));
  return r.events!.map((e) => e.message!).sort();
}

const s3 = (srv: ServerProcess) => new S3Client({ endpoint: srv.endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });

/** The record lines of every file in the bucket (headers left out), sorted. */
async function s3Lines(srv: ServerProcess): Promise<string[]> {
  const out: string[] = [];
  for (const o of (await s3(srv).send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []) {
    const body = await (await s3(srv).send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }))).Body!.transformToByteArray();
    out.push(...gunzipSync(body).toString('utf8').trim().split('\n').slice(1));
  }
  return out.sort();
}

/** Runs `fn` on a server of the data directory, then stops it (SIGTERM) or kills it (SIGKILL). */
async function withServer<T>(dir: string, fn: (srv: ServerProcess) => Promise<T>, end: 'stop' | 'kill' = 'stop'): Promise<T> {
  const srv = await spawnServer(['--data-dir', dir], ENV);
  try {
    return await fn(srv);
  } finally {
    await srv[end]();
  }
}

/** A new data directory with the world built and one connection sent, its server stopped or killed. */
async function sentThen(end: 'stop' | 'kill'): Promise<{ dir: string; w: World }> {
  const dir = tempDir();
  const w = await withServer(
    dir,
    async (srv) => {
      const built = await build(srv);
      await send(srv, built);
      return built;
    },
    end,
  );
  return { dir, w };
}

/** The SKIPDATA line of an interface for the 60-second window starting at `base`. */
const skipped = (w: World, eni: string) => `2 ${ACCOUNT} ${eni} - - - - - - - ${w.base / 1000} ${w.base / 1000 + 59} - SKIPDATA`;

describe('traffic across server restarts', () => {
  it('a clean stop keeps the clock and the open windows: the next server aggregates into them and delivers them once', async () => {
    const { dir, w } = await sentThen('stop');
    await withServer(dir, async (srv) => {
      assert.deepEqual(await clockOf(srv), { now: w.base, time: new Date(w.base).toISOString(), mode: 'simulated' });
      // The same connection again, in the same window: one record each way, the traffic summed.
      await send(srv, w);
      const delivered = await flush(srv);
      assert.equal(delivered.records, 8, 'four records, to each of the two flow logs');
      const s = w.base / 1000;
      const { a, b } = w;
      const atA = [`2 ${ACCOUNT} ${a.eni} ${a.ip} ${b.ip} 40000 22 6 6 360 ${s} ${s + 1} ACCEPT OK`, `2 ${ACCOUNT} ${a.eni} ${b.ip} ${a.ip} 22 40000 6 4 240 ${s} ${s + 1} ACCEPT OK`];
      const atB = [`2 ${ACCOUNT} ${b.eni} ${a.ip} ${b.ip} 40000 22 6 6 360 ${s} ${s + 1} ACCEPT OK`, `2 ${ACCOUNT} ${b.eni} ${b.ip} ${a.ip} 22 40000 6 4 240 ${s} ${s + 1} ACCEPT OK`];
      assert.deepEqual(await events(srv, a.eni), atA.sort());
      assert.deepEqual(await events(srv, b.eni), atB.sort());
      assert.deepEqual(await s3Lines(srv), [...atA, ...atB].sort());
    });
    // Delivered windows leave nothing behind: another restart delivers nothing again.
    await withServer(dir, async (srv) => {
      assert.deepEqual(await flush(srv), { records: 0, logEvents: 0, s3Objects: 0 });
      assert.equal((await events(srv, w.a.eni)).length, 2);
    });
  });

  it('after SIGKILL an open window is delivered as SKIPDATA for each interface that had traffic in it', async () => {
    const { dir, w } = await sentThen('kill');
    await withServer(dir, async (srv) => {
      assert.equal((await clockOf(srv)).now, w.base, 'the clock is where it was set');
      const delivered = await flush(srv);
      assert.equal(delivered.records, 4, 'one per interface, to each of the two flow logs');
      for (const eni of [w.a.eni, w.b.eni]) assert.deepEqual(await events(srv, eni), [skipped(w, eni)]);
      assert.deepEqual(await s3Lines(srv), [skipped(w, w.a.eni), skipped(w, w.b.eni)].sort());
    });
    await withServer(dir, async (srv) => assert.equal((await flush(srv)).records, 0, 'delivered once'));
  });

  it('a window taken up after a clean stop and then lost in a crash is SKIPDATA, not the records saved at the stop', async () => {
    const { dir, w } = await sentThen('stop');
    await withServer(dir, (srv) => send(srv, w), 'kill');
    await withServer(dir, async (srv) => {
      assert.equal((await flush(srv)).records, 4);
      for (const eni of [w.a.eni, w.b.eni]) assert.deepEqual(await events(srv, eni), [skipped(w, eni)]);
    });
  });

  it('NAT gateways remember the connections they hold across a clean stop (ActiveConnectionCount counts one opened before it)', async () => {
    const dir = tempDir();
    const base = Math.ceil((Date.now() + 2_000) / 60_000) * 60_000 + 60_000;
    const { app, natId } = await withServer(dir, async (srv) => {
      const ec2 = new EC2Client({ endpoint: srv.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16' }))).Vpc!.VpcId!;
      const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.61.1.0/24' }))).Subnet!.SubnetId!;
      const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.61.2.0/24' }))).Subnet!.SubnetId!;
      const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
      const table = async (subnet: string, target: { GatewayId?: string; NatGatewayId?: string }) => {
        const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
        await ec2.send(new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', ...target }));
        await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: subnet }));
      };
      await table(pub, { GatewayId: igw });
      const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
      const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip }))).NatGateway!.NatGatewayId!;
      await table(priv, { NatGatewayId: nat });
      const instance = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', MinCount: 1, MaxCount: 1, SubnetId: priv }))).Instances![0]!.InstanceId!;
      assert.equal((await post(srv, '/_vpcsim/clock', { set: base })).status, 200);
      // Ten minutes open from `base`, through the NAT gateway.
      const r = await post(srv, '/_vpcsim/traffic', { flows: [{ source: instance, destination: '198.51.100.7', protocol: 'tcp', destinationPort: 443, durationMs: 600_000 }] });
      assert.equal(r.body.accepted, 1, JSON.stringify(r.body));
      return { app: instance, natId: nat };
    });
    await withServer(dir, async (srv) => {
      assert.equal((await post(srv, '/_vpcsim/clock', { advance: '5m' })).status, 200);
      const r = await post(srv, '/_vpcsim/traffic', { flows: [{ source: app, destination: '198.51.100.8', protocol: 'tcp', destinationPort: 443, durationMs: 30_000 }] });
      assert.equal(r.body.accepted, 1, JSON.stringify(r.body));
      const cw = new CloudWatchClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
      const points = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/NATGateway',
          MetricName: 'ActiveConnectionCount',
          Dimensions: [{ Name: 'NatGatewayId', Value: natId }],
          StartTime: new Date(base + 300_000),
          EndTime: new Date(base + 360_000),
          Period: 60,
          Statistics: ['Maximum'],
        }),
      );
      assert.deepEqual(points.Datapoints!.map((d) => d.Maximum), [2], 'the connection from before the stop and the new one');
    });
  });

  it('on the real clock, a server that starts with windows left open delivers them as they close, with no traffic and no flush', async () => {
    const dir = tempDir();
    const { w, sentAt } = await withServer(
      dir,
      async (srv) => {
        const built = await build(srv, false);
        // At an instant: whatever second of the minute it is, the connection is in one window.
        return { w: built, sentAt: (await send(srv, built, 0)).now };
      },
      'kill',
    );
    const start = Math.floor(sentAt / 60_000) * 60;
    await withServer(dir, async (srv) => {
      // The window closes within a minute of the traffic; the ticker looks every 5 seconds.
      const deadline = Date.now() + 90_000;
      let lines: string[] = [];
      while (Date.now() < deadline) {
        lines = await events(srv, w.a.eni).catch(() => []);
        if (lines.length) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      assert.deepEqual(lines, [`2 ${ACCOUNT} ${w.a.eni} - - - - - - - ${start} ${start + 59} - SKIPDATA`]);
      assert.deepEqual(await events(srv, w.b.eni), [`2 ${ACCOUNT} ${w.b.eni} - - - - - - - ${start} ${start + 59} - SKIPDATA`]);
    });
  });
});
