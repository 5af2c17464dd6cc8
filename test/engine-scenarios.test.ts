/**
 * The network engine end to end: real networks built through @aws-sdk/client-ec2, traced
 * through POST /_vpcsim/trace. Each scenario is one documented behaviour of the VPC data
 * plane with its expected verdict and Reachability Analyzer explanation code.
 */
import {
  AcceptVpcPeeringConnectionCommand,
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AttachVpnGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateCustomerGatewayCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnConnectionCommand,
  CreateVpnConnectionRouteCommand,
  CreateVpnGatewayCommand,
  DeleteRouteCommand,
  DescribeNetworkAclsCommand,
  DescribePrefixListsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EnableVgwRoutePropagationCommand,
  GetManagedPrefixListEntriesCommand,
  ModifyInstanceAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { formatIpv6, parseCidr6 } from '../src/network/cidr.js';
import { INTERNET_CLIENT, startTestServer, type TestServer } from './helpers.js';

const AMI = 'ami-0a2023c0ffee0a864';
const WEBSITE = '93.184.216.34';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

interface TraceBody {
  source: string;
  destination: string;
  protocol?: string;
  port?: number;
  sourcePort?: number;
  sourceIp?: string;
  ipVersion?: number;
}

let srv: TestServer;
let ec2: EC2Client;

async function traceCall(body: unknown): Promise<{ status: number; json: Json }> {
  const r = await fetch(`${srv.endpoint}/_vpcsim/trace`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

async function traced(body: TraceBody): Promise<Json> {
  const r = await traceCall({ protocol: 'tcp', ...body });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

async function tunnel(vpnConnectionId: string, outsideIpAddress: string, status: 'UP' | 'DOWN'): Promise<void> {
  const r = await fetch(`${srv.endpoint}/_vpcsim/vpn-tunnel-status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vpnConnectionId, outsideIpAddress, status }),
  });
  assert.equal(r.status, 200);
}

async function routeTableOf(subnetId: string): Promise<string | undefined> {
  const { DescribeRouteTablesCommand } = await import('@aws-sdk/client-ec2');
  const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
  return RouteTables?.[0]?.RouteTableId;
}

function codes(t: Json): string[] {
  return t.explanations.map((e: Json) => e.explanationCode);
}

function componentIds(hops: Json[]): string[] {
  return hops.map((h) => h.component.id);
}

// ---------------------------------------------------------------------------------------
// Building networks
// ---------------------------------------------------------------------------------------

/** A VPC with a public subnet (route to an internet gateway) and a private one. */
class Lab {
  vpcId = '';
  igwId = '';
  publicSubnet = '';
  privateSubnet = '';
  publicRt = '';
  privateRt = '';
  sgWeb = '';
  web = '';
  webEni = '';
  webPrivateIp = '';
  webPublicIp = '';
  app = '';
  appEni = '';
  appPrivateIp = '';

  async vpc(cidr: string): Promise<string> {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
    return Vpc!.VpcId!;
  }

  async subnet(vpcId: string, cidr: string): Promise<string> {
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: 'us-east-1a' }));
    return Subnet!.SubnetId!;
  }

  async table(vpcId: string, subnetId: string): Promise<string> {
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId!, SubnetId: subnetId }));
    return RouteTable!.RouteTableId!;
  }

  async group(vpcId: string, name: string, ingress: Array<{ port: number; cidr: string }>): Promise<string> {
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: name }));
    for (const r of ingress) {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: r.port, ToPort: r.port, IpRanges: [{ CidrIp: r.cidr }] }] }),
      );
    }
    return GroupId!;
  }

  async instance(subnetId: string, groupId: string): Promise<{ id: string; eni: string; ip: string }> {
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnetId, SecurityGroupIds: [groupId] }),
    );
    const i = Instances![0]!;
    return { id: i.InstanceId!, eni: i.NetworkInterfaces![0]!.NetworkInterfaceId!, ip: i.PrivateIpAddress! };
  }

  async elasticIp(instanceId: string): Promise<string> {
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: instanceId }));
    return PublicIp!;
  }

  /** The public web server (tcp 443 from anywhere, 22 from the VPC) and a private app server. */
  async build(opts: { webPublicIp?: boolean } = {}): Promise<this> {
    this.vpcId = await this.vpc('10.0.0.0/16');
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    this.igwId = InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: this.igwId, VpcId: this.vpcId }));
    this.publicSubnet = await this.subnet(this.vpcId, '10.0.1.0/24');
    this.privateSubnet = await this.subnet(this.vpcId, '10.0.2.0/24');
    this.publicRt = await this.table(this.vpcId, this.publicSubnet);
    this.privateRt = await this.table(this.vpcId, this.privateSubnet);
    await ec2.send(new CreateRouteCommand({ RouteTableId: this.publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: this.igwId }));
    this.sgWeb = await this.group(this.vpcId, 'web', [
      { port: 443, cidr: '0.0.0.0/0' },
      { port: 22, cidr: '10.0.0.0/16' },
    ]);
    const web = await this.instance(this.publicSubnet, this.sgWeb);
    Object.assign(this, { web: web.id, webEni: web.eni, webPrivateIp: web.ip });
    if (opts.webPublicIp !== false) this.webPublicIp = await this.elasticIp(web.id);
    const app = await this.instance(this.privateSubnet, this.sgWeb);
    Object.assign(this, { app: app.id, appEni: app.eni, appPrivateIp: app.ip });
    return this;
  }

  /** Replaces the subnet's ACL with a new one holding these entries (plus the final deny). */
  async customAcl(subnetId: string, entries: Array<{ n: number; egress: boolean; action: 'allow' | 'deny'; from?: number; to?: number; cidr?: string }>): Promise<string> {
    const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: this.vpcId }));
    const aclId = NetworkAcl!.NetworkAclId!;
    for (const e of entries) {
      await ec2.send(
        new CreateNetworkAclEntryCommand({
          NetworkAclId: aclId,
          RuleNumber: e.n,
          Egress: e.egress,
          RuleAction: e.action,
          Protocol: e.from === undefined ? '-1' : '6',
          CidrBlock: e.cidr ?? '0.0.0.0/0',
          PortRange: e.from === undefined ? undefined : { From: e.from, To: e.to ?? e.from },
        }),
      );
    }
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
    const assoc = NetworkAcls![0]!.Associations!.find((a) => a.SubnetId === subnetId)!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aclId }));
    return aclId;
  }

  async natGateway(): Promise<{ natId: string; publicIp: string; privateIp: string }> {
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: this.publicSubnet, AllocationId }));
    const natId = NatGateway!.NatGatewayId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: this.privateRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId }));
    return { natId, publicIp: PublicIp!, privateIp: NatGateway!.NatGatewayAddresses![0]!.PrivateIp! };
  }
}

// ---------------------------------------------------------------------------------------

describe('network engine scenarios (POST /_vpcsim/trace)', () => {
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  describe('the four classic blockers, each alone, and the good path', () => {
    interface Case {
      name: string;
      webPublicIp?: boolean;
      change?: (lab: Lab) => Promise<void>;
      /** Internet client → web server on 443. */
      inbound: { verdict: 'accepted' | 'dropped'; codes: string[]; direction?: 'forward' | 'return'; component?: (lab: Lab) => string };
      /** Web server → a website on 443. */
      outbound: { verdict: 'accepted' | 'dropped'; codes: string[]; component?: (lab: Lab) => string };
    }
    const cases: Case[] = [
      {
        name: 'all good: public IP, route to the IGW, open ACL, security group allowing 443',
        inbound: { verdict: 'accepted', codes: [] },
        outbound: { verdict: 'accepted', codes: [] },
      },
      {
        name: 'no public IP',
        webPublicIp: false,
        inbound: { verdict: 'dropped', codes: ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS'], component: (l) => l.igwId },
        outbound: { verdict: 'dropped', codes: ['IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS'], component: (l) => l.igwId },
      },
      {
        name: 'no route to the internet gateway',
        change: async (l) => {
          await ec2.send(new DeleteRouteCommand({ RouteTableId: l.publicRt, DestinationCidrBlock: '0.0.0.0/0' }));
        },
        inbound: { verdict: 'dropped', codes: ['NO_ROUTE_TO_DESTINATION'], direction: 'return', component: (l) => l.publicRt },
        outbound: { verdict: 'dropped', codes: ['NO_ROUTE_TO_DESTINATION'], component: (l) => l.publicRt },
      },
      {
        name: 'network ACL denies 443',
        change: async (l) => {
          await l.customAcl(l.publicSubnet, [
            { n: 90, egress: false, action: 'deny', from: 443 },
            { n: 100, egress: false, action: 'allow' },
            { n: 90, egress: true, action: 'deny', from: 443 },
            { n: 100, egress: true, action: 'allow' },
          ]);
        },
        inbound: { verdict: 'dropped', codes: ['SUBNET_ACL_RESTRICTION'] },
        outbound: { verdict: 'dropped', codes: ['SUBNET_ACL_RESTRICTION'] },
      },
      {
        name: 'security group does not allow 443 (in) / anything (out)',
        change: async (l) => {
          await ec2.send(
            new RevokeSecurityGroupIngressCommand({ GroupId: l.sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
          );
          await ec2.send(
            new RevokeSecurityGroupEgressCommand({ GroupId: l.sgWeb, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
          );
        },
        inbound: { verdict: 'dropped', codes: ['ENI_SG_RULES_MISMATCH'], component: (l) => l.webEni },
        outbound: { verdict: 'dropped', codes: ['ENI_SG_RULES_MISMATCH'], component: (l) => l.webEni },
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const lab = await new Lab().build({ webPublicIp: c.webPublicIp });
        await c.change?.(lab);

        const inbound = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: lab.web, port: 443 });
        assert.equal(inbound.verdict, c.inbound.verdict, JSON.stringify(inbound.explanations));
        assert.deepEqual(codes(inbound), c.inbound.codes);
        if (c.inbound.codes.length) assert.equal(inbound.explanations[0].direction, c.inbound.direction ?? 'forward');
        if (c.inbound.component) assert.equal(inbound.explanations[0].component.id, c.inbound.component(lab));

        const outbound = await traced({ source: lab.web, destination: WEBSITE, port: 443 });
        assert.equal(outbound.verdict, c.outbound.verdict, JSON.stringify(outbound.explanations));
        assert.deepEqual(codes(outbound), c.outbound.codes);
        if (c.outbound.component) assert.equal(outbound.explanations[0].component.id, c.outbound.component(lab));

        if (c.inbound.verdict === 'accepted') {
          // The path as Reachability Analyzer shows it, with the rules that decided.
          assert.deepEqual(componentIds(inbound.hops).slice(1), [lab.igwId, (inbound.hops[2].component.id as string), lab.sgWeb, lab.webEni, lab.web]);
          assert.equal(inbound.hops[1].inboundHeader.destinationAddress, lab.webPublicIp);
          assert.equal(inbound.hops[1].outboundHeader.destinationAddress, lab.webPrivateIp);
          assert.equal(inbound.hops[2].aclRule.ruleNumber, 100);
          assert.equal(inbound.hops[3].securityGroupRule.portRange.from, 443);
          assert.equal(inbound.hops[3].securityGroupRule.cidr, '0.0.0.0/0');
          const rt = inbound.returnHops.find((h: Json) => h.component.type === 'route-table');
          assert.equal(rt.route.destinationCidr, '0.0.0.0/0');
          assert.equal(rt.route.target, lab.igwId);
          assert.equal(inbound.returnHops.at(-2).outboundHeader.sourceAddress, lab.webPublicIp);
        }
      });
    }
  });

  it('stateful security groups let replies out; stateless ACLs need ephemeral ports for them', async () => {
    const lab = await new Lab().build();
    // The group allows nothing out, yet the reply to an allowed request leaves.
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: lab.sgWeb, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    let t = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: lab.web, port: 443 });
    assert.equal(t.verdict, 'accepted');
    assert.ok(t.returnHops.some((h: Json) => h.component.id === lab.sgWeb && h.action === 'return-allowed'));

    // An ACL that allows 443 both ways but no ephemeral ports: the request arrives, the reply is dropped.
    const aclId = await lab.customAcl(lab.publicSubnet, [
      { n: 100, egress: false, action: 'allow', from: 443 },
      { n: 100, egress: true, action: 'allow', from: 443 },
    ]);
    t = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: lab.web, port: 443 });
    assert.equal(t.verdict, 'dropped');
    assert.equal(t.forwardPathAccepted, true);
    assert.equal(t.returnPathAccepted, false);
    assert.deepEqual(codes(t), ['SUBNET_ACL_RESTRICTION']);
    assert.equal(t.explanations[0].direction, 'return');
    assert.equal(t.explanations[0].acl, aclId);
    assert.equal(t.explanations[0].aclDirection, 'egress');
    assert.equal(t.explanations[0].aclRule.ruleNumber, 32767);

    await ec2.send(
      new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 110, Egress: true, RuleAction: 'allow', Protocol: '6', CidrBlock: '0.0.0.0/0', PortRange: { From: 1024, To: 65535 } }),
    );
    t = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: lab.web, port: 443 });
    assert.equal(t.verdict, 'accepted');
    assert.equal(t.returnHops.find((h: Json) => h.component.id === aclId).aclRule.ruleNumber, 110);
    const low = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: lab.web, port: 443, sourcePort: 1000 });
    assert.equal(low.verdict, 'dropped', 'a client port below the ephemeral range has no way back');
  });

  it('NAT gateway: private instances reach the internet; nothing from the internet gets in through it', async () => {
    const lab = await new Lab().build();
    const nat = await lab.natGateway();

    const out = await traced({ source: lab.app, destination: WEBSITE, port: 443 });
    assert.equal(out.verdict, 'accepted', JSON.stringify(out.explanations));
    const natHop = out.hops.find((h: Json) => h.component.id === nat.natId);
    assert.equal(natHop.inboundHeader.sourceAddress, lab.appPrivateIp);
    assert.equal(natHop.outboundHeader.sourceAddress, nat.privateIp);
    const igwHop = out.hops.find((h: Json) => h.component.id === lab.igwId);
    assert.equal(igwHop.outboundHeader.sourceAddress, nat.publicIp);
    assert.equal(out.destination.kind, 'internet');
    assert.equal(out.returnHops.at(-1).component.id, lab.app, 'the reply finds its way back to the instance');

    const toNat = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: nat.publicIp, port: 443 });
    assert.equal(toNat.verdict, 'dropped');
    assert.deepEqual(codes(toNat), ['NO_POSSIBLE_DESTINATION']);
    assert.equal(toNat.explanations[0].component.id, nat.natId);

    const toApp = await traced({ source: `internet:${INTERNET_CLIENT}`, destination: lab.app, port: 443 });
    assert.deepEqual(codes(toApp), ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS']);
  });

  it('NAT instance: forwards only with source/destination check off', async () => {
    const lab = await new Lab().build();
    await ec2.send(new CreateRouteCommand({ RouteTableId: lab.privateRt, DestinationCidrBlock: '0.0.0.0/0', InstanceId: lab.web }));
    let t = await traced({ source: lab.app, destination: WEBSITE, port: 443 });
    assert.deepEqual(codes(t), ['ENI_SOURCE_DEST_CHECK_RESTRICTION']);
    assert.equal(t.explanations[0].component.id, lab.webEni);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: lab.web, SourceDestCheck: { Value: false } }));
    t = await traced({ source: lab.app, destination: WEBSITE, port: 443 });
    assert.equal(t.verdict, 'accepted', JSON.stringify(t.explanations));
    assert.equal(t.hops.find((h: Json) => h.component.id === lab.igwId).outboundHeader.sourceAddress, lab.webPublicIp);
  });

  it('peering is not transitive: A–B–C, A reaches B but not C', async () => {
    const lab = new Lab();
    const vpcs = [await lab.vpc('10.1.0.0/16'), await lab.vpc('10.2.0.0/16'), await lab.vpc('10.3.0.0/16')];
    const subnets = [await lab.subnet(vpcs[0]!, '10.1.1.0/24'), await lab.subnet(vpcs[1]!, '10.2.1.0/24'), await lab.subnet(vpcs[2]!, '10.3.1.0/24')];
    const tables = [await lab.table(vpcs[0]!, subnets[0]!), await lab.table(vpcs[1]!, subnets[1]!), await lab.table(vpcs[2]!, subnets[2]!)];
    const peer = async (a: number, b: number) => {
      const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcs[a], PeerVpcId: vpcs[b] }));
      const id = VpcPeeringConnection!.VpcPeeringConnectionId!;
      await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
      return id;
    };
    const ab = await peer(0, 1);
    const bc = await peer(1, 2);
    const route = (rt: string, cidr: string, pcx: string) =>
      ec2.send(new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: cidr, VpcPeeringConnectionId: pcx }));
    await route(tables[0]!, '10.2.0.0/16', ab);
    await route(tables[0]!, '10.3.0.0/16', ab);
    await route(tables[1]!, '10.1.0.0/16', ab);
    await route(tables[1]!, '10.3.0.0/16', bc);
    await route(tables[2]!, '10.2.0.0/16', bc);
    await route(tables[2]!, '10.1.0.0/16', bc);
    const groups = [
      await lab.group(vpcs[0]!, 'a', [{ port: 5432, cidr: '10.0.0.0/8' }]),
      await lab.group(vpcs[1]!, 'b', [{ port: 5432, cidr: '10.0.0.0/8' }]),
      await lab.group(vpcs[2]!, 'c', [{ port: 5432, cidr: '10.0.0.0/8' }]),
    ];
    const a = await lab.instance(subnets[0]!, groups[0]!);
    const b = await lab.instance(subnets[1]!, groups[1]!);
    const c = await lab.instance(subnets[2]!, groups[2]!);

    const ok = await traced({ source: a.id, destination: b.id, port: 5432 });
    assert.equal(ok.verdict, 'accepted', JSON.stringify(ok.explanations));
    assert.ok(componentIds(ok.hops).includes(ab));
    assert.ok(componentIds(ok.returnHops).includes(ab));
    assert.equal(ok.hops.at(-1).component.id, b.id);

    const transitive = await traced({ source: a.id, destination: c.id, port: 5432 });
    assert.equal(transitive.verdict, 'dropped');
    assert.deepEqual(codes(transitive), ['PCX_REQUIRES_ADDRESS_IN_VPC_CIDR']);
    assert.equal(transitive.explanations[0].component.id, ab);
    assert.equal(transitive.explanations[0].address, c.ip);

    const fromC = await traced({ source: c.id, destination: b.ip, port: 5432 });
    assert.equal(fromC.verdict, 'accepted', 'B–C works on its own');
  });

  it('two accounts peered: a rule referencing the peer account’s group admits its members only', async () => {
    const A1 = '111111111111';
    const A2 = '222222222222';
    const one = srv.ec2({ accessKeyId: A1 });
    const two = srv.ec2({ accessKeyId: A2 });
    const vpc = async (c: EC2Client, cidr: string) => (await c.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
    const subnet = async (c: EC2Client, v: string, cidr: string) => (await c.send(new CreateSubnetCommand({ VpcId: v, CidrBlock: cidr }))).Subnet!.SubnetId!;
    const a = await vpc(one, '10.10.0.0/16');
    const b = await vpc(two, '10.20.0.0/16');
    const sa = await subnet(one, a, '10.10.1.0/24');
    const sb = await subnet(two, b, '10.20.1.0/24');
    const pcx = (await one.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b, PeerOwnerId: A2 }))).VpcPeeringConnection!.VpcPeeringConnectionId!;
    await two.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    const rtA = (await one.send(new CreateRouteTableCommand({ VpcId: a }))).RouteTable!.RouteTableId!;
    await one.send(new AssociateRouteTableCommand({ RouteTableId: rtA, SubnetId: sa }));
    await one.send(new CreateRouteCommand({ RouteTableId: rtA, DestinationCidrBlock: '10.20.0.0/16', VpcPeeringConnectionId: pcx }));
    const rtB = (await two.send(new CreateRouteTableCommand({ VpcId: b }))).RouteTable!.RouteTableId!;
    await two.send(new AssociateRouteTableCommand({ RouteTableId: rtB, SubnetId: sb }));
    await two.send(new CreateRouteCommand({ RouteTableId: rtB, DestinationCidrBlock: '10.10.0.0/16', VpcPeeringConnectionId: pcx }));

    const group = async (c: EC2Client, v: string, name: string) => (await c.send(new CreateSecurityGroupCommand({ VpcId: v, GroupName: name, Description: name }))).GroupId!;
    const clients = await group(one, a, 'clients');
    const others = await group(one, a, 'others');
    const db = await group(two, b, 'db');
    await two.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: db,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: clients, UserId: A1, VpcPeeringConnectionId: pcx }] }],
      }),
    );
    const run = async (c: EC2Client, s: string, g: string) =>
      (await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: s, SecurityGroupIds: [g] }))).Instances![0]!;
    const client = await run(one, sa, clients);
    const stranger = await run(one, sa, others);
    const server = await run(two, sb, db);

    const ok = await traced({ source: client.InstanceId!, destination: server.InstanceId!, port: 5432 });
    assert.equal(ok.verdict, 'accepted', JSON.stringify(ok.explanations));
    assert.equal(ok.destination.networkInterfaceId, server.NetworkInterfaces![0]!.NetworkInterfaceId);
    const rule = ok.hops.find((h: Json) => h.component.id === db).securityGroupRule;
    assert.equal(rule.referencedGroupId, clients);

    const refused = await traced({ source: stranger.InstanceId!, destination: server.PrivateIpAddress!, port: 5432 });
    assert.deepEqual(codes(refused), ['ENI_SG_RULES_MISMATCH']);
    assert.equal(refused.explanations[0].component.id, server.NetworkInterfaces![0]!.NetworkInterfaceId);
    assert.deepEqual(refused.explanations[0].securityGroups, [db]);
  });

  it('gateway endpoint: the S3 prefix list is routed to the endpoint', async () => {
    const lab = await new Lab().build();
    const { PrefixLists } = await ec2.send(new DescribePrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.us-east-1.s3'] }] }));
    const plId = PrefixLists![0]!.PrefixListId!;
    const { Entries } = await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: plId }));
    const s3Block = Entries![0]!.Cidr!;
    const s3Ip = s3Block.replace(/\.0\/\d+$/, '.10');

    const before = await traced({ source: lab.app, destination: s3Ip, port: 443 });
    assert.deepEqual(codes(before), ['NO_ROUTE_TO_DESTINATION'], 'a private subnet without NAT or endpoint cannot reach S3');

    const { VpcEndpoint } = await ec2.send(
      new CreateVpcEndpointCommand({ VpcId: lab.vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway', RouteTableIds: [lab.privateRt] }),
    );
    const vpceId = VpcEndpoint!.VpcEndpointId!;
    const t = await traced({ source: lab.app, destination: s3Ip, port: 443 });
    assert.equal(t.verdict, 'accepted', JSON.stringify(t.explanations));
    const rt = t.hops.find((h: Json) => h.component.type === 'route-table');
    assert.equal(rt.route.destinationPrefixListId, plId);
    assert.equal(rt.route.target, vpceId);
    assert.equal(rt.route.matchedCidr, s3Block);
    assert.deepEqual(t.destination, { kind: 'aws-service', service: 's3', address: s3Ip, via: { type: 'vpc-endpoint', id: vpceId } });
    assert.ok(componentIds(t.returnHops).includes(vpceId));

    // The public subnet still goes to S3 through the internet gateway (the endpoint is not in its table).
    const viaIgw = await traced({ source: lab.web, destination: s3Ip, port: 443 });
    assert.equal(viaIgw.verdict, 'accepted');
    assert.equal(viaIgw.destination.via.type, 'internet-gateway');
  });

  it('VPN: one tunnel down still carries traffic, both down is BAD_STATE_VPN', async () => {
    const lab = await new Lab().build();
    const { CustomerGateway } = await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '203.0.113.12', BgpAsn: 65000 }));
    const { VpnGateway } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
    const vgwId = VpnGateway!.VpnGatewayId!;
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: lab.vpcId, VpnGatewayId: vgwId }));
    const { VpnConnection } = await ec2.send(
      new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: CustomerGateway!.CustomerGatewayId, VpnGatewayId: vgwId, Options: { StaticRoutesOnly: true } }),
    );
    const vpnId = VpnConnection!.VpnConnectionId!;
    const outside = VpnConnection!.Options!.TunnelOptions!.map((t) => t.OutsideIpAddress!);
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: vpnId, DestinationCidrBlock: '192.168.0.0/16' }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: lab.privateRt, DestinationCidrBlock: '192.168.0.0/16', GatewayId: vgwId }));
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: lab.publicRt, GatewayId: vgwId }));
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: lab.sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.168.0.0/16' }] }] }));

    let t = await traced({ source: lab.app, destination: '192.168.1.10', port: 22 });
    assert.equal(t.verdict, 'accepted', JSON.stringify(t.explanations));
    assert.deepEqual(t.destination, { kind: 'on-premises', address: '192.168.1.10', vpnGatewayId: vgwId, vpnConnectionId: vpnId });
    assert.equal(t.hops.find((h: Json) => h.component.id === vpnId).note, `tunnel ${outside[0]} (UP)`);
    const fromOnPrem = await traced({ source: '192.168.1.10', destination: lab.web, port: 22 });
    assert.equal(fromOnPrem.verdict, 'accepted', 'the on-premises network reaches the VPC (propagated route back in the public table)');

    await tunnel(vpnId, outside[0]!, 'DOWN');
    t = await traced({ source: lab.app, destination: '192.168.1.10', port: 22 });
    assert.equal(t.verdict, 'accepted', 'the second tunnel takes over');
    assert.match(t.hops.find((h: Json) => h.component.id === vpnId).note, new RegExp(`${outside[1]!.replace(/\./g, '\\.')} \\(UP\\) carries the traffic`));

    await tunnel(vpnId, outside[1]!, 'DOWN');
    t = await traced({ source: lab.app, destination: '192.168.1.10', port: 22 });
    assert.equal(t.verdict, 'dropped');
    assert.deepEqual(codes(t), ['BAD_STATE_VPN']);
    assert.equal(t.explanations[0].component.id, vpnId);
    const propagatedGone = await traced({ source: lab.web, destination: '192.168.1.10', port: 22 });
    // Propagated routes go away with the tunnels: the default route now takes the packet to
    // the internet gateway, which does not carry private addresses.
    assert.deepEqual(codes(propagatedGone), ['IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS']);
    assert.equal(propagatedGone.hops.find((h: Json) => h.component.type === 'route-table').route.target, lab.igwId);

    await tunnel(vpnId, outside[1]!, 'UP');
    assert.equal((await traced({ source: lab.app, destination: '192.168.1.10', port: 22 })).verdict, 'accepted');
  });

  it('IPv6: an IGW carries a dual-stack instance both ways untranslated; an egress-only IGW only lets connections out', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16', AmazonProvidedIpv6CidrBlock: true }));
    const vpcId = Vpc!.VpcId!;
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    const block6 = Vpcs![0]!.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock!; // a /56
    const base = parseCidr6(block6)!.base;
    const sub64 = (n: number) => `${formatIpv6(base + (BigInt(n) << 64n))}/64`;
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId!, VpcId: vpcId }));
    const { EgressOnlyInternetGateway } = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpcId }));
    const eigwId = EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId!;
    const subnet = async (cidr: string, cidr6: string, target: { GatewayId?: string; EgressOnlyInternetGatewayId?: string }) => {
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, Ipv6CidrBlock: cidr6, AvailabilityZone: 'us-east-1a' }));
      const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: RouteTable!.RouteTableId!, DestinationIpv6CidrBlock: '::/0', ...target }));
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: RouteTable!.RouteTableId!, SubnetId: Subnet!.SubnetId! }));
      return Subnet!.SubnetId!;
    };
    const pub = await subnet('10.60.0.0/24', sub64(0), { GatewayId: InternetGateway!.InternetGatewayId! });
    const priv = await subnet('10.60.1.0/24', sub64(1), { EgressOnlyInternetGatewayId: eigwId });
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web6', Description: 'web over IPv6', VpcId: vpcId }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] }),
    );
    // A new group's default egress rule covers IPv4 only.
    const { AuthorizeSecurityGroupEgressCommand } = await import('@aws-sdk/client-ec2');
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] }));
    const run = async (subnetId: string) => {
      const { Instances } = await ec2.send(
        new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnetId, SecurityGroupIds: [GroupId!], Ipv6AddressCount: 1 }),
      );
      const i = Instances![0]!;
      return { id: i.InstanceId!, ipv6: i.NetworkInterfaces![0]!.Ipv6Addresses![0]!.Ipv6Address! };
    };
    const web = await run(pub);
    const app = await run(priv);

    const inbound = await traced({ source: 'internet:2001:db8::7', destination: web.id, port: 443, ipVersion: 6 });
    assert.equal(inbound.verdict, 'accepted', JSON.stringify(inbound.explanations));
    assert.equal(inbound.packet.destinationAddress, web.ipv6);
    assert.equal(inbound.hops.find((h: Json) => h.component.type === 'internet-gateway').action, 'forward', 'no translation for IPv6');
    assert.equal(inbound.hops.find((h: Json) => h.component.type === 'security-group').securityGroupRule.portRange.from, 443);
    // The IPv4 side of the same instance has no public address: IPv4 from the internet is refused.
    assert.deepEqual(codes(await traced({ source: `internet:${INTERNET_CLIENT}`, destination: web.id, port: 443 })), ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS']);

    const out = await traced({ source: app.id, destination: '2606:4700::1111', port: 443 });
    assert.equal(out.verdict, 'accepted', JSON.stringify(out.explanations));
    assert.ok(out.hops.some((h: Json) => h.component.id === eigwId));
    assert.ok(out.returnHops.some((h: Json) => h.component.id === eigwId));

    // Nothing comes in through the egress-only gateway: with the VPC's internet gateway gone,
    // the private instance cannot be reached from the internet at all.
    await ec2.send(new DeleteRouteCommand({ RouteTableId: (await routeTableOf(pub))!, DestinationIpv6CidrBlock: '::/0' }));
    const { DetachInternetGatewayCommand } = await import('@aws-sdk/client-ec2');
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId!, VpcId: vpcId }));
    const refused = await traced({ source: 'internet:2001:db8::7', destination: app.id, port: 443, ipVersion: 6 });
    assert.deepEqual(codes(refused), ['NO_ROUTE_TO_DESTINATION']);
    assert.equal(refused.explanations[0].component.id, eigwId);
  });

  it('answers bad requests with 400 and a message; only POST', async () => {
    const lab = await new Lab().build();
    assert.equal((await fetch(`${srv.endpoint}/_vpcsim/trace`)).status, 405);
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /JSON object/],
      [{ destination: lab.web }, /Expected \{source, destination/],
      [{ source: 'eni-0123456789abcdef0', destination: lab.web, port: 443 }, /does not exist/],
      [{ source: lab.web, destination: lab.app }, /destination port is needed/],
      [{ source: lab.web, destination: lab.app, port: 'x' }, /port must be an integer/],
      [{ source: lab.web, destination: lab.app, protocol: 'sctp', port: 1 }, /Protocol 'sctp'/],
      [{ source: lab.web, destination: 'fd00::1', port: 1 }, /IPv6/],
    ];
    for (const [body, message] of cases) {
      const r = await traceCall(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error, 'InvalidRequest');
      assert.match(r.json.message, message);
    }
    const ok = await traceCall({ source: lab.app, destination: lab.webPrivateIp, protocol: 'icmp' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.packet.icmpType, 8);
    assert.equal(ok.json.verdict, 'dropped', 'the web group allows only tcp');
    assert.deepEqual(codes(ok.json), ['ENI_SG_RULES_MISMATCH']);
  });
});
