/**
 * The network engine benchmark: a generated network (VPCs peered in a chain, public and
 * private subnets, custom ACLs, security groups of 20 rules referencing CIDRs and groups,
 * internet and NAT gateways), compiled once, then concrete traces on one core.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/engine.js [--interfaces N] [--seconds S]
 *
 * Prints the model size, compile time and memory, and traces per second of CPU time (so
 * that other work on the machine does not count) for several kinds of path; each trace
 * includes its reply path.
 */
import { compile } from '../src/network/compile.js';
import { formatIpv4 } from '../src/network/cidr.js';
import {
  type AclEntryModel,
  emptyModel,
  type NetworkModel,
  type RouteModel,
  type SecurityGroupRuleModel,
} from '../src/network/model.js';
import { resolveRequest, trace, traceResolved, type TraceRequest } from '../src/network/trace.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const INTERFACES = arg('interfaces', 10_000);
const SECONDS = arg('seconds', 1.5);
const VPCS = 20;
const SUBNETS_PER_VPC = 25;
const GROUPS_PER_VPC = 50;
const RULES_PER_GROUP = 20;

function ip(a: number, b: number, c: number, d: number): string {
  return `${a}.${b}.${c}.${d}`;
}

/** A deterministic network of about INTERFACES interfaces. */
function generate(): NetworkModel {
  const m = emptyModel();
  const perVpc = Math.ceil(INTERFACES / VPCS);
  const perSubnet = Math.ceil(perVpc / SUBNETS_PER_VPC);
  let pub = 0;
  for (let v = 0; v < VPCS; v++) {
    const vpcId = `vpc-${v}`;
    const cidr = `10.${v}.0.0/16`;
    m.vpcs.push({ id: vpcId, account: '111111111111', region: 'us-east-1', cidrs: [cidr], ipv6Cidrs: [] });
    const igw = `igw-${v}`;
    m.internetGateways.push({ id: igw, account: '111111111111', region: 'us-east-1', vpcId });
    const peerRoutes: RouteModel[] = [];
    if (v > 0) peerRoutes.push({ destination: `10.${v - 1}.0.0/16`, target: { kind: 'pcx', id: `pcx-${v - 1}` }, state: 'active' });
    if (v < VPCS - 1) peerRoutes.push({ destination: `10.${v + 1}.0.0/16`, target: { kind: 'pcx', id: `pcx-${v}` }, state: 'active' });
    const local: RouteModel = { destination: cidr, target: { kind: 'local', id: 'local' }, state: 'active', origin: 'CreateRouteTable' };
    m.routeTables.push({
      id: `rtb-pub-${v}`,
      vpcId,
      main: true,
      gatewayIds: [],
      routes: [local, { destination: '0.0.0.0/0', target: { kind: 'igw', id: igw }, state: 'active' }, ...peerRoutes],
    });
    m.routeTables.push({
      id: `rtb-priv-${v}`,
      vpcId,
      main: false,
      gatewayIds: [],
      routes: [local, { destination: '0.0.0.0/0', target: { kind: 'nat', id: `nat-${v}` }, state: 'active' }, ...peerRoutes],
    });
    // A custom ACL: a few denies, then allow the VPC ranges, web ports and ephemeral ports.
    const acl = (egress: boolean): AclEntryModel[] => [
      { ruleNumber: 50, action: 'deny', protocol: '6', cidr: '203.0.113.0/24', fromPort: 0, toPort: 65535 },
      { ruleNumber: 60, action: 'deny', protocol: '17', cidr: '0.0.0.0/0', fromPort: 19, toPort: 19 },
      { ruleNumber: 100, action: 'allow', protocol: '-1', cidr: '10.0.0.0/8' },
      { ruleNumber: 110, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 443, toPort: 443 },
      { ruleNumber: 120, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 1024, toPort: 65535 },
      { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
    ].map((e) => ({ ...e }) as AclEntryModel);
    m.networkAcls.push({ id: `acl-${v}`, vpcId, isDefault: false, ingress: acl(false), egress: acl(true) });
    for (let g = 0; g < GROUPS_PER_VPC; g++) {
      const ingress: SecurityGroupRuleModel[] = [];
      for (let r = 0; r < RULES_PER_GROUP - 2; r++) {
        ingress.push({ id: `sgr-${v}-${g}-${r}`, protocol: 'tcp', fromPort: 8000 + r, toPort: 8000 + r, cidr: `10.${(v + r) % VPCS}.${r}.0/24` });
      }
      ingress.push({ id: `sgr-${v}-${g}-ref`, protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: `sg-${v}-${(g + 1) % GROUPS_PER_VPC}` });
      ingress.push({ id: `sgr-${v}-${g}-https`, protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' });
      m.securityGroups.push({
        id: `sg-${v}-${g}`,
        name: `g${g}`,
        vpcId,
        account: '111111111111',
        region: 'us-east-1',
        ingress,
        egress: [{ id: `sgr-${v}-${g}-out`, protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }],
      });
    }
    for (let s = 0; s < SUBNETS_PER_VPC; s++) {
      const subnetId = `subnet-${v}-${s}`;
      const isPublic = s === 0;
      m.subnets.push({
        id: subnetId,
        vpcId,
        cidr: `10.${v}.${s}.0/24`,
        availabilityZone: 'us-east-1a',
        routeTableId: isPublic ? `rtb-pub-${v}` : `rtb-priv-${v}`,
        networkAclId: `acl-${v}`,
      });
      for (let k = 0; k < perSubnet && k < 250; k++) {
        const id = `eni-${v}-${s}-${k}`;
        const priv = ip(10, v, s, k + 4);
        const publicIps: Record<string, string> = {};
        if (isPublic) publicIps[priv] = formatIpv4((0x03000000 + ++pub) >>> 0);
        m.interfaces.push({
          id,
          account: '111111111111',
          region: 'us-east-1',
          vpcId,
          subnetId,
          privateIps: [priv],
          publicIps,
          ipv6Addresses: [],
          groupIds: [`sg-${v}-${(s * 7 + k) % GROUPS_PER_VPC}`],
          sourceDestCheck: true,
          type: 'interface',
          attached: true,
          instanceId: `i-${v}-${s}-${k}`,
        });
        m.instances.push({ id: `i-${v}-${s}-${k}`, account: '111111111111', region: 'us-east-1', state: 'running', interfaceIds: [id] });
      }
    }
    // The NAT gateway in the public subnet.
    const natIp = ip(10, v, 0, 254);
    const natPub = formatIpv4((0x04000000 + v) >>> 0);
    m.interfaces.push({
      id: `eni-nat-${v}`,
      account: '111111111111',
      region: 'us-east-1',
      vpcId,
      subnetId: `subnet-${v}-0`,
      privateIps: [natIp],
      publicIps: { [natIp]: natPub },
      ipv6Addresses: [],
      groupIds: [],
      sourceDestCheck: false,
      type: 'nat_gateway',
      attached: true,
      natGatewayId: `nat-${v}`,
    });
    m.natGateways.push({
      id: `nat-${v}`,
      vpcId,
      subnetId: `subnet-${v}-0`,
      connectivity: 'public',
      state: 'available',
      interfaceId: `eni-nat-${v}`,
      privateIp: natIp,
      publicIp: natPub,
    });
    if (v > 0) {
      const end = (i: number) => ({ account: '111111111111', region: 'us-east-1', vpcId: `vpc-${i}`, cidrs: [`10.${i}.0.0/16`], ipv6Cidrs: [] });
      m.peeringConnections.push({ id: `pcx-${v - 1}`, status: 'active', requester: end(v - 1), accepter: end(v) });
    }
  }
  return m;
}

/** CPU seconds this process has used (user + system): fair on a shared machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function measure(name: string, requests: TraceRequest[], run: (r: TraceRequest) => unknown): number {
  // Warm up, then count batches until SECONDS of CPU time are spent.
  for (let i = 0; i < Math.min(requests.length * 5, 20_000); i++) run(requests[i % requests.length]!);
  let n = 0;
  const start = cpuSeconds();
  let used = 0;
  while (used < SECONDS) {
    for (let i = 0; i < 2000; i++) run(requests[(n + i) % requests.length]!);
    n += 2000;
    used = cpuSeconds() - start;
  }
  const perSec = n / used;
  console.log(`${name.padEnd(58)} ${Math.round(perSec).toLocaleString('en-US').padStart(12)} traces/s  ${(1e6 / perSec).toFixed(2).padStart(6)} µs/trace`);
  return perSec;
}

function main(): void {
  const t0 = cpuSeconds();
  const model = generate();
  const t1 = cpuSeconds();
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const net = compile(model);
  const t2 = cpuSeconds();
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `network: ${model.vpcs.length} VPCs, ${model.subnets.length} subnets, ${model.interfaces.length} interfaces, ` +
      `${model.securityGroups.length} security groups × ${RULES_PER_GROUP} rules, ${model.peeringConnections.length} peering connections`,
  );
  console.log(
    `generate ${((t1 - t0) * 1000).toFixed(1)} ms; compile ${((t2 - t1) * 1000).toFixed(1)} ms (CPU); ` +
      `compiled heap ≈ ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB${global.gc ? '' : ' (run with --expose-gc for a steadier figure)'}`,
  );

  const ifaces = model.interfaces.filter((i) => i.type === 'interface');
  const inVpc = (v: number) => ifaces.filter((i) => i.vpcId === `vpc-${v}`);
  const sameSubnet: TraceRequest[] = [];
  const crossSubnet: TraceRequest[] = [];
  const peered: TraceRequest[] = [];
  const internetOut: TraceRequest[] = [];
  const natOut: TraceRequest[] = [];
  const internetIn: TraceRequest[] = [];
  const blocked: TraceRequest[] = [];
  for (let k = 0; k < 2000; k++) {
    const v = k % VPCS;
    const list = inVpc(v);
    const a = list[(k * 7) % list.length]!;
    const sib = list.find((x) => x.subnetId === a.subnetId && x !== a)!;
    const other = list[(k * 13 + 101) % list.length]!;
    sameSubnet.push({ source: a.id, destination: sib.privateIps[0]!, protocol: 'tcp', destinationPort: 443 });
    crossSubnet.push({ source: a.id, destination: other.privateIps[0]!, protocol: 'tcp', destinationPort: 443 });
    blocked.push({ source: a.id, destination: other.privateIps[0]!, protocol: 'tcp', destinationPort: 3306 });
    const peer = inVpc(v === VPCS - 1 ? v - 1 : v + 1);
    peered.push({ source: a.id, destination: peer[(k * 11) % peer.length]!.privateIps[0]!, protocol: 'tcp', destinationPort: 443 });
    const pubs = list.filter((x) => Object.keys(x.publicIps).length > 0);
    const privs = list.filter((x) => Object.keys(x.publicIps).length === 0);
    internetOut.push({ source: pubs[k % pubs.length]!.id, destination: '93.184.216.34', protocol: 'tcp', destinationPort: 443 });
    natOut.push({ source: privs[k % privs.length]!.id, destination: '93.184.216.34', protocol: 'tcp', destinationPort: 443 });
    const p = pubs[(k * 3) % pubs.length]!;
    internetIn.push({ source: `internet:198.51.100.${(k % 250) + 1}`, destination: Object.values(p.publicIps)[0]!, protocol: 'tcp', destinationPort: 443 });
  }
  // Sanity: the paths are the ones meant.
  const verdicts = (rs: TraceRequest[]) => new Set(rs.slice(0, 200).map((r) => trace(net, r).verdict));
  for (const [name, rs, want] of [
    ['same subnet', sameSubnet, 'accepted'],
    ['cross subnet', crossSubnet, 'accepted'],
    ['peered', peered, 'accepted'],
    ['internet out', internetOut, 'accepted'],
    ['nat out', natOut, 'accepted'],
    ['internet in', internetIn, 'accepted'],
    ['blocked', blocked, 'dropped'],
  ] as const) {
    const v = verdicts(rs);
    if (v.size !== 1 || !v.has(want)) throw new Error(`${name}: expected all ${want}, got ${[...v].join(', ')}`);
  }

  const resolved = sameSubnet.map((r) => resolveRequest(net, r));
  let ri = 0;
  measure('intra-VPC, same subnet, pre-resolved packet (both ways)', sameSubnet, () => {
    const r = resolved[ri++ % resolved.length]!;
    return traceResolved(net, r.source, { ...r.pkt });
  });
  measure('intra-VPC, same subnet (request by ID and address)', sameSubnet, (r) => trace(net, r));
  measure('intra-VPC, across subnets (ACLs both ways)', crossSubnet, (r) => trace(net, r));
  measure('intra-VPC, blocked by the security group', blocked, (r) => trace(net, r));
  measure('peered VPC', peered, (r) => trace(net, r));
  measure('to the internet through the internet gateway', internetOut, (r) => trace(net, r));
  measure('to the internet through the NAT gateway', natOut, (r) => trace(net, r));
  measure('from the internet to a public address', internetIn, (r) => trace(net, r));
}

main();
