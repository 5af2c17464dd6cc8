/**
 * Flow log configuration: CreateFlowLogs / DescribeFlowLogs / DeleteFlowLogs through
 * @aws-sdk/client-ec2 and the AWS CLI, for each resource type and destination.
 */
import {
  CreateFlowLogsCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteFlowLogsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeFlowLogsCommand,
  DescribeTagsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { activeFlowLogs, DEFAULT_LOG_FORMAT, FLOW_LOG_FIELDS, formatVersion, parseLogFormat } from '../src/services/ec2/flow-logs.js';
import type { RequestContext } from '../src/services/context.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { awsCli } from './cli.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

const ROLE = 'arn:aws:iam::000000000000:role/flow-logs';

describe('flow log configuration', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let s3: S3Client;
  const cli = awsCli(() => srv.endpoint);
  let vpcId: string;
  let subnetId: string;
  let eniId: string;

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
    s3 = new S3Client({ endpoint: srv.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.1.0/24' }))).Subnet!.SubnetId!;
    eniId = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!.NetworkInterfaceId!;
  });

  const create = (input: object) => ec2.send(new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [vpcId], TrafficType: 'ALL', ...input } as never));
  const describeAll = async (input: object = {}) => (await ec2.send(new DescribeFlowLogsCommand(input))).FlowLogs!;

  it('creates a flow log to CloudWatch Logs with AWS defaults, and describes it', async () => {
    const r = await create({ LogGroupName: '/vpc/flow', DeliverLogsPermissionArn: ROLE, TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'Name', Value: 'main' }] }] });
    assert.equal(r.FlowLogIds!.length, 1);
    assert.match(r.FlowLogIds![0]!, /^fl-[0-9a-f]{17}$/);
    assert.deepEqual(r.Unsuccessful, []);
    const [fl] = await describeAll();
    assert.equal(fl!.FlowLogId, r.FlowLogIds![0]);
    assert.equal(fl!.ResourceId, vpcId);
    assert.equal(fl!.TrafficType, 'ALL');
    assert.equal(fl!.LogDestinationType, 'cloud-watch-logs');
    assert.equal(fl!.LogGroupName, '/vpc/flow');
    assert.equal(fl!.LogDestination, 'arn:aws:logs:us-east-1:000000000000:log-group:/vpc/flow');
    assert.equal(fl!.DeliverLogsPermissionArn, ROLE);
    assert.equal(fl!.DeliverLogsStatus, 'SUCCESS');
    assert.equal(fl!.FlowLogStatus, 'ACTIVE');
    assert.equal(fl!.MaxAggregationInterval, 600);
    assert.equal(fl!.LogFormat, DEFAULT_LOG_FORMAT);
    assert.equal(fl!.DestinationOptions, undefined);
    assert.deepEqual(fl!.Tags, [{ Key: 'Name', Value: 'main' }]);
    assert.ok(Math.abs(fl!.CreationTime!.getTime() - Date.now()) < 60_000);
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [fl!.FlowLogId!] }] }));
    assert.deepEqual(tags.Tags!.map((t) => t.ResourceType), ['vpc-flow-log']);

    // The group named by ARN instead of by name.
    await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'Subnet', ResourceIds: [subnetId], TrafficType: 'REJECT', LogDestination: 'arn:aws:logs:us-east-1:000000000000:log-group:/vpc/by-arn', DeliverLogsPermissionArn: ROLE, MaxAggregationInterval: 60 }));
    const bySubnet = await describeAll({ Filter: [{ Name: 'resource-id', Values: [subnetId] }] });
    assert.equal(bySubnet[0]!.LogGroupName, '/vpc/by-arn');
    assert.equal(bySubnet[0]!.MaxAggregationInterval, 60);
    assert.equal(bySubnet[0]!.TrafficType, 'REJECT');
  });

  it('validates the CloudWatch Logs destination, interval, traffic type and resources', async () => {
    const bad = async (input: object, code: string, message?: RegExp) => {
      const e = await apiError(() => create(input));
      assert.equal(e.code, code, JSON.stringify(input));
      if (message) assert.match(e.message, message);
    };
    await bad({ LogGroupName: 'g' }, 'InvalidParameter', /DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs/);
    await bad({ DeliverLogsPermissionArn: ROLE }, 'InvalidParameter', /LogDestination can't be empty if LogGroupName is not provided/);
    await bad({ LogGroupName: 'g', LogDestination: 'arn:aws:logs:us-east-1:000000000000:log-group:g', DeliverLogsPermissionArn: ROLE }, 'InvalidParameter');
    await bad({ LogDestination: 'arn:aws:logs:eu-west-1:000000000000:log-group:g', DeliverLogsPermissionArn: ROLE }, 'InvalidParameter', /same region/);
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, MaxAggregationInterval: 300 }, 'InvalidParameter', /Invalid Flow Log Max Aggregation Interval/);
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, TrafficType: undefined }, 'MissingParameter');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, TrafficType: 'SOME' }, 'InvalidParameterValue');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, ResourceIds: ['vpc-0123456789abcdef0'] }, 'InvalidVpcID.NotFound');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, ResourceIds: ['nope'] }, 'InvalidVpcID.Malformed');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, ResourceType: 'Subnet', ResourceIds: ['subnet-0123456789abcdef0'] }, 'InvalidSubnetID.NotFound');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, ResourceType: 'NetworkInterface', ResourceIds: ['eni-0123456789abcdef0'] }, 'InvalidNetworkInterfaceID.NotFound');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, ResourceType: 'TransitGateway', ResourceIds: ['tgw-0123456789abcdef0'] }, 'UnsupportedOperation');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, DestinationOptions: { FileFormat: 'parquet' } }, 'InvalidParameter');
    await bad({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] }, 'InvalidParameterValue');
    // Nothing was created by the refused calls.
    assert.deepEqual(await describeAll(), []);
  });

  it('custom formats: every documented field, versions, and invalid formats', async () => {
    const all = Object.keys(FLOW_LOG_FIELDS).map((f) => `\${${f}}`).join(' ');
    const r = await create({ LogGroupName: 'g', DeliverLogsPermissionArn: ROLE, LogFormat: all });
    assert.equal(r.FlowLogIds!.length, 1);
    assert.equal((await describeAll())[0]!.LogFormat, all);
    assert.equal(formatVersion(parseLogFormat('${srcaddr} ${dstaddr}')), 2);
    assert.equal(formatVersion(parseLogFormat('${srcaddr} ${pkt-srcaddr}')), 3);
    assert.equal(formatVersion(parseLogFormat('${az-id} ${vpc-id}')), 4);
    assert.equal(formatVersion(parseLogFormat('${flow-direction} ${traffic-path}')), 5);
    assert.equal(formatVersion(parseLogFormat('${ecs-task-id}')), 7);
    assert.equal(formatVersion(parseLogFormat('${reject-reason} ${version}')), 8);
    for (const format of ['${srcaddr} ${nosuchfield}', '${srcaddr}  ${dstaddr}', '${srcaddr} ', 'srcaddr dstaddr', '${srcaddr},${dstaddr}', '']) {
      const e = await apiError(() => create({ LogGroupName: 'g2', DeliverLogsPermissionArn: ROLE, LogFormat: format }));
      assert.equal(e.code, 'InvalidParameter', format);
      assert.match(e.message, /at 'logFormat' has an invalid format/);
    }
  });

  it('S3 destinations: bucket ARN with prefix, destination options, an Unsuccessful item for a missing bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'flow-bucket' }));
    const r = await create({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket/vpc-a/', DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true } });
    assert.equal(r.FlowLogIds!.length, 1);
    const [fl] = await describeAll();
    assert.equal(fl!.LogDestinationType, 's3');
    assert.equal(fl!.LogDestination, 'arn:aws:s3:::flow-bucket/vpc-a/');
    assert.equal(fl!.LogGroupName, undefined);
    assert.deepEqual(fl!.DestinationOptions, { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true });
    // Defaults for S3.
    await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'NetworkInterface', ResourceIds: [eniId], TrafficType: 'ACCEPT', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' }));
    const eniLog = (await describeAll({ Filter: [{ Name: 'resource-id', Values: [eniId] }] }))[0]!;
    assert.deepEqual(eniLog.DestinationOptions, { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false });

    const missing = await create({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::no-such-bucket' });
    assert.deepEqual(missing.FlowLogIds, []);
    assert.deepEqual(missing.Unsuccessful, [{ ResourceId: vpcId, Error: { Code: '400', Message: 'LogDestination: no-such-bucket does not exist.' } }]);
    assert.equal(await errorCode(() => create({ LogDestinationType: 's3', LogDestination: 'flow-bucket' })), 'InvalidParameter');
    assert.equal(await errorCode(() => create({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket/AWSLogs' })), 'InvalidParameter');
    assert.equal(await errorCode(() => create({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket', LogGroupName: 'g' })), 'InvalidParameter');

    // The producer's view of an interface: its own flow log, its subnet's and its VPC's.
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    const ctx = { state, account: '000000000000', region: 'us-east-1' } as unknown as RequestContext;
    const active = activeFlowLogs(ctx, { NetworkInterfaceId: eniId, SubnetId: subnetId, VpcId: vpcId });
    state.tx.rollback();
    assert.deepEqual(
      active.map((a) => [a.resourceType, a.trafficType, a.bucket, a.prefix, a.fileFormat, a.perHourPartition, a.version]),
      [
        ['NetworkInterface', 'ACCEPT', 'flow-bucket', undefined, 'plain-text', false, 2],
        ['VPC', 'ALL', 'flow-bucket', 'vpc-a', 'parquet', true, 2],
      ],
    );
  });

  it('FlowLogAlreadyExists for the same resource and destination, as an Unsuccessful item', async () => {
    const first = await create({ LogGroupName: 'dup', DeliverLogsPermissionArn: ROLE });
    const second = await create({ LogGroupName: 'dup', DeliverLogsPermissionArn: ROLE, ResourceIds: [vpcId] });
    assert.deepEqual(second.FlowLogIds, []);
    assert.deepEqual(second.Unsuccessful, [
      { ResourceId: vpcId, Error: { Code: 'FlowLogAlreadyExists', Message: 'Error. There is an existing Flow Log with the same configuration and log destination.' } },
    ]);
    // Another destination on the same resource is fine, and so is the same destination on another resource.
    assert.equal((await create({ LogGroupName: 'other', DeliverLogsPermissionArn: ROLE })).FlowLogIds!.length, 1);
    assert.equal((await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'Subnet', ResourceIds: [subnetId], TrafficType: 'ALL', LogGroupName: 'dup', DeliverLogsPermissionArn: ROLE }))).FlowLogIds!.length, 1);
    assert.equal((await describeAll()).length, 3);
    assert.ok(first.FlowLogIds![0]);
  });

  it('describes with every filter and pagination; deletes with Unsuccessful items; goes with its resource', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'fl-bucket' }));
    const a = (await create({ LogGroupName: 'ga', DeliverLogsPermissionArn: ROLE, TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'team', Value: 'net' }] }] })).FlowLogIds![0]!;
    const b = (await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'Subnet', ResourceIds: [subnetId], TrafficType: 'REJECT', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::fl-bucket' }))).FlowLogIds![0]!;
    const c = (await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'NetworkInterface', ResourceIds: [eniId], TrafficType: 'ACCEPT', LogGroupName: 'gc', DeliverLogsPermissionArn: ROLE }))).FlowLogIds![0]!;
    const ids = async (Filter: Array<{ Name: string; Values: string[] }>) => (await describeAll({ Filter })).map((f) => f.FlowLogId).sort();
    assert.deepEqual(await ids([{ Name: 'log-destination-type', Values: ['s3'] }]), [b]);
    assert.deepEqual(await ids([{ Name: 'log-group-name', Values: ['g*'] }]), [a, c].sort());
    assert.deepEqual(await ids([{ Name: 'traffic-type', Values: ['ACCEPT', 'REJECT'] }]), [b, c].sort());
    assert.deepEqual(await ids([{ Name: 'flow-log-id', Values: [a] }]), [a]);
    assert.deepEqual(await ids([{ Name: 'resource-id', Values: [eniId] }]), [c]);
    assert.deepEqual(await ids([{ Name: 'deliver-log-status', Values: ['SUCCESS'] }]), [a, b, c].sort());
    assert.deepEqual(await ids([{ Name: 'tag:team', Values: ['net'] }]), [a]);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['team'] }]), [a]);
    assert.equal(await errorCode(() => describeAll({ Filter: [{ Name: 'bogus', Values: ['x'] }] })), 'InvalidParameterValue');
    assert.deepEqual((await describeAll({ FlowLogIds: [b] })).map((f) => f.FlowLogId), [b]);
    const p1 = await ec2.send(new DescribeFlowLogsCommand({ MaxResults: 2 }));
    const p2 = await ec2.send(new DescribeFlowLogsCommand({ MaxResults: 2, NextToken: p1.NextToken }));
    assert.deepEqual([...p1.FlowLogs!, ...p2.FlowLogs!].map((f) => f.FlowLogId).sort(), [a, b, c].sort());

    const del = await ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: [a, 'fl-0123456789abcdef0'] }));
    assert.deepEqual(del.Unsuccessful, [
      { ResourceId: 'fl-0123456789abcdef0', Error: { Code: 'InvalidFlowLogId.NotFound', Message: 'These flow log ids in the input list are not found: [TotalCount: 1] fl-0123456789abcdef0' } },
    ]);
    assert.deepEqual((await describeAll()).map((f) => f.FlowLogId).sort(), [b, c].sort());

    // Deleting the interface takes its flow log with it.
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    assert.deepEqual((await describeAll()).map((f) => f.FlowLogId), [b]);
  });

  it('works from the AWS CLI', async () => {
    await cli.ok(['logs', 'create-log-group', '--log-group-name', 'cli-flow']);
    const created = await cli.ok([
      'ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', vpcId, '--traffic-type', 'REJECT',
      '--log-group-name', 'cli-flow', '--deliver-logs-permission-arn', ROLE, '--max-aggregation-interval', '60',
      '--log-format', '${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action} ${flow-direction}',
    ]);
    assert.equal(created.FlowLogIds.length, 1);
    assert.deepEqual(created.Unsuccessful, []);
    const s3made = await cli.aws(['s3', 'mb', 's3://cli-flow-bucket']);
    assert.equal(s3made.code, 0, s3made.stderr);
    const toS3 = await cli.ok([
      'ec2', 'create-flow-logs', '--resource-type', 'Subnet', '--resource-ids', subnetId, '--traffic-type', 'ALL',
      '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::cli-flow-bucket/prefix',
      '--destination-options', 'FileFormat=plain-text,HiveCompatiblePartitions=true,PerHourPartition=false',
    ]);
    assert.equal(toS3.FlowLogIds.length, 1);
    const described = await cli.ok(['ec2', 'describe-flow-logs', '--filter', 'Name=log-destination-type,Values=cloud-watch-logs']);
    assert.equal(described.FlowLogs.length, 1);
    assert.equal(described.FlowLogs[0].LogFormat, '${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action} ${flow-direction}');
    assert.equal(described.FlowLogs[0].MaxAggregationInterval, 60);
    await cli.fails(['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', 'vpc-0123456789abcdef0', '--traffic-type', 'ALL', '--log-group-name', 'x', '--deliver-logs-permission-arn', ROLE], 'InvalidVpcID.NotFound');
    const deleted = await cli.ok(['ec2', 'delete-flow-logs', '--flow-log-ids', created.FlowLogIds[0], toS3.FlowLogIds[0]]);
    assert.deepEqual(deleted.Unsuccessful, []);
    assert.deepEqual((await cli.ok(['ec2', 'describe-flow-logs'])).FlowLogs, []);
  });
});
