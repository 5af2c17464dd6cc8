import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AttachInternetGatewayCommand,
  AttachNetworkInterfaceCommand,
  CreateInternetGatewayCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  type Route,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { errorCode, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '000000000000';
const TRANSITION_MS = 150;
const settle = () => sleep(TRANSITION_MS + 100);

describe('NAT instances: an instance with the source/destination check off as a route target', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let publicSubnet: string;
  let privateSubnet: string;
  let natImage: string;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS });
    ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
    vpcId = Vpc!.VpcId!;
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
    publicSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.0.0/24' }))).Subnet!.SubnetId!;
    privateSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24' }))).Subnet!.SubnetId!;
    const { Images } = await ec2.send(
      new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['amzn-ami-vpc-nat-*'] }] }),
    );
    assert.equal(Images!.length, 1);
    natImage = Images![0]!.ImageId!;
  });
  after(() => srv.close());

  async function launchNat(): Promise<{ instanceId: string; eniId: string }> {
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: natImage, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: publicSubnet }),
    );
    const inst = Instances![0]!;
    return { instanceId: inst.InstanceId!, eniId: inst.NetworkInterfaces![0]!.NetworkInterfaceId! };
  }

  async function privateTable(): Promise<string> {
    return (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
  }

  async function defaultRoute(rtb: string): Promise<Route> {
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    return RouteTables![0]!.Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')!;
  }

  it('routes 0.0.0.0/0 to a NAT instance; the route follows the instance state', async () => {
    const { instanceId, eniId } = await launchNat();
    // The source/destination check starts on, and is switched off on the instance (and its interface).
    const before = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'sourceDestCheck' }));
    assert.equal(before.SourceDestCheck?.Value, true);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, SourceDestCheck: { Value: false } }));
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'sourceDestCheck' }));
    assert.equal(attr.SourceDestCheck?.Value, false);
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    assert.equal(NetworkInterfaces![0]!.SourceDestCheck, false);
    await settle();
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    assert.equal(Reservations![0]!.Instances![0]!.SourceDestCheck, false);
    assert.equal(Reservations![0]!.Instances![0]!.State?.Name, 'running');

    const rtb = await privateTable();
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', InstanceId: instanceId }));
    const route = await defaultRoute(rtb);
    assert.equal(route.InstanceId, instanceId);
    assert.equal(route.NetworkInterfaceId, eniId);
    assert.equal(route.InstanceOwnerId, ACCOUNT);
    assert.equal(route.Origin, 'CreateRoute');
    assert.equal(route.State, 'active');

    // Stopped: blackhole; started again: active.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    assert.equal((await defaultRoute(rtb)).State, 'blackhole');
    await settle();
    assert.equal((await defaultRoute(rtb)).State, 'blackhole');
    await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    await settle();
    assert.equal((await defaultRoute(rtb)).State, 'active');

    // Terminated: blackhole, and it can no longer be a new route's target.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await settle();
    assert.equal((await defaultRoute(rtb)).State, 'blackhole');
    const other = await privateTable();
    assert.equal(
      await errorCode(() => ec2.send(new CreateRouteCommand({ RouteTableId: other, DestinationCidrBlock: '0.0.0.0/0', InstanceId: instanceId }))),
      'InvalidInstanceID.NotFound',
    );
  });

  it('routes to the NAT instance interface by NetworkInterfaceId', async () => {
    const { instanceId, eniId } = await launchNat();
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, SourceDestCheck: { Value: false } }));
    await settle();
    const rtb = await privateTable();
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: eniId }));
    const route = await defaultRoute(rtb);
    assert.equal(route.NetworkInterfaceId, eniId);
    assert.equal(route.InstanceId, instanceId);
    assert.equal(route.State, 'active');
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await settle();
    assert.equal((await defaultRoute(rtb)).State, 'blackhole');
  });

  it('a route to an interface attached to nothing is a blackhole', async () => {
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: privateSubnet }));
    const rtb = await privateTable();
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: NetworkInterface!.NetworkInterfaceId }),
    );
    assert.equal((await defaultRoute(rtb)).State, 'blackhole');
  });

  it('an instance with two interfaces must be targeted by interface', async () => {
    const { instanceId } = await launchNat();
    await settle();
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: publicSubnet }));
    await ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: instanceId, NetworkInterfaceId: NetworkInterface!.NetworkInterfaceId, DeviceIndex: 1 }));
    const rtb = await privateTable();
    assert.equal(
      await errorCode(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', InstanceId: instanceId }))),
      'InvalidInstanceID',
    );
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: NetworkInterface!.NetworkInterfaceId }),
    );
    const route = await defaultRoute(rtb);
    assert.equal(route.InstanceId, instanceId);
    assert.equal(route.State, 'active');
  });
});
