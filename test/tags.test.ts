/**
 * Tags: CreateTags, DeleteTags, DescribeTags, TagSpecifications, and the tag restrictions.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeDhcpOptionsCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type Filter,
  type Tag,
  type TagDescription,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('tags', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let subnetId: string;

  const tagsOf = async (id: string): Promise<Tag[]> => {
    const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
    return Tags!.map((t) => ({ Key: t.Key, Value: t.Value })).sort((a, b) => a.Key!.localeCompare(b.Key!));
  };
  const vpcTags = async (id: string): Promise<Tag[] | undefined> => (await ec2.send(new DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs![0]!.Tags;
  const tag = (Resources: string[], Tags: Tag[]) => ec2.send(new CreateTagsCommand({ Resources, Tags }));
  const untag = (Resources: string[], Tags?: Tag[]) => ec2.send(new DeleteTagsCommand({ Resources, Tags }));
  const describeTags = async (Filters: Filter[], MaxResults?: number): Promise<TagDescription[]> =>
    (await ec2.send(new DescribeTagsCommand({ Filters, MaxResults }))).Tags!;
  const key = (d: TagDescription) => `${d.ResourceId}/${d.Key}=${d.Value}`;
  const many = (n: number, prefix = 'k'): Tag[] => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(async () => {
    await srv.reset();
    srv.config.quotas = { ...DEFAULT_QUOTAS };
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))).Subnet!.SubnetId!;
  });

  describe('CreateTags', () => {
    it('tags several resources at once and overwrites a key\'s value', async () => {
      await tag([vpcId, subnetId], [{ Key: 'Name', Value: 'one' }, { Key: 'env', Value: 'dev' }]);
      await tag([vpcId], [{ Key: 'Name', Value: 'two' }]);
      assert.deepEqual(await tagsOf(vpcId), [{ Key: 'env', Value: 'dev' }, { Key: 'Name', Value: 'two' }]);
      assert.deepEqual(await tagsOf(subnetId), [{ Key: 'env', Value: 'dev' }, { Key: 'Name', Value: 'one' }]);
      const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets![0]!;
      assert.deepEqual(subnet.Tags, [{ Key: 'Name', Value: 'one' }, { Key: 'env', Value: 'dev' }]);
    });

    it('stores a tag without a value with the value ""', async () => {
      await tag([vpcId], [{ Key: 'flag' }]);
      assert.deepEqual(await vpcTags(vpcId), [{ Key: 'flag', Value: '' }]);
      await tag([vpcId], [{ Key: 'flag', Value: 'set' }]);
      await tag([vpcId], [{ Key: 'flag', Value: '' }]);
      assert.deepEqual(await vpcTags(vpcId), [{ Key: 'flag', Value: '' }]);
    });

    it('tags the resources a VPC comes with', async () => {
      const byVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
      const rtb = (await ec2.send(new DescribeRouteTablesCommand({ Filters: byVpc }))).RouteTables![0]!.RouteTableId!;
      const acl = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: byVpc }))).NetworkAcls![0]!.NetworkAclId!;
      const sg = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byVpc }))).SecurityGroups![0]!.GroupId!;
      const igw = (await ec2.send(new DescribeInternetGatewaysCommand({}))).InternetGateways![0]!.InternetGatewayId!;
      const dopt = (await ec2.send(new DescribeDhcpOptionsCommand({}))).DhcpOptions![0]!.DhcpOptionsId!;
      await tag([rtb, acl, sg, igw, dopt], [{ Key: 'owner', Value: 'me' }]);
      const got = await describeTags([{ Name: 'key', Values: ['owner'] }]);
      assert.deepEqual(
        got.map((d) => [d.ResourceId, d.ResourceType]).sort(),
        [
          [rtb, 'route-table'],
          [acl, 'network-acl'],
          [sg, 'security-group'],
          [igw, 'internet-gateway'],
          [dopt, 'dhcp-options'],
        ].sort(),
      );
    });

    it('refuses an ID of no taggable kind, or of a malformed shape, with InvalidID', async () => {
      for (const id of ['foo-0123456789abcdef0', 'nope', 'vpc-xyz', 'subnet-12']) {
        const e = await apiError(() => tag([id], [{ Key: 'a', Value: 'b' }]));
        assert.deepEqual([e.code, e.message], ['InvalidID', `The ID '${id}' is not valid`], id);
      }
    });

    it('refuses a resource that does not exist with its NotFound code, changing nothing', async () => {
      const e = await apiError(() => tag([vpcId, 'vpc-0123456789abcdef0'], [{ Key: 'a', Value: 'b' }]));
      assert.deepEqual([e.code, e.message], ['InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist"]);
      assert.equal(await vpcTags(vpcId), undefined);
      const s = await apiError(() => tag(['subnet-0123456789abcdef0'], [{ Key: 'a', Value: 'b' }]));
      assert.equal(s.code, 'InvalidSubnetID.NotFound');
    });

    it('needs resources and tags', async () => {
      assert.equal((await apiError(() => tag([], [{ Key: 'a', Value: 'b' }]))).code, 'MissingParameter');
      assert.equal((await apiError(() => tag([vpcId], []))).code, 'MissingParameter');
    });
  });

  describe('restrictions', () => {
    it('allows 50 tags per resource (TagLimitExceeded), counting the resulting set', async () => {
      await tag([vpcId], many(50));
      assert.equal((await tagsOf(vpcId)).length, 50);
      // Changing the value of an existing key at the limit is fine.
      await tag([vpcId], [{ Key: 'k0', Value: 'changed' }]);
      const e = await apiError(() => tag([vpcId], [{ Key: 'one-more', Value: 'x' }]));
      assert.deepEqual([e.code, e.message], ['TagLimitExceeded', 'The resultant tag set must not have more than 50 user tags.']);
      assert.equal((await tagsOf(vpcId)).length, 50);
      assert.equal((await apiError(() => tag([subnetId], many(51)))).code, 'TagLimitExceeded');
      const spec = await apiError(() =>
        ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: many(51) }] })),
      );
      assert.equal(spec.code, 'TagLimitExceeded');
    });

    it('takes the tag limit from the configuration', async () => {
      srv.config.quotas.tagsPerResource = 2;
      await tag([vpcId], many(2));
      assert.equal((await apiError(() => tag([vpcId], [{ Key: 'x', Value: 'y' }]))).code, 'TagLimitExceeded');
    });

    it('allows keys of 128 and values of 256 Unicode characters', async () => {
      const k128 = '🔑'.repeat(128);
      const v256 = 'é'.repeat(256);
      await tag([vpcId], [{ Key: k128, Value: v256 }]);
      assert.deepEqual(await vpcTags(vpcId), [{ Key: k128, Value: v256 }]);
      const longKey = await apiError(() => tag([vpcId], [{ Key: 'k'.repeat(129), Value: 'v' }]));
      assert.deepEqual([longKey.code, longKey.message], ['InvalidParameterValue', 'Tag key exceeds the maximum length of 128 characters']);
      const longValue = await apiError(() => tag([vpcId], [{ Key: 'k', Value: 'v'.repeat(257) }]));
      assert.deepEqual([longValue.code, longValue.message], ['InvalidParameterValue', 'Tag value exceeds the maximum length of 256 characters']);
    });

    it('reserves keys starting with aws: in any case', async () => {
      for (const k of ['aws:cloudformation:stack-name', 'AWS:x', 'Aws:']) {
        const e = await apiError(() => tag([vpcId], [{ Key: k, Value: 'v' }]));
        assert.deepEqual(
          [e.code, e.message],
          ['InvalidParameterValue', `Value ( ${k} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`],
        );
      }
      const del = await apiError(() => untag([vpcId], [{ Key: 'aws:x' }]));
      assert.equal(del.code, 'InvalidParameterValue');
      const spec = await apiError(() =>
        ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'aws:x', Value: 'v' }] }] })),
      );
      assert.deepEqual([spec.code, spec.message], ['InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use"]);
      // Only the prefix is reserved.
      await tag([vpcId], [{ Key: 'awsome', Value: 'v' }, { Key: 'my:aws:key', Value: 'v' }]);
      assert.equal((await tagsOf(vpcId)).length, 2);
    });

    it('refuses an empty key', async () => {
      const e = await apiError(() => tag([vpcId], [{ Key: '', Value: 'v' }]));
      assert.equal(e.code, 'InvalidTagKey.Malformed');
    });
  });

  describe('TagSpecifications', () => {
    it('refuses a resource type the operation does not create', async () => {
      const e = await apiError(() =>
        ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }] })),
      );
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', "'instance' is not a valid taggable resource type for this operation."]);
      assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.length, 2);
    });

    it('needs at least one tag, each with a value', async () => {
      const empty = await apiError(() => ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [] }] })));
      assert.deepEqual([empty.code, empty.message], ['InvalidParameterValue', 'Tag specification must have at least one tag']);
      const nullValue = await apiError(() =>
        ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a' }] }] })),
      );
      assert.deepEqual([nullValue.code, nullValue.message], ['InvalidParameterValue', 'Tag value cannot be null. Use empty string instead.']);
      const { Vpc } = await ec2.send(
        new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: '' }] }] }),
      );
      assert.deepEqual(Vpc!.Tags, [{ Key: 'a', Value: '' }]);
    });

    it('needs a resource type', async () => {
      const e = await apiError(() => ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ Tags: [{ Key: 'a', Value: 'b' }] }] })));
      assert.equal(e.code, 'MissingParameter');
    });
  });

  describe('DeleteTags', () => {
    beforeEach(async () => {
      await tag([vpcId], [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }, { Key: 'c', Value: '' }, { Key: 'd', Value: '4' }]);
    });

    it('deletes a key whatever its value when no value is given', async () => {
      await untag([vpcId], [{ Key: 'a' }]);
      assert.deepEqual((await tagsOf(vpcId)).map((t) => t.Key), ['b', 'c', 'd']);
    });

    it('deletes a key with a value only when the value matches', async () => {
      await untag([vpcId], [{ Key: 'b', Value: 'other' }]);
      assert.deepEqual((await tagsOf(vpcId)).map((t) => t.Key), ['a', 'b', 'c', 'd']);
      await untag([vpcId], [{ Key: 'b', Value: '2' }]);
      assert.deepEqual((await tagsOf(vpcId)).map((t) => t.Key), ['a', 'c', 'd']);
    });

    it('with the value "" deletes only a tag whose value is ""', async () => {
      await untag([vpcId], [{ Key: 'd', Value: '' }]);
      assert.deepEqual((await tagsOf(vpcId)).map((t) => t.Key), ['a', 'b', 'c', 'd']);
      await untag([vpcId], [{ Key: 'c', Value: '' }]);
      assert.deepEqual((await tagsOf(vpcId)).map((t) => t.Key), ['a', 'b', 'd']);
    });

    it('deletes every tag when no tags are given', async () => {
      await tag([subnetId], [{ Key: 'keep', Value: 'me' }]);
      await untag([vpcId]);
      assert.deepEqual(await tagsOf(vpcId), []);
      assert.equal(await vpcTags(vpcId), undefined);
      assert.deepEqual(await tagsOf(subnetId), [{ Key: 'keep', Value: 'me' }]);
    });

    it('ignores keys the resource does not have', async () => {
      await untag([vpcId], [{ Key: 'zzz' }]);
      assert.equal((await tagsOf(vpcId)).length, 4);
    });

    it('refuses unknown and invalid resources', async () => {
      assert.equal((await apiError(() => untag(['vpc-0123456789abcdef0'], [{ Key: 'a' }]))).code, 'InvalidVpcID.NotFound');
      assert.equal((await apiError(() => untag(['bogus-1'], [{ Key: 'a' }]))).code, 'InvalidID');
      assert.equal((await apiError(() => untag([]))).code, 'MissingParameter');
    });
  });

  describe('DescribeTags', () => {
    beforeEach(async () => {
      await tag([vpcId], [{ Key: 'Name', Value: 'main' }, { Key: 'env', Value: 'prod' }]);
      await tag([subnetId], [{ Key: 'Name', Value: 'web' }, { Key: 'tier', Value: 'public' }]);
    });

    it('lists every tag with its resource', async () => {
      const all = await describeTags([]);
      assert.deepEqual(
        all.map(key).sort(),
        [`${vpcId}/Name=main`, `${vpcId}/env=prod`, `${subnetId}/Name=web`, `${subnetId}/tier=public`].sort(),
      );
      const vpcTag = all.find((d) => d.ResourceId === vpcId && d.Key === 'Name')!;
      assert.deepEqual(vpcTag, { Key: 'Name', Value: 'main', ResourceId: vpcId, ResourceType: 'vpc' });
      assert.equal(all.find((d) => d.ResourceId === subnetId)!.ResourceType, 'subnet');
    });

    it('supports the documented filters', async () => {
      const cases: Array<[Filter[], string[]]> = [
        [[{ Name: 'key', Values: ['Name'] }], [`${vpcId}/Name=main`, `${subnetId}/Name=web`]],
        [[{ Name: 'key', Values: ['t*'] }], [`${subnetId}/tier=public`]],
        [[{ Name: 'value', Values: ['prod', 'web'] }], [`${vpcId}/env=prod`, `${subnetId}/Name=web`]],
        [[{ Name: 'resource-id', Values: [subnetId] }], [`${subnetId}/Name=web`, `${subnetId}/tier=public`]],
        [[{ Name: 'resource-type', Values: ['vpc'] }], [`${vpcId}/Name=main`, `${vpcId}/env=prod`]],
        [[{ Name: 'resource-type', Values: ['route-table'] }], []],
        // tag:<key> selects resources with that tag, and lists their tags.
        [[{ Name: 'tag:tier', Values: ['public'] }], [`${subnetId}/Name=web`, `${subnetId}/tier=public`]],
        [[{ Name: 'tag:Name', Values: ['main'] }, { Name: 'key', Values: ['env'] }], [`${vpcId}/env=prod`]],
        [[{ Name: 'key', Values: ['Name'] }, { Name: 'value', Values: ['w?b'] }], [`${subnetId}/Name=web`]],
      ];
      for (const [filters, want] of cases) assert.deepEqual((await describeTags(filters)).map(key).sort(), want.sort(), JSON.stringify(filters));
      const e = await apiError(() => describeTags([{ Name: 'resource', Values: ['x'] }]));
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', "The filter 'resource' is invalid"]);
    });

    it('pages with MaxResults and NextToken', async () => {
      await tag([subnetId], many(10, 'extra'));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await ec2.send(new DescribeTagsCommand({ MaxResults: 5, NextToken: token }));
        assert.ok(page.Tags!.length <= 5);
        seen.push(...page.Tags!.map(key));
        token = page.NextToken;
      } while (token);
      assert.equal(seen.length, 14);
      assert.equal(new Set(seen).size, 14);
    });

    it('shows only the calling account\'s tags', async () => {
      const other = srv.ec2({ accessKeyId: '999999999999' });
      assert.deepEqual((await other.send(new DescribeTagsCommand({}))).Tags, []);
      const e = await apiError(() => other.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'a', Value: 'b' }] })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
    });
  });
});
