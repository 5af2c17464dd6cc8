/**
 * The EC2 resource kinds vpcsim stores: their ID prefix, the error codes AWS uses for a
 * missing or malformed ID, and their tag resource type. One table, used by lookups,
 * Describe* ID lists, tagging and DescribeTags.
 */
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import type { ScopedState } from '../../state/store.js';

export interface ResourceKind {
  /** Storage kind, also the tag `resource-type` (e.g. "vpc", "route-table"). */
  kind: string;
  /** ID prefix, e.g. "vpc" for vpc-0123456789abcdef0. */
  prefix: string;
  /** Error code stem: `${code}.NotFound`, `${code}.Malformed`. */
  code: string;
  /** Noun in AWS's not-found message: "The vpc ID 'vpc-1' does not exist". */
  noun: string;
  /** Overrides for kinds whose codes do not follow the stem pattern. */
  notFoundCode?: string;
  malformedCode?: string;
  /** Member of the record holding its ID. */
  idField: string;
  /** False for kinds that cannot carry tags. */
  taggable?: boolean;
  /** The resource type tags report when it differs from `kind` (NAT gateways: "natgateway"). */
  tagType?: string;
}

const KINDS: ResourceKind[] = [
  { kind: 'vpc', prefix: 'vpc', code: 'InvalidVpcID', noun: 'vpc ID', idField: 'VpcId' },
  { kind: 'subnet', prefix: 'subnet', code: 'InvalidSubnetID', noun: 'subnet ID', idField: 'SubnetId' },
  { kind: 'route-table', prefix: 'rtb', code: 'InvalidRouteTableID', noun: 'routeTable ID', idField: 'RouteTableId' },
  {
    kind: 'internet-gateway',
    prefix: 'igw',
    code: 'InvalidInternetGatewayID',
    noun: 'internetGateway ID',
    idField: 'InternetGatewayId',
  },
  {
    kind: 'egress-only-internet-gateway',
    prefix: 'eigw',
    code: 'InvalidGatewayID',
    noun: 'gateway ID',
    idField: 'EgressOnlyInternetGatewayId',
  },
  { kind: 'elastic-ip', prefix: 'eipalloc', code: 'InvalidAllocationID', noun: 'allocation ID', idField: 'AllocationId' },
  { kind: 'dhcp-options', prefix: 'dopt', code: 'InvalidDhcpOptionID', noun: 'dhcpOption ID', idField: 'DhcpOptionsId' },
  { kind: 'network-acl', prefix: 'acl', code: 'InvalidNetworkAclID', noun: 'networkAcl ID', idField: 'NetworkAclId' },
  {
    kind: 'security-group',
    prefix: 'sg',
    code: 'InvalidGroup',
    noun: 'security group',
    malformedCode: 'InvalidGroupId.Malformed',
    idField: 'GroupId',
  },
  {
    kind: 'network-interface',
    prefix: 'eni',
    code: 'InvalidNetworkInterfaceID',
    noun: 'networkInterface ID',
    idField: 'NetworkInterfaceId',
  },
  { kind: 'instance', prefix: 'i', code: 'InvalidInstanceID', noun: 'instance ID', idField: 'InstanceId' },
];

const byKind = new Map<string, ResourceKind>();
const byPrefix = new Map<string, ResourceKind>();

export function registerKind(k: ResourceKind): ResourceKind {
  byKind.set(k.kind, k);
  byPrefix.set(k.prefix, k);
  return k;
}
for (const k of KINDS) registerKind(k);

export function kindOf(kind: string): ResourceKind {
  const k = byKind.get(kind);
  if (!k) throw new Error(`unknown resource kind ${kind}`);
  return k;
}

export function kindForId(id: string): ResourceKind | undefined {
  const dash = id.indexOf('-');
  return dash > 0 ? byPrefix.get(id.slice(0, dash)) : undefined;
}

export function allKinds(): ResourceKind[] {
  return [...byKind.values()];
}

/** Random bytes drawn in blocks: one call to the generator serves many IDs. */
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A new AWS-style ID: prefix + '-' + 17 lowercase hex digits. */
export function newId(prefix: string): string {
  return `${prefix}-${randomHex(9).slice(0, 17)}`;
}

const ID_BODY = /^[0-9a-f]{8}([0-9a-f]{9})?$/;

export function isWellFormedId(kind: ResourceKind, id: string): boolean {
  return id.startsWith(`${kind.prefix}-`) && ID_BODY.test(id.slice(kind.prefix.length + 1));
}

export function notFound(kind: ResourceKind, ids: string[]): ApiError {
  const code = kind.notFoundCode ?? `${kind.code}.NotFound`;
  if (ids.length === 1) return new ApiError(code, `The ${kind.noun} '${ids[0]}' does not exist`);
  return new ApiError(code, `The ${kind.noun}s '${ids.join(', ')}' do not exist`);
}

export function malformed(kind: ResourceKind, id: string): ApiError {
  const code = kind.malformedCode ?? `${kind.code}.Malformed`;
  return new ApiError(code, `Invalid id: "${id}" (expecting "${kind.prefix}-...")`);
}

export function checkIdShape(kind: ResourceKind, id: string): void {
  if (!isWellFormedId(kind, id)) throw malformed(kind, id);
}

/** The record with this ID, or the AWS error for a malformed or unknown ID. */
export function requireRecord<T>(state: ScopedState, kindName: string, id: string | undefined, param?: string): Readonly<T> {
  const kind = kindOf(kindName);
  if (id === undefined || id === '') {
    throw new ApiError('MissingParameter', `The request must contain the parameter ${param ?? kind.idField}`);
  }
  checkIdShape(kind, id);
  const rec = state.get<T>(kind.kind, id);
  if (!rec) throw notFound(kind, [id]);
  return rec;
}

/** `requireRecord`, returning a private copy to change (saved on commit). */
export function editRecord<T>(state: ScopedState, kindName: string, id: string | undefined, param?: string): T {
  requireRecord<T>(state, kindName, id, param);
  return state.edit<T>(kindName, id!)!;
}

/**
 * The records a Describe* call asks for: all of them, or exactly the IDs given (every one
 * must exist, else the NotFound error naming the missing ones).
 */
export function selectByIds<T>(state: ScopedState, kindName: string, ids: string[] | undefined): Readonly<T>[] {
  const kind = kindOf(kindName);
  if (!ids || ids.length === 0) return state.list<T>(kind.kind);
  const unique = [...new Set(ids)];
  for (const id of unique) checkIdShape(kind, id);
  const out: Readonly<T>[] = [];
  const missing: string[] = [];
  for (const id of unique) {
    const r = state.get<T>(kind.kind, id);
    if (r) out.push(r);
    else missing.push(id);
  }
  if (missing.length) throw notFound(kind, missing);
  return out;
}
