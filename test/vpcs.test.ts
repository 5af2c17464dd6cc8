/**
 * VPCs: CreateVpc, DescribeVpcs (every documented filter, ID lists, pagination), DeleteVpc and
 * its dependencies, attributes, secondary CIDR blocks, and the VPC quota.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AssociateVpcCidrBlockCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNetworkAclCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteNetworkAclCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateVpcCidrBlockCommand,
  type EC2Client,
  type Filter,
  ModifyVpcAttributeCommand,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('VPCs', () => {
  let srv: TestServer;
  let ec2: EC2Client;

  const createVpc = async (cidr: string, extra: Partial<ConstructorParameters<typeof CreateVpcCommand>[0]> = {}): Promise<Vpc> =>
    (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, ...extra }))).Vpc!;
  const describe1 = async (vpcId: string): Promise<Vpc> => (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0]!;
  const ids = async (filters: Filter[]): Promise<string[]> =>
    ((await ec2.send(new DescribeVpcsCommand({ Filters: filters }))).Vpcs ?? []).map((v) => v.VpcId!).sort();
  const err = (fn: () => Promise<unknown>) => apiError(fn);

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    srv.config.quotas = { ...DEFAULT_QUOTAS };
  });

  describe('CreateVpc', () => {
    it('creates a VPC that is pending in the response and available afterwards', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      assert.match(vpc.VpcId!, /^vpc-[0-9a-f]{17}$/);
      assert.equal(vpc.State, 'pending');
      assert.equal(vpc.CidrBlock, '10.0.0.0/16');
      assert.equal(vpc.IsDefault, false);
      assert.equal(vpc.InstanceTenancy, 'default');
      assert.equal(vpc.OwnerId, '000000000000');
      assert.match(vpc.DhcpOptionsId!, /^dopt-[0-9a-f]{17}$/);
      assert.equal(vpc.CidrBlockAssociationSet!.length, 1);
      assert.equal(vpc.CidrBlockAssociationSet![0]!.CidrBlock, '10.0.0.0/16');
      assert.equal(vpc.CidrBlockAssociationSet![0]!.CidrBlockState!.State, 'associated');
      assert.match(vpc.CidrBlockAssociationSet![0]!.AssociationId!, /^vpc-cidr-assoc-[0-9a-f]{17}$/);
      const later = await describe1(vpc.VpcId!);
      assert.equal(later.State, 'available');
      // Every VPC shares the region's default DHCP options set.
      const def = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!;
      assert.equal(later.DhcpOptionsId, def.DhcpOptionsId);
    });

    it('accepts /16 to /28 and refuses other sizes with InvalidVpc.Range', async () => {
      assert.equal((await createVpc('10.1.0.0/16')).CidrBlock, '10.1.0.0/16');
      assert.equal((await createVpc('10.2.0.0/28')).CidrBlock, '10.2.0.0/28');
      for (const cidr of ['10.0.0.0/15', '10.0.0.0/8', '10.3.0.0/29', '10.3.0.0/32']) {
        const e = await err(() => createVpc(cidr));
        assert.deepEqual([e.code, e.message], ['InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`], cidr);
      }
    });

    it('canonicalises a CIDR with host bits set', async () => {
      const vpc = await createVpc('10.0.0.5/16');
      assert.equal(vpc.CidrBlock, '10.0.0.0/16');
      assert.equal(vpc.CidrBlockAssociationSet![0]!.CidrBlock, '10.0.0.0/16');
      const v2 = await createVpc('100.68.0.18/18');
      assert.equal(v2.CidrBlock, '100.68.0.0/18');
    });

    it('refuses a malformed CIDR with InvalidParameterValue', async () => {
      for (const cidr of ['nope', '10.0.0/16', '10.0.0.0', '300.0.0.0/16', '10.0.0.0/33', '10.0.0.0/ 16', '2600:1f18::/56', '010.0.0.0/16']) {
        const e = await err(() => createVpc(cidr));
        assert.deepEqual(
          [e.code, e.message],
          ['InvalidParameterValue', `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`],
          cidr,
        );
      }
    });

    it('refuses the link-local range', async () => {
      const e = await err(() => createVpc('169.254.0.0/16'));
      assert.equal(e.code, 'InvalidVpc.Range');
    });

    it('requires a CIDR block', async () => {
      const e = await err(() => ec2.send(new CreateVpcCommand({})));
      assert.equal(e.code, 'MissingParameter');
    });

    it('takes dedicated tenancy and refuses host or an unknown tenancy', async () => {
      assert.equal((await createVpc('10.0.0.0/16', { InstanceTenancy: 'dedicated' })).InstanceTenancy, 'dedicated');
      for (const t of ['host', 'bogus']) {
        const e = await err(() => createVpc('10.1.0.0/16', { InstanceTenancy: t as 'host' }));
        assert.equal(e.code, 'InvalidParameterValue');
        assert.match(e.message, new RegExp(`Value \\(${t}\\) for parameter instanceTenancy is invalid`));
      }
    });

    it('gives an Amazon-provided IPv6 /56 on request', async () => {
      const vpc = await createVpc('10.0.0.0/16', { AmazonProvidedIpv6CidrBlock: true });
      const a = vpc.Ipv6CidrBlockAssociationSet![0]!;
      assert.match(a.Ipv6CidrBlock!, /^[0-9a-f:]+::\/56$/);
      assert.equal(a.Ipv6CidrBlockState!.State, 'associating');
      assert.equal(a.Ipv6Pool, 'Amazon');
      assert.equal(a.NetworkBorderGroup, 'us-east-1');
      const later = (await describe1(vpc.VpcId!)).Ipv6CidrBlockAssociationSet![0]!;
      assert.equal(later.Ipv6CidrBlockState!.State, 'associated');
      assert.equal(later.Ipv6CidrBlock, a.Ipv6CidrBlock);
      // The main route table routes the IPv6 block locally too.
      const rt = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).RouteTables![0]!;
      assert.ok(rt.Routes!.some((r) => r.DestinationIpv6CidrBlock === a.Ipv6CidrBlock && r.GatewayId === 'local'));
      // Without the flag there is no IPv6 block.
      assert.equal((await createVpc('10.1.0.0/16')).Ipv6CidrBlockAssociationSet?.length ?? 0, 0);
    });

    it('creates the main route table with a local route, the default network ACL and the default security group', async () => {
      const vpc = await createVpc('10.20.0.0/16');
      const byVpc = [{ Name: 'vpc-id', Values: [vpc.VpcId!] }];
      const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: byVpc }))).RouteTables!;
      assert.equal(tables.length, 1);
      assert.equal(tables[0]!.Associations!.length, 1);
      assert.equal(tables[0]!.Associations![0]!.Main, true);
      assert.deepEqual(
        tables[0]!.Routes!.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State, r.Origin]),
        [['10.20.0.0/16', 'local', 'active', 'CreateRouteTable']],
      );
      const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: byVpc }))).NetworkAcls!;
      assert.equal(acls.length, 1);
      assert.equal(acls[0]!.IsDefault, true);
      assert.deepEqual(
        acls[0]!.Entries!.map((e) => [e.Egress, e.RuleNumber, e.RuleAction, e.Protocol, e.CidrBlock]).sort(),
        [
          [false, 100, 'allow', '-1', '0.0.0.0/0'],
          [false, 32767, 'deny', '-1', '0.0.0.0/0'],
          [true, 100, 'allow', '-1', '0.0.0.0/0'],
          [true, 32767, 'deny', '-1', '0.0.0.0/0'],
        ],
      );
      const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byVpc }))).SecurityGroups!;
      assert.deepEqual(groups.map((g) => [g.GroupName, g.Description]), [['default', 'default VPC security group']]);
    });

    it('tags the VPC from TagSpecifications', async () => {
      const vpc = await createVpc('10.0.0.0/16', {
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }, { Key: 'team', Value: '' }] }],
      });
      assert.deepEqual(vpc.Tags, [{ Key: 'Name', Value: 'main' }, { Key: 'team', Value: '' }]);
      assert.deepEqual((await describe1(vpc.VpcId!)).Tags, vpc.Tags);
      const e = await err(() => createVpc('10.1.0.0/16', { TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'a', Value: 'b' }] }] }));
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', "'subnet' is not a valid taggable resource type for this operation."]);
    });

    it('counts the default VPC in the quota of 5 VPCs per region (VpcLimitExceeded)', async () => {
      for (let i = 1; i <= 4; i++) await createVpc(`10.${i}.0.0/16`);
      const e = await err(() => createVpc('10.9.0.0/16'));
      assert.deepEqual([e.code, e.message], ['VpcLimitExceeded', 'The maximum number of VPCs has been reached.']);
      assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.length, 5);
    });

    it('takes the VPC quota from the configuration', async () => {
      const small = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 2 } });
      try {
        const c = small.ec2();
        await c.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
        const e = await apiError(() => c.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' })));
        assert.equal(e.code, 'VpcLimitExceeded');
        assert.equal(e.status, 400);
      } finally {
        await small.close();
      }
    });
  });

  describe('DescribeVpcs', () => {
    it('describes the given IDs, refusing unknown and malformed ones', async () => {
      const a = await createVpc('10.1.0.0/16');
      const b = await createVpc('10.2.0.0/16');
      const got = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [b.VpcId!, a.VpcId!] }))).Vpcs!.map((v) => v.VpcId).sort();
      assert.deepEqual(got, [a.VpcId, b.VpcId].sort());
      const missing = 'vpc-0123456789abcdef0';
      const e1 = await err(() => ec2.send(new DescribeVpcsCommand({ VpcIds: [a.VpcId!, missing] })));
      assert.deepEqual([e1.code, e1.message], ['InvalidVpcID.NotFound', `The vpc ID '${missing}' does not exist`]);
      const e2 = await err(() => ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0', 'vpc-0123456789abcdef1'] })));
      assert.equal(e2.code, 'InvalidVpcID.NotFound');
      assert.match(e2.message, /vpc-0123456789abcdef0/);
      assert.match(e2.message, /vpc-0123456789abcdef1/);
      for (const bad of ['vpc-xyz', 'subnet-0123456789abcdef0', 'vpc-0123', 'foo']) {
        const e = await err(() => ec2.send(new DescribeVpcsCommand({ VpcIds: [bad] })));
        assert.deepEqual([e.code, e.message], ['InvalidVpcID.Malformed', `Invalid id: "${bad}" (expecting "vpc-...")`], bad);
      }
      // The legacy 8-digit form is well formed.
      assert.equal((await err(() => ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-1a2b3c4d'] })))).code, 'InvalidVpcID.NotFound');
    });

    it('supports every documented filter', async () => {
      const a = await createVpc('10.1.0.0/16', {
        AmazonProvidedIpv6CidrBlock: true,
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'alpha' }, { Key: 'env', Value: 'prod' }] }],
      });
      const b = await createVpc('10.2.0.0/16', { TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'beta' }] }] });
      const assoc = (await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: b.VpcId!, CidrBlock: '10.3.0.0/16' }))).CidrBlockAssociation!;
      const def = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!;
      const A = a.VpcId!;
      const B = b.VpcId!;
      const D = def.VpcId!;
      const v6 = a.Ipv6CidrBlockAssociationSet![0]!;
      const sorted = (...x: string[]) => x.sort();
      const cases: Array<[Filter[], string[]]> = [
        [[{ Name: 'cidr', Values: ['10.1.0.0/16'] }], [A]],
        // cidr is the primary block only.
        [[{ Name: 'cidr', Values: ['10.3.0.0/16'] }], []],
        [[{ Name: 'cidr-block-association.cidr-block', Values: ['10.3.0.0/16'] }], [B]],
        [[{ Name: 'cidr-block-association.association-id', Values: [assoc.AssociationId!] }], [B]],
        [[{ Name: 'cidr-block-association.state', Values: ['associated'] }], sorted(A, B, D)],
        [[{ Name: 'dhcp-options-id', Values: [def.DhcpOptionsId!] }], sorted(A, B, D)],
        [[{ Name: 'ipv6-cidr-block-association.ipv6-cidr-block', Values: [v6.Ipv6CidrBlock!] }], [A]],
        [[{ Name: 'ipv6-cidr-block-association.ipv6-pool', Values: ['Amazon'] }], [A]],
        [[{ Name: 'ipv6-cidr-block-association.association-id', Values: [v6.AssociationId!] }], [A]],
        [[{ Name: 'ipv6-cidr-block-association.state', Values: ['associated'] }], [A]],
        [[{ Name: 'is-default', Values: ['true'] }], [D]],
        [[{ Name: 'is-default', Values: ['false'] }], sorted(A, B)],
        [[{ Name: 'owner-id', Values: ['000000000000'] }], sorted(A, B, D)],
        [[{ Name: 'owner-id', Values: ['111111111111'] }], []],
        [[{ Name: 'state', Values: ['available'] }], sorted(A, B, D)],
        [[{ Name: 'state', Values: ['pending'] }], []],
        [[{ Name: 'vpc-id', Values: [A, B] }], sorted(A, B)],
        [[{ Name: 'tag:Name', Values: ['alpha'] }], [A]],
        [[{ Name: 'tag:Name', Values: ['alpha', 'beta'] }], sorted(A, B)],
        [[{ Name: 'tag:name', Values: ['alpha'] }], []],
        [[{ Name: 'tag-key', Values: ['env'] }], [A]],
        [[{ Name: 'tag-value', Values: ['beta'] }], [B]],
        // Wildcards: * any run, ? one character.
        [[{ Name: 'cidr', Values: ['10.*'] }], sorted(A, B)],
        [[{ Name: 'tag:Name', Values: ['?eta'] }], [B]],
        [[{ Name: 'tag:Name', Values: ['*a'] }], sorted(A, B)],
        [[{ Name: 'tag-key', Values: ['*'] }], sorted(A, B)],
        // Filters AND together.
        [[{ Name: 'tag:Name', Values: ['*a'] }, { Name: 'cidr', Values: ['10.2.0.0/16'] }], [B]],
        [[{ Name: 'tag:Name', Values: ['alpha'] }, { Name: 'is-default', Values: ['true'] }], []],
      ];
      for (const [filters, want] of cases) assert.deepEqual(await ids(filters), want, JSON.stringify(filters));
    });

    it('matches a backslash-escaped wildcard literally', async () => {
      const star = await createVpc('10.1.0.0/16', { TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k', Value: 'a*' }] }] });
      await createVpc('10.2.0.0/16', { TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k', Value: 'abc' }] }] });
      assert.deepEqual(await ids([{ Name: 'tag:k', Values: ['a\\*'] }]), [star.VpcId]);
      assert.equal((await ids([{ Name: 'tag:k', Values: ['a*'] }])).length, 2);
    });

    it('combines IDs and filters', async () => {
      const a = await createVpc('10.1.0.0/16');
      const b = await createVpc('10.2.0.0/16');
      const got = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [a.VpcId!, b.VpcId!], Filters: [{ Name: 'cidr', Values: ['10.2.0.0/16'] }] }))).Vpcs!;
      assert.deepEqual(got.map((v) => v.VpcId), [b.VpcId]);
    });

    it('refuses an unknown filter, and too many filter values', async () => {
      for (const name of ['cidr-block', 'bogus', 'vpcId', 'tag']) {
        const e = await err(() => ids([{ Name: name, Values: ['x'] }]));
        assert.deepEqual([e.code, e.message], ['InvalidParameterValue', `The filter '${name}' is invalid`], name);
      }
      const values = Array.from({ length: 201 }, (_, i) => `vpc-${String(i).padStart(17, '0')}`);
      const e = await err(() => ids([{ Name: 'vpc-id', Values: values }]));
      assert.deepEqual([e.code, e.message], ['FilterLimitExceeded', 'The maximum number of filter values specified on a single call is 200']);
      assert.deepEqual(await ids([{ Name: 'vpc-id', Values: values.slice(0, 200) }]), []);
    });

    it('pages with MaxResults and NextToken to the end', async () => {
      srv.config.quotas.vpcsPerRegion = 20;
      const made: string[] = [];
      for (let i = 1; i <= 11; i++) made.push((await createVpc(`10.${i}.0.0/16`)).VpcId!);
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: token }));
        assert.ok(page.Vpcs!.length <= 5);
        seen.push(...page.Vpcs!.map((v) => v.VpcId!));
        token = page.NextToken;
        pages++;
      } while (token);
      assert.equal(pages, 3);
      assert.equal(seen.length, 12);
      assert.equal(new Set(seen).size, 12);
      for (const id of made) assert.ok(seen.includes(id));
      // Pages of the filtered list.
      const filtered = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5, Filters: [{ Name: 'is-default', Values: ['false'] }] }));
      assert.equal(filtered.Vpcs!.length, 5);
      const rest = await ec2.send(new DescribeVpcsCommand({ MaxResults: 1000, NextToken: filtered.NextToken, Filters: [{ Name: 'is-default', Values: ['false'] }] }));
      assert.equal(rest.Vpcs!.length, 6);
      assert.equal(rest.NextToken, undefined);
      // Without MaxResults everything comes back at once.
      const whole = await ec2.send(new DescribeVpcsCommand({}));
      assert.equal(whole.Vpcs!.length, 12);
      assert.equal(whole.NextToken, undefined);
    });

    it('refuses MaxResults outside 5..1000 and a foreign NextToken', async () => {
      const low = await err(() => ec2.send(new DescribeVpcsCommand({ MaxResults: 4 })));
      assert.deepEqual([low.code, low.message], ['InvalidParameterValue', 'Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5.']);
      const high = await err(() => ec2.send(new DescribeVpcsCommand({ MaxResults: 1001 })));
      assert.equal(high.code, 'InvalidParameterValue');
      const tok = await err(() => ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: 'not-a-token' })));
      assert.equal(tok.code, 'InvalidPaginationToken');
    });
  });

  describe('DeleteVpc', () => {
    it('deletes a clean VPC together with its main route table, default network ACL and default security group', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const byVpc = [{ Name: 'vpc-id', Values: [vpc.VpcId!] }];
      assert.equal((await ec2.send(new DescribeRouteTablesCommand({ Filters: byVpc }))).RouteTables!.length, 1);
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
      assert.equal((await err(() => describe1(vpc.VpcId!))).code, 'InvalidVpcID.NotFound');
      assert.deepEqual((await ec2.send(new DescribeRouteTablesCommand({ Filters: byVpc }))).RouteTables, []);
      assert.deepEqual((await ec2.send(new DescribeNetworkAclsCommand({ Filters: byVpc }))).NetworkAcls, []);
      assert.deepEqual((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byVpc }))).SecurityGroups, []);
      // Deleting it again: not found.
      assert.equal((await err(() => ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! })))).code, 'InvalidVpcID.NotFound');
    });

    it('refuses unknown and malformed IDs', async () => {
      const e1 = await err(() => ec2.send(new DeleteVpcCommand({ VpcId: 'vpc-0123456789abcdef0' })));
      assert.deepEqual([e1.code, e1.message], ['InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist"]);
      const e2 = await err(() => ec2.send(new DeleteVpcCommand({ VpcId: 'vpc-nope' })));
      assert.equal(e2.code, 'InvalidVpcID.Malformed');
    });

    const dependencyViolation = async (vpcId: string) => {
      const e = await err(() => ec2.send(new DeleteVpcCommand({ VpcId: vpcId })));
      assert.deepEqual([e.code, e.message], ['DependencyViolation', `The vpc '${vpcId}' has dependencies and cannot be deleted.`]);
      // Nothing was removed.
      assert.equal((await describe1(vpcId)).VpcId, vpcId);
      assert.equal((await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables!.some((t) => t.Associations?.some((a) => a.Main)), true);
    };

    it('refuses while a subnet remains', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.0.1.0/24' }));
      await dependencyViolation(vpc.VpcId!);
      await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId! }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
    });

    it('refuses while an internet gateway is attached', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId!, VpcId: vpc.VpcId! }));
      await dependencyViolation(vpc.VpcId!);
      await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId!, VpcId: vpc.VpcId! }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
    });

    it('refuses while a non-default security group remains', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpc.VpcId! }));
      await dependencyViolation(vpc.VpcId!);
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: GroupId! }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
    });

    it('refuses while a non-main route table remains', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpc.VpcId! }));
      await dependencyViolation(vpc.VpcId!);
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId! }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
    });

    it('refuses while a custom network ACL remains', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpc.VpcId! }));
      await dependencyViolation(vpc.VpcId!);
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: NetworkAcl!.NetworkAclId! }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
    });

    it('frees a place in the VPC quota', async () => {
      srv.config.quotas.vpcsPerRegion = 2;
      const vpc = await createVpc('10.0.0.0/16');
      assert.equal((await err(() => createVpc('10.1.0.0/16'))).code, 'VpcLimitExceeded');
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
      await createVpc('10.1.0.0/16');
    });

    it('drops the VPC\'s tags with it', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      await ec2.send(new CreateTagsCommand({ Resources: [vpc.VpcId!], Tags: [{ Key: 'gone', Value: 'soon' }] }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! }));
      assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['gone'] }]), []);
    });
  });

  describe('VPC attributes', () => {
    it('describes the DNS attributes with their defaults', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const get = async (Attribute: 'enableDnsSupport' | 'enableDnsHostnames' | 'enableNetworkAddressUsageMetrics') =>
        ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute }));
      const support = await get('enableDnsSupport');
      assert.equal(support.VpcId, vpc.VpcId);
      assert.deepEqual(support.EnableDnsSupport, { Value: true });
      assert.equal(support.EnableDnsHostnames, undefined);
      assert.deepEqual((await get('enableDnsHostnames')).EnableDnsHostnames, { Value: false });
      assert.deepEqual((await get('enableNetworkAddressUsageMetrics')).EnableNetworkAddressUsageMetrics, { Value: false });
    });

    it('modifies one attribute at a time', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const VpcId = vpc.VpcId!;
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsHostnames: { Value: true } }));
      assert.deepEqual((await ec2.send(new DescribeVpcAttributeCommand({ VpcId, Attribute: 'enableDnsHostnames' }))).EnableDnsHostnames, { Value: true });
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableNetworkAddressUsageMetrics: { Value: true } }));
      assert.deepEqual(
        (await ec2.send(new DescribeVpcAttributeCommand({ VpcId, Attribute: 'enableNetworkAddressUsageMetrics' }))).EnableNetworkAddressUsageMetrics,
        { Value: true },
      );
      const both = await err(() => ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsSupport: { Value: true }, EnableDnsHostnames: { Value: true } })));
      assert.equal(both.code, 'InvalidParameterCombination');
      const none = await err(() => ec2.send(new ModifyVpcAttributeCommand({ VpcId })));
      assert.equal(none.code, 'MissingParameter');
      // DNS hostnames need DNS support.
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsHostnames: { Value: false } }));
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsSupport: { Value: false } }));
      const hostnames = await err(() => ec2.send(new ModifyVpcAttributeCommand({ VpcId, EnableDnsHostnames: { Value: true } })));
      assert.equal(hostnames.code, 'InvalidParameterValue');
      assert.deepEqual((await ec2.send(new DescribeVpcAttributeCommand({ VpcId, Attribute: 'enableDnsSupport' }))).EnableDnsSupport, { Value: false });
    });

    it('refuses an unknown attribute and an unknown VPC', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const e = await err(() => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute: 'enableMagic' as 'enableDnsSupport' })));
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', 'Value (enableMagic) for parameter attribute is invalid. Unknown attribute.']);
      const nf = await err(() => ec2.send(new DescribeVpcAttributeCommand({ VpcId: 'vpc-0123456789abcdef0', Attribute: 'enableDnsSupport' })));
      assert.equal(nf.code, 'InvalidVpcID.NotFound');
      const nf2 = await err(() => ec2.send(new ModifyVpcAttributeCommand({ VpcId: 'vpc-0123456789abcdef0', EnableDnsSupport: { Value: true } })));
      assert.equal(nf2.code, 'InvalidVpcID.NotFound');
    });
  });

  describe('secondary CIDR blocks', () => {
    const associate = (VpcId: string, CidrBlock: string) => ec2.send(new AssociateVpcCidrBlockCommand({ VpcId, CidrBlock }));
    const restricted = async (VpcId: string, cidr: string) => {
      const e = await err(() => associate(VpcId, cidr));
      assert.deepEqual(
        [e.code, e.message],
        ['InvalidVpc.Range', `The CIDR '${cidr}' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR.`],
        cidr,
      );
    };

    it('associates a block: associating in the response, associated after, with a local route', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const r = await associate(vpc.VpcId!, '10.1.0.5/16');
      assert.equal(r.VpcId, vpc.VpcId);
      assert.equal(r.CidrBlockAssociation!.CidrBlock, '10.1.0.0/16');
      assert.equal(r.CidrBlockAssociation!.CidrBlockState!.State, 'associating');
      const later = await describe1(vpc.VpcId!);
      assert.equal(later.CidrBlock, '10.0.0.0/16');
      assert.deepEqual(
        later.CidrBlockAssociationSet!.map((a) => [a.CidrBlock, a.CidrBlockState!.State]),
        [['10.0.0.0/16', 'associated'], ['10.1.0.0/16', 'associated']],
      );
      const rt = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).RouteTables![0]!;
      assert.ok(rt.Routes!.some((x) => x.DestinationCidrBlock === '10.1.0.0/16' && x.GatewayId === 'local'));
      // A subnet may use the secondary block.
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.1.2.0/24' }));
      assert.equal(Subnet!.CidrBlock, '10.1.2.0/24');
    });

    it('refuses a block that overlaps one of the VPC, or is not /16 to /28', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      await associate(vpc.VpcId!, '10.1.0.0/16');
      for (const cidr of ['10.0.128.0/17', '10.1.0.0/16', '10.0.0.0/16']) {
        const e = await err(() => associate(vpc.VpcId!, cidr));
        assert.equal(e.code, 'InvalidVpc.Range', cidr);
      }
      assert.equal((await err(() => associate(vpc.VpcId!, '10.2.0.0/15'))).code, 'InvalidVpc.Range');
      assert.equal((await err(() => associate(vpc.VpcId!, '10.2.0.0/29'))).code, 'InvalidVpc.Range');
      assert.equal((await err(() => associate(vpc.VpcId!, '10.2.0/16'))).code, 'InvalidParameterValue');
    });

    it('applies the restrictions for a 10.0.0.0/8 primary block', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      await restricted(vpc.VpcId!, '172.16.0.0/16');
      await restricted(vpc.VpcId!, '192.168.0.0/16');
      await restricted(vpc.VpcId!, '198.19.0.0/16');
      assert.equal((await err(() => associate(vpc.VpcId!, '169.254.0.0/16'))).code, 'InvalidVpc.Range');
      await associate(vpc.VpcId!, '10.200.0.0/16');
      await associate(vpc.VpcId!, '100.64.0.0/16');
      await associate(vpc.VpcId!, '11.0.0.0/16');
      // With a block in 10.0.0.0/15, nothing from 10.0.0.0/16.
      const other = await createVpc('10.1.0.0/16');
      await restricted(other.VpcId!, '10.0.0.0/16');
      await restricted(other.VpcId!, '10.0.4.0/24');
      const far = await createVpc('10.2.0.0/16');
      await associate(far.VpcId!, '10.0.0.0/16');
    });

    it('applies the restrictions for a 172.16.0.0/12 primary block', async () => {
      const vpc = await createVpc('172.20.0.0/16');
      await restricted(vpc.VpcId!, '10.0.0.0/16');
      await restricted(vpc.VpcId!, '192.168.0.0/16');
      await restricted(vpc.VpcId!, '172.31.0.0/16');
      await restricted(vpc.VpcId!, '172.31.16.0/20');
      await restricted(vpc.VpcId!, '198.19.0.0/16');
      await associate(vpc.VpcId!, '172.21.0.0/16');
      await associate(vpc.VpcId!, '100.64.0.0/16');
    });

    it('applies the restrictions for a 192.168.0.0/16 primary block', async () => {
      const vpc = await createVpc('192.168.0.0/20');
      await restricted(vpc.VpcId!, '10.0.0.0/16');
      await restricted(vpc.VpcId!, '172.16.0.0/16');
      await restricted(vpc.VpcId!, '198.19.0.0/16');
      await associate(vpc.VpcId!, '192.168.16.0/20');
      await associate(vpc.VpcId!, '52.0.0.0/16');
    });

    it('applies the restrictions for a public or 100.64.0.0/10 primary block', async () => {
      for (const primary of ['100.64.0.0/16', '52.1.0.0/16']) {
        await srv.reset();
        const vpc = await createVpc(primary);
        await restricted(vpc.VpcId!, '10.0.0.0/16');
        await restricted(vpc.VpcId!, '172.16.0.0/16');
        await restricted(vpc.VpcId!, '192.168.0.0/16');
        await restricted(vpc.VpcId!, '198.19.0.0/16');
        await associate(vpc.VpcId!, '100.65.0.0/16');
        await associate(vpc.VpcId!, '52.2.0.0/16');
      }
    });

    it('refuses a block equal to or larger than a route destination of the VPC', async () => {
      const vpc = await createVpc('10.2.0.0/16');
      const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId!, VpcId: vpc.VpcId! }));
      const main = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).RouteTables![0]!;
      await ec2.send(
        new CreateRouteCommand({ RouteTableId: main.RouteTableId!, DestinationCidrBlock: '10.5.0.0/24', GatewayId: InternetGateway!.InternetGatewayId! }),
      );
      assert.equal((await err(() => associate(vpc.VpcId!, '10.5.0.0/16'))).code, 'InvalidVpc.Range');
      assert.equal((await err(() => associate(vpc.VpcId!, '10.5.0.0/24'))).code, 'InvalidVpc.Range');
      await associate(vpc.VpcId!, '10.5.0.0/25');
    });

    it('allows 5 IPv4 blocks per VPC (CidrLimitExceeded)', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      for (let i = 1; i <= 4; i++) await associate(vpc.VpcId!, `10.${i}.0.0/16`);
      const e = await err(() => associate(vpc.VpcId!, '10.9.0.0/16'));
      assert.deepEqual([e.code, e.message], ['CidrLimitExceeded', `This network '${vpc.VpcId}' has met its maximum number of allowed CIDRs: 5`]);
    });

    it('disassociates a secondary block and its local route, but never the primary one', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { CidrBlockAssociation } = await associate(vpc.VpcId!, '10.1.0.0/16');
      const r = await ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: CidrBlockAssociation!.AssociationId! }));
      assert.equal(r.VpcId, vpc.VpcId);
      assert.equal(r.CidrBlockAssociation!.CidrBlock, '10.1.0.0/16');
      assert.equal(r.CidrBlockAssociation!.CidrBlockState!.State, 'disassociating');
      assert.deepEqual((await describe1(vpc.VpcId!)).CidrBlockAssociationSet!.map((a) => a.CidrBlock), ['10.0.0.0/16']);
      const rt = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).RouteTables![0]!;
      assert.deepEqual(rt.Routes!.map((x) => x.DestinationCidrBlock), ['10.0.0.0/16']);
      const primaryId = vpc.CidrBlockAssociationSet![0]!.AssociationId!;
      const e = await err(() => ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: primaryId })));
      assert.deepEqual(
        [e.code, e.message],
        ['OperationNotPermitted', `The vpc CIDR block with association ID ${primaryId} may not be disassociated. It is the primary IPv4 CIDR block of the VPC`],
      );
      const nf = await err(() => ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: 'vpc-cidr-assoc-0123456789abcdef0' })));
      assert.equal(nf.code, 'InvalidVpcCidrBlockAssociationID.NotFound');
    });

    it('refuses to disassociate a block a subnet uses', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const { CidrBlockAssociation } = await associate(vpc.VpcId!, '10.1.0.0/16');
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.1.0.0/24' }));
      const e = await err(() => ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: CidrBlockAssociation!.AssociationId! })));
      assert.equal(e.code, 'DependencyViolation');
      await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId! }));
      await ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: CidrBlockAssociation!.AssociationId! }));
    });

    it('associates and disassociates an Amazon-provided IPv6 block', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const r = await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpc.VpcId!, AmazonProvidedIpv6CidrBlock: true }));
      const a = r.Ipv6CidrBlockAssociation!;
      assert.match(a.Ipv6CidrBlock!, /\/56$/);
      assert.equal(a.Ipv6CidrBlockState!.State, 'associating');
      assert.deepEqual(await ids([{ Name: 'ipv6-cidr-block-association.ipv6-cidr-block', Values: [a.Ipv6CidrBlock!] }]), [vpc.VpcId]);
      const d = await ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: a.AssociationId! }));
      assert.equal(d.Ipv6CidrBlockAssociation!.Ipv6CidrBlockState!.State, 'disassociating');
      assert.equal((await describe1(vpc.VpcId!)).Ipv6CidrBlockAssociationSet?.length ?? 0, 0);
    });

    it('needs exactly one of an IPv4 block or an Amazon-provided IPv6 block', async () => {
      const vpc = await createVpc('10.0.0.0/16');
      const both = await err(() => ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.1.0.0/16', AmazonProvidedIpv6CidrBlock: true })));
      assert.equal(both.code, 'InvalidParameterCombination');
      const none = await err(() => ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpc.VpcId! })));
      assert.equal(none.code, 'InvalidParameterCombination');
      const nf = await err(() => associate('vpc-0123456789abcdef0', '10.1.0.0/16'));
      assert.equal(nf.code, 'InvalidVpcID.NotFound');
    });
  });
});
