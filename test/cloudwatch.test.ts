/**
 * CloudWatch metrics in both wire protocols: @aws-sdk/client-cloudwatch (AWS JSON 1.0 with
 * query-compatible errors, gzip for large PutMetricData) and the AWS CLI (query protocol).
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeCbor, encodeCborPlain } from '../src/protocol/cbor.js';
import { putMetricData } from '../src/services/monitoring/index.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { awsCli } from './cli.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

const MIN = 60_000;

describe('CloudWatch metrics', () => {
  let srv: TestServer;
  let cw: CloudWatchClient;
  const cli = awsCli(() => srv.endpoint);
  // Whole minutes, a little in the past.
  const t0 = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;

  before(async () => {
    srv = await startTestServer();
    cw = new CloudWatchClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  const put = (MetricData: object[], Namespace = 'App') => cw.send(new PutMetricDataCommand({ Namespace, MetricData: MetricData as never }));

  it('aggregates datapoints per period: Sum, Average, Minimum, Maximum, SampleCount, Unit', async () => {
    const dims = [{ Name: 'Host', Value: 'web-1' }];
    await put([
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + 5_000), Value: 10, Unit: 'Milliseconds' },
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + 50_000), Value: 30, Unit: 'Milliseconds' },
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + MIN + 1_000), StatisticValues: { SampleCount: 4, Sum: 100, Minimum: 5, Maximum: 60 }, Unit: 'Milliseconds' },
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(t0 + 3 * MIN), Values: [1, 2], Counts: [3, 1], Unit: 'Milliseconds' },
    ]);
    const stats = (Period: number, extra: object = {}) =>
      cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'App',
          MetricName: 'Latency',
          Dimensions: dims,
          StartTime: new Date(t0),
          EndTime: new Date(t0 + 5 * MIN),
          Period,
          Statistics: ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount'],
          ...extra,
        }),
      );
    const perMinute = await stats(60);
    assert.equal(perMinute.Label, 'Latency');
    assert.deepEqual(
      perMinute.Datapoints!.map((d) => [d.Timestamp!.getTime() - t0, d.Sum, d.Average, d.Minimum, d.Maximum, d.SampleCount, d.Unit]),
      [
        [0, 40, 20, 10, 30, 2, 'Milliseconds'],
        [MIN, 100, 25, 5, 60, 4, 'Milliseconds'],
        [3 * MIN, 5, 1.25, 1, 2, 4, 'Milliseconds'],
      ],
    );
    const fiveMinutes = await stats(300);
    assert.deepEqual(fiveMinutes.Datapoints!.map((d) => [d.Sum, d.SampleCount, d.Minimum, d.Maximum]), [[145, 10, 1, 60]]);
    // Another unit, or other dimensions, is another set of data.
    assert.deepEqual((await stats(60, { Unit: 'Seconds' })).Datapoints, []);
    assert.deepEqual((await stats(60, { Dimensions: [{ Name: 'Host', Value: 'web-2' }] })).Datapoints, []);
    assert.deepEqual((await stats(60, { Dimensions: [] })).Datapoints, []);
  });

  it('refuses bad GetMetricStatistics and PutMetricData calls with CloudWatch codes', async () => {
    const base = { Namespace: 'App', MetricName: 'X', StartTime: new Date(t0), EndTime: new Date(t0 + MIN), Period: 60 };
    const e1 = await apiError(() => cw.send(new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'], Period: 45 })));
    assert.deepEqual([e1.code, e1.status], ['InvalidParameterValue', 400]);
    const e2 = await apiError(() => cw.send(new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'], StartTime: new Date(t0 + MIN), EndTime: new Date(t0) })));
    assert.deepEqual([e2.code, e2.message], ['InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.']);
    const e3 = await apiError(() => cw.send(new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'], Period: 1, StartTime: new Date(t0 - 60 * MIN) })));
    assert.equal(e3.code, 'InvalidParameterCombination');
    assert.match(e3.message, /You have requested up to 3,660 datapoints, which exceeds the limit of 1,440/);
    const e4 = await apiError(() => cw.send(new GetMetricStatisticsCommand({ ...base })));
    assert.equal(e4.code, 'MissingParameter');
    const e5 = await apiError(() => cw.send(new GetMetricStatisticsCommand({ ...base, Statistics: ['Median' as 'Sum'] })));
    assert.equal(e5.code, 'InvalidParameterValue');

    const aws = await apiError(() => put([{ MetricName: 'X', Value: 1 }], 'AWS/EC2'));
    assert.deepEqual([aws.code, aws.message], ['InvalidParameterValue', 'The value AWS/ for parameter Namespace is invalid.']);
    const both = await apiError(() => put([{ MetricName: 'X', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }]));
    assert.deepEqual(
      [both.code, both.message],
      ['InvalidParameterCombination', 'The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.'],
    );
    assert.equal((await apiError(() => put([{ MetricName: 'X' }]))).code, 'MissingParameter');
    assert.equal((await apiError(() => put([{ MetricName: 'X', Value: 1, Unit: 'Parsecs' }]))).code, 'InvalidParameterValue');
    assert.equal((await apiError(() => put([{ MetricName: 'X', Value: 1, Timestamp: new Date(Date.now() - 15 * 86_400_000) }]))).code, 'InvalidParameterValue');
    assert.equal((await apiError(() => put([{ MetricName: 'X', Values: [1, 2], Counts: [1] }]))).code, 'InvalidParameterValue');
    // Nothing of the refused calls was stored.
    assert.deepEqual((await cw.send(new ListMetricsCommand({}))).Metrics, []);
  });

  it('lists metrics by namespace, name and dimension filters, with pages of 500', async () => {
    await put([
      { MetricName: 'BytesOut', Dimensions: [{ Name: 'NatGatewayId', Value: 'nat-1' }], Value: 1, Timestamp: new Date(t0) },
      { MetricName: 'BytesOut', Dimensions: [{ Name: 'NatGatewayId', Value: 'nat-2' }], Value: 1, Timestamp: new Date(t0) },
      { MetricName: 'Errors', Dimensions: [{ Name: 'NatGatewayId', Value: 'nat-1' }, { Name: 'Az', Value: 'a' }], Value: 1, Timestamp: new Date(t0) },
      { MetricName: 'Plain', Value: 1, Timestamp: new Date(t0) },
    ]);
    await put([{ MetricName: 'Other', Value: 1 }], 'Else');
    const list = async (input: object) => (await cw.send(new ListMetricsCommand(input))).Metrics!.map((m) => `${m.Namespace}:${m.MetricName}:${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',')}`);
    assert.deepEqual(await list({ Namespace: 'App', MetricName: 'BytesOut' }), ['App:BytesOut:NatGatewayId=nat-1', 'App:BytesOut:NatGatewayId=nat-2']);
    assert.deepEqual(await list({ Dimensions: [{ Name: 'NatGatewayId', Value: 'nat-1' }] }), ['App:BytesOut:NatGatewayId=nat-1', 'App:Errors:Az=a,NatGatewayId=nat-1']);
    assert.deepEqual(await list({ Dimensions: [{ Name: 'Az' }] }), ['App:Errors:Az=a,NatGatewayId=nat-1']);
    assert.equal((await list({})).length, 5);
    assert.deepEqual(await list({ Namespace: 'Else' }), ['Else:Other:']);
    // RecentlyActive: only metrics with data in the last three hours.
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    putMetricData(state, 'Old', [{ MetricName: 'Stale', Value: 1, Timestamp: Date.now() - 5 * 3600_000 }]);
    state.tx.commit();
    assert.deepEqual(await list({ Namespace: 'Old' }), ['Old:Stale:']);
    assert.deepEqual(await list({ Namespace: 'Old', RecentlyActive: 'PT3H' }), []);

    const many = Array.from({ length: 520 }, (_, i) => ({ MetricName: `m${String(i).padStart(3, '0')}`, Value: i }));
    for (let i = 0; i < many.length; i += 260) await put(many.slice(i, i + 260), 'Many');
    const p1 = await cw.send(new ListMetricsCommand({ Namespace: 'Many' }));
    assert.equal(p1.Metrics!.length, 500);
    assert.ok(p1.NextToken);
    const p2 = await cw.send(new ListMetricsCommand({ Namespace: 'Many', NextToken: p1.NextToken }));
    assert.equal(p2.Metrics!.length, 20);
    assert.equal(p2.NextToken, undefined);
    assert.equal((await apiError(() => cw.send(new ListMetricsCommand({ NextToken: 'bogus' })))).code, 'InvalidNextToken');
  });

  it('GetMetricData: MetricStat queries, ScanBy, labels, math expressions, ReturnData', async () => {
    const nat = [{ Name: 'NatGatewayId', Value: 'nat-0abc' }];
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    for (let i = 0; i < 3; i++) {
      putMetricData(state, 'AWS/NATGateway', [
        { MetricName: 'BytesOutToDestination', Dimensions: nat, Timestamp: t0 + i * MIN, Value: 1000 * (i + 1), Unit: 'Bytes' },
        { MetricName: 'BytesInFromDestination', Dimensions: nat, Timestamp: t0 + i * MIN, Value: 10 * (i + 1), Unit: 'Bytes' },
      ]);
    }
    state.tx.commit();
    const metric = (MetricName: string) => ({ Namespace: 'AWS/NATGateway', MetricName, Dimensions: nat });
    const r = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 10 * MIN),
        MetricDataQueries: [
          { Id: 'out', MetricStat: { Metric: metric('BytesOutToDestination'), Period: 60, Stat: 'Sum' } },
          { Id: 'in', MetricStat: { Metric: metric('BytesInFromDestination'), Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'total', Expression: '(out + in) / 1000', Label: 'kB' },
          { Id: 'biggest', Expression: 'MAX([out, in])' },
        ],
      }),
    );
    const byId = Object.fromEntries(r.MetricDataResults!.map((x) => [x.Id, x]));
    assert.deepEqual(Object.keys(byId), ['out', 'total', 'biggest']);
    assert.equal(byId.out!.Label, 'BytesOutToDestination');
    assert.equal(byId.out!.StatusCode, 'Complete');
    // Newest first by default.
    assert.deepEqual(byId.out!.Timestamps!.map((t: Date) => t.getTime() - t0), [2 * MIN, MIN, 0]);
    assert.deepEqual(byId.out!.Values, [3000, 2000, 1000]);
    assert.equal(byId.total!.Label, 'kB');
    assert.deepEqual(byId.total!.Values, [3.03, 2.02, 1.01]);
    assert.deepEqual(byId.biggest!.Values, [3000, 2000, 1000]);

    const asc = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 10 * MIN),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [{ Id: 'avg', MetricStat: { Metric: metric('BytesOutToDestination'), Period: 180, Stat: 'Average' } }],
      }),
    );
    assert.deepEqual(asc.MetricDataResults![0]!.Values, [2000]);

    const badId = await apiError(() =>
      cw.send(new GetMetricDataCommand({ StartTime: new Date(t0), EndTime: new Date(t0 + MIN), MetricDataQueries: [{ Id: 'Upper', MetricStat: { Metric: metric('X'), Period: 60, Stat: 'Sum' } }] })),
    );
    assert.equal(badId.code, 'ValidationError');
    const badExpr = await apiError(() =>
      cw.send(new GetMetricDataCommand({ StartTime: new Date(t0), EndTime: new Date(t0 + MIN), MetricDataQueries: [{ Id: 'e', Expression: 'nope * 2' }] })),
    );
    assert.equal(badExpr.code, 'ValidationError');
  });

  it('accepts gzip-compressed bodies in both protocols', async () => {
    const target = { 'X-Amz-Target': 'GraniteServiceVersion20100801.PutMetricData', 'Content-Type': 'application/x-amz-json-1.0' };
    const auth = { Authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0' };
    const json = gzipSync(JSON.stringify({ Namespace: 'Gz', MetricData: [{ MetricName: 'Json', Value: 2 }] }));
    const r1 = await fetch(srv.endpoint, { method: 'POST', headers: { ...target, ...auth, 'Content-Encoding': 'gzip' }, body: json });
    assert.equal(r1.status, 200, await r1.text());
    const form = gzipSync('Action=PutMetricData&Version=2010-08-01&Namespace=Gz&MetricData.member.1.MetricName=Query&MetricData.member.1.Value=3');
    const r2 = await fetch(srv.endpoint, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' }, body: form });
    assert.equal(r2.status, 200, await r2.text());
    const names = (await cw.send(new ListMetricsCommand({ Namespace: 'Gz' }))).Metrics!.map((m) => m.MetricName);
    assert.deepEqual(names, ['Json', 'Query']);
    // The JSON dialect answers errors with the query code in x-amzn-query-error.
    const r3 = await fetch(srv.endpoint, { method: 'POST', headers: { ...target, ...auth }, body: JSON.stringify({ Namespace: 'AWS/X', MetricData: [{ MetricName: 'a', Value: 1 }] }) });
    assert.equal(r3.status, 400);
    assert.equal(r3.headers.get('x-amzn-query-error'), 'InvalidParameterValue;Sender');
    assert.equal(((await r3.json()) as { __type: string }).__type, 'InvalidParameterValue');
  });

  it('speaks Smithy RPC v2 CBOR (what botocore may send): requests, timestamps as tag 1, errors', async () => {
    const auth = { Authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0' };
    const call = async (op: string, input: object) => {
      const r = await fetch(`${srv.endpoint}/service/GraniteServiceVersion20100801/operation/${op}`, {
        method: 'POST',
        headers: { ...auth, 'smithy-protocol': 'rpc-v2-cbor', 'Content-Type': 'application/cbor', Accept: 'application/cbor' },
        body: new Uint8Array(encodeCborPlain(input)),
      });
      return { status: r.status, headers: r.headers, body: decodeCbor(Buffer.from(await r.arrayBuffer())) as Record<string, any> };
    };
    // A timestamp goes in as tag 1 (epoch seconds).
    const at = Buffer.concat([Buffer.from([0xc1]), encodeCborPlain((t0 + 2 * MIN) / 1000)]);
    const put = await fetch(`${srv.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData`, {
      method: 'POST',
      headers: { ...auth, 'smithy-protocol': 'rpc-v2-cbor', 'Content-Type': 'application/cbor' },
      body: Buffer.concat([
        Buffer.from([0xa2]), encodeCborPlain('Namespace'), encodeCborPlain('Cbor'),
        encodeCborPlain('MetricData'), Buffer.from([0x81, 0xa3]),
        encodeCborPlain('MetricName'), encodeCborPlain('Hits'), encodeCborPlain('Value'), encodeCborPlain(2.5), encodeCborPlain('Timestamp'), at,
      ]),
    });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get('smithy-protocol'), 'rpc-v2-cbor');
    const stats = await fetch(`${srv.endpoint}/service/GraniteServiceVersion20100801/operation/GetMetricStatistics`, {
      method: 'POST',
      headers: { ...auth, 'smithy-protocol': 'rpc-v2-cbor', 'Content-Type': 'application/cbor' },
      body: new Uint8Array(encodeCborPlain({ Namespace: 'Cbor', MetricName: 'Hits', StartTime: t0 / 1000, EndTime: (t0 + 10 * MIN) / 1000, Period: 60, Statistics: ['Sum'] })),
    });
    const raw = Buffer.from(await stats.arrayBuffer());
    assert.ok(raw.includes(Buffer.from([0xc1])), 'the datapoint timestamp is tagged');
    const decoded = decodeCbor(raw) as { Label: string; Datapoints: Array<{ Timestamp: number; Sum: number }> };
    assert.deepEqual(decoded, { Label: 'Hits', Datapoints: [{ Timestamp: (t0 + 2 * MIN) / 1000, Sum: 2.5, Unit: 'None' }] });
    const listed = await call('ListMetrics', { Namespace: 'Cbor' });
    assert.deepEqual(listed.body.Metrics, [{ Namespace: 'Cbor', MetricName: 'Hits', Dimensions: [] }]);
    const err = await call('PutMetricData', { Namespace: 'AWS/X', MetricData: [{ MetricName: 'a', Value: 1 }] });
    assert.equal(err.status, 400);
    assert.equal(err.headers.get('x-amzn-query-error'), 'InvalidParameterValue;Sender');
    assert.deepEqual(err.body, { __type: 'InvalidParameterValue', message: 'The value AWS/ for parameter Namespace is invalid.' });
    const garbage = await fetch(`${srv.endpoint}/service/GraniteServiceVersion20100801/operation/ListMetrics`, { method: 'POST', headers: { ...auth, 'smithy-protocol': 'rpc-v2-cbor' }, body: Buffer.from([0xa1, 0x61]) });
    assert.equal(garbage.status, 400);
  });

  it('checks signatures of JSON requests in sigv4 mode', async () => {
    const signed = await startTestServer({ auth: 'sigv4', credentials: [{ accessKeyId: 'AKIDCW', secretAccessKey: 'cw-secret', accountId: '333333333333' }] });
    try {
      const client = (secret: string) =>
        new CloudWatchClient({ endpoint: signed.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDCW', secretAccessKey: secret }, maxAttempts: 1 });
      await client('cw-secret').send(new PutMetricDataCommand({ Namespace: 'Signed', MetricData: [{ MetricName: 'ok', Value: 1 }] }));
      assert.deepEqual((await client('cw-secret').send(new ListMetricsCommand({ Namespace: 'Signed' }))).Metrics!.map((m) => m.MetricName), ['ok']);
      const bad = await apiError(() => client('wrong').send(new ListMetricsCommand({})));
      assert.deepEqual([bad.code, bad.status], ['InvalidSignatureException', 400]);
    } finally {
      await signed.close();
    }
  });

  it('works from the AWS CLI (query protocol)', async () => {
    await cli.ok(['cloudwatch', 'put-metric-data', '--namespace', 'Cli', '--metric-name', 'Latency', '--value', '7', '--unit', 'Milliseconds', '--dimensions', 'Host=a']);
    await cli.ok(['cloudwatch', 'put-metric-data', '--namespace', 'Cli', '--metric-data', JSON.stringify([{ MetricName: 'Latency', Value: 3, Unit: 'Milliseconds', Dimensions: [{ Name: 'Host', Value: 'a' }] }])]);
    const listed = await cli.ok(['cloudwatch', 'list-metrics', '--namespace', 'Cli']);
    assert.deepEqual(listed.Metrics, [{ Namespace: 'Cli', MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'a' }] }]);
    const start = new Date(Date.now() - 10 * MIN).toISOString();
    const end = new Date(Date.now() + MIN).toISOString();
    const stats = await cli.ok([
      'cloudwatch', 'get-metric-statistics', '--namespace', 'Cli', '--metric-name', 'Latency', '--dimensions', 'Name=Host,Value=a',
      '--start-time', start, '--end-time', end, '--period', '660', '--statistics', 'Sum', 'Maximum', 'SampleCount',
    ]);
    assert.equal(stats.Label, 'Latency');
    assert.deepEqual(stats.Datapoints.map((d: { Sum: number; Maximum: number; SampleCount: number; Unit: string }) => [d.Sum, d.Maximum, d.SampleCount, d.Unit]), [[10, 7, 2, 'Milliseconds']]);
    const data = await cli.ok([
      'cloudwatch', 'get-metric-data', '--start-time', start, '--end-time', end, '--metric-data-queries',
      JSON.stringify([{ Id: 'm1', MetricStat: { Metric: { Namespace: 'Cli', MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'a' }] }, Period: 660, Stat: 'Average' } }]),
    ]);
    assert.deepEqual(data.MetricDataResults[0].Values, [5]);
    assert.equal(data.MetricDataResults[0].StatusCode, 'Complete');
    await cli.fails(['cloudwatch', 'put-metric-data', '--namespace', 'AWS/EC2', '--metric-name', 'X', '--value', '1'], 'InvalidParameterValue');
    await cli.fails(['cloudwatch', 'get-metric-statistics', '--namespace', 'Cli', '--metric-name', 'Latency', '--start-time', end, '--end-time', start, '--period', '60', '--statistics', 'Sum'], 'InvalidParameterValue');
  });
});
