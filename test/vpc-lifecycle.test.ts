/**
 * How a VPC's neighbours follow its life: IPv6 blocks reaching the default ACL, peering
 * connections ending with the VPC, blocks refused while a peering request is pending.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptVpcPeeringConnectionCommand,
  AssociateVpcCidrBlockCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeVpcPeeringConnectionsCommand,
  AllocateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNatGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  DeleteSubnetCommand,
  DescribeNatGatewaysCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-ec2';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('VPC lifecycle and its neighbours', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 50 });
  });
  after(() => srv.close());

  it('adds the IPv6 rules to the default ACL when an IPv6 block is associated later', async () => {
    const ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
    const before = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }] }));
    assert.ok(!before.NetworkAcls![0]!.Entries!.some((e) => e.Ipv6CidrBlock));
    await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: Vpc!.VpcId!, AmazonProvidedIpv6CidrBlock: true }));
    const after = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }] }));
    const v6 = after.NetworkAcls![0]!.Entries!.filter((e) => e.Ipv6CidrBlock === '::/0').map((e) => [e.RuleNumber, e.RuleAction, e.Egress]);
    assert.deepEqual(v6.sort(), [
      [101, 'allow', false],
      [101, 'allow', true],
      [32768, 'deny', false],
      [32768, 'deny', true],
    ].sort());
  });

  it('refuses new IPv4 blocks while the VPC has a pending peering request, and ends peerings on delete', async () => {
    const ec2 = srv.ec2();
    const a = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.71.0.0/16' }))).Vpc!.VpcId!;
    const b = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.72.0.0/16' }))).Vpc!.VpcId!;
    const pcx = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!.VpcPeeringConnectionId!;
    const refused = await apiError(() => ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: a, CidrBlock: '10.171.0.0/16' })));
    assert.equal(refused.code, 'OperationNotPermitted');
    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: a, CidrBlock: '10.171.0.0/16' }));
    await ec2.send(new DeleteVpcCommand({ VpcId: b }));
    const { VpcPeeringConnections } = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [pcx] }));
    assert.equal(VpcPeeringConnections![0]!.Status!.Code, 'deleted');
  });

  it('checks that a prefix list in a security group rule exists', async () => {
    const ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.73.0.0/16' }));
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: Vpc!.VpcId!, GroupName: 'pl', Description: 'pl' }));
    const missing = await apiError(() =>
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }] }],
        }),
      ),
    );
    assert.equal(missing.code, 'InvalidPrefixListID.NotFound');
  });

  it('tags NAT gateways as "natgateway", and a failed NAT gateway does not hold its VPC', async () => {
    const ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.74.0.0/16' }));
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId!, CidrBlock: '10.74.1.0/24' }));
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    // No internet gateway: a public NAT gateway fails (Gateway.NotAttached).
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: Subnet!.SubnetId!,
        AllocationId,
        TagSpecifications: [{ ResourceType: 'natgateway', Tags: [{ Key: 'Name', Value: 'egress' }] }],
      }),
    );
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [NatGateway!.NatGatewayId!] }] }));
    assert.equal(tags.Tags![0]!.ResourceType, 'natgateway');
    let state = '';
    for (let i = 0; i < 50 && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [NatGateway!.NatGatewayId!] }))).NatGateways![0]!.State!;
    }
    assert.equal(state, 'failed');
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId! }));
    await ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId! }));
  });
});
