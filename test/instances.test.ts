import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DeleteInternetGatewayCommand,
  DetachInternetGatewayCommand,
  type EC2Client,
  type Instance,
  type _InstanceType,
  ModifyInstanceAttributeCommand,
  ModifySubnetAttributeCommand,
  ResetInstanceAttributeCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
} from '@aws-sdk/client-ec2';
import { apiError, errorCode, startTestServer, type TestServer, inside } from './helpers.js';
import { setAddressAssociation } from '../src/services/ec2/network-interfaces.js';

const AL2023 = 'ami-0a2023c0ffee0a864';
const AL2023_ARM = 'ami-0a2023c0ffeea4864';
const AL2 = 'ami-0a2c0ffee2024a864';
const UBUNTU = 'ami-0c22040ffee2404a8';
const NAT = 'ami-0a7a7c0ffee2018a3';
const ACCOUNT = '000000000000';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('instances', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let privateSubnet: string; // 10.50.1.0/24, us-east-1a, no public IPs
  let n = 0;

  const run = async (input: Partial<RunInstancesCommandInput> = {}) =>
    ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', ...input }));
  const one = async (input: Partial<RunInstancesCommandInput> = {}) => (await run(input)).Instances![0]!;
  const show = async (id: string): Promise<Instance> =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
  const available = async (id: string) =>
    (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets![0]!.AvailableIpAddressCount!;
  const group = async (vpc = vpcId) =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `inst-g${++n}`, Description: 'test', VpcId: vpc }))).GroupId!;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
    privateSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.1.0/24', AvailabilityZone: 'us-east-1a' })))
      .Subnet!.SubnetId!;
  });
  after(() => srv.close());

  it('launches into the default subnet of the first zone with a public address', async () => {
    const res = await ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1 }));
    assert.match(res.ReservationId!, /^r-[0-9a-f]{17}$/);
    assert.equal(res.OwnerId, ACCOUNT);
    const i = res.Instances![0]!;
    assert.match(i.InstanceId!, /^i-[0-9a-f]{17}$/);
    assert.deepEqual(i.State, { Code: 0, Name: 'pending' }, 'RunInstances always answers pending');
    assert.equal(i.InstanceType, 'm1.small', 'AWS default type');
    assert.equal(i.ImageId, AL2023);
    assert.equal(i.Architecture, 'x86_64');
    assert.equal(i.Placement!.AvailabilityZone, 'us-east-1a');
    assert.equal(i.Placement!.Tenancy, 'default');
    assert.equal(i.RootDeviceType, 'ebs');
    assert.equal(i.VirtualizationType, 'hvm');
    assert.equal(i.Hypervisor, 'xen');
    assert.equal(i.AmiLaunchIndex, 0);
    assert.ok(i.LaunchTime instanceof Date);
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    assert.equal(i.VpcId, Vpcs![0]!.VpcId);
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [i.SubnetId!] }));
    assert.equal(Subnets![0]!.DefaultForAz, true);
    assert.match(i.PrivateIpAddress!, /^172\.31\./);
    assert.equal(i.PrivateDnsName, `ip-${i.PrivateIpAddress!.replace(/\./g, '-')}.ec2.internal`);
    assert.match(i.PublicIpAddress!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(i.PublicDnsName, `ec2-${i.PublicIpAddress!.replace(/\./g, '-')}.compute-1.amazonaws.com`);
    assert.equal(i.SourceDestCheck, true);
    assert.deepEqual(i.SecurityGroups!.map((g) => g.GroupName), ['default']);
    assert.equal(i.NetworkInterfaces!.length, 1);
    const ni = i.NetworkInterfaces![0]!;
    assert.equal(ni.Attachment!.DeviceIndex, 0);
    assert.equal(ni.Attachment!.DeleteOnTermination, true);
    assert.equal(ni.Association!.PublicIp, i.PublicIpAddress);
    assert.equal(ni.Association!.IpOwnerId, 'amazon');
    assert.equal(ni.PrivateIpAddress, i.PrivateIpAddress);
    const later = await show(i.InstanceId!);
    assert.deepEqual(later.State, { Code: 16, Name: 'running' });
    assert.equal(later.PublicIpAddress, i.PublicIpAddress);
    assert.equal(later.StateReason, undefined);
  });

  it('needs an existing, well-formed image', async () => {
    const nf = await apiError(() => run({ ImageId: 'ami-0123456789abcdef0' }));
    assert.equal(nf.code, 'InvalidAMIID.NotFound');
    assert.equal(nf.message, "The image id '[ami-0123456789abcdef0]' does not exist");
    assert.equal(await errorCode(() => run({ ImageId: 'ami-nope' })), 'InvalidAMIID.Malformed');
    assert.equal(await errorCode(() => run({ ImageId: 'image' })), 'InvalidAMIID.Malformed');
    assert.equal(await errorCode(() => run({ ImageId: undefined })), 'MissingParameter');
  });

  it('checks the instance type and its architecture', async () => {
    const bad = await apiError(() => run({ InstanceType: 'x9.gigantic' as _InstanceType }));
    assert.equal(bad.code, 'InvalidParameterValue');
    assert.equal(bad.message, "Invalid value 'x9.gigantic' for InstanceType.");
    const arch = await apiError(() => run({ InstanceType: 't4g.micro' }));
    assert.equal(arch.code, 'InvalidParameterValue');
    assert.match(arch.message, /architecture 'arm64' of the specified instance type does not match the architecture 'x86_64'/);
    const arm = await one({ ImageId: AL2023_ARM, InstanceType: 't4g.micro', SubnetId: privateSubnet });
    assert.equal(arm.Architecture, 'arm64');
    for (const image of [AL2, UBUNTU, NAT]) assert.equal((await one({ ImageId: image, SubnetId: privateSubnet })).ImageId, image);
  });

  it('checks MinCount and MaxCount and launches as many as addresses allow', async () => {
    const minMax = await apiError(() => run({ MinCount: 3, MaxCount: 2 }));
    assert.equal(minMax.code, 'InvalidParameterValue');
    assert.equal(await errorCode(() => run({ MinCount: 0, MaxCount: 1 })), 'InvalidParameterValue');
    const small = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.9.0/28', AvailabilityZone: 'us-east-1a' })))
      .Subnet!.SubnetId!;
    const tooMany = await apiError(() => run({ SubnetId: small, MinCount: 12, MaxCount: 12 }));
    assert.equal(tooMany.code, 'InsufficientFreeAddressesInSubnet');
    const res = await run({ SubnetId: small, MinCount: 1, MaxCount: 20 });
    assert.equal(res.Instances!.length, 11);
    assert.deepEqual(res.Instances!.map((i) => i.AmiLaunchIndex), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(new Set(res.Instances!.map((i) => i.PrivateIpAddress)).size, 11);
    assert.equal(await available(small), 0);
    assert.equal(await errorCode(() => run({ SubnetId: small })), 'InsufficientFreeAddressesInSubnet');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: res.Instances!.map((i) => i.InstanceId!) }));
    assert.equal(await available(small), 11, 'terminating returns every address');
  });

  it('places instances by subnet, security groups and private address', async () => {
    const g1 = await group();
    const g2 = await group();
    const i = await one({ SubnetId: privateSubnet, SecurityGroupIds: [g1, g2], PrivateIpAddress: '10.50.1.77' });
    assert.equal(i.SubnetId, privateSubnet);
    assert.equal(i.VpcId, vpcId);
    assert.equal(i.PrivateIpAddress, '10.50.1.77');
    assert.equal(i.PublicIpAddress, undefined, 'no public address in a subnet that does not map one');
    assert.equal(i.PublicDnsName, '');
    assert.deepEqual(i.SecurityGroups!.map((g) => g.GroupId).sort(), [g1, g2].sort());
    assert.equal(await errorCode(() => one({ SubnetId: privateSubnet, PrivateIpAddress: '10.50.1.77' })), 'InvalidIPAddress.InUse');
    assert.equal(await errorCode(() => one({ SubnetId: privateSubnet, PrivateIpAddress: '10.50.1.1' })), 'InvalidParameterValue');
    const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.51.0.0/16' }))).Vpc!.VpcId!;
    const foreign = await group(otherVpc);
    const mismatch = await apiError(() => one({ SubnetId: privateSubnet, SecurityGroupIds: [foreign] }));
    assert.equal(mismatch.code, 'InvalidParameter');
    assert.equal(mismatch.message, `Security group ${foreign} and subnet ${privateSubnet} belong to different networks.`);
    assert.equal(await errorCode(() => one({ SubnetId: privateSubnet, SecurityGroupIds: ['sg-0123456789abcdef0'] })), 'InvalidGroup.NotFound');
    assert.equal(await errorCode(() => one({ SubnetId: 'subnet-0123456789abcdef0' })), 'InvalidSubnetID.NotFound');
    // Group names work in the default VPC only.
    const byName = await one({ SecurityGroups: ['default'] });
    assert.deepEqual(byName.SecurityGroups!.map((g) => g.GroupName), ['default']);
    assert.equal(await errorCode(() => one({ SecurityGroups: ['default'], SubnetId: privateSubnet })), 'InvalidParameterCombination');
    assert.equal(await errorCode(() => one({ SecurityGroups: ['no-such-group'] })), 'InvalidGroup.NotFound');
    const zone = await apiError(() => one({ SubnetId: privateSubnet, Placement: { AvailabilityZone: 'us-east-1b' } }));
    assert.equal(zone.code, 'InvalidParameterValue');
    const placed = await one({ Placement: { AvailabilityZone: 'us-east-1c' } });
    assert.equal(placed.Placement!.AvailabilityZone, 'us-east-1c');
  });

  it('is idempotent with a client token and keeps explicit addresses to single launches', async () => {
    const a = await run({ SubnetId: privateSubnet, ClientToken: 'launch-token-1' });
    const b = await run({ SubnetId: privateSubnet, ClientToken: 'launch-token-1' });
    assert.equal(b.ReservationId, a.ReservationId);
    assert.deepEqual(b.Instances!.map((i) => i.InstanceId), a.Instances!.map((i) => i.InstanceId));
    assert.equal(a.Instances![0]!.ClientToken, 'launch-token-1');
    const err = await apiError(() => run({ SubnetId: privateSubnet, PrivateIpAddress: '10.50.1.123', MinCount: 1, MaxCount: 2 }));
    assert.equal(err.code, 'InvalidParameterCombination');
  });

  it('launches with network interface specifications', async () => {
    const g = await group();
    const withPublic = await one({
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: privateSubnet, Groups: [g], AssociatePublicIpAddress: true, PrivateIpAddress: '10.50.1.90' }],
    });
    assert.equal(withPublic.PrivateIpAddress, '10.50.1.90');
    assert.ok(withPublic.PublicIpAddress, 'AssociatePublicIpAddress=true gives a public address');
    assert.deepEqual(withPublic.SecurityGroups!.map((x) => x.GroupId), [g]);
    const noPublic = await one({ NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }] });
    assert.equal(noPublic.PublicIpAddress, undefined, 'AssociatePublicIpAddress=false wins over the default subnet');

    const existing = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: privateSubnet }))).NetworkInterface!;
    const onExisting = await one({ NetworkInterfaces: [{ DeviceIndex: 0, NetworkInterfaceId: existing.NetworkInterfaceId }] });
    assert.equal(onExisting.PrivateIpAddress, existing.PrivateIpAddress);
    assert.equal(onExisting.NetworkInterfaces![0]!.NetworkInterfaceId, existing.NetworkInterfaceId);
    assert.equal(onExisting.NetworkInterfaces![0]!.Attachment!.DeleteOnTermination, false);
    const busy = await apiError(() => one({ NetworkInterfaces: [{ DeviceIndex: 0, NetworkInterfaceId: existing.NetworkInterfaceId }] }));
    assert.equal(busy.code, 'InvalidNetworkInterface.InUse');
    assert.equal(busy.message, `Interface: [${existing.NetworkInterfaceId}] in use.`);

    const two = await one({
      InstanceType: 't3.large',
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: privateSubnet },
        { DeviceIndex: 1, SubnetId: privateSubnet, SecondaryPrivateIpAddressCount: 1 },
      ],
    });
    assert.deepEqual(two.NetworkInterfaces!.map((x) => x.Attachment!.DeviceIndex), [0, 1]);
    assert.equal(two.NetworkInterfaces![1]!.PrivateIpAddresses!.length, 2);

    const combos: Array<[Partial<RunInstancesCommandInput>, RegExp]> = [
      [{ SubnetId: privateSubnet, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: privateSubnet }] }, /instance-level subnet ID/],
      [{ SecurityGroupIds: [g], NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: privateSubnet }] }, /instance-level security groups/],
      [{ PrivateIpAddress: '10.50.1.91', NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: privateSubnet }] }, /instance-level private IP/],
      [
        {
          InstanceType: 't3.large',
          NetworkInterfaces: [
            { DeviceIndex: 0, SubnetId: privateSubnet, AssociatePublicIpAddress: true },
            { DeviceIndex: 1, SubnetId: privateSubnet },
          ],
        },
        /associatePublicIPAddress parameter cannot be specified when launching with multiple network interfaces/,
      ],
    ];
    for (const [input, message] of combos) {
      const err = await apiError(() => one(input));
      assert.equal(err.code, 'InvalidParameterCombination', String(message));
      assert.match(err.message, message);
    }
    const otherZone = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.2.0/24', AvailabilityZone: 'us-east-1b' })))
      .Subnet!.SubnetId!;
    assert.equal(
      await errorCode(() =>
        one({
          InstanceType: 't3.large',
          NetworkInterfaces: [
            { DeviceIndex: 0, SubnetId: privateSubnet },
            { DeviceIndex: 1, SubnetId: otherZone },
          ],
        }),
      ),
      'InvalidParameterCombination',
    );
  });

  it('gives a public address when the subnet or the request says so', async () => {
    const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.3.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!
      .SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: pub, MapPublicIpOnLaunch: { Value: true } }));
    const i = await one({ SubnetId: pub });
    assert.ok(i.PublicIpAddress);
    // A VPC without DNS hostnames shows no public DNS name.
    assert.equal(i.PublicDnsName, '');
  });

  it('tags instances and their interfaces, and stores user data', async () => {
    const userData = Buffer.from('#!/bin/sh\necho hello\n').toString('base64');
    const i = await one({
      SubnetId: privateSubnet,
      KeyName: 'my-key',
      UserData: userData,
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-1' }] },
        { ResourceType: 'network-interface', Tags: [{ Key: 'Name', Value: 'web-1-eth0' }] },
      ],
    });
    assert.deepEqual(i.Tags, [{ Key: 'Name', Value: 'web-1' }]);
    assert.equal(i.KeyName, 'my-key');
    const { NetworkInterfaces } = await ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [i.NetworkInterfaces![0]!.NetworkInterfaceId!] }),
    );
    assert.deepEqual(NetworkInterfaces![0]!.TagSet, [{ Key: 'Name', Value: 'web-1-eth0' }]);
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute: 'userData' }));
    assert.equal(attr.UserData!.Value, userData);
    assert.equal(
      await errorCode(() => one({ TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] })),
      'InvalidParameterValue',
    );
  });

  it('stops, starts and terminates, with addresses following AWS', async () => {
    const i = await one();
    const id = i.InstanceId!;
    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(stop.StoppingInstances, [{ InstanceId: id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } }]);
    const stopped = await show(id);
    assert.deepEqual(stopped.State, { Code: 80, Name: 'stopped' });
    assert.equal(stopped.PublicIpAddress, undefined, 'stopping releases the auto-assigned public address');
    assert.equal(stopped.PrivateIpAddress, i.PrivateIpAddress, 'the private address stays');
    assert.match(stopped.StateTransitionReason!, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
    assert.deepEqual(stopped.StateReason, { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' });
    const again = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(again.StoppingInstances![0]!.CurrentState, { Code: 80, Name: 'stopped' });

    const start = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(start.StartingInstances, [{ InstanceId: id, PreviousState: { Code: 80, Name: 'stopped' }, CurrentState: { Code: 0, Name: 'pending' } }]);
    const restarted = await show(id);
    assert.equal(restarted.State!.Name, 'running');
    assert.ok(restarted.PublicIpAddress, 'a new public address on start');
    assert.equal(restarted.StateTransitionReason, '');
    const noop = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(noop.StartingInstances![0]!.PreviousState, { Code: 16, Name: 'running' });
    assert.deepEqual(noop.StartingInstances![0]!.CurrentState, { Code: 16, Name: 'running' });

    const subnet = restarted.SubnetId!;
    const before = await available(subnet);
    const eniId = restarted.NetworkInterfaces![0]!.NetworkInterfaceId!;
    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(term.TerminatingInstances![0]!.CurrentState, { Code: 32, Name: 'shutting-down' });
    assert.deepEqual(term.TerminatingInstances![0]!.PreviousState, { Code: 16, Name: 'running' });
    const gone = await show(id);
    assert.deepEqual(gone.State, { Code: 48, Name: 'terminated' });
    assert.deepEqual(gone.NetworkInterfaces, []);
    assert.equal(gone.PrivateIpAddress, undefined);
    assert.equal(gone.PublicIpAddress, undefined);
    assert.equal(await available(subnet), before + 1);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
    const started = await apiError(() => ec2.send(new StartInstancesCommand({ InstanceIds: [id] })));
    assert.equal(started.code, 'IncorrectInstanceState');
    assert.equal(started.message, `The instance '${id}' is not in a state from which it can be started.`);
    const stopGone = await apiError(() => ec2.send(new StopInstancesCommand({ InstanceIds: [id] })));
    assert.equal(stopGone.code, 'IncorrectInstanceState');
    assert.equal(stopGone.message, `This instance '${id}' is not in a state from which it can be stopped.`);
    const twice = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(twice.TerminatingInstances![0]!.CurrentState, { Code: 48, Name: 'terminated' });
  });

  it('keeps an Elastic IP across stop and start', async () => {
    const i = await one({ SubnetId: privateSubnet });
    const eniId = i.NetworkInterfaces![0]!.NetworkInterfaceId!;
    inside(srv, (ctx) =>
      setAddressAssociation(ctx, eniId, i.PrivateIpAddress!, {
        AllocationId: 'eipalloc-0123456789abcdef0',
        AssociationId: 'eipassoc-0123456789abcdef0',
        IpOwnerId: ACCOUNT,
        PublicIp: '203.0.113.250',
      }),
    );
    assert.equal((await show(i.InstanceId!)).PublicIpAddress, '203.0.113.250');
    await ec2.send(new StopInstancesCommand({ InstanceIds: [i.InstanceId!] }));
    assert.equal((await show(i.InstanceId!)).PublicIpAddress, '203.0.113.250');
    await ec2.send(new StartInstancesCommand({ InstanceIds: [i.InstanceId!] }));
    assert.equal((await show(i.InstanceId!)).PublicIpAddress, '203.0.113.250');
  });

  it('keeps terminated instances visible for an hour', async () => {
    const i = await one({ SubnetId: privateSubnet });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [i.InstanceId!] }));
    assert.equal((await show(i.InstanceId!)).State!.Name, 'terminated');
    inside(srv, (ctx) => {
      const rec = ctx.state.edit<{ _terminatedAt: string }>('instance', i.InstanceId!)!;
      rec._terminatedAt = new Date(Date.now() - 61 * 60 * 1000).toISOString();
    });
    assert.equal(await errorCode(() => show(i.InstanceId!)), 'InvalidInstanceID.NotFound');
    const all = await ec2.send(new DescribeInstancesCommand({}));
    assert.ok(!all.Reservations!.some((r) => r.Instances!.some((x) => x.InstanceId === i.InstanceId)));
  });

  it('protects instances with disableApiTermination and disableApiStop', async () => {
    const i = await one({ SubnetId: privateSubnet, DisableApiTermination: true });
    const id = i.InstanceId!;
    const err = await apiError(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
    assert.equal(err.code, 'OperationNotPermitted');
    assert.equal(err.message, `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
    assert.deepEqual(
      (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' }))).DisableApiTermination,
      { Value: true },
    );
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: true } }));
    assert.equal(await errorCode(() => ec2.send(new StopInstancesCommand({ InstanceIds: [id] }))), 'OperationNotPermitted');
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }));
    const t = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.equal(t.TerminatingInstances![0]!.CurrentState!.Name, 'shutting-down');
  });

  it('describes with reservations, filters and pages', async () => {
    const g = await group();
    const res = await run({
      SubnetId: privateSubnet,
      SecurityGroupIds: [g],
      MinCount: 2,
      MaxCount: 2,
      KeyName: 'filter-key',
      InstanceType: 't3.small',
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'blue' }] }],
    });
    const ids = res.Instances!.map((i) => i.InstanceId!).sort();
    const byId = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    assert.equal(byId.Reservations!.length, 1, 'one reservation per launch');
    assert.equal(byId.Reservations![0]!.ReservationId, res.ReservationId);
    assert.deepEqual(byId.Reservations![0]!.Instances!.map((i) => i.InstanceId).sort(), ids);
    const first = res.Instances![0]!;
    const found = async (Name: string, Values: string[]) =>
      (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name, Values }] }))).Reservations!.flatMap((r) =>
        r.Instances!.map((i) => i.InstanceId!),
      );
    const hits = async (Name: string, Values: string[], expect: string[]) =>
      assert.deepEqual((await found(Name, Values)).filter((x) => ids.includes(x)).sort(), expect.sort(), `${Name}=${Values}`);
    await hits('instance-id', [first.InstanceId!], [first.InstanceId!]);
    await hits('instance-state-name', ['running'], ids);
    await hits('instance-state-name', ['stopped'], []);
    await hits('instance-state-code', ['16'], ids);
    await hits('instance-type', ['t3.small'], ids);
    await hits('image-id', [AL2023], ids);
    await hits('vpc-id', [vpcId], ids);
    await hits('subnet-id', [privateSubnet], ids);
    await hits('availability-zone', ['us-east-1a'], ids);
    await hits('private-ip-address', [first.PrivateIpAddress!], [first.InstanceId!]);
    await hits('network-interface.addresses.private-ip-address', [first.PrivateIpAddress!], [first.InstanceId!]);
    await hits('network-interface.network-interface-id', [first.NetworkInterfaces![0]!.NetworkInterfaceId!], [first.InstanceId!]);
    await hits('network-interface.subnet-id', [privateSubnet], ids);
    await hits('instance.group-id', [g], ids);
    await hits('instance.group-name', ['inst-g*'], ids);
    await hits('group-id', [g], ids);
    await hits('tag:team', ['blue'], ids);
    await hits('tag-key', ['team'], ids);
    await hits('tag-value', ['blue'], ids);
    await hits('reservation-id', [res.ReservationId!], ids);
    await hits('owner-id', [ACCOUNT], ids);
    await hits('key-name', ['filter-key'], ids);
    await hits('launch-time', [`${first.LaunchTime!.toISOString().slice(0, 10)}*`], ids);
    await hits('source-dest-check', ['true'], ids);
    await hits('launch-index', ['1'], [res.Instances![1]!.InstanceId!]);
    await hits('architecture', ['x86_64'], ids);
    await hits('root-device-type', ['ebs'], ids);
    await hits('tenancy', ['default'], ids);
    await hits('private-dns-name', [first.PrivateDnsName!], [first.InstanceId!]);
    await hits('ip-address', ['*'], []);
    assert.equal(
      await errorCode(() => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'nonsense', Values: ['x'] }] }))),
      'InvalidParameterValue',
    );
    // IDs
    assert.equal(
      await errorCode(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
      'InvalidInstanceID.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-zz'] }))), 'InvalidInstanceID.Malformed');
    // Pages
    const all = (await ec2.send(new DescribeInstancesCommand({}))).Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!));
    assert.ok(all.length > 5);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: token }));
      const got = page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!));
      assert.ok(got.length <= 5);
      seen.push(...got);
      token = page.NextToken;
    } while (token);
    assert.deepEqual(seen.sort(), all.sort());
    assert.equal(await errorCode(() => ec2.send(new DescribeInstancesCommand({ MaxResults: 4 }))), 'InvalidParameterValue');
    const combo = await apiError(() => ec2.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: ids })));
    assert.equal(combo.code, 'InvalidParameterCombination');
    assert.equal(combo.message, 'The parameter instancesSet cannot be used with the parameter maxResults');
    // Tags added later are seen too.
    await ec2.send(new CreateTagsCommand({ Resources: [first.InstanceId!], Tags: [{ Key: 'extra', Value: '1' }] }));
    await hits('tag:extra', ['1'], [first.InstanceId!]);
  });

  it('reports instance status', async () => {
    const a = await one({ SubnetId: privateSubnet });
    const b = await one({ SubnetId: privateSubnet });
    await ec2.send(new StopInstancesCommand({ InstanceIds: [b.InstanceId!] }));
    const running = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [a.InstanceId!, b.InstanceId!] }));
    assert.deepEqual(running.InstanceStatuses!.map((s) => s.InstanceId), [a.InstanceId]);
    const s = running.InstanceStatuses![0]!;
    assert.equal(s.AvailabilityZone, 'us-east-1a');
    assert.deepEqual(s.InstanceState, { Code: 16, Name: 'running' });
    assert.equal(s.InstanceStatus!.Status, 'ok');
    assert.equal(s.SystemStatus!.Status, 'ok');
    assert.deepEqual(s.InstanceStatus!.Details, [{ Name: 'reachability', Status: 'passed' }]);
    const everything = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [a.InstanceId!, b.InstanceId!], IncludeAllInstances: true }),
    );
    assert.equal(everything.InstanceStatuses!.length, 2);
    const stopped = everything.InstanceStatuses!.find((x) => x.InstanceId === b.InstanceId)!;
    assert.equal(stopped.InstanceState!.Name, 'stopped');
    assert.equal(stopped.InstanceStatus!.Status, 'not-applicable');
    const filtered = await ec2.send(
      new DescribeInstanceStatusCommand({ IncludeAllInstances: true, Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }] }),
    );
    assert.ok(filtered.InstanceStatuses!.some((x) => x.InstanceId === b.InstanceId));
    assert.ok(!filtered.InstanceStatuses!.some((x) => x.InstanceId === a.InstanceId));
    assert.equal(
      await errorCode(() => ec2.send(new DescribeInstanceStatusCommand({ MaxResults: 5, InstanceIds: [a.InstanceId!] }))),
      'InvalidParameterCombination',
    );
  });

  it('modifies, describes and resets instance attributes', async () => {
    const i = await one({ SubnetId: privateSubnet });
    const id = i.InstanceId!;
    const eniId = i.NetworkInterfaces![0]!.NetworkInterfaceId!;
    // sourceDestCheck applies to the primary interface (what NAT instances need).
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, SourceDestCheck: { Value: false } }));
    assert.equal((await show(id)).SourceDestCheck, false);
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    assert.equal(NetworkInterfaces![0]!.SourceDestCheck, false);
    assert.deepEqual((await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'sourceDestCheck' }))).SourceDestCheck, {
      Value: false,
    });
    await ec2.send(new ResetInstanceAttributeCommand({ InstanceId: id, Attribute: 'sourceDestCheck' }));
    assert.equal((await show(id)).SourceDestCheck, true);
    // The Attribute/Value form, as the CLI sends it.
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, Attribute: 'sourceDestCheck', Value: 'false' }));
    assert.equal((await show(id)).SourceDestCheck, false);

    const g = await group();
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, Groups: [g] }));
    assert.deepEqual((await show(id)).SecurityGroups!.map((x) => x.GroupId), [g]);
    assert.deepEqual(
      (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'groupSet' }))).Groups!.map((x) => x.GroupId),
      [g],
    );

    const running = await apiError(() => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.large' } })));
    assert.equal(running.code, 'IncorrectInstanceState');
    assert.equal(running.message, `The instance '${id}' is not in the 'stopped' state.`);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.large' } }));
    assert.deepEqual((await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceType' }))).InstanceType, {
      Value: 't3.large',
    });
    assert.equal((await show(id)).InstanceType, 't3.large');
    assert.equal(
      await errorCode(() => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 'zz.huge' } }))),
      'InvalidParameterValue',
    );
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceInitiatedShutdownBehavior: { Value: 'terminate' } }));
    assert.deepEqual(
      (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceInitiatedShutdownBehavior' })))
        .InstanceInitiatedShutdownBehavior,
      { Value: 'terminate' },
    );
    assert.equal(
      await errorCode(() => ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'bogus' as 'userData' }))),
      'InvalidParameterValue',
    );
    assert.equal(await errorCode(() => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id }))), 'MissingParameter');
    assert.equal(
      await errorCode(() => ec2.send(new ResetInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceType' }))),
      'InvalidParameterValue',
    );

    // With a second interface, instance-level changes must name an interface.
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    const extra = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: privateSubnet }))).NetworkInterface!;
    await ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: id, NetworkInterfaceId: extra.NetworkInterfaceId, DeviceIndex: 1 }));
    const multi = await apiError(() => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, SourceDestCheck: { Value: true } })));
    assert.equal(multi.code, 'InvalidInstanceID');
    assert.match(multi.message, /There are multiple interfaces attached to instance/);
  });

  it('shows state transitions over time', async () => {
    const slow = await startTestServer({ stateTransitionMs: 300 });
    try {
      const c = slow.ec2();
      const i = (await c.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1 }))).Instances![0]!;
      const id = i.InstanceId!;
      const now = async () => (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
      const p = await now();
      assert.deepEqual(p.State, { Code: 0, Name: 'pending' });
      assert.deepEqual(p.StateReason, { Code: 'pending', Message: 'pending' });
      const early = await apiError(() => c.send(new StopInstancesCommand({ InstanceIds: [id] })));
      assert.equal(early.code, 'IncorrectInstanceState');
      assert.equal(early.message, `Instance '${id}' cannot be stopped as it has never reached the 'running' state.`);
      assert.deepEqual(
        (await c.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses,
        [],
        'not running yet',
      );
      const waited = await waitUntilInstanceRunning({ client: c, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { InstanceIds: [id] });
      assert.equal(waited.state, 'SUCCESS');
      assert.deepEqual((await now()).State, { Code: 16, Name: 'running' });
      await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
      assert.equal((await now()).State!.Name, 'stopping');
      assert.equal(
        await errorCode(() => c.send(new StartInstancesCommand({ InstanceIds: [id] }))),
        'IncorrectInstanceState',
        'cannot start while stopping',
      );
      await sleep(350);
      assert.equal((await now()).State!.Name, 'stopped');
      await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      assert.deepEqual((await now()).State, { Code: 32, Name: 'shutting-down' });
      await sleep(350);
      assert.deepEqual((await now()).State, { Code: 48, Name: 'terminated' });
    } finally {
      await slow.close();
    }
  });

  it('needs a default VPC with subnets when no subnet is given', async () => {
    const west = srv.ec2({ region: 'us-west-2' });
    const vpc = (await west.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!;
    const { Subnets } = await west.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }));
    for (const s of Subnets!) await west.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId }));
    const noSubnets = await apiError(() => west.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1 })));
    assert.equal(noSubnets.code, 'MissingInput');
    assert.equal(noSubnets.message, `No subnets found for the default VPC '${vpc}'. Please specify a subnet.`);
    const { InternetGateways } = await west.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpc] }] }),
    );
    for (const g of InternetGateways!) {
      await west.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId, VpcId: vpc }));
      await west.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId }));
    }
    await west.send(new DeleteVpcCommand({ VpcId: vpc }));
    const noVpc = await apiError(() => west.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1 })));
    assert.equal(noVpc.code, 'VPCIdNotSpecified');
    assert.equal(noVpc.message, 'No default VPC for this user');
  });

  it('keeps a subnet with instances from being deleted', async () => {
    const s = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.7.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!
      .SubnetId!;
    const i = await one({ SubnetId: s });
    assert.equal(await errorCode(() => ec2.send(new DeleteSubnetCommand({ SubnetId: s }))), 'DependencyViolation');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [i.InstanceId!] }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: s }));
  });
});

describe('images', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  const ids = async (input: DescribeImagesCommandInput) =>
    (await ec2.send(new DescribeImagesCommand(input))).Images!.map((i) => i.ImageId!).sort();

  it('lists a small catalogue, the same in every region', async () => {
    const all = (await ec2.send(new DescribeImagesCommand({}))).Images!;
    assert.deepEqual(all.map((i) => i.ImageId).sort(), [AL2023, AL2023_ARM, AL2, UBUNTU, NAT].sort());
    for (const i of all) {
      assert.match(i.ImageId!, /^ami-[0-9a-f]{17}$/);
      assert.equal(i.State, 'available');
      assert.equal(i.Public, true);
      assert.equal(i.RootDeviceType, 'ebs');
      assert.equal(i.VirtualizationType, 'hvm');
    }
    const nat = all.find((i) => i.ImageId === NAT)!;
    assert.match(nat.Name!, /^amzn-ami-vpc-nat-/);
    assert.match(nat.Description!, /NAT/);
    assert.equal(nat.ImageOwnerAlias, 'amazon');
    const west = srv.ec2({ region: 'ap-southeast-2' });
    assert.deepEqual(
      (await west.send(new DescribeImagesCommand({}))).Images!.map((i) => i.ImageId).sort(),
      all.map((i) => i.ImageId).sort(),
    );
  });

  it('selects by owner, ID and filters', async () => {
    assert.deepEqual(await ids({ Owners: ['amazon'] }), [AL2023, AL2023_ARM, AL2, NAT].sort());
    assert.deepEqual(await ids({ Owners: ['099720109477'] }), [UBUNTU]);
    assert.deepEqual(await ids({ Owners: ['self'] }), []);
    assert.equal(await errorCode(() => ec2.send(new DescribeImagesCommand({ Owners: ['someone'] }))), 'InvalidUserID.Malformed');
    assert.deepEqual(await ids({ ImageIds: [NAT] }), [NAT]);
    const f = (Name: string, Values: string[]) => ids({ Filters: [{ Name, Values }] });
    assert.deepEqual(await f('name', ['amzn-ami-vpc-nat-*']), [NAT]);
    assert.deepEqual(await f('name', ['al2023-ami-*']), [AL2023, AL2023_ARM].sort());
    assert.deepEqual(await f('image-id', [AL2]), [AL2]);
    assert.deepEqual(await f('owner-alias', ['amazon']), [AL2023, AL2023_ARM, AL2, NAT].sort());
    assert.deepEqual(await f('owner-id', ['099720109477']), [UBUNTU]);
    assert.deepEqual(await f('architecture', ['arm64']), [AL2023_ARM]);
    assert.deepEqual(await f('state', ['available']), [AL2023, AL2023_ARM, AL2, UBUNTU, NAT].sort());
    assert.deepEqual(await f('platform', ['windows']), []);
    assert.deepEqual(await f('virtualization-type', ['paravirtual']), []);
    assert.deepEqual(await f('root-device-type', ['ebs']), [AL2023, AL2023_ARM, AL2, UBUNTU, NAT].sort());
    assert.deepEqual(await f('is-public', ['true']), [AL2023, AL2023_ARM, AL2, UBUNTU, NAT].sort());
    assert.deepEqual(await f('description', ['*NAT*']), [NAT]);
    assert.equal(await errorCode(() => ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'nope', Values: ['x'] }] }))), 'InvalidParameterValue');
  });

  it('rejects unknown and malformed image IDs', async () => {
    const nf = await apiError(() => ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })));
    assert.equal(nf.code, 'InvalidAMIID.NotFound');
    assert.equal(nf.message, "The image id '[ami-0123456789abcdef0]' does not exist");
    assert.equal(await errorCode(() => ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-xyz'] }))), 'InvalidAMIID.Malformed');
  });

  it('pages', async () => {
    const first = await ec2.send(new DescribeImagesCommand({ MaxResults: 5 }));
    assert.equal(first.Images!.length, 5);
    assert.equal(first.NextToken, undefined);
    assert.equal(await errorCode(() => ec2.send(new DescribeImagesCommand({ MaxResults: 2 }))), 'InvalidParameterValue');
  });
});
