import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateNetworkAclCommand,
  type CreateNetworkAclEntryCommandInput,
  CreateNetworkAclEntryCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteNetworkAclCommand,
  DeleteNetworkAclEntryCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeNetworkAclsCommand,
  type EC2Client,
  type Filter,
  type NetworkAcl,
  type NetworkAclEntry,
  ReplaceNetworkAclAssociationCommand,
  ReplaceNetworkAclEntryCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS, defaultConfig } from '../src/config.js';
import type { RequestContext } from '../src/services/context.js';
import {
  addIpv6DefaultEntries,
  createDefaultNetworkAcl,
  createNetworkAclEntry,
  type NetworkAclRecord,
} from '../src/services/ec2/network-acls.js';
import { MemoryPersistence, ScopedState, Store, scopeKey } from '../src/state/store.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

/** Entries reduced to what identifies them, in the order returned. */
function brief(entries: NetworkAclEntry[] | undefined): string[] {
  return (entries ?? []).map(
    (e) => `${e.Egress ? 'out' : 'in'} ${e.RuleNumber} ${e.RuleAction} ${e.Protocol} ${e.CidrBlock ?? e.Ipv6CidrBlock}`,
  );
}

async function describeAcl(ec2: EC2Client, id: string): Promise<NetworkAcl> {
  const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [id] }));
  assert.equal(NetworkAcls?.length, 1);
  return NetworkAcls![0]!;
}

async function defaultAclOf(ec2: EC2Client, vpcId: string): Promise<NetworkAcl> {
  const { NetworkAcls } = await ec2.send(
    new DescribeNetworkAclsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'default', Values: ['true'] },
      ],
    }),
  );
  assert.equal(NetworkAcls?.length, 1);
  return NetworkAcls![0]!;
}

async function newVpc(ec2: EC2Client, cidr: string, ipv6 = false): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, AmazonProvidedIpv6CidrBlock: ipv6 || undefined }));
  return Vpc!.VpcId!;
}

async function newAcl(ec2: EC2Client, vpcId: string): Promise<string> {
  const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }));
  return NetworkAcl!.NetworkAclId!;
}

describe('network ACLs', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let v6VpcId: string;
  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
    vpcId = await newVpc(ec2, '10.10.0.0/16');
    v6VpcId = await newVpc(ec2, '10.20.0.0/16', true);
  });
  after(() => srv.close());

  describe('default ACL', () => {
    it('allows all IPv4 traffic with rule 100 and denies the rest with the * rule (32767), egress first', async () => {
      const acl = await defaultAclOf(ec2, vpcId);
      assert.match(acl.NetworkAclId!, /^acl-[0-9a-f]{17}$/);
      assert.equal(acl.IsDefault, true);
      assert.equal(acl.VpcId, vpcId);
      assert.equal(acl.OwnerId, '000000000000');
      assert.deepEqual(acl.Associations, []);
      assert.deepEqual(brief(acl.Entries), [
        'out 100 allow -1 0.0.0.0/0',
        'out 32767 deny -1 0.0.0.0/0',
        'in 100 allow -1 0.0.0.0/0',
        'in 32767 deny -1 0.0.0.0/0',
      ]);
      assert.equal(acl.Entries![0]!.PortRange, undefined);
    });

    it('adds rule 101 (allow ::/0) and the IPv6 * rule (32768) in both directions for an IPv6 VPC', async () => {
      const acl = await defaultAclOf(ec2, v6VpcId);
      assert.deepEqual(brief(acl.Entries), [
        'out 100 allow -1 0.0.0.0/0',
        'out 101 allow -1 ::/0',
        'out 32767 deny -1 0.0.0.0/0',
        'out 32768 deny -1 ::/0',
        'in 100 allow -1 0.0.0.0/0',
        'in 101 allow -1 ::/0',
        'in 32767 deny -1 0.0.0.0/0',
        'in 32768 deny -1 ::/0',
      ]);
    });

    it('the default VPC has a default ACL associated with each of its subnets', async () => {
      const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'default', Values: ['true'] }] }));
      const others = new Set([vpcId, v6VpcId]);
      const acl = NetworkAcls!.find((a) => !others.has(a.VpcId!));
      assert.ok(acl, 'the default VPC has a default ACL');
      assert.ok(acl.Associations!.length >= 1);
      for (const a of acl.Associations!) {
        assert.match(a.NetworkAclAssociationId!, /^aclassoc-[0-9a-f]{17}$/);
        assert.equal(a.NetworkAclId, acl.NetworkAclId);
      }
    });

    it('a new subnet is associated with the default ACL, and leaves it when deleted', async () => {
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.10.1.0/24' }));
      let acl = await defaultAclOf(ec2, vpcId);
      const assoc = acl.Associations!.find((a) => a.SubnetId === Subnet!.SubnetId);
      assert.ok(assoc);
      assert.equal(assoc.NetworkAclId, acl.NetworkAclId);
      await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
      acl = await defaultAclOf(ec2, vpcId);
      assert.equal(acl.Associations!.some((a) => a.SubnetId === Subnet!.SubnetId), false);
    });

    it('its numbered rules can be removed, its * rules cannot', async () => {
      const vpc = await newVpc(ec2, '10.30.0.0/16');
      const acl = await defaultAclOf(ec2, vpc);
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: acl.NetworkAclId, Egress: true, RuleNumber: 100 }));
      assert.deepEqual(brief((await describeAcl(ec2, acl.NetworkAclId!)).Entries), [
        'out 32767 deny -1 0.0.0.0/0',
        'in 100 allow -1 0.0.0.0/0',
        'in 32767 deny -1 0.0.0.0/0',
      ]);
      for (const RuleNumber of [32767, 32768]) {
        const e = await apiError(() => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: acl.NetworkAclId, Egress: false, RuleNumber })));
        assert.equal(e.code, 'InvalidParameterValue');
        const r = await apiError(() =>
          ec2.send(
            new ReplaceNetworkAclEntryCommand({
              NetworkAclId: acl.NetworkAclId,
              Egress: false,
              RuleNumber,
              Protocol: '-1',
              RuleAction: 'allow',
              CidrBlock: '0.0.0.0/0',
            }),
          ),
        );
        assert.equal(r.code, 'InvalidParameterValue');
      }
      assert.equal((await describeAcl(ec2, acl.NetworkAclId!)).Entries!.length, 3);
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
      assert.equal(
        await errorCode(() => ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl.NetworkAclId!] }))),
        'InvalidNetworkAclID.NotFound',
      );
    });

    it('cannot be deleted', async () => {
      const acl = await defaultAclOf(ec2, vpcId);
      const e = await apiError(() => ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl.NetworkAclId })));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, `cannot delete default network ACL ${acl.NetworkAclId}`);
    });
  });

  describe('CreateNetworkAcl', () => {
    it('creates a custom ACL that denies everything (only the * rules), tagged', async () => {
      const { NetworkAcl, ClientToken } = await ec2.send(
        new CreateNetworkAclCommand({
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'network-acl', Tags: [{ Key: 'Name', Value: 'web' }] }],
        }),
      );
      // The SDK sends an idempotency token of its own; AWS echoes it.
      assert.equal(typeof ClientToken, 'string');
      assert.match(NetworkAcl!.NetworkAclId!, /^acl-[0-9a-f]{17}$/);
      assert.equal(NetworkAcl!.IsDefault, false);
      assert.equal(NetworkAcl!.VpcId, vpcId);
      assert.equal(NetworkAcl!.OwnerId, '000000000000');
      assert.deepEqual(NetworkAcl!.Associations, []);
      assert.deepEqual(NetworkAcl!.Tags, [{ Key: 'Name', Value: 'web' }]);
      assert.deepEqual(brief(NetworkAcl!.Entries), ['out 32767 deny -1 0.0.0.0/0', 'in 32767 deny -1 0.0.0.0/0']);
      const described = await describeAcl(ec2, NetworkAcl!.NetworkAclId!);
      assert.deepEqual(described, NetworkAcl);
    });

    it('in an IPv6 VPC, the custom ACL also has the IPv6 * rules', async () => {
      const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: v6VpcId }));
      assert.deepEqual(brief(NetworkAcl!.Entries), [
        'out 32767 deny -1 0.0.0.0/0',
        'out 32768 deny -1 ::/0',
        'in 32767 deny -1 0.0.0.0/0',
        'in 32768 deny -1 ::/0',
      ]);
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: NetworkAcl!.NetworkAclId }));
    });

    it('is idempotent with a ClientToken', async () => {
      const a = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId, ClientToken: 'token-1' }));
      const b = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId, ClientToken: 'token-1' }));
      assert.equal(a.ClientToken, 'token-1');
      assert.equal(b.NetworkAcl!.NetworkAclId, a.NetworkAcl!.NetworkAclId);
      const e = await apiError(() => ec2.send(new CreateNetworkAclCommand({ VpcId: v6VpcId, ClientToken: 'token-1' })));
      assert.equal(e.code, 'IdempotentParameterMismatch');
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: a.NetworkAcl!.NetworkAclId }));
    });

    it('refuses an unknown or malformed VPC and a wrong tag resource type', async () => {
      assert.equal(await errorCode(() => ec2.send(new CreateNetworkAclCommand({ VpcId: 'vpc-0123456789abcdef0' }))), 'InvalidVpcID.NotFound');
      assert.equal(await errorCode(() => ec2.send(new CreateNetworkAclCommand({ VpcId: 'vpc-nope' }))), 'InvalidVpcID.Malformed');
      assert.equal(
        await errorCode(() =>
          ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] })),
        ),
        'InvalidParameterValue',
      );
    });

    it('a VPC with a custom ACL cannot be deleted until the ACL is', async () => {
      const vpc = await newVpc(ec2, '10.40.0.0/16');
      const acl = await newAcl(ec2, vpc);
      assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: vpc }))), 'DependencyViolation');
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
    });
  });

  describe('entries', () => {
    let aclId: string;
    before(async () => {
      aclId = await newAcl(ec2, v6VpcId);
    });

    const entry = (over: Partial<CreateNetworkAclEntryCommandInput>): CreateNetworkAclEntryCommandInput => ({
      NetworkAclId: aclId,
      RuleNumber: 100,
      Protocol: '6',
      RuleAction: 'allow',
      Egress: false,
      CidrBlock: '0.0.0.0/0',
      PortRange: { From: 443, To: 443 },
      ...over,
    });

    it('creates TCP, UDP, ICMP, ICMPv6, numbered and all-protocol rules, sorted egress first by rule number', async () => {
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 200, Protocol: '17', PortRange: { From: 53, To: 53 }, CidrBlock: '10.0.0.18/8' })));
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 100 })));
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 300, Protocol: '1', PortRange: undefined, IcmpTypeCode: { Type: 8, Code: -1 } })));
      await ec2.send(
        new CreateNetworkAclEntryCommand(
          entry({ RuleNumber: 310, Protocol: '58', PortRange: undefined, CidrBlock: undefined, Ipv6CidrBlock: '2001:DB8:0:0::1/64', IcmpTypeCode: { Type: 128, Code: 0 } }),
        ),
      );
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 400, Protocol: '50', PortRange: { From: 1, To: 2 }, RuleAction: 'deny' })));
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 50, Egress: true, Protocol: '-1', PortRange: undefined, CidrBlock: '192.168.0.0/16' })));
      const acl = await describeAcl(ec2, aclId);
      assert.deepEqual(brief(acl.Entries), [
        'out 50 allow -1 192.168.0.0/16',
        'out 32767 deny -1 0.0.0.0/0',
        'out 32768 deny -1 ::/0',
        'in 100 allow 6 0.0.0.0/0',
        'in 200 allow 17 10.0.0.0/8',
        'in 300 allow 1 0.0.0.0/0',
        'in 310 allow 58 2001:db8::/64',
        'in 400 deny 50 0.0.0.0/0',
        'in 32767 deny -1 0.0.0.0/0',
        'in 32768 deny -1 ::/0',
      ]);
      const byRule = (n: number, egress = false) => acl.Entries!.find((e) => e.RuleNumber === n && e.Egress === egress)!;
      assert.deepEqual(byRule(100).PortRange, { From: 443, To: 443 });
      assert.deepEqual(byRule(200).PortRange, { From: 53, To: 53 });
      assert.deepEqual(byRule(300).IcmpTypeCode, { Type: 8, Code: -1 });
      assert.equal(byRule(300).PortRange, undefined);
      assert.deepEqual(byRule(310).IcmpTypeCode, { Type: 128, Code: 0 });
      assert.equal(byRule(400).PortRange, undefined, 'ports only apply to TCP and UDP');
      assert.equal(byRule(50, true).PortRange, undefined);
    });

    it('refuses a second entry with the same rule number and direction', async () => {
      const e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 100, Protocol: '-1', PortRange: undefined }))));
      assert.equal(e.code, 'NetworkAclEntryAlreadyExists');
      assert.equal(e.message, 'The network acl entry identified by 100 already exists.');
      // The same number in the other direction is another rule.
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 100, Egress: true })));
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress: true }));
    });

    it('rule numbers go from 1 to 32766', async () => {
      for (const RuleNumber of [0, -5, 32767, 32768, 40000]) {
        assert.equal(
          await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber })))),
          'InvalidParameterValue',
          `rule ${RuleNumber}`,
        );
      }
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 1 })));
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 32766 })));
      const acl = await describeAcl(ec2, aclId);
      assert.ok(acl.Entries!.some((e) => e.RuleNumber === 1 && !e.Egress));
      assert.ok(acl.Entries!.some((e) => e.RuleNumber === 32766 && !e.Egress));
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 1, Egress: false }));
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 32766, Egress: false }));
      for (const RuleNumber of [0, 32767]) {
        assert.equal(
          await errorCode(() => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber, Egress: false }))),
          'InvalidParameterValue',
        );
      }
    });

    it('takes protocol numbers only: names and out-of-range numbers are unknown protocols', async () => {
      for (const Protocol of ['tcp', 'udp', 'icmp', 'icmpv6', 'all', '256', '-2', 'x']) {
        const e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 500, Protocol }))));
        assert.equal(e.code, 'InvalidParameterValue', Protocol);
        assert.equal(e.message, `Invalid value '${Protocol}' for IP protocol. Unknown protocol.`);
      }
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 500, Protocol: '255', PortRange: undefined })));
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 501, Protocol: '0', PortRange: undefined })));
      const acl = await describeAcl(ec2, aclId);
      assert.equal(acl.Entries!.find((e) => e.RuleNumber === 500)!.Protocol, '255');
      assert.equal(acl.Entries!.find((e) => e.RuleNumber === 501)!.Protocol, '0');
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 500, Egress: false }));
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 501, Egress: false }));
    });

    it('TCP and UDP need a port range within 0-65535', async () => {
      for (const Protocol of ['6', '17']) {
        let e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 600, Protocol, PortRange: undefined }))));
        assert.equal(e.code, 'MissingParameter');
        assert.equal(e.message, 'The request must contain the parameter portRange.from');
        e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 600, Protocol, PortRange: { From: 22 } }))));
        assert.equal(e.code, 'MissingParameter');
        assert.equal(e.message, 'The request must contain the parameter portRange.to');
      }
      for (const PortRange of [{ From: -1, To: 22 }, { From: 22, To: 65536 }, { From: 100, To: 99 }]) {
        assert.equal(await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 600, PortRange })))), 'InvalidParameterValue');
      }
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 600, PortRange: { From: 0, To: 65535 } })));
      assert.deepEqual((await describeAcl(ec2, aclId)).Entries!.find((e) => e.RuleNumber === 600)!.PortRange, { From: 0, To: 65535 });
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 600, Egress: false }));
    });

    it('ICMP, and ICMPv6 in an IPv6 rule, need a type and a code', async () => {
      let e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 700, Protocol: '1', PortRange: undefined }))));
      assert.equal(e.code, 'MissingParameter');
      assert.equal(e.message, 'The request must contain the parameter icmpTypeCode.type');
      e = await apiError(() =>
        ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 700, Protocol: '1', PortRange: undefined, IcmpTypeCode: { Type: 3 } }))),
      );
      assert.equal(e.code, 'MissingParameter');
      assert.equal(e.message, 'The request must contain the parameter icmpTypeCode.code');
      e = await apiError(() =>
        ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 700, Protocol: '58', CidrBlock: undefined, Ipv6CidrBlock: '::/0', PortRange: undefined }))),
      );
      assert.equal(e.code, 'MissingParameter');
      assert.equal(
        await errorCode(() =>
          ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 700, Protocol: '1', PortRange: undefined, IcmpTypeCode: { Type: 256, Code: 0 } }))),
        ),
        'InvalidParameterValue',
      );
      // ICMPv6 in an IPv4 rule matches every type: no type or code needed.
      await ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 700, Protocol: '58', PortRange: undefined })));
      const made = (await describeAcl(ec2, aclId)).Entries!.find((x) => x.RuleNumber === 700)!;
      assert.equal(made.Protocol, '58');
      assert.equal(made.IcmpTypeCode, undefined);
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 700, Egress: false }));
    });

    it('takes exactly one well-formed CIDR block, in canonical form', async () => {
      assert.equal(
        await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 800, CidrBlock: undefined })))),
        'MissingParameter',
      );
      assert.equal(
        await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 800, Ipv6CidrBlock: '::/0' })))),
        'InvalidParameterCombination',
      );
      for (const CidrBlock of ['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', '::/0', 'nope']) {
        const e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 800, CidrBlock }))));
        assert.equal(e.code, 'InvalidParameterValue', CidrBlock);
        assert.equal(e.message, `Value (${CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
      }
      for (const Ipv6CidrBlock of ['10.0.0.0/8', '2001:db8::/129', 'gggg::/16']) {
        assert.equal(
          await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 800, CidrBlock: undefined, Ipv6CidrBlock })))),
          'InvalidParameterValue',
          Ipv6CidrBlock,
        );
      }
      assert.equal(
        await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ RuleNumber: 800, RuleAction: 'maybe' as 'allow' })))),
        'InvalidParameterValue',
      );
    });

    it('refuses an unknown or malformed ACL', async () => {
      const e = await apiError(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ NetworkAclId: 'acl-0123456789abcdef0' }))));
      assert.equal(e.code, 'InvalidNetworkAclID.NotFound');
      assert.equal(e.message, "The networkAcl ID 'acl-0123456789abcdef0' does not exist");
      assert.equal(await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand(entry({ NetworkAclId: 'acl-x' })))), 'InvalidNetworkAclID.Malformed');
      assert.equal(
        await errorCode(() => ec2.send(new ReplaceNetworkAclEntryCommand(entry({ NetworkAclId: 'acl-0123456789abcdef0' })))),
        'InvalidNetworkAclID.NotFound',
      );
      assert.equal(
        await errorCode(() => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: 'acl-0123456789abcdef0', RuleNumber: 100, Egress: false }))),
        'InvalidNetworkAclID.NotFound',
      );
    });

    it('ReplaceNetworkAclEntry changes an entry in place', async () => {
      await ec2.send(
        new ReplaceNetworkAclEntryCommand(entry({ RuleNumber: 100, Protocol: '17', PortRange: { From: 1000, To: 2000 }, RuleAction: 'deny', CidrBlock: '172.16.5.0/24' })),
      );
      let acl = await describeAcl(ec2, aclId);
      const replaced = acl.Entries!.filter((e) => e.RuleNumber === 100);
      assert.deepEqual(replaced, [
        { CidrBlock: '172.16.5.0/24', Egress: false, PortRange: { From: 1000, To: 2000 }, Protocol: '17', RuleAction: 'deny', RuleNumber: 100 },
      ]);
      // An IPv4 rule can become an IPv6 rule.
      await ec2.send(new ReplaceNetworkAclEntryCommand(entry({ RuleNumber: 100, Protocol: '-1', PortRange: undefined, CidrBlock: undefined, Ipv6CidrBlock: '2001:db8::/32' })));
      acl = await describeAcl(ec2, aclId);
      assert.deepEqual(
        acl.Entries!.filter((e) => e.RuleNumber === 100),
        [{ Egress: false, Ipv6CidrBlock: '2001:db8::/32', Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 }],
      );
    });

    it('ReplaceNetworkAclEntry and DeleteNetworkAclEntry of a missing entry: InvalidNetworkAclEntry.NotFound', async () => {
      let e = await apiError(() => ec2.send(new ReplaceNetworkAclEntryCommand(entry({ RuleNumber: 900 }))));
      assert.equal(e.code, 'InvalidNetworkAclEntry.NotFound');
      assert.equal(e.message, 'The network acl entry identified by 900 does not exist');
      // Rule 50 exists as an egress rule only.
      e = await apiError(() => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 50, Egress: false })));
      assert.equal(e.code, 'InvalidNetworkAclEntry.NotFound');
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 50, Egress: true }));
      const acl = await describeAcl(ec2, aclId);
      assert.equal(acl.Entries!.some((x) => x.RuleNumber === 50), false);
      assert.equal(
        await errorCode(() => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 50, Egress: true }))),
        'InvalidNetworkAclEntry.NotFound',
      );
    });

    it('a refused request changes nothing (DryRun included)', async () => {
      const before = await describeAcl(ec2, aclId);
      assert.equal(
        await errorCode(() => ec2.send(new CreateNetworkAclEntryCommand({ ...entry({ RuleNumber: 950 }), DryRun: true }))),
        'DryRunOperation',
      );
      assert.deepEqual(await describeAcl(ec2, aclId), before);
    });
  });

  describe('associations', () => {
    it('moves a subnet to a custom ACL and back; the subnet always has exactly one ACL', async () => {
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.10.2.0/24' }));
      const subnetId = Subnet!.SubnetId!;
      const def = await defaultAclOf(ec2, vpcId);
      const custom = await newAcl(ec2, vpcId);
      const aclsOfSubnet = async () =>
        (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }))).NetworkAcls!;

      let owners = await aclsOfSubnet();
      assert.deepEqual(owners.map((a) => a.NetworkAclId), [def.NetworkAclId]);
      const first = owners[0]!.Associations!.find((a) => a.SubnetId === subnetId)!.NetworkAclAssociationId!;

      const { NewAssociationId } = await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: first, NetworkAclId: custom }));
      assert.match(NewAssociationId!, /^aclassoc-[0-9a-f]{17}$/);
      assert.notEqual(NewAssociationId, first);
      owners = await aclsOfSubnet();
      assert.deepEqual(owners.map((a) => a.NetworkAclId), [custom]);
      assert.deepEqual(owners[0]!.Associations, [{ NetworkAclAssociationId: NewAssociationId, NetworkAclId: custom, SubnetId: subnetId }]);

      // The old association is gone.
      const gone = await apiError(() => ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: first, NetworkAclId: custom })));
      assert.equal(gone.code, 'InvalidAssociationID.NotFound');
      assert.equal(gone.message, `The association ID '${first}' does not exist`);

      // While associated, the custom ACL cannot be deleted.
      const busy = await apiError(() => ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: custom })));
      assert.equal(busy.code, 'DependencyViolation');
      assert.equal(busy.message, `The networkAcl '${custom}' has dependencies and cannot be deleted.`);

      const back = await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: NewAssociationId, NetworkAclId: def.NetworkAclId }));
      owners = await aclsOfSubnet();
      assert.deepEqual(owners.map((a) => a.NetworkAclId), [def.NetworkAclId]);
      assert.equal(owners[0]!.Associations!.find((a) => a.SubnetId === subnetId)!.NetworkAclAssociationId, back.NewAssociationId);
      assert.deepEqual((await describeAcl(ec2, custom)).Associations, []);

      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: custom }));
      assert.equal(await errorCode(() => ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: custom }))), 'InvalidNetworkAclID.NotFound');
      await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    });

    it('a deleted subnet leaves its custom ACL, which can then be deleted', async () => {
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.10.3.0/24' }));
      const custom = await newAcl(ec2, vpcId);
      const def = await defaultAclOf(ec2, vpcId);
      const assoc = def.Associations!.find((a) => a.SubnetId === Subnet!.SubnetId)!.NetworkAclAssociationId;
      await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc, NetworkAclId: custom }));
      await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
      assert.deepEqual((await describeAcl(ec2, custom)).Associations, []);
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: custom }));
    });

    it('refuses an ACL of another VPC, an unknown association and an unknown ACL', async () => {
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.10.4.0/24' }));
      const def = await defaultAclOf(ec2, vpcId);
      const assoc = def.Associations!.find((a) => a.SubnetId === Subnet!.SubnetId)!.NetworkAclAssociationId!;
      const foreign = await newAcl(ec2, v6VpcId);
      const e = await apiError(() => ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc, NetworkAclId: foreign })));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, `Network ACL ${foreign} and subnet ${Subnet!.SubnetId} belong to different networks.`);
      assert.equal(
        await errorCode(() => ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: 'aclassoc-0123456789abcdef0', NetworkAclId: def.NetworkAclId }))),
        'InvalidAssociationID.NotFound',
      );
      assert.equal(
        await errorCode(() => ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc, NetworkAclId: 'acl-0123456789abcdef0' }))),
        'InvalidNetworkAclID.NotFound',
      );
      // Nothing moved.
      assert.ok((await defaultAclOf(ec2, vpcId)).Associations!.some((a) => a.NetworkAclAssociationId === assoc));
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: foreign }));
      await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
    });
  });

  describe('DeleteNetworkAcl', () => {
    it('deletes a custom ACL; unknown and malformed IDs are refused', async () => {
      const id = await newAcl(ec2, vpcId);
      await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: id }));
      const e = await apiError(() => ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [id] })));
      assert.equal(e.code, 'InvalidNetworkAclID.NotFound');
      assert.equal(await errorCode(() => ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: 'acl-nope' }))), 'InvalidNetworkAclID.Malformed');
    });
  });

  describe('DescribeNetworkAcls filters', () => {
    let vpc: string;
    let def: NetworkAcl;
    let webId: string;
    let dbId: string;
    let subnetId: string;
    let assocId: string;
    const ids = async (Filters: Filter[]): Promise<string[]> => {
      const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }, ...Filters] }));
      return NetworkAcls!.map((a) => a.NetworkAclId!).sort();
    };
    const sorted = (...xs: string[]) => [...xs].sort();

    before(async () => {
      vpc = await newVpc(ec2, '10.50.0.0/16', true);
      def = await defaultAclOf(ec2, vpc);
      const { NetworkAcl: web } = await ec2.send(
        new CreateNetworkAclCommand({ VpcId: vpc, TagSpecifications: [{ ResourceType: 'network-acl', Tags: [{ Key: 'tier', Value: 'web' }] }] }),
      );
      webId = web!.NetworkAclId!;
      dbId = await newAcl(ec2, vpc);
      await ec2.send(new CreateTagsCommand({ Resources: [dbId], Tags: [{ Key: 'tier', Value: 'db' }, { Key: 'backup', Value: 'yes' }] }));
      const add = (over: Partial<CreateNetworkAclEntryCommandInput>) =>
        ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: webId, RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0', ...over }));
      await add({ RuleNumber: 110, PortRange: { From: 80, To: 81 } });
      await add({ RuleNumber: 120, Protocol: '1', IcmpTypeCode: { Type: 8, Code: 0 }, CidrBlock: '10.0.0.0/8' });
      await add({ RuleNumber: 130, Protocol: '-1', RuleAction: 'deny', CidrBlock: undefined, Ipv6CidrBlock: '2001:db8::/32', Egress: true });
      const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.50.1.0/24' }));
      subnetId = Subnet!.SubnetId!;
      const assoc = (await defaultAclOf(ec2, vpc)).Associations!.find((a) => a.SubnetId === subnetId)!.NetworkAclAssociationId!;
      assocId = (await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc, NetworkAclId: dbId }))).NewAssociationId!;
    });

    it('vpc-id, network-acl-id, owner-id, default', async () => {
      assert.deepEqual(await ids([]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'network-acl-id', Values: [webId, dbId] }]), sorted(webId, dbId));
      assert.deepEqual(await ids([{ Name: 'owner-id', Values: ['000000000000'] }]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'owner-id', Values: ['111111111111'] }]), []);
      assert.deepEqual(await ids([{ Name: 'default', Values: ['true'] }]), [def.NetworkAclId]);
      assert.deepEqual(await ids([{ Name: 'default', Values: ['false'] }]), sorted(webId, dbId));
    });

    it('association.association-id, association.network-acl-id, association.subnet-id', async () => {
      assert.deepEqual(await ids([{ Name: 'association.association-id', Values: [assocId] }]), [dbId]);
      assert.deepEqual(await ids([{ Name: 'association.network-acl-id', Values: [dbId] }]), [dbId]);
      assert.deepEqual(await ids([{ Name: 'association.network-acl-id', Values: [webId] }]), []);
      assert.deepEqual(await ids([{ Name: 'association.subnet-id', Values: [subnetId] }]), [dbId]);
      assert.deepEqual(await ids([{ Name: 'association.subnet-id', Values: ['subnet-*'] }]), [dbId]);
    });

    it('entry.cidr, entry.ipv6-cidr, entry.egress, entry.rule-action, entry.rule-number', async () => {
      assert.deepEqual(await ids([{ Name: 'entry.cidr', Values: ['10.0.0.0/8'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.cidr', Values: ['0.0.0.0/0'] }]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'entry.ipv6-cidr', Values: ['2001:db8::/32'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.ipv6-cidr', Values: ['::/0'] }]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'entry.rule-action', Values: ['allow'] }]), sorted(def.NetworkAclId!, webId));
      assert.deepEqual(await ids([{ Name: 'entry.rule-number', Values: ['130'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.rule-number', Values: ['101'] }]), [def.NetworkAclId]);
      assert.deepEqual(await ids([{ Name: 'entry.rule-number', Values: ['32768'] }]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'entry.egress', Values: ['true'] }]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'entry.egress', Values: ['false'] }]), sorted(def.NetworkAclId!, webId, dbId));
    });

    it('entry.protocol (number or name), entry.port-range.from/to, entry.icmp.type/code', async () => {
      assert.deepEqual(await ids([{ Name: 'entry.protocol', Values: ['6'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.protocol', Values: ['tcp'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.protocol', Values: ['icmp'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.protocol', Values: ['udp'] }]), []);
      assert.deepEqual(await ids([{ Name: 'entry.protocol', Values: ['-1'] }]), sorted(def.NetworkAclId!, webId, dbId));
      assert.deepEqual(await ids([{ Name: 'entry.port-range.from', Values: ['80'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.port-range.to', Values: ['81'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.port-range.to', Values: ['80'] }]), []);
      assert.deepEqual(await ids([{ Name: 'entry.icmp.type', Values: ['8'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.icmp.code', Values: ['0'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'entry.icmp.code', Values: ['3'] }]), []);
    });

    it('tag:key, tag-key, tag-value; filters AND, values OR; unknown filter refused', async () => {
      assert.deepEqual(await ids([{ Name: 'tag:tier', Values: ['web'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'tag:tier', Values: ['web', 'db'] }]), sorted(webId, dbId));
      assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['backup'] }]), [dbId]);
      assert.deepEqual(await ids([{ Name: 'tag-value', Values: ['w*'] }]), [webId]);
      assert.deepEqual(await ids([{ Name: 'tag:tier', Values: ['web', 'db'] }, { Name: 'entry.protocol', Values: ['6'] }]), [webId]);
      assert.equal(await errorCode(() => ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'entry.color', Values: ['x'] }] }))), 'InvalidParameterValue');
    });

    it('NetworkAclIds and pagination', async () => {
      const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [webId, dbId] }));
      assert.deepEqual(NetworkAcls!.map((a) => a.NetworkAclId).sort(), sorted(webId, dbId));
      const missing = await apiError(() => ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [webId, 'acl-0123456789abcdef0'] })));
      assert.equal(missing.code, 'InvalidNetworkAclID.NotFound');

      const all = (await ec2.send(new DescribeNetworkAclsCommand({}))).NetworkAcls!.map((a) => a.NetworkAclId!);
      assert.ok(all.length > 5);
      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await ec2.send(new DescribeNetworkAclsCommand({ MaxResults: 5, NextToken }));
        assert.ok(page.NetworkAcls!.length <= 5);
        seen.push(...page.NetworkAcls!.map((a) => a.NetworkAclId!));
        NextToken = page.NextToken;
      } while (NextToken);
      assert.deepEqual(seen, all);
      assert.equal(await errorCode(() => ec2.send(new DescribeNetworkAclsCommand({ MaxResults: 4 }))), 'InvalidParameterValue');
    });
  });
});

describe('network ACL quotas', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, networkAclsPerVpc: 3, networkAclEntriesPerDirection: 4 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('network ACLs per VPC, the default ACL included', async () => {
    const vpc = await newVpc(ec2, '10.60.0.0/16');
    const a = await newAcl(ec2, vpc);
    await newAcl(ec2, vpc);
    const e = await apiError(() => ec2.send(new CreateNetworkAclCommand({ VpcId: vpc })));
    assert.equal(e.code, 'NetworkAclLimitExceeded');
    await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: a }));
    await newAcl(ec2, vpc);
  });

  it('rules per direction and per family, the * rule included', async () => {
    const vpc = await newVpc(ec2, '10.70.0.0/16', true);
    const acl = await newAcl(ec2, vpc);
    const add = (RuleNumber: number, egress: boolean, ipv6 = false) =>
      ec2.send(
        new CreateNetworkAclEntryCommand({
          NetworkAclId: acl,
          RuleNumber,
          Protocol: '-1',
          RuleAction: 'allow',
          Egress: egress,
          ...(ipv6 ? { Ipv6CidrBlock: '::/0' } : { CidrBlock: '0.0.0.0/0' }),
        }),
      );
    // 4 per direction and family: the * rule and 3 more.
    await add(10, false);
    await add(20, false);
    await add(30, false);
    const e = await apiError(() => add(40, false));
    assert.equal(e.code, 'NetworkAclEntryLimitExceeded');
    // Egress and IPv6 rules are counted apart.
    await add(10, true);
    await add(40, false, true);
    await add(50, false, true);
    await add(60, false, true);
    assert.equal(await errorCode(() => add(70, false, true)), 'NetworkAclEntryLimitExceeded');
    // Replacing a rule by one of the other family counts against that family.
    assert.equal(
      await errorCode(() =>
        ec2.send(new ReplaceNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 10, Protocol: '-1', RuleAction: 'deny', Egress: false, Ipv6CidrBlock: '::/0' })),
      ),
      'NetworkAclEntryLimitExceeded',
    );
    // Replacing within the family is fine at the limit.
    await ec2.send(new ReplaceNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 10, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '10.0.0.0/8' }));
    await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 30, Egress: false }));
    await add(35, false);
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl] }));
    assert.deepEqual(brief(NetworkAcls![0]!.Entries), [
      'out 10 allow -1 0.0.0.0/0',
      'out 32767 deny -1 0.0.0.0/0',
      'out 32768 deny -1 ::/0',
      'in 10 deny -1 10.0.0.0/8',
      'in 20 allow -1 0.0.0.0/0',
      'in 35 allow -1 0.0.0.0/0',
      'in 40 allow -1 ::/0',
      'in 50 allow -1 ::/0',
      'in 60 allow -1 ::/0',
      'in 32767 deny -1 0.0.0.0/0',
      'in 32768 deny -1 ::/0',
    ]);
  });
});

describe('addIpv6DefaultEntries (an IPv6 block associated with an existing VPC)', () => {
  function context(): RequestContext {
    const store = new Store(new MemoryPersistence());
    const state = new ScopedState(store.begin(), scopeKey('000000000000', 'us-east-1'));
    return {
      account: '000000000000',
      region: 'us-east-1',
      requestId: 'test',
      state,
      config: defaultConfig(),
      now: new Date(),
      caller: {} as RequestContext['caller'],
    };
  }

  it('adds rule 101 and the IPv6 * rule to the default ACL, and the * rule to custom ACLs', () => {
    const ctx = context();
    const def = createDefaultNetworkAcl(ctx, { VpcId: 'vpc-0123456789abcdef0' });
    const custom: NetworkAclRecord = {
      NetworkAclId: 'acl-0123456789abcdef1',
      VpcId: 'vpc-0123456789abcdef0',
      IsDefault: false,
      Associations: [],
      Entries: [
        { CidrBlock: '0.0.0.0/0', Egress: true, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
        { CidrBlock: '0.0.0.0/0', Egress: false, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
      ],
    };
    ctx.state.put('network-acl', custom.NetworkAclId, custom);
    const other = createDefaultNetworkAcl(ctx, { VpcId: 'vpc-0123456789abcdef9' });
    addIpv6DefaultEntries(ctx, 'vpc-0123456789abcdef0');
    const get = (id: string) => ctx.state.get<NetworkAclRecord>('network-acl', id)!;
    assert.deepEqual(brief(get(def.NetworkAclId).Entries), [
      'out 100 allow -1 0.0.0.0/0',
      'out 101 allow -1 ::/0',
      'out 32767 deny -1 0.0.0.0/0',
      'out 32768 deny -1 ::/0',
      'in 100 allow -1 0.0.0.0/0',
      'in 101 allow -1 ::/0',
      'in 32767 deny -1 0.0.0.0/0',
      'in 32768 deny -1 ::/0',
    ]);
    assert.deepEqual(brief(get(custom.NetworkAclId).Entries), [
      'out 32767 deny -1 0.0.0.0/0',
      'out 32768 deny -1 ::/0',
      'in 32767 deny -1 0.0.0.0/0',
      'in 32768 deny -1 ::/0',
    ]);
    assert.equal(get(other.NetworkAclId).Entries!.length, 4, 'ACLs of other VPCs are untouched');
    // Associating a second block adds nothing more.
    addIpv6DefaultEntries(ctx, 'vpc-0123456789abcdef0');
    assert.equal(get(def.NetworkAclId).Entries!.length, 8);
  });

  it('does not add the allow rule in a direction whose rules were changed', () => {
    const ctx = context();
    const def = createDefaultNetworkAcl(ctx, { VpcId: 'vpc-0123456789abcdef0' });
    createNetworkAclEntry(ctx, {
      NetworkAclId: def.NetworkAclId,
      RuleNumber: 90,
      Protocol: '6',
      RuleAction: 'deny',
      Egress: false,
      CidrBlock: '10.0.0.0/8',
      PortRange: { From: 22, To: 22 },
    });
    addIpv6DefaultEntries(ctx, 'vpc-0123456789abcdef0');
    assert.deepEqual(brief(ctx.state.get<NetworkAclRecord>('network-acl', def.NetworkAclId)!.Entries), [
      'out 100 allow -1 0.0.0.0/0',
      'out 101 allow -1 ::/0',
      'out 32767 deny -1 0.0.0.0/0',
      'out 32768 deny -1 ::/0',
      'in 90 deny 6 10.0.0.0/8',
      'in 100 allow -1 0.0.0.0/0',
      'in 32767 deny -1 0.0.0.0/0',
      'in 32768 deny -1 ::/0',
    ]);
  });
});
