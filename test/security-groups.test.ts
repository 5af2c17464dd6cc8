import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  type EC2Client,
  GetSecurityGroupsForVpcCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '000000000000';

describe('security groups', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let defaultVpcId: string;

  const group = async (id: string): Promise<SecurityGroup> => {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }));
    return SecurityGroups![0]!;
  };
  const create = async (GroupName: string, extra: { VpcId?: string; Description?: string } = {}) =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName, Description: extra.Description ?? `${GroupName} group`, VpcId: extra.VpcId ?? vpcId })))
      .GroupId!;

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    defaultVpcId = Vpcs![0]!.VpcId!;
  });
  after(() => srv.close());

  describe('default group', () => {
    it('every VPC gets one: all traffic in from itself, all traffic out to 0.0.0.0/0', async () => {
      const { SecurityGroups } = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
      );
      assert.equal(SecurityGroups!.length, 1);
      const g = SecurityGroups![0]!;
      assert.match(g.GroupId!, /^sg-[0-9a-f]{17}$/);
      assert.equal(g.GroupName, 'default');
      assert.equal(g.Description, 'default VPC security group');
      assert.equal(g.OwnerId, ACCOUNT);
      assert.deepEqual(g.IpPermissions, [
        { IpProtocol: '-1', UserIdGroupPairs: [{ UserId: ACCOUNT, GroupId: g.GroupId }], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] },
      ]);
      assert.deepEqual(g.IpPermissionsEgress, [
        { IpProtocol: '-1', UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [] },
      ]);
    });

    it('the default VPC has one too', async () => {
      const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
      assert.equal(SecurityGroups!.length, 1);
      assert.equal(SecurityGroups![0]!.VpcId, defaultVpcId);
    });

    it('in a VPC with an IPv6 block it also allows all traffic out to ::/0', async () => {
      const v6 = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16', AmazonProvidedIpv6CidrBlock: true }))).Vpc!.VpcId!;
      const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [v6] }] }));
      assert.deepEqual(SecurityGroups![0]!.IpPermissionsEgress, [
        { IpProtocol: '-1', UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }], PrefixListIds: [] },
      ]);
      await ec2.send(new DeleteVpcCommand({ VpcId: v6 }));
    });

    it('its rules are rules with IDs', async () => {
      const g = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups![0]!;
      const { SecurityGroupRules } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [g.GroupId!] }] }),
      );
      assert.equal(SecurityGroupRules!.length, 2);
      const ingress = SecurityGroupRules!.find((r) => !r.IsEgress)!;
      const egress = SecurityGroupRules!.find((r) => r.IsEgress)!;
      assert.match(ingress.SecurityGroupRuleId!, /^sgr-[0-9a-f]{17}$/);
      assert.equal(ingress.IpProtocol, '-1');
      assert.equal(ingress.FromPort, -1);
      assert.equal(ingress.ToPort, -1);
      assert.deepEqual(ingress.ReferencedGroupInfo, { GroupId: g.GroupId, UserId: ACCOUNT });
      assert.equal(ingress.GroupOwnerId, ACCOUNT);
      assert.equal(egress.CidrIpv4, '0.0.0.0/0');
    });

    it('cannot be deleted', async () => {
      const g = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups![0]!;
      const e = await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })));
      assert.equal(e.code, 'CannotDelete');
      assert.equal(e.message, `the specified group: "${g.GroupId}" name: "default" cannot be deleted by a user`);
      const byName = await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'default' })));
      assert.equal(byName.code, 'CannotDelete');
    });
  });

  describe('CreateSecurityGroup', () => {
    it('creates a group with the all-outbound IPv4 rule and no inbound rule', async () => {
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: 'web',
          Description: 'Web servers (HTTP/HTTPS) #1',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'web' }] }],
        }),
      );
      assert.match(out.GroupId!, /^sg-[0-9a-f]{17}$/);
      assert.deepEqual(out.Tags, [{ Key: 'Name', Value: 'web' }]);
      const g = await group(out.GroupId!);
      assert.equal(g.GroupName, 'web');
      assert.equal(g.Description, 'Web servers (HTTP/HTTPS) #1');
      assert.equal(g.VpcId, vpcId);
      assert.deepEqual(g.Tags, [{ Key: 'Name', Value: 'web' }]);
      assert.deepEqual(g.IpPermissions, []);
      assert.deepEqual(g.IpPermissionsEgress, [
        { IpProtocol: '-1', UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [] },
      ]);
    });

    it('uses the default VPC when VpcId is omitted', async () => {
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'in-default', Description: 'd' }));
      assert.equal((await group(GroupId!)).VpcId, defaultVpcId);
    });

    it('refuses a name already used in the VPC (case-insensitively)', async () => {
      await create('dup');
      for (const name of ['dup', 'DUP']) {
        const e = await apiError(() => ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'x', VpcId: vpcId })));
        assert.equal(e.code, 'InvalidGroup.Duplicate');
        assert.equal(e.message, `The security group '${name}' already exists for VPC '${vpcId}'`);
      }
      // The same name in another VPC is fine.
      await create('dup', { VpcId: defaultVpcId });
    });

    it('reserves the name default', async () => {
      const e = await apiError(() => ec2.send(new CreateSecurityGroupCommand({ GroupName: 'default', Description: 'x', VpcId: vpcId })));
      assert.equal(e.code, 'InvalidGroup.Reserved');
    });

    it('validates the name and description', async () => {
      const bad = async (GroupName: string, Description: string) =>
        apiError(() => ec2.send(new CreateSecurityGroupCommand({ GroupName, Description, VpcId: vpcId })));
      let e = await bad('sg-web', 'x');
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, 'Value (sg-web) for parameter GroupName is invalid. Group names may not be in the format sg-*.');
      e = await bad('web\'s', 'x');
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, /parameter GroupName is invalid/);
      e = await bad('ok', 'caf\u00e9 \u2014 servers');
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, /parameter GroupDescription is invalid\. Character sets beyond ASCII are not supported\./);
      e = await bad('x'.repeat(256), 'x');
      assert.equal(e.code, 'InvalidParameterValue');
      e = await bad('ok', 'y'.repeat(256));
      assert.equal(e.code, 'InvalidParameterValue');
      e = await bad('', 'x');
      assert.equal(e.code, 'MissingParameter');
      // 255 characters and every allowed punctuation mark are accepted.
      await create('n'.repeat(255), { Description: 'd'.repeat(255) });
      await create('a-z A-Z 0-9 ._-:/()#,@[]+=&;{}!$*');
    });

    it('refuses an unknown VPC', async () => {
      const e = await apiError(() => ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-0123456789abcdef0' })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
    });

    it('needs a VPC when the region has no default VPC', async () => {
      const west = srv.ec2({ region: 'eu-west-3' });
      const { Vpcs } = await west.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
      const dv = Vpcs![0]!.VpcId!;
      for (const s of (await west.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [dv] }] }))).Subnets!) {
        await west.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId }));
      }
      for (const g of (await west.send(new DescribeInternetGatewaysCommand({}))).InternetGateways!) {
        await west.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId, VpcId: dv }));
        await west.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId }));
      }
      await west.send(new DeleteVpcCommand({ VpcId: dv }));
      const e = await apiError(() => west.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x' })));
      assert.equal(e.code, 'VPCIdNotSpecified');
      assert.equal(e.message, 'No default VPC for this user');
      const byName = await apiError(() => west.send(new DescribeSecurityGroupsCommand({ GroupNames: ['x'] })));
      assert.equal(byName.code, 'VPCIdNotSpecified');
    });

    it('honours DryRun without creating anything', async () => {
      const e = await apiError(() => ec2.send(new CreateSecurityGroupCommand({ GroupName: 'dry', Description: 'x', VpcId: vpcId, DryRun: true })));
      assert.equal(e.code, 'DryRunOperation');
      const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['dry'] }] }));
      assert.equal(SecurityGroups!.length, 0);
    });
  });

  describe('DescribeSecurityGroups', () => {
    let app: string;
    let db: string;

    before(async () => {
      const v = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
      app = await create('app', { VpcId: v, Description: 'application tier' });
      db = await create('db', { VpcId: v, Description: 'database tier' });
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: db,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: app }] },
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.0.2.0/24' }] },
            { IpProtocol: 'icmpv6', FromPort: 128, ToPort: 0, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
            { IpProtocol: 'udp', FromPort: 53, ToPort: 53, PrefixListIds: [{ PrefixListId: 'pl-63a5400a' }] },
          ],
        }),
      );
    });

    const ids = async (Filters: Array<{ Name: string; Values: string[] }>) =>
      ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups ?? []).map((g) => g.GroupId).sort();

    it('selects by ID and by name (default VPC only)', async () => {
      assert.equal((await group(app)).GroupName, 'app');
      const e = await apiError(() => ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['app'] })));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      assert.equal(e.message, `The security group 'app' does not exist in default VPC '${defaultVpcId}'`);
      const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['in-default'] }));
      assert.equal(SecurityGroups![0]!.VpcId, defaultVpcId);
    });

    it('reports unknown and malformed IDs', async () => {
      const e = await apiError(() => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      assert.equal(e.message, "The security group 'sg-0123456789abcdef0' does not exist");
      const m = await apiError(() => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['web'] })));
      assert.equal(m.code, 'InvalidGroupId.Malformed');
    });

    it('filters on the group itself', async () => {
      assert.deepEqual(await ids([{ Name: 'group-name', Values: ['app', 'db'] }]), [app, db].sort());
      assert.deepEqual(await ids([{ Name: 'description', Values: ['database*'] }]), [db]);
      assert.deepEqual(await ids([{ Name: 'group-id', Values: [app] }]), [app]);
      const all = await ids([{ Name: 'owner-id', Values: [ACCOUNT] }]);
      assert.ok(all.includes(app) && all.includes(db));
      assert.deepEqual(await ids([{ Name: 'owner-id', Values: ['111111111111'] }]), []);
      const inVpc = await ids([{ Name: 'vpc-id', Values: [(await group(app)).VpcId!] }]);
      assert.equal(inVpc.length, 3, 'app, db and the default group');
    });

    it('filters on inbound rules (ip-permission.*)', async () => {
      const f = (name: string, ...values: string[]) => ids([{ Name: `ip-permission.${name}`, Values: values }]);
      assert.deepEqual(await f('cidr', '192.0.2.0/24'), [db]);
      assert.deepEqual(await f('ipv6-cidr', '2001:db8::/32'), [db]);
      assert.deepEqual(await f('from-port', '5432'), [db]);
      assert.deepEqual(await f('to-port', '22'), [db]);
      assert.deepEqual(await f('group-id', app), [db]);
      assert.deepEqual(await f('group-name', 'app'), [db]);
      assert.deepEqual(await f('prefix-list-id', 'pl-63a5400a'), [db]);
      assert.deepEqual(await f('protocol', 'icmpv6'), [db]);
      assert.deepEqual(await f('protocol', '17'), [db], 'protocol numbers match too');
      assert.ok((await f('user-id', ACCOUNT)).includes(db));
      assert.deepEqual(await f('cidr', '0.0.0.0/0'), []);
      // Filters on rules combine across rules of the group.
      assert.deepEqual(
        await ids([
          { Name: 'ip-permission.from-port', Values: ['22'] },
          { Name: 'ip-permission.group-id', Values: [app] },
        ]),
        [db],
      );
    });

    it('filters on outbound rules (egress.ip-permission.*)', async () => {
      const e = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
      );
      assert.equal(e.Return, true);
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: app,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5433, UserIdGroupPairs: [{ GroupId: db }] },
            { IpProtocol: 'udp', FromPort: 123, ToPort: 123, Ipv6Ranges: [{ CidrIpv6: '2001:db8:1::/48' }] },
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-02cd2c6b' }] },
          ],
        }),
      );
      const f = (name: string, ...values: string[]) => ids([{ Name: `egress.ip-permission.${name}`, Values: values }]);
      assert.deepEqual(await f('group-id', db), [app]);
      assert.deepEqual(await f('group-name', 'db'), [app]);
      assert.deepEqual(await f('from-port', '5432'), [app]);
      assert.deepEqual(await f('to-port', '5433'), [app]);
      assert.deepEqual(await f('ipv6-cidr', '2001:db8:1::/48'), [app]);
      assert.deepEqual(await f('prefix-list-id', 'pl-02cd2c6b'), [app]);
      assert.deepEqual(await f('protocol', 'udp'), [app]);
      assert.ok((await f('user-id', ACCOUNT)).includes(app));
      const allOut = await f('cidr', '0.0.0.0/0');
      assert.ok(allOut.includes(app) && allOut.includes(db), 'every new group allows all outbound traffic');
      assert.ok((await f('protocol', '-1')).includes(db));
      // ip-permission.* looks only at inbound rules.
      assert.deepEqual(await ids([{ Name: 'ip-permission.group-id', Values: [db] }]), []);
      assert.deepEqual(await ids([{ Name: 'ip-permission.cidr', Values: ['0.0.0.0/0'] }]), [app]);
    });

    it('filters on tags and rejects unknown filters', async () => {
      await ec2.send(new CreateTagsCommand({ Resources: [db], Tags: [{ Key: 'tier', Value: 'data' }] }));
      assert.deepEqual(await ids([{ Name: 'tag:tier', Values: ['data'] }]), [db]);
      assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['tier'] }]), [db]);
      const e = await apiError(() => ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.bogus', Values: ['x'] }] })));
      assert.equal(e.code, 'InvalidParameterValue');
    });

    it('paginates', async () => {
      const all = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!;
      assert.ok(all.length > 5);
      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 5, NextToken }));
        assert.ok(page.SecurityGroups!.length <= 5);
        seen.push(...page.SecurityGroups!.map((g) => g.GroupId!));
        NextToken = page.NextToken;
      } while (NextToken);
      assert.deepEqual(seen, all.map((g) => g.GroupId));
      const e = await apiError(() => ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: 2 })));
      assert.equal(e.code, 'InvalidParameterValue');
    });
  });

  describe('DeleteSecurityGroup', () => {
    it('deletes by ID, together with its rules', async () => {
      const id = await create('doomed');
      const rules = async () =>
        (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }))).SecurityGroupRules!;
      assert.equal((await rules()).length, 1);
      const out = await ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
      assert.equal(out.Return, true);
      assert.equal((await apiError(() => group(id))).code, 'InvalidGroup.NotFound');
      assert.equal((await rules()).length, 0);
    });

    it('deletes by name in the default VPC only', async () => {
      await create('by-name', { VpcId: defaultVpcId });
      await create('by-name-elsewhere');
      await ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'by-name' }));
      const e = await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'by-name-elsewhere' })));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      assert.equal(e.message, `The security group 'by-name-elsewhere' does not exist in default VPC '${defaultVpcId}'`);
    });

    it('reports unknown, malformed and missing IDs', async () => {
      const e = await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: 'sg-0123456789abcdef0' })));
      assert.equal(e.code, 'InvalidGroup.NotFound');
      assert.equal((await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: 'sg-zz' })))).code, 'InvalidGroupId.Malformed');
      assert.equal((await apiError(() => ec2.send(new DeleteSecurityGroupCommand({})))).code, 'MissingParameter');
    });

    it('refuses while another group has a rule referring to it', async () => {
      const target = await create('referenced');
      const user = await create('referrer');
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: user,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: target }] }],
        }),
      );
      const e = await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: target })));
      assert.equal(e.code, 'DependencyViolation');
      assert.equal(e.message, `resource ${target} has a dependent object`);
      // Deleting the referring group first frees it.
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: user }));
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: target }));
    });

    it('allows deleting a group whose only reference is to itself', async () => {
      const self = await create('self-ref');
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: self, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: self }] }] }),
      );
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: self }));
    });

    it('refuses while a network interface uses it', async (t) => {
      const sg = await create('eni-user');
      const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))).Subnet!.SubnetId!;
      let eni: string;
      try {
        eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet, Groups: [sg] }))).NetworkInterface!.NetworkInterfaceId!;
      } catch (err) {
        if ((err as { name?: string }).name === 'UnsupportedOperation') return t.skip('network interfaces not served yet');
        throw err;
      }
      const e = await apiError(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg })));
      assert.equal(e.code, 'DependencyViolation');
      assert.equal(e.message, `resource ${sg} has a dependent object`);
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
      await ec2.send(new DeleteSubnetCommand({ SubnetId: subnet }));
    });

    it('a VPC with a custom group cannot be deleted; once it is gone the default group goes with the VPC', async () => {
      const v = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
      const sg = await create('blocker', { VpcId: v });
      assert.equal((await apiError(() => ec2.send(new DeleteVpcCommand({ VpcId: v })))).code, 'DependencyViolation');
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
      const def = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [v] }] }))).SecurityGroups![0]!;
      await ec2.send(new DeleteVpcCommand({ VpcId: v }));
      assert.equal((await apiError(() => group(def.GroupId!))).code, 'InvalidGroup.NotFound');
      const { SecurityGroupRules } = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [def.GroupId!] }] }),
      );
      assert.equal(SecurityGroupRules!.length, 0);
    });
  });

  describe('GetSecurityGroupsForVpc', () => {
    it('lists the groups usable in a VPC, with filters', async () => {
      const v = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
      const a = await create('alpha', { VpcId: v, Description: 'first' });
      await create('beta', { VpcId: v, Description: 'second' });
      const { SecurityGroupForVpcs } = await ec2.send(new GetSecurityGroupsForVpcCommand({ VpcId: v }));
      assert.deepEqual(SecurityGroupForVpcs!.map((g) => g.GroupName).sort(), ['alpha', 'beta', 'default']);
      const one = SecurityGroupForVpcs!.find((g) => g.GroupId === a)!;
      assert.equal(one.PrimaryVpcId, v);
      assert.equal(one.OwnerId, ACCOUNT);
      assert.equal(one.Description, 'first');
      const only = async (Name: string, value: string) =>
        (await ec2.send(new GetSecurityGroupsForVpcCommand({ VpcId: v, Filters: [{ Name, Values: [value] }] }))).SecurityGroupForVpcs!.map((g) => g.GroupName);
      assert.deepEqual(await only('group-id', a), ['alpha']);
      assert.deepEqual(await only('group-name', 'beta'), ['beta']);
      assert.deepEqual(await only('description', 'sec*'), ['beta']);
      assert.equal((await only('owner-id', ACCOUNT)).length, 3);
      assert.equal((await only('primary-vpc-id', v)).length, 3);
      const page = await ec2.send(new GetSecurityGroupsForVpcCommand({ VpcId: v, MaxResults: 5 }));
      assert.equal(page.SecurityGroupForVpcs!.length, 3);
      const e = await apiError(() => ec2.send(new GetSecurityGroupsForVpcCommand({ VpcId: 'vpc-0123456789abcdef0' })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
    });
  });
});

describe('security group quotas', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;

  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, securityGroupsPerRegion: 4, rulesPerSecurityGroup: 3 } });
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  });
  after(() => srv.close());

  it('limits security groups per region (default groups count)', async () => {
    // The default VPC's group and the new VPC's group already count: two more fit.
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'one', Description: 'x', VpcId: vpcId }));
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'two', Description: 'x', VpcId: vpcId }));
    const e = await apiError(() => ec2.send(new CreateSecurityGroupCommand({ GroupName: 'three', Description: 'x', VpcId: vpcId })));
    assert.equal(e.code, 'SecurityGroupLimitExceeded');
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: await idOf('one') }));
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'three', Description: 'x', VpcId: vpcId }));
  });

  async function idOf(name: string): Promise<string> {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }));
    return SecurityGroups![0]!.GroupId!;
  }

  it('limits rules per group and direction, IPv4 and IPv6 apart', async () => {
    const sg = await idOf('two');
    const ingress = (IpPermissions: IpPermission[]) =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions }));
    await ingress([{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.1/32' }, { CidrIp: '10.0.0.2/32' }, { CidrIp: '10.0.0.3/32' }] }]);
    const e = await apiError(() => ingress([{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.4/32' }] }]));
    assert.equal(e.code, 'RulesPerSecurityGroupLimitExceeded');
    assert.equal(e.message, "You've reached the limit on the number of rules you can add to a security group.");
    // IPv6 rules are counted apart from IPv4 rules.
    await ingress([{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, Ipv6Ranges: [{ CidrIpv6: '2001:db8::1/128' }, { CidrIpv6: '2001:db8::2/128' }] }]);
    // A group reference counts for both families: the IPv4 side is full.
    const ref = await apiError(() => ingress([{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: sg }] }]));
    assert.equal(ref.code, 'RulesPerSecurityGroupLimitExceeded');
    // Outbound rules have their own count: the default egress rule plus two more.
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.1.0.0/16' }, { CidrIp: '10.2.0.0/16' }] }],
      }),
    );
    const out = await apiError(() =>
      ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: 'udp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.3.0.0/16' }] }] })),
    );
    assert.equal(out.code, 'RulesPerSecurityGroupLimitExceeded');
  });
});
