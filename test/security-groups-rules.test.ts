import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptVpcPeeringConnectionCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeSecurityGroupReferencesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeStaleSecurityGroupsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type IpPermission,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
  type SecurityGroupRule,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import { apiError, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '000000000000';
const OTHER = '111111111111';

describe('security group rules', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let defaultVpcId: string;
  let n = 0;

  const newGroup = async (vpc = vpcId): Promise<string> =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `g${++n}`, Description: 'test', VpcId: vpc }))).GroupId!;
  const group = async (id: string): Promise<SecurityGroup> =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0]!;
  const rulesOf = async (id: string): Promise<SecurityGroupRule[]> =>
    (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }))).SecurityGroupRules!;
  const ingress = (GroupId: string, IpPermissions: IpPermission[]) =>
    ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions }));
  const egress = (GroupId: string, IpPermissions: IpPermission[]) =>
    ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions }));

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    defaultVpcId = Vpcs![0]!.VpcId!;
  });
  after(() => srv.close());

  describe('AuthorizeSecurityGroupIngress', () => {
    it('adds rules with IDs and groups them into IpPermissions by protocol and ports', async () => {
      const sg = await newGroup();
      const peer = await newGroup();
      const out = await ingress(sg, [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'office' }, { CidrIp: '198.51.100.7/32' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:DB8::/32', Description: 'v6 office' }],
          PrefixListIds: [{ PrefixListId: 'pl-63a5400a', Description: 'list' }],
          UserIdGroupPairs: [{ GroupId: peer, Description: 'peers' }],
        },
      ]);
      assert.equal(out.Return, true);
      assert.equal(out.SecurityGroupRules!.length, 5);
      for (const r of out.SecurityGroupRules!) {
        assert.match(r.SecurityGroupRuleId!, /^sgr-[0-9a-f]{17}$/);
        assert.equal(r.GroupId, sg);
        assert.equal(r.GroupOwnerId, ACCOUNT);
        assert.equal(r.IsEgress, false);
        assert.equal(r.IpProtocol, 'tcp');
        assert.equal(r.FromPort, 22);
        assert.equal(r.ToPort, 22);
      }
      assert.deepEqual(
        out.SecurityGroupRules!.map((r) => [r.CidrIpv4, r.CidrIpv6, r.PrefixListId, r.ReferencedGroupInfo?.GroupId, r.Description]),
        [
          ['203.0.113.0/24', undefined, undefined, undefined, 'office'],
          ['198.51.100.7/32', undefined, undefined, undefined, undefined],
          [undefined, '2001:db8::/32', undefined, undefined, 'v6 office'],
          [undefined, undefined, 'pl-63a5400a', undefined, 'list'],
          [undefined, undefined, undefined, peer, 'peers'],
        ],
      );
      const g = await group(sg);
      assert.deepEqual(g.IpPermissions, [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          UserIdGroupPairs: [{ Description: 'peers', UserId: ACCOUNT, GroupId: peer }],
          IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'office' }, { CidrIp: '198.51.100.7/32' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32', Description: 'v6 office' }],
          PrefixListIds: [{ PrefixListId: 'pl-63a5400a', Description: 'list' }],
        },
      ]);
      // A second call with other ports makes a second IpPermission.
      await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }]);
      const after = await group(sg);
      assert.deepEqual(after.IpPermissions!.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]), [['tcp', 22, 22], ['tcp', 80, 81]]);
    });

    it('names protocols as AWS does', async () => {
      const sg = await newGroup();
      await ingress(sg, [
        { IpProtocol: '6', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: 'UDP', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: '1', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: '58', Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        { IpProtocol: '50', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: 'all', IpRanges: [{ CidrIp: '192.168.0.0/16' }] },
      ]);
      const perms = (await group(sg)).IpPermissions!;
      assert.deepEqual(
        perms.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]),
        [
          ['tcp', 443, 443],
          ['udp', 53, 53],
          ['icmp', 8, -1],
          ['icmpv6', -1, -1],
          ['50', undefined, undefined],
          ['-1', undefined, undefined],
        ],
      );
      const rules = await rulesOf(sg);
      const esp = rules.find((r) => r.IpProtocol === '50')!;
      assert.equal(esp.FromPort, -1, 'a protocol without ports covers every port');
      assert.equal(esp.ToPort, -1);
    });

    it('stores CIDR blocks in canonical form', async () => {
      const sg = await newGroup();
      const out = await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.1.2.3/16' }], Ipv6Ranges: [{ CidrIpv6: '2001:db8:0:0::1/64' }] }]);
      assert.deepEqual(out.SecurityGroupRules!.map((r) => r.CidrIpv4 ?? r.CidrIpv6), ['10.1.0.0/16', '2001:db8::/64']);
    });

    it('refuses a rule that already exists, with AWS wording', async () => {
      const sg = await newGroup();
      await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
      let e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'other text' }] }]));
      assert.equal(e.code, 'InvalidPermission.Duplicate');
      assert.equal(e.message, 'the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists');
      await ingress(sg, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/19' }] }]);
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'all', IpRanges: [{ CidrIp: '10.0.0.0/19' }] }]));
      assert.equal(e.message, 'the specified rule "peer: 10.0.0.0/19, ALL, ALLOW" already exists');
      await ingress(sg, [{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, UserIdGroupPairs: [{ GroupId: sg }] }]);
      e = await apiError(() => ingress(sg, [{ IpProtocol: '1', FromPort: -1, ToPort: -1, UserIdGroupPairs: [{ GroupId: sg }] }]));
      assert.equal(e.message, `the specified rule "peer: ${sg}, ICMP, type: ALL, code: ALL, ALLOW" already exists`);
      // Twice in one request, and nothing of a failed request is kept.
      e = await apiError(() =>
        ingress(sg, [
          { IpProtocol: 'udp', FromPort: 1, ToPort: 9, IpRanges: [{ CidrIp: '10.9.0.0/16' }] },
          { IpProtocol: 'udp', FromPort: 1, ToPort: 9, IpRanges: [{ CidrIp: '10.9.0.0/16' }] },
        ]),
      );
      assert.equal(e.message, 'the specified rule "peer: 10.9.0.0/16, UDP, from port: 1, to port: 9, ALLOW" already exists');
      assert.equal((await rulesOf(sg)).filter((r) => r.IpProtocol === 'udp').length, 0);
    });

    it('validates protocols and ports', async () => {
      const sg = await newGroup();
      const bad = (p: IpPermission) => apiError(() => ingress(sg, [{ IpRanges: [{ CidrIp: '10.0.0.0/8' }], ...p }]));
      let e = await bad({ IpProtocol: 'ah' });
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, "Invalid value 'ah' for IP protocol. Unknown protocol.");
      assert.equal((await bad({ IpProtocol: '256' })).code, 'InvalidParameterValue');
      e = await bad({ IpProtocol: 'tcp', FromPort: 22 });
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.");
      e = await bad({ IpProtocol: 'icmp' });
      assert.equal(e.message, "Invalid value 'Must specify both from and to ports with ICMP.' for portRange.");
      e = await bad({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65536 });
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, 'TCP/UDP port (65536) out of range');
      assert.equal((await bad({ IpProtocol: 'udp', FromPort: -1, ToPort: 10 })).code, 'InvalidParameterValue');
      e = await bad({ IpProtocol: 'tcp', FromPort: 100, ToPort: 80 });
      assert.equal(e.code, 'InvalidParameterValue');
      e = await bad({ IpProtocol: 'icmp', FromPort: 8, ToPort: 65535 });
      assert.equal(e.message, 'ICMP code (65535) out of range');
      assert.equal((await bad({ IpProtocol: 'icmp', FromPort: 256, ToPort: 0 })).code, 'InvalidParameterValue');
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2 }]));
      assert.equal(e.code, 'InvalidParameterValue', 'a rule needs a CIDR block, a group or a prefix list');
      e = await apiError(() => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg })));
      assert.equal(e.code, 'MissingParameter');
      assert.equal((await rulesOf(sg)).filter((r) => !r.IsEgress).length, 0);
    });

    it('validates CIDR blocks, prefix lists and descriptions', async () => {
      const sg = await newGroup();
      let e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/33' }] }]));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, 'CIDR block 10.0.0.0/33 is malformed');
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.1' }] }]));
      assert.equal(e.message, 'CIDR block 10.0.0.1 is malformed');
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, Ipv6Ranges: [{ CidrIpv6: '10.0.0.0/8' }] }]));
      assert.equal(e.message, 'CIDR block 10.0.0.0/8 is malformed');
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/129' }] }]));
      assert.equal(e.message, 'CIDR block 2001:db8::/129 is malformed');
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, PrefixListIds: [{ PrefixListId: 'list-1' }] }]));
      assert.equal(e.code, 'InvalidPrefixListId.Malformed');
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'it\'s "quoted"' }] }]));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, /^Invalid rule description\./);
    });

    it('refers to groups: unknown, malformed, in another VPC without peering, by name', async () => {
      const sg = await newGroup();
      let e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: 'sg-0123456789abcdef0' }] }]));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      assert.equal(e.message, "The security group 'sg-0123456789abcdef0' does not exist");
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: 'sg-nope' }] }]));
      assert.equal(e.code, 'InvalidGroupId.Malformed');
      const elsewhere = await newGroup(defaultVpcId);
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: elsewhere }] }]));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      assert.equal(e.message, 'You have specified two resources that belong to different networks.');
      // A group of another account that cannot be reached.
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: 'sg-0123456789abcdef0', UserId: OTHER }] }]));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      // By name, within the group's VPC.
      const named = await newGroup();
      const name = (await group(named)).GroupName!;
      const out = await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 5, ToPort: 5, UserIdGroupPairs: [{ GroupName: name }] }]);
      assert.equal(out.SecurityGroupRules![0]!.ReferencedGroupInfo!.GroupId, named);
      e = await apiError(() => ingress(sg, [{ IpProtocol: 'tcp', FromPort: 5, ToPort: 5, UserIdGroupPairs: [{ GroupName: 'no-such-group' }] }]));
      assert.equal(e.code, 'InvalidGroup.NotFound');
    });

    it('accepts the older top-level parameters', async () => {
      const sg = await newGroup();
      const out = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, CidrIp: '192.0.2.0/24' }),
      );
      assert.equal(out.SecurityGroupRules!.length, 1);
      assert.equal(out.SecurityGroupRules![0]!.CidrIpv4, '192.0.2.0/24');
      // SourceSecurityGroupName grants full ICMP, TCP and UDP access from that group.
      const src = await newGroup();
      const name = (await group(src)).GroupName!;
      const all = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, SourceSecurityGroupName: name }));
      assert.deepEqual(
        all.SecurityGroupRules!.map((r) => [r.IpProtocol, r.FromPort, r.ToPort, r.ReferencedGroupInfo!.GroupId]),
        [
          ['icmp', -1, -1, src],
          ['tcp', 0, 65535, src],
          ['udp', 0, 65535, src],
        ],
      );
      let e = await apiError(() =>
        ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, SourceSecurityGroupName: name, IpProtocol: 'tcp', FromPort: 1, ToPort: 1 })),
      );
      assert.equal(e.code, 'InvalidParameterCombination');
      e = await apiError(() =>
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: sg,
            CidrIp: '10.0.0.0/8',
            IpProtocol: 'tcp',
            FromPort: 1,
            ToPort: 1,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 2, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidParameterCombination');
    });

    it('finds the group by name in the default VPC', async () => {
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'named-default', Description: 'x' }));
      const out = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupName: 'named-default', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }),
      );
      assert.equal(out.SecurityGroupRules!.length, 1);
      const e = await apiError(() =>
        ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupName: 'nope', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })),
      );
      assert.equal(e.code, 'InvalidGroup.NotFound');
      const g = await apiError(() =>
        ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-0123456789abcdef0', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })),
      );
      assert.equal(g.code, 'InvalidGroup.NotFound');
    });

    it('tags the new rules from TagSpecifications', async () => {
      const sg = await newGroup();
      const out = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 9, ToPort: 9, IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '172.16.0.0/12' }] }],
          TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'purpose', Value: 'discard' }] }],
        }),
      );
      for (const r of out.SecurityGroupRules!) assert.deepEqual(r.Tags, [{ Key: 'purpose', Value: 'discard' }]);
      const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['security-group-rule'] }] }));
      assert.deepEqual(Tags!.map((t) => t.ResourceId).sort(), out.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId).sort());
      const e = await apiError(() =>
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: sg,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 10, ToPort: 10, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
            TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'a', Value: 'b' }] }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidParameterValue');
    });
  });

  describe('AuthorizeSecurityGroupEgress', () => {
    it('adds outbound rules; the default rule counts as existing', async () => {
      const sg = await newGroup();
      const out = await egress(sg, [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }]);
      assert.equal(out.Return, true);
      assert.equal(out.SecurityGroupRules![0]!.IsEgress, true);
      const e = await apiError(() => egress(sg, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]));
      assert.equal(e.code, 'InvalidPermission.Duplicate');
      assert.equal(e.message, 'the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists');
      const g = await group(sg);
      assert.deepEqual(g.IpPermissionsEgress!.map((p) => p.IpProtocol), ['-1', 'tcp']);
      assert.deepEqual(g.IpPermissions, []);
      const missing = await apiError(() =>
        egress('sg-0123456789abcdef0', [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]),
      );
      assert.equal(missing.code, 'InvalidGroup.NotFound');
    });
  });

  describe('RevokeSecurityGroupIngress / Egress', () => {
    it('revokes matching rules (descriptions need not match) and reports them', async () => {
      const sg = await newGroup();
      await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }, { CidrIp: '192.168.0.0/16' }] }]);
      const out = await ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: '6', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }),
      );
      assert.equal(out.Return, true);
      assert.equal(out.UnknownIpPermissions, undefined);
      assert.deepEqual((await group(sg)).IpPermissions![0]!.IpRanges, [{ CidrIp: '192.168.0.0/16' }]);
    });

    it('in a non-default VPC, an unknown rule fails the whole request', async () => {
      const sg = await newGroup();
      await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }]);
      const e = await apiError(() =>
        ec2.send(
          new RevokeSecurityGroupIngressCommand({
            GroupId: sg,
            IpPermissions: [
              { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
              { IpProtocol: 'tcp', FromPort: 23, ToPort: 23, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
            ],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidPermission.NotFound');
      assert.equal(e.message, 'The specified rule does not exist in this security group.');
      assert.equal((await rulesOf(sg)).filter((r) => !r.IsEgress).length, 1, 'nothing was revoked');
    });

    it('in the default VPC, unknown rules come back as UnknownIpPermissions', async () => {
      const sg = await newGroup(defaultVpcId);
      await ingress(sg, [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }]);
      const out = await ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [
            { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
            { IpProtocol: 'tcp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
          ],
        }),
      );
      assert.equal(out.Return, true);
      assert.deepEqual(out.UnknownIpPermissions, [
        { IpProtocol: 'tcp', FromPort: 53, ToPort: 53, UserIdGroupPairs: [], IpRanges: [{ CidrIp: '10.0.0.0/8' }], Ipv6Ranges: [], PrefixListIds: [] },
      ]);
      assert.deepEqual((await group(sg)).IpPermissions, []);
    });

    it('revokes by rule ID, and refuses IDs of other groups or directions', async () => {
      const sg = await newGroup();
      const other = await newGroup();
      const { SecurityGroupRules } = await ingress(sg, [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: other }] }]);
      const id = SecurityGroupRules![0]!.SecurityGroupRuleId!;
      let e = await apiError(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: other, SecurityGroupRuleIds: [id] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound');
      e = await apiError(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, SecurityGroupRuleIds: [id] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound');
      e = await apiError(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, SecurityGroupRuleIds: ['sgr-0123456789abcdef0'] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound');
      assert.equal(e.message, "The security group rule ID 'sgr-0123456789abcdef0' does not exist");
      e = await apiError(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, SecurityGroupRuleIds: ['rule-1'] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.Malformed');
      const out = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, SecurityGroupRuleIds: [id] }));
      assert.equal(out.Return, true);
      assert.deepEqual((await group(sg)).IpPermissions, []);
      // With the rule gone, the referenced group can be deleted.
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: other }));
    });

    it('revokes the default outbound rule, and with the older parameters', async () => {
      const sg = await newGroup();
      const out = await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
      assert.equal(out.Return, true);
      assert.deepEqual((await group(sg)).IpPermissionsEgress, []);
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpProtocol: 'tcp', FromPort: 25, ToPort: 25, CidrIp: '10.0.0.0/8' }));
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, IpProtocol: 'tcp', FromPort: 25, ToPort: 25, CidrIp: '10.0.0.0/8' }));
      assert.equal((await rulesOf(sg)).length, 0);
      const e = await apiError(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })));
      assert.equal(e.code, 'InvalidPermission.NotFound');
    });
  });

  describe('DescribeSecurityGroupRules', () => {
    it('selects by ID, filters, and paginates', async () => {
      const sg = await newGroup();
      const { SecurityGroupRules } = await ingress(sg, [
        { IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [1, 2, 3, 4, 5, 6].map((i) => ({ CidrIp: `10.0.${i}.0/24` })) },
      ]);
      const ids = SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!);
      const byId = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ids[2]!] }));
      assert.equal(byId.SecurityGroupRules![0]!.CidrIpv4, '10.0.3.0/24');
      const filtered = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'security-group-rule-id', Values: [ids[0]!, ids[1]!] }] }),
      );
      assert.deepEqual(filtered.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId).sort(), [ids[0], ids[1]].sort());
      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [sg] }], MaxResults: 5, NextToken }));
        seen.push(...page.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!));
        NextToken = page.NextToken;
      } while (NextToken);
      assert.equal(seen.length, 7, 'six inbound rules and the default outbound rule');
      let e = await apiError(() => ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ['sgr-0123456789abcdef0'] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound');
      e = await apiError(() => ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ['sg-0123456789abcdef0'] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.Malformed');
      e = await apiError(() => ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'cidr', Values: ['x'] }] })));
      assert.equal(e.code, 'InvalidParameterValue');
    });

    it('rules carry tags: CreateTags, DeleteTags, DescribeTags and the tag filters', async () => {
      const sg = await newGroup();
      const { SecurityGroupRules } = await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 7, ToPort: 7, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }]);
      const id = SecurityGroupRules![0]!.SecurityGroupRuleId!;
      await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'team', Value: 'net' }] }));
      const tagged = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:team', Values: ['net'] }] }));
      assert.deepEqual(tagged.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId), [id]);
      assert.deepEqual(tagged.SecurityGroupRules![0]!.Tags, [{ Key: 'team', Value: 'net' }]);
      const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
      assert.deepEqual(Tags, [{ Key: 'team', Value: 'net', ResourceId: id, ResourceType: 'security-group-rule' }]);
      await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'team' }] }));
      const untagged = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag-key', Values: ['team'] }] }));
      assert.equal(untagged.SecurityGroupRules!.length, 0);
      const e = await apiError(() => ec2.send(new CreateTagsCommand({ Resources: ['sgr-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] })));
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound');
    });
  });

  describe('ModifySecurityGroupRules', () => {
    it('replaces a rule in place, keeping its ID and tags', async () => {
      const sg = await newGroup();
      const peer = await newGroup();
      const { SecurityGroupRules } = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'old' }] },
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
          ],
          TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'k', Value: 'v' }] }],
        }),
      );
      const [first, second] = SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!);
      const out = await ec2.send(
        new ModifySecurityGroupRulesCommand({
          GroupId: sg,
          SecurityGroupRules: [
            { SecurityGroupRuleId: first, SecurityGroupRule: { IpProtocol: 'udp', FromPort: 8000, ToPort: 8100, ReferencedGroupId: peer, Description: 'new' } },
          ],
        }),
      );
      assert.equal(out.Return, true);
      const rule = (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [first!] }))).SecurityGroupRules![0]!;
      assert.equal(rule.IpProtocol, 'udp');
      assert.equal(rule.FromPort, 8000);
      assert.equal(rule.ToPort, 8100);
      assert.equal(rule.CidrIpv4, undefined);
      assert.deepEqual(rule.ReferencedGroupInfo, { GroupId: peer, UserId: ACCOUNT });
      assert.equal(rule.Description, 'new');
      assert.deepEqual(rule.Tags, [{ Key: 'k', Value: 'v' }]);
      assert.equal(rule.IsEgress, false);
      // Modifying into a copy of another rule is a duplicate.
      let e = await apiError(() =>
        ec2.send(
          new ModifySecurityGroupRulesCommand({
            GroupId: sg,
            SecurityGroupRules: [{ SecurityGroupRuleId: first, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '10.0.0.0/8' } }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidPermission.Duplicate');
      e = await apiError(() =>
        ec2.send(
          new ModifySecurityGroupRulesCommand({
            GroupId: peer,
            SecurityGroupRules: [{ SecurityGroupRuleId: second, SecurityGroupRule: { IpProtocol: '-1', CidrIpv4: '10.0.0.0/8' } }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound');
      e = await apiError(() =>
        ec2.send(
          new ModifySecurityGroupRulesCommand({
            GroupId: sg,
            SecurityGroupRules: [{ SecurityGroupRuleId: second, SecurityGroupRule: { IpProtocol: '-1', CidrIpv4: '10.0.0.0/8', CidrIpv6: '::/0' } }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidParameterCombination');
      e = await apiError(() =>
        ec2.send(
          new ModifySecurityGroupRulesCommand({
            GroupId: sg,
            SecurityGroupRules: [{ SecurityGroupRuleId: second, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 9, ToPort: 1, CidrIpv4: '10.0.0.0/8' } }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidParameterValue');
    });
  });

  describe('UpdateSecurityGroupRuleDescriptions', () => {
    it('sets, replaces and removes descriptions by rule properties', async () => {
      const sg = await newGroup();
      await ingress(sg, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'before' }] }]);
      await ec2.send(
        new UpdateSecurityGroupRuleDescriptionsIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'after' }] }],
        }),
      );
      assert.deepEqual((await group(sg)).IpPermissions![0]!.IpRanges, [{ CidrIp: '10.0.0.0/8', Description: 'after' }]);
      await ec2.send(
        new UpdateSecurityGroupRuleDescriptionsIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
        }),
      );
      assert.deepEqual((await group(sg)).IpPermissions![0]!.IpRanges, [{ CidrIp: '10.0.0.0/8' }]);
      const e = await apiError(() =>
        ec2.send(
          new UpdateSecurityGroupRuleDescriptionsIngressCommand({
            GroupId: sg,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 23, ToPort: 23, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'x' }] }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidPermission.NotFound');
    });

    it('sets descriptions by rule ID, outbound too', async () => {
      const sg = await newGroup();
      const egressRule = (await rulesOf(sg)).find((r) => r.IsEgress)!;
      const out = await ec2.send(
        new UpdateSecurityGroupRuleDescriptionsEgressCommand({
          GroupId: sg,
          SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: egressRule.SecurityGroupRuleId, Description: 'anything out' }],
        }),
      );
      assert.equal(out.Return, true);
      assert.deepEqual((await group(sg)).IpPermissionsEgress![0]!.IpRanges, [{ CidrIp: '0.0.0.0/0', Description: 'anything out' }]);
      let e = await apiError(() =>
        ec2.send(
          new UpdateSecurityGroupRuleDescriptionsIngressCommand({
            GroupId: sg,
            SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: egressRule.SecurityGroupRuleId, Description: 'x' }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidSecurityGroupRuleId.NotFound', 'an outbound rule is not an inbound rule');
      e = await apiError(() =>
        ec2.send(
          new UpdateSecurityGroupRuleDescriptionsEgressCommand({
            GroupId: sg,
            SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: egressRule.SecurityGroupRuleId, Description: 'caf\u00e9' }],
          }),
        ),
      );
      assert.equal(e.code, 'InvalidParameterValue');
      e = await apiError(() => ec2.send(new UpdateSecurityGroupRuleDescriptionsEgressCommand({ GroupId: sg })));
      assert.equal(e.code, 'MissingParameter');
    });
  });

  describe('references across VPC peering', () => {
    let a: string;
    let b: string;
    let pcx: string;
    let sgA: string;
    let sgB: string;

    before(async () => {
      a = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.100.0.0/16' }))).Vpc!.VpcId!;
      b = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.101.0.0/16' }))).Vpc!.VpcId!;
      pcx = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!.VpcPeeringConnectionId!;
      sgA = await newGroup(a);
      sgB = await newGroup(b);
    });

    it('a pending peering is not enough', async () => {
      const e = await apiError(() => ingress(sgA, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: sgB }] }]));
      assert.equal(e.message, 'You have specified two resources that belong to different networks.');
    });

    it('an active peering lets rules refer to the peer VPC group', async () => {
      await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
      await ingress(sgA, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: sgB }] }]);
      const pair = (await group(sgA)).IpPermissions![0]!.UserIdGroupPairs![0]!;
      assert.deepEqual(pair, { UserId: ACCOUNT, GroupId: sgB, VpcId: b, VpcPeeringConnectionId: pcx, PeeringStatus: 'active' });
      const refs = await ec2.send(new DescribeSecurityGroupReferencesCommand({ GroupId: [sgB] }));
      assert.deepEqual(refs.SecurityGroupReferenceSet, [{ GroupId: sgB, ReferencingVpcId: a, VpcPeeringConnectionId: pcx }]);
      const none = await ec2.send(new DescribeSecurityGroupReferencesCommand({ GroupId: [sgA] }));
      assert.deepEqual(none.SecurityGroupReferenceSet, []);
      const stale = await ec2.send(new DescribeStaleSecurityGroupsCommand({ VpcId: a }));
      assert.deepEqual(stale.StaleSecurityGroupSet, []);
    });

    it('a referenced group in the peer VPC can be deleted; the rule becomes stale', async () => {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sgB }));
      const { StaleSecurityGroupSet } = await ec2.send(new DescribeStaleSecurityGroupsCommand({ VpcId: a }));
      assert.equal(StaleSecurityGroupSet!.length, 1);
      const s = StaleSecurityGroupSet![0]!;
      assert.equal(s.GroupId, sgA);
      assert.equal(s.VpcId, a);
      assert.deepEqual(s.StaleIpPermissions!.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]), [['tcp', 22, 22]]);
      assert.equal(s.StaleIpPermissions![0]!.UserIdGroupPairs![0]!.GroupId, sgB);
      assert.deepEqual(s.StaleIpPermissionsEgress, []);
      // A stale rule can still be revoked by its properties.
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sgA, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: sgB }] }] }));
      assert.deepEqual((await ec2.send(new DescribeStaleSecurityGroupsCommand({ VpcId: a }))).StaleSecurityGroupSet, []);
    });

    it('deleting the peering makes references stale', async () => {
      const sgB2 = await newGroup(b);
      await egress(sgA, [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, UserIdGroupPairs: [{ GroupId: sgB2 }] }]);
      await ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
      const { StaleSecurityGroupSet } = await ec2.send(new DescribeStaleSecurityGroupsCommand({ VpcId: a }));
      assert.equal(StaleSecurityGroupSet!.length, 1);
      assert.equal(StaleSecurityGroupSet![0]!.StaleIpPermissionsEgress![0]!.UserIdGroupPairs![0]!.PeeringStatus, 'deleted');
      const pair = (await group(sgA)).IpPermissionsEgress!.find((p) => p.IpProtocol === 'udp')!.UserIdGroupPairs![0]!;
      assert.equal(pair.PeeringStatus, 'deleted');
    });

    it('reaches groups of another account over a peering', async () => {
      const other = srv.ec2({ accessKeyId: OTHER });
      const theirVpc = (await other.send(new CreateVpcCommand({ CidrBlock: '10.102.0.0/16' }))).Vpc!.VpcId!;
      const theirSg = (await other.send(new CreateSecurityGroupCommand({ GroupName: 'theirs', Description: 'x', VpcId: theirVpc }))).GroupId!;
      const e = await apiError(() => ingress(sgA, [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: theirSg, UserId: OTHER }] }]));
      assert.equal(e.message, 'You have specified two resources that belong to different networks.');
      const id = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: theirVpc, PeerOwnerId: OTHER }))).VpcPeeringConnection!
        .VpcPeeringConnectionId!;
      await other.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
      const out = await ingress(sgA, [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: theirSg, UserId: OTHER }] }]);
      assert.deepEqual(out.SecurityGroupRules![0]!.ReferencedGroupInfo, {
        GroupId: theirSg,
        UserId: OTHER,
        VpcId: theirVpc,
        VpcPeeringConnectionId: id,
        PeeringStatus: 'active',
      });
      const refs = await other.send(new DescribeSecurityGroupReferencesCommand({ GroupId: [theirSg] }));
      assert.deepEqual(refs.SecurityGroupReferenceSet, [{ GroupId: theirSg, ReferencingVpcId: a, VpcPeeringConnectionId: id }]);
    });

    it('reports unknown groups and VPCs', async () => {
      let e = await apiError(() => ec2.send(new DescribeSecurityGroupReferencesCommand({ GroupId: ['sg-0123456789abcdef0'] })));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      e = await apiError(() => ec2.send(new DescribeStaleSecurityGroupsCommand({ VpcId: 'vpc-0123456789abcdef0' })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
    });
  });
});
