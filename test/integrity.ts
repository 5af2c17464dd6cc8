/**
 * Invariants that hold for any state vpcsim can reach, whatever requests made it: checked on
 * the store itself (every account and region), so a test can run it after a storm of requests
 * or a crash. Returns one line per violation; an empty list means the state is sound.
 */
import { contains, overlaps, parseCidr, parseCidr4, size4, type Cidr } from '../src/network/cidr.js';
import type { Store } from '../src/state/store.js';

// Records are read loosely: each family stores its AWS shape plus internal fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Rec = Record<string, any>;

/** AWS reserves the first four addresses and the last one of every subnet. */
const RESERVED_PER_SUBNET = 5;

function records(store: Store, scope: string, kind: string): Rec[] {
  return [...(store.table(scope, kind)?.values() ?? [])] as Rec[];
}

function live(state: string | undefined): boolean {
  return state === 'associated' || state === 'associating';
}

export function checkIntegrity(store: Store): string[] {
  const problems: string[] = [];
  for (const scope of store.scopeNames()) {
    const say = (m: string) => problems.push(`${scope}: ${m}`);
    const vpcs = new Map(records(store, scope, 'vpc').map((v) => [v.VpcId as string, v]));
    const subnets = new Map(records(store, scope, 'subnet').map((s) => [s.SubnetId as string, s]));
    const acls = new Map(records(store, scope, 'network-acl').map((a) => [a.NetworkAclId as string, a]));
    const groups = new Map(records(store, scope, 'security-group').map((g) => [g.GroupId as string, g]));
    const tables = records(store, scope, 'route-table');
    const enis = records(store, scope, 'network-interface');

    // Every VPC: one main route table, one default network ACL, one default security group.
    for (const vpcId of vpcs.keys()) {
      const mains = tables.filter((t) => t.VpcId === vpcId && (t.Associations ?? []).some((a: Rec) => a.Main === true));
      if (mains.length !== 1) say(`VPC ${vpcId} has ${mains.length} main route tables`);
      const defaultAcls = [...acls.values()].filter((a) => a.VpcId === vpcId && a.IsDefault === true);
      if (defaultAcls.length !== 1) say(`VPC ${vpcId} has ${defaultAcls.length} default network ACLs`);
      const defaultGroups = [...groups.values()].filter((g) => g.VpcId === vpcId && g.GroupName === 'default');
      if (defaultGroups.length !== 1) say(`VPC ${vpcId} has ${defaultGroups.length} default security groups`);
    }
    for (const t of tables) {
      if (!vpcs.has(t.VpcId)) say(`route table ${t.RouteTableId} is in missing VPC ${t.VpcId}`);
      for (const a of (t.Associations ?? []) as Rec[]) {
        if (a.SubnetId !== undefined && !subnets.has(a.SubnetId)) {
          say(`route table ${t.RouteTableId} is associated with missing subnet ${a.SubnetId}`);
        }
      }
    }
    for (const a of acls.values()) if (!vpcs.has(a.VpcId)) say(`network ACL ${a.NetworkAclId} is in missing VPC ${a.VpcId}`);
    for (const g of groups.values()) if (!vpcs.has(g.VpcId)) say(`security group ${g.GroupId} is in missing VPC ${g.VpcId}`);

    // Network ACL associations: existing subnet and ACL; every subnet has exactly one.
    const aclAssocs = new Map<string, number>();
    for (const a of records(store, scope, 'network-acl-association')) {
      if (!subnets.has(a.SubnetId)) say(`ACL association ${a.NetworkAclAssociationId} names missing subnet ${a.SubnetId}`);
      if (!acls.has(a.NetworkAclId)) say(`ACL association ${a.NetworkAclAssociationId} names missing ACL ${a.NetworkAclId}`);
      aclAssocs.set(a.SubnetId, (aclAssocs.get(a.SubnetId) ?? 0) + 1);
    }
    for (const id of subnets.keys()) {
      const n = aclAssocs.get(id) ?? 0;
      if (n !== 1) say(`subnet ${id} has ${n} network ACL associations`);
    }

    // Security group rules belong to an existing group.
    for (const r of records(store, scope, 'security-group-rule')) {
      if (!groups.has(r.GroupId)) say(`security group rule ${r.SecurityGroupRuleId} is in missing group ${r.GroupId}`);
    }

    // Interfaces are in existing subnets; their addresses are what the subnet counts as used.
    const usedBySubnet = new Map<string, Set<string>>();
    for (const e of enis) {
      if (!subnets.has(e.SubnetId)) {
        say(`network interface ${e.NetworkInterfaceId} is in missing subnet ${e.SubnetId}`);
        continue;
      }
      const used = usedBySubnet.get(e.SubnetId) ?? new Set<string>();
      for (const p of (e.PrivateIpAddresses ?? []) as Rec[]) {
        if (typeof p.PrivateIpAddress !== 'string') continue;
        if (used.has(p.PrivateIpAddress)) say(`address ${p.PrivateIpAddress} of subnet ${e.SubnetId} is used twice`);
        used.add(p.PrivateIpAddress);
      }
      usedBySubnet.set(e.SubnetId, used);
    }

    // Subnets: in an existing VPC, inside one of its blocks, free-address count right, no overlaps.
    const byVpc = new Map<string, Rec[]>();
    for (const s of subnets.values()) {
      const vpc = vpcs.get(s.VpcId);
      if (!vpc) {
        say(`subnet ${s.SubnetId} is in missing VPC ${s.VpcId}`);
        continue;
      }
      byVpc.set(s.VpcId, [...(byVpc.get(s.VpcId) ?? []), s]);
      const cidr = parseCidr4(String(s.CidrBlock));
      if (!cidr) {
        say(`subnet ${s.SubnetId} has an invalid CIDR ${s.CidrBlock}`);
        continue;
      }
      const blocks = ((vpc.CidrBlockAssociationSet ?? []) as Rec[])
        .filter((b) => live(b.CidrBlockState?.State))
        .map((b) => parseCidr(String(b.CidrBlock)))
        .filter((c): c is Cidr => c !== undefined);
      if (!blocks.some((b) => contains(b, cidr))) say(`subnet ${s.SubnetId} (${s.CidrBlock}) is outside VPC ${s.VpcId}'s blocks`);
      const used = usedBySubnet.get(s.SubnetId)?.size ?? 0;
      const expected = Math.max(0, size4(cidr) - RESERVED_PER_SUBNET - used);
      if (s.AvailableIpAddressCount !== expected) {
        say(`subnet ${s.SubnetId} (${s.CidrBlock}) reports ${s.AvailableIpAddressCount} free addresses, expected ${expected} (${used} in use)`);
      }
    }
    for (const [vpcId, list] of byVpc) {
      const blocks = list.flatMap((s) => {
        const v4 = [{ id: s.SubnetId as string, text: String(s.CidrBlock) }];
        const v6 = ((s.Ipv6CidrBlockAssociationSet ?? []) as Rec[])
          .filter((a) => live(a.Ipv6CidrBlockState?.State))
          .map((a) => ({ id: s.SubnetId as string, text: String(a.Ipv6CidrBlock) }));
        return [...v4, ...v6];
      });
      for (let i = 0; i < blocks.length; i++) {
        for (let j = i + 1; j < blocks.length; j++) {
          const a = parseCidr(blocks[i]!.text);
          const b = parseCidr(blocks[j]!.text);
          if (a && b && a.version === b.version && overlaps(a, b)) {
            say(`subnets ${blocks[i]!.id} (${blocks[i]!.text}) and ${blocks[j]!.id} (${blocks[j]!.text}) of ${vpcId} overlap`);
          }
        }
      }
    }
  }
  return problems;
}
