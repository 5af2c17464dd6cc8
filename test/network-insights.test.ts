/**
 * Reachability Analyzer through the EC2 API: network insights paths and analyses, the four
 * classic blockers each alone (and together), a reachable path's components in order, and
 * the errors AWS answers.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateNetworkInsightsPathCommand,
  type CreateNetworkInsightsPathCommandInput,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInsightsAnalysisCommand,
  DeleteNetworkInsightsPathCommand,
  DeleteRouteCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInsightsAnalysesCommand,
  DescribeNetworkInsightsPathsCommand,
  EC2Client,
  type NetworkInsightsAnalysis,
  ReplaceNetworkAclAssociationCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartNetworkInsightsAnalysisCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { awsCli } from './cli.js';
import { startTestServer, type TestServer } from './helpers.js';

const AMI = 'ami-0a2023c0ffee0a864';
const WEBSITE = '93.184.216.34';

let srv: TestServer;
let ec2: EC2Client;

async function rejects(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as Error).name, code, (err as Error).message);
    return err as Error;
  }
  assert.fail(`expected ${code}`);
}

/** A VPC with an internet gateway, a public subnet and a web server allowing tcp 443 from anywhere. */
class Lab {
  vpcId = '';
  igwId = '';
  subnetId = '';
  rtId = '';
  sgId = '';
  web = '';
  webEni = '';
  webPrivateIp = '';
  webPublicIp = '';

  async build(opts: { publicIp?: boolean } = {}): Promise<this> {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    this.vpcId = Vpc!.VpcId!;
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    this.igwId = InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: this.igwId, VpcId: this.vpcId }));
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: this.vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }));
    this.subnetId = Subnet!.SubnetId!;
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: this.vpcId }));
    this.rtId = RouteTable!.RouteTableId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: this.rtId, SubnetId: this.subnetId }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: this.rtId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: this.igwId }));
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: this.vpcId, GroupName: 'web', Description: 'web' }));
    this.sgId = GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: this.subnetId, SecurityGroupIds: [this.sgId] }),
    );
    const i = Instances![0]!;
    this.web = i.InstanceId!;
    this.webEni = i.NetworkInterfaces![0]!.NetworkInterfaceId!;
    this.webPrivateIp = i.PrivateIpAddress!;
    if (opts.publicIp !== false) {
      const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: this.web }));
      this.webPublicIp = PublicIp!;
    }
    return this;
  }

  /** Replaces the subnet's ACL with one denying tcp 443 both ways (and allowing the rest). */
  async denyingAcl(): Promise<string> {
    const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: this.vpcId }));
    const aclId = NetworkAcl!.NetworkAclId!;
    for (const Egress of [false, true]) {
      await ec2.send(
        new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 90, Egress, RuleAction: 'deny', Protocol: '6', CidrBlock: '0.0.0.0/0', PortRange: { From: 443, To: 443 } }),
      );
      await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' }));
    }
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [this.subnetId] }] }));
    const assoc = NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === this.subnetId)!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aclId }));
    return aclId;
  }

  async closeGroup(): Promise<void> {
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: this.sgId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
  }
}

async function analyse(input: CreateNetworkInsightsPathCommandInput): Promise<NetworkInsightsAnalysis> {
  const { NetworkInsightsPath } = await ec2.send(new CreateNetworkInsightsPathCommand(input));
  const { NetworkInsightsAnalysis: started } = await ec2.send(
    new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: NetworkInsightsPath!.NetworkInsightsPathId }),
  );
  assert.equal(started!.Status, 'running');
  assert.match(started!.NetworkInsightsAnalysisId!, /^nia-[0-9a-f]{17}$/);
  const { NetworkInsightsAnalyses } = await ec2.send(
    new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [started!.NetworkInsightsAnalysisId!] }),
  );
  const a = NetworkInsightsAnalyses![0]!;
  assert.equal(a.Status, 'succeeded', a.StatusMessage);
  return a;
}

function inbound(lab: Lab): CreateNetworkInsightsPathCommandInput {
  return { Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', DestinationPort: 443 };
}

function codes(a: NetworkInsightsAnalysis): string[] {
  return (a.Explanations ?? []).map((e) => e.ExplanationCode!);
}

describe('Reachability Analyzer (network insights paths and analyses)', () => {
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  it('finds the path from the internet gateway to a public web server, components in order', async () => {
    const lab = await new Lab().build();
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, true);
    assert.deepEqual(a.Explanations, []);
    const fwd = a.ForwardPathComponents!;
    assert.deepEqual(
      fwd.map((c) => c.SequenceNumber),
      fwd.map((_, i) => i + 1),
    );
    const ids = fwd.map((c) => c.Component!.Id);
    const aclId = ids[1]!;
    assert.match(aclId, /^acl-/);
    assert.deepEqual(ids, [lab.igwId, aclId, lab.sgId, lab.webEni, lab.web]);
    // The internet gateway translates the public address to the private one.
    assert.deepEqual(fwd[0]!.InboundHeader!.DestinationAddresses, [lab.webPublicIp]);
    assert.deepEqual(fwd[0]!.OutboundHeader!.DestinationAddresses, [lab.webPrivateIp]);
    assert.deepEqual(fwd[0]!.OutboundHeader!.DestinationPortRanges, [{ From: 443, To: 443 }]);
    assert.equal(fwd[0]!.Component!.Arn, `arn:aws:ec2:us-east-1:${fwd[0]!.Component!.Arn!.split(':')[4]}:internet-gateway/${lab.igwId}`);
    // The rules that decided.
    assert.equal(fwd[1]!.AclRule!.RuleAction, 'allow');
    assert.equal(fwd[1]!.AclRule!.Egress, false);
    assert.equal(fwd[1]!.AclRule!.RuleNumber, 100);
    assert.equal(fwd[1]!.Subnet!.Id, lab.subnetId);
    assert.equal(fwd[1]!.Vpc!.Id, lab.vpcId);
    assert.deepEqual(
      { ...fwd[2]!.SecurityGroupRule },
      { Cidr: '0.0.0.0/0', Direction: 'ingress', SecurityGroupId: lab.sgId, PortRange: { From: 443, To: 443 }, Protocol: 'tcp' },
    );
    assert.equal(fwd[3]!.AttachedTo!.Id, lab.web);
    assert.equal(fwd[3]!.Subnet!.Id, lab.subnetId);
    assert.deepEqual(fwd[3]!.InboundHeader!.DestinationAddresses, [lab.webPrivateIp]);
    // The reply leaves through the route table's route to the gateway.
    const back = a.ReturnPathComponents!;
    const rt = back.find((c) => c.Component!.Id === lab.rtId)!;
    assert.ok(rt, JSON.stringify(back.map((c) => c.Component!.Id)));
    assert.deepEqual({ ...rt.RouteTableRoute }, { DestinationCidr: '0.0.0.0/0', GatewayId: lab.igwId, Origin: 'CreateRoute', State: 'active' });
    assert.equal(back[back.length - 1]!.Component!.Id, lab.igwId);
  });

  it('no public IP: IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS at the internet gateway', async () => {
    const lab = await new Lab().build({ publicIp: false });
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, false);
    assert.deepEqual(codes(a), ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS']);
    assert.equal(a.Explanations![0]!.Component!.Id, lab.igwId);
    assert.equal(a.Explanations![0]!.InternetGateway!.Id, lab.igwId);
    assert.equal(a.ForwardPathComponents, undefined);
  });

  it('no route to the internet gateway: NO_ROUTE_TO_DESTINATION at the route table', async () => {
    const lab = await new Lab().build();
    await ec2.send(new DeleteRouteCommand({ RouteTableId: lab.rtId, DestinationCidrBlock: '0.0.0.0/0' }));
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, false);
    assert.deepEqual(codes(a), ['NO_ROUTE_TO_DESTINATION']);
    assert.equal(a.Explanations![0]!.Component!.Id, lab.rtId);
    assert.equal(a.Explanations![0]!.RouteTable!.Id, lab.rtId);
  });

  it('the network ACL denies 443: SUBNET_ACL_RESTRICTION with the rule', async () => {
    const lab = await new Lab().build();
    const aclId = await lab.denyingAcl();
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, false);
    assert.deepEqual(codes(a), ['SUBNET_ACL_RESTRICTION']);
    const e = a.Explanations![0]!;
    assert.equal(e.Component!.Id, aclId);
    assert.equal(e.Acl!.Id, aclId);
    assert.equal(e.Direction, 'ingress');
    assert.deepEqual({ ...e.AclRule }, { Cidr: '0.0.0.0/0', Egress: false, PortRange: { From: 443, To: 443 }, Protocol: '6', RuleAction: 'deny', RuleNumber: 90 });
    assert.equal(e.Vpc!.Id, lab.vpcId);
  });

  it('the security group does not allow 443: ENI_SG_RULES_MISMATCH at the interface', async () => {
    const lab = await new Lab().build();
    await lab.closeGroup();
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, false);
    assert.deepEqual(codes(a), ['ENI_SG_RULES_MISMATCH']);
    const e = a.Explanations![0]!;
    assert.equal(e.Component!.Id, lab.webEni);
    assert.deepEqual(
      e.SecurityGroups!.map((g) => g.Id),
      [lab.sgId],
    );
    assert.equal(e.Direction, 'ingress');
    assert.equal(e.Subnet!.Id, lab.subnetId);
    assert.equal(e.Vpc!.Id, lab.vpcId);
    assert.equal(e.AttachedTo!.Id, lab.web);
  });

  it('names every blocking ACL and security group, not only the first', async () => {
    const lab = await new Lab().build();
    const aclId = await lab.denyingAcl();
    await lab.closeGroup();
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, false);
    assert.deepEqual(codes(a), ['SUBNET_ACL_RESTRICTION', 'ENI_SG_RULES_MISMATCH']);
    assert.deepEqual(
      a.Explanations!.map((e) => e.Component!.Id),
      [aclId, lab.webEni],
    );
  });

  it('names blockers beyond groups and ACLs: a missing public address, then the ACL, then the group', async () => {
    const lab = await new Lab().build({ publicIp: false });
    const aclId = await lab.denyingAcl();
    await lab.closeGroup();
    const a = await analyse(inbound(lab));
    assert.equal(a.NetworkPathFound, false);
    assert.deepEqual(codes(a), ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS', 'SUBNET_ACL_RESTRICTION', 'ENI_SG_RULES_MISMATCH']);
    assert.deepEqual(
      a.Explanations!.map((e) => e.Component!.Id),
      [lab.igwId, aclId, lab.webEni],
    );
  });

  it('FilterAtDestination: searches the port range and matches the packet as it arrives', async () => {
    const lab = await new Lab().build();
    const ranged = await analyse({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', FilterAtDestination: { DestinationPortRange: { FromPort: 400, ToPort: 500 } } });
    assert.equal(ranged.NetworkPathFound, true, JSON.stringify(ranged.Explanations));
    assert.deepEqual(ranged.ForwardPathComponents![0]!.OutboundHeader!.DestinationPortRanges, [{ From: 443, To: 443 }]);
    const closed = await analyse({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', FilterAtDestination: { DestinationPortRange: { FromPort: 8000, ToPort: 8080 } } });
    assert.equal(closed.NetworkPathFound, false);
    assert.deepEqual(codes(closed), ['ENI_SG_RULES_MISMATCH']);
    // The internet gateway translates: the packet arrives at the private address, not the public one.
    const atPrivate = await analyse({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', DestinationPort: 443, FilterAtDestination: { DestinationAddress: lab.webPrivateIp } });
    assert.equal(atPrivate.NetworkPathFound, true);
    const atPublic = await analyse({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', DestinationPort: 443, FilterAtDestination: { DestinationAddress: lab.webPublicIp } });
    assert.equal(atPublic.NetworkPathFound, false);
    assert.deepEqual(codes(atPublic), ['NO_PATH']);
  });

  it('paths from and to a peering connection', async () => {
    const lab = await new Lab().build();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const peerVpc = Vpc!.VpcId!;
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: peerVpc, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' }));
    const { Instances } = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: Subnet!.SubnetId! }));
    const { CreateVpcPeeringConnectionCommand, AcceptVpcPeeringConnectionCommand, DescribeRouteTablesCommand } = await import('@aws-sdk/client-ec2');
    const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: lab.vpcId, PeerVpcId: peerVpc }));
    const pcxId = VpcPeeringConnection!.VpcPeeringConnectionId!;
    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcxId }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: lab.rtId, DestinationCidrBlock: '10.9.0.0/16', VpcPeeringConnectionId: pcxId }));
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [peerVpc] }] }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTables![0]!.RouteTableId!, DestinationCidrBlock: '10.0.0.0/16', VpcPeeringConnectionId: pcxId }));

    const inbound = await analyse({ Source: pcxId, Destination: lab.web, Protocol: 'tcp', DestinationPort: 443 });
    assert.equal(inbound.NetworkPathFound, true, JSON.stringify(inbound.Explanations));
    assert.equal(inbound.ForwardPathComponents![0]!.Component!.Id, pcxId);
    assert.equal(inbound.ReturnPathComponents!.at(-1)!.Component!.Id, pcxId, 'the reply leaves through the connection');
    const closed = await analyse({ Source: pcxId, Destination: lab.web, Protocol: 'tcp', DestinationPort: 22 });
    assert.deepEqual(codes(closed), ['ENI_SG_RULES_MISMATCH']);

    const outbound = await analyse({ Source: lab.web, Destination: pcxId, Protocol: 'tcp', DestinationPort: 443 });
    assert.equal(outbound.NetworkPathFound, true, JSON.stringify(outbound.Explanations));
    assert.ok(outbound.ForwardPathComponents!.some((c) => c.Component!.Id === pcxId));
    assert.equal(outbound.ForwardPathComponents!.at(-1)!.Component!.Id, pcxId, 'the path ends at the connection');
    assert.ok(!outbound.ForwardPathComponents!.some((c) => c.Component!.Id === Instances![0]!.InstanceId), 'the far VPC is not analysed');
    await ec2.send(new DeleteRouteCommand({ RouteTableId: lab.rtId, DestinationCidrBlock: '10.9.0.0/16' }));
    const noRoute = await analyse({ Source: lab.web, Destination: pcxId, Protocol: 'tcp', DestinationPort: 443 });
    assert.equal(noRoute.NetworkPathFound, false);
  });

  it('refuses filters combined with the parameters they replace', async () => {
    const lab = await new Lab().build();
    await rejects(
      ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', DestinationIp: '10.0.0.5', FilterAtDestination: { DestinationAddress: '10.0.0.5' } })),
      'InvalidParameterCombination',
    );
    await rejects(
      ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', DestinationPort: 443, FilterAtSource: { SourceAddress: '198.51.100.7' } })),
      'InvalidParameterCombination',
    );
    await rejects(
      ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp', FilterAtDestination: { DestinationPortRange: { FromPort: 500, ToPort: 400 } } })),
      'InvalidParameterValue',
    );
  });

  it('outbound to an internet address through the gateway (FilterAtSource.DestinationAddress)', async () => {
    const lab = await new Lab().build();
    const ok = await analyse({ Source: lab.web, Destination: lab.igwId, FilterAtSource: { DestinationAddress: WEBSITE, DestinationPortRange: { FromPort: 443, ToPort: 443 } }, Protocol: 'tcp' });
    assert.equal(ok.NetworkPathFound, true);
    const ids = ok.ForwardPathComponents!.map((c) => c.Component!.Id);
    assert.equal(ids[0], lab.web);
    assert.equal(ids[ids.length - 1], lab.igwId);
    assert.ok(ids.includes(lab.rtId));
    const first = ok.ForwardPathComponents![0]!;
    assert.deepEqual(first.OutboundHeader!.SourceAddresses, [lab.webPrivateIp]);
    assert.deepEqual(first.OutboundHeader!.DestinationAddresses, [WEBSITE]);

    await ec2.send(new DeleteRouteCommand({ RouteTableId: lab.rtId, DestinationCidrBlock: '0.0.0.0/0' }));
    const blocked = await analyse({ Source: lab.web, Destination: lab.igwId, FilterAtSource: { DestinationAddress: WEBSITE, DestinationPortRange: { FromPort: 443, ToPort: 443 } }, Protocol: 'tcp' });
    assert.deepEqual(codes(blocked), ['NO_ROUTE_TO_DESTINATION']);
    assert.equal(blocked.Explanations![0]!.Component!.Id, lab.rtId);
  });

  it('without a destination port, finds a port the destination allows', async () => {
    const lab = await new Lab().build();
    const a = await analyse({ Source: lab.igwId, Destination: lab.web, Protocol: 'tcp' });
    assert.equal(a.NetworkPathFound, true);
    assert.deepEqual(a.ForwardPathComponents![0]!.OutboundHeader!.DestinationPortRanges, [{ From: 443, To: 443 }]);
  });

  it('creates, describes (filters, ARNs) and deletes paths and analyses', async () => {
    const lab = await new Lab().build();
    const { NetworkInsightsPath: p } = await ec2.send(
      new CreateNetworkInsightsPathCommand({
        Source: `arn:aws:ec2:us-east-1:000000000000:internet-gateway/${lab.igwId}`,
        Destination: lab.web,
        Protocol: 'tcp',
        DestinationPort: 443,
        TagSpecifications: [{ ResourceType: 'network-insights-path', Tags: [{ Key: 'team', Value: 'net' }] }],
      }),
    );
    assert.match(p!.NetworkInsightsPathId!, /^nip-[0-9a-f]{17}$/);
    assert.equal(p!.Source, lab.igwId);
    assert.match(p!.SourceArn!, new RegExp(`^arn:aws:ec2:us-east-1:\\d{12}:internet-gateway/${lab.igwId}$`));
    assert.equal(p!.Destination, lab.web);
    assert.match(p!.DestinationArn!, new RegExp(`:instance/${lab.web}$`));
    assert.match(p!.NetworkInsightsPathArn!, new RegExp(`:network-insights-path/${p!.NetworkInsightsPathId}$`));
    assert.ok(p!.CreatedDate instanceof Date);
    assert.equal(p!.Protocol, 'tcp');
    assert.equal(p!.DestinationPort, 443);
    assert.deepEqual(p!.Tags, [{ Key: 'team', Value: 'net' }]);
    const other = await ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, Destination: lab.igwId, Protocol: 'udp', FilterAtSource: { DestinationAddress: WEBSITE, DestinationPortRange: { FromPort: 53, ToPort: 53 } } }));

    const byFilter = async (Name: string, Values: string[]) =>
      (await ec2.send(new DescribeNetworkInsightsPathsCommand({ Filters: [{ Name, Values }] }))).NetworkInsightsPaths!.map((x) => x.NetworkInsightsPathId);
    assert.deepEqual(await byFilter('protocol', ['udp']), [other.NetworkInsightsPath!.NetworkInsightsPathId]);
    assert.deepEqual(await byFilter('source', [lab.igwId]), [p!.NetworkInsightsPathId]);
    assert.deepEqual(await byFilter('destination', [lab.web]), [p!.NetworkInsightsPathId]);
    assert.deepEqual(await byFilter('destination-port', ['443']), [p!.NetworkInsightsPathId]);
    assert.deepEqual(await byFilter('tag:team', ['net']), [p!.NetworkInsightsPathId]);
    assert.equal((await ec2.send(new DescribeNetworkInsightsPathsCommand({}))).NetworkInsightsPaths!.length, 2);

    const start = await ec2.send(
      new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: p!.NetworkInsightsPathId, FilterInArns: [`arn:aws:ec2:us-east-1:000000000000:security-group/${lab.sgId}`] }),
    );
    const nia = start.NetworkInsightsAnalysis!;
    assert.equal(nia.Status, 'running');
    assert.equal(nia.NetworkInsightsPathId, p!.NetworkInsightsPathId);
    assert.ok(nia.StartDate instanceof Date);
    assert.equal(nia.NetworkPathFound, undefined);
    await lab.closeGroup();
    const blocked = await ec2.send(new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: p!.NetworkInsightsPathId }));

    const analyses = async (input: object) =>
      (await ec2.send(new DescribeNetworkInsightsAnalysesCommand(input))).NetworkInsightsAnalyses!.map((x) => x.NetworkInsightsAnalysisId);
    const nia2 = blocked.NetworkInsightsAnalysis!.NetworkInsightsAnalysisId;
    assert.deepEqual(await analyses({ Filters: [{ Name: 'path-found', Values: ['true'] }] }), [nia.NetworkInsightsAnalysisId]);
    assert.deepEqual(await analyses({ Filters: [{ Name: 'path-found', Values: ['false'] }] }), [nia2]);
    assert.deepEqual((await analyses({ Filters: [{ Name: 'status', Values: ['succeeded'] }] })).length, 2);
    assert.deepEqual(await analyses({ Filters: [{ Name: 'status', Values: ['running'] }] }), []);
    assert.deepEqual((await analyses({ NetworkInsightsPathId: p!.NetworkInsightsPathId })).length, 2);
    assert.deepEqual(await analyses({ NetworkInsightsPathId: other.NetworkInsightsPath!.NetworkInsightsPathId }), []);
    assert.deepEqual(await analyses({ AnalysisEndTime: new Date(Date.now() - 3_600_000) }), []);
    assert.equal((await analyses({ AnalysisStartTime: new Date(Date.now() - 3_600_000) })).length, 2);
    const first = (await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [nia.NetworkInsightsAnalysisId!] }))).NetworkInsightsAnalyses![0]!;
    assert.deepEqual(first.FilterInArns, [`arn:aws:ec2:us-east-1:000000000000:security-group/${lab.sgId}`]);
    assert.equal(first.NetworkPathFound, true);

    const del = await ec2.send(new DeleteNetworkInsightsAnalysisCommand({ NetworkInsightsAnalysisId: nia.NetworkInsightsAnalysisId }));
    assert.equal(del.NetworkInsightsAnalysisId, nia.NetworkInsightsAnalysisId);
    await rejects(
      ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [nia.NetworkInsightsAnalysisId!] })),
      'InvalidNetworkInsightsAnalysisId.NotFound',
    );
    // A path with analyses left cannot be deleted.
    const refused = await rejects(ec2.send(new DeleteNetworkInsightsPathCommand({ NetworkInsightsPathId: p!.NetworkInsightsPathId })), 'AnalysisExistsForNetworkInsightsPath');
    assert.equal(refused.message, `At least one analysis [${nia2}] exists for path ${p!.NetworkInsightsPathId}. Delete all the analyses before deleting this network path.`);
    await ec2.send(new DeleteNetworkInsightsAnalysisCommand({ NetworkInsightsAnalysisId: nia2 }));
    const delPath = await ec2.send(new DeleteNetworkInsightsPathCommand({ NetworkInsightsPathId: p!.NetworkInsightsPathId }));
    assert.equal(delPath.NetworkInsightsPathId, p!.NetworkInsightsPathId);
    assert.deepEqual(await analyses({}), []);
    assert.deepEqual(await byFilter('protocol', ['tcp']), []);
  });

  it('answers errors as AWS does', async () => {
    const lab = await new Lab().build();
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: 'i-0123456789abcdef0', Destination: lab.web, Protocol: 'tcp' })), 'InvalidInstanceID.NotFound');
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, Destination: 'eni-0123456789abcdef0', Protocol: 'tcp' })), 'InvalidNetworkInterfaceID.NotFound');
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: 'igw-0123456789abcdef0', Destination: lab.web, Protocol: 'tcp' })), 'InvalidInternetGatewayID.NotFound');
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, Destination: lab.igwId } as CreateNetworkInsightsPathCommandInput)), 'MissingParameter');
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, Destination: lab.igwId, Protocol: 'icmp' as 'tcp' })), 'InvalidParameterValue');
    const noDest = await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, DestinationIp: WEBSITE, Protocol: 'tcp' })), 'MissingParameter');
    assert.match(noDest.message, /Destination parameter or the FilterAtSource.DestinationAddress parameter/);
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.sgId, Destination: lab.web, Protocol: 'tcp' })), 'InvalidParameterValue');
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, Destination: lab.igwId, Protocol: 'tcp', DestinationPort: 70000 })), 'InvalidParameterValue');
    await rejects(ec2.send(new CreateNetworkInsightsPathCommand({ Source: lab.web, Destination: lab.igwId, Protocol: 'tcp', DestinationIp: '1.2.3' })), 'InvalidParameterValue');

    const missingNip = await rejects(ec2.send(new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: 'nip-0123456789abcdef0' })), 'InvalidNetworkInsightsPathId.NotFound');
    assert.match(missingNip.message, /nip-0123456789abcdef0/);
    await rejects(ec2.send(new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: 'nope-1' })), 'InvalidNetworkInsightsPathId.Malformed');
    await rejects(ec2.send(new DescribeNetworkInsightsPathsCommand({ NetworkInsightsPathIds: ['nip-0123456789abcdef0'] })), 'InvalidNetworkInsightsPathId.NotFound');
    await rejects(ec2.send(new DescribeNetworkInsightsPathsCommand({ NetworkInsightsPathIds: ['x'] })), 'InvalidNetworkInsightsPathId.Malformed');
    await rejects(ec2.send(new DeleteNetworkInsightsPathCommand({ NetworkInsightsPathId: 'nip-0123456789abcdef0' })), 'InvalidNetworkInsightsPathId.NotFound');
    await rejects(ec2.send(new DeleteNetworkInsightsAnalysisCommand({ NetworkInsightsAnalysisId: 'nia-0123456789abcdef0' })), 'InvalidNetworkInsightsAnalysisId.NotFound');
    await rejects(ec2.send(new DeleteNetworkInsightsAnalysisCommand({ NetworkInsightsAnalysisId: 'bad' })), 'InvalidNetworkInsightsAnalysisId.Malformed');
    await rejects(
      ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: ['nia-0123456789abcdef0'] })),
      'InvalidNetworkInsightsAnalysisId.NotFound',
    );
  });

  it('works from the AWS CLI', async () => {
    const cli = awsCli(() => srv.endpoint);
    const lab = await new Lab().build();
    await lab.closeGroup();
    const created = await cli.ok(['ec2', 'create-network-insights-path', '--source', lab.igwId, '--destination', lab.web, '--protocol', 'tcp', '--destination-port', '443']);
    const nip = created.NetworkInsightsPath.NetworkInsightsPathId as string;
    const started = await cli.ok(['ec2', 'start-network-insights-analysis', '--network-insights-path-id', nip]);
    assert.equal(started.NetworkInsightsAnalysis.Status, 'running');
    const described = await cli.ok(['ec2', 'describe-network-insights-analyses', '--network-insights-path-id', nip]);
    const a = described.NetworkInsightsAnalyses[0];
    assert.equal(a.Status, 'succeeded');
    assert.equal(a.NetworkPathFound, false);
    assert.equal(a.Explanations[0].ExplanationCode, 'ENI_SG_RULES_MISMATCH');
    assert.equal(a.Explanations[0].Component.Id, lab.webEni);
    await cli.fails(['ec2', 'start-network-insights-analysis', '--network-insights-path-id', 'nip-0123456789abcdef0'], 'InvalidNetworkInsightsPathId.NotFound');
  });
});
