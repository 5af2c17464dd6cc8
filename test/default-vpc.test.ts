/**
 * The default VPC every region starts with, and CreateDefaultVpc / CreateDefaultSubnet.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateDefaultSubnetCommand,
  CreateDefaultVpcCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAccountAttributesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  type EC2Client,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('default VPC', () => {
  let srv: TestServer;
  let ec2: EC2Client;

  const defaultVpc = async (client = ec2): Promise<Vpc | undefined> =>
    (await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0];
  const defaultVpcAttribute = async (client = ec2): Promise<string> => {
    const { AccountAttributes } = await client.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
    assert.equal(AccountAttributes!.length, 1);
    assert.equal(AccountAttributes![0]!.AttributeName, 'default-vpc');
    return AccountAttributes![0]!.AttributeValues![0]!.AttributeValue!;
  };
  const subnetsOf = async (vpcId: string, client = ec2) =>
    (await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets!;

  /** Everything DeleteVpc needs gone first: the default subnets and the internet gateway. */
  async function deleteDefaultVpc(client = ec2): Promise<string> {
    const vpc = (await defaultVpc(client))!;
    for (const s of await subnetsOf(vpc.VpcId!, client)) await client.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId! }));
    const igws = (await client.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpc.VpcId!] }] })))
      .InternetGateways!;
    for (const g of igws) {
      await client.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId!, VpcId: vpc.VpcId! }));
      await client.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId! }));
    }
    await client.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
    return vpc.VpcId!;
  }

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    srv.config.quotas = { ...DEFAULT_QUOTAS };
  });

  it('exists from first use: 172.31.0.0/16 with DNS support and hostnames', async () => {
    const vpc = (await defaultVpc())!;
    assert.equal(vpc.CidrBlock, '172.31.0.0/16');
    assert.equal(vpc.IsDefault, true);
    assert.equal(vpc.State, 'available');
    assert.equal(vpc.InstanceTenancy, 'default');
    const support = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute: 'enableDnsSupport' }));
    assert.equal(support.EnableDnsSupport!.Value, true);
    const hostnames = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute: 'enableDnsHostnames' }));
    assert.equal(hostnames.EnableDnsHostnames!.Value, true);
  });

  it('has one public /20 default subnet in every zone of the region', async () => {
    const vpc = (await defaultVpc())!;
    const subnets = await subnetsOf(vpc.VpcId!);
    assert.deepEqual(subnets.map((s) => s.AvailabilityZone).sort(), ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
    assert.deepEqual(
      subnets.map((s) => s.CidrBlock).sort(),
      ['172.31.0.0/20', '172.31.16.0/20', '172.31.32.0/20', '172.31.48.0/20', '172.31.64.0/20', '172.31.80.0/20'],
    );
    for (const s of subnets) {
      assert.equal(s.DefaultForAz, true);
      assert.equal(s.MapPublicIpOnLaunch, true);
      assert.equal(s.AvailableIpAddressCount, 4091);
      assert.equal(s.State, 'available');
    }
    // Another region: its own zones.
    const west = srv.ec2({ region: 'eu-west-1' });
    const wv = (await defaultVpc(west))!;
    assert.equal(wv.CidrBlock, '172.31.0.0/16');
    assert.deepEqual((await subnetsOf(wv.VpcId!, west)).map((s) => s.AvailabilityZone).sort(), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('has an attached internet gateway and a 0.0.0.0/0 route to it in the main route table', async () => {
    const vpc = (await defaultVpc())!;
    const igws = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpc.VpcId!] }] })))
      .InternetGateways!;
    assert.equal(igws.length, 1);
    assert.deepEqual(igws[0]!.Attachments, [{ State: 'available', VpcId: vpc.VpcId }]);
    const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).RouteTables!;
    assert.equal(tables.length, 1);
    assert.equal(tables[0]!.Associations![0]!.Main, true);
    assert.deepEqual(
      tables[0]!.Routes!.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State]),
      [
        ['172.31.0.0/16', 'local', 'active'],
        ['0.0.0.0/0', igws[0]!.InternetGatewayId, 'active'],
      ],
    );
  });

  it('has a default security group and a default network ACL that every default subnet uses', async () => {
    const vpc = (await defaultVpc())!;
    const byVpc = [{ Name: 'vpc-id', Values: [vpc.VpcId!] }];
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byVpc }))).SecurityGroups!;
    assert.deepEqual(groups.map((g) => g.GroupName), ['default']);
    const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: byVpc }))).NetworkAcls!;
    assert.equal(acls.length, 1);
    assert.equal(acls[0]!.IsDefault, true);
    const subnets = await subnetsOf(vpc.VpcId!);
    assert.deepEqual(acls[0]!.Associations!.map((a) => a.SubnetId).sort(), subnets.map((s) => s.SubnetId).sort());
  });

  it('is named by DescribeAccountAttributes default-vpc, "none" once deleted', async () => {
    const vpc = (await defaultVpc())!;
    assert.equal(await defaultVpcAttribute(), vpc.VpcId);
    await deleteDefaultVpc();
    assert.equal(await defaultVpcAttribute(), 'none');
    assert.equal(await defaultVpc(), undefined);
  });

  it('cannot be deleted while its subnets and internet gateway remain', async () => {
    const vpc = (await defaultVpc())!;
    const e = await apiError(() => ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! })));
    assert.equal(e.code, 'DependencyViolation');
    assert.equal((await defaultVpc())!.VpcId, vpc.VpcId);
  });

  it('stays deleted until CreateDefaultVpc, which builds it again', async () => {
    const oldId = await deleteDefaultVpc();
    // Later requests do not bring it back by themselves.
    assert.equal(await defaultVpc(), undefined);
    const { Vpc } = await ec2.send(new CreateDefaultVpcCommand({}));
    assert.notEqual(Vpc!.VpcId, oldId);
    assert.equal(Vpc!.CidrBlock, '172.31.0.0/16');
    assert.equal(Vpc!.IsDefault, true);
    assert.equal(Vpc!.State, 'pending');
    assert.equal((await defaultVpc())!.State, 'available');
    assert.equal(await defaultVpcAttribute(), Vpc!.VpcId);
    const subnets = await subnetsOf(Vpc!.VpcId!);
    assert.equal(subnets.length, 6);
    assert.ok(subnets.every((s) => s.DefaultForAz && s.MapPublicIpOnLaunch && s.CidrBlock!.endsWith('/20')));
    const igws = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [Vpc!.VpcId!] }] })))
      .InternetGateways!;
    assert.equal(igws.length, 1);
    const rt = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }] }))).RouteTables![0]!;
    assert.ok(rt.Routes!.some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId === igws[0]!.InternetGatewayId));
  });

  it('refuses CreateDefaultVpc while a default VPC exists (DefaultVpcAlreadyExists)', async () => {
    const e = await apiError(() => ec2.send(new CreateDefaultVpcCommand({})));
    assert.deepEqual([e.code, e.message], ['DefaultVpcAlreadyExists', 'A Default VPC already exists for this account in this region.']);
    assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.length, 1);
  });

  it('counts CreateDefaultVpc in the VPC quota', async () => {
    await deleteDefaultVpc();
    for (let i = 1; i <= 5; i++) await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${i}.0.0/16` }));
    const e = await apiError(() => ec2.send(new CreateDefaultVpcCommand({})));
    assert.equal(e.code, 'VpcLimitExceeded');
    assert.equal(await defaultVpc(), undefined);
  });

  it('exists even when the VPC quota leaves no room for it', async () => {
    srv.config.quotas.vpcsPerRegion = 0;
    const fresh = srv.ec2({ accessKeyId: '444444444444' });
    const vpc = (await defaultVpc(fresh))!;
    assert.equal(vpc.CidrBlock, '172.31.0.0/16');
    assert.equal((await apiError(() => fresh.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })))).code, 'VpcLimitExceeded');
  });

  describe('CreateDefaultSubnet', () => {
    it('refuses a zone that has a default subnet (DefaultSubnetAlreadyExistsInAvailabilityZone)', async () => {
      const e = await apiError(() => ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: 'us-east-1a' })));
      assert.equal(e.code, 'DefaultSubnetAlreadyExistsInAvailabilityZone');
      assert.match(e.message, /us-east-1a/);
    });

    it('creates a public /20 default subnet in a zone that lost its own', async () => {
      const vpc = (await defaultVpc())!;
      const old = (await subnetsOf(vpc.VpcId!)).find((s) => s.AvailabilityZone === 'us-east-1c')!;
      await ec2.send(new DeleteSubnetCommand({ SubnetId: old.SubnetId! }));
      const { Subnet } = await ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: 'us-east-1c' }));
      assert.equal(Subnet!.VpcId, vpc.VpcId);
      assert.equal(Subnet!.AvailabilityZone, 'us-east-1c');
      assert.equal(Subnet!.DefaultForAz, true);
      assert.equal(Subnet!.MapPublicIpOnLaunch, true);
      assert.match(Subnet!.CidrBlock!, /^172\.31\.\d+\.0\/20$/);
      const cidrs = (await subnetsOf(vpc.VpcId!)).map((s) => s.CidrBlock);
      assert.equal(new Set(cidrs).size, 6);
      assert.equal((await apiError(() => ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: 'us-east-1c' })))).code,
        'DefaultSubnetAlreadyExistsInAvailabilityZone');
    });

    it('needs a default VPC (DefaultVpcDoesNotExist)', async () => {
      await deleteDefaultVpc();
      const e = await apiError(() => ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: 'us-east-1a' })));
      assert.equal(e.code, 'DefaultVpcDoesNotExist');
    });

    it('needs a zone of the region', async () => {
      const vpc = (await defaultVpc())!;
      const old = (await subnetsOf(vpc.VpcId!)).find((s) => s.AvailabilityZone === 'us-east-1a')!;
      await ec2.send(new DeleteSubnetCommand({ SubnetId: old.SubnetId! }));
      const bad = await apiError(() => ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: 'eu-west-1a' })));
      assert.equal(bad.code, 'InvalidParameterValue');
      const missing = await apiError(() => ec2.send(new CreateDefaultSubnetCommand({} as { AvailabilityZone: string })));
      assert.equal(missing.code, 'MissingParameter');
    });
  });
});
