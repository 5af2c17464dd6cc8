import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AssociateDhcpOptionsCommand,
  CreateDhcpOptionsCommand,
  CreateVpcCommand,
  DeleteDhcpOptionsCommand,
  DeleteVpcCommand,
  DescribeDhcpOptionsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type NewDhcpConfiguration,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

async function create(ec2: EC2Client, configs: NewDhcpConfiguration[], name?: string): Promise<string> {
  const { DhcpOptions } = await ec2.send(
    new CreateDhcpOptionsCommand({
      DhcpConfigurations: configs,
      TagSpecifications: name ? [{ ResourceType: 'dhcp-options', Tags: [{ Key: 'Name', Value: name }] }] : undefined,
    }),
  );
  return DhcpOptions!.DhcpOptionsId!;
}

async function defaultVpc(ec2: EC2Client) {
  const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  return Vpcs![0];
}

describe('DHCP options', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('has a default set per region, used by the default VPC', async () => {
    const vpc = await defaultVpc(ec2);
    const { DhcpOptions } = await ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [vpc!.DhcpOptionsId!] }));
    assert.equal(DhcpOptions!.length, 1);
    assert.match(DhcpOptions![0]!.DhcpOptionsId!, /^dopt-[0-9a-f]{17}$/);
    assert.equal(DhcpOptions![0]!.OwnerId, '000000000000');
    assert.deepEqual(DhcpOptions![0]!.DhcpConfigurations, [
      { Key: 'domain-name', Values: [{ Value: 'ec2.internal' }] },
      { Key: 'domain-name-servers', Values: [{ Value: 'AmazonProvidedDNS' }] },
    ]);
    const west = srv.ec2({ region: 'eu-west-1' });
    const { DhcpOptions: w } = await west.send(new DescribeDhcpOptionsCommand({}));
    assert.equal(w!.length, 1);
    assert.deepEqual(w![0]!.DhcpConfigurations![0], { Key: 'domain-name', Values: [{ Value: 'eu-west-1.compute.internal' }] });
  });

  it('creates a set with every option, and splits comma-separated server lists', async () => {
    const { DhcpOptions } = await ec2.send(
      new CreateDhcpOptionsCommand({
        DhcpConfigurations: [
          { Key: 'domain-name', Values: ['corp.example.com'] },
          { Key: 'domain-name-servers', Values: ['10.0.0.2,10.0.0.3', 'AmazonProvidedDNS'] },
          { Key: 'ntp-servers', Values: ['169.254.169.123', 'fd00:ec2::123'] },
          { Key: 'netbios-name-servers', Values: ['10.0.0.4'] },
          { Key: 'netbios-node-type', Values: ['2'] },
          { Key: 'ipv6-address-preferred-lease-time', Values: ['3600'] },
        ],
        TagSpecifications: [{ ResourceType: 'dhcp-options', Tags: [{ Key: 'Name', Value: 'corp' }] }],
      }),
    );
    assert.match(DhcpOptions!.DhcpOptionsId!, /^dopt-[0-9a-f]{17}$/);
    assert.equal(DhcpOptions!.OwnerId, '000000000000');
    assert.deepEqual(DhcpOptions!.Tags, [{ Key: 'Name', Value: 'corp' }]);
    assert.deepEqual(DhcpOptions!.DhcpConfigurations, [
      { Key: 'domain-name', Values: [{ Value: 'corp.example.com' }] },
      { Key: 'domain-name-servers', Values: [{ Value: '10.0.0.2' }, { Value: '10.0.0.3' }, { Value: 'AmazonProvidedDNS' }] },
      { Key: 'ntp-servers', Values: [{ Value: '169.254.169.123' }, { Value: 'fd00:ec2::123' }] },
      { Key: 'netbios-name-servers', Values: [{ Value: '10.0.0.4' }] },
      { Key: 'netbios-node-type', Values: [{ Value: '2' }] },
      { Key: 'ipv6-address-preferred-lease-time', Values: [{ Value: '3600' }] },
    ]);
    const { DhcpOptions: again } = await ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [DhcpOptions!.DhcpOptionsId!] }));
    assert.deepEqual(again![0], DhcpOptions);
    await ec2.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: DhcpOptions!.DhcpOptionsId }));
  });

  it('rejects invalid keys and values', async () => {
    const bad: NewDhcpConfiguration[][] = [
      [{ Key: 'routers', Values: ['10.0.0.1'] }],
      [{ Key: 'domain-name-servers', Values: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'] }],
      [{ Key: 'domain-name-servers', Values: ['dns.example.com'] }],
      [{ Key: 'ntp-servers', Values: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5'] }],
      [{ Key: 'ntp-servers', Values: ['time.example.com'] }],
      [{ Key: 'netbios-name-servers', Values: ['fd00::1'] }],
      [{ Key: 'netbios-node-type', Values: ['3'] }],
      [{ Key: 'netbios-node-type', Values: ['1', '2'] }],
      [{ Key: 'ipv6-address-preferred-lease-time', Values: ['139'] }],
      [{ Key: 'ipv6-address-preferred-lease-time', Values: ['2147483648'] }],
      [{ Key: 'domain-name', Values: ['bad_domain!'] }],
      [{ Key: 'domain-name', Values: [] }],
      [
        { Key: 'domain-name', Values: ['a.example'] },
        { Key: 'domain-name', Values: ['b.example'] },
      ],
    ];
    for (const configs of bad) {
      const e = await apiError(() => ec2.send(new CreateDhcpOptionsCommand({ DhcpConfigurations: configs })));
      assert.equal(e.code, 'InvalidParameterValue', JSON.stringify(configs));
    }
    const unknown = await apiError(() => ec2.send(new CreateDhcpOptionsCommand({ DhcpConfigurations: [{ Key: 'routers', Values: ['x'] }] })));
    assert.match(unknown.message, /routers/);
    assert.equal(await errorCode(() => ec2.send(new CreateDhcpOptionsCommand({ DhcpConfigurations: [] }))), 'MissingParameter');
    const { DhcpOptions } = await ec2.send(new DescribeDhcpOptionsCommand({}));
    assert.equal(DhcpOptions!.length, 1, 'nothing but the default set was created');
  });

  it('associates a set with a VPC, resets to none with "default", and refuses deleting a set in use', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
    const vpcId = Vpc!.VpcId!;
    const defaultSet = Vpc!.DhcpOptionsId!;
    const custom = await create(ec2, [{ Key: 'domain-name-servers', Values: ['10.30.0.2'] }]);

    await ec2.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: custom, VpcId: vpcId }));
    const read = async () => (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0]!.DhcpOptionsId;
    assert.equal(await read(), custom);
    const byFilter = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'dhcp-options-id', Values: [custom] }] }));
    assert.deepEqual(byFilter.Vpcs!.map((v) => v.VpcId), [vpcId]);

    const inUse = await apiError(() => ec2.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: custom })));
    assert.equal(inUse.code, 'DependencyViolation');
    assert.equal(inUse.message, `The dhcpOptions '${custom}' has dependencies and cannot be deleted.`);

    await ec2.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: 'default', VpcId: vpcId }));
    assert.equal(await read(), 'default');
    await ec2.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: custom }));
    assert.equal(
      await errorCode(() => ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [custom] }))),
      'InvalidDhcpOptionID.NotFound',
    );

    await ec2.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: defaultSet, VpcId: vpcId }));
    assert.equal(await read(), defaultSet);
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
  });

  it('answers unknown and malformed IDs', async () => {
    const unknown = 'dopt-0123456789abcdef0';
    const nf = await apiError(() => ec2.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: unknown })));
    assert.equal(nf.code, 'InvalidDhcpOptionID.NotFound');
    assert.equal(nf.message, `The dhcpOption ID '${unknown}' does not exist`);
    const vpc = await defaultVpc(ec2);
    assert.equal(
      await errorCode(() => ec2.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: unknown, VpcId: vpc!.VpcId }))),
      'InvalidDhcpOptionID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: 'default', VpcId: 'vpc-0123456789abcdef0' }))),
      'InvalidVpcID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: ['dopt-zz'] }))),
      'InvalidDhcpOptionID.Malformed',
    );
  });

  it('filters and paginates DescribeDhcpOptions', async () => {
    const a = await create(ec2, [{ Key: 'domain-name', Values: ['a.example'] }, { Key: 'netbios-node-type', Values: ['2'] }], 'alpha');
    const b = await create(ec2, [{ Key: 'ntp-servers', Values: ['10.0.0.9'] }], 'beta');
    const ids = async (Filters: Array<{ Name: string; Values: string[] }>) =>
      (await ec2.send(new DescribeDhcpOptionsCommand({ Filters }))).DhcpOptions!.map((d) => d.DhcpOptionsId).sort();
    assert.deepEqual(await ids([{ Name: 'dhcp-options-id', Values: [a] }]), [a]);
    assert.deepEqual(await ids([{ Name: 'key', Values: ['ntp-servers'] }]), [b]);
    assert.deepEqual(await ids([{ Name: 'value', Values: ['a.exam*'] }]), [a]);
    assert.deepEqual(await ids([{ Name: 'key', Values: ['netbios-node-type'] }, { Name: 'value', Values: ['2'] }]), [a]);
    assert.deepEqual(await ids([{ Name: 'tag:Name', Values: ['beta'] }]), [b]);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['Name'] }]), [a, b].sort());
    assert.deepEqual(await ids([{ Name: 'tag-value', Values: ['alpha'] }]), [a]);
    assert.equal((await ids([{ Name: 'owner-id', Values: ['000000000000'] }])).length, 3);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeDhcpOptionsCommand({ Filters: [{ Name: 'domain-name', Values: ['x'] }] }))),
      'InvalidParameterValue',
    );

    const more = [];
    for (let i = 0; i < 4; i++) more.push(await create(ec2, [{ Key: 'domain-name', Values: [`m${i}.example`] }]));
    const p1 = await ec2.send(new DescribeDhcpOptionsCommand({ MaxResults: 5 }));
    assert.equal(p1.DhcpOptions!.length, 5);
    assert.ok(p1.NextToken);
    const p2 = await ec2.send(new DescribeDhcpOptionsCommand({ MaxResults: 5, NextToken: p1.NextToken }));
    assert.equal(p2.DhcpOptions!.length, 2);
    assert.equal(p2.NextToken, undefined);
    for (const id of [a, b, ...more]) await ec2.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: id }));
  });

  it('lets the unused default set be deleted; later VPCs then get no set', async () => {
    const ec2w = srv.ec2({ region: 'us-west-2' });
    const vpc = await defaultVpc(ec2w);
    const defaultSet = vpc!.DhcpOptionsId!;
    assert.equal(
      await errorCode(() => ec2w.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: defaultSet }))),
      'DependencyViolation',
    );
    await ec2w.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: 'default', VpcId: vpc!.VpcId }));
    await ec2w.send(new DeleteDhcpOptionsCommand({ DhcpOptionsId: defaultSet }));
    const { DhcpOptions } = await ec2w.send(new DescribeDhcpOptionsCommand({}));
    assert.deepEqual(DhcpOptions, []);
    const { Vpc } = await ec2w.send(new CreateVpcCommand({ CidrBlock: '10.31.0.0/16' }));
    assert.equal(Vpc!.DhcpOptionsId, 'default');
    const again = await ec2w.send(new DescribeDhcpOptionsCommand({}));
    assert.deepEqual(again.DhcpOptions, [], 'the default set is not re-created');
    await ec2w.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }));
  });
});

describe('DHCP options quota', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, dhcpOptionsSetsPerRegion: 2 } });
  });
  after(() => srv.close());

  it('counts the default set', async () => {
    const ec2 = srv.ec2();
    await create(ec2, [{ Key: 'domain-name', Values: ['one.example'] }]);
    const e = await apiError(() => ec2.send(new CreateDhcpOptionsCommand({ DhcpConfigurations: [{ Key: 'domain-name', Values: ['two.example'] }] })));
    assert.equal(e.code, 'DhcpOptionsLimitExceeded');
  });
});

