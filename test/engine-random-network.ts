/**
 * Seeded random networks for the engine's property tests: a few VPCs (some peered), subnets
 * with their own or the main route table, routes to internet gateways, NAT gateways,
 * appliances, peering connections and blackholes, ordered ACL entries allowing and denying
 * random port ranges, security groups with random rules by CIDR, prefix list and group
 * reference, interfaces with and without public addresses, instances running or stopped.
 * The same seed always gives the same network.
 */
import type {
  AclEntryModel,
  InterfaceModel,
  NetworkModel,
  RouteModel,
  SecurityGroupRuleModel,
} from '../src/network/model.js';
import { emptyModel } from '../src/network/model.js';

/** mulberry32: small, fast, good enough for test data. */
export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';

/** Ports rules like to name, so that ranges meet and overlap. */
const FAVOURITE_PORTS = [0, 1, 22, 53, 80, 443, 1023, 1024, 3306, 5432, 8000, 8080, 32768, 49151, 49152, 49153, 60999, 65535];

export function randomPortRange(r: Rng): [number, number] {
  const lo = r.chance(0.5) ? r.pick(FAVOURITE_PORTS) : r.int(0, 65535);
  const span = r.pick([0, 0, 1, 10, 100, 1000, 20000, 65535]);
  return [lo, Math.min(65535, lo + span)];
}

/** Blocks rules name: the whole internet, halves of it, the VPCs, small blocks, the test clients. */
function randomCidr(r: Rng, vpcs: number): string {
  switch (r.int(0, 9)) {
    case 0:
    case 1:
      return '0.0.0.0/0';
    case 2:
      return r.pick(['0.0.0.0/1', '128.0.0.0/1', '192.0.0.0/2', '198.0.0.0/8', '198.51.100.0/24']);
    case 3:
      return '10.0.0.0/8';
    case 4:
      return `10.${r.int(0, vpcs - 1)}.0.0/16`;
    case 5:
      return `10.${r.int(0, vpcs - 1)}.${r.int(0, 3)}.0/24`;
    case 6:
      return `10.${r.int(0, vpcs - 1)}.${r.int(0, 3)}.${r.int(0, 255)}/32`;
    case 7:
      return r.pick(['54.0.0.0/8', '3.0.0.0/8', '93.184.216.0/24', '203.0.113.0/24']);
    default:
      return `${r.int(1, 223)}.${r.int(0, 255)}.0.0/16`;
  }
}

export function randomAclEntries(r: Rng, vpcs: number): AclEntryModel[] {
  const out: AclEntryModel[] = [];
  let n = 0;
  const count = r.int(0, 7);
  for (let k = 0; k < count; k++) {
    n += r.int(1, 40);
    const protocol = r.pick(['-1', '6', '6', '6', '17', '17', '1']);
    const e: AclEntryModel = { ruleNumber: n, action: r.chance(0.6) ? 'allow' : 'deny', protocol, cidr: randomCidr(r, vpcs) };
    if (protocol === '6' || protocol === '17') {
      const [a, b] = randomPortRange(r);
      e.fromPort = a;
      e.toPort = b;
    } else if (protocol === '1') {
      e.icmpType = r.pick([-1, 0, 8, 3]);
      e.icmpCode = r.pick([-1, 0]);
    }
    out.push(e);
  }
  // Usually something lets most traffic through, so that there is something to find.
  if (r.chance(0.85)) out.push({ ruleNumber: n + r.int(1, 40), action: 'allow', protocol: '-1', cidr: r.chance(0.8) ? '0.0.0.0/0' : randomCidr(r, vpcs) });
  out.push({ ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' });
  return out;
}

let ruleSeq = 0;

export function randomSgRules(r: Rng, vpcs: number, groupIds: string[], count: number, internet = false): SecurityGroupRuleModel[] {
  const out: SecurityGroupRuleModel[] = [];
  for (let k = 0; k < count; k++) {
    const protocol = r.pick(['tcp', 'tcp', 'tcp', 'udp', 'udp', 'icmp', '-1']);
    let fromPort = -1;
    let toPort = -1;
    if (protocol === 'tcp' || protocol === 'udp') [fromPort, toPort] = r.chance(0.2) ? [-1, -1] : randomPortRange(r);
    else if (protocol === 'icmp') [fromPort, toPort] = [r.pick([-1, 8, 0, 3]), r.pick([-1, 0])];
    const rule: SecurityGroupRuleModel = { id: `sgr-${++ruleSeq}`, protocol, fromPort, toPort };
    const kind = r.int(0, 9);
    if (kind <= 1 && groupIds.length > 0) rule.groupId = r.pick(groupIds);
    else if (kind === 2) {
      rule.prefixListId = `pl-${r.int(1, 3)}`;
      rule.prefixListCidrs = [randomCidr(r, vpcs), randomCidr(r, vpcs)];
    } else if (internet && r.chance(0.4)) rule.cidr = '0.0.0.0/0';
    else rule.cidr = r.chance(0.5) ? r.pick(['0.0.0.0/0', '10.0.0.0/8', `10.${r.int(0, vpcs - 1)}.0.0/16`]) : randomCidr(r, vpcs);
    out.push(rule);
  }
  return out;
}

export function randomRoutes(
  r: Rng,
  ctx: { vpc: number; vpcs: number; cidr: string; igw: string; nat?: string; enis: string[]; peerings: { id: string; peer: number }[]; internet?: boolean },
): RouteModel[] {
  const routes: RouteModel[] = [{ destination: ctx.cidr, target: { kind: 'local', id: 'local' }, state: 'active', origin: 'CreateRouteTable' }];
  const seen = new Set<string>([ctx.cidr]);
  const push = (destination: string, target: RouteModel['target'], state: RouteModel['state'] = 'active') => {
    if (seen.has(destination)) return;
    seen.add(destination);
    routes.push({ destination, target, state, origin: 'CreateRoute' });
  };
  // The default route: usually the internet gateway, else NAT, an appliance, a blackhole or nothing.
  const d = r.int(0, 9);
  if (d <= 5 || (ctx.internet && r.chance(0.7))) push('0.0.0.0/0', { kind: 'igw', id: ctx.igw });
  else if (d === 6 && ctx.nat) push('0.0.0.0/0', { kind: 'nat', id: ctx.nat });
  else if (d === 7 && ctx.enis.length > 0) push('0.0.0.0/0', { kind: 'eni', id: r.pick(ctx.enis) });
  else if (d === 8) push('0.0.0.0/0', { kind: 'igw', id: ctx.igw }, 'blackhole');
  for (const p of ctx.peerings) if (r.chance(0.8)) push(`10.${p.peer}.0.0/16`, { kind: 'pcx', id: p.id });
  const extra = r.int(0, 3);
  for (let k = 0; k < extra; k++) {
    const cidr = randomCidr(r, ctx.vpcs);
    if (cidr.startsWith(`10.${ctx.vpc}.`)) continue;
    const kind = r.int(0, 5);
    if (kind <= 1) push(cidr, { kind: 'igw', id: ctx.igw });
    else if (kind === 2) push(cidr, { kind: 'igw', id: ctx.igw }, 'blackhole');
    else if (kind === 3 && ctx.nat) push(cidr, { kind: 'nat', id: ctx.nat });
    else if (kind === 4 && ctx.enis.length > 0) push(cidr, { kind: 'eni', id: r.pick(ctx.enis) });
    else if (ctx.peerings.length > 0) push(cidr, { kind: 'pcx', id: r.pick(ctx.peerings).id });
  }
  return routes;
}

export interface RandomNetwork {
  model: NetworkModel;
  /** Interfaces that carry traffic of their own (not NAT gateways'). */
  interfaces: InterfaceModel[];
}

/** `internet`: internet-facing networks (gateways attached, default routes and rules open to the internet more often). */
export function randomNetwork(seed: number, opts: { internet?: boolean } = {}): RandomNetwork {
  const internet = opts.internet ?? false;
  const r = new Rng(seed);
  const m = emptyModel();
  const vpcs = r.int(1, 3);
  let pub = 0;
  const peerings: { id: string; a: number; b: number; status: string }[] = [];
  for (let a = 0; a < vpcs; a++) {
    for (let b = a + 1; b < vpcs; b++) {
      if (r.chance(0.6)) peerings.push({ id: `pcx-${a}${b}`, a, b, status: r.chance(0.85) ? 'active' : 'pending-acceptance' });
    }
  }
  const end = (v: number) => ({ account: ACCOUNT, region: REGION, vpcId: `vpc-${v}`, cidrs: [`10.${v}.0.0/16`], ipv6Cidrs: [] });
  for (const p of peerings) m.peeringConnections.push({ id: p.id, status: p.status, requester: end(p.a), accepter: end(p.b) });

  for (let v = 0; v < vpcs; v++) {
    const vpcId = `vpc-${v}`;
    const cidr = `10.${v}.0.0/16`;
    m.vpcs.push({ id: vpcId, account: ACCOUNT, region: REGION, cidrs: [cidr], ipv6Cidrs: [] });
    const igw = `igw-${v}`;
    // Usually attached to its VPC; sometimes detached.
    m.internetGateways.push({ id: igw, account: ACCOUNT, region: REGION, vpcId: internet || r.chance(0.85) ? vpcId : undefined });

    // Security groups of the VPC.
    const groups = Array.from({ length: r.int(1, 4) }, (_, g) => `sg-${v}-${g}`);
    for (const g of groups) {
      const egress: SecurityGroupRuleModel[] = r.chance(0.8)
        ? [{ id: `sgr-${g}-out`, protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }]
        : randomSgRules(r, vpcs, groups, r.int(0, 4));
      m.securityGroups.push({ id: g, name: g, vpcId, account: ACCOUNT, region: REGION, ingress: randomSgRules(r, vpcs, groups, r.int(1, 8), internet), egress });
    }

    // ACLs.
    const acls = Array.from({ length: r.int(1, 2) }, (_, k) => `acl-${v}-${k}`);
    for (const [k, id] of acls.entries()) {
      m.networkAcls.push({ id, vpcId, isDefault: k === 0, ingress: randomAclEntries(r, vpcs), egress: randomAclEntries(r, vpcs) });
    }

    // Subnets and interfaces.
    const subnets = r.int(1, 3);
    const enis: string[] = [];
    const tables: string[] = [`rtb-${v}-main`];
    if (r.chance(0.6)) tables.push(`rtb-${v}-1`);
    let natId: string | undefined;
    for (let s = 0; s < subnets; s++) {
      const subnetId = `subnet-${v}-${s}`;
      m.subnets.push({
        id: subnetId,
        vpcId,
        cidr: `10.${v}.${s}.0/24`,
        availabilityZone: 'us-east-1a',
        routeTableId: r.chance(0.5) ? r.pick(tables) : undefined,
        networkAclId: r.pick(acls),
      });
      const n = r.int(1, 4);
      for (let k = 0; k < n; k++) {
        const id = `eni-${v}-${s}-${k}`;
        const priv = `10.${v}.${s}.${10 + k}`;
        const privateIps = [priv];
        if (r.chance(0.1)) privateIps.push(`10.${v}.${s}.${100 + k}`);
        const publicIps: Record<string, string> = {};
        for (const p of privateIps) {
          if (!r.chance(0.55)) continue;
          // Rarely, an address another interface also claims (a stale mapping).
          publicIps[p] = pub > 0 && r.chance(0.03) ? `54.${v}.${s}.${pub}` : `54.${v}.${s}.${++pub}`;
        }
        const running = r.chance(0.97);
        const instanceId = r.chance(0.85) ? `i-${v}-${s}-${k}` : undefined;
        m.interfaces.push({
          id,
          account: ACCOUNT,
          region: REGION,
          vpcId,
          subnetId,
          privateIps,
          publicIps,
          ipv6Addresses: [],
          groupIds: r.chance(0.05) ? [] : [...new Set([r.pick(groups), ...(r.chance(0.3) ? [r.pick(groups)] : [])])],
          sourceDestCheck: r.chance(0.7),
          type: 'interface',
          attached: r.chance(0.98),
          instanceId,
        });
        if (instanceId) m.instances.push({ id: instanceId, account: ACCOUNT, region: REGION, state: running ? 'running' : 'stopped', vpcId, subnetId, interfaceIds: [id] });
        enis.push(id);
      }
      if (s === 0 && r.chance(0.4)) {
        natId = `nat-${v}`;
        const natIp = `10.${v}.${s}.250`;
        const natPub = `52.0.${v}.1`;
        m.interfaces.push({
          id: `eni-nat-${v}`,
          account: ACCOUNT,
          region: REGION,
          vpcId,
          subnetId,
          privateIps: [natIp],
          publicIps: { [natIp]: natPub },
          ipv6Addresses: [],
          groupIds: [],
          sourceDestCheck: false,
          type: 'nat_gateway',
          attached: true,
          natGatewayId: natId,
        });
        m.natGateways.push({ id: natId, vpcId, subnetId, connectivity: 'public', state: 'available', interfaceId: `eni-nat-${v}`, privateIp: natIp, publicIp: natPub });
      }
    }
    const myPeerings = peerings.filter((p) => p.a === v || p.b === v).map((p) => ({ id: p.id, peer: p.a === v ? p.b : p.a }));
    for (const [k, id] of tables.entries()) {
      const gatewayIds: string[] = [];
      // Rarely, an edge-associated table routes the internet gateway's inbound traffic.
      if (k === 1 && r.chance(0.2)) gatewayIds.push(igw);
      m.routeTables.push({ id, vpcId, main: k === 0, gatewayIds, routes: randomRoutes(r, { vpc: v, vpcs, cidr, igw, nat: natId, enis, peerings: myPeerings, internet }) });
    }
  }
  return { model: m, interfaces: m.interfaces.filter((i) => i.type === 'interface') };
}
