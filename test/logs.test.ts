/**
 * CloudWatch Logs through @aws-sdk/client-cloudwatch-logs and the AWS CLI: groups, streams,
 * events, tokens, filter patterns and errors.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { appendLogColumns, appendLogEvents, LOG_EVENTS } from '../src/services/logs/index.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { awsCli } from './cli.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('CloudWatch Logs', () => {
  let srv: TestServer;
  let logs: CloudWatchLogsClient;
  const cli = awsCli(() => srv.endpoint);

  before(async () => {
    srv = await startTestServer();
    logs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  it('creates, describes (prefix, pattern, pagination) and deletes log groups', async () => {
    for (const name of ['/vpc/flow-logs', '/vpc/other', '/app/web', 'alpha']) {
      await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: name === 'alpha' ? { team: 'net' } : undefined }));
    }
    const dup = await apiError(() => logs.send(new CreateLogGroupCommand({ logGroupName: '/vpc/flow-logs' })));
    assert.deepEqual([dup.code, dup.message, dup.status], ['ResourceAlreadyExistsException', 'The specified log group already exists', 400]);
    const bad = await apiError(() => logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name' })));
    assert.equal(bad.code, 'InvalidParameterException');
    assert.match(bad.message, /Member must satisfy regular expression pattern/);

    const all = await logs.send(new DescribeLogGroupsCommand({}));
    assert.deepEqual(all.logGroups!.map((g) => g.logGroupName), ['/app/web', '/vpc/flow-logs', '/vpc/other', 'alpha']);
    const g = all.logGroups![1]!;
    assert.equal(g.arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/vpc/flow-logs:*');
    assert.equal(g.logGroupArn, 'arn:aws:logs:us-east-1:000000000000:log-group:/vpc/flow-logs');
    assert.equal(g.storedBytes, 0);
    assert.equal(g.metricFilterCount, 0);
    assert.equal(g.logGroupClass, 'STANDARD');
    assert.ok(Math.abs(g.creationTime! - Date.now()) < 60_000);

    const vpc = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/vpc/' }));
    assert.deepEqual(vpc.logGroups!.map((x) => x.logGroupName), ['/vpc/flow-logs', '/vpc/other']);
    const pattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'FLOW' }));
    assert.deepEqual(pattern.logGroups!.map((x) => x.logGroupName), ['/vpc/flow-logs']);
    const both = await apiError(() => logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'a', logGroupNamePattern: 'b' })));
    assert.equal(both.code, 'InvalidParameterException');

    const page1 = await logs.send(new DescribeLogGroupsCommand({ limit: 3 }));
    assert.equal(page1.logGroups!.length, 3);
    assert.ok(page1.nextToken);
    const page2 = await logs.send(new DescribeLogGroupsCommand({ limit: 3, nextToken: page1.nextToken }));
    assert.deepEqual(page2.logGroups!.map((x) => x.logGroupName), ['alpha']);
    assert.equal(page2.nextToken, undefined);
    assert.equal((await apiError(() => logs.send(new DescribeLogGroupsCommand({ limit: 51 })))).code, 'InvalidParameterException');

    // Tags.
    const arn = 'arn:aws:logs:us-east-1:000000000000:log-group:alpha';
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { team: 'net' });
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: 'dev' } }));
    await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { env: 'dev' });

    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/vpc/other' }));
    const gone = await apiError(() => logs.send(new DeleteLogGroupCommand({ logGroupName: '/vpc/other' })));
    assert.deepEqual([gone.code, gone.message], ['ResourceNotFoundException', 'The specified log group does not exist.']);
  });

  it('sets and removes retention policies with the allowed values only', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'r' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'r', retentionInDays: 14 }));
    assert.equal((await logs.send(new DescribeLogGroupsCommand({}))).logGroups![0]!.retentionInDays, 14);
    const bad = await apiError(() => logs.send(new PutRetentionPolicyCommand({ logGroupName: 'r', retentionInDays: 2 })));
    assert.equal(bad.code, 'InvalidParameterException');
    assert.match(bad.message, /Member must satisfy enum value set: \[1, 3, 5, 7, 14/);
    assert.equal((await apiError(() => logs.send(new PutRetentionPolicyCommand({ logGroupName: 'nope', retentionInDays: 1 })))).code, 'ResourceNotFoundException');
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: 'r' }));
    assert.equal((await logs.send(new DescribeLogGroupsCommand({}))).logGroups![0]!.retentionInDays, undefined);
  });

  it('creates, orders, pages and deletes log streams', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'g' }));
    for (const s of ['eni-b-all', 'eni-a-all', 'eni-c-all', 'other']) await logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: s }));
    const dup = await apiError(() => logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'other' })));
    assert.deepEqual([dup.code, dup.message], ['ResourceAlreadyExistsException', 'The specified log stream already exists']);
    assert.equal((await apiError(() => logs.send(new CreateLogStreamCommand({ logGroupName: 'nope', logStreamName: 'x' })))).code, 'ResourceNotFoundException');
    assert.equal((await apiError(() => logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'a:b' })))).code, 'InvalidParameterException');

    const now = Date.now();
    // Events make LastEventTime order differ from name order.
    await logs.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 'eni-c-all', logEvents: [{ timestamp: now - 3000, message: 'c' }] }));
    await logs.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 'eni-a-all', logEvents: [{ timestamp: now - 1000, message: 'a' }] }));

    const names = async (input: object) => (await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'g', ...input }))).logStreams!.map((s) => s.logStreamName);
    assert.deepEqual(await names({}), ['eni-a-all', 'eni-b-all', 'eni-c-all', 'other']);
    assert.deepEqual(await names({ descending: true }), ['other', 'eni-c-all', 'eni-b-all', 'eni-a-all']);
    assert.deepEqual(await names({ logStreamNamePrefix: 'eni-' }), ['eni-a-all', 'eni-b-all', 'eni-c-all']);
    assert.deepEqual(await names({ orderBy: 'LastEventTime', descending: true }), ['eni-a-all', 'eni-c-all', 'other', 'eni-b-all']);
    const conflict = await apiError(() => logs.send(new DescribeLogStreamsCommand({ logGroupName: 'g', orderBy: 'LastEventTime', logStreamNamePrefix: 'e' })));
    assert.deepEqual([conflict.code, conflict.message], ['InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.']);
    assert.equal((await apiError(() => logs.send(new DescribeLogStreamsCommand({ logGroupName: 'nope' })))).code, 'ResourceNotFoundException');

    const p1 = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'g', limit: 2 }));
    const p2 = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'g', limit: 2, nextToken: p1.nextToken }));
    assert.deepEqual([...p1.logStreams!, ...p2.logStreams!].map((s) => s.logStreamName), ['eni-a-all', 'eni-b-all', 'eni-c-all', 'other']);
    assert.equal(p2.nextToken, undefined);

    const a = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'g', logStreamNamePrefix: 'eni-a' }))).logStreams![0]!;
    assert.equal(a.arn, 'arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:eni-a-all');
    assert.equal(a.firstEventTimestamp, now - 1000);
    assert.equal(a.lastEventTimestamp, now - 1000);
    assert.ok(a.lastIngestionTime! >= now - 60_000);

    await logs.send(new DeleteLogStreamCommand({ logGroupName: 'g', logStreamName: 'eni-a-all' }));
    const gone = await apiError(() => logs.send(new DeleteLogStreamCommand({ logGroupName: 'g', logStreamName: 'eni-a-all' })));
    assert.deepEqual([gone.code, gone.message], ['ResourceNotFoundException', 'The specified log stream does not exist.']);
    // A stream created again under the same name starts empty.
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'eni-a-all' }));
    assert.deepEqual((await logs.send(new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 'eni-a-all' }))).events, []);
  });

  it('PutLogEvents: chronological batches, limits, rejected events, sequence tokens', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'p' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'p', logStreamName: 's' }));
    const now = Date.now();
    const put = (logEvents: Array<{ timestamp: number; message: string }>) => logs.send(new PutLogEventsCommand({ logGroupName: 'p', logStreamName: 's', logEvents }));

    const r1 = await put([{ timestamp: now - 2000, message: 'one' }, { timestamp: now - 1000, message: 'two' }]);
    assert.match(r1.nextSequenceToken!, /^\d{56}$/);
    assert.equal(r1.rejectedLogEventsInfo, undefined);
    const r2 = await put([{ timestamp: now, message: 'three' }]);
    assert.notEqual(r2.nextSequenceToken, r1.nextSequenceToken);

    const order = await apiError(() => put([{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }]));
    assert.deepEqual([order.code, order.message], ['InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.']);
    const span = await apiError(() => put([{ timestamp: now - 25 * 3600_000, message: 'a' }, { timestamp: now, message: 'b' }]));
    assert.equal(span.code, 'InvalidParameterException');
    assert.match(span.message, /cannot span more than 24 hours/);
    const big = await apiError(() => put(Array.from({ length: 5 }, () => ({ timestamp: now, message: 'x'.repeat(250_000) }))));
    assert.equal(big.code, 'InvalidParameterException');
    assert.match(big.message, /^Upload too large: 1250130 bytes exceeds limit of 1048576$/);
    const many = await apiError(() => put(Array.from({ length: 10_001 }, () => ({ timestamp: now, message: 'x' }))));
    assert.equal(many.code, 'InvalidParameterException');
    assert.equal((await apiError(() => logs.send(new PutLogEventsCommand({ logGroupName: 'p', logStreamName: 'nope', logEvents: [{ timestamp: now, message: 'x' }] })))).code, 'ResourceNotFoundException');

    // Too old (over 14 days), and too new (over 2 hours ahead): rejected, the rest kept.
    const r3 = await put([
      { timestamp: now - 15 * 86_400_000, message: 'old' },
      { timestamp: now + 500, message: 'ok' },
      { timestamp: now + 3 * 3600_000, message: 'future' },
    ]);
    // The span of the accepted events is what counts, so this batch is fine.
    assert.deepEqual(r3.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 0, tooNewLogEventStartIndex: 2 });
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'p', logStreamName: 's', startFromHead: true }));
    assert.deepEqual(got.events!.map((e) => e.message), ['one', 'two', 'three', 'ok']);
    assert.equal(got.events![0]!.timestamp, now - 2000);
    assert.ok(got.events![0]!.ingestionTime! >= now - 60_000);

    // Before the retention period: expired.
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'p', retentionInDays: 1 }));
    const r4 = await put([{ timestamp: now - 2 * 86_400_000, message: 'expired' }, { timestamp: now, message: 'kept' }]);
    assert.deepEqual(r4.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
    const group = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups![0]!;
    assert.equal(group.storedBytes, 'onetwothreeokkept'.length);
  });

  it('GetLogEvents: head or tail, limits, forward and backward tokens, same token at the end', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 't' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 't', logStreamName: 's' }));
    const base = Date.now() - 60_000;
    await logs.send(new PutLogEventsCommand({ logGroupName: 't', logStreamName: 's', logEvents: Array.from({ length: 10 }, (_, i) => ({ timestamp: base + i * 1000, message: `m${i}` })) }));
    const get = (input: object) => logs.send(new GetLogEventsCommand({ logGroupName: 't', logStreamName: 's', ...input }));
    const msgs = (r: { events?: Array<{ message?: string }> }) => r.events!.map((e) => e.message);

    // Without startFromHead: the newest events (in ascending order).
    const tail = await get({ limit: 3 });
    assert.deepEqual(msgs(tail), ['m7', 'm8', 'm9']);
    const head = await get({ limit: 3, startFromHead: true });
    assert.deepEqual(msgs(head), ['m0', 'm1', 'm2']);

    // Forward from the head to the end; then the same token comes back.
    let r = head;
    const seen = msgs(head);
    for (let i = 0; i < 5; i++) {
      const next = await get({ limit: 3, nextToken: r.nextForwardToken });
      seen.push(...msgs(next));
      if (next.events!.length === 0) {
        assert.equal(next.nextForwardToken, r.nextForwardToken, 'at the end the same forward token');
        break;
      }
      r = next;
    }
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `m${i}`));
    assert.match(r.nextForwardToken!, /^f\/\d{56}$/);

    // Backward from the tail.
    const back = await get({ limit: 3, nextToken: tail.nextBackwardToken });
    assert.deepEqual(msgs(back), ['m4', 'm5', 'm6']);
    assert.match(back.nextBackwardToken!, /^b\/\d{56}$/);
    const back2 = await get({ limit: 10, nextToken: back.nextBackwardToken });
    assert.deepEqual(msgs(back2), ['m0', 'm1', 'm2', 'm3']);
    const back3 = await get({ limit: 10, nextToken: back2.nextBackwardToken });
    assert.deepEqual(msgs(back3), []);
    assert.equal(back3.nextBackwardToken, back2.nextBackwardToken, 'at the start the same backward token');

    // Time window: startTime inclusive, endTime exclusive.
    assert.deepEqual(msgs(await get({ startTime: base + 2000, endTime: base + 5000, startFromHead: true })), ['m2', 'm3', 'm4']);
    assert.equal((await apiError(() => get({ nextToken: 'garbage' }))).code, 'InvalidParameterException');
    assert.equal((await apiError(() => logs.send(new GetLogEventsCommand({ logGroupName: 't', logStreamName: 'nope' })))).code, 'ResourceNotFoundException');
    assert.equal((await apiError(() => logs.send(new GetLogEventsCommand({ logGroupName: 'nope', logStreamName: 's' })))).code, 'ResourceNotFoundException');
  });

  it('reads event batches stored by earlier versions ([timestamp, ingestionTime, message] tuples) with newer ones', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'old' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'old', logStreamName: 's' }));
    const t = Date.now() - 60_000;
    await logs.send(new PutLogEventsCommand({ logGroupName: 'old', logStreamName: 's', logEvents: [{ timestamp: t + 2, message: 'new one' }] }));
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    state.put(LOG_EVENTS, 'old\u0000s\u0000-1', { _group: 'old', _stream: 'old\u0000s', n: -1, events: [[t + 1, t + 5, 'old two'], [t, t + 5, 'old one']] });
    state.tx.commit();
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'old', logStreamName: 's', startFromHead: true }));
    assert.deepEqual(got.events!.map((e) => [e.timestamp! - t, e.message]), [
      [0, 'old one'],
      [1, 'old two'],
      [2, 'new one'],
    ]);
    assert.equal(got.events![0]!.ingestionTime, t + 5);
  });

  it('takes a producer\'s events as one text of lines, over several batches and out of order, and reads them back', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'lines' }));
    const t = Date.now() - 3_600_000;
    // 12,345 events: more than one stored batch holds (10,000).
    const messages = Array.from({ length: 12_345 }, (_, i) => `line ${i} é`);
    const ends: number[] = [];
    let at = -1;
    for (const m of messages) ends.push((at += m.length + 1));
    const text = messages.join('\n');
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    assert.equal(appendLogColumns(state, 'lines', 'a', messages.map((_, i) => t + i), { text, ends: ends.map((e) => e) }), true);
    // Out of time order: stored in order.
    assert.equal(appendLogColumns(state, 'lines', 'b', [t + 2, t, t + 1], { text: 'two\nzero\none', ends: [3, 8, 12] }), true);
    state.tx.commit();
    const all: string[] = [];
    let token: string | undefined;
    for (;;) {
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'lines', logStreamName: 'a', startFromHead: true, nextToken: token }));
      all.push(...got.events!.map((e) => e.message!));
      if (got.nextForwardToken === token || got.events!.length === 0) break;
      token = got.nextForwardToken;
    }
    assert.deepEqual(all, messages);
    const b = await logs.send(new GetLogEventsCommand({ logGroupName: 'lines', logStreamName: 'b', startFromHead: true }));
    assert.deepEqual(b.events!.map((e) => [e.timestamp! - t, e.message]), [
      [0, 'zero'],
      [1, 'one'],
      [2, 'two'],
    ]);
    // The group's stored bytes: the messages' UTF-8 bytes, newlines not counted.
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'lines' }));
    assert.equal(groups.logGroups![0]!.storedBytes, messages.reduce((n, m) => n + Buffer.byteLength(m), 0) + 'twozeroone'.length);
  });

  it('FilterLogEvents: streams interleaved by time, filter patterns, stream selection, pagination', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'flow' }));
    const t0 = Math.floor(Date.now() / 1000) - 120;
    const rec = (eni: string, src: string, dst: string, sport: number, dport: number, proto: number, action: string) =>
      `2 000000000000 ${eni} ${src} ${dst} ${sport} ${dport} ${proto} 5 400 ${t0} ${t0 + 60} ${action} OK`;
    // Producer path: streams appear as events are delivered.
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    assert.equal(
      appendLogEvents(state, 'flow', 'eni-0aaa-all', [
        { timestamp: t0 * 1000 + 2, message: rec('eni-0aaa', '10.0.0.5', '10.0.1.9', 40000, 22, 6, 'REJECT') },
        { timestamp: t0 * 1000, message: rec('eni-0aaa', '10.0.0.5', '10.0.1.9', 40001, 443, 6, 'ACCEPT') },
      ], Date.now()),
      true,
    );
    assert.equal(appendLogEvents(state, 'flow', 'eni-0bbb-all', [{ timestamp: t0 * 1000 + 1, message: rec('eni-0bbb', '203.0.113.9', '10.0.1.9', 50000, 22, 6, 'REJECT') }]), true);
    assert.equal(appendLogEvents(state, 'no-such-group', 'x', [{ timestamp: 1, message: 'x' }]), false);
    state.tx.commit();

    const filter = (input: object) => logs.send(new FilterLogEventsCommand({ logGroupName: 'flow', ...input }));
    const all = await filter({});
    assert.deepEqual(all.events!.map((e) => [e.logStreamName, e.timestamp! - t0 * 1000]), [
      ['eni-0aaa-all', 0],
      ['eni-0bbb-all', 1],
      ['eni-0aaa-all', 2],
    ]);
    assert.equal(new Set(all.events!.map((e) => e.eventId)).size, 3);

    const sshRejects = await filter({
      filterPattern: '[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]',
    });
    assert.deepEqual(sshRejects.events!.map((e) => e.logStreamName), ['eni-0bbb-all', 'eni-0aaa-all']);
    assert.deepEqual((await filter({ filterPattern: 'ACCEPT' })).events!.map((e) => e.logStreamName), ['eni-0aaa-all']);
    assert.deepEqual((await filter({ filterPattern: '203.0.113.9', logStreamNames: ['eni-0aaa-all'] })).events, []);
    assert.equal((await filter({ logStreamNamePrefix: 'eni-0b' })).events!.length, 1);
    assert.equal((await filter({ startTime: t0 * 1000 + 1, endTime: t0 * 1000 + 1 })).events!.length, 1);
    const p1 = await filter({ limit: 2 });
    assert.equal(p1.events!.length, 2);
    const p2 = await filter({ limit: 2, nextToken: p1.nextToken });
    assert.deepEqual(p2.events!.map((e) => e.timestamp! - t0 * 1000), [2]);
    assert.equal(p2.nextToken, undefined);

    const bad = await apiError(() => filter({ filterPattern: '[a, a]' }));
    assert.equal(bad.code, 'InvalidParameterException');
    assert.equal((await apiError(() => filter({ logStreamNames: ['a'], logStreamNamePrefix: 'a' }))).code, 'InvalidParameterException');
    assert.equal((await apiError(() => logs.send(new FilterLogEventsCommand({ logGroupName: 'nope' })))).code, 'ResourceNotFoundException');
  });

  it('works from the AWS CLI: create, put, get, filter, describe, delete', async () => {
    await cli.ok(['logs', 'create-log-group', '--log-group-name', '/cli/group']);
    await cli.fails(['logs', 'create-log-group', '--log-group-name', '/cli/group'], 'ResourceAlreadyExistsException');
    await cli.ok(['logs', 'create-log-stream', '--log-group-name', '/cli/group', '--log-stream-name', 'eni-1-all']);
    const now = Date.now();
    const put = await cli.ok([
      'logs', 'put-log-events', '--log-group-name', '/cli/group', '--log-stream-name', 'eni-1-all',
      '--log-events', `timestamp=${now - 10},message="2 000000000000 eni-1 10.0.0.1 10.0.0.2 1234 22 6 1 40 1 2 REJECT OK"`, `timestamp=${now},message=hello`,
    ]);
    assert.match(put.nextSequenceToken, /^\d+$/);
    const got = await cli.ok(['logs', 'get-log-events', '--log-group-name', '/cli/group', '--log-stream-name', 'eni-1-all', '--start-from-head']);
    assert.deepEqual(got.events.map((e: { message: string }) => e.message), ['2 000000000000 eni-1 10.0.0.1 10.0.0.2 1234 22 6 1 40 1 2 REJECT OK', 'hello']);
    const filtered = await cli.ok(['logs', 'filter-log-events', '--log-group-name', '/cli/group', '--filter-pattern', '[v, a, eni, src, dst, sport, dport=22, ...]']);
    assert.equal(filtered.events.length, 1);
    assert.equal(filtered.events[0].logStreamName, 'eni-1-all');
    const groups = await cli.ok(['logs', 'describe-log-groups', '--log-group-name-prefix', '/cli']);
    assert.deepEqual(groups.logGroups.map((g: { logGroupName: string }) => g.logGroupName), ['/cli/group']);
    const streams = await cli.ok(['logs', 'describe-log-streams', '--log-group-name', '/cli/group']);
    assert.equal(streams.logStreams[0].lastEventTimestamp, now);
    await cli.ok(['logs', 'delete-log-group', '--log-group-name', '/cli/group']);
    await cli.fails(['logs', 'delete-log-group', '--log-group-name', '/cli/group'], 'ResourceNotFoundException');
  });
});
