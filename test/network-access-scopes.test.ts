/**
 * Network Access Analyzer through the EC2 API: access scopes and their analyses, findings
 * for "what the internet reaches" and "what one subnet reaches in another", exclude paths,
 * paging of findings, and the errors AWS answers.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  AcceptVpcPeeringConnectionCommand,
  AttachVpnGatewayCommand,
  CreateCustomerGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateNetworkInsightsAccessScopeCommand,
  type CreateNetworkInsightsAccessScopeCommandInput,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnConnectionCommand,
  CreateVpnConnectionRouteCommand,
  CreateVpnGatewayCommand,
  DeleteNetworkInsightsAccessScopeAnalysisCommand,
  DeleteNetworkInsightsAccessScopeCommand,
  DescribeNetworkInsightsAccessScopeAnalysesCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  DescribeNetworkInsightsAccessScopesCommand,
  EC2Client,
  GetNetworkInsightsAccessScopeAnalysisFindingsCommand,
  GetNetworkInsightsAccessScopeContentCommand,
  type AccessScopeAnalysisFinding,
  type NetworkInsightsAccessScopeAnalysis,
  type Protocol,
  ReplaceNetworkAclAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartNetworkInsightsAccessScopeAnalysisCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { PROTO_TCP } from '../src/network/compile.js';
import { trace } from '../src/network/trace.js';
import { compiledNetwork } from '../src/services/ec2/network-cache.js';
import { awsCli } from './cli.js';
import { startTestServer, type TestServer } from './helpers.js';

const AMI = 'ami-0a2023c0ffee0a864';

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

interface Host {
  instance: string;
  eni: string;
  privateIp: string;
  publicIp?: string;
  sg: string;
}

/**
 * One VPC: a public subnet (route to the internet gateway) with a web server (tcp 80 and 443
 * from anywhere, Elastic IP) and an admin host (tcp 22 from 10.0.0.0/8 only, Elastic IP), and
 * a private subnet with a database (tcp 5432 from the VPC, tcp 22 from the public subnet).
 */
class Lab {
  vpcId = '';
  igwId = '';
  publicSubnet = '';
  privateSubnet = '';
  publicRt = '';
  web!: Host;
  admin!: Host;
  db!: Host;

  async group(name: string, rules: Array<[number, number, string]>): Promise<string> {
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: this.vpcId, GroupName: name, Description: name }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: rules.map(([FromPort, ToPort, CidrIp]) => ({ IpProtocol: 'tcp', FromPort, ToPort, IpRanges: [{ CidrIp }] })),
      }),
    );
    return GroupId!;
  }

  async host(subnet: string, sg: string, publicIp: boolean): Promise<Host> {
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet, SecurityGroupIds: [sg] }),
    );
    const i = Instances![0]!;
    const h: Host = { instance: i.InstanceId!, eni: i.NetworkInterfaces![0]!.NetworkInterfaceId!, privateIp: i.PrivateIpAddress!, sg };
    if (publicIp) {
      const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: h.instance }));
      h.publicIp = PublicIp!;
    }
    return h;
  }

  async build(): Promise<this> {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    this.vpcId = Vpc!.VpcId!;
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    this.igwId = InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: this.igwId, VpcId: this.vpcId }));
    const pub = await ec2.send(new CreateSubnetCommand({ VpcId: this.vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }));
    this.publicSubnet = pub.Subnet!.SubnetId!;
    const priv = await ec2.send(new CreateSubnetCommand({ VpcId: this.vpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1a' }));
    this.privateSubnet = priv.Subnet!.SubnetId!;
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: this.vpcId }));
    this.publicRt = RouteTable!.RouteTableId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId, SubnetId: this.publicSubnet }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTable!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: this.igwId }));
    const webSg = await this.group('web', [
      [80, 80, '0.0.0.0/0'],
      [443, 443, '0.0.0.0/0'],
    ]);
    const adminSg = await this.group('admin', [[22, 22, '10.0.0.0/8']]);
    const dbSg = await this.group('db', [
      [5432, 5432, '10.0.0.0/16'],
      [22, 22, '10.0.1.0/24'],
    ]);
    this.web = await this.host(this.publicSubnet, webSg, true);
    this.admin = await this.host(this.publicSubnet, adminSg, true);
    this.db = await this.host(this.privateSubnet, dbSg, false);
    return this;
  }

  /** A NAT gateway in the public subnet, and the private subnet's default route through it. */
  async natForPrivateSubnet(): Promise<string> {
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: this.publicSubnet, AllocationId }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: this.vpcId }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId, SubnetId: this.privateSubnet }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTable!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NatGateway!.NatGatewayId }));
    return NatGateway!.NatGatewayId!;
  }

  /** Gives the public subnet a network ACL denying inbound tcp 443 (and allowing the rest). */
  async denyInbound443(): Promise<string> {
    return this.publicAclDenying({ Protocol: '6', CidrBlock: '0.0.0.0/0', PortRange: { From: 443, To: 443 } });
  }

  /** Gives the public subnet a network ACL denying one kind of inbound traffic (rule 90) and allowing the rest. */
  async publicAclDenying(deny: { Protocol: string; CidrBlock: string; PortRange?: { From: number; To: number } }): Promise<string> {
    const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: this.vpcId }));
    const aclId = NetworkAcl!.NetworkAclId!;
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 90, Egress: false, RuleAction: 'deny', ...deny }));
    for (const Egress of [false, true]) {
      await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' }));
    }
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [this.publicSubnet] }] }));
    const assoc = NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === this.publicSubnet)!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aclId }));
    return aclId;
  }
}

const INTERNET_TO_INTERFACES: CreateNetworkInsightsAccessScopeCommandInput = {
  MatchPaths: [
    {
      Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } },
      Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } },
    },
  ],
};

async function createScope(input: CreateNetworkInsightsAccessScopeCommandInput): Promise<string> {
  const { NetworkInsightsAccessScope } = await ec2.send(new CreateNetworkInsightsAccessScopeCommand(input));
  return NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId!;
}

async function analyse(scopeId: string): Promise<{ analysis: NetworkInsightsAccessScopeAnalysis; findings: AccessScopeAnalysisFinding[] }> {
  const { NetworkInsightsAccessScopeAnalysis: started } = await ec2.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: scopeId }));
  assert.equal(started!.Status, 'running');
  assert.match(started!.NetworkInsightsAccessScopeAnalysisId!, /^nisa-[0-9a-f]{17}$/);
  const id = started!.NetworkInsightsAccessScopeAnalysisId!;
  const { NetworkInsightsAccessScopeAnalyses } = await ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeAnalysisIds: [id] }));
  const analysis = NetworkInsightsAccessScopeAnalyses![0]!;
  const got = await ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id }));
  assert.equal(got.NetworkInsightsAccessScopeAnalysisId, id);
  assert.equal(got.AnalysisStatus, analysis.Status);
  return { analysis, findings: got.AnalysisFindings ?? [] };
}

/** Each finding as "first component → last component: protocol ports". */
function summary(findings: AccessScopeAnalysisFinding[]): string[] {
  return findings
    .map((f) => {
      const cs = f.FindingComponents!;
      const header = cs.find((c) => c.OutboundHeader)?.OutboundHeader ?? cs.find((c) => c.InboundHeader)!.InboundHeader!;
      const ports = header.DestinationPortRanges!.map((r) => (r.From === r.To ? `${r.From}` : `${r.From}-${r.To}`)).join(',');
      return `${cs[0]!.Component!.Id} -> ${cs[cs.length - 1]!.Component!.Id}: ${header.Protocol} ${ports}`;
    })
    .sort();
}

describe('Network Access Analyzer (network insights access scopes and analyses)', () => {
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  it('finds every interface reachable from the internet gateway, with its open ports', async () => {
    const lab = await new Lab().build();
    const scopeId = await createScope(INTERNET_TO_INTERFACES);
    const { analysis, findings } = await analyse(scopeId);
    assert.equal(analysis.Status, 'succeeded');
    assert.equal(analysis.FindingsFound, 'true');
    assert.equal(analysis.AnalyzedEniCount, 3);
    assert.equal(analysis.NetworkInsightsAccessScopeId, scopeId);
    assert.ok(analysis.StartDate instanceof Date);
    assert.ok(analysis.EndDate instanceof Date);
    // Only the web server: the admin host allows 22 from 10.0.0.0/8 only, the database has no public address.
    assert.deepEqual(summary(findings), [`${lab.igwId} -> ${lab.web.instance}: 6 80,443`]);
    const f = findings[0]!;
    assert.equal(f.NetworkInsightsAccessScopeId, scopeId);
    assert.equal(f.NetworkInsightsAccessScopeAnalysisId, analysis.NetworkInsightsAccessScopeAnalysisId);
    assert.ok(f.FindingId);
    const cs = f.FindingComponents!;
    assert.deepEqual(
      cs.map((c) => c.SequenceNumber),
      cs.map((_, i) => i + 1),
    );
    const ids = cs.map((c) => c.Component!.Id);
    assert.match(ids[1]!, /^acl-/);
    assert.deepEqual(ids, [lab.igwId, ids[1], lab.web.sg, lab.web.eni, lab.web.instance]);
    // The internet gateway translates the Elastic IP to the private address.
    assert.deepEqual(cs[0]!.InboundHeader!.DestinationAddresses, [lab.web.publicIp]);
    assert.deepEqual(cs[0]!.OutboundHeader!.DestinationAddresses, [lab.web.privateIp]);
    assert.deepEqual(cs[0]!.OutboundHeader!.DestinationPortRanges, [
      { From: 80, To: 80 },
      { From: 443, To: 443 },
    ]);
    assert.equal(cs[2]!.SecurityGroupRule!.SecurityGroupId, lab.web.sg);
    assert.equal(cs[3]!.AttachedTo!.Id, lab.web.instance);
  });

  it('follows rule changes: a wider port range shows as one range, a closed group disappears', async () => {
    const lab = await new Lab().build();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: lab.admin.sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8000, ToPort: 8099, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: lab.web.sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    const scopeId = await createScope(INTERNET_TO_INTERFACES);
    const { findings } = await analyse(scopeId);
    assert.deepEqual(summary(findings), [`${lab.igwId} -> ${lab.admin.instance}: 6 8000-8099`, `${lab.igwId} -> ${lab.web.instance}: 6 443`].sort());
    // A rule for one internet block is a finding for that block only.
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: lab.admin.sg, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }] }),
    );
    const again = await analyse(scopeId);
    assert.deepEqual(
      summary(again.findings),
      [`${lab.igwId} -> ${lab.admin.instance}: 6 8000-8099`, `${lab.igwId} -> ${lab.admin.instance}: 17 53`, `${lab.igwId} -> ${lab.web.instance}: 6 443`].sort(),
    );
    const udp = again.findings.find((f) => f.FindingComponents![0]!.OutboundHeader!.Protocol === '17')!;
    assert.deepEqual(udp.FindingComponents![0]!.InboundHeader!.SourceAddresses, ['203.0.113.0']);
  });

  it('a network ACL denying a port takes it out of the finding', async () => {
    const lab = await new Lab().build();
    const aclId = await lab.denyInbound443();
    const { findings } = await analyse(await createScope(INTERNET_TO_INTERFACES));
    assert.deepEqual(summary(findings), [`${lab.igwId} -> ${lab.web.instance}: 6 80`]);
    const acl = findings[0]!.FindingComponents![1]!;
    assert.equal(acl.Component!.Id, aclId);
    assert.equal(acl.AclRule!.RuleNumber, 100);
    assert.equal(acl.AclRule!.RuleAction, 'allow');
  });

  it('outbound paths to the internet, and ThroughResources: the private subnet goes out through its NAT gateway', async () => {
    const lab = await new Lab().build();
    const natId = await lab.natForPrivateSubnet();
    const outbound = await createScope({
      MatchPaths: [
        {
          Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::Instance'] } },
          Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] }, PacketHeaderStatement: { Protocols: ['tcp'], DestinationPorts: ['443'] } },
          ThroughResources: [{ ResourceStatement: { ResourceTypes: ['AWS::EC2::NatGateway'] } }],
        },
      ],
    });
    const { findings } = await analyse(outbound);
    assert.deepEqual(summary(findings), [`${lab.db.instance} -> ${lab.igwId}: 6 443`]);
    const ids = findings[0]!.FindingComponents!.map((c) => c.Component!.Id);
    assert.ok(ids.includes(natId), ids.join(' '));
    // Without the through statement, the hosts with Elastic IPs go out directly too.
    const direct = await analyse(
      await createScope({
        MatchPaths: [
          {
            Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::Instance'] } },
            Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] }, PacketHeaderStatement: { Protocols: ['tcp'], DestinationPorts: ['443'] } },
          },
        ],
      }),
    );
    assert.deepEqual(
      summary(direct.findings),
      [`${lab.db.instance} -> ${lab.igwId}: 6 443`, `${lab.web.instance} -> ${lab.igwId}: 6 443`, `${lab.admin.instance} -> ${lab.igwId}: 6 443`].sort(),
    );
  });

  it('paths from on premises through a virtual private gateway', async () => {
    const lab = await new Lab().build();
    const { CustomerGateway } = await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '203.0.113.12', BgpAsn: 65000 }));
    const { VpnGateway } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
    const vgwId = VpnGateway!.VpnGatewayId!;
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: lab.vpcId, VpnGatewayId: vgwId }));
    const { VpnConnection } = await ec2.send(
      new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: CustomerGateway!.CustomerGatewayId, VpnGatewayId: vgwId, Options: { StaticRoutesOnly: true } }),
    );
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: VpnConnection!.VpnConnectionId, DestinationCidrBlock: '192.168.0.0/16' }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: lab.db.sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '192.168.0.0/16' }] }] }),
    );
    const { findings } = await analyse(
      await createScope({
        MatchPaths: [
          {
            Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::VPNGateway'] } },
            Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] }, PacketHeaderStatement: { Protocols: ['tcp'] } },
          },
        ],
      }),
    );
    const ends = findings
      .map((f) => {
        const cs = f.FindingComponents!;
        const ports = cs.find((c) => c.OutboundHeader)!.OutboundHeader!.DestinationPortRanges!.map((r) => `${r.From}-${r.To}`).join(',');
        return `${cs.some((c) => c.Component!.Id === vgwId) ? vgwId : cs[0]!.Component!.Id} -> ${cs[cs.length - 1]!.Component!.Id}: ${ports}`;
      })
      .sort();
    // The database lets on premises in on 5432, the web server on 80 and 443; the admin host only the VPC.
    assert.deepEqual(ends, [`${vgwId} -> ${lab.db.instance}: 5432-5432`, `${vgwId} -> ${lab.web.instance}: 80-80,443-443`].sort());
    const db = findings.find((f) => f.FindingComponents!.at(-1)!.Component!.Id === lab.db.instance)!;
    assert.deepEqual(db.FindingComponents!.find((c) => c.OutboundHeader)!.OutboundHeader!.SourceAddresses, ['192.168.0.10']);
    const ids = db.FindingComponents!.map((c) => c.Component!.Id);
    assert.deepEqual(ids.slice(0, 2), [VpnConnection!.VpnConnectionId, vgwId], ids.join(' '));
  });

  it('paths into a peered VPC, and through statements naming the peering connection', async () => {
    const lab = await new Lab().build();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    const vpcB = Vpc!.VpcId!;
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcB, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1a' }));
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcB, GroupName: 'reports', Description: 'reports' }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.1.0/24' }] }] }),
    );
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: Subnet!.SubnetId, SecurityGroupIds: [GroupId!] }),
    );
    const reports = Instances![0]!.InstanceId!;
    const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: lab.vpcId, PeerVpcId: vpcB }));
    const pcx = VpcPeeringConnection!.VpcPeeringConnectionId!;
    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: lab.publicRt, DestinationCidrBlock: '10.1.0.0/16', VpcPeeringConnectionId: pcx }));
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcB] }, { Name: 'association.main', Values: ['true'] }] }),
    );
    await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTables![0]!.RouteTableId, DestinationCidrBlock: '10.0.0.0/16', VpcPeeringConnectionId: pcx }));

    const match = {
      Source: { ResourceStatement: { Resources: [lab.vpcId] } },
      Destination: { ResourceStatement: { Resources: [vpcB] }, PacketHeaderStatement: { Protocols: ['tcp' as Protocol] } },
    };
    const expected = [`${lab.admin.instance} -> ${reports}: 6 5432`, `${lab.web.instance} -> ${reports}: 6 5432`].sort();
    const direct = await analyse(await createScope({ MatchPaths: [match] }));
    // The database's subnet has no route to the peer (and the peer lets only the public subnet in).
    assert.deepEqual(summary(direct.findings), expected);
    assert.ok(direct.findings[0]!.FindingComponents!.some((c) => c.Component!.Id === pcx));
    const through = await analyse(await createScope({ MatchPaths: [{ ...match, ThroughResources: [{ ResourceStatement: { ResourceTypes: ['AWS::EC2::VPCPeeringConnection'] } }] }] }));
    assert.deepEqual(summary(through.findings), expected);
    const excluded = await analyse(await createScope({ MatchPaths: [match], ExcludePaths: [{ ThroughResources: [{ ResourceStatement: { Resources: [pcx] } }] }] }));
    assert.deepEqual(excluded.findings, []);
  });

  it('a retried create with the same ClientToken answers the same scope', async () => {
    const a = await ec2.send(new CreateNetworkInsightsAccessScopeCommand({ ...INTERNET_TO_INTERFACES, ClientToken: 'token-1' }));
    const b = await ec2.send(new CreateNetworkInsightsAccessScopeCommand({ ...INTERNET_TO_INTERFACES, ClientToken: 'token-1' }));
    assert.equal(b.NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId, a.NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId);
    const { NetworkInsightsAccessScopes } = await ec2.send(new DescribeNetworkInsightsAccessScopesCommand({}));
    assert.equal(NetworkInsightsAccessScopes!.length, 1);
  });

  it('internet addresses by class: a group opens a /24, the ACL closes its first /26', async () => {
    const lab = await new Lab().build();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: lab.admin.sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }] }),
    );
    const scopeId = await createScope(INTERNET_TO_INTERFACES);
    const open = await analyse(scopeId);
    const adminFinding = (fs: AccessScopeAnalysisFinding[]) => fs.find((f) => f.FindingComponents!.at(-1)!.Component!.Id === lab.admin.instance);
    assert.deepEqual(adminFinding(open.findings)!.FindingComponents![0]!.InboundHeader!.SourceAddresses, ['203.0.113.0']);
    await lab.publicAclDenying({ Protocol: '-1', CidrBlock: '203.0.113.0/26' });
    const narrowed = await analyse(scopeId);
    assert.deepEqual(summary(narrowed.findings), [`${lab.igwId} -> ${lab.admin.instance}: 6 22`, `${lab.igwId} -> ${lab.web.instance}: 6 80,443`].sort());
    assert.deepEqual(adminFinding(narrowed.findings)!.FindingComponents![0]!.InboundHeader!.SourceAddresses, ['203.0.113.64']);
  });

  it('port ranges are exact: concrete traces agree at and around every bound', async () => {
    const lab = await new Lab().build();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: lab.web.sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8000, ToPort: 8099, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    await lab.publicAclDenying({ Protocol: '6', CidrBlock: '0.0.0.0/0', PortRange: { From: 8050, To: 8060 } });
    const { findings } = await analyse(await createScope(INTERNET_TO_INTERFACES));
    assert.deepEqual(summary(findings), [`${lab.igwId} -> ${lab.web.instance}: 6 80,443,8000-8049,8061-8099`]);
    const ranges = findings[0]!.FindingComponents![0]!.OutboundHeader!.DestinationPortRanges!;
    const open = (p: number) => ranges.some((r) => p >= r.From! && p <= r.To!);
    const probes = new Set<number>([0, 1, 65535]);
    for (const r of ranges) for (const p of [r.From! - 1, r.From!, r.To!, r.To! + 1]) probes.add(p);
    for (const port of probes) {
      const r = await fetch(`${srv.endpoint}/_vpcsim/trace`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: lab.igwId, destination: lab.web.instance, protocol: 'tcp', port }),
      });
      const t = (await r.json()) as { verdict: string };
      assert.equal(t.verdict === 'accepted', open(port), `port ${port}: trace ${t.verdict}, finding ${open(port) ? 'open' : 'closed'}`);
    }
  });

  it('a scope with no reachable path: FindingsFound false, no findings', async () => {
    const lab = await new Lab().build();
    const scopeId = await createScope({
      MatchPaths: [
        {
          Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } },
          Destination: { ResourceStatement: { Resources: [lab.db.instance, lab.admin.eni] } },
        },
      ],
    });
    const { analysis, findings } = await analyse(scopeId);
    assert.equal(analysis.Status, 'succeeded');
    assert.equal(analysis.FindingsFound, 'false');
    assert.deepEqual(findings, []);
  });

  it('traffic from one subnet to another on tcp 22, and exclude paths', async () => {
    const lab = await new Lab().build();
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [lab.vpcId] }));
    // A resource may be named by its ARN.
    const match = {
      Source: { ResourceStatement: { Resources: [`arn:aws:ec2:us-east-1:${Vpcs![0]!.OwnerId}:subnet/${lab.publicSubnet}`] } },
      Destination: { ResourceStatement: { Resources: [lab.privateSubnet] }, PacketHeaderStatement: { Protocols: ['tcp' as Protocol], DestinationPorts: ['22'] } },
    };
    const all = await analyse(await createScope({ MatchPaths: [match] }));
    assert.deepEqual(summary(all.findings), [`${lab.admin.instance} -> ${lab.db.instance}: 6 22`, `${lab.web.instance} -> ${lab.db.instance}: 6 22`].sort());
    const first = all.findings.find((f) => f.FindingComponents![0]!.Component!.Id === lab.web.instance)!;
    assert.deepEqual(first.FindingComponents![0]!.OutboundHeader!.SourceAddresses, [lab.web.privateIp]);
    assert.deepEqual(first.FindingComponents![0]!.OutboundHeader!.DestinationAddresses, [lab.db.privateIp]);

    // Excluding the admin host by ID.
    const byId = await analyse(await createScope({ MatchPaths: [match], ExcludePaths: [{ Source: { ResourceStatement: { Resources: [lab.admin.instance] } } }] }));
    assert.deepEqual(summary(byId.findings), [`${lab.web.instance} -> ${lab.db.instance}: 6 22`]);
    // Excluding by source address (the web server's /32).
    const byAddress = await analyse(
      await createScope({ MatchPaths: [match], ExcludePaths: [{ Source: { PacketHeaderStatement: { SourceAddresses: [`${lab.web.privateIp}/32`] } } }] }),
    );
    assert.deepEqual(summary(byAddress.findings), [`${lab.admin.instance} -> ${lab.db.instance}: 6 22`]);
    // Excluding the whole destination subnet leaves nothing.
    const none = await analyse(await createScope({ MatchPaths: [match], ExcludePaths: [{ Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } } }] }));
    assert.equal(none.analysis.FindingsFound, 'false');
    assert.deepEqual(none.findings, []);
  });

  it('an exclude path on some ports removes only those ports', async () => {
    const lab = await new Lab().build();
    const { findings } = await analyse(
      await createScope({
        ...INTERNET_TO_INTERFACES,
        ExcludePaths: [{ Destination: { PacketHeaderStatement: { DestinationPorts: ['443'] } } }],
      }),
    );
    assert.deepEqual(summary(findings), [`${lab.igwId} -> ${lab.web.instance}: 6 80`]);
  });

  it('match paths with ports and protocols narrow the findings', async () => {
    const lab = await new Lab().build();
    const only443 = await analyse(
      await createScope({
        MatchPaths: [
          {
            Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } },
            Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::Instance'] }, PacketHeaderStatement: { DestinationPorts: ['400-500'] } },
          },
        ],
      }),
    );
    assert.deepEqual(summary(only443.findings), [`${lab.igwId} -> ${lab.web.instance}: 6 443`]);
    const udp = await analyse(
      await createScope({
        MatchPaths: [{ Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } }, Destination: { PacketHeaderStatement: { Protocols: ['udp'] } } }],
      }),
    );
    assert.deepEqual(udp.findings, []);
  });

  it('pages findings with MaxResults and NextToken', async () => {
    const lab = await new Lab().build();
    const scopeId = await createScope({
      MatchPaths: [
        {
          Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } },
          Destination: { ResourceStatement: { Resources: [lab.db.eni] }, PacketHeaderStatement: { Protocols: ['tcp'] } },
        },
      ],
    });
    const { analysis, findings } = await analyse(scopeId);
    // web and admin reach the database on 22 and 5432; nothing else does.
    assert.deepEqual(summary(findings), [`${lab.admin.instance} -> ${lab.db.instance}: 6 22,5432`, `${lab.web.instance} -> ${lab.db.instance}: 6 22,5432`].sort());
    const id = analysis.NetworkInsightsAccessScopeAnalysisId!;
    const p1 = await ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id, MaxResults: 1 }));
    assert.equal(p1.AnalysisFindings!.length, 1);
    assert.ok(p1.NextToken);
    const p2 = await ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id, MaxResults: 1, NextToken: p1.NextToken }));
    assert.equal(p2.AnalysisFindings!.length, 1);
    assert.equal(p2.NextToken, undefined);
    assert.deepEqual(
      [p1.AnalysisFindings![0]!.FindingId, p2.AnalysisFindings![0]!.FindingId].sort(),
      findings.map((f) => f.FindingId).sort(),
    );
    await rejects(ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id, MaxResults: 0 })), 'InvalidParameterValue');
    await rejects(ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id, MaxResults: 1001 })), 'InvalidParameterValue');
    await rejects(ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id, NextToken: 'garbage' })), 'InvalidPaginationToken');
  });

  it('creates, describes, reads the content of and deletes scopes and analyses', async () => {
    await new Lab().build();
    const input: CreateNetworkInsightsAccessScopeCommandInput = {
      MatchPaths: [
        {
          Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } },
          Destination: { PacketHeaderStatement: { DestinationPorts: ['22', '3389'], Protocols: ['tcp'] }, ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } },
        },
      ],
      ExcludePaths: [{ Source: { PacketHeaderStatement: { SourceAddresses: ['198.51.100.0/24'] } }, ThroughResources: [{ ResourceStatement: { ResourceTypes: ['AWS::EC2::NatGateway'] } }] }],
      TagSpecifications: [{ ResourceType: 'network-insights-access-scope', Tags: [{ Key: 'team', Value: 'net' }] }],
    };
    const created = await ec2.send(new CreateNetworkInsightsAccessScopeCommand(input));
    const s = created.NetworkInsightsAccessScope!;
    assert.match(s.NetworkInsightsAccessScopeId!, /^nis-[0-9a-f]{17}$/);
    assert.match(s.NetworkInsightsAccessScopeArn!, new RegExp(`^arn:aws:ec2:us-east-1:\\d{12}:network-insights-access-scope/${s.NetworkInsightsAccessScopeId}$`));
    assert.ok(s.CreatedDate instanceof Date);
    assert.ok(s.UpdatedDate instanceof Date);
    assert.deepEqual(s.Tags, [{ Key: 'team', Value: 'net' }]);
    const expectedContent = {
      NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId,
      MatchPaths: input.MatchPaths,
      ExcludePaths: input.ExcludePaths,
    };
    assert.deepEqual(JSON.parse(JSON.stringify(created.NetworkInsightsAccessScopeContent)), expectedContent);
    const content = await ec2.send(new GetNetworkInsightsAccessScopeContentCommand({ NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId }));
    assert.deepEqual(JSON.parse(JSON.stringify(content.NetworkInsightsAccessScopeContent)), expectedContent);

    const other = await createScope(INTERNET_TO_INTERFACES);
    const scopes = async (i: object) => (await ec2.send(new DescribeNetworkInsightsAccessScopesCommand(i))).NetworkInsightsAccessScopes!.map((x) => x.NetworkInsightsAccessScopeId);
    assert.deepEqual((await scopes({})).sort(), [s.NetworkInsightsAccessScopeId, other].sort());
    assert.deepEqual(await scopes({ NetworkInsightsAccessScopeIds: [other] }), [other]);
    assert.deepEqual(await scopes({ Filters: [{ Name: 'tag:team', Values: ['net'] }] }), [s.NetworkInsightsAccessScopeId]);
    await ec2.send(new CreateTagsCommand({ Resources: [other], Tags: [{ Key: 'team', Value: 'sec' }] }));
    assert.deepEqual(await scopes({ Filters: [{ Name: 'tag:team', Values: ['sec'] }] }), [other]);
    const page = await ec2.send(new DescribeNetworkInsightsAccessScopesCommand({ MaxResults: 1 }));
    assert.equal(page.NetworkInsightsAccessScopes!.length, 1);
    assert.ok(page.NextToken);

    const a1 = (
      await ec2.send(
        new StartNetworkInsightsAccessScopeAnalysisCommand({
          NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId,
          TagSpecifications: [{ ResourceType: 'network-insights-access-scope-analysis', Tags: [{ Key: 'run', Value: '1' }] }],
        }),
      )
    ).NetworkInsightsAccessScopeAnalysis!;
    assert.equal(a1.Status, 'running');
    assert.equal(a1.FindingsFound, 'unknown');
    assert.match(a1.NetworkInsightsAccessScopeAnalysisArn!, new RegExp(`:network-insights-access-scope-analysis/${a1.NetworkInsightsAccessScopeAnalysisId}$`));
    assert.deepEqual(a1.Tags, [{ Key: 'run', Value: '1' }]);
    const a2 = (await ec2.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: other }))).NetworkInsightsAccessScopeAnalysis!;

    const analyses = async (i: object) =>
      (await ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand(i))).NetworkInsightsAccessScopeAnalyses!.map((x) => x.NetworkInsightsAccessScopeAnalysisId);
    assert.equal((await analyses({})).length, 2);
    assert.deepEqual(await analyses({ NetworkInsightsAccessScopeId: other }), [a2.NetworkInsightsAccessScopeAnalysisId]);
    assert.deepEqual(await analyses({ Filters: [{ Name: 'tag:run', Values: ['1'] }] }), [a1.NetworkInsightsAccessScopeAnalysisId]);
    assert.deepEqual(await analyses({ AnalysisStartTimeEnd: new Date(Date.now() - 3_600_000) }), []);
    assert.equal((await analyses({ AnalysisStartTimeBegin: new Date(Date.now() - 3_600_000) })).length, 2);
    assert.deepEqual(await analyses({ AnalysisStartTimeBegin: new Date(Date.now() + 3_600_000) }), []);
    const done = (await ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeAnalysisIds: [a1.NetworkInsightsAccessScopeAnalysisId!] })))
      .NetworkInsightsAccessScopeAnalyses![0]!;
    assert.equal(done.Status, 'succeeded');
    assert.equal(done.FindingsFound, 'false');

    const del = await ec2.send(new DeleteNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeAnalysisId: a2.NetworkInsightsAccessScopeAnalysisId }));
    assert.equal(del.NetworkInsightsAccessScopeAnalysisId, a2.NetworkInsightsAccessScopeAnalysisId);
    await rejects(
      ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: a2.NetworkInsightsAccessScopeAnalysisId })),
      'InvalidNetworkInsightsAccessScopeAnalysisId.NotFound',
    );
    // A scope with analyses is kept until they are deleted.
    const refused = await rejects(
      ec2.send(new DeleteNetworkInsightsAccessScopeCommand({ NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId })),
      'AnalysisExistsForNetworkInsightsAccessScope',
    );
    assert.match(refused.message, new RegExp(`\\[${a1.NetworkInsightsAccessScopeAnalysisId}\\] exists for access scope ${s.NetworkInsightsAccessScopeId}`));
    assert.deepEqual(await analyses({}), [a1.NetworkInsightsAccessScopeAnalysisId]);
    await ec2.send(new DeleteNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeAnalysisId: a1.NetworkInsightsAccessScopeAnalysisId }));
    const delScope = await ec2.send(new DeleteNetworkInsightsAccessScopeCommand({ NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId }));
    assert.equal(delScope.NetworkInsightsAccessScopeId, s.NetworkInsightsAccessScopeId);
    assert.deepEqual(await analyses({}), []);
    assert.deepEqual(await scopes({}), [other]);
    await rejects(
      ec2.send(new GetNetworkInsightsAccessScopeContentCommand({ NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId })),
      'InvalidNetworkInsightsAccessScopeId.NotFound',
    );
  });

  it('an analysis naming a resource that no longer exists fails, saying which', async () => {
    await new Lab().build();
    const scopeId = await createScope({
      MatchPaths: [{ Source: { ResourceStatement: { Resources: ['i-0123456789abcdef0'] } }, Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } } }],
    });
    const { analysis, findings } = await analyse(scopeId);
    assert.equal(analysis.Status, 'failed');
    assert.equal(analysis.FindingsFound, 'unknown');
    assert.match(analysis.StatusMessage!, /missing component i-0123456789abcdef0/);
    assert.deepEqual(findings, []);
  });

  it('answers errors as AWS does', async () => {
    const lab = await new Lab().build();
    const scope = (MatchPaths: CreateNetworkInsightsAccessScopeCommandInput['MatchPaths'], ExcludePaths?: CreateNetworkInsightsAccessScopeCommandInput['ExcludePaths']) =>
      ec2.send(new CreateNetworkInsightsAccessScopeCommand({ MatchPaths, ExcludePaths }));
    const missing = await rejects(ec2.send(new CreateNetworkInsightsAccessScopeCommand({})), 'MissingParameter');
    assert.match(missing.message, /MatchPath/);
    await rejects(scope([{ Source: { ResourceStatement: { Resources: [lab.web.instance], ResourceTypes: ['AWS::EC2::Instance'] } } }]), 'InvalidParameterCombination');
    await rejects(scope([{ Destination: { ResourceStatement: { ResourceTypes: ['AWS::S3::Bucket'] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NatGateway'] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ ThroughResources: [{ ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } }] }]), 'InvalidParameterValue');
    await rejects(scope([{ Source: { ResourceStatement: { Resources: ['rtb-0123456789abcdef0'] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ Source: { PacketHeaderStatement: { Protocols: ['icmp' as Protocol] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ Destination: { PacketHeaderStatement: { DestinationPorts: ['70000'] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ Destination: { PacketHeaderStatement: { DestinationPorts: ['90-80'] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ Source: { PacketHeaderStatement: { SourceAddresses: ['10.0.0.300/8'] } } }]), 'InvalidParameterValue');
    await rejects(scope([{ Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } } }], [{ Source: { PacketHeaderStatement: { SourcePorts: ['x'] } } }]), 'InvalidParameterValue');
    await rejects(
      scope([{ Source: { PacketHeaderStatement: { SourceAddresses: ['10.0.0.0/8'], SourcePrefixLists: ['pl-0123456789abcdef0'] } } }]),
      'InvalidParameterCombination',
    );
    await rejects(scope([{ Destination: { PacketHeaderStatement: { DestinationPrefixLists: ['pl-0123456789abcdef0'] } } }]), 'InvalidPrefixListID.NotFound');
    await rejects(
      ec2.send(
        new CreateNetworkInsightsAccessScopeCommand({ ...INTERNET_TO_INTERFACES, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] }),
      ),
      'InvalidParameterValue',
    );

    const nis = 'nis-0123456789abcdef0';
    const nisa = 'nisa-0123456789abcdef0';
    const notFound = await rejects(ec2.send(new GetNetworkInsightsAccessScopeContentCommand({ NetworkInsightsAccessScopeId: nis })), 'InvalidNetworkInsightsAccessScopeId.NotFound');
    assert.match(notFound.message, new RegExp(nis));
    await rejects(ec2.send(new GetNetworkInsightsAccessScopeContentCommand({ NetworkInsightsAccessScopeId: 'nope-1' })), 'InvalidNetworkInsightsAccessScopeId.Malformed');
    await rejects(ec2.send(new DescribeNetworkInsightsAccessScopesCommand({ NetworkInsightsAccessScopeIds: [nis] })), 'InvalidNetworkInsightsAccessScopeId.NotFound');
    await rejects(ec2.send(new DescribeNetworkInsightsAccessScopesCommand({ MaxResults: 101 })), 'InvalidParameterValue');
    await rejects(ec2.send(new DescribeNetworkInsightsAccessScopesCommand({ Filters: [{ Name: 'protocol', Values: ['tcp'] }] })), 'InvalidParameterValue');
    await rejects(ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ Filters: [{ Name: 'status', Values: ['succeeded'] }] })), 'InvalidParameterValue');
    await rejects(ec2.send(new DeleteNetworkInsightsAccessScopeCommand({ NetworkInsightsAccessScopeId: nis })), 'InvalidNetworkInsightsAccessScopeId.NotFound');
    await rejects(ec2.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: nis })), 'InvalidNetworkInsightsAccessScopeId.NotFound');
    await rejects(ec2.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: 'x' })), 'InvalidNetworkInsightsAccessScopeId.Malformed');
    await rejects(
      ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeAnalysisIds: [nisa] })),
      'InvalidNetworkInsightsAccessScopeAnalysisId.NotFound',
    );
    await rejects(ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeId: 'bad' })), 'InvalidNetworkInsightsAccessScopeId.Malformed');
    await rejects(ec2.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ MaxResults: 101 })), 'InvalidParameterValue');
    await rejects(
      ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: nisa })),
      'InvalidNetworkInsightsAccessScopeAnalysisId.NotFound',
    );
    await rejects(
      ec2.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: 'nisa-zz' })),
      'InvalidNetworkInsightsAccessScopeAnalysisId.Malformed',
    );
    await rejects(
      ec2.send(new DeleteNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeAnalysisId: nisa })),
      'InvalidNetworkInsightsAccessScopeAnalysisId.NotFound',
    );
  });

  it('works from the AWS CLI', async () => {
    const cli = awsCli(() => srv.endpoint);
    const lab = await new Lab().build();
    const created = await cli.ok([
      'ec2',
      'create-network-insights-access-scope',
      '--match-paths',
      JSON.stringify(INTERNET_TO_INTERFACES.MatchPaths),
      '--tag-specifications',
      'ResourceType=network-insights-access-scope,Tags=[{Key=Name,Value=internet}]',
    ]);
    const nis = created.NetworkInsightsAccessScope.NetworkInsightsAccessScopeId as string;
    assert.match(nis, /^nis-/);
    assert.deepEqual(created.NetworkInsightsAccessScopeContent.MatchPaths, INTERNET_TO_INTERFACES.MatchPaths);
    const started = await cli.ok(['ec2', 'start-network-insights-access-scope-analysis', '--network-insights-access-scope-id', nis]);
    const nisa = started.NetworkInsightsAccessScopeAnalysis.NetworkInsightsAccessScopeAnalysisId as string;
    assert.equal(started.NetworkInsightsAccessScopeAnalysis.Status, 'running');
    const found = await cli.ok(['ec2', 'get-network-insights-access-scope-analysis-findings', '--network-insights-access-scope-analysis-id', nisa]);
    assert.equal(found.AnalysisStatus, 'succeeded');
    assert.equal(found.AnalysisFindings.length, 1);
    const cs = found.AnalysisFindings[0].FindingComponents;
    assert.equal(cs[0].Component.Id, lab.igwId);
    assert.equal(cs[cs.length - 1].Component.Id, lab.web.instance);
    await cli.fails(['ec2', 'get-network-insights-access-scope-content', '--network-insights-access-scope-id', 'nis-0123456789abcdef0'], 'InvalidNetworkInsightsAccessScopeId.NotFound');
  });
});

// ---------------------------------------------------------------------------------------
// Randomized: the analysis agrees with tracing every pair on every port class
// ---------------------------------------------------------------------------------------

/** A small deterministic generator (mulberry32). */
function random(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

const PORTS: Array<[number, number]> = [
  [22, 22],
  [80, 80],
  [443, 443],
  [1000, 2000],
  [1500, 1600],
  [8000, 8100],
  [0, 65535],
];

/**
 * A random network of two VPCs (peered or not, routes one way, both or none), two subnets
 * each (a custom network ACL with a few tcp entries, or the default), three security groups
 * per VPC (tcp rules from blocks, from groups including their own, from one interface's /32;
 * sometimes egress narrowed), and 3 instances per subnet, several sharing the same groups.
 */
async function randomNetwork(client: EC2Client, seed: number): Promise<void> {
  const r = random(seed);
  const vpcs: string[] = [];
  const subnets: Array<{ id: string; cidr: string; vpc: number }> = [];
  const groups: string[][] = [];
  const acls: string[] = [];
  for (let v = 0; v < 2; v++) {
    const vpc = (await client.send(new CreateVpcCommand({ CidrBlock: `10.${v}.0.0/16` }))).Vpc!.VpcId!;
    vpcs.push(vpc);
    const gs: string[] = [];
    for (let g = 0; g < 3; g++) gs.push((await client.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: `g${g}`, Description: 'random' }))).GroupId!);
    groups.push(gs);
    for (let sn = 0; sn < 2; sn++) {
      const cidr = `10.${v}.${sn}.0/24`;
      const id = (await client.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr }))).Subnet!.SubnetId!;
      subnets.push({ id, cidr, vpc: v });
      if (r.chance(0.6)) {
        const acl = (await client.send(new CreateNetworkAclCommand({ VpcId: vpc }))).NetworkAcl!.NetworkAclId!;
        acls.push(acl);
        for (const Egress of [false, true]) {
          for (let e = 0; e < r.int(3); e++) {
            const [From, To] = r.pick(PORTS);
            const CidrBlock = r.pick(['0.0.0.0/0', '10.0.0.0/16', '10.1.0.0/16', '10.0.1.0/24', '10.1.0.0/24', '10.0.0.0/25', '10.0.0.4/31', '10.1.1.4/30', '10.0.1.6/31']);
            await client.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 10 + e, Egress, RuleAction: r.pick(['allow', 'deny']), Protocol: '6', CidrBlock, PortRange: { From, To } }));
          }
          await client.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Egress, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' }));
        }
        const { NetworkAcls } = await client.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [id] }] }));
        const assoc = NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === id)!;
        await client.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: acl }));
      }
    }
  }
  // Security group rules, within the VPC (group references) and across (blocks).
  for (let v = 0; v < 2; v++) {
    for (const g of groups[v]!) {
      const perms = [];
      for (let k = 0; k < 1 + r.int(3); k++) {
        const [FromPort, ToPort] = r.pick(PORTS);
        if (r.chance(0.35)) perms.push({ IpProtocol: 'tcp', FromPort, ToPort, UserIdGroupPairs: [{ GroupId: r.pick(groups[v]!) }] });
        else perms.push({ IpProtocol: 'tcp', FromPort, ToPort, IpRanges: [{ CidrIp: r.pick(['0.0.0.0/0', '10.0.0.0/16', '10.1.0.0/16', '10.0.0.0/24', '10.1.1.0/24', '10.0.1.0/25', '10.0.0.4/30', '10.1.0.5/32']) }] });
      }
      await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g, IpPermissions: perms }));
      if (r.chance(0.5)) {
        await client.send(new RevokeSecurityGroupEgressCommand({ GroupId: g, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
        const [FromPort, ToPort] = r.pick(PORTS);
        await client.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: g, IpPermissions: [{ IpProtocol: 'tcp', FromPort, ToPort, IpRanges: [{ CidrIp: r.pick(['0.0.0.0/0', '10.0.0.0/16', '10.1.0.0/16', '10.0.0.4/31', '10.1.1.0/29']) }] }] }));
      }
    }
  }
  const ips: string[] = [];
  for (const s of subnets) {
    for (let k = 0; k < 3; k++) {
      const gs = groups[s.vpc]!;
      const SecurityGroupIds = r.chance(0.5) ? [gs[0]!] : r.chance(0.5) ? [r.pick(gs)] : [gs[1]!, gs[2]!];
      const { Instances } = await client.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: s.id, SecurityGroupIds }));
      ips.push(Instances![0]!.PrivateIpAddress!);
    }
  }
  // Rules naming one interface's address: that interface is unlike its neighbours.
  const [FromPort, ToPort] = r.pick(PORTS);
  await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: r.pick(groups[0]!), IpPermissions: [{ IpProtocol: 'tcp', FromPort, ToPort, IpRanges: [{ CidrIp: `${r.pick(ips)}/32` }] }] }));
  for (const acl of acls) {
    for (const Egress of [false, true]) {
      const [From, To] = r.pick(PORTS);
      await client.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 5, Egress, RuleAction: 'deny', Protocol: '6', CidrBlock: `${r.pick(ips)}/32`, PortRange: { From, To } }));
    }
  }
  if (r.chance(0.7)) {
    const pcx = (await client.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcs[0], PeerVpcId: vpcs[1] }))).VpcPeeringConnection!.VpcPeeringConnectionId!;
    await client.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    const ways = r.pick([[0, 1], [1, 0], [0, 1, 1, 0]]);
    for (let w = 0; w < ways.length; w += 2) {
      const [here, there] = [ways[w]!, ways[w + 1]!];
      const { RouteTables } = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcs[here]!] }, { Name: 'association.main', Values: ['true'] }] }));
      await client.send(new CreateRouteCommand({ RouteTableId: RouteTables![0]!.RouteTableId, DestinationCidrBlock: `10.${there}.0.0/16`, VpcPeeringConnectionId: pcx }));
    }
  }
}

/**
 * The reference: every ordered pair of interfaces that can carry traffic, traced on every
 * tcp port class of the whole network (cut at the bounds of every security group rule and
 * ACL entry), as "source -> destination: ranges".
 */
function reference(server: TestServer): string[] {
  const net = compiledNetwork(server.app);
  const cuts = new Set<number>([0]);
  const bound = (from: number, to: number) => {
    if (from > 0 && from <= 65535) cuts.add(from);
    if (to + 1 <= 65535) cuts.add(to + 1);
  };
  for (const g of net.securityGroups.values()) for (const rule of [...g.ingress, ...g.egress]) if (rule.protocol === PROTO_TCP) bound(rule.fromPort, rule.toPort);
  for (const a of net.acls.values()) for (const e of [...a.ingress, ...a.egress]) if (e.protocol === PROTO_TCP) bound(e.fromPort, e.toPort);
  const points = [...cuts].sort((a, b) => a - b);
  const ifaces = [...net.interfaces.values()].filter((i) => i.up);
  const out: string[] = [];
  for (const s of ifaces) {
    for (const d of ifaces) {
      if (s === d) continue;
      const open: Array<[number, number]> = [];
      for (let k = 0; k < points.length; k++) {
        const t = trace(net, { source: s.id, destination: d.id, protocol: PROTO_TCP, sourcePort: 49152, destinationPort: points[k]! });
        const end = t.forward.end;
        if (!t.forward.accepted || end?.kind !== 'interface' || end.iface !== d) continue;
        const hi = k + 1 < points.length ? points[k + 1]! - 1 : 65535;
        const last = open[open.length - 1];
        if (last && last[1] + 1 === points[k]) last[1] = hi;
        else open.push([points[k]!, hi]);
      }
      if (open.length) out.push(`${s.id} -> ${d.id}: ${open.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`);
    }
  }
  return out.sort();
}

/** Each finding as "source interface -> destination interface: ranges". */
function interfacePairs(findings: AccessScopeAnalysisFinding[]): string[] {
  return findings
    .map((f) => {
      const enis = f.FindingComponents!.map((c) => c.Component!.Id!).filter((id) => id.startsWith('eni-'));
      const header = f.FindingComponents!.find((c) => c.OutboundHeader)!.OutboundHeader!;
      assert.equal(header.Protocol, '6');
      const ports = header.DestinationPortRanges!.map((x) => (x.From === x.To ? `${x.From}` : `${x.From}-${x.To}`)).join(',');
      return `${enis[0]} -> ${enis[enis.length - 1]}: ${ports}`;
    })
    .sort();
}

describe('Network Access Analyzer on random networks, and its budget', () => {
  let server: TestServer;
  let client: EC2Client;
  before(async () => {
    server = await startTestServer({ stateTransitionMs: 0, inMemory: true });
    client = server.ec2();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const ALL_TCP: CreateNetworkInsightsAccessScopeCommandInput = {
    MatchPaths: [
      {
        Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } },
        Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] }, PacketHeaderStatement: { Protocols: ['tcp'] } },
      },
    ],
  };

  async function analyse(input: CreateNetworkInsightsAccessScopeCommandInput): Promise<{ analysis: NetworkInsightsAccessScopeAnalysis; findings: AccessScopeAnalysisFinding[] }> {
    const scope = (await client.send(new CreateNetworkInsightsAccessScopeCommand(input))).NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId!;
    const id = (await client.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: scope }))).NetworkInsightsAccessScopeAnalysis!.NetworkInsightsAccessScopeAnalysisId!;
    const analysis = (await client.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeAnalysisIds: [id] }))).NetworkInsightsAccessScopeAnalyses![0]!;
    const findings: AccessScopeAnalysisFinding[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id, MaxResults: 1000, NextToken }));
      findings.push(...(page.AnalysisFindings ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return { analysis, findings };
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    it(`every interface to every interface on tcp agrees with tracing every pair and port class (seed ${seed})`, async () => {
      await randomNetwork(client, seed);
      const { analysis, findings } = await analyse(ALL_TCP);
      assert.equal(analysis.Status, 'succeeded', analysis.StatusMessage);
      const expected = reference(server);
      assert.deepEqual(interfacePairs(findings), expected);
      assert.equal(analysis.FindingsFound, expected.length ? 'true' : 'false');
    });
  }
});

describe('Network Access Analyzer: findings kept on disk', () => {
  it('findings read after a restart are the same as before', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vpcsim-naa-'));
    try {
      let server = await startTestServer({ stateTransitionMs: 0, dataDir });
      let client = server.ec2();
      await randomNetwork(client, 4);
      const scope = (await client.send(new CreateNetworkInsightsAccessScopeCommand({ MatchPaths: [{ Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } } }] })))
        .NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId!;
      const id = (await client.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: scope }))).NetworkInsightsAccessScopeAnalysis!
        .NetworkInsightsAccessScopeAnalysisId!;
      const before = (await client.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id }))).AnalysisFindings!;
      assert.ok(before.length > 0);
      await server.close();
      server = await startTestServer({ stateTransitionMs: 0, dataDir });
      client = server.ec2();
      try {
        const after = (await client.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id }))).AnalysisFindings!;
        assert.deepEqual(after, before);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('Network Access Analyzer: an analysis over its budget fails, saying what to narrow', () => {
  let server: TestServer;
  let client: EC2Client;
  before(async () => {
    server = await startTestServer({ stateTransitionMs: 0, inMemory: true, quotas: { ...DEFAULT_QUOTAS, findingsPerAccessScopeAnalysis: 3 } });
    client = server.ec2();
  });
  after(() => server.close());

  it('more findings than the quota: failed, no findings, StatusMessage names the limit and how to narrow', async () => {
    await randomNetwork(client, 3);
    const all = {
      MatchPaths: [{ Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } }, Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } } }],
    };
    const scope = (await client.send(new CreateNetworkInsightsAccessScopeCommand(all))).NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId!;
    const id = (await client.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: scope }))).NetworkInsightsAccessScopeAnalysis!.NetworkInsightsAccessScopeAnalysisId!;
    const a = (await client.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeAnalysisIds: [id] }))).NetworkInsightsAccessScopeAnalyses![0]!;
    assert.equal(a.Status, 'failed');
    assert.equal(a.FindingsFound, 'unknown');
    assert.match(a.StatusMessage!, /more than 3 findings/);
    assert.match(a.StatusMessage!, /Narrow the Network Access Scope/);
    const page = await client.send(new GetNetworkInsightsAccessScopeAnalysisFindingsCommand({ NetworkInsightsAccessScopeAnalysisId: id }));
    assert.equal(page.AnalysisStatus, 'failed');
    assert.deepEqual(page.AnalysisFindings ?? [], []);
  });
});

describe('Network Access Analyzer: an analysis over its time budget fails, saying what to narrow', () => {
  let server: TestServer;
  let client: EC2Client;
  before(async () => {
    server = await startTestServer({ stateTransitionMs: 0, inMemory: true, quotas: { ...DEFAULT_QUOTAS, accessScopeAnalysisMs: 1 } });
    client = server.ec2();
  });
  after(() => server.close());

  it('more milliseconds than the quota: failed, StatusMessage names the limit', async () => {
    await randomNetwork(client, 5);
    // Every interface to every interface on both protocols, source addresses named: hundreds of traces.
    const all = {
      MatchPaths: [
        {
          Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] }, PacketHeaderStatement: { SourceAddresses: ['10.0.0.0/8'] } },
          Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } },
        },
      ],
    };
    const scope = (await client.send(new CreateNetworkInsightsAccessScopeCommand(all))).NetworkInsightsAccessScope!.NetworkInsightsAccessScopeId!;
    const id = (await client.send(new StartNetworkInsightsAccessScopeAnalysisCommand({ NetworkInsightsAccessScopeId: scope }))).NetworkInsightsAccessScopeAnalysis!.NetworkInsightsAccessScopeAnalysisId!;
    const a = (await client.send(new DescribeNetworkInsightsAccessScopeAnalysesCommand({ NetworkInsightsAccessScopeAnalysisIds: [id] }))).NetworkInsightsAccessScopeAnalyses![0]!;
    assert.equal(a.Status, 'failed');
    assert.match(a.StatusMessage!, /more than 1 ms/);
    assert.match(a.StatusMessage!, /Narrow the Network Access Scope/);
  });
});
