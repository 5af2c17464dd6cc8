import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfaceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  ResetNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { apiError, errorCode, startTestServer, type TestServer, inside } from './helpers.js';
import {
  createRequesterManagedInterface,
  deleteRequesterManagedInterface,
} from '../src/services/ec2/network-interfaces.js';

const AL2023 = 'ami-0a2023c0ffee0a864';
const ACCOUNT = '000000000000';


describe('network interfaces', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let subnetId: string; // 10.20.1.0/24 in us-east-1a
  let otherAzSubnet: string; // 10.20.2.0/24 in us-east-1b
  let otherVpcGroup: string;
  let n = 0;

  const available = async (id: string) =>
    (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets![0]!.AvailableIpAddressCount!;
  const eni = async (id: string) =>
    (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))).NetworkInterfaces![0]!;
  const group = async (vpc = vpcId) =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `eni-g${++n}`, Description: 'test', VpcId: vpc }))).GroupId!;
  const create = async (input: Partial<ConstructorParameters<typeof CreateNetworkInterfaceCommand>[0]> = {}) =>
    (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, ...input }))).NetworkInterface!;
  const launch = async (subnet = subnetId, type = 't3.micro') =>
    (await ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1, SubnetId: subnet, InstanceType: type as 't3.micro' })))
      .Instances![0]!;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24', AvailabilityZone: 'us-east-1a' })))
      .Subnet!.SubnetId!;
    otherAzSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.2.0/24', AvailabilityZone: 'us-east-1b' })))
      .Subnet!.SubnetId!;
    const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.21.0.0/16' }))).Vpc!.VpcId!;
    otherVpcGroup = await group(otherVpc);
  });
  after(() => srv.close());

  it('creates an interface with an address from the subnet and the VPC default group', async () => {
    const before = await available(subnetId);
    const e = await create({
      Description: 'web',
      TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'Name', Value: 'web-eni' }] }],
    });
    assert.match(e.NetworkInterfaceId!, /^eni-[0-9a-f]{17}$/);
    assert.equal(e.Status, 'available');
    assert.equal(e.SubnetId, subnetId);
    assert.equal(e.VpcId, vpcId);
    assert.equal(e.AvailabilityZone, 'us-east-1a');
    assert.equal(e.Description, 'web');
    assert.equal(e.OwnerId, ACCOUNT);
    assert.equal(e.RequesterManaged, false);
    assert.equal(e.SourceDestCheck, true);
    assert.equal(e.InterfaceType, 'interface');
    assert.match(e.MacAddress!, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const ip = e.PrivateIpAddress!;
    assert.match(ip, /^10\.20\.1\.\d+$/);
    assert.ok(Number(ip.split('.')[3]) >= 4, 'never one of the reserved addresses');
    assert.equal(e.PrivateDnsName, `ip-${ip.replace(/\./g, '-')}.ec2.internal`);
    assert.deepEqual(e.PrivateIpAddresses, [{ Primary: true, PrivateIpAddress: ip, PrivateDnsName: e.PrivateDnsName }]);
    assert.equal(e.Groups!.length, 1);
    assert.equal(e.Groups![0]!.GroupName, 'default');
    assert.deepEqual(e.TagSet, [{ Key: 'Name', Value: 'web-eni' }]);
    assert.equal(await available(subnetId), before - 1);
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId }));
    assert.equal(await available(subnetId), before);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [e.NetworkInterfaceId!] }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('fits exactly 11 interfaces in a /28 and never hands out a reserved address', async () => {
    const small = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.3.0/28', AvailabilityZone: 'us-east-1a' })))
      .Subnet!;
    assert.equal(small.AvailableIpAddressCount, 11);
    for (const reserved of ['10.20.3.0', '10.20.3.1', '10.20.3.2', '10.20.3.3', '10.20.3.15']) {
      const err = await apiError(() => create({ SubnetId: small.SubnetId, PrivateIpAddress: reserved }));
      assert.equal(err.code, 'InvalidParameterValue', reserved);
    }
    assert.equal(await errorCode(() => create({ SubnetId: small.SubnetId, PrivateIpAddress: '10.20.4.9' })), 'InvalidParameterValue');
    const ips: string[] = [];
    for (let i = 0; i < 11; i++) {
      const e = await create({ SubnetId: small.SubnetId });
      ips.push(e.PrivateIpAddress!);
      assert.equal(await available(small.SubnetId!), 10 - i);
    }
    assert.deepEqual(ips.map((ip) => Number(ip.split('.')[3])).sort((a, b) => a - b), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    assert.equal(await errorCode(() => create({ SubnetId: small.SubnetId })), 'InsufficientFreeAddressesInSubnet');
    const all = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [small.SubnetId!] }] }));
    for (const e of all.NetworkInterfaces!) await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId }));
    assert.equal(await available(small.SubnetId!), 11);
  });

  it('honours an explicit address, and refuses one in use', async () => {
    const e = await create({ PrivateIpAddress: '10.20.1.200' });
    assert.equal(e.PrivateIpAddress, '10.20.1.200');
    const err = await apiError(() => create({ PrivateIpAddress: '10.20.1.200' }));
    assert.equal(err.code, 'InvalidIPAddress.InUse');
    assert.match(err.message, /10\.20\.1\.200/);
  });

  it('takes secondary addresses from a list or a count', async () => {
    const before = await available(subnetId);
    const listed = await create({
      PrivateIpAddresses: [
        { PrivateIpAddress: '10.20.1.210', Primary: true },
        { PrivateIpAddress: '10.20.1.211', Primary: false },
      ],
    });
    assert.equal(listed.PrivateIpAddress, '10.20.1.210');
    assert.deepEqual(
      listed.PrivateIpAddresses!.map((p) => [p.PrivateIpAddress, p.Primary]),
      [
        ['10.20.1.210', true],
        ['10.20.1.211', false],
      ],
    );
    const counted = await create({ SecondaryPrivateIpAddressCount: 3 });
    assert.equal(counted.PrivateIpAddresses!.length, 4);
    assert.equal(counted.PrivateIpAddresses!.filter((p) => p.Primary).length, 1);
    assert.equal(await available(subnetId), before - 6);
    assert.equal(
      await errorCode(() =>
        create({
          PrivateIpAddresses: [
            { PrivateIpAddress: '10.20.1.220', Primary: true },
            { PrivateIpAddress: '10.20.1.221', Primary: true },
          ],
        }),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => create({ PrivateIpAddresses: [{ PrivateIpAddress: '10.20.1.222', Primary: false }], SecondaryPrivateIpAddressCount: 1 })),
      'InvalidParameterCombination',
    );
  });

  it('names private DNS per region', async () => {
    const west = srv.ec2({ region: 'eu-west-1' });
    const v = (await west.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
    const s = (await west.send(new CreateSubnetCommand({ VpcId: v, CidrBlock: '10.30.0.0/24' }))).Subnet!.SubnetId!;
    const e = (await west.send(new CreateNetworkInterfaceCommand({ SubnetId: s }))).NetworkInterface!;
    assert.equal(e.PrivateDnsName, `ip-${e.PrivateIpAddress!.replace(/\./g, '-')}.eu-west-1.compute.internal`);
  });

  it('checks security groups: existence, network, quota', async () => {
    const g1 = await group();
    const e = await create({ Groups: [g1] });
    assert.deepEqual(e.Groups!.map((g) => g.GroupId), [g1]);
    assert.equal(await errorCode(() => create({ Groups: ['sg-0123456789abcdef0'] })), 'InvalidGroup.NotFound');
    assert.equal(await errorCode(() => create({ Groups: ['nope'] })), 'InvalidGroupId.Malformed');
    const other = await apiError(() => create({ Groups: [otherVpcGroup] }));
    assert.equal(other.code, 'InvalidParameter');
    assert.match(other.message, /belong to different networks/);
    const six = [g1, await group(), await group(), await group(), await group(), await group()];
    const limit = await apiError(() => create({ Groups: six }));
    assert.equal(limit.code, 'SecurityGroupsPerInterfaceLimitExceeded');
    assert.equal(limit.message, 'The maximum number of security groups per interface has been reached.');
    assert.equal((await create({ Groups: six.slice(0, 5) })).Groups!.length, 5);
  });

  it('is idempotent with a client token', async () => {
    const a = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, ClientToken: 'tok-1', Description: 'x' }));
    const b = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, ClientToken: 'tok-1', Description: 'x' }));
    assert.equal(a.NetworkInterface!.NetworkInterfaceId, b.NetworkInterface!.NetworkInterfaceId);
    assert.equal(b.ClientToken, 'tok-1');
    assert.equal(
      await errorCode(() => ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, ClientToken: 'tok-1', Description: 'y' }))),
      'IdempotentParameterMismatch',
    );
  });

  it('rejects unknown and malformed interface IDs', async () => {
    assert.equal(
      await errorCode(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0' }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: 'eni-xyz' }))),
      'InvalidNetworkInterfaceID.Malformed',
    );
    assert.equal(await errorCode(() => ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: 'subnet-0123456789abcdef0' }))), 'InvalidSubnetID.NotFound');
  });

  it('filters and pages DescribeNetworkInterfaces', async () => {
    const g = await group();
    const e = await create({
      Groups: [g],
      Description: 'filter-me',
      SecondaryPrivateIpAddressCount: 1,
      TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'role', Value: 'probe' }] }],
    });
    const secondary = e.PrivateIpAddresses!.find((p) => !p.Primary)!.PrivateIpAddress!;
    const ids = async (Name: string, Values: string[]) =>
      (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name, Values }] }))).NetworkInterfaces!.map((x) => x.NetworkInterfaceId);
    const id = e.NetworkInterfaceId!;
    const expectHit = async (Name: string, Values: string[]) => assert.ok((await ids(Name, Values)).includes(id), `${Name}=${Values}`);
    const expectMiss = async (Name: string, Values: string[]) => assert.ok(!(await ids(Name, Values)).includes(id), `${Name}=${Values}`);
    await expectHit('network-interface-id', [id]);
    await expectHit('addresses.private-ip-address', [secondary]);
    await expectHit('private-ip-address', [e.PrivateIpAddress!]);
    await expectHit('addresses.primary', ['false']);
    await expectHit('private-dns-name', [e.PrivateDnsName!]);
    await expectHit('description', ['filter-*']);
    await expectMiss('description', ['other']);
    await expectHit('group-id', [g]);
    await expectHit('group-name', ['eni-g*']);
    await expectHit('mac-address', [e.MacAddress!]);
    await expectHit('owner-id', [ACCOUNT]);
    await expectHit('requester-managed', ['false']);
    await expectHit('source-dest-check', ['true']);
    await expectHit('status', ['available']);
    await expectMiss('status', ['in-use']);
    await expectHit('subnet-id', [subnetId]);
    await expectHit('vpc-id', [vpcId]);
    await expectHit('availability-zone', ['us-east-1a']);
    await expectHit('interface-type', ['interface']);
    await expectHit('tag:role', ['probe']);
    await expectHit('tag-key', ['role']);
    await expectMiss('attachment.status', ['attached']);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] }))),
      'InvalidParameterValue',
    );
    // Pagination
    const all = (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces!;
    assert.ok(all.length > 5);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: token }));
      assert.ok(page.NetworkInterfaces!.length <= 5);
      seen.push(...page.NetworkInterfaces!.map((x) => x.NetworkInterfaceId!));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(seen, all.map((x) => x.NetworkInterfaceId));
    assert.equal(await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 4 }))), 'InvalidParameterValue');
  });

  it('assigns and unassigns secondary addresses', async () => {
    const a = await create();
    const b = await create();
    const before = await available(subnetId);
    const byCount = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId, SecondaryPrivateIpAddressCount: 2 }));
    assert.equal(byCount.AssignedPrivateIpAddresses!.length, 2);
    assert.equal(byCount.NetworkInterfaceId, a.NetworkInterfaceId);
    const byList = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId, PrivateIpAddresses: ['10.20.1.240'] }));
    assert.deepEqual(byList.AssignedPrivateIpAddresses, [{ PrivateIpAddress: '10.20.1.240' }]);
    assert.equal((await eni(a.NetworkInterfaceId!)).PrivateIpAddresses!.length, 4);
    assert.equal(await available(subnetId), before - 3);

    // In use on another interface: refused unless reassignment is allowed.
    const inUse = await apiError(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: ['10.20.1.240'] })));
    assert.equal(inUse.code, 'InvalidIPAddress.InUse');
    await ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: ['10.20.1.240'], AllowReassignment: true }),
    );
    assert.ok((await eni(b.NetworkInterfaceId!)).PrivateIpAddresses!.some((p) => p.PrivateIpAddress === '10.20.1.240'));
    assert.ok(!(await eni(a.NetworkInterfaceId!)).PrivateIpAddresses!.some((p) => p.PrivateIpAddress === '10.20.1.240'));
    assert.equal(await available(subnetId), before - 3);
    // A primary address cannot be taken even with reassignment.
    assert.equal(
      await errorCode(() =>
        ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: [a.PrivateIpAddress!], AllowReassignment: true })),
      ),
      'InvalidIPAddress.InUse',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId, PrivateIpAddresses: ['10.20.1.241'], SecondaryPrivateIpAddressCount: 1 })),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(await errorCode(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId }))), 'MissingParameter');

    // Unassign
    const secondaries = (await eni(a.NetworkInterfaceId!)).PrivateIpAddresses!.filter((p) => !p.Primary).map((p) => p.PrivateIpAddress!);
    await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId, PrivateIpAddresses: secondaries }));
    assert.equal((await eni(a.NetworkInterfaceId!)).PrivateIpAddresses!.length, 1);
    assert.equal(await available(subnetId), before - 1);
    const primary = await apiError(() =>
      ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId, PrivateIpAddresses: [a.PrivateIpAddress!] })),
    );
    assert.equal(primary.code, 'InvalidParameterValue');
    assert.match(primary.message, /primary/);
    assert.equal(
      await errorCode(() => ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: a.NetworkInterfaceId, PrivateIpAddresses: ['10.20.1.250'] }))),
      'InvalidParameterValue',
    );
  });

  it('attaches to and detaches from instances', async () => {
    const inst = await launch(subnetId, 't3.micro'); // t3.micro: two interfaces
    const e = await create();
    const r = await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: 1 }));
    assert.match(r.AttachmentId!, /^eni-attach-[0-9a-f]{17}$/);
    const attached = await eni(e.NetworkInterfaceId!);
    assert.equal(attached.Status, 'in-use');
    assert.equal(attached.Attachment!.AttachmentId, r.AttachmentId);
    assert.equal(attached.Attachment!.InstanceId, inst.InstanceId);
    assert.equal(attached.Attachment!.InstanceOwnerId, ACCOUNT);
    assert.equal(attached.Attachment!.DeviceIndex, 1);
    assert.equal(attached.Attachment!.Status, 'attached');
    assert.equal(attached.Attachment!.DeleteOnTermination, false);
    assert.ok(attached.Attachment!.AttachTime instanceof Date);
    const byAttachment = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [inst.InstanceId!] }] }),
    );
    assert.equal(byAttachment.NetworkInterfaces!.length, 2);
    const view = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0]!.Instances![0]!;
    assert.deepEqual(view.NetworkInterfaces!.map((x) => x.Attachment!.DeviceIndex), [0, 1]);

    const inUse = await apiError(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId })));
    assert.equal(inUse.code, 'InvalidParameterValue');
    assert.equal(inUse.message, `Network interface '${e.NetworkInterfaceId}' is currently in use.`);
    assert.equal(
      await errorCode(() => ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: 2 }))),
      'InvalidNetworkInterface.InUse',
    );
    const busyIndex = await apiError(async () => {
      const f = await create();
      await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: f.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: 1 }));
    });
    assert.equal(busyIndex.code, 'InvalidParameterValue');
    assert.equal(busyIndex.message, `Instance '${inst.InstanceId}' already has an interface attached at device index '1'.`);
    const limit = await apiError(async () => {
      const f = await create();
      await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: f.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: 2 }));
    });
    assert.equal(limit.code, 'AttachmentLimitExceeded');
    const otherAz = await create({ SubnetId: otherAzSubnet });
    const zone = await apiError(() =>
      ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: otherAz.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: 3 })),
    );
    assert.equal(zone.code, 'InvalidParameterCombination');
    assert.match(zone.message, /same availability zone/);
    assert.equal(
      await errorCode(() =>
        ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId, InstanceId: 'i-0123456789abcdef0', DeviceIndex: 3 })),
      ),
      'InvalidInstanceID.NotFound',
    );

    // The primary interface stays.
    const primary = view.NetworkInterfaces!.find((x) => x.Attachment!.DeviceIndex === 0)!;
    const p = await apiError(() => ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: primary.Attachment!.AttachmentId })));
    assert.equal(p.code, 'OperationNotPermitted');
    assert.equal(p.message, 'The network interface at device index 0 cannot be detached.');
    assert.equal(
      await errorCode(() => ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: 'eni-attach-0123456789abcdef0' }))),
      'InvalidAttachmentID.NotFound',
    );
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: r.AttachmentId }));
    const detached = await eni(e.NetworkInterfaceId!);
    assert.equal(detached.Status, 'available');
    assert.equal(detached.Attachment, undefined);
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId }));

    // An interface attached with DeleteOnTermination=false survives its instance.
    const keep = await create();
    await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: keep.NetworkInterfaceId, InstanceId: inst.InstanceId, DeviceIndex: 1 }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    assert.equal((await eni(keep.NetworkInterfaceId!)).Status, 'available');
    assert.equal(
      await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [primary.NetworkInterfaceId!] }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('modifies, describes and resets attributes', async () => {
    const inst = await launch();
    const e = await create();
    const id = e.NetworkInterfaceId!;
    const attr = (Attribute: 'description' | 'groupSet' | 'sourceDestCheck' | 'attachment') =>
      ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Attribute }));

    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Description: { Value: 'nat side' } }));
    assert.deepEqual((await attr('description')).Description, { Value: 'nat side' });
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, SourceDestCheck: { Value: false } }));
    assert.deepEqual((await attr('sourceDestCheck')).SourceDestCheck, { Value: false });
    assert.equal((await eni(id)).SourceDestCheck, false);
    await ec2.send(new ResetNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, SourceDestCheck: 'sourceDestCheck' }));
    assert.deepEqual((await attr('sourceDestCheck')).SourceDestCheck, { Value: true });

    const g1 = await group();
    const g2 = await group();
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Groups: [g1, g2] }));
    assert.deepEqual((await attr('groupSet')).Groups!.map((g) => g.GroupId).sort(), [g1, g2].sort());
    const mismatch = await apiError(() => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Groups: [otherVpcGroup] })));
    assert.equal(mismatch.code, 'InvalidGroup.NotFound');
    assert.equal(mismatch.message, 'You have specified two resources that belong to different networks.');
    assert.equal(
      await errorCode(() => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Groups: ['sg-0123456789abcdef0'] }))),
      'InvalidGroup.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id }))), 'MissingParameter');

    const { AttachmentId } = await ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: inst.InstanceId, DeviceIndex: 1 }),
    );
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Attachment: { AttachmentId, DeleteOnTermination: true } }),
    );
    const a = (await attr('attachment')).Attachment!;
    assert.equal(a.AttachmentId, AttachmentId);
    assert.equal(a.DeleteOnTermination, true);
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: id,
            Attachment: { AttachmentId: 'eni-attach-0123456789abcdef0', DeleteOnTermination: true },
          }),
        ),
      ),
      'InvalidAttachmentID.NotFound',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Attribute: 'bogus' as 'description' })),
      ),
      'InvalidParameterValue',
    );
    // DeleteOnTermination now true: terminating the instance deletes the interface too.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    assert.equal(
      await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('shows an auto-assigned public address on the interface', async () => {
    const inst = (await ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1 }))).Instances![0]!;
    const primary = inst.NetworkInterfaces![0]!;
    const e = await eni(primary.NetworkInterfaceId!);
    assert.ok(e.Association?.PublicIp, 'default subnets map a public IP on launch');
    assert.equal(e.Association!.IpOwnerId, 'amazon');
    assert.equal(e.Association!.PublicDnsName, `ec2-${e.Association!.PublicIp!.replace(/\./g, '-')}.compute-1.amazonaws.com`);
    assert.deepEqual(e.PrivateIpAddresses![0]!.Association, e.Association);
    const hit = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'association.public-ip', Values: [e.Association!.PublicIp!] }] }),
    );
    assert.deepEqual(hit.NetworkInterfaces!.map((x) => x.NetworkInterfaceId), [e.NetworkInterfaceId]);
    const owner = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'addresses.association.owner-id', Values: ['amazon'] },
          { Name: 'association.ip-owner-id', Values: ['amazon'] },
          { Name: 'addresses.association.public-ip', Values: [e.Association!.PublicIp!] },
          { Name: 'association.public-dns-name', Values: ['ec2-*'] },
        ],
      }),
    );
    assert.equal(owner.NetworkInterfaces!.length, 1);
    assert.equal(
      (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.device-index', Values: ['0'] }, { Name: 'attachment.instance-id', Values: [inst.InstanceId!] }] })))
        .NetworkInterfaces!.length,
      1,
    );
    const ownerOfAttachment = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'attachment.attachment-id', Values: [e.Attachment!.AttachmentId!] },
          { Name: 'attachment.instance-owner-id', Values: [ACCOUNT] },
          { Name: 'attachment.delete-on-termination', Values: ['true'] },
          { Name: 'attachment.status', Values: ['attached'] },
        ],
      }),
    );
    assert.equal(ownerOfAttachment.NetworkInterfaces!.length, 1);
  });

  it('turns the public address of a primary interface on and off', async () => {
    const inst = await launch();
    const id = inst.NetworkInterfaces![0]!.NetworkInterfaceId!;
    assert.equal((await eni(id)).Association, undefined);
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, AssociatePublicIpAddress: true }));
    const on = await eni(id);
    assert.ok(on.Association?.PublicIp);
    assert.equal(on.Association!.IpOwnerId, 'amazon');
    const view = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0]!.Instances![0]!;
    assert.equal(view.PublicIpAddress, on.Association!.PublicIp);
    assert.equal(
      (await ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Attribute: 'associatePublicIpAddress' })))
        .AssociatePublicIpAddress,
      true,
    );
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, AssociatePublicIpAddress: false }));
    assert.equal((await eni(id)).Association, undefined);
  });

  it('serves requester-managed interfaces users cannot delete or detach', async () => {
    const before = await available(subnetId);
    const view = inside(srv, (ctx) =>
      createRequesterManagedInterface(ctx, {
        subnetId,
        description: 'Interface for NAT Gateway nat-0123456789abcdef0',
        interfaceType: 'nat_gateway',
        requesterId: 'amazon-nat',
      }),
    );
    const id = view.NetworkInterfaceId!;
    const e = await eni(id);
    assert.equal(e.RequesterManaged, true);
    assert.equal(e.RequesterId, 'amazon-nat');
    assert.equal(e.Status, 'in-use');
    assert.equal(e.InterfaceType, 'nat_gateway');
    assert.deepEqual(e.Groups, []);
    assert.match(e.Attachment!.AttachmentId!, /^ela-attach-/);
    assert.equal(await available(subnetId), before - 1);
    const hit = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'requester-managed', Values: ['true'] },
          { Name: 'requester-id', Values: ['amazon-nat'] },
        ],
      }),
    );
    assert.deepEqual(hit.NetworkInterfaces!.map((x) => x.NetworkInterfaceId), [id]);
    const del = await apiError(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })));
    assert.equal(del.code, 'InvalidParameterValue');
    assert.equal(del.message, `Network interface '${id}' is currently in use.`);
    const det = await apiError(() => ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: e.Attachment!.AttachmentId })));
    assert.equal(det.code, 'OperationNotPermitted');
    assert.equal(det.message, "You are not allowed to manage 'ela-attach' attachments.");
    inside(srv, (ctx) => deleteRequesterManagedInterface(ctx, id));
    assert.equal(await available(subnetId), before);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('assigns IPv6 addresses from the subnet block', async () => {
    const v6 = srv.ec2({ region: 'eu-central-1' });
    const v = (await v6.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16', AmazonProvidedIpv6CidrBlock: true }))).Vpc!;
    const { Vpcs } = await v6.send(new (await import('@aws-sdk/client-ec2')).DescribeVpcsCommand({ VpcIds: [v.VpcId!] }));
    const block = Vpcs![0]!.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock!;
    const subnetBlock = block.replace(/::\/56$/, '::/64');
    const s = (await v6.send(new CreateSubnetCommand({ VpcId: v.VpcId, CidrBlock: '10.40.0.0/24', Ipv6CidrBlock: subnetBlock }))).Subnet!;
    const e = (await v6.send(new CreateNetworkInterfaceCommand({ SubnetId: s.SubnetId, Ipv6AddressCount: 2 }))).NetworkInterface!;
    assert.equal(e.Ipv6Addresses!.length, 2);
    const prefix = subnetBlock.replace(/::\/64$/, ':');
    for (const a of e.Ipv6Addresses!) assert.ok(a.Ipv6Address!.startsWith(prefix), a.Ipv6Address);
    const hit = await v6.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'ipv6-addresses.ipv6-address', Values: [e.Ipv6Addresses![0]!.Ipv6Address!] }] }),
    );
    assert.deepEqual(hit.NetworkInterfaces!.map((x) => x.NetworkInterfaceId), [e.NetworkInterfaceId]);
    const plain = (await v6.send(new CreateSubnetCommand({ VpcId: v.VpcId, CidrBlock: '10.40.1.0/24' }))).Subnet!;
    assert.equal(
      await errorCode(() => v6.send(new CreateNetworkInterfaceCommand({ SubnetId: plain.SubnetId, Ipv6AddressCount: 1 }))),
      'InvalidParameterValue',
    );
  });
});
