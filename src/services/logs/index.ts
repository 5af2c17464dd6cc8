/**
 * Amazon CloudWatch Logs (JSON 1.1, `Logs_20140328`): log groups, log streams, log events
 * (PutLogEvents, GetLogEvents, FilterLogEvents with CloudWatch's filter patterns), retention
 * and tags.
 *
 * Storage: one record per group, one per stream, and the events in batches (one record per
 * PutLogEvents call or per `appendLogEvents` call of a producer such as flow logs), so that
 * appending never rewrites what is already stored. Reads gather a stream's batches through an
 * index and order the events by timestamp. Events older than the group's retention are not
 * returned.
 */
import type {
  CreateLogGroupRequest,
  CreateLogStreamRequest,
  DeleteLogGroupRequest,
  DeleteLogStreamRequest,
  DeleteRetentionPolicyRequest,
  DescribeLogGroupsRequest,
  DescribeLogGroupsResponse,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  FilteredLogEvent,
  FilterLogEventsRequest,
  FilterLogEventsResponse,
  GetLogEventsRequest,
  GetLogEventsResponse,
  InputLogEvent,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  ListTagsLogGroupRequest,
  ListTagsLogGroupResponse,
  LogGroup,
  LogStream,
  OutputLogEvent,
  PutLogEventsRequest,
  PutLogEventsResponse,
  PutRetentionPolicyRequest,
  TagLogGroupRequest,
  TagResourceRequest,
  UntagLogGroupRequest,
  UntagResourceRequest,
} from '@aws-sdk/client-cloudwatch-logs';
import { ApiError } from '../../protocol/errors.js';
import { loadModel } from '../../protocol/model.js';
import { defineIndex, numbersOnly, type ScopedState } from '../../state/store.js';
import type { Handler, RequestContext, ServiceProvider } from '../context.js';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.js';

export const LOG_GROUP = 'logs-group';
export const LOG_STREAM = 'logs-stream';
export const LOG_EVENTS = 'logs-events';

defineIndex(LOG_STREAM, '_group');
defineIndex(LOG_EVENTS, '_stream');
defineIndex(LOG_EVENTS, '_group');

interface GroupRecord extends LogGroup {
  logGroupName: string;
  creationTime: number;
  _tags?: Record<string, string>;
}

interface StreamRecord extends LogStream {
  logStreamName: string;
  creationTime: number;
  _group: string;
  /** Batches written so far (the next batch's number). */
  _batches: number;
  /** Bytes of the messages stored. */
  _bytes: number;
}

/**
 * One batch of events in the order received, one column per field (all events of a batch share
 * their ingestion time). Batches stored by earlier versions hold `events` tuples
 * [timestamp, ingestionTime, message] instead; both are read.
 */
interface EventBatch {
  _group: string;
  _stream: string;
  n: number;
  timestamps?: number[];
  /** The messages: one string each, or (as producers write them) one text of lines (`LogLines`). */
  messages?: string[];
  text?: string;
  ends?: number[];
  ingestionTime?: number;
  events?: Array<[number, number, string]>;
}

/**
 * Messages as one text: message i runs from just after the newline that ends message i - 1
 * (from the start for the first) up to ends[i]. A producer's lines stay one string in the store
 * instead of one string each.
 */
export interface LogLines {
  text: string;
  ends: number[];
  /** The messages' bytes in UTF-8 (the text's, less its newlines), when the producer knows them. */
  bytes?: number;
}

type Messages = string[] | LogLines;

/** Message i of a text of lines. */
function lineOf(m: LogLines, i: number): string {
  return m.text.slice(i === 0 ? 0 : m.ends[i - 1]! + 1, m.ends[i]);
}

/** Messages i up to j (not included). */
function sliceMessages(m: Messages, i: number, j: number): Messages {
  if (Array.isArray(m)) return m.slice(i, j);
  const from = i === 0 ? 0 : m.ends[i - 1]! + 1;
  return { text: m.text.slice(from, m.ends[j - 1]), ends: m.ends.slice(i, j).map((e) => e - from) };
}

/** An event as a producer hands it over. */
export interface LogEventInput {
  timestamp: number;
  message: string;
}

const invalid = (message: string) => new ApiError('InvalidParameterException', message);
const groupNotFound = () => new ApiError('ResourceNotFoundException', 'The specified log group does not exist.');
const streamNotFound = () => new ApiError('ResourceNotFoundException', 'The specified log stream does not exist.');

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const MAX_EVENT_BYTES = 1_048_576;
const MAX_BATCH_EVENTS = 10_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

function streamKey(group: string, stream: string): string {
  return `${group}\u0000${stream}`;
}

function scopeParts(state: ScopedState): { account: string; region: string } {
  const [account = '000000000000', region = 'us-east-1'] = state.scope.split('/');
  return { account, region };
}

function groupArn(state: ScopedState, group: string): string {
  const { account, region } = scopeParts(state);
  return `arn:aws:logs:${region}:${account}:log-group:${group}`;
}

function validationPattern(value: string, member: string, pattern: string): ApiError {
  return invalid(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`);
}

function checkGroupName(name: string, member = 'logGroupName'): string {
  if (name.length < 1 || name.length > 512) {
    throw invalid(`1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to 512`);
  }
  if (!GROUP_NAME.test(name)) throw validationPattern(name, member, '[\\.\\-_/#A-Za-z0-9]+');
  return name;
}

function checkStreamName(name: string): string {
  if (name.length < 1 || name.length > 512) {
    throw invalid(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must have length less than or equal to 512`);
  }
  if (/[:*]/.test(name)) throw validationPattern(name, 'logStreamName', '[^:*]*');
  return name;
}

function checkLimit(limit: number | undefined, max: number, fallback: number): number {
  if (limit === undefined) return fallback;
  if (limit < 1) {
    throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  if (limit > max) {
    throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return limit;
}

/** The group a request names by logGroupName or logGroupIdentifier (a name or an ARN). */
function groupNameOf(input: { logGroupName?: string; logGroupIdentifier?: string }): string {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  const id = input.logGroupName ?? input.logGroupIdentifier;
  if (id === undefined) throw invalid('Should provide either name or ARN of the log group.');
  const m = /^arn:aws[\w-]*:logs:[^:]*:\d{12}:log-group:([^:]+)(:\*)?$/.exec(id);
  return m ? m[1]! : id;
}

function requireGroup(state: ScopedState, name: string): Readonly<GroupRecord> {
  const g = state.get<GroupRecord>(LOG_GROUP, name);
  if (!g) throw groupNotFound();
  return g;
}

function requireStream(state: ScopedState, group: string, stream: string): Readonly<StreamRecord> {
  const s = state.get<StreamRecord>(LOG_STREAM, streamKey(group, stream));
  if (!s) throw streamNotFound();
  return s;
}

/** Opaque pagination tokens: an offset in a sorted list. */
function encodeOffset(kind: string, offset: number): string {
  return Buffer.from(`${kind}:${offset}`).toString('base64url');
}

function decodeOffset(kind: string, token: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = text.startsWith(`${kind}:`) ? /^\d{1,12}$/.exec(text.slice(kind.length + 1)) : null;
  if (!m) throw invalid('The specified nextToken is invalid.');
  return Number(m[0]);
}

// ---------------------------------------------------------------------------------------------
// Log groups.

/** Creates a log group (for producers: the same checks as CreateLogGroup). */
export function createLogGroup(ctx: RequestContext, input: CreateLogGroupRequest): void {
  const name = checkGroupName(input.logGroupName!);
  if (ctx.state.get(LOG_GROUP, name)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log group already exists');
  if (input.logGroupClass !== undefined && !['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY'].includes(input.logGroupClass)) {
    throw invalid(`1 validation error detected: Value '${input.logGroupClass}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]`);
  }
  const tags = input.tags ? checkTags(input.tags) : undefined;
  const arn = groupArn(ctx.state, name);
  const rec: GroupRecord = {
    logGroupName: name,
    creationTime: ctx.now.getTime(),
    metricFilterCount: 0,
    arn: `${arn}:*`,
    logGroupClass: (input.logGroupClass ?? 'STANDARD') as GroupRecord['logGroupClass'],
    logGroupArn: arn,
  };
  if (input.kmsKeyId) rec.kmsKeyId = input.kmsKeyId;
  if (tags && Object.keys(tags).length) rec._tags = tags;
  ctx.state.put(LOG_GROUP, name, rec);
}

function groupView(state: ScopedState, g: Readonly<GroupRecord>): LogGroup {
  const { _tags: _t, ...rest } = g;
  const storedBytes = state.listBy<StreamRecord>(LOG_STREAM, '_group', g.logGroupName).reduce((n, s) => n + s._bytes, 0);
  const out: LogGroup = { ...rest, storedBytes };
  return out;
}

function describeLogGroups(ctx: RequestContext, input: DescribeLogGroupsRequest): DescribeLogGroupsResponse {
  if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
    throw invalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  }
  const limit = checkLimit(input.limit, 50, 50);
  let groups = ctx.state.list<GroupRecord>(LOG_GROUP).slice();
  if (input.logGroupNamePrefix !== undefined) groups = groups.filter((g) => g.logGroupName.startsWith(input.logGroupNamePrefix!));
  if (input.logGroupNamePattern !== undefined) {
    const p = input.logGroupNamePattern.toLowerCase();
    groups = groups.filter((g) => g.logGroupName.toLowerCase().includes(p));
  }
  if (input.logGroupClass !== undefined) groups = groups.filter((g) => g.logGroupClass === input.logGroupClass);
  groups.sort((a, b) => (a.logGroupName < b.logGroupName ? -1 : a.logGroupName > b.logGroupName ? 1 : 0));
  const start = input.nextToken ? decodeOffset('groups', input.nextToken) : 0;
  const page = groups.slice(start, start + limit);
  return {
    logGroups: page.map((g) => groupView(ctx.state, g)),
    nextToken: start + limit < groups.length ? encodeOffset('groups', start + limit) : undefined,
  };
}

function deleteLogGroup(ctx: RequestContext, input: DeleteLogGroupRequest): void {
  const name = input.logGroupName!;
  requireGroup(ctx.state, name);
  for (const s of ctx.state.listBy<StreamRecord>(LOG_STREAM, '_group', name)) ctx.state.delete(LOG_STREAM, streamKey(name, s.logStreamName));
  for (const b of ctx.state.listBy<EventBatch>(LOG_EVENTS, '_group', name)) ctx.state.delete(LOG_EVENTS, batchId(b._group, streamName(b), b.n));
  ctx.state.delete(LOG_GROUP, name);
}

function streamName(b: Readonly<EventBatch>): string {
  return b._stream.slice(b._group.length + 1);
}

function batchId(group: string, stream: string, n: number): string {
  return `${streamKey(group, stream)}\u0000${n}`;
}

function putRetentionPolicy(ctx: RequestContext, input: PutRetentionPolicyRequest): void {
  const days = input.retentionInDays!;
  if (!RETENTION_DAYS.includes(days)) {
    throw invalid(`1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
  requireGroup(ctx.state, input.logGroupName!);
  ctx.state.edit<GroupRecord>(LOG_GROUP, input.logGroupName!)!.retentionInDays = days;
}

function deleteRetentionPolicy(ctx: RequestContext, input: DeleteRetentionPolicyRequest): void {
  requireGroup(ctx.state, input.logGroupName!);
  delete ctx.state.edit<GroupRecord>(LOG_GROUP, input.logGroupName!)!.retentionInDays;
}

// ---------------------------------------------------------------------------------------------
// Tags.

function checkTags(tags: Record<string, string>): Record<string, string> {
  const entries = Object.entries(tags);
  if (entries.length > 50) {
    throw invalid('1 validation error detected: Value at \'tags\' failed to satisfy constraint: Member must have length less than or equal to 50');
  }
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > 128 || !/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(k)) {
      throw invalid(`1 validation error detected: Value '${k}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]`);
    }
    if (v.length > 256) throw invalid(`1 validation error detected: Value '${v}' at 'tags' failed to satisfy constraint: Map value must have length less than or equal to 256`);
  }
  return { ...tags };
}

function groupFromArn(state: ScopedState, arn: string): string {
  const m = /^arn:aws[\w-]*:logs:([^:]*):(\d{12}):log-group:([^:]+)(:\*)?$/.exec(arn);
  const { account, region } = scopeParts(state);
  if (!m) throw invalid(`Invalid resource arn: ${arn}`);
  if (m[1] !== region || m[2] !== account || !state.get(LOG_GROUP, m[3]!)) {
    throw new ApiError('ResourceNotFoundException', `The specified resource does not exist.`);
  }
  return m[3]!;
}

function addTags(state: ScopedState, group: string, tags: Record<string, string>): void {
  const g = state.edit<GroupRecord>(LOG_GROUP, group)!;
  const merged = { ...(g._tags ?? {}), ...checkTags(tags) };
  if (Object.keys(merged).length > 50) throw invalid('The log group can have at most 50 tags.');
  g._tags = merged;
}

function removeTags(state: ScopedState, group: string, keys: string[]): void {
  const g = state.edit<GroupRecord>(LOG_GROUP, group)!;
  const tags = { ...(g._tags ?? {}) };
  for (const k of keys) delete tags[k];
  if (Object.keys(tags).length) g._tags = tags;
  else delete g._tags;
}

function tagResource(ctx: RequestContext, input: TagResourceRequest): void {
  addTags(ctx.state, groupFromArn(ctx.state, input.resourceArn!), input.tags ?? {});
}

function untagResource(ctx: RequestContext, input: UntagResourceRequest): void {
  removeTags(ctx.state, groupFromArn(ctx.state, input.resourceArn!), input.tagKeys ?? []);
}

function listTagsForResource(ctx: RequestContext, input: ListTagsForResourceRequest): ListTagsForResourceResponse {
  const name = groupFromArn(ctx.state, input.resourceArn!);
  return { tags: { ...(requireGroup(ctx.state, name)._tags ?? {}) } };
}

function tagLogGroup(ctx: RequestContext, input: TagLogGroupRequest): void {
  requireGroup(ctx.state, input.logGroupName!);
  addTags(ctx.state, input.logGroupName!, input.tags ?? {});
}

function untagLogGroup(ctx: RequestContext, input: UntagLogGroupRequest): void {
  requireGroup(ctx.state, input.logGroupName!);
  removeTags(ctx.state, input.logGroupName!, input.tags ?? []);
}

function listTagsLogGroup(ctx: RequestContext, input: ListTagsLogGroupRequest): ListTagsLogGroupResponse {
  return { tags: { ...(requireGroup(ctx.state, input.logGroupName!)._tags ?? {}) } };
}

// ---------------------------------------------------------------------------------------------
// Log streams.

function newStream(state: ScopedState, group: string, name: string, nowMs: number): StreamRecord {
  const rec: StreamRecord = {
    logStreamName: name,
    creationTime: nowMs,
    arn: `${groupArn(state, group)}:log-stream:${name}`,
    storedBytes: 0,
    _group: group,
    _batches: 0,
    _bytes: 0,
  };
  return state.put(LOG_STREAM, streamKey(group, name), rec);
}

function createLogStream(ctx: RequestContext, input: CreateLogStreamRequest): void {
  const group = input.logGroupName!;
  const name = checkStreamName(input.logStreamName!);
  requireGroup(ctx.state, group);
  if (ctx.state.get(LOG_STREAM, streamKey(group, name))) {
    throw new ApiError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  }
  newStream(ctx.state, group, name, ctx.now.getTime());
}

function streamView(s: Readonly<StreamRecord>): LogStream {
  const { _group: _g, _batches: _b, _bytes: _y, ...rest } = s;
  return rest;
}

function describeLogStreams(ctx: RequestContext, input: DescribeLogStreamsRequest): DescribeLogStreamsResponse {
  const group = groupNameOf(input);
  const limit = checkLimit(input.limit, 50, 50);
  const orderBy = input.orderBy ?? 'LogStreamName';
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
    throw invalid(`1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
  }
  if (orderBy === 'LastEventTime' && input.logStreamNamePrefix !== undefined) {
    throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  requireGroup(ctx.state, group);
  let streams = ctx.state.listBy<StreamRecord>(LOG_STREAM, '_group', group).slice();
  if (input.logStreamNamePrefix !== undefined) streams = streams.filter((s) => s.logStreamName.startsWith(input.logStreamNamePrefix!));
  const byName = (a: Readonly<StreamRecord>, b: Readonly<StreamRecord>) =>
    a.logStreamName < b.logStreamName ? -1 : a.logStreamName > b.logStreamName ? 1 : 0;
  if (orderBy === 'LastEventTime') {
    streams.sort((a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || byName(a, b));
  } else streams.sort(byName);
  if (input.descending) streams.reverse();
  const start = input.nextToken ? decodeOffset('streams', input.nextToken) : 0;
  const page = streams.slice(start, start + limit);
  return {
    logStreams: page.map(streamView),
    nextToken: start + limit < streams.length ? encodeOffset('streams', start + limit) : undefined,
  };
}

function deleteLogStream(ctx: RequestContext, input: DeleteLogStreamRequest): void {
  const group = input.logGroupName!;
  const name = input.logStreamName!;
  requireGroup(ctx.state, group);
  requireStream(ctx.state, group, name);
  for (const b of ctx.state.listBy<EventBatch>(LOG_EVENTS, '_stream', streamKey(group, name))) ctx.state.delete(LOG_EVENTS, batchId(group, name, b.n));
  ctx.state.delete(LOG_STREAM, streamKey(group, name));
}

// ---------------------------------------------------------------------------------------------
// Events.

/** Stores events (already checked) as one batch; returns the stream's next sequence token. */
function storeBatch(state: ScopedState, group: string, stream: Readonly<StreamRecord>, events: readonly LogEventInput[], ingestionTime: number): string {
  return storeColumns(state, group, stream, ...columnsOf(events), ingestionTime);
}

/** Events as columns: their timestamps, and their messages. */
function columnsOf(events: readonly LogEventInput[]): [number[], string[]] {
  return [events.map((e) => e.timestamp), events.map((e) => e.message)];
}

/** Stores one batch of events given as columns (timestamps and messages, in the order received). */
function storeColumns(state: ScopedState, group: string, stream: Readonly<StreamRecord>, timestamps: number[], messages: Messages, ingestionTime: number): string {
  const s = state.edit<StreamRecord>(LOG_STREAM, streamKey(group, stream.logStreamName))!;
  if (timestamps.length > 0) {
    const n = s._batches++;
    const batch: EventBatch = { _group: group, _stream: streamKey(group, stream.logStreamName), n, timestamps: numbersOnly(timestamps), ingestionTime };
    // The messages' bytes (a text of lines: all but its newlines).
    let bytes = 0;
    if (Array.isArray(messages)) {
      batch.messages = messages;
      for (const m of messages) bytes += Buffer.byteLength(m);
    } else {
      batch.text = messages.text;
      batch.ends = numbersOnly(messages.ends);
      bytes = messages.bytes ?? Buffer.byteLength(messages.text) - (messages.ends.length - 1);
    }
    state.put(LOG_EVENTS, batchId(group, stream.logStreamName, n), batch);
    let first = s.firstEventTimestamp ?? Infinity;
    let last = s.lastEventTimestamp ?? -Infinity;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i]!;
      if (t < first) first = t;
      if (t > last) last = t;
    }
    s._bytes += bytes;
    s.firstEventTimestamp = first;
    s.lastEventTimestamp = last;
    s.lastIngestionTime = ingestionTime;
  }
  const token = sequenceToken(s._batches);
  s.uploadSequenceToken = token;
  return token;
}

function sequenceToken(n: number): string {
  return `4963${String(n).padStart(52, '0')}`;
}

/**
 * For producers (flow logs and other simulated deliveries): appends events to a stream of an
 * existing group, creating the stream when it does not exist yet, as AWS services that deliver
 * to CloudWatch Logs do. Events are stored in the order given (reads put a stream's events in
 * timestamp order, ties in the order stored); no age limits apply.
 * Returns false (and stores nothing) when the group does not exist.
 */
export function appendLogEvents(state: ScopedState, group: string, stream: string, events: readonly LogEventInput[], nowMs: number = Date.now()): boolean {
  return appendLogColumns(state, group, stream, ...columnsOf(events), nowMs);
}

/** appendLogEvents with the events as columns: timestamps[i] is message i's (one string each, or lines of one text). */
export function appendLogColumns(state: ScopedState, group: string, stream: string, timestamps: number[], messages: Messages, nowMs: number = Date.now()): boolean {
  if (!state.get(LOG_GROUP, group)) return false;
  const s = state.get<StreamRecord>(LOG_STREAM, streamKey(group, stream)) ?? newStream(state, group, stream, nowMs);
  for (let i = 0; i < timestamps.length; i += MAX_BATCH_EVENTS) {
    const whole = i === 0 && timestamps.length <= MAX_BATCH_EVENTS;
    storeColumns(
      state,
      group,
      state.get<StreamRecord>(LOG_STREAM, streamKey(group, stream)) ?? s,
      whole ? timestamps : timestamps.slice(i, i + MAX_BATCH_EVENTS),
      whole ? messages : sliceMessages(messages, i, Math.min(i + MAX_BATCH_EVENTS, timestamps.length)),
      nowMs,
    );
  }
  return true;
}

/**
 * For producers: the log group, created when missing (flow logs create the group named in
 * their configuration on first delivery, as AWS does with the delivery role's permission).
 */
export function ensureLogGroup(state: ScopedState, group: string, nowMs: number = Date.now()): void {
  if (state.get(LOG_GROUP, group)) return;
  const arn = groupArn(state, group);
  state.put<GroupRecord>(LOG_GROUP, group, {
    logGroupName: group,
    creationTime: nowMs,
    metricFilterCount: 0,
    arn: `${arn}:*`,
    logGroupClass: 'STANDARD',
    logGroupArn: arn,
  });
}

/** Whether a log group exists in this account and region. */
export function logGroupExists(state: ScopedState, group: string): boolean {
  return state.get(LOG_GROUP, group) !== undefined;
}

function putLogEvents(ctx: RequestContext, input: PutLogEventsRequest): PutLogEventsResponse {
  const group = input.logGroupName!;
  const streamNameIn = input.logStreamName!;
  const events = input.logEvents ?? [];
  if (events.length < 1) {
    throw invalid("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  if (events.length > MAX_BATCH_EVENTS) {
    throw invalid(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BATCH_EVENTS}`);
  }
  let size = 0;
  for (const [i, e] of events.entries()) {
    const bytes = Buffer.byteLength(e.message ?? '');
    if ((e.message ?? '').length < 1) {
      throw invalid(`1 validation error detected: Value '' at 'logEvents.${i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
    if (bytes > MAX_EVENT_BYTES) throw invalid(`Log event too large: ${bytes} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
    size += bytes + EVENT_OVERHEAD;
  }
  if (size > MAX_BATCH_BYTES) throw invalid(`Upload too large: ${size} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.timestamp! < events[i - 1]!.timestamp!) {
      throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
    }
  }
  const g = requireGroup(ctx.state, group);
  const stream = requireStream(ctx.state, group, streamNameIn);

  // Too new (more than 2 hours ahead), too old (14 days) or before the retention period:
  // rejected, the rest accepted. Events are chronological, so each kind is a run at one end.
  const now = ctx.now.getTime();
  const tooOldBefore = now - 14 * DAY_MS;
  const expiredBefore = g.retentionInDays ? now - g.retentionInDays * DAY_MS : -Infinity;
  const tooNewAfter = now + 2 * HOUR_MS;
  let tooOldEnd = -1;
  let expiredEnd = -1;
  let tooNewStart = -1;
  events.forEach((e: InputLogEvent, i) => {
    const t = e.timestamp!;
    if (t < expiredBefore) expiredEnd = i;
    else if (t < tooOldBefore) tooOldEnd = i;
    if (t > tooNewAfter && tooNewStart < 0) tooNewStart = i;
  });
  const firstOk = Math.max(tooOldEnd, expiredEnd) + 1;
  const endOk = tooNewStart < 0 ? events.length : tooNewStart;
  const accepted = events.slice(firstOk, Math.max(firstOk, endOk)) as LogEventInput[];
  if (accepted.length > 1 && accepted[accepted.length - 1]!.timestamp - accepted[0]!.timestamp > DAY_MS) {
    throw invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  }
  const nextSequenceToken = storeBatch(ctx.state, group, stream, accepted, now);
  const out: PutLogEventsResponse = { nextSequenceToken };
  if (tooOldEnd >= 0 || expiredEnd >= 0 || tooNewStart >= 0) {
    out.rejectedLogEventsInfo = {};
    if (tooNewStart >= 0) out.rejectedLogEventsInfo.tooNewLogEventStartIndex = tooNewStart;
    if (tooOldEnd >= 0) out.rejectedLogEventsInfo.tooOldLogEventEndIndex = tooOldEnd;
    if (expiredEnd >= 0) out.rejectedLogEventsInfo.expiredLogEventEndIndex = expiredEnd;
  }
  return out;
}

interface StoredEvent {
  timestamp: number;
  ingestionTime: number;
  message: string;
  stream: string;
  /** Batch and position: a stable identity for eventId. */
  batch: number;
  index: number;
}

/** A stream's events in timestamp order (ties keep arrival order), without expired ones. */
function streamEvents(state: ScopedState, group: Readonly<GroupRecord>, stream: string, now: number): StoredEvent[] {
  const batches = state.listBy<EventBatch>(LOG_EVENTS, '_stream', streamKey(group.logGroupName, stream)).slice();
  batches.sort((a, b) => a.n - b.n);
  const expiredBefore = group.retentionInDays ? now - group.retentionInDays * DAY_MS : -Infinity;
  const out: StoredEvent[] = [];
  for (const b of batches) {
    if (b.events) {
      b.events.forEach(([timestamp, ingestionTime, message], index) => {
        if (timestamp >= expiredBefore) out.push({ timestamp, ingestionTime, message, stream, batch: b.n, index });
      });
      continue;
    }
    const times = b.timestamps ?? [];
    const messages = b.messages ?? [];
    const lines = b.text !== undefined && b.ends ? { text: b.text, ends: b.ends } : undefined;
    const ingestionTime = b.ingestionTime ?? 0;
    for (let index = 0; index < times.length; index++) {
      const timestamp = times[index]!;
      if (timestamp >= expiredBefore) out.push({ timestamp, ingestionTime, message: lines ? lineOf(lines, index) : messages[index]!, stream, batch: b.n, index });
    }
  }
  // A stable sort: events of later batches with equal timestamps stay after earlier ones.
  out.sort((a, b) => a.timestamp - b.timestamp);
  return out;
}

function positionToken(direction: 'f' | 'b', position: number): string {
  return `${direction}/${String(position).padStart(56, '0')}`;
}

function parsePositionToken(token: string): { direction: 'f' | 'b'; position: number } {
  const m = /^([fb])\/(\d{1,56})$/.exec(token);
  if (!m) throw invalid('The specified nextToken is invalid.');
  return { direction: m[1] as 'f' | 'b', position: Number(m[2]) };
}

const MAX_RESPONSE_BYTES = 1_048_576;

function getLogEvents(ctx: RequestContext, input: GetLogEventsRequest): GetLogEventsResponse {
  const groupName = groupNameOf(input);
  const limit = checkLimit(input.limit, 10_000, 10_000);
  const group = requireGroup(ctx.state, groupName);
  requireStream(ctx.state, groupName, input.logStreamName!);
  let events = streamEvents(ctx.state, group, input.logStreamName!, ctx.now.getTime());
  if (input.startTime !== undefined) events = events.filter((e) => e.timestamp >= input.startTime!);
  if (input.endTime !== undefined) events = events.filter((e) => e.timestamp < input.endTime!);

  let forward: boolean;
  let from: number;
  if (input.nextToken !== undefined) {
    const t = parsePositionToken(input.nextToken);
    forward = t.direction === 'f';
    from = Math.min(t.position, events.length);
  } else {
    forward = input.startFromHead === true;
    from = forward ? 0 : events.length;
  }
  // Take up to `limit` events (and 1 MB) from `from` in the chosen direction.
  let start: number;
  let end: number;
  if (forward) {
    start = from;
    end = start;
    let bytes = 0;
    while (end < events.length && end - start < limit) {
      bytes += Buffer.byteLength(events[end]!.message) + EVENT_OVERHEAD;
      if (bytes > MAX_RESPONSE_BYTES && end > start) break;
      end++;
    }
  } else {
    end = from;
    start = end;
    let bytes = 0;
    while (start > 0 && end - start < limit) {
      bytes += Buffer.byteLength(events[start - 1]!.message) + EVENT_OVERHEAD;
      if (bytes > MAX_RESPONSE_BYTES && start < end) break;
      start--;
    }
  }
  const page = events.slice(start, end);
  // At either end of the stream the token given is handed back unchanged.
  const nextForwardToken = input.nextToken !== undefined && forward && page.length === 0 ? input.nextToken : positionToken('f', end);
  const nextBackwardToken = input.nextToken !== undefined && !forward && page.length === 0 ? input.nextToken : positionToken('b', start);
  return {
    events: page.map((e): OutputLogEvent => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
    nextForwardToken,
    nextBackwardToken,
  };
}

function eventId(e: StoredEvent, streamIndex: number): string {
  return `${String(e.timestamp).padStart(16, '0')}${String(streamIndex).padStart(8, '0')}${String(e.batch).padStart(16, '0')}${String(e.index).padStart(16, '0')}`;
}

function filterLogEvents(ctx: RequestContext, input: FilterLogEventsRequest): FilterLogEventsResponse {
  const groupName = groupNameOf(input);
  const limit = checkLimit(input.limit, 10_000, 10_000);
  if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
    throw invalid('Cannot specify both logStreamNames and logStreamNamePrefix.');
  }
  if (input.logStreamNames !== undefined && (input.logStreamNames.length < 1 || input.logStreamNames.length > 100)) {
    throw invalid(`1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length ${input.logStreamNames.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
  }
  let match;
  try {
    match = compileFilterPattern(input.filterPattern);
  } catch (err) {
    if (err instanceof FilterPatternError) throw invalid(err.message);
    throw err;
  }
  const group = requireGroup(ctx.state, groupName);
  let streams = ctx.state.listBy<StreamRecord>(LOG_STREAM, '_group', groupName).map((s) => s.logStreamName);
  streams.sort();
  if (input.logStreamNames) {
    const wanted = new Set(input.logStreamNames);
    streams = streams.filter((s) => wanted.has(s));
  } else if (input.logStreamNamePrefix !== undefined) {
    streams = streams.filter((s) => s.startsWith(input.logStreamNamePrefix!));
  }
  const now = ctx.now.getTime();
  const all: Array<StoredEvent & { streamIndex: number }> = [];
  streams.forEach((s, streamIndex) => {
    for (const e of streamEvents(ctx.state, group, s, now)) {
      if (input.startTime !== undefined && e.timestamp < input.startTime) continue;
      if (input.endTime !== undefined && e.timestamp > input.endTime) continue;
      if (match(e.message)) all.push({ ...e, streamIndex });
    }
  });
  all.sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime || a.streamIndex - b.streamIndex);
  const start = input.nextToken ? decodeOffset('filter', input.nextToken) : 0;
  const page = all.slice(start, start + limit);
  return {
    events: page.map(
      (e): FilteredLogEvent => ({
        logStreamName: e.stream,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: eventId(e, e.streamIndex),
      }),
    ),
    searchedLogStreams: [],
    nextToken: start + limit < all.length ? encodeOffset('filter', start + limit) : undefined,
  };
}

const handlers: Record<string, Handler> = {
  CreateLogGroup: createLogGroup,
  DescribeLogGroups: describeLogGroups,
  DeleteLogGroup: deleteLogGroup,
  PutRetentionPolicy: putRetentionPolicy,
  DeleteRetentionPolicy: deleteRetentionPolicy,
  CreateLogStream: createLogStream,
  DescribeLogStreams: describeLogStreams,
  DeleteLogStream: deleteLogStream,
  PutLogEvents: putLogEvents,
  GetLogEvents: getLogEvents,
  FilterLogEvents: filterLogEvents,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  TagLogGroup: tagLogGroup,
  UntagLogGroup: untagLogGroup,
  ListTagsLogGroup: listTagsLogGroup,
};

export function logsProvider(): ServiceProvider {
  return {
    name: 'logs',
    model: loadModel('logs-2014-03-28'),
    protocol: 'json',
    handlers,
    jsonErrors: {
      serialization: (m) => new ApiError('SerializationException', m),
      validation: (m) => new ApiError('InvalidParameterException', m),
    },
  };
}
