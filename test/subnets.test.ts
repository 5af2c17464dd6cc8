/**
 * Subnets: CreateSubnet (ranges, conflicts, zones, sizes), DescribeSubnets (every documented
 * filter, IDs, pagination), ModifySubnetAttribute, DeleteSubnet, IPv6 blocks, the quota.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AssociateSubnetCidrBlockCommand,
  AssociateVpcCidrBlockCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DescribeNetworkAclsCommand,
  DescribeSubnetsCommand,
  DisassociateSubnetCidrBlockCommand,
  type EC2Client,
  type Filter,
  ModifySubnetAttributeCommand,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('subnets', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpc: Vpc;

  const create = async (cidr: string, extra: Partial<ConstructorParameters<typeof CreateSubnetCommand>[0]> = {}): Promise<Subnet> =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: cidr, ...extra }))).Subnet!;
  const describe1 = async (id: string): Promise<Subnet> => (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets![0]!;
  const ids = async (filters: Filter[]): Promise<string[]> =>
    ((await ec2.send(new DescribeSubnetsCommand({ Filters: filters }))).Subnets ?? []).map((s) => s.SubnetId!).sort();
  const err = (fn: () => Promise<unknown>) => apiError(fn);

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    srv.config.quotas = { ...DEFAULT_QUOTAS };
    vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', AmazonProvidedIpv6CidrBlock: true }))).Vpc!;
  });

  describe('CreateSubnet', () => {
    it('creates a subnet with AWS\'s defaults', async () => {
      const s = await create('10.0.1.0/24', { AvailabilityZone: 'us-east-1b' });
      assert.match(s.SubnetId!, /^subnet-[0-9a-f]{17}$/);
      assert.equal(s.VpcId, vpc.VpcId);
      assert.equal(s.CidrBlock, '10.0.1.0/24');
      assert.equal(s.State, 'available');
      assert.equal(s.AvailabilityZone, 'us-east-1b');
      assert.equal(s.AvailabilityZoneId, 'use1-az2');
      assert.equal(s.AvailableIpAddressCount, 251);
      assert.equal(s.DefaultForAz, false);
      assert.equal(s.MapPublicIpOnLaunch, false);
      assert.equal(s.MapCustomerOwnedIpOnLaunch, false);
      assert.equal(s.AssignIpv6AddressOnCreation, false);
      assert.equal(s.EnableDns64, false);
      assert.equal(s.Ipv6Native, false);
      assert.deepEqual(s.Ipv6CidrBlockAssociationSet, []);
      assert.equal(s.OwnerId, '000000000000');
      assert.equal(s.SubnetArn, `arn:aws:ec2:us-east-1:000000000000:subnet/${s.SubnetId}`);
      assert.deepEqual(s.PrivateDnsNameOptionsOnLaunch, {
        HostnameType: 'ip-name',
        EnableResourceNameDnsARecord: false,
        EnableResourceNameDnsAAAARecord: false,
      });
      assert.deepEqual(await describe1(s.SubnetId!), s);
    });

    it('reserves 5 addresses of every subnet', async () => {
      assert.equal((await create('10.0.0.0/28')).AvailableIpAddressCount, 11);
      assert.equal((await create('10.0.0.16/28')).AvailableIpAddressCount, 11);
      assert.equal((await create('10.0.1.0/24')).AvailableIpAddressCount, 251);
      assert.equal((await create('10.0.4.0/22')).AvailableIpAddressCount, 1019);
      assert.equal((await create('10.0.128.0/17')).AvailableIpAddressCount, 32763);
      const whole = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!;
      const s = (await ec2.send(new CreateSubnetCommand({ VpcId: whole.VpcId!, CidrBlock: '10.1.0.0/16' }))).Subnet!;
      assert.equal(s.AvailableIpAddressCount, 65531);
    });

    it('canonicalises a CIDR with host bits set', async () => {
      assert.equal((await create('10.0.1.77/24')).CidrBlock, '10.0.1.0/24');
    });

    it('needs the block inside a VPC block, primary or secondary (InvalidSubnet.Range)', async () => {
      for (const cidr of ['10.1.0.0/24', '192.168.0.0/24', '10.0.0.0/15']) {
        const e = await err(() => create(cidr));
        assert.deepEqual([e.code, e.message], ['InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`], cidr);
      }
      await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.1.0.0/16' }));
      assert.equal((await create('10.1.0.0/24')).CidrBlock, '10.1.0.0/24');
      // Straddling both blocks is still outside any one of them.
      assert.equal((await err(() => create('10.0.0.0/15'))).code, 'InvalidSubnet.Range');
    });

    it('accepts /16 to /28 only', async () => {
      for (const cidr of ['10.0.0.0/29', '10.0.0.0/32']) {
        const e = await err(() => create(cidr));
        assert.deepEqual([e.code, e.message], ['InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`], cidr);
      }
    });

    it('refuses a malformed CIDR and a missing one', async () => {
      for (const cidr of ['10.0.1/24', 'x', '10.0.0.0/40']) {
        const e = await err(() => create(cidr));
        assert.deepEqual([e.code, e.message], ['InvalidParameterValue', `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`]);
      }
      const e = await err(() => ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId! })));
      assert.equal(e.code, 'MissingParameter');
    });

    it('refuses a block that overlaps another subnet of the VPC (InvalidSubnet.Conflict)', async () => {
      await create('10.0.1.0/24');
      for (const cidr of ['10.0.1.0/24', '10.0.1.128/25', '10.0.0.0/23']) {
        const e = await err(() => create(cidr));
        assert.deepEqual([e.code, e.message], ['InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`], cidr);
      }
      // Adjacent blocks and other VPCs are fine.
      await create('10.0.2.0/24');
      const other = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!;
      await ec2.send(new CreateSubnetCommand({ VpcId: other.VpcId!, CidrBlock: '10.0.1.0/24' }));
    });

    it('places the subnet by zone name or zone ID, not both, and only in this region\'s zones', async () => {
      assert.equal((await create('10.0.1.0/24', { AvailabilityZone: 'us-east-1f' })).AvailabilityZoneId, 'use1-az6');
      const byId = await create('10.0.2.0/24', { AvailabilityZoneId: 'use1-az3' });
      assert.equal(byId.AvailabilityZone, 'us-east-1c');
      const both = await err(() => create('10.0.3.0/24', { AvailabilityZone: 'us-east-1a', AvailabilityZoneId: 'use1-az1' }));
      assert.equal(both.code, 'InvalidParameterCombination');
      const bad = await err(() => create('10.0.3.0/24', { AvailabilityZone: 'us-west-2a' }));
      assert.deepEqual(
        [bad.code, bad.message],
        [
          'InvalidParameterValue',
          'Value (us-west-2a) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f.',
        ],
      );
      const badId = await err(() => create('10.0.3.0/24', { AvailabilityZoneId: 'use1-az9' }));
      assert.equal(badId.code, 'InvalidParameterValue');
      assert.match(badId.message, /use1-az9/);
      // Without either, some zone of the region.
      const any = await create('10.0.3.0/24');
      assert.match(any.AvailabilityZone!, /^us-east-1[a-f]$/);
    });

    it('refuses an unknown or malformed VPC', async () => {
      const e = await err(() => ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/24' })));
      assert.deepEqual([e.code, e.message], ['InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist"]);
      assert.equal((await err(() => ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-?', CidrBlock: '10.0.0.0/24' })))).code, 'InvalidVpcID.Malformed');
    });

    it('associates the new subnet with the VPC\'s default network ACL', async () => {
      const s = await create('10.0.1.0/24');
      const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [s.SubnetId!] }] }))).NetworkAcls!;
      assert.equal(acls.length, 1);
      assert.equal(acls[0]!.IsDefault, true);
      assert.equal(acls[0]!.VpcId, vpc.VpcId);
    });

    it('takes an IPv6 /64 from the VPC\'s IPv6 block', async () => {
      const v6 = vpc.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock!;
      const base = v6.replace('/56', '');
      const block = `${base.replace(/::$/, '')}::/64`.replace(':::', '::');
      const s = await create('10.0.1.0/24', { Ipv6CidrBlock: block });
      assert.equal(s.Ipv6CidrBlockAssociationSet!.length, 1);
      assert.equal(s.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock, block);
      assert.equal(s.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlockState!.State, 'associated');
      const conflict = await err(() => create('10.0.2.0/24', { Ipv6CidrBlock: block }));
      assert.equal(conflict.code, 'InvalidSubnet.Conflict');
      const outside = await err(() => create('10.0.2.0/24', { Ipv6CidrBlock: '2001:db8::/64' }));
      assert.equal(outside.code, 'InvalidSubnet.Range');
    });

    it('allows 200 subnets per VPC by default, configurable (SubnetLimitExceeded)', async () => {
      srv.config.quotas.subnetsPerVpc = 3;
      for (let i = 0; i < 3; i++) await create(`10.0.${i}.0/24`);
      const e = await err(() => create('10.0.9.0/24'));
      assert.equal(e.code, 'SubnetLimitExceeded');
      assert.equal(e.status, 400);
      // The quota is per VPC.
      const other = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!;
      await ec2.send(new CreateSubnetCommand({ VpcId: other.VpcId!, CidrBlock: '10.1.0.0/24' }));
      assert.equal(DEFAULT_QUOTAS.subnetsPerVpc, 200);
    });

    it('tags the subnet from TagSpecifications', async () => {
      const s = await create('10.0.1.0/24', { TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'tier', Value: 'web' }] }] });
      assert.deepEqual(s.Tags, [{ Key: 'tier', Value: 'web' }]);
      const e = await err(() => create('10.0.2.0/24', { TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] }));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.deepEqual(await ids([{ Name: 'vpc-id', Values: [vpc.VpcId!] }]), [s.SubnetId]);
    });
  });

  describe('DescribeSubnets', () => {
    it('supports every documented filter and its aliases', async () => {
      const v6 = vpc.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock!.replace(/::\/56$/, '::/64');
      const a = await create('10.0.1.0/24', {
        AvailabilityZone: 'us-east-1a',
        Ipv6CidrBlock: v6,
        TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'web-a' }] }],
      });
      const b = await create('10.0.2.0/28', { AvailabilityZone: 'us-east-1b', TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'tier', Value: 'db' }] }] });
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: b.SubnetId!, MapPublicIpOnLaunch: { Value: true } }));
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: b.SubnetId!, EnableDns64: { Value: true } }));
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: b.SubnetId!, PrivateDnsHostnameTypeOnLaunch: 'resource-name' }));
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: b.SubnetId!, EnableResourceNameDnsARecordOnLaunch: { Value: true } }));
      const A = a.SubnetId!;
      const B = b.SubnetId!;
      const assoc = a.Ipv6CidrBlockAssociationSet![0]!;
      const mine = [{ Name: 'vpc-id', Values: [vpc.VpcId!] }];
      const cases: Array<[Filter[], string[]]> = [
        [[{ Name: 'availability-zone', Values: ['us-east-1a'] }], [A]],
        [[{ Name: 'availabilityZone', Values: ['us-east-1b'] }], [B]],
        [[{ Name: 'availability-zone-id', Values: ['use1-az1'] }], [A]],
        [[{ Name: 'availabilityZoneId', Values: ['use1-az2'] }], [B]],
        [[{ Name: 'available-ip-address-count', Values: ['11'] }], [B]],
        [[{ Name: 'cidr-block', Values: ['10.0.1.0/24'] }], [A]],
        [[{ Name: 'cidr', Values: ['10.0.2.0/28'] }], [B]],
        [[{ Name: 'cidrBlock', Values: ['10.0.*'] }], [A, B].sort()],
        [[{ Name: 'customer-owned-ipv4-pool', Values: ['*'] }], []],
        [[...mine, { Name: 'default-for-az', Values: ['false'] }], [A, B].sort()],
        [[...mine, { Name: 'defaultForAz', Values: ['true'] }], []],
        [[...mine, { Name: 'enable-dns64', Values: ['true'] }], [B]],
        [[{ Name: 'enable-lni-at-device-index', Values: ['*'] }], []],
        [[{ Name: 'ipv6-cidr-block-association.ipv6-cidr-block', Values: [v6] }], [A]],
        [[{ Name: 'ipv6-cidr-block-association.association-id', Values: [assoc.AssociationId!] }], [A]],
        [[{ Name: 'ipv6-cidr-block-association.state', Values: ['associated'] }], [A]],
        [[...mine, { Name: 'ipv6-native', Values: ['false'] }], [A, B].sort()],
        [[...mine, { Name: 'map-customer-owned-ip-on-launch', Values: ['false'] }], [A, B].sort()],
        [[...mine, { Name: 'map-public-ip-on-launch', Values: ['true'] }], [B]],
        [[{ Name: 'outpost-arn', Values: ['*'] }], []],
        [[...mine, { Name: 'owner-id', Values: ['000000000000'] }], [A, B].sort()],
        [[...mine, { Name: 'private-dns-name-options-on-launch.hostname-type', Values: ['resource-name'] }], [B]],
        [[...mine, { Name: 'private-dns-name-options-on-launch.enable-resource-name-dns-a-record', Values: ['true'] }], [B]],
        [[...mine, { Name: 'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record', Values: ['false'] }], [A, B].sort()],
        [[...mine, { Name: 'state', Values: ['available'] }], [A, B].sort()],
        [[{ Name: 'subnet-arn', Values: [a.SubnetArn!] }], [A]],
        [[{ Name: 'subnet-id', Values: [A, B] }], [A, B].sort()],
        [mine, [A, B].sort()],
        [[{ Name: 'tag:Name', Values: ['web-*'] }], [A]],
        [[{ Name: 'tag-key', Values: ['tier'] }], [B]],
        [[{ Name: 'tag-value', Values: ['db', 'web-a'] }], [A, B].sort()],
      ];
      // Each also with the VPC filter, leaving out the default VPC's subnets.
      for (const [filters, want] of cases) assert.deepEqual(await ids([...mine, ...filters]), want, JSON.stringify(filters));
      assert.equal((await ids([{ Name: 'availability-zone', Values: ['us-east-1a'] }])).length, 2);
      assert.equal((await ids([{ Name: 'default-for-az', Values: ['true'] }])).length, 6);
      const e = await err(() => ids([{ Name: 'subnet-name', Values: ['x'] }]));
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', "The filter 'subnet-name' is invalid"]);
    });

    it('describes the given IDs, refusing unknown and malformed ones', async () => {
      const a = await create('10.0.1.0/24');
      assert.deepEqual((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [a.SubnetId!] }))).Subnets!.map((s) => s.SubnetId), [a.SubnetId]);
      const e = await err(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [a.SubnetId!, 'subnet-0123456789abcdef0'] })));
      assert.deepEqual([e.code, e.message], ['InvalidSubnetID.NotFound', "The subnet ID 'subnet-0123456789abcdef0' does not exist"]);
      const m = await err(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['sub-123'] })));
      assert.deepEqual([m.code, m.message], ['InvalidSubnetID.Malformed', 'Invalid id: "sub-123" (expecting "subnet-...")']);
    });

    it('pages with MaxResults and NextToken', async () => {
      for (let i = 0; i < 7; i++) await create(`10.0.${i}.0/24`);
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await ec2.send(new DescribeSubnetsCommand({ MaxResults: 5, NextToken: token, Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }));
        seen.push(...page.Subnets!.map((s) => s.SubnetId!));
        token = page.NextToken;
      } while (token);
      assert.equal(new Set(seen).size, 7);
      // With the default VPC's six subnets: 13 in all.
      const all = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!;
      assert.equal(all.length, 13);
    });
  });

  describe('ModifySubnetAttribute', () => {
    it('changes one attribute at a time', async () => {
      const s = await create('10.0.1.0/24');
      const SubnetId = s.SubnetId!;
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId, MapPublicIpOnLaunch: { Value: true } }));
      assert.equal((await describe1(SubnetId)).MapPublicIpOnLaunch, true);
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId, MapPublicIpOnLaunch: { Value: false } }));
      assert.equal((await describe1(SubnetId)).MapPublicIpOnLaunch, false);
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId, EnableDns64: { Value: true } }));
      assert.equal((await describe1(SubnetId)).EnableDns64, true);
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId, PrivateDnsHostnameTypeOnLaunch: 'resource-name' }));
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId, EnableResourceNameDnsAAAARecordOnLaunch: { Value: true } }));
      assert.deepEqual((await describe1(SubnetId)).PrivateDnsNameOptionsOnLaunch, {
        HostnameType: 'resource-name',
        EnableResourceNameDnsARecord: false,
        EnableResourceNameDnsAAAARecord: true,
      });
      const two = await err(() =>
        ec2.send(new ModifySubnetAttributeCommand({ SubnetId, MapPublicIpOnLaunch: { Value: true }, EnableDns64: { Value: false } })),
      );
      assert.equal(two.code, 'InvalidParameterCombination');
      assert.equal((await describe1(SubnetId)).MapPublicIpOnLaunch, false);
      const none = await err(() => ec2.send(new ModifySubnetAttributeCommand({ SubnetId })));
      assert.equal(none.code, 'MissingParameter');
      const badType = await err(() => ec2.send(new ModifySubnetAttributeCommand({ SubnetId, PrivateDnsHostnameTypeOnLaunch: 'bogus' as 'ip-name' })));
      assert.equal(badType.code, 'InvalidParameterValue');
      assert.match(badType.message, /bogus/);
    });

    it('assigns IPv6 on creation only in a subnet with an IPv6 block', async () => {
      const s = await create('10.0.1.0/24');
      const e = await err(() => ec2.send(new ModifySubnetAttributeCommand({ SubnetId: s.SubnetId!, AssignIpv6AddressOnCreation: { Value: true } })));
      assert.equal(e.code, 'InvalidParameterValue');
      const v6 = vpc.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock!.replace(/::\/56$/, '::/64');
      const { Ipv6CidrBlockAssociation } = await ec2.send(new AssociateSubnetCidrBlockCommand({ SubnetId: s.SubnetId!, Ipv6CidrBlock: v6 }));
      assert.equal(Ipv6CidrBlockAssociation!.Ipv6CidrBlockState!.State, 'associating');
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: s.SubnetId!, AssignIpv6AddressOnCreation: { Value: true } }));
      assert.equal((await describe1(s.SubnetId!)).AssignIpv6AddressOnCreation, true);
      // Removing the block turns the attribute off.
      await ec2.send(new DisassociateSubnetCidrBlockCommand({ AssociationId: Ipv6CidrBlockAssociation!.AssociationId! }));
      const after1 = await describe1(s.SubnetId!);
      assert.equal(after1.AssignIpv6AddressOnCreation, false);
      assert.deepEqual(after1.Ipv6CidrBlockAssociationSet, []);
    });

    it('refuses an unknown subnet', async () => {
      const e = await err(() => ec2.send(new ModifySubnetAttributeCommand({ SubnetId: 'subnet-0123456789abcdef0', MapPublicIpOnLaunch: { Value: true } })));
      assert.equal(e.code, 'InvalidSubnetID.NotFound');
    });
  });

  describe('DeleteSubnet', () => {
    it('deletes the subnet and frees its block', async () => {
      const s = await create('10.0.1.0/24');
      await ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId! }));
      assert.equal((await err(() => describe1(s.SubnetId!))).code, 'InvalidSubnetID.NotFound');
      const again = await create('10.0.1.0/24');
      assert.notEqual(again.SubnetId, s.SubnetId);
      // It left the default network ACL.
      const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [s.SubnetId!] }] }))).NetworkAcls!;
      assert.deepEqual(acls, []);
    });

    it('refuses unknown, malformed and missing IDs', async () => {
      const e = await err(() => ec2.send(new DeleteSubnetCommand({ SubnetId: 'subnet-0123456789abcdef0' })));
      assert.deepEqual([e.code, e.message], ['InvalidSubnetID.NotFound', "The subnet ID 'subnet-0123456789abcdef0' does not exist"]);
      assert.equal((await err(() => ec2.send(new DeleteSubnetCommand({ SubnetId: 'subnet-zz' })))).code, 'InvalidSubnetID.Malformed');
      assert.equal((await err(() => ec2.send(new DeleteSubnetCommand({ SubnetId: '' })))).code, 'MissingParameter');
    });
  });
});
