/**
 * Security groups, and their rules as records of their own (kind `security-group-rule`):
 * from describe-security-group-rules when the export has it (the rules keep their sgr- IDs),
 * else one rule per peer of each IpPermission, with new IDs.
 */
import { formatCidr, parseCidr } from '../network/cidr.js';
import { newId } from '../services/ec2/resources.js';
import { Check, clean, type ExportFile, idPattern, type Json, type ScopeImport } from './context.js';
import { prefixListId } from './network.js';

const NAMED: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

function protocol(c: Check, value: unknown): string {
  const s = String(value ?? '').trim().toLowerCase();
  if (s === '-1' || s === 'all') return '-1';
  if (['tcp', 'udp', 'icmp', 'icmpv6'].includes(s)) return s;
  if (/^\d{1,3}$/.test(s) && Number(s) <= 255) return NAMED[String(Number(s))] ?? String(Number(s));
  return c.fail(`IpProtocol '${String(value)}' is not a protocol`);
}

function ports(proto: string, from: unknown, to: unknown): { FromPort: number; ToPort: number } {
  if (['tcp', 'udp', 'icmp', 'icmpv6'].includes(proto)) {
    return { FromPort: typeof from === 'number' ? from : -1, ToPort: typeof to === 'number' ? to : -1 };
  }
  return { FromPort: -1, ToPort: -1 };
}

function canonicalCidr(c: Check, text: unknown, version: 4 | 6): string {
  const parsed = typeof text === 'string' ? parseCidr(text) : undefined;
  if (!parsed || parsed.version !== version) c.fail(`'${String(text)}' is not a valid IPv${version} CIDR block`);
  return formatCidr(parsed);
}

function reference(s: ScopeImport, pair: Json, c: Check): Json {
  const groupId = c.str(pair, 'GroupId', { pattern: idPattern('sg') });
  const out: Json = { GroupId: groupId, UserId: typeof pair.UserId === 'string' ? pair.UserId : s.account };
  if (pair.VpcPeeringConnectionId) {
    out.VpcId = pair.VpcId;
    out.VpcPeeringConnectionId = pair.VpcPeeringConnectionId;
    out.PeeringStatus = pair.PeeringStatus ?? 'active';
  }
  return out;
}

function arn(s: ScopeImport, what: string, id: string): string {
  return `arn:aws:ec2:${s.region}:${s.account}:${what}/${id}`;
}

function putRule(s: ScopeImport, rule: Json): void {
  s.put('security-group-rule', rule.SecurityGroupRuleId, clean(rule));
}

/** The rules of one group, from its IpPermissions (ingress) and IpPermissionsEgress. */
function rulesFromPermissions(s: ScopeImport, file: ExportFile, group: Json): void {
  const groupId = group.GroupId as string;
  for (const [field, isEgress] of [
    ['IpPermissions', false],
    ['IpPermissionsEgress', true],
  ] as const) {
    const c = new Check(file, `${groupId} ${field}`);
    for (const p of c.list(group, field)) {
      const proto = protocol(c, p?.IpProtocol);
      const base = { IpProtocol: proto, ...ports(proto, p.FromPort, p.ToPort) };
      const peers: Json[] = [];
      for (const r of c.list(p, 'IpRanges')) peers.push({ CidrIpv4: canonicalCidr(c, r?.CidrIp, 4), Description: r.Description });
      for (const r of c.list(p, 'Ipv6Ranges')) peers.push({ CidrIpv6: canonicalCidr(c, r?.CidrIpv6, 6), Description: r.Description });
      for (const r of c.list(p, 'PrefixListIds')) {
        peers.push({ PrefixListId: prefixListId(s, c.str(r, 'PrefixListId', { pattern: idPattern('pl') })), Description: r.Description });
      }
      for (const pair of c.list(p, 'UserIdGroupPairs')) peers.push({ ReferencedGroupInfo: reference(s, pair, c), Description: pair.Description });
      for (const peer of peers) {
        const id = newId('sgr');
        putRule(s, {
          SecurityGroupRuleId: id,
          GroupId: groupId,
          GroupOwnerId: group.OwnerId,
          IsEgress: isEgress,
          ...base,
          ...peer,
          SecurityGroupRuleArn: arn(s, 'security-group-rule', id),
        });
      }
    }
  }
}

export function importSecurityGroups(s: ScopeImport): void {
  const groups: Array<{ file: ExportFile; item: Json }> = [];
  for (const { file, item, index } of s.items('SecurityGroups')) {
    const c = new Check(file, item?.GroupId ?? `item ${index}`);
    const id = c.str(item, 'GroupId', { pattern: idPattern('sg') });
    const vpcId = c.str(item, 'VpcId', { pattern: idPattern('vpc') });
    if (!s.imported('vpc', vpcId)) c.fail(`its VPC ${vpcId} is not in the export (describe-vpcs)`);
    const owner = item.OwnerId ?? s.account;
    s.put(
      'security-group',
      id,
      clean({
        GroupId: id,
        GroupName: c.str(item, 'GroupName'),
        Description: c.str(item, 'Description', { optional: true }) ?? '',
        OwnerId: owner,
        VpcId: vpcId,
        SecurityGroupArn: item.SecurityGroupArn ?? arn(s, 'security-group', id),
        Tags: c.tags(item),
      }),
    );
    groups.push({ file, item: { ...item, OwnerId: owner } });
  }

  // describe-security-group-rules: the rules with their own IDs.
  const described = new Set<string>();
  for (const { file, item, index } of s.items('SecurityGroupRules')) {
    const c = new Check(file, item?.SecurityGroupRuleId ?? `item ${index}`);
    const id = c.str(item, 'SecurityGroupRuleId', { pattern: idPattern('sgr') });
    const groupId = c.str(item, 'GroupId', { pattern: idPattern('sg') });
    if (!s.imported('security-group', groupId)) c.fail(`its group ${groupId} is not in the export (describe-security-groups)`);
    const proto = protocol(c, item.IpProtocol);
    const rule: Json = {
      SecurityGroupRuleId: id,
      GroupId: groupId,
      GroupOwnerId: item.GroupOwnerId ?? s.state.get<Json>('security-group', groupId)!.OwnerId,
      IsEgress: c.bool(item, 'IsEgress'),
      IpProtocol: proto,
      ...ports(proto, item.FromPort, item.ToPort),
      SecurityGroupRuleArn: item.SecurityGroupRuleArn ?? arn(s, 'security-group-rule', id),
    };
    if (item.CidrIpv4 !== undefined) rule.CidrIpv4 = canonicalCidr(c, item.CidrIpv4, 4);
    else if (item.CidrIpv6 !== undefined) rule.CidrIpv6 = canonicalCidr(c, item.CidrIpv6, 6);
    else if (item.PrefixListId !== undefined) rule.PrefixListId = prefixListId(s, c.str(item, 'PrefixListId', { pattern: idPattern('pl') }));
    else if (item.ReferencedGroupInfo) rule.ReferencedGroupInfo = reference(s, item.ReferencedGroupInfo, c);
    else c.fail('the rule has no peer (CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo)');
    if (typeof item.Description === 'string') rule.Description = item.Description;
    const tags = c.tags(item);
    if (tags) rule.Tags = tags;
    putRule(s, rule);
    described.add(groupId);
  }

  // Groups the rules file does not cover (or every group, without it): from IpPermissions.
  for (const { file, item } of groups) {
    if (!described.has(item.GroupId)) rulesFromPermissions(s, file, item);
  }
}
