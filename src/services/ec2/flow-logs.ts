/**
 * VPC flow logs (configuration): CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs for VPCs,
 * subnets and network interfaces, delivering to CloudWatch Logs, S3 or Kinesis Data Firehose,
 * with the default or a custom record format (every field AWS documents, versions 2 and up).
 *
 * A flow log is immutable once created. A flow log whose resource is gone (its VPC, subnet or
 * interface deleted) is gone too (derived when read). `activeFlowLogs` is the entry for the
 * record producers: the flow logs that cover an interface, with their parsed formats.
 */
import type {
  CreateFlowLogsRequest,
  CreateFlowLogsResult,
  DeleteFlowLogsRequest,
  DeleteFlowLogsResult,
  DescribeFlowLogsRequest,
  DescribeFlowLogsResult,
  FlowLog,
  UnsuccessfulItem,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { defineIndex, type ScopedState } from '../../state/store.js';
import type { Handler, RequestContext } from '../context.js';
import { bucketInfo } from '../s3/index.js';
import { applyFilters } from './filters.js';
import { paginate } from './paginate.js';
import { checkIdShape, kindOf, newId, registerKind } from './resources.js';
import { tagsFromSpecs } from './tags.js';

export const FLOW_LOG = 'flow-log';

registerKind({
  kind: FLOW_LOG,
  prefix: 'fl',
  code: 'InvalidFlowLogId',
  noun: 'flow log ID',
  idField: 'FlowLogId',
  tagType: 'vpc-flow-log',
});
defineIndex(FLOW_LOG, 'ResourceId');

/**
 * Every field a custom format may name, with the record version that introduced it
 * (VPC User Guide, "Flow log records": v2 default fields, v3 packet and resource fields,
 * v4 location, v5 AWS service and path, v7 ECS, v8 reject reason, later resource-id and
 * encryption-status).
 */
export const FLOW_LOG_FIELDS: Readonly<Record<string, number>> = {
  version: 2,
  'account-id': 2,
  'interface-id': 2,
  srcaddr: 2,
  dstaddr: 2,
  srcport: 2,
  dstport: 2,
  protocol: 2,
  packets: 2,
  bytes: 2,
  start: 2,
  end: 2,
  action: 2,
  'log-status': 2,
  'vpc-id': 3,
  'subnet-id': 3,
  'instance-id': 3,
  'tcp-flags': 3,
  type: 3,
  'pkt-srcaddr': 3,
  'pkt-dstaddr': 3,
  region: 4,
  'az-id': 4,
  'sublocation-type': 4,
  'sublocation-id': 4,
  'pkt-src-aws-service': 5,
  'pkt-dst-aws-service': 5,
  'flow-direction': 5,
  'traffic-path': 5,
  'ecs-cluster-arn': 7,
  'ecs-cluster-name': 7,
  'ecs-container-instance-arn': 7,
  'ecs-container-instance-id': 7,
  'ecs-container-id': 7,
  'ecs-second-container-id': 7,
  'ecs-service-name': 7,
  'ecs-task-definition-arn': 7,
  'ecs-task-arn': 7,
  'ecs-task-id': 7,
  'reject-reason': 8,
  'resource-id': 9,
  'encryption-status': 10,
};

export const DEFAULT_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'];
export const DEFAULT_LOG_FORMAT = DEFAULT_FIELDS.map((f) => `\${${f}}`).join(' ');

export interface FlowLogRecord extends FlowLog {
  FlowLogId: string;
  ResourceId: string;
  /** VPC, Subnet or NetworkInterface. */
  _resourceType: string;
  /** The fields of LogFormat, in order. */
  _fields: string[];
  /** For S3 destinations: bucket and key prefix (without the trailing slash). */
  _bucket?: string;
  _prefix?: string;
}

const invalidParameter = (m: string) => new ApiError('InvalidParameter', m);

/** The fields of a `${a} ${b}` format; throws AWS's error for anything else. */
export function parseLogFormat(format: string): string[] {
  const bad = () => invalidParameter(`1 validation error detected: Value '${format}' at 'logFormat' has an invalid format`);
  if (format.length === 0 || format.length > 4096) throw bad();
  const parts = format.split(' ');
  const fields: string[] = [];
  for (const p of parts) {
    const m = /^\$\{([a-z0-9-]+)\}$/.exec(p);
    if (!m) throw bad();
    if (!Object.hasOwn(FLOW_LOG_FIELDS, m[1]!)) throw invalidParameter(`Unknown fields provided: '${m[1]}'. ${bad().message}`);
    fields.push(m[1]!);
  }
  return fields;
}

/** The record version of a format: the highest version among its fields. */
export function formatVersion(fields: readonly string[]): number {
  return fields.reduce((v, f) => Math.max(v, FLOW_LOG_FIELDS[f] ?? 2), 2);
}

const RESOURCE_KINDS: Record<string, string> = { VPC: 'vpc', Subnet: 'subnet', NetworkInterface: 'network-interface' };

/**
 * A key that changes whenever the flow logs in force may have changed (a flow log, or a VPC,
 * subnet or interface one could be on): for caches of activeFlowLogs' answers.
 */
export function flowLogsVersion(store: { kindVersion(kind: string): number; generation: number }): string {
  return `${store.generation}/${store.kindVersion(FLOW_LOG)}/${Object.values(RESOURCE_KINDS)
    .map((k) => store.kindVersion(k))
    .join('/')}`;
}

function resourceExists(ctx: RequestContext, r: Readonly<FlowLogRecord>): boolean {
  const kind = RESOURCE_KINDS[r._resourceType];
  return kind !== undefined && ctx.state.get(kind, r.ResourceId) !== undefined;
}

function flowLogView(r: Readonly<FlowLogRecord>): FlowLog {
  const { _resourceType: _t, _fields: _f, _bucket: _b, _prefix: _p, ...rest } = r;
  return rest;
}

/** Where a flow log delivers: its normalised destination, for comparison and for the record. */
interface Destination {
  type: 'cloud-watch-logs' | 's3' | 'kinesis-data-firehose';
  arn: string;
  logGroupName?: string;
  bucket?: string;
  prefix?: string;
}

function destinationOf(ctx: RequestContext, input: CreateFlowLogsRequest): Destination {
  const type = input.LogDestinationType ?? 'cloud-watch-logs';
  if (type !== 'cloud-watch-logs' && type !== 's3' && type !== 'kinesis-data-firehose') {
    throw new ApiError('InvalidParameterValue', `Value (${type}) for parameter LogDestinationType is invalid. Valid values: cloud-watch-logs, s3, kinesis-data-firehose.`);
  }
  if (type === 'cloud-watch-logs') {
    if (input.LogGroupName !== undefined && input.LogDestination !== undefined) {
      throw invalidParameter('Please only provide LogGroupName or only provide LogDestination.');
    }
    if (input.LogGroupName === undefined && input.LogDestination === undefined) {
      throw invalidParameter("LogDestination can't be empty if LogGroupName is not provided.");
    }
    if (!input.DeliverLogsPermissionArn) {
      throw invalidParameter("DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.");
    }
    let name = input.LogGroupName;
    if (input.LogDestination !== undefined) {
      const m = /^arn:aws[\w-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([.\-_/#A-Za-z0-9]+)(:\*)?$/.exec(input.LogDestination);
      if (!m) throw invalidParameter(`LogDestination: ${input.LogDestination} is not a valid CloudWatch Logs log group ARN.`);
      if (m[1] !== ctx.region) throw invalidParameter('LogDestination must be in the same region as the API caller.');
      if (m[2] !== ctx.account) throw invalidParameter('LogDestination must be in the same account as the API caller.');
      name = m[3]!;
    }
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name!)) {
      throw new ApiError('InvalidParameterValue', `Value (${name}) for parameter LogGroupName is invalid.`);
    }
    return { type, arn: `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}`, logGroupName: name };
  }
  if (input.LogGroupName !== undefined) throw invalidParameter(`LogDestination type must be cloud-watch-logs if LogGroupName is provided.`);
  if (input.LogDestination === undefined) throw invalidParameter("LogDestination can't be empty if LogGroupName is not provided.");
  if (type === 's3') {
    const m = /^arn:aws[\w-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(input.LogDestination);
    if (!m) throw invalidParameter(`LogDestination: ${input.LogDestination} is not a valid S3 ARN.`);
    const prefix = (m[2] ?? '').replace(/\/+$/, '');
    if (prefix === 'AWSLogs' || prefix.startsWith('AWSLogs/')) {
      throw invalidParameter('LogDestination: the folder name AWSLogs is reserved for the flow log service.');
    }
    return { type, arn: input.LogDestination, bucket: m[1]!, prefix: prefix || undefined };
  }
  if (!/^arn:aws[\w-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream\/.+$/.test(input.LogDestination)) {
    throw invalidParameter(`LogDestination: ${input.LogDestination} is not a valid Kinesis Data Firehose delivery stream ARN.`);
  }
  return { type, arn: input.LogDestination };
}

function createFlowLogs(ctx: RequestContext, input: CreateFlowLogsRequest): CreateFlowLogsResult {
  const resourceType = input.ResourceType as string;
  if (resourceType === 'TransitGateway' || resourceType === 'TransitGatewayAttachment') {
    throw new ApiError('UnsupportedOperation', `vpcsim does not model transit gateways: flow logs of ResourceType ${resourceType} are not supported.`);
  }
  const kindName = RESOURCE_KINDS[resourceType];
  if (!kindName) {
    throw new ApiError('InvalidParameterValue', `Value (${resourceType}) for parameter ResourceType is invalid. Valid values: VPC, Subnet, NetworkInterface, TransitGateway, TransitGatewayAttachment.`);
  }
  const ids = input.ResourceIds ?? [];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ResourceId');
  if (input.TrafficType === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter TrafficType');
  if (!['ACCEPT', 'REJECT', 'ALL'].includes(input.TrafficType)) {
    throw new ApiError('InvalidParameterValue', `Value (${input.TrafficType}) for parameter TrafficType is invalid. Valid values: ACCEPT, REJECT, ALL.`);
  }
  const interval = input.MaxAggregationInterval ?? 600;
  if (interval !== 60 && interval !== 600) throw invalidParameter('Invalid Flow Log Max Aggregation Interval');
  const dest = destinationOf(ctx, input);
  let destinationOptions: FlowLog['DestinationOptions'];
  if (input.DestinationOptions) {
    if (dest.type !== 's3') throw invalidParameter('DestinationOptions is only supported for LogDestinationType s3.');
    const fmt = input.DestinationOptions.FileFormat ?? 'plain-text';
    if (fmt !== 'plain-text' && fmt !== 'parquet') {
      throw new ApiError('InvalidParameterValue', `Value (${fmt}) for parameter FileFormat is invalid. Valid values: plain-text, parquet.`);
    }
    destinationOptions = {
      FileFormat: fmt,
      HiveCompatiblePartitions: input.DestinationOptions.HiveCompatiblePartitions ?? false,
      PerHourPartition: input.DestinationOptions.PerHourPartition ?? false,
    };
  } else if (dest.type === 's3') {
    destinationOptions = { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false };
  }
  const logFormat = input.LogFormat ?? DEFAULT_LOG_FORMAT;
  const fields = parseLogFormat(logFormat);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'vpc-flow-log');

  // Every resource must exist (checked before anything is created).
  const kind = kindOf(kindName);
  const unique = [...new Set(ids)];
  for (const id of unique) checkIdShape(kind, id);
  const missing = unique.filter((id) => !ctx.state.get(kindName, id));
  if (missing.length) {
    const code = kind.notFoundCode ?? `${kind.code}.NotFound`;
    throw new ApiError(code, missing.length === 1 ? `The ${kind.noun} '${missing[0]}' does not exist` : `The ${kind.noun}s '${missing.join(', ')}' do not exist`);
  }

  const flowLogIds: string[] = [];
  const unsuccessful: UnsuccessfulItem[] = [];
  const bucketMissing = dest.type === 's3' && !bucketInfo(ctx.state, dest.bucket!);
  for (const id of unique) {
    if (bucketMissing) {
      unsuccessful.push({ ResourceId: id, Error: { Code: '400', Message: `LogDestination: ${dest.bucket} does not exist.` } });
      continue;
    }
    const existing = ctx.state
      .listBy<FlowLogRecord>(FLOW_LOG, 'ResourceId', id)
      .some((f) => resourceExists(ctx, f) && f.LogDestinationType === dest.type && f.LogDestination === dest.arn);
    if (existing) {
      unsuccessful.push({ ResourceId: id, Error: { Code: 'FlowLogAlreadyExists', Message: 'Error. There is an existing Flow Log with the same configuration and log destination.' } });
      continue;
    }
    const flowLogId = newId('fl');
    const rec: FlowLogRecord = {
      CreationTime: ctx.now.toISOString() as unknown as Date,
      DeliverLogsStatus: 'SUCCESS',
      FlowLogId: flowLogId,
      FlowLogStatus: 'ACTIVE',
      ResourceId: id,
      TrafficType: input.TrafficType as FlowLog['TrafficType'],
      LogDestinationType: dest.type,
      LogDestination: dest.arn,
      LogFormat: logFormat,
      MaxAggregationInterval: interval,
      _resourceType: resourceType,
      _fields: fields,
    };
    if (dest.logGroupName) rec.LogGroupName = dest.logGroupName;
    if (dest.type === 'cloud-watch-logs') rec.DeliverLogsPermissionArn = input.DeliverLogsPermissionArn;
    if (input.DeliverCrossAccountRole) rec.DeliverCrossAccountRole = input.DeliverCrossAccountRole;
    if (destinationOptions) rec.DestinationOptions = destinationOptions;
    if (dest.bucket) rec._bucket = dest.bucket;
    if (dest.prefix) rec._prefix = dest.prefix;
    if (tags) rec.Tags = tags;
    ctx.state.put(FLOW_LOG, flowLogId, rec);
    flowLogIds.push(flowLogId);
  }
  return { ClientToken: input.ClientToken, FlowLogIds: flowLogIds, Unsuccessful: unsuccessful };
}

const FILTERS = {
  'deliver-log-status': (f: FlowLogRecord) => f.DeliverLogsStatus,
  'log-destination-type': (f: FlowLogRecord) => f.LogDestinationType,
  'flow-log-id': (f: FlowLogRecord) => f.FlowLogId,
  'log-group-name': (f: FlowLogRecord) => f.LogGroupName,
  'resource-id': (f: FlowLogRecord) => f.ResourceId,
  'traffic-type': (f: FlowLogRecord) => f.TrafficType,
};

/** The flow logs in force: those whose resource still exists. */
function liveFlowLogs(ctx: RequestContext): Readonly<FlowLogRecord>[] {
  return ctx.state.list<FlowLogRecord>(FLOW_LOG).filter((f) => resourceExists(ctx, f));
}

function describeFlowLogs(ctx: RequestContext, input: DescribeFlowLogsRequest): DescribeFlowLogsResult {
  let records = liveFlowLogs(ctx);
  if (input.FlowLogIds && input.FlowLogIds.length) {
    const wanted = new Set(input.FlowLogIds);
    records = records.filter((f) => wanted.has(f.FlowLogId));
  }
  const selected = applyFilters(records as FlowLogRecord[], input.Filter, FILTERS);
  const page = paginate(selected, input, { min: 1, max: 1000 });
  return { FlowLogs: page.items.map(flowLogView), NextToken: page.nextToken };
}

function deleteFlowLogs(ctx: RequestContext, input: DeleteFlowLogsRequest): DeleteFlowLogsResult {
  const ids = input.FlowLogIds ?? [];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter FlowLogId');
  if (ids.length > 1000) throw new ApiError('InvalidParameterValue', 'You can delete at most 1000 flow logs in one request.');
  const unsuccessful: UnsuccessfulItem[] = [];
  const missing: string[] = [];
  for (const id of [...new Set(ids)]) {
    const r = ctx.state.get<FlowLogRecord>(FLOW_LOG, id);
    if (!r || !resourceExists(ctx, r)) {
      missing.push(id);
      continue;
    }
    ctx.state.delete(FLOW_LOG, id);
  }
  for (const id of missing) {
    unsuccessful.push({
      ResourceId: id,
      Error: { Code: 'InvalidFlowLogId.NotFound', Message: `These flow log ids in the input list are not found: [TotalCount: ${missing.length}] ${missing.join(' ')}` },
    });
  }
  return { Unsuccessful: unsuccessful };
}

/** A flow log as the record producer needs it. */
export interface ActiveFlowLog {
  flowLogId: string;
  resourceType: string;
  resourceId: string;
  trafficType: 'ACCEPT' | 'REJECT' | 'ALL';
  maxAggregationInterval: number;
  fields: string[];
  version: number;
  destinationType: string;
  logGroupName?: string;
  bucket?: string;
  prefix?: string;
  fileFormat?: string;
  hiveCompatiblePartitions?: boolean;
  perHourPartition?: boolean;
  /** When the flow log was created (epoch ms): it captures traffic from then on. */
  creationTimeMs?: number;
}

/**
 * The flow logs that capture an interface's traffic: those on the interface itself, its subnet
 * and its VPC.
 */
export function activeFlowLogs(ctx: RequestContext, eni: { NetworkInterfaceId?: string; SubnetId?: string; VpcId?: string }): ActiveFlowLog[] {
  const out: ActiveFlowLog[] = [];
  for (const resourceId of [eni.NetworkInterfaceId, eni.SubnetId, eni.VpcId]) {
    if (!resourceId) continue;
    for (const f of ctx.state.listBy<FlowLogRecord>(FLOW_LOG, 'ResourceId', resourceId)) {
      if (!resourceExists(ctx, f)) continue;
      out.push({
        flowLogId: f.FlowLogId,
        resourceType: f._resourceType,
        resourceId: f.ResourceId,
        trafficType: f.TrafficType as ActiveFlowLog['trafficType'],
        maxAggregationInterval: f.MaxAggregationInterval ?? 600,
        fields: [...f._fields],
        version: formatVersion(f._fields),
        destinationType: f.LogDestinationType ?? 'cloud-watch-logs',
        logGroupName: f.LogGroupName,
        bucket: f._bucket,
        prefix: f._prefix,
        fileFormat: f.DestinationOptions?.FileFormat,
        hiveCompatiblePartitions: f.DestinationOptions?.HiveCompatiblePartitions,
        perHourPartition: f.DestinationOptions?.PerHourPartition,
      });
    }
  }
  return out;
}

/**
 * The same as `activeFlowLogs`, for producers that open their own transaction outside a
 * request (a ScopedState of the interface's account and region), with each flow log's
 * creation time.
 */
export function activeFlowLogsIn(state: ScopedState, eni: { NetworkInterfaceId?: string; SubnetId?: string; VpcId?: string }): ActiveFlowLog[] {
  const out = activeFlowLogs({ state } as RequestContext, eni);
  for (const f of out) {
    const r = state.get<FlowLogRecord>(FLOW_LOG, f.flowLogId);
    if (r?.CreationTime) f.creationTimeMs = Date.parse(r.CreationTime as unknown as string);
  }
  return out;
}

/** For producers: whether a flow log exists and is in force (its VPC, subnet or interface still exists). */
export function flowLogInForce(state: ScopedState, flowLogId: string): boolean {
  const r = state.get<FlowLogRecord>(FLOW_LOG, flowLogId);
  return r !== undefined && resourceExists({ state } as RequestContext, r);
}

/**
 * For producers: records the outcome of a delivery on the flow log, as DescribeFlowLogs shows
 * it (DeliverLogsStatus SUCCESS, or FAILED with DeliverLogsErrorMessage). Returns false when
 * the flow log is gone.
 */
export function setDeliverLogsStatus(state: ScopedState, flowLogId: string, error?: string): boolean {
  const current = state.get<FlowLogRecord>(FLOW_LOG, flowLogId);
  if (!current) return false;
  const status = error === undefined ? 'SUCCESS' : 'FAILED';
  if (current.DeliverLogsStatus === status && current.DeliverLogsErrorMessage === error) return true;
  const r = state.edit<FlowLogRecord>(FLOW_LOG, flowLogId)!;
  r.DeliverLogsStatus = status;
  if (error === undefined) delete r.DeliverLogsErrorMessage;
  else r.DeliverLogsErrorMessage = error;
  return true;
}

export const handlers: Record<string, Handler> = {
  CreateFlowLogs: createFlowLogs,
  DescribeFlowLogs: describeFlowLogs,
  DeleteFlowLogs: deleteFlowLogs,
};
