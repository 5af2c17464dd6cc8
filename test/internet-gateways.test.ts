import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachInternetGatewayCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateVpcCommand,
  DeleteEgressOnlyInternetGatewayCommand,
  DeleteInternetGatewayCommand,
  DeleteVpcCommand,
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeInternetGatewaysCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

async function newVpc(ec2: EC2Client, cidr: string): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  return Vpc!.VpcId!;
}

async function newIgw(ec2: EC2Client, name?: string): Promise<string> {
  const { InternetGateway } = await ec2.send(
    new CreateInternetGatewayCommand({
      TagSpecifications: name ? [{ ResourceType: 'internet-gateway', Tags: [{ Key: 'Name', Value: name }] }] : undefined,
    }),
  );
  return InternetGateway!.InternetGatewayId!;
}

describe('internet gateways', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('shows the default VPC gateway, attached and available', async () => {
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    const vpcId = Vpcs![0]!.VpcId!;
    const { InternetGateways } = await ec2.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }),
    );
    assert.equal(InternetGateways!.length, 1);
    const igw = InternetGateways![0]!;
    assert.match(igw.InternetGatewayId!, /^igw-[0-9a-f]{17}$/);
    assert.deepEqual(igw.Attachments, [{ State: 'available', VpcId: vpcId }]);
    assert.equal(igw.OwnerId, '000000000000');
  });

  it('creates a detached gateway with tags, attaches, detaches and deletes it', async () => {
    const { InternetGateway } = await ec2.send(
      new CreateInternetGatewayCommand({
        TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: [{ Key: 'Name', Value: 'gw1' }] }],
      }),
    );
    const id = InternetGateway!.InternetGatewayId!;
    assert.match(id, /^igw-[0-9a-f]{17}$/);
    assert.deepEqual(InternetGateway!.Attachments, []);
    assert.deepEqual(InternetGateway!.Tags, [{ Key: 'Name', Value: 'gw1' }]);
    assert.equal(InternetGateway!.OwnerId, '000000000000');

    const vpcId = await newVpc(ec2, '10.10.0.0/16');
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId }));
    let { InternetGateways } = await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }));
    assert.deepEqual(InternetGateways![0]!.Attachments, [{ State: 'available', VpcId: vpcId }]);

    // The VPC cannot go while the gateway is attached, nor the gateway.
    assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: vpcId }))), 'DependencyViolation');
    const del = await apiError(() => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })));
    assert.equal(del.code, 'DependencyViolation');
    assert.equal(del.message, `The internetGateway '${id}' has dependencies and cannot be deleted.`);

    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId }));
    ({ InternetGateways } = await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] })));
    assert.deepEqual(InternetGateways![0]!.Attachments, []);

    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id }));
    const gone = await apiError(() => ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] })));
    assert.equal(gone.code, 'InvalidInternetGatewayID.NotFound');
    assert.equal(gone.message, `The internetGateway ID '${id}' does not exist`);
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
  });

  it('refuses a second attachment of the gateway, and a second gateway on a VPC', async () => {
    const a = await newVpc(ec2, '10.11.0.0/16');
    const b = await newVpc(ec2, '10.12.0.0/16');
    const g1 = await newIgw(ec2);
    const g2 = await newIgw(ec2);
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: g1, VpcId: a }));

    const again = await apiError(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: g1, VpcId: a })));
    assert.equal(again.code, 'Resource.AlreadyAssociated');
    assert.equal(again.message, `resource ${g1} is already attached to network ${a}`);
    const elsewhere = await apiError(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: g1, VpcId: b })));
    assert.equal(elsewhere.code, 'Resource.AlreadyAssociated');
    assert.equal(elsewhere.message, `resource ${g1} is already attached to network ${a}`);

    const second = await apiError(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: g2, VpcId: a })));
    assert.equal(second.code, 'InvalidParameterValue');
    assert.equal(second.message, `Network ${a} already has an internet gateway attached`);

    const notAttached = await apiError(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: g1, VpcId: b })));
    assert.equal(notAttached.code, 'Gateway.NotAttached');
    assert.equal(notAttached.message, `resource ${g1} is not attached to network ${b}`);
    const never = await apiError(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: g2, VpcId: a })));
    assert.equal(never.code, 'Gateway.NotAttached');

    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: g1, VpcId: a }));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: g2, VpcId: a }));
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: g2, VpcId: a }));
    for (const g of [g1, g2]) await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g }));
    for (const v of [a, b]) await ec2.send(new DeleteVpcCommand({ VpcId: v }));
  });

  it('answers unknown and malformed IDs with the AWS errors', async () => {
    const vpc = await newVpc(ec2, '10.13.0.0/16');
    const igw = await newIgw(ec2);
    const unknownIgw = 'igw-0123456789abcdef0';
    const unknownVpc = 'vpc-0123456789abcdef0';
    assert.equal(
      await errorCode(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: unknownIgw, VpcId: vpc }))),
      'InvalidInternetGatewayID.NotFound',
    );
    const noVpc = await apiError(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: unknownVpc })));
    assert.equal(noVpc.code, 'InvalidVpcID.NotFound');
    assert.equal(noVpc.message, `The vpc ID '${unknownVpc}' does not exist`);
    assert.equal(
      await errorCode(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: unknownIgw, VpcId: vpc }))),
      'InvalidInternetGatewayID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: unknownVpc }))),
      'InvalidVpcID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: unknownIgw }))),
      'InvalidInternetGatewayID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: 'igw-nothex' }))),
      'InvalidInternetGatewayID.Malformed',
    );
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
  });

  it('filters and paginates DescribeInternetGateways', async () => {
    const vpc = await newVpc(ec2, '10.14.0.0/16');
    const tagged = await newIgw(ec2, 'blue');
    const other = await newIgw(ec2, 'green');
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: tagged, VpcId: vpc }));
    const ids = async (Filters: Array<{ Name: string; Values: string[] }>) =>
      (await ec2.send(new DescribeInternetGatewaysCommand({ Filters }))).InternetGateways!.map((g) => g.InternetGatewayId).sort();

    assert.deepEqual(await ids([{ Name: 'attachment.vpc-id', Values: [vpc] }]), [tagged]);
    assert.deepEqual(await ids([{ Name: 'internet-gateway-id', Values: [other] }]), [other]);
    assert.deepEqual(await ids([{ Name: 'tag:Name', Values: ['bl*'] }]), [tagged]);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['Name'] }]), [tagged, other].sort());
    assert.deepEqual(await ids([{ Name: 'tag-value', Values: ['green'] }]), [other]);
    const available = await ids([{ Name: 'attachment.state', Values: ['available'] }]);
    assert.equal(available.length, 2, 'the default VPC gateway and the attached one');
    assert.ok(available.includes(tagged));
    assert.equal((await ids([{ Name: 'owner-id', Values: ['000000000000'] }])).length, 3);
    assert.deepEqual(await ids([{ Name: 'owner-id', Values: ['111111111111'] }]), []);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] }))),
      'InvalidParameterValue',
    );

    const first = await ec2.send(new DescribeInternetGatewaysCommand({ MaxResults: 5 }));
    assert.equal(first.InternetGateways!.length, 3);
    assert.equal(first.NextToken, undefined);
    const extra = [await newIgw(ec2), await newIgw(ec2)];
    const p1 = await ec2.send(new DescribeInternetGatewaysCommand({ MaxResults: 5 }));
    assert.equal(p1.InternetGateways!.length, 5);
    assert.equal(p1.NextToken, undefined);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeInternetGatewaysCommand({ MaxResults: 4 }))),
      'InvalidParameterValue',
    );

    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: tagged, VpcId: vpc }));
    for (const g of [tagged, other, ...extra]) await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
  });

  it('rejects a tag specification for another resource type', async () => {
    const e = await apiError(() =>
      ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] })),
    );
    assert.equal(e.code, 'InvalidParameterValue');
  });
});

describe('internet gateway quota and pagination', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, internetGatewaysPerRegion: 7 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('counts the default VPC gateway and refuses beyond the quota', async () => {
    const made: string[] = [];
    for (let i = 0; i < 6; i++) made.push(await newIgw(ec2));
    const e = await apiError(() => ec2.send(new CreateInternetGatewayCommand({})));
    assert.equal(e.code, 'InternetGatewayLimitExceeded');
    assert.equal(e.message, 'The maximum number of internet gateways has been reached.');

    const p1 = await ec2.send(new DescribeInternetGatewaysCommand({ MaxResults: 5 }));
    assert.equal(p1.InternetGateways!.length, 5);
    assert.ok(p1.NextToken);
    const p2 = await ec2.send(new DescribeInternetGatewaysCommand({ MaxResults: 5, NextToken: p1.NextToken }));
    assert.equal(p2.InternetGateways!.length, 2);
    assert.equal(p2.NextToken, undefined);
    const all = [...p1.InternetGateways!, ...p2.InternetGateways!].map((g) => g.InternetGatewayId);
    assert.equal(new Set(all).size, 7);

    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: made[0] }));
    await newIgw(ec2);
  });
});

describe('egress-only internet gateways', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, egressOnlyInternetGatewaysPerRegion: 3 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates an attached gateway, describes, tags and deletes it', async () => {
    const vpc = await newVpc(ec2, '10.20.0.0/16');
    const out = await ec2.send(
      new CreateEgressOnlyInternetGatewayCommand({
        VpcId: vpc,
        ClientToken: 'token-1',
        TagSpecifications: [{ ResourceType: 'egress-only-internet-gateway', Tags: [{ Key: 'Name', Value: 'e1' }] }],
      }),
    );
    assert.equal(out.ClientToken, 'token-1');
    const g = out.EgressOnlyInternetGateway!;
    assert.match(g.EgressOnlyInternetGatewayId!, /^eigw-[0-9a-f]{17}$/);
    assert.deepEqual(g.Attachments, [{ State: 'attached', VpcId: vpc }]);
    assert.deepEqual(g.Tags, [{ Key: 'Name', Value: 'e1' }]);

    const { EgressOnlyInternetGateways } = await ec2.send(
      new DescribeEgressOnlyInternetGatewaysCommand({ EgressOnlyInternetGatewayIds: [g.EgressOnlyInternetGatewayId!] }),
    );
    assert.deepEqual(EgressOnlyInternetGateways, [g]);
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [g.EgressOnlyInternetGatewayId!] }] }));
    assert.equal(tags.Tags![0]!.ResourceType, 'egress-only-internet-gateway');

    // Its VPC cannot be deleted while it exists.
    assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: vpc }))), 'DependencyViolation');

    const del = await ec2.send(new DeleteEgressOnlyInternetGatewayCommand({ EgressOnlyInternetGatewayId: g.EgressOnlyInternetGatewayId }));
    assert.equal(del.ReturnCode, true);
    const { EgressOnlyInternetGateways: after } = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({}));
    assert.deepEqual(after, []);
    await ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
  });

  it('is idempotent with a client token', async () => {
    const vpc = await newVpc(ec2, '10.21.0.0/16');
    const a = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpc, ClientToken: 'same' }));
    const b = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpc, ClientToken: 'same' }));
    assert.equal(a.EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId, b.EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId);
    const other = await newVpc(ec2, '10.22.0.0/16');
    assert.equal(
      await errorCode(() => ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: other, ClientToken: 'same' }))),
      'IdempotentParameterMismatch',
    );
    const { EgressOnlyInternetGateways } = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({}));
    assert.equal(EgressOnlyInternetGateways!.length, 1);
    await ec2.send(
      new DeleteEgressOnlyInternetGatewayCommand({ EgressOnlyInternetGatewayId: a.EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId }),
    );
    for (const v of [vpc, other]) await ec2.send(new DeleteVpcCommand({ VpcId: v }));
  });

  it('answers unknown IDs, filters by tag, paginates and enforces the quota', async () => {
    const unknown = 'eigw-0123456789abcdef0';
    const nf = await apiError(() => ec2.send(new DeleteEgressOnlyInternetGatewayCommand({ EgressOnlyInternetGatewayId: unknown })));
    assert.equal(nf.code, 'InvalidGatewayID.NotFound');
    assert.match(nf.message, new RegExp(unknown));
    assert.equal(
      await errorCode(() => ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({ EgressOnlyInternetGatewayIds: [unknown] }))),
      'InvalidGatewayID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: 'vpc-0123456789abcdef0' }))),
      'InvalidVpcID.NotFound',
    );

    const vpc = await newVpc(ec2, '10.23.0.0/16');
    const ids: string[] = [];
    for (const name of ['x', 'y', 'z']) {
      const { EgressOnlyInternetGateway } = await ec2.send(
        new CreateEgressOnlyInternetGatewayCommand({
          VpcId: vpc,
          TagSpecifications: [{ ResourceType: 'egress-only-internet-gateway', Tags: [{ Key: 'Name', Value: name }] }],
        }),
      );
      ids.push(EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId!);
    }
    const limit = await apiError(() => ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpc })));
    assert.equal(limit.code, 'EgressOnlyInternetGatewayLimitExceeded');

    const byTag = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({ Filters: [{ Name: 'tag:Name', Values: ['y'] }] }));
    assert.deepEqual(byTag.EgressOnlyInternetGateways!.map((g) => g.EgressOnlyInternetGatewayId), [ids[1]]);
    assert.equal(
      await errorCode(() =>
        ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpc] }] })),
      ),
      'InvalidParameterValue',
    );
    const page = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({ MaxResults: 5 }));
    assert.equal(page.EgressOnlyInternetGateways!.length, 3);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({ MaxResults: 256 }))),
      'InvalidParameterValue',
    );
    for (const id of ids) await ec2.send(new DeleteEgressOnlyInternetGatewayCommand({ EgressOnlyInternetGatewayId: id }));
  });
});
