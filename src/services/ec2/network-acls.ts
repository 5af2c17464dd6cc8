/**
 * Network ACLs: the default ACL of each VPC, custom ACLs, their entries (rules) and their
 * subnet associations. Every subnet is associated with exactly one ACL of its VPC.
 */
import type {
  CreateNetworkAclEntryRequest,
  CreateNetworkAclRequest,
  CreateNetworkAclResult,
  DeleteNetworkAclEntryRequest,
  DeleteNetworkAclRequest,
  DescribeNetworkAclsRequest,
  DescribeNetworkAclsResult,
  NetworkAcl,
  NetworkAclEntry,
  ReplaceNetworkAclAssociationRequest,
  ReplaceNetworkAclAssociationResult,
  ReplaceNetworkAclEntryRequest,
  Vpc,
} from '@aws-sdk/client-ec2';
import { formatCidr, parseCidr } from '../../network/cidr.js';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, type FilterValue, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { defineIndex } from '../../state/store.js';

export interface NetworkAclRecord extends NetworkAcl {
  NetworkAclId: string;
  VpcId: string;
  /**
   * Directions whose rules have been changed through the API. AWS adds the "allow all IPv6"
   * rule to a default ACL only in directions that were never changed.
   */
  _changed?: { egress?: boolean; ingress?: boolean };
}

/** The `*` rules: shown by the API as 32767 (IPv4) and 32768 (IPv6); they cannot be changed. */
export const DEFAULT_RULE_IPV4 = 32767;
export const DEFAULT_RULE_IPV6 = 32768;
const MAX_RULE_NUMBER = 32766;
/** The rules AWS puts in a default ACL: allow everything, per family. */
const ALLOW_ALL_IPV4 = 100;
const ALLOW_ALL_IPV6 = 101;

const PROTOCOL_NAMES: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

type Direction = 'egress' | 'ingress';

function direction(egress: boolean | undefined): Direction {
  return egress ? 'egress' : 'ingress';
}

function isIpv6Entry(e: NetworkAclEntry): boolean {
  return e.Ipv6CidrBlock !== undefined;
}

function isStarRule(e: NetworkAclEntry): boolean {
  return e.RuleNumber === DEFAULT_RULE_IPV4 || e.RuleNumber === DEFAULT_RULE_IPV6;
}

function allTraffic(egress: boolean, action: 'allow' | 'deny', ruleNumber: number, ipv6: boolean): NetworkAclEntry {
  return ipv6
    ? { Egress: egress, Ipv6CidrBlock: '::/0', Protocol: '-1', RuleAction: action, RuleNumber: ruleNumber }
    : { CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: action, RuleNumber: ruleNumber };
}

/** AWS lists egress rules first, then ingress rules, each by ascending rule number. */
function sortEntries(entries: NetworkAclEntry[]): NetworkAclEntry[] {
  return [...entries].sort((a, b) => Number(!!b.Egress) - Number(!!a.Egress) || a.RuleNumber! - b.RuleNumber!);
}

function defaultEntries(ipv6: boolean): NetworkAclEntry[] {
  const out: NetworkAclEntry[] = [];
  for (const egress of [true, false]) {
    out.push(allTraffic(egress, 'allow', ALLOW_ALL_IPV4, false), allTraffic(egress, 'deny', DEFAULT_RULE_IPV4, false));
    if (ipv6) out.push(allTraffic(egress, 'allow', ALLOW_ALL_IPV6, true), allTraffic(egress, 'deny', DEFAULT_RULE_IPV6, true));
  }
  return sortEntries(out);
}

function denyAllEntries(ipv6: boolean): NetworkAclEntry[] {
  const out: NetworkAclEntry[] = [];
  for (const egress of [true, false]) {
    out.push(allTraffic(egress, 'deny', DEFAULT_RULE_IPV4, false));
    if (ipv6) out.push(allTraffic(egress, 'deny', DEFAULT_RULE_IPV6, true));
  }
  return sortEntries(out);
}

function hasIpv6Block(vpc: Pick<Vpc, 'Ipv6CidrBlockAssociationSet'> | undefined): boolean {
  return (vpc?.Ipv6CidrBlockAssociationSet ?? []).some((a) => {
    const state = a.Ipv6CidrBlockState?.State;
    return state === undefined || state === 'associated' || state === 'associating';
  });
}

/**
 * A subnet's association with its ACL. Kept as records of their own (not inside the ACL
 * record), so that adding the 1,000th subnet does not rewrite an ACL with 999 associations.
 */
const ASSOCIATION_KIND = 'network-acl-association';

defineIndex(ASSOCIATION_KIND, 'SubnetId');
defineIndex(ASSOCIATION_KIND, 'NetworkAclId');

interface AclAssociationRecord {
  NetworkAclAssociationId: string;
  NetworkAclId: string;
  SubnetId: string;
}

/** Every association, grouped by ACL. */
function associationsByAcl(ctx: RequestContext): Map<string, AclAssociationRecord[]> {
  const out = new Map<string, AclAssociationRecord[]>();
  for (const a of ctx.state.list<AclAssociationRecord>(ASSOCIATION_KIND)) {
    const list = out.get(a.NetworkAclId);
    if (list) list.push(a);
    else out.set(a.NetworkAclId, [a]);
  }
  return out;
}

function associationsOf(ctx: RequestContext, aclId: string): AclAssociationRecord[] {
  return ctx.state.listBy<AclAssociationRecord>(ASSOCIATION_KIND, 'NetworkAclId', aclId);
}

/** The ACL a subnet is associated with (every subnet has exactly one). */
export function subnetNetworkAclId(ctx: RequestContext, subnetId: string): string | undefined {
  return ctx.state.listBy<AclAssociationRecord>(ASSOCIATION_KIND, 'SubnetId', subnetId)[0]?.NetworkAclId;
}

function associate(ctx: RequestContext, aclId: string, subnetId: string): string {
  const id = newId('aclassoc');
  ctx.state.put<AclAssociationRecord>(ASSOCIATION_KIND, id, { NetworkAclAssociationId: id, NetworkAclId: aclId, SubnetId: subnetId });
  return id;
}

/** The ACL as AWS shows it: internal fields dropped, its subnet associations added. */
export function networkAclView(a: Readonly<NetworkAclRecord>, associations: readonly AclAssociationRecord[] = []): NetworkAcl {
  const { _changed: _c, ...rest } = a;
  return { ...rest, Associations: associations.map((x) => ({ ...x })) };
}

export function createDefaultNetworkAcl(
  ctx: RequestContext,
  vpc: { VpcId: string; Ipv6CidrBlockAssociationSet?: Vpc['Ipv6CidrBlockAssociationSet'] },
): NetworkAclRecord {
  const acl: NetworkAclRecord = {
    Entries: defaultEntries(hasIpv6Block(vpc)),
    IsDefault: true,
    NetworkAclId: newId('acl'),
    VpcId: vpc.VpcId,
    OwnerId: ctx.account,
  };
  return ctx.state.put('network-acl', acl.NetworkAclId, acl);
}

export function defaultNetworkAcl(ctx: RequestContext, vpcId: string): Readonly<NetworkAclRecord> | undefined {
  return ctx.state.list<NetworkAclRecord>('network-acl').find((a) => a.VpcId === vpcId && a.IsDefault);
}

/** Called by DeleteVpc once nothing blocks it: removes the default ACL. */
export function deleteVpcNetworkAcls(ctx: RequestContext, vpcId: string): void {
  for (const a of ctx.state.list<NetworkAclRecord>('network-acl')) {
    if (a.VpcId === vpcId) ctx.state.delete('network-acl', a.NetworkAclId);
  }
}

/** Every new subnet starts associated with its VPC's default ACL. */
export function associateDefaultNetworkAcl(ctx: RequestContext, subnet: { SubnetId: string; VpcId: string }): void {
  const def = defaultNetworkAcl(ctx, subnet.VpcId);
  if (def) associate(ctx, def.NetworkAclId, subnet.SubnetId);
}

/** A deleted subnet leaves whichever ACL it was associated with. */
export function removeSubnetFromNetworkAcls(ctx: RequestContext, subnetId: string): void {
  for (const a of ctx.state.listBy<AclAssociationRecord>(ASSOCIATION_KIND, 'SubnetId', subnetId)) {
    if (a.SubnetId === subnetId) ctx.state.delete(ASSOCIATION_KIND, a.NetworkAclAssociationId);
  }
}

/**
 * Called when an IPv6 block is associated with an existing VPC: every ACL of the VPC gets the
 * IPv6 `*` deny rules, and the default ACL gets rule 101 (allow all IPv6) in each direction
 * whose rules were never changed, as AWS does.
 */
export function addIpv6DefaultEntries(ctx: RequestContext, vpcId: string): void {
  for (const a of ctx.state.list<NetworkAclRecord>('network-acl')) {
    if (a.VpcId !== vpcId) continue;
    const acl = ctx.state.edit<NetworkAclRecord>('network-acl', a.NetworkAclId)!;
    const entries = [...(acl.Entries ?? [])];
    for (const egress of [true, false]) {
      const taken = (n: number) => entries.some((e) => !!e.Egress === egress && e.RuleNumber === n);
      if (acl.IsDefault && !acl._changed?.[direction(egress)] && !taken(ALLOW_ALL_IPV6)) {
        entries.push(allTraffic(egress, 'allow', ALLOW_ALL_IPV6, true));
      }
      if (!taken(DEFAULT_RULE_IPV6)) entries.push(allTraffic(egress, 'deny', DEFAULT_RULE_IPV6, true));
    }
    acl.Entries = sortEntries(entries);
  }
}

function getNetworkAcl(ctx: RequestContext, id: string | undefined): Readonly<NetworkAclRecord> {
  return requireRecord<NetworkAclRecord>(ctx.state, 'network-acl', id, 'NetworkAclId');
}

export function createNetworkAcl(ctx: RequestContext, input: CreateNetworkAclRequest): CreateNetworkAclResult {
  const vpc = requireRecord<Vpc & { VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const count = ctx.state.list<NetworkAclRecord>('network-acl').filter((a) => a.VpcId === vpc.VpcId).length;
  const limit = ctx.config.quotas.networkAclsPerVpc;
  if (count >= limit) {
    throw new ApiError('NetworkAclLimitExceeded', `The maximum number of network ACLs (${limit}) for VPC '${vpc.VpcId}' has been reached.`);
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'network-acl');
  const acl: NetworkAclRecord = {
    Entries: denyAllEntries(hasIpv6Block(vpc)),
    IsDefault: false,
    NetworkAclId: newId('acl'),
    VpcId: vpc.VpcId,
    OwnerId: ctx.account,
    Tags: tags,
  };
  ctx.state.put('network-acl', acl.NetworkAclId, acl);
  return { NetworkAcl: networkAclView(acl), ClientToken: input.ClientToken };
}

function checkRuleNumber(n: number | undefined): number {
  if (n === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter ruleNumber');
  if (!Number.isInteger(n) || n < 1 || n > MAX_RULE_NUMBER) {
    throw new ApiError('InvalidParameterValue', `Invalid value '${n}' for ruleNumber. Rule numbers must be between 1 and ${MAX_RULE_NUMBER}.`);
  }
  return n;
}

/** The API takes protocol numbers only ("-1" for all); names are refused, as EC2 does. */
function parseProtocol(value: string | undefined): string {
  if (value === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter protocol');
  const text = value.trim();
  const n = /^-?\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (n === -1 || (n >= 0 && n <= 255)) return String(n);
  throw new ApiError('InvalidParameterValue', `Invalid value '${value}' for IP protocol. Unknown protocol.`);
}

function parseEntryCidr(input: CreateNetworkAclEntryRequest): Pick<NetworkAclEntry, 'CidrBlock' | 'Ipv6CidrBlock'> {
  const v4 = input.CidrBlock;
  const v6 = input.Ipv6CidrBlock;
  if (v4 !== undefined && v6 !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'Only one of cidrBlock or ipv6CidrBlock may be specified.');
  }
  if (v4 === undefined && v6 === undefined) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter cidrBlock or ipv6CidrBlock');
  }
  if (v4 !== undefined) {
    const c = parseCidr(v4.trim());
    if (!c || c.version !== 4) {
      throw new ApiError('InvalidParameterValue', `Value (${v4}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    }
    return { CidrBlock: formatCidr(c) };
  }
  const c = parseCidr(v6!.trim());
  if (!c || c.version !== 6) {
    throw new ApiError('InvalidParameterValue', `Value (${v6}) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
  }
  return { Ipv6CidrBlock: formatCidr(c) };
}

function checkRange(value: number, min: number, max: number, message: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new ApiError('InvalidParameterValue', message);
  return value;
}

/** The entry a Create/ReplaceNetworkAclEntry request describes, checked as EC2 checks it. */
function parseEntry(input: CreateNetworkAclEntryRequest): NetworkAclEntry {
  const ruleNumber = checkRuleNumber(input.RuleNumber);
  const protocol = parseProtocol(input.Protocol);
  if (input.RuleAction !== 'allow' && input.RuleAction !== 'deny') {
    throw new ApiError('InvalidParameterValue', `Value (${String(input.RuleAction)}) for parameter ruleAction is invalid. Valid values: allow, deny`);
  }
  if (input.Egress === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter egress');
  const cidr = parseEntryCidr(input);
  const entry: NetworkAclEntry = {
    ...cidr,
    Egress: input.Egress,
    Protocol: protocol,
    RuleAction: input.RuleAction,
    RuleNumber: ruleNumber,
  };
  if (protocol === '6' || protocol === '17') {
    const from = input.PortRange?.From;
    const to = input.PortRange?.To;
    if (from === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter portRange.from');
    if (to === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter portRange.to');
    checkRange(from, 0, 65535, `Invalid value for portRange. The from port (${from}) is out of range (0-65535).`);
    checkRange(to, 0, 65535, `Invalid value for portRange. The to port (${to}) is out of range (0-65535).`);
    if (from > to) {
      throw new ApiError('InvalidParameterValue', `Invalid value for portRange. The from port (${from}) is greater than the to port (${to}).`);
    }
    entry.PortRange = { From: from, To: to };
  }
  // ICMP needs a type and code; so does ICMPv6 in an IPv6 rule (in an IPv4 rule it matches all types).
  if (protocol === '1' || (protocol === '58' && cidr.Ipv6CidrBlock !== undefined)) {
    const type = input.IcmpTypeCode?.Type;
    const code = input.IcmpTypeCode?.Code;
    if (type === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter icmpTypeCode.type');
    if (code === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter icmpTypeCode.code');
    checkRange(type, -1, 255, `Invalid value for icmpTypeCode. The ICMP type (${type}) is out of range (-1-255).`);
    checkRange(code, -1, 255, `Invalid value for icmpTypeCode. The ICMP code (${code}) is out of range (-1-255).`);
    entry.IcmpTypeCode = { Code: code, Type: type };
  }
  return entry;
}

function sameSlot(e: NetworkAclEntry, egress: boolean | undefined, ruleNumber: number | undefined): boolean {
  return !!e.Egress === !!egress && e.RuleNumber === ruleNumber;
}

function entryExists(n: number): ApiError {
  return new ApiError('NetworkAclEntryAlreadyExists', `The network acl entry identified by ${n} already exists.`);
}

function entryNotFound(n: number): ApiError {
  return new ApiError('InvalidNetworkAclEntry.NotFound', `The network acl entry identified by ${n} does not exist`);
}

/** Rules per ACL count per direction and per family (IPv4 / IPv6), the `*` rule included. */
function checkEntryQuota(ctx: RequestContext, entries: NetworkAclEntry[], entry: NetworkAclEntry): void {
  const limit = ctx.config.quotas.networkAclEntriesPerDirection;
  const used = entries.filter((e) => !!e.Egress === !!entry.Egress && isIpv6Entry(e) === isIpv6Entry(entry)).length;
  if (used >= limit) {
    throw new ApiError(
      'NetworkAclEntryLimitExceeded',
      `The maximum number of ${entry.Egress ? 'egress' : 'ingress'} ${isIpv6Entry(entry) ? 'IPv6' : 'IPv4'} rules (${limit}) for network ACL has been reached.`,
    );
  }
}

function markChanged(acl: NetworkAclRecord, egress: boolean | undefined): void {
  acl._changed = { ...acl._changed, [direction(egress)]: true };
}

export function createNetworkAclEntry(ctx: RequestContext, input: CreateNetworkAclEntryRequest): void {
  getNetworkAcl(ctx, input.NetworkAclId);
  const entry = parseEntry(input);
  const acl = ctx.state.edit<NetworkAclRecord>('network-acl', input.NetworkAclId!)!;
  const entries = acl.Entries ?? [];
  if (entries.some((e) => sameSlot(e, entry.Egress, entry.RuleNumber))) throw entryExists(entry.RuleNumber!);
  checkEntryQuota(ctx, entries, entry);
  acl.Entries = sortEntries([...entries, entry]);
  markChanged(acl, entry.Egress);
}

export function replaceNetworkAclEntry(ctx: RequestContext, input: ReplaceNetworkAclEntryRequest): void {
  getNetworkAcl(ctx, input.NetworkAclId);
  const entry = parseEntry(input);
  const acl = ctx.state.edit<NetworkAclRecord>('network-acl', input.NetworkAclId!)!;
  const entries = acl.Entries ?? [];
  const current = entries.find((e) => sameSlot(e, entry.Egress, entry.RuleNumber));
  if (!current) throw entryNotFound(entry.RuleNumber!);
  const others = entries.filter((e) => e !== current);
  checkEntryQuota(ctx, others, entry);
  acl.Entries = sortEntries([...others, entry]);
  markChanged(acl, entry.Egress);
}

export function deleteNetworkAclEntry(ctx: RequestContext, input: DeleteNetworkAclEntryRequest): void {
  getNetworkAcl(ctx, input.NetworkAclId);
  const ruleNumber = checkRuleNumber(input.RuleNumber);
  const acl = ctx.state.edit<NetworkAclRecord>('network-acl', input.NetworkAclId!)!;
  const entries = acl.Entries ?? [];
  const current = entries.find((e) => sameSlot(e, input.Egress, ruleNumber));
  if (!current || isStarRule(current)) throw entryNotFound(ruleNumber);
  acl.Entries = entries.filter((e) => e !== current);
  markChanged(acl, input.Egress);
}

export function replaceNetworkAclAssociation(
  ctx: RequestContext,
  input: ReplaceNetworkAclAssociationRequest,
): ReplaceNetworkAclAssociationResult {
  const assocId = input.AssociationId;
  if (!assocId) throw new ApiError('MissingParameter', 'The request must contain the parameter associationId');
  const target = getNetworkAcl(ctx, input.NetworkAclId);
  const current = ctx.state.get<AclAssociationRecord>(ASSOCIATION_KIND, assocId);
  const from = current && ctx.state.get<NetworkAclRecord>('network-acl', current.NetworkAclId);
  if (!current || !from) throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${assocId}' does not exist`);
  const subnetId = current.SubnetId;
  if (target.VpcId !== from.VpcId) {
    throw new ApiError(
      'InvalidParameterValue',
      `Network ACL ${target.NetworkAclId} and subnet ${subnetId} belong to different networks.`,
    );
  }
  ctx.state.delete(ASSOCIATION_KIND, assocId);
  return { NewAssociationId: associate(ctx, target.NetworkAclId, subnetId) };
}

export function deleteNetworkAcl(ctx: RequestContext, input: DeleteNetworkAclRequest): void {
  const acl = getNetworkAcl(ctx, input.NetworkAclId);
  if (acl.IsDefault) {
    throw new ApiError('InvalidParameterValue', `cannot delete default network ACL ${acl.NetworkAclId}`);
  }
  if (associationsOf(ctx, acl.NetworkAclId).length > 0) {
    throw new ApiError('DependencyViolation', `The networkAcl '${acl.NetworkAclId}' has dependencies and cannot be deleted.`);
  }
  ctx.state.delete('network-acl', acl.NetworkAclId);
}

function entries(a: NetworkAclRecord, read: (e: NetworkAclEntry) => FilterValue): string[] {
  return pluck(a.Entries, read);
}

const NETWORK_ACL_FILTERS = {
  // Records here are views: Associations filled in by describeNetworkAcls.
  'association.association-id': (a: NetworkAclRecord) => pluck(a.Associations, (x) => x.NetworkAclAssociationId),
  'association.network-acl-id': (a: NetworkAclRecord) => pluck(a.Associations, (x) => x.NetworkAclId),
  'association.subnet-id': (a: NetworkAclRecord) => pluck(a.Associations, (x) => x.SubnetId),
  default: (a: NetworkAclRecord) => a.IsDefault,
  'entry.cidr': (a: NetworkAclRecord) => entries(a, (e) => e.CidrBlock),
  'entry.egress': (a: NetworkAclRecord) => entries(a, (e) => e.Egress),
  'entry.icmp.code': (a: NetworkAclRecord) => entries(a, (e) => e.IcmpTypeCode?.Code),
  'entry.icmp.type': (a: NetworkAclRecord) => entries(a, (e) => e.IcmpTypeCode?.Type),
  'entry.ipv6-cidr': (a: NetworkAclRecord) => entries(a, (e) => e.Ipv6CidrBlock),
  'entry.port-range.from': (a: NetworkAclRecord) => entries(a, (e) => e.PortRange?.From),
  'entry.port-range.to': (a: NetworkAclRecord) => entries(a, (e) => e.PortRange?.To),
  // The protocol as a number, or for tcp/udp/icmp(v6) by name too.
  'entry.protocol': (a: NetworkAclRecord) => entries(a, (e) => [e.Protocol, PROTOCOL_NAMES[e.Protocol ?? '']]),
  'entry.rule-action': (a: NetworkAclRecord) => entries(a, (e) => e.RuleAction),
  'entry.rule-number': (a: NetworkAclRecord) => entries(a, (e) => e.RuleNumber),
  'network-acl-id': (a: NetworkAclRecord) => a.NetworkAclId,
  'owner-id': (a: NetworkAclRecord) => a.OwnerId,
  'vpc-id': (a: NetworkAclRecord) => a.VpcId,
};

export function describeNetworkAcls(ctx: RequestContext, input: DescribeNetworkAclsRequest): DescribeNetworkAclsResult {
  const byAcl = associationsByAcl(ctx);
  const views = selectByIds<NetworkAclRecord>(ctx.state, 'network-acl', input.NetworkAclIds).map(
    (a) => networkAclView(a, byAcl.get(a.NetworkAclId)) as NetworkAclRecord,
  );
  const page = paginate(applyFilters(views, input.Filters, NETWORK_ACL_FILTERS), input);
  return { NetworkAcls: page.items, NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateNetworkAcl: createNetworkAcl,
  CreateNetworkAclEntry: createNetworkAclEntry,
  ReplaceNetworkAclEntry: replaceNetworkAclEntry,
  DeleteNetworkAclEntry: deleteNetworkAclEntry,
  ReplaceNetworkAclAssociation: replaceNetworkAclAssociation,
  DeleteNetworkAcl: deleteNetworkAcl,
  DescribeNetworkAcls: describeNetworkAcls,
};
