/**
 * End to end with the AWS CLI (Debian's `awscli` package): a user's session against vpcsim,
 * commands and their JSON output exactly as a user sees them, including errors, waiters
 * and the CLI's automatic pagination.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsCli } from './cli.js';
import { startTestServer, type TestServer } from './helpers.js';

describe('AWS CLI end to end', () => {
  let srv: TestServer;
  const { aws, ok, fails } = awsCli(() => srv.endpoint);

  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  it('answers sts get-caller-identity with the account', async () => {
    assert.equal((await ok(['sts', 'get-caller-identity'])).Account, '000000000000');
    assert.equal((await ok(['sts', 'get-caller-identity'], { accessKey: '123456789012' })).Account, '123456789012');
  });

  it('builds a VPC with subnets, tags, a route table and an internet gateway', async () => {
    const vpc = (await ok(['ec2', 'create-vpc', '--cidr-block', '10.20.0.5/16', '--tag-specifications', 'ResourceType=vpc,Tags=[{Key=Name,Value=e2e}]'])).Vpc;
    assert.equal(vpc.CidrBlock, '10.20.0.0/16');
    assert.match(vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
    await ok(['ec2', 'wait', 'vpc-available', '--vpc-ids', vpc.VpcId]);

    const byTag = await ok(['ec2', 'describe-vpcs', '--filters', 'Name=tag:Name,Values=e2e']);
    assert.deepEqual(byTag.Vpcs.map((v: { VpcId: string }) => v.VpcId), [vpc.VpcId]);

    const subnet = (await ok(['ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', '10.20.1.0/24', '--availability-zone', 'us-east-1b'])).Subnet;
    assert.equal(subnet.AvailableIpAddressCount, 251);
    assert.equal(subnet.AvailabilityZone, 'us-east-1b');
    await ok(['ec2', 'wait', 'subnet-available', '--subnet-ids', subnet.SubnetId]);
    await fails(['ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', '10.20.1.128/25'], 'InvalidSubnet.Conflict');
    await fails(['ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', '10.99.0.0/24'], 'InvalidSubnet.Range');

    await ok(['ec2', 'create-tags', '--resources', subnet.SubnetId, '--tags', 'Key=tier,Value=public']);
    const tags = await ok(['ec2', 'describe-tags', '--filters', `Name=resource-id,Values=${subnet.SubnetId}`]);
    assert.deepEqual(tags.Tags, [{ Key: 'tier', ResourceId: subnet.SubnetId, ResourceType: 'subnet', Value: 'public' }]);

    const igw = (await ok(['ec2', 'create-internet-gateway'])).InternetGateway;
    await ok(['ec2', 'attach-internet-gateway', '--internet-gateway-id', igw.InternetGatewayId, '--vpc-id', vpc.VpcId]);
    const rt = (await ok(['ec2', 'create-route-table', '--vpc-id', vpc.VpcId])).RouteTable;
    await ok(['ec2', 'create-route', '--route-table-id', rt.RouteTableId, '--destination-cidr-block', '0.0.0.0/0', '--gateway-id', igw.InternetGatewayId]);
    await ok(['ec2', 'associate-route-table', '--route-table-id', rt.RouteTableId, '--subnet-id', subnet.SubnetId]);
    const described = (await ok(['ec2', 'describe-route-tables', '--route-table-ids', rt.RouteTableId])).RouteTables[0];
    assert.deepEqual(
      described.Routes.map((r: { DestinationCidrBlock: string; GatewayId: string; State: string }) => [r.DestinationCidrBlock, r.GatewayId, r.State]),
      [
        ['10.20.0.0/16', 'local', 'active'],
        ['0.0.0.0/0', igw.InternetGatewayId, 'active'],
      ],
    );

    // Tear down in the order AWS requires, checking the dependency errors on the way.
    await fails(['ec2', 'delete-vpc', '--vpc-id', vpc.VpcId], 'DependencyViolation');
    await fails(['ec2', 'delete-internet-gateway', '--internet-gateway-id', igw.InternetGatewayId], 'DependencyViolation');
    await ok(['ec2', 'detach-internet-gateway', '--internet-gateway-id', igw.InternetGatewayId, '--vpc-id', vpc.VpcId]);
    await ok(['ec2', 'delete-internet-gateway', '--internet-gateway-id', igw.InternetGatewayId]);
    const assoc = described.Associations.find((a: { SubnetId?: string }) => a.SubnetId === subnet.SubnetId);
    await ok(['ec2', 'disassociate-route-table', '--association-id', assoc.RouteTableAssociationId]);
    await ok(['ec2', 'delete-route-table', '--route-table-id', rt.RouteTableId]);
    await ok(['ec2', 'delete-subnet', '--subnet-id', subnet.SubnetId]);
    await ok(['ec2', 'delete-vpc', '--vpc-id', vpc.VpcId]);
    await fails(['ec2', 'describe-vpcs', '--vpc-ids', vpc.VpcId], 'InvalidVpcID.NotFound');
  });

  it('pages through results with the CLI paginator', async () => {
    const vpc = (await ok(['ec2', 'create-vpc', '--cidr-block', '10.30.0.0/16'])).Vpc;
    for (let i = 0; i < 23; i++) {
      await ok(['ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', `10.30.${i}.0/24`]);
    }
    const filter = ['--filters', `Name=vpc-id,Values=${vpc.VpcId}`];
    const all = await ok(['ec2', 'describe-subnets', ...filter, '--page-size', '5']);
    assert.equal(all.Subnets.length, 23, 'the paginator followed NextToken to the end');
    assert.equal(new Set(all.Subnets.map((s: { SubnetId: string }) => s.SubnetId)).size, 23);
    const first = await ok(['ec2', 'describe-subnets', ...filter, '--max-items', '10', '--page-size', '5']);
    assert.equal(first.Subnets.length, 10);
    assert.ok(first.NextToken);
    const rest = await ok(['ec2', 'describe-subnets', ...filter, '--page-size', '5', '--starting-token', first.NextToken]);
    assert.equal(rest.Subnets.length, 13);
  });

  it('reports errors as AWS does: dry runs, bad values, unknown actions', async () => {
    const dry = await aws(['ec2', 'create-vpc', '--cidr-block', '10.40.0.0/16', '--dry-run']);
    assert.notEqual(dry.code, 0);
    assert.match(dry.stderr, /\(DryRunOperation\)/);
    assert.equal((await ok(['ec2', 'describe-vpcs', '--filters', 'Name=cidr,Values=10.40.0.0/16'])).Vpcs.length, 0);
    await fails(['ec2', 'create-vpc', '--cidr-block', '10.0.0.0/8'], 'InvalidVpc.Range');
    await fails(['ec2', 'create-vpc', '--cidr-block', 'banana'], 'InvalidParameterValue');
    await fails(['ec2', 'describe-vpcs', '--filters', 'Name=no-such-filter,Values=x'], 'InvalidParameterValue');
    await fails(['ec2', 'describe-subnets', '--subnet-ids', 'subnet-nothere'], 'InvalidSubnetID.Malformed');
    await fails(['ec2', 'describe-fleets'], 'UnsupportedOperation');
  });

  it('keeps regions apart, each with its own default VPC', async () => {
    const east = await ok(['ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true']);
    const west = await ok(['ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true'], { region: 'eu-west-1' });
    assert.equal(east.Vpcs.length, 1);
    assert.equal(west.Vpcs.length, 1);
    assert.notEqual(east.Vpcs[0].VpcId, west.Vpcs[0].VpcId);
    const zones = await ok(['ec2', 'describe-availability-zones'], { region: 'eu-west-1' });
    assert.deepEqual(zones.AvailabilityZones.map((z: { ZoneName: string }) => z.ZoneName), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    const subnets = await ok(['ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${west.Vpcs[0].VpcId}`], { region: 'eu-west-1' });
    assert.deepEqual(subnets.Subnets.map((s: { CidrBlock: string }) => s.CidrBlock).sort(), ['172.31.0.0/20', '172.31.16.0/20', '172.31.32.0/20']);
  });
});
