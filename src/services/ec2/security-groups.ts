/**
 * Security groups: the default group of each VPC, custom groups, and their rules.
 *
 * Each rule is its own record (kind `security-group-rule`, ID `sgr-…`), so rules can be
 * tagged, described and modified one by one as AWS allows. A group's IpPermissions and
 * IpPermissionsEgress are derived from its rules when the group is shown, grouping rules
 * with the same protocol and ports into one IpPermission as AWS does.
 */
import type {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupEgressResult,
  AuthorizeSecurityGroupIngressRequest,
  AuthorizeSecurityGroupIngressResult,
  CreateSecurityGroupRequest,
  CreateSecurityGroupResult,
  DeleteSecurityGroupRequest,
  DeleteSecurityGroupResult,
  DescribeSecurityGroupReferencesRequest,
  DescribeSecurityGroupReferencesResult,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupRulesResult,
  DescribeSecurityGroupsRequest,
  DescribeSecurityGroupsResult,
  DescribeStaleSecurityGroupsRequest,
  DescribeStaleSecurityGroupsResult,
  GetSecurityGroupsForVpcRequest,
  GetSecurityGroupsForVpcResult,
  GroupIdentifier,
  IpPermission,
  ModifySecurityGroupRulesRequest,
  ModifySecurityGroupRulesResult,
  ReferencedSecurityGroup,
  RevokedSecurityGroupRule,
  RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupEgressResult,
  RevokeSecurityGroupIngressRequest,
  RevokeSecurityGroupIngressResult,
  SecurityGroup,
  SecurityGroupForVpc,
  SecurityGroupReference,
  SecurityGroupRule,
  SecurityGroupRuleRequest,
  StaleIpPermission,
  StaleSecurityGroup,
  UpdateSecurityGroupRuleDescriptionsEgressRequest,
  UpdateSecurityGroupRuleDescriptionsEgressResult,
  UpdateSecurityGroupRuleDescriptionsIngressRequest,
  UpdateSecurityGroupRuleDescriptionsIngressResult,
  UserIdGroupPair,
  Vpc,
} from '@aws-sdk/client-ec2';
import { formatCidr, parseCidr } from '../../network/cidr.js';
import { ApiError } from '../../protocol/errors.js';
import { defineIndex, type ScopedState } from '../../state/store.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, type FilterValue, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { checkIdShape, kindOf, newId, notFound, registerKind, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { findPeering, PEERING_KIND, type PeeringEnd, peeringIsActive, type PeeringRecord, peeringRemoteEnd, peeringStatus } from './vpc-peering.js';
import { findPrefixList } from './prefix-lists.js';

registerKind({
  kind: 'security-group-rule',
  prefix: 'sgr',
  code: 'InvalidSecurityGroupRuleId',
  noun: 'security group rule ID',
  idField: 'SecurityGroupRuleId',
});

const GROUP = 'security-group';
const RULE = 'security-group-rule';

/** A security group as stored: the AWS shape without its rules (those are separate records). */
export interface SecurityGroupRecord extends SecurityGroup {
  GroupId: string;
  GroupName: string;
  VpcId: string;
  Description: string;
  OwnerId: string;
}

/** One rule of a security group, in the shape DescribeSecurityGroupRules returns. */
export interface SecurityGroupRuleRecord extends SecurityGroupRule {
  SecurityGroupRuleId: string;
  GroupId: string;
  GroupOwnerId: string;
  IsEgress: boolean;
  /** Normalised: tcp, udp, icmp, icmpv6, -1, or another protocol number. */
  IpProtocol: string;
  /** -1 when the rule covers every port (or every ICMP type/code). */
  FromPort: number;
  ToPort: number;
}

/** What a rule says, before it has an ID. */
interface RuleSpec {
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupInfo?: ReferencedSecurityGroup;
  Description?: string;
  /** Set for a peer that could not be resolved (it then matches no rule). */
  _unresolved?: string;
}

// ---------------------------------------------------------------------------------------
// Lookups shared with other modules
// ---------------------------------------------------------------------------------------

function defaultVpc(ctx: RequestContext): Readonly<Vpc & { VpcId: string }> | undefined {
  return ctx.state.list<Vpc & { VpcId: string }>('vpc').find((v) => v.IsDefault);
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function groupsIn(state: ScopedState, vpcId: string): Readonly<SecurityGroupRecord>[] {
  return state.list<SecurityGroupRecord>(GROUP).filter((g) => g.VpcId === vpcId);
}

function findByName(state: ScopedState, vpcId: string, name: string): Readonly<SecurityGroupRecord> | undefined {
  return groupsIn(state, vpcId).find((g) => sameName(g.GroupName, name));
}

export function getSecurityGroup(ctx: RequestContext, groupId: string | undefined, param = 'GroupId'): Readonly<SecurityGroupRecord> {
  return requireRecord<SecurityGroupRecord>(ctx.state, GROUP, groupId, param);
}

/** The default security group of a VPC. */
export function defaultSecurityGroup(ctx: RequestContext, vpcId: string): Readonly<SecurityGroupRecord> | undefined {
  return groupsIn(ctx.state, vpcId).find((g) => g.GroupName === 'default');
}

/** A group named in the default VPC (the only place AWS resolves bare group names). */
function groupInDefaultVpc(ctx: RequestContext, name: string): Readonly<SecurityGroupRecord> {
  const vpc = defaultVpc(ctx);
  if (!vpc) {
    throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.');
  }
  const g = findByName(ctx.state, vpc.VpcId, name);
  if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC '${vpc.VpcId}'`);
  return g;
}

/** The group an operation acts on: by GroupId, else by GroupName in the default VPC. */
function targetGroup(ctx: RequestContext, input: { GroupId?: string; GroupName?: string }): Readonly<SecurityGroupRecord> {
  if (input.GroupId !== undefined && input.GroupId !== '') return getSecurityGroup(ctx, input.GroupId);
  if (input.GroupName !== undefined && input.GroupName !== '') return groupInDefaultVpc(ctx, input.GroupName);
  throw new ApiError('MissingParameter', 'The request must contain the parameter groupName or groupId');
}

/** Every rule of a group (both directions), in creation order. */
defineIndex(RULE, 'GroupId');
defineIndex(RULE, 'ReferencedGroupInfo.GroupId');

export function securityGroupRules(state: ScopedState, groupId: string): Readonly<SecurityGroupRuleRecord>[] {
  return state.listBy<SecurityGroupRuleRecord>(RULE, 'GroupId', groupId);
}

/** The rules of each group, read through the GroupId index as groups are asked for. */
function rulesByGroup(state: ScopedState): Pick<Map<string, Readonly<SecurityGroupRuleRecord>[]>, 'get'> {
  const cache = new Map<string, Readonly<SecurityGroupRuleRecord>[]>();
  return {
    get: (groupId: string) => {
      let rules = cache.get(groupId);
      if (!rules) {
        rules = securityGroupRules(state, groupId);
        cache.set(groupId, rules);
      }
      return rules;
    },
  };
}

// ---------------------------------------------------------------------------------------
// VPC peering: a rule may refer to a group in a VPC joined by an active peering connection
// in the same region (AWS does not allow references across regions).
// ---------------------------------------------------------------------------------------

interface PeeringOfVpc {
  rec: Readonly<PeeringRecord>;
  remote: PeeringEnd;
}

/** The peering connections the VPC `vpcId` of the request's account and region is part of. */
function peeringsOfVpc(ctx: RequestContext, vpcId: string): PeeringOfVpc[] {
  const out: PeeringOfVpc[] = [];
  for (const local of ctx.state.list<{ VpcPeeringConnectionId: string }>(PEERING_KIND)) {
    const rec = findPeering(ctx, local.VpcPeeringConnectionId);
    const remote = rec && peeringRemoteEnd(ctx, rec, vpcId);
    if (rec && remote) out.push({ rec, remote });
  }
  return out;
}

function activePeering(ctx: RequestContext, vpcId: string, remote: { account: string; vpcId: string }): Readonly<PeeringRecord> | undefined {
  return peeringsOfVpc(ctx, vpcId).find(
    (p) => peeringIsActive(p.rec) && p.remote.account === remote.account && p.remote.region === ctx.region && p.remote.vpcId === remote.vpcId,
  )?.rec;
}

function peeringStatusCode(ctx: RequestContext, pcxId: string): string {
  const rec = findPeering(ctx, pcxId);
  return rec ? peeringStatus(rec, ctx.now).Code : 'deleted';
}

/** A reference as shown now: peering status is read live, since the peering may have gone. */
function liveReference(ctx: RequestContext, ref: ReferencedSecurityGroup): ReferencedSecurityGroup {
  if (!ref.VpcPeeringConnectionId) return { GroupId: ref.GroupId, UserId: ref.UserId };
  return { ...ref, PeeringStatus: peeringStatusCode(ctx, ref.VpcPeeringConnectionId) };
}

// ---------------------------------------------------------------------------------------
// Validation of names, descriptions, protocols, ports and peers
// ---------------------------------------------------------------------------------------

const ALLOWED_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
const ALLOWED_LIST = 'a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*';

function checkGroupText(value: string | undefined, param: 'GroupName' | 'GroupDescription'): string {
  if (value === undefined || value === '') throw new ApiError('MissingParameter', `The request must contain the parameter ${param}`);
  if (/[^\x00-\x7f]/.test(value)) {
    throw new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. Character sets beyond ASCII are not supported.`);
  }
  if (value.length > 255) {
    throw new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. Length exceeds maximum of 255 characters.`);
  }
  if (!ALLOWED_TEXT.test(value)) {
    throw new ApiError('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. Valid characters are ${ALLOWED_LIST}`);
  }
  return value;
}

function checkRuleDescription(d: string | undefined): string | undefined {
  if (d === undefined) return undefined;
  if (d.length > 255 || !ALLOWED_TEXT.test(d)) {
    throw new ApiError(
      'InvalidParameterValue',
      'Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*',
    );
  }
  return d;
}

const NAMED: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };
const NUMBERS: Record<string, string> = { icmp: '1', tcp: '6', udp: '17', icmpv6: '58' };

/** AWS's spelling of a protocol: names for tcp/udp/icmp/icmpv6 (also given as numbers), -1 for all. */
function normalizeProtocol(p: string | undefined): string {
  if (p === undefined || p === '') throw new ApiError('MissingParameter', 'The request must contain the parameter IpProtocol');
  const s = p.trim().toLowerCase();
  if (s === '-1' || s === 'all') return '-1';
  if (NUMBERS[s]) return s;
  if (/^\d{1,3}$/.test(s) && Number(s) <= 255) return NAMED[String(Number(s))] ?? String(Number(s));
  throw new ApiError('InvalidParameterValue', `Invalid value '${p}' for IP protocol. Unknown protocol.`);
}

/** True for protocols whose rules cover every port whatever ports were asked. */
function coversAllPorts(protocol: string): boolean {
  return NUMBERS[protocol] === undefined;
}

function normalizePorts(protocol: string, from: number | undefined, to: number | undefined): { FromPort: number; ToPort: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) {
      throw new ApiError('InvalidParameterValue', "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.");
    }
    for (const p of [from, to]) {
      if (p < 0 || p > 65535) throw new ApiError('InvalidParameterValue', `TCP/UDP port (${p}) out of range`);
    }
    if (from > to) {
      throw new ApiError('InvalidParameterValue', `Invalid TCP/UDP port range: from port ${from} is greater than to port ${to}`);
    }
    return { FromPort: from, ToPort: to };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    if (protocol === 'icmp' && (from === undefined || to === undefined)) {
      throw new ApiError('InvalidParameterValue', "Invalid value 'Must specify both from and to ports with ICMP.' for portRange.");
    }
    const label = protocol === 'icmp' ? 'ICMP' : 'ICMPv6';
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255) throw new ApiError('InvalidParameterValue', `${label} type (${type}) out of range`);
    if (code < -1 || code > 255) throw new ApiError('InvalidParameterValue', `${label} code (${code}) out of range`);
    if (type === -1 && code !== -1) throw new ApiError('InvalidParameterValue', `${label} code (${code}) out of range: every type (-1) needs code -1`);
    return { FromPort: type, ToPort: code };
  }
  return { FromPort: -1, ToPort: -1 };
}

function normalizeCidr(value: string | undefined, version: 4 | 6, param: string): string {
  if (value === undefined || value === '') throw new ApiError('MissingParameter', `The request must contain the parameter ${param}`);
  const c = parseCidr(value.trim());
  if (!c || c.version !== version) throw new ApiError('InvalidParameterValue', `CIDR block ${value} is malformed`);
  return formatCidr(c);
}

function checkPrefixListId(ctx: RequestContext, id: string | undefined, mustExist: boolean): string {
  if (id === undefined || id === '') throw new ApiError('MissingParameter', 'The request must contain the parameter PrefixListId');
  if (!/^pl-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) {
    throw new ApiError('InvalidPrefixListId.Malformed', `The prefix list ID '${id}' is malformed`);
  }
  if (mustExist && !findPrefixList(ctx, id)) {
    throw new ApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`);
  }
  return id;
}

type PeerMode = 'authorize' | 'match';

/**
 * The group a rule refers to. When authorizing, it must exist and be in the same VPC, or
 * in a VPC joined by an active peering connection. When matching existing rules (revoke,
 * descriptions) nothing is checked: a rule may point at a group that is gone.
 */
function resolvePeer(ctx: RequestContext, target: Readonly<SecurityGroupRecord>, pair: UserIdGroupPair, mode: PeerMode): RuleSpec['ReferencedGroupInfo'] | string {
  const userId = pair.UserId && pair.UserId !== '' ? pair.UserId : ctx.account;
  const foreign = userId !== ctx.account;
  const state = foreign ? ctx.state.other(userId, ctx.region) : ctx.state;
  let g: Readonly<SecurityGroupRecord> | undefined;
  if (pair.GroupId) {
    checkIdShape(kindOf(GROUP), pair.GroupId);
    if (mode === 'match') return { GroupId: pair.GroupId, UserId: userId };
    g = state.get<SecurityGroupRecord>(GROUP, pair.GroupId);
    if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${pair.GroupId}' does not exist`);
  } else if (pair.GroupName) {
    const vpcId = foreign ? state.list<Vpc & { VpcId: string }>('vpc').find((v) => v.IsDefault)?.VpcId : target.VpcId;
    g = vpcId ? findByName(state, vpcId, pair.GroupName) : undefined;
    if (!g) {
      if (mode === 'match') return `name:${pair.GroupName}`;
      throw new ApiError('InvalidGroup.NotFound', `The security group '${pair.GroupName}' does not exist in VPC '${vpcId ?? target.VpcId}'`);
    }
    if (mode === 'match') return { GroupId: g.GroupId, UserId: userId };
  } else {
    throw new ApiError('MissingParameter', 'The request must contain the parameter UserIdGroupPairs.GroupId or UserIdGroupPairs.GroupName');
  }
  if (g.VpcId === target.VpcId && !foreign) return { GroupId: g.GroupId, UserId: userId };
  const pcx = activePeering(ctx, target.VpcId, { account: userId, vpcId: g.VpcId });
  if (!pcx) throw new ApiError('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.');
  return { GroupId: g.GroupId, UserId: userId, VpcId: g.VpcId, VpcPeeringConnectionId: pcx.VpcPeeringConnectionId, PeeringStatus: 'active' };
}

const NO_PEER = 'CIDR block, a security group ID or a prefix list has to be specified';

/** The rules an IpPermissions list describes (one per peer). */
function parsePermissions(ctx: RequestContext, target: Readonly<SecurityGroupRecord>, perms: IpPermission[], mode: PeerMode): RuleSpec[] {
  const out: RuleSpec[] = [];
  for (const p of perms) {
    const IpProtocol = normalizeProtocol(p.IpProtocol);
    const ports = normalizePorts(IpProtocol, p.FromPort, p.ToPort);
    const base = { IpProtocol, ...ports };
    const before = out.length;
    for (const r of p.IpRanges ?? []) {
      out.push({ ...base, CidrIpv4: normalizeCidr(r.CidrIp, 4, 'CidrIp'), Description: checkRuleDescription(r.Description) });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      out.push({ ...base, CidrIpv6: normalizeCidr(r.CidrIpv6, 6, 'CidrIpv6'), Description: checkRuleDescription(r.Description) });
    }
    for (const r of p.PrefixListIds ?? []) {
      out.push({ ...base, PrefixListId: checkPrefixListId(ctx, r.PrefixListId, mode === 'authorize'), Description: checkRuleDescription(r.Description) });
    }
    for (const pair of p.UserIdGroupPairs ?? []) {
      const ref = resolvePeer(ctx, target, pair, mode);
      const Description = checkRuleDescription(pair.Description);
      if (typeof ref === 'string') out.push({ ...base, _unresolved: ref, Description });
      else out.push({ ...base, ReferencedGroupInfo: ref, Description });
    }
    if (out.length === before) throw new ApiError('InvalidParameterValue', NO_PEER);
  }
  return out;
}

interface LegacyRuleParams {
  CidrIp?: string;
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  SourceSecurityGroupName?: string;
  SourceSecurityGroupOwnerId?: string;
  IpPermissions?: IpPermission[];
}

/** IpPermissions, or the single rule the older top-level parameters describe. */
function permissionsOf(input: LegacyRuleParams): IpPermission[] {
  const legacy = [input.CidrIp, input.IpProtocol, input.FromPort, input.ToPort, input.SourceSecurityGroupName, input.SourceSecurityGroupOwnerId].some(
    (v) => v !== undefined,
  );
  const perms = input.IpPermissions ?? [];
  if (legacy && perms.length > 0) {
    throw new ApiError('InvalidParameterCombination', 'The parameter IpPermissions cannot be used with the parameters CidrIp, IpProtocol, FromPort, ToPort or SourceSecurityGroupName.');
  }
  if (!legacy) {
    if (perms.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter IpPermissions');
    return perms;
  }
  if (input.SourceSecurityGroupName !== undefined || input.SourceSecurityGroupOwnerId !== undefined) {
    if ([input.CidrIp, input.IpProtocol, input.FromPort, input.ToPort].some((v) => v !== undefined)) {
      throw new ApiError(
        'InvalidParameterCombination',
        'The parameter SourceSecurityGroupName cannot be used with the parameters CidrIp, IpProtocol, FromPort or ToPort. Use IpPermissions to give a protocol and ports.',
      );
    }
    if (!input.SourceSecurityGroupName) throw new ApiError('MissingParameter', 'The request must contain the parameter SourceSecurityGroupName');
    // Full ICMP, TCP and UDP access from the named group.
    const pair = { GroupName: input.SourceSecurityGroupName, UserId: input.SourceSecurityGroupOwnerId };
    return [
      { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, UserIdGroupPairs: [pair] },
      { IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, UserIdGroupPairs: [pair] },
      { IpProtocol: 'udp', FromPort: 0, ToPort: 65535, UserIdGroupPairs: [pair] },
    ];
  }
  if (input.CidrIp === undefined) throw new ApiError('InvalidParameterValue', NO_PEER);
  return [{ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: [{ CidrIp: input.CidrIp }] }];
}

// ---------------------------------------------------------------------------------------
// Rule identity, quota and views
// ---------------------------------------------------------------------------------------

function peerKey(r: RuleSpec | SecurityGroupRule): string {
  if (r.CidrIpv4) return `4:${r.CidrIpv4}`;
  if (r.CidrIpv6) return `6:${r.CidrIpv6}`;
  if (r.PrefixListId) return `pl:${r.PrefixListId}`;
  if (r.ReferencedGroupInfo?.GroupId) return `sg:${r.ReferencedGroupInfo.GroupId}`;
  return `?:${(r as RuleSpec)._unresolved ?? ''}`;
}

function ruleKey(isEgress: boolean, r: RuleSpec | SecurityGroupRule): string {
  return `${isEgress ? 'e' : 'i'}|${r.IpProtocol}|${r.FromPort}|${r.ToPort}|${peerKey(r)}`;
}

function portText(v: number): string {
  return v === -1 ? 'ALL' : String(v);
}

/** AWS's description of a rule in InvalidPermission.Duplicate messages. */
function ruleText(r: RuleSpec): string {
  const peer = r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId ?? '';
  let what: string;
  if (r.IpProtocol === '-1') what = 'ALL';
  else if (r.IpProtocol === 'tcp' || r.IpProtocol === 'udp') what = `${r.IpProtocol.toUpperCase()}, from port: ${r.FromPort}, to port: ${r.ToPort}`;
  else if (r.IpProtocol === 'icmp' || r.IpProtocol === 'icmpv6') {
    what = `${r.IpProtocol === 'icmp' ? 'ICMP' : 'ICMPv6'}, type: ${portText(r.FromPort)}, code: ${portText(r.ToPort)}`;
  } else what = r.IpProtocol;
  return `peer: ${peer}, ${what}, ALLOW`;
}

function duplicate(r: RuleSpec): ApiError {
  return new ApiError('InvalidPermission.Duplicate', `the specified rule "${ruleText(r)}" already exists`);
}

/** AWS counts IPv4 and IPv6 rules apart; a group or prefix-list reference counts for both. */
function checkRuleQuota(ctx: RequestContext, rules: Array<RuleSpec | SecurityGroupRule>): void {
  const limit = ctx.config.quotas.rulesPerSecurityGroup;
  const v4 = rules.filter((r) => !r.CidrIpv6).length;
  const v6 = rules.filter((r) => !r.CidrIpv4).length;
  if (v4 > limit || v6 > limit) {
    throw new ApiError('RulesPerSecurityGroupLimitExceeded', "You've reached the limit on the number of rules you can add to a security group.");
  }
}

function ruleArn(ctx: RequestContext, id: string): string {
  return `arn:aws:ec2:${ctx.region}:${ctx.account}:security-group-rule/${id}`;
}

/** The rule as DescribeSecurityGroupRules shows it. */
function ruleView(ctx: RequestContext, r: Readonly<SecurityGroupRuleRecord>): SecurityGroupRule {
  return {
    SecurityGroupRuleId: r.SecurityGroupRuleId,
    GroupId: r.GroupId,
    GroupOwnerId: r.GroupOwnerId,
    IsEgress: r.IsEgress,
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    CidrIpv4: r.CidrIpv4,
    CidrIpv6: r.CidrIpv6,
    PrefixListId: r.PrefixListId,
    ReferencedGroupInfo: r.ReferencedGroupInfo ? liveReference(ctx, r.ReferencedGroupInfo) : undefined,
    Description: r.Description,
    Tags: r.Tags ? r.Tags.map((t) => ({ ...t })) : [],
    SecurityGroupRuleArn: r.SecurityGroupRuleArn,
  };
}

function revokedView(r: Readonly<SecurityGroupRuleRecord>): RevokedSecurityGroupRule {
  return {
    SecurityGroupRuleId: r.SecurityGroupRuleId,
    GroupId: r.GroupId,
    IsEgress: r.IsEgress,
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    CidrIpv4: r.CidrIpv4,
    CidrIpv6: r.CidrIpv6,
    PrefixListId: r.PrefixListId,
    ReferencedGroupId: r.ReferencedGroupInfo?.GroupId,
    Description: r.Description,
  };
}

function emptyPermission(r: { IpProtocol: string; FromPort: number; ToPort: number }): IpPermission {
  const p: IpPermission = { IpProtocol: r.IpProtocol };
  if (!coversAllPorts(r.IpProtocol)) {
    p.FromPort = r.FromPort;
    p.ToPort = r.ToPort;
  }
  p.UserIdGroupPairs = [];
  p.IpRanges = [];
  p.Ipv6Ranges = [];
  p.PrefixListIds = [];
  return p;
}

function addPeer(ctx: RequestContext, p: IpPermission, r: RuleSpec | Readonly<SecurityGroupRuleRecord>): void {
  const d = r.Description !== undefined ? { Description: r.Description } : {};
  if (r.CidrIpv4) p.IpRanges!.push({ CidrIp: r.CidrIpv4, ...d });
  else if (r.CidrIpv6) p.Ipv6Ranges!.push({ CidrIpv6: r.CidrIpv6, ...d });
  else if (r.PrefixListId) p.PrefixListIds!.push({ PrefixListId: r.PrefixListId, ...d });
  else if (r.ReferencedGroupInfo) {
    const ref = liveReference(ctx, r.ReferencedGroupInfo);
    p.UserIdGroupPairs!.push({ ...d, UserId: ref.UserId, GroupId: ref.GroupId, VpcId: ref.VpcId, VpcPeeringConnectionId: ref.VpcPeeringConnectionId, PeeringStatus: ref.PeeringStatus });
  } else if ((r as RuleSpec)._unresolved?.startsWith('name:')) {
    p.UserIdGroupPairs!.push({ ...d, GroupName: (r as RuleSpec)._unresolved!.slice(5) });
  }
}

/** Rules grouped into IpPermissions by protocol and ports, in order of first appearance. */
function toPermissions(ctx: RequestContext, rules: ReadonlyArray<RuleSpec | Readonly<SecurityGroupRuleRecord>>): IpPermission[] {
  const byKey = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = `${r.IpProtocol}|${r.FromPort}|${r.ToPort}`;
    let p = byKey.get(key);
    if (!p) {
      p = emptyPermission(r);
      byKey.set(key, p);
    }
    addPeer(ctx, p, r);
  }
  return [...byKey.values()];
}

function groupArn(ctx: RequestContext, id: string): string {
  return `arn:aws:ec2:${ctx.region}:${ctx.account}:security-group/${id}`;
}

/** The group as DescribeSecurityGroups shows it, with its rules. */
export function securityGroupView(ctx: RequestContext, g: Readonly<SecurityGroupRecord>, rules?: readonly Readonly<SecurityGroupRuleRecord>[]): SecurityGroup {
  const all = rules ?? securityGroupRules(ctx.state, g.GroupId);
  return {
    GroupId: g.GroupId,
    GroupName: g.GroupName,
    Description: g.Description,
    OwnerId: g.OwnerId,
    VpcId: g.VpcId,
    SecurityGroupArn: g.SecurityGroupArn,
    Tags: g.Tags?.map((t) => ({ ...t })),
    IpPermissions: toPermissions(ctx, all.filter((r) => !r.IsEgress)),
    IpPermissionsEgress: toPermissions(ctx, all.filter((r) => r.IsEgress)),
  };
}

// ---------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------

function insertRule(ctx: RequestContext, group: Readonly<SecurityGroupRecord>, isEgress: boolean, spec: RuleSpec, tags?: SecurityGroupRule['Tags']): SecurityGroupRuleRecord {
  const id = newId('sgr');
  const rule: SecurityGroupRuleRecord = {
    SecurityGroupRuleId: id,
    GroupId: group.GroupId,
    GroupOwnerId: group.OwnerId,
    IsEgress: isEgress,
    IpProtocol: spec.IpProtocol,
    FromPort: spec.FromPort,
    ToPort: spec.ToPort,
    SecurityGroupRuleArn: ruleArn(ctx, id),
  };
  if (spec.CidrIpv4) rule.CidrIpv4 = spec.CidrIpv4;
  if (spec.CidrIpv6) rule.CidrIpv6 = spec.CidrIpv6;
  if (spec.PrefixListId) rule.PrefixListId = spec.PrefixListId;
  if (spec.ReferencedGroupInfo) rule.ReferencedGroupInfo = { ...spec.ReferencedGroupInfo };
  if (spec.Description !== undefined) rule.Description = spec.Description;
  if (tags && tags.length) rule.Tags = tags.map((t) => ({ ...t }));
  return ctx.state.put(RULE, id, rule);
}

const ALL_TRAFFIC = { IpProtocol: '-1', FromPort: -1, ToPort: -1 };

function insertGroup(
  ctx: RequestContext,
  opts: { name: string; description: string; vpcId: string; tags?: SecurityGroup['Tags'] },
): SecurityGroupRecord {
  const id = newId('sg');
  const g: SecurityGroupRecord = {
    GroupId: id,
    GroupName: opts.name,
    Description: opts.description,
    OwnerId: ctx.account,
    VpcId: opts.vpcId,
    SecurityGroupArn: groupArn(ctx, id),
  };
  if (opts.tags) g.Tags = opts.tags;
  return ctx.state.put(GROUP, id, g);
}

/**
 * The default group of a new VPC: all traffic in from members of the group itself, all
 * traffic out to 0.0.0.0/0, and to ::/0 when the VPC has an IPv6 block.
 */
export function createDefaultSecurityGroup(ctx: RequestContext, vpc: Pick<Vpc, 'Ipv6CidrBlockAssociationSet'> & { VpcId: string }): SecurityGroupRecord {
  const g = insertGroup(ctx, { name: 'default', description: 'default VPC security group', vpcId: vpc.VpcId });
  insertRule(ctx, g, false, { ...ALL_TRAFFIC, ReferencedGroupInfo: { GroupId: g.GroupId, UserId: ctx.account } });
  insertRule(ctx, g, true, { ...ALL_TRAFFIC, CidrIpv4: '0.0.0.0/0' });
  if ((vpc.Ipv6CidrBlockAssociationSet ?? []).length > 0) insertRule(ctx, g, true, { ...ALL_TRAFFIC, CidrIpv6: '::/0' });
  return g;
}

/**
 * An IPv6 block newly associated with a VPC: every group of the VPC whose outbound rules are
 * still the original one (all traffic to 0.0.0.0/0) also gets all traffic to ::/0. AWS's VPC
 * guide: "we automatically add an outbound rule to the security groups for the VPC that allows
 * all IPv6 traffic. However, if you modified the original outbound rules ... this rule is not
 * automatically added".
 */
export function addIpv6DefaultEgressRules(ctx: RequestContext, vpcId: string): void {
  const isAll = (r: Readonly<SecurityGroupRuleRecord>) => r.IpProtocol === '-1' && !r.PrefixListId && !r.ReferencedGroupInfo;
  for (const g of groupsIn(ctx.state, vpcId)) {
    const egress = securityGroupRules(ctx.state, g.GroupId).filter((r) => r.IsEgress);
    if (egress.length !== 1 || !isAll(egress[0]!) || egress[0]!.CidrIpv4 !== '0.0.0.0/0') continue;
    insertRule(ctx, g, true, { ...ALL_TRAFFIC, CidrIpv6: '::/0' });
  }
}

function deleteGroupRecord(ctx: RequestContext, groupId: string): void {
  for (const r of securityGroupRules(ctx.state, groupId)) ctx.state.delete(RULE, r.SecurityGroupRuleId);
  ctx.state.delete(GROUP, groupId);
}

/** Called by DeleteVpc once nothing blocks it: removes the VPC's groups and their rules. */
export function deleteVpcSecurityGroups(ctx: RequestContext, vpcId: string): void {
  for (const g of groupsIn(ctx.state, vpcId)) deleteGroupRecord(ctx, g.GroupId);
}

export function createSecurityGroup(ctx: RequestContext, input: CreateSecurityGroupRequest): CreateSecurityGroupResult {
  const name = checkGroupText(input.GroupName, 'GroupName');
  const description = checkGroupText(input.Description, 'GroupDescription');
  if (name.toLowerCase().startsWith('sg-')) {
    throw new ApiError('InvalidParameterValue', `Value (${name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`);
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'security-group');
  let vpcId: string;
  if (input.VpcId !== undefined && input.VpcId !== '') {
    vpcId = requireRecord<Vpc & { VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId').VpcId;
  } else {
    const d = defaultVpc(ctx);
    if (!d) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user');
    vpcId = d.VpcId;
  }
  if (sameName(name, 'default')) throw new ApiError('InvalidGroup.Reserved', "The security group 'default' is reserved");
  if (findByName(ctx.state, vpcId, name)) {
    throw new ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
  }
  if (ctx.state.list(GROUP).length >= ctx.config.quotas.securityGroupsPerRegion) {
    throw new ApiError('SecurityGroupLimitExceeded', 'The maximum number of security groups has been reached.');
  }
  const g = insertGroup(ctx, { name, description, vpcId, tags });
  // Every new group allows all outbound IPv4 traffic until that rule is revoked.
  insertRule(ctx, g, true, { ...ALL_TRAFFIC, CidrIpv4: '0.0.0.0/0' });
  return { GroupId: g.GroupId, Tags: g.Tags?.map((t) => ({ ...t })), SecurityGroupArn: g.SecurityGroupArn };
}

/** Rule filters of DescribeSecurityGroups, for one direction. */
function ruleFilters(ctx: RequestContext, prefix: string, egress: boolean, rules: Pick<Map<string, Readonly<SecurityGroupRuleRecord>[]>, 'get'>) {
  const of = (g: SecurityGroupRecord) => (rules.get(g.GroupId) ?? []).filter((r) => r.IsEgress === egress);
  const ports = (r: Readonly<SecurityGroupRuleRecord>, v: number) => (coversAllPorts(r.IpProtocol) ? undefined : v);
  const nameOf = (id: string | undefined) => (id ? ctx.state.get<SecurityGroupRecord>(GROUP, id)?.GroupName : undefined);
  return {
    [`${prefix}cidr`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => r.CidrIpv4),
    [`${prefix}from-port`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => ports(r, r.FromPort)),
    [`${prefix}to-port`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => ports(r, r.ToPort)),
    [`${prefix}group-id`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => r.ReferencedGroupInfo?.GroupId),
    [`${prefix}group-name`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => nameOf(r.ReferencedGroupInfo?.GroupId)),
    [`${prefix}ipv6-cidr`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => r.CidrIpv6),
    [`${prefix}prefix-list-id`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => r.PrefixListId),
    [`${prefix}protocol`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => [r.IpProtocol, NUMBERS[r.IpProtocol]]),
    [`${prefix}user-id`]: (g: SecurityGroupRecord) => pluck(of(g), (r) => r.ReferencedGroupInfo?.UserId),
  } as Record<string, (g: SecurityGroupRecord) => FilterValue>;
}

export function describeSecurityGroups(ctx: RequestContext, input: DescribeSecurityGroupsRequest): DescribeSecurityGroupsResult {
  let selected: Readonly<SecurityGroupRecord>[];
  const hasIds = (input.GroupIds ?? []).length > 0;
  const hasNames = (input.GroupNames ?? []).length > 0;
  if (!hasIds && !hasNames) selected = ctx.state.list<SecurityGroupRecord>(GROUP);
  else {
    const byId = hasIds ? selectByIds<SecurityGroupRecord>(ctx.state, GROUP, input.GroupIds) : [];
    const byName = [...new Set(input.GroupNames ?? [])].map((n) => groupInDefaultVpc(ctx, n));
    const seen = new Set<string>();
    selected = [...byId, ...byName].filter((g) => (seen.has(g.GroupId) ? false : (seen.add(g.GroupId), true)));
  }
  const rules = rulesByGroup(ctx.state);
  const defs = {
    description: (g: SecurityGroupRecord) => g.Description,
    'group-id': (g: SecurityGroupRecord) => g.GroupId,
    'group-name': (g: SecurityGroupRecord) => g.GroupName,
    'owner-id': (g: SecurityGroupRecord) => g.OwnerId,
    'vpc-id': (g: SecurityGroupRecord) => g.VpcId,
    ...ruleFilters(ctx, 'ip-permission.', false, rules),
    ...ruleFilters(ctx, 'egress.ip-permission.', true, rules),
  };
  const filtered = applyFilters(selected as SecurityGroupRecord[], input.Filters, defs);
  const page = paginate(filtered, input);
  return {
    SecurityGroups: page.items.map((g) => securityGroupView(ctx, g, rules.get(g.GroupId) ?? [])),
    NextToken: page.nextToken,
  };
}

/** What keeps a group from being deleted: resources using it (kind, member holding group IDs). */
const USERS: Array<[kind: string, groupIds: (r: Record<string, any>) => Array<string | undefined>]> = [
  ['network-interface', (r) => (r.Groups ?? []).map((g: GroupIdentifier) => g.GroupId)],
  ['instance', (r) => (r.State?.Name === 'terminated' ? [] : (r.SecurityGroups ?? []).map((g: GroupIdentifier) => g.GroupId))],
  ['vpc-endpoint', (r) => (r.State === 'deleted' ? [] : (r.Groups ?? []).map((g: { GroupId?: string }) => g.GroupId))],
];

export function deleteSecurityGroup(ctx: RequestContext, input: DeleteSecurityGroupRequest): DeleteSecurityGroupResult {
  const g = targetGroup(ctx, input);
  if (g.GroupName === 'default') {
    throw new ApiError('CannotDelete', `the specified group: "${g.GroupId}" name: "default" cannot be deleted by a user`);
  }
  const dependent = () => new ApiError('DependencyViolation', `resource ${g.GroupId} has a dependent object`);
  for (const [kind, groupIds] of USERS) {
    if (ctx.state.list<Record<string, unknown>>(kind).some((r) => groupIds(r).includes(g.GroupId))) throw dependent();
  }
  // A rule of another group in the same VPC that refers to this group.
  for (const r of ctx.state.listBy<SecurityGroupRuleRecord>(RULE, 'ReferencedGroupInfo.GroupId', g.GroupId)) {
    if (r.GroupId === g.GroupId || r.ReferencedGroupInfo?.GroupId !== g.GroupId) continue;
    if (ctx.state.get<SecurityGroupRecord>(GROUP, r.GroupId)?.VpcId === g.VpcId) throw dependent();
  }
  deleteGroupRecord(ctx, g.GroupId);
  return { Return: true, GroupId: g.GroupId };
}

// ---------------------------------------------------------------------------------------
// Rules: authorize / revoke
// ---------------------------------------------------------------------------------------

function authorize(
  ctx: RequestContext,
  group: Readonly<SecurityGroupRecord>,
  isEgress: boolean,
  perms: IpPermission[],
  tagSpecs: AuthorizeSecurityGroupIngressRequest['TagSpecifications'],
): SecurityGroupRule[] {
  const specs = parsePermissions(ctx, group, perms, 'authorize');
  const tags = tagsFromSpecs(ctx, tagSpecs, 'security-group-rule');
  const existing = securityGroupRules(ctx.state, group.GroupId).filter((r) => r.IsEgress === isEgress);
  const keys = new Set(existing.map((r) => ruleKey(isEgress, r)));
  for (const s of specs) {
    const k = ruleKey(isEgress, s);
    if (keys.has(k)) throw duplicate(s);
    keys.add(k);
  }
  checkRuleQuota(ctx, [...existing, ...specs]);
  return specs.map((s) => ruleView(ctx, insertRule(ctx, group, isEgress, s, tags)));
}

export function authorizeSecurityGroupIngress(ctx: RequestContext, input: AuthorizeSecurityGroupIngressRequest): AuthorizeSecurityGroupIngressResult {
  const group = targetGroup(ctx, input);
  const rules = authorize(ctx, group, false, permissionsOf(input), input.TagSpecifications);
  return { Return: true, SecurityGroupRules: rules };
}

export function authorizeSecurityGroupEgress(ctx: RequestContext, input: AuthorizeSecurityGroupEgressRequest): AuthorizeSecurityGroupEgressResult {
  const group = getSecurityGroup(ctx, input.GroupId);
  const rules = authorize(ctx, group, true, permissionsOf(input), input.TagSpecifications);
  return { Return: true, SecurityGroupRules: rules };
}

function ruleOfGroup(ctx: RequestContext, group: Readonly<SecurityGroupRecord>, isEgress: boolean, id: string): Readonly<SecurityGroupRuleRecord> {
  const kind = kindOf(RULE);
  checkIdShape(kind, id);
  const r = ctx.state.get<SecurityGroupRuleRecord>(RULE, id);
  if (!r || r.GroupId !== group.GroupId || r.IsEgress !== isEgress) throw notFound(kind, [id]);
  return r;
}

const RULE_NOT_FOUND = 'The specified rule does not exist in this security group.';

function revoke(
  ctx: RequestContext,
  group: Readonly<SecurityGroupRecord>,
  isEgress: boolean,
  input: LegacyRuleParams & { SecurityGroupRuleIds?: string[] },
): RevokeSecurityGroupIngressResult {
  const ruleIds = input.SecurityGroupRuleIds ?? [];
  let doomed: Readonly<SecurityGroupRuleRecord>[];
  let unknown: RuleSpec[] = [];
  if (ruleIds.length > 0) {
    const hasPermissions =
      (input.IpPermissions ?? []).length > 0 || [input.CidrIp, input.IpProtocol, input.FromPort, input.ToPort, input.SourceSecurityGroupName].some((v) => v !== undefined);
    if (hasPermissions) {
      throw new ApiError('InvalidParameterCombination', 'The parameter SecurityGroupRuleIds cannot be used with IpPermissions or the individual rule parameters.');
    }
    doomed = [...new Set(ruleIds)].map((id) => ruleOfGroup(ctx, group, isEgress, id));
  } else {
    const specs = parsePermissions(ctx, group, permissionsOf(input), 'match');
    const existing = new Map(
      securityGroupRules(ctx.state, group.GroupId)
        .filter((r) => r.IsEgress === isEgress)
        .map((r) => [ruleKey(isEgress, r), r] as const),
    );
    doomed = [];
    for (const s of specs) {
      const hit = existing.get(ruleKey(isEgress, s));
      if (hit) {
        if (!doomed.includes(hit)) doomed.push(hit);
      } else unknown.push(s);
    }
    // A non-default VPC refuses the whole request; the default VPC revokes what matched.
    const inDefaultVpc = ctx.state.get<Vpc>('vpc', group.VpcId)?.IsDefault === true;
    if (unknown.length > 0 && !inDefaultVpc) throw new ApiError('InvalidPermission.NotFound', RULE_NOT_FOUND);
  }
  for (const r of doomed) ctx.state.delete(RULE, r.SecurityGroupRuleId);
  return {
    Return: true,
    UnknownIpPermissions: unknown.length ? toPermissions(ctx, unknown) : undefined,
    RevokedSecurityGroupRules: doomed.map(revokedView),
  };
}

export function revokeSecurityGroupIngress(ctx: RequestContext, input: RevokeSecurityGroupIngressRequest): RevokeSecurityGroupIngressResult {
  return revoke(ctx, targetGroup(ctx, input), false, input);
}

export function revokeSecurityGroupEgress(ctx: RequestContext, input: RevokeSecurityGroupEgressRequest): RevokeSecurityGroupEgressResult {
  return revoke(ctx, getSecurityGroup(ctx, input.GroupId), true, input);
}

// ---------------------------------------------------------------------------------------
// Rules: describe / modify / descriptions
// ---------------------------------------------------------------------------------------

export function describeSecurityGroupRules(ctx: RequestContext, input: DescribeSecurityGroupRulesRequest): DescribeSecurityGroupRulesResult {
  const selected = selectByIds<SecurityGroupRuleRecord>(ctx.state, RULE, input.SecurityGroupRuleIds) as SecurityGroupRuleRecord[];
  const filtered = applyFilters(selected, input.Filters, {
    'group-id': (r) => r.GroupId,
    'security-group-rule-id': (r) => r.SecurityGroupRuleId,
  });
  const page = paginate(filtered, input);
  return { SecurityGroupRules: page.items.map((r) => ruleView(ctx, r)), NextToken: page.nextToken };
}

/** A SecurityGroupRuleRequest (ModifySecurityGroupRules) as a rule spec. */
function specOfRequest(ctx: RequestContext, group: Readonly<SecurityGroupRecord>, req: SecurityGroupRuleRequest | undefined): RuleSpec {
  if (!req) throw new ApiError('MissingParameter', 'The request must contain the parameter SecurityGroupRule');
  const targets = [req.CidrIpv4, req.CidrIpv6, req.PrefixListId, req.ReferencedGroupId].filter((v) => v !== undefined && v !== '');
  if (targets.length !== 1) {
    throw new ApiError('InvalidParameterCombination', 'Specify exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId.');
  }
  const perm: IpPermission = { IpProtocol: req.IpProtocol, FromPort: req.FromPort, ToPort: req.ToPort };
  const d = { Description: req.Description };
  if (req.CidrIpv4) perm.IpRanges = [{ CidrIp: req.CidrIpv4, ...d }];
  else if (req.CidrIpv6) perm.Ipv6Ranges = [{ CidrIpv6: req.CidrIpv6, ...d }];
  else if (req.PrefixListId) perm.PrefixListIds = [{ PrefixListId: req.PrefixListId, ...d }];
  else perm.UserIdGroupPairs = [{ GroupId: req.ReferencedGroupId, ...d }];
  return parsePermissions(ctx, group, [perm], 'authorize')[0]!;
}

export function modifySecurityGroupRules(ctx: RequestContext, input: ModifySecurityGroupRulesRequest): ModifySecurityGroupRulesResult {
  const group = getSecurityGroup(ctx, input.GroupId);
  const updates = input.SecurityGroupRules ?? [];
  if (updates.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter SecurityGroupRule');
  const kind = kindOf(RULE);
  for (const u of updates) {
    if (!u.SecurityGroupRuleId) throw new ApiError('MissingParameter', 'The request must contain the parameter SecurityGroupRuleId');
    checkIdShape(kind, u.SecurityGroupRuleId);
    const current = ctx.state.get<SecurityGroupRuleRecord>(RULE, u.SecurityGroupRuleId);
    if (!current || current.GroupId !== group.GroupId) throw notFound(kind, [u.SecurityGroupRuleId]);
    const spec = specOfRequest(ctx, group, u.SecurityGroupRule);
    const siblings = securityGroupRules(ctx.state, group.GroupId).filter(
      (r) => r.IsEgress === current.IsEgress && r.SecurityGroupRuleId !== current.SecurityGroupRuleId,
    );
    if (siblings.some((r) => ruleKey(current.IsEgress, r) === ruleKey(current.IsEgress, spec))) throw duplicate(spec);
    checkRuleQuota(ctx, [...siblings, spec]);
    const rule = ctx.state.edit<SecurityGroupRuleRecord>(RULE, current.SecurityGroupRuleId)!;
    rule.IpProtocol = spec.IpProtocol;
    rule.FromPort = spec.FromPort;
    rule.ToPort = spec.ToPort;
    delete rule.CidrIpv4;
    delete rule.CidrIpv6;
    delete rule.PrefixListId;
    delete rule.ReferencedGroupInfo;
    delete rule.Description;
    if (spec.CidrIpv4) rule.CidrIpv4 = spec.CidrIpv4;
    if (spec.CidrIpv6) rule.CidrIpv6 = spec.CidrIpv6;
    if (spec.PrefixListId) rule.PrefixListId = spec.PrefixListId;
    if (spec.ReferencedGroupInfo) rule.ReferencedGroupInfo = { ...spec.ReferencedGroupInfo };
    if (spec.Description !== undefined) rule.Description = spec.Description;
  }
  return { Return: true };
}

function updateDescriptions(
  ctx: RequestContext,
  group: Readonly<SecurityGroupRecord>,
  isEgress: boolean,
  input: UpdateSecurityGroupRuleDescriptionsIngressRequest,
): void {
  const perms = input.IpPermissions ?? [];
  const byId = input.SecurityGroupRuleDescriptions ?? [];
  if (perms.length > 0 && byId.length > 0) {
    throw new ApiError('InvalidParameterCombination', 'The parameters IpPermissions and SecurityGroupRuleDescriptions cannot be used together.');
  }
  if (perms.length === 0 && byId.length === 0) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter IpPermissions or SecurityGroupRuleDescriptions');
  }
  const set = (id: string, description: string | undefined) => {
    const rule = ctx.state.edit<SecurityGroupRuleRecord>(RULE, id)!;
    if (description === undefined) delete rule.Description;
    else rule.Description = description;
  };
  if (byId.length > 0) {
    for (const d of byId) {
      if (!d.SecurityGroupRuleId) throw new ApiError('MissingParameter', 'The request must contain the parameter SecurityGroupRuleId');
      const r = ruleOfGroup(ctx, group, isEgress, d.SecurityGroupRuleId);
      set(r.SecurityGroupRuleId, checkRuleDescription(d.Description));
    }
    return;
  }
  const specs = parsePermissions(ctx, group, perms, 'match');
  const existing = new Map(
    securityGroupRules(ctx.state, group.GroupId)
      .filter((r) => r.IsEgress === isEgress)
      .map((r) => [ruleKey(isEgress, r), r] as const),
  );
  const hits = specs.map((s) => existing.get(ruleKey(isEgress, s)));
  if (hits.some((h) => !h)) throw new ApiError('InvalidPermission.NotFound', RULE_NOT_FOUND);
  specs.forEach((s, i) => set(hits[i]!.SecurityGroupRuleId, s.Description));
}

export function updateSecurityGroupRuleDescriptionsIngress(
  ctx: RequestContext,
  input: UpdateSecurityGroupRuleDescriptionsIngressRequest,
): UpdateSecurityGroupRuleDescriptionsIngressResult {
  updateDescriptions(ctx, targetGroup(ctx, input), false, input);
  return { Return: true };
}

export function updateSecurityGroupRuleDescriptionsEgress(
  ctx: RequestContext,
  input: UpdateSecurityGroupRuleDescriptionsEgressRequest,
): UpdateSecurityGroupRuleDescriptionsEgressResult {
  updateDescriptions(ctx, targetGroup(ctx, input), true, input);
  return { Return: true };
}

// ---------------------------------------------------------------------------------------
// Groups usable in a VPC, references across peering, stale rules
// ---------------------------------------------------------------------------------------

export function getSecurityGroupsForVpc(ctx: RequestContext, input: GetSecurityGroupsForVpcRequest): GetSecurityGroupsForVpcResult {
  const vpc = requireRecord<Vpc & { VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const groups = groupsIn(ctx.state, vpc.VpcId).map(
    (g): SecurityGroupForVpc & { Tags?: SecurityGroup['Tags'] } => ({
      Description: g.Description,
      GroupName: g.GroupName,
      OwnerId: g.OwnerId,
      GroupId: g.GroupId,
      Tags: g.Tags?.map((t) => ({ ...t })),
      PrimaryVpcId: g.VpcId,
    }),
  );
  const filtered = applyFilters(groups, input.Filters, {
    'group-id': (g) => g.GroupId,
    description: (g) => g.Description,
    'group-name': (g) => g.GroupName,
    'owner-id': (g) => g.OwnerId,
    'primary-vpc-id': (g) => g.PrimaryVpcId,
  });
  const page = paginate(filtered, input);
  return { SecurityGroupForVpcs: page.items, NextToken: page.nextToken };
}

export function describeSecurityGroupReferences(
  ctx: RequestContext,
  input: DescribeSecurityGroupReferencesRequest,
): DescribeSecurityGroupReferencesResult {
  const ids = input.GroupId ?? [];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter GroupId');
  const groups = selectByIds<SecurityGroupRecord>(ctx.state, GROUP, ids);
  const out: SecurityGroupReference[] = [];
  for (const g of groups) {
    for (const { rec, remote } of peeringsOfVpc(ctx, g.VpcId)) {
      if (!peeringIsActive(rec) || remote.region !== ctx.region) continue;
      const state = remote.account === ctx.account ? ctx.state : ctx.state.other(remote.account, remote.region);
      const referencing = state
        .list<SecurityGroupRuleRecord>(RULE)
        .some((r) => r.ReferencedGroupInfo?.GroupId === g.GroupId && state.get<SecurityGroupRecord>(GROUP, r.GroupId)?.VpcId === remote.vpcId);
      if (referencing) out.push({ GroupId: g.GroupId, ReferencingVpcId: remote.vpcId, VpcPeeringConnectionId: rec.VpcPeeringConnectionId });
    }
  }
  return { SecurityGroupReferenceSet: out };
}

/** A rule referring to a group across a peering connection that is gone, or to a deleted group. */
function isStale(ctx: RequestContext, r: Readonly<SecurityGroupRuleRecord>): boolean {
  const ref = r.ReferencedGroupInfo;
  if (!ref?.GroupId || !ref.VpcPeeringConnectionId) return false;
  if (peeringStatusCode(ctx, ref.VpcPeeringConnectionId) !== 'active') return true;
  const state = ref.UserId && ref.UserId !== ctx.account ? ctx.state.other(ref.UserId, ctx.region) : ctx.state;
  return !state.get(GROUP, ref.GroupId);
}

function staleView(ctx: RequestContext, rules: Readonly<SecurityGroupRuleRecord>[]): StaleIpPermission[] {
  return toPermissions(ctx, rules).map((p) => ({
    FromPort: p.FromPort,
    IpProtocol: p.IpProtocol,
    ToPort: p.ToPort,
    IpRanges: [],
    PrefixListIds: [],
    UserIdGroupPairs: (p.UserIdGroupPairs ?? []).map((u) => ({ ...u, PeeringStatus: u.PeeringStatus ?? 'deleted' })),
  }));
}

export function describeStaleSecurityGroups(ctx: RequestContext, input: DescribeStaleSecurityGroupsRequest): DescribeStaleSecurityGroupsResult {
  const vpc = requireRecord<Vpc & { VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const rules = rulesByGroup(ctx.state);
  const stale: StaleSecurityGroup[] = [];
  for (const g of groupsIn(ctx.state, vpc.VpcId)) {
    const bad = (rules.get(g.GroupId) ?? []).filter((r) => isStale(ctx, r));
    if (bad.length === 0) continue;
    stale.push({
      Description: g.Description,
      GroupId: g.GroupId,
      GroupName: g.GroupName,
      VpcId: g.VpcId,
      StaleIpPermissions: staleView(ctx, bad.filter((r) => !r.IsEgress)),
      StaleIpPermissionsEgress: staleView(ctx, bad.filter((r) => r.IsEgress)),
    });
  }
  const page = paginate(stale, input, { min: 5, max: 255 });
  return { StaleSecurityGroupSet: page.items, NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateSecurityGroup: createSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  DeleteSecurityGroup: deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress: authorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  RevokeSecurityGroupEgress: revokeSecurityGroupEgress,
  DescribeSecurityGroupRules: describeSecurityGroupRules,
  ModifySecurityGroupRules: modifySecurityGroupRules,
  UpdateSecurityGroupRuleDescriptionsIngress: updateSecurityGroupRuleDescriptionsIngress,
  UpdateSecurityGroupRuleDescriptionsEgress: updateSecurityGroupRuleDescriptionsEgress,
  GetSecurityGroupsForVpc: getSecurityGroupsForVpc,
  DescribeSecurityGroupReferences: describeSecurityGroupReferences,
  DescribeStaleSecurityGroups: describeStaleSecurityGroups,
};
