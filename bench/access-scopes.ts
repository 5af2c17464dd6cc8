/**
 * Network Access Analyzer benchmark: StartNetworkInsightsAccessScopeAnalysis on generated
 * networks of 100 and 1,000 interfaces, through the EC2 handlers in-process, in CPU time.
 *
 * Each VPC holds 100 interfaces: 4 subnets of 25 (the first public, with an internet
 * gateway), a custom network ACL, 10 security groups of 20 rules (tcp 8000–8017 from /24s
 * of this and other VPCs, tcp 5432 from the next group, tcp 443 from anywhere); VPCs are
 * peered in a chain. Scopes: every interface to every interface on tcp (any port), and the
 * internet gateway to every interface.
 *
 *   npm run bench:access-scopes              full run, writes its section of docs/benchmarks.md
 *   npm run bench:access-scopes -- --quick   100 interfaces only, prints only
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_QUOTAS, defaultConfig } from '../src/config.js';
import { createApp } from '../src/index.js';
import type { App } from '../src/server/app.js';

const quick = process.argv.includes('--quick');
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const PER_VPC = 100;
const SUBNETS = 4;
const GROUPS = 10;
const RULES = 20;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

export class Api {
  private n = 0;
  readonly app: App;
  constructor(vpcs: number) {
    const quotas = {
      ...DEFAULT_QUOTAS,
      vpcsPerRegion: vpcs + 5,
      internetGatewaysPerRegion: vpcs + 5,
      securityGroupsPerRegion: vpcs * (GROUPS + 1) + 10,
    };
    this.app = createApp({ ...defaultConfig(), inMemory: true, stateTransitionMs: 0, quotas, publicIpPool: ['198.18.0.0/15'] });
  }
  call(op: string, input: Record<string, unknown>): Json {
    const ec2 = this.app.providers.get('ec2')!;
    return this.app.invoke(ec2, op, input, { accessKeyId: 'bench', account: ACCOUNT, region: REGION }, `bench-${++this.n}`);
  }
}

/** Builds `vpcs` VPCs of 100 interfaces each through the EC2 handlers. */
export function load(vpcs: number): Api {
  const api = new Api(vpcs);
  const ids: string[] = [];
  const tables: string[][] = [];
  for (let v = 0; v < vpcs; v++) {
    const vpcId = api.call('CreateVpc', { CidrBlock: `10.${v}.0.0/16` }).Vpc.VpcId as string;
    ids.push(vpcId);
    const igw = api.call('CreateInternetGateway', {}).InternetGateway.InternetGatewayId as string;
    api.call('AttachInternetGateway', { InternetGatewayId: igw, VpcId: vpcId });
    const pub = api.call('CreateRouteTable', { VpcId: vpcId }).RouteTable.RouteTableId as string;
    const priv = api.call('CreateRouteTable', { VpcId: vpcId }).RouteTable.RouteTableId as string;
    tables.push([pub, priv]);
    api.call('CreateRoute', { RouteTableId: pub, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw });
    const acl = api.call('CreateNetworkAcl', { VpcId: vpcId }).NetworkAcl.NetworkAclId as string;
    for (const egress of [false, true]) {
      const entries: Array<[number, string, string, number, number]> = [
        [100, 'deny', '203.0.113.0/24', 0, 65535],
        [110, 'deny', '10.0.0.0/8', 23, 23],
        [120, 'allow', '0.0.0.0/0', 0, 65535],
      ];
      for (const [n, action, cidr, from, to] of entries) {
        api.call('CreateNetworkAclEntry', { NetworkAclId: acl, RuleNumber: n, Egress: egress, RuleAction: action, Protocol: '6', CidrBlock: cidr, PortRange: { From: from, To: to } });
      }
      api.call('CreateNetworkAclEntry', { NetworkAclId: acl, RuleNumber: 200, Egress: egress, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' });
    }
    const groups: string[] = [];
    for (let g = 0; g < GROUPS; g++) groups.push(api.call('CreateSecurityGroup', { VpcId: vpcId, GroupName: `g${g}`, Description: `group ${g}` }).GroupId as string);
    for (let g = 0; g < GROUPS; g++) {
      const perms: Json[] = [];
      for (let r = 0; r < RULES - 2; r++) perms.push({ IpProtocol: 'tcp', FromPort: 8000 + r, ToPort: 8000 + r, IpRanges: [{ CidrIp: `10.${(v + r) % vpcs}.${r % SUBNETS}.0/24` }] });
      perms.push({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: groups[(g + 1) % GROUPS] }] });
      perms.push({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
      api.call('AuthorizeSecurityGroupIngress', { GroupId: groups[g], IpPermissions: perms });
    }
    const subnets: string[] = [];
    for (let sn = 0; sn < SUBNETS; sn++) {
      const subnetId = api.call('CreateSubnet', { VpcId: vpcId, CidrBlock: `10.${v}.${sn}.0/24`, AvailabilityZone: 'us-east-1a' }).Subnet.SubnetId as string;
      subnets.push(subnetId);
      api.call('AssociateRouteTable', { RouteTableId: sn === 0 ? pub : priv, SubnetId: subnetId });
      if (sn === 0) api.call('ModifySubnetAttribute', { SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } });
    }
    const assocs = api.call('DescribeNetworkAcls', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'default', Values: ['true'] }] }).NetworkAcls[0].Associations as Json[];
    for (const a of assocs) api.call('ReplaceNetworkAclAssociation', { AssociationId: a.NetworkAclAssociationId, NetworkAclId: acl });
    const per = PER_VPC / SUBNETS;
    for (let sn = 0; sn < SUBNETS; sn++) {
      // Five instances at a time, each batch in its own group.
      for (let b = 0; b < per / 5; b++) {
        api.call('RunInstances', { ImageId: 'ami-0a2023c0ffee0a864', InstanceType: 't3.micro', MinCount: 5, MaxCount: 5, SubnetId: subnets[sn], SecurityGroupIds: [groups[(sn * 5 + b) % GROUPS]] });
      }
    }
    if (v > 0) {
      const pcx = api.call('CreateVpcPeeringConnection', { VpcId: ids[v - 1], PeerVpcId: vpcId }).VpcPeeringConnection.VpcPeeringConnectionId as string;
      api.call('AcceptVpcPeeringConnection', { VpcPeeringConnectionId: pcx });
      for (const [here, there] of [
        [v - 1, v],
        [v, v - 1],
      ] as const) {
        for (const rt of tables[here]!) api.call('CreateRoute', { RouteTableId: rt, DestinationCidrBlock: `10.${there}.0.0/16`, VpcPeeringConnectionId: pcx });
      }
    }
  }
  return api;
}

interface Row {
  name: string;
  interfaces: number;
  ms: number;
  status: string;
  findings: number;
  message?: string;
}

function analyse(api: Api, name: string, interfaces: number, matchPaths: Json[]): Row {
  const scope = api.call('CreateNetworkInsightsAccessScope', { MatchPaths: matchPaths }).NetworkInsightsAccessScope.NetworkInsightsAccessScopeId as string;
  // The best of three runs (the machine is shared); the network is already built (see run()).
  let ms = Infinity;
  let id = '';
  for (let k = 0; k < 3; k++) {
    const t = cpuMs();
    id = api.call('StartNetworkInsightsAccessScopeAnalysis', { NetworkInsightsAccessScopeId: scope }).NetworkInsightsAccessScopeAnalysis.NetworkInsightsAccessScopeAnalysisId as string;
    ms = Math.min(ms, cpuMs() - t);
  }
  const a = api.call('DescribeNetworkInsightsAccessScopeAnalyses', { NetworkInsightsAccessScopeAnalysisIds: [id] }).NetworkInsightsAccessScopeAnalyses[0];
  let findings = 0;
  let token: string | undefined;
  if (a.Status === 'succeeded') {
    do {
      const page = api.call('GetNetworkInsightsAccessScopeAnalysisFindings', { NetworkInsightsAccessScopeAnalysisId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) });
      findings += (page.AnalysisFindings ?? []).length;
      token = page.NextToken;
    } while (token);
  }
  const row: Row = { name, interfaces, ms, status: a.Status, findings, message: a.StatusMessage };
  console.log(`  ${interfaces} interfaces, ${name}: ${ms.toFixed(0)} ms CPU, ${a.Status}, ${findings} findings${a.StatusMessage ? ` (${a.StatusMessage})` : ''}`);
  return row;
}

const ENI = { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } };
const IGW = { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } };

function run(vpcs: number): Row[] {
  const api = load(vpcs);
  const n = vpcs * PER_VPC;
  // Build the compiled network once (what the first analysis after a change pays).
  const t = cpuMs();
  analyse(api, 'warm-up (network build)', n, [{ Source: IGW, Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] }, PacketHeaderStatement: { DestinationPorts: ['1'] } } }]);
  console.log(`  (network build + small analysis: ${(cpuMs() - t).toFixed(0)} ms)`);
  const subnet = api.call('DescribeSubnets', { Filters: [{ Name: 'cidr-block', Values: ['10.0.1.0/24'] }] }).Subnets[0].SubnetId as string;
  return [
    analyse(api, 'every interface → every interface, tcp', n, [{ Source: ENI, Destination: { ...ENI, PacketHeaderStatement: { Protocols: ['tcp'] } } }]),
    analyse(api, 'every interface → every interface, tcp 5432', n, [{ Source: ENI, Destination: { ...ENI, PacketHeaderStatement: { Protocols: ['tcp'], DestinationPorts: ['5432'] } } }]),
    analyse(api, 'every interface → one subnet (25 interfaces), tcp', n, [{ Source: ENI, Destination: { ResourceStatement: { Resources: [subnet] }, PacketHeaderStatement: { Protocols: ['tcp'] } } }]),
    analyse(api, 'internet gateway → every interface', n, [{ Source: IGW, Destination: ENI }]),
  ];
}

/** The same scopes on the implementation that traced every pair (not rerun: it takes minutes at 1,000 interfaces). */
const BEFORE: Array<[string, string, string]> = [
  ['100', 'every interface → every interface, tcp', '1,434 ms'],
  ['100', 'every interface → every interface, tcp 5432', '181 ms'],
  ['100', 'every interface → one subnet (25 interfaces), tcp', '366 ms'],
  ['100', 'internet gateway → every interface', '24 ms'],
  ['1,000', 'every interface → every interface, tcp', 'not run (999,000 pairs: minutes, and every finding kept)'],
  ['1,000', 'every interface → every interface, tcp 5432', '7,318 ms'],
  ['1,000', 'every interface → one subnet (25 interfaces), tcp', '752 ms'],
  ['1,000', 'internet gateway → every interface', '82 ms (the network compiled within)'],
];

function render(rows: Row[]): string {
  const lines = [
    '## Network Access Analyzer (`npm run bench:access-scopes`)',
    '',
    `StartNetworkInsightsAccessScopeAnalysis through the EC2 handlers in-process, CPU time of the one request (best of three), compiled network`,
    `already built; ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}. VPCs of 100 interfaces (4 subnets, 10 groups`,
    'of 20 rules, a custom network ACL), peered in a chain.',
    '',
    '| Interfaces | Scope | CPU | Status | Findings |',
    '| ---: | --- | ---: | --- | ---: |',
  ];
  for (const r of rows) lines.push(`| ${r.interfaces.toLocaleString('en-US')} | ${r.name} | ${r.ms.toFixed(0)} ms | ${r.status}${r.message ? `: ${r.message}` : ''} | ${r.findings.toLocaleString('en-US')} |`);
  lines.push(
    '',
    'Before interfaces were grouped into classes (every pair traced port class by port class, the network compiled for each',
    'analysis, findings stored whole; measured with this benchmark on 2026-11-25, best of three, same machine):',
    '',
    '| Interfaces | Scope | CPU |',
    '| ---: | --- | ---: |',
    ...BEFORE.map(([n, scope, ms]) => `| ${n} | ${scope} | ${ms} |`),
  );
  return lines.join('\n');
}

function writeSection(section: string): void {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'benchmarks.md');
  const block = `<!-- access-scopes:start -->\n${section}\n<!-- access-scopes:end -->`;
  const doc = existsSync(out) ? readFileSync(out, 'utf8') : '# Benchmarks\n';
  const re = /<!-- access-scopes:start -->[\s\S]*?<!-- access-scopes:end -->/;
  const next = re.test(doc) ? doc.replace(re, () => block) : `${doc.replace(/\n*$/, '\n')}\n${block}\n`;
  writeFileSync(out, next);
  console.log(`wrote ${out}`);
}

function main(): void {
  const rows: Row[] = [];
  const sizes = quick ? [1] : [1, 10];
  for (const vpcs of sizes) {
    console.log(`${vpcs * PER_VPC} interfaces:`);
    rows.push(...run(vpcs));
  }
  const section = render(rows);
  if (quick || process.argv.includes('--print')) console.log(section);
  else writeSection(section);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
