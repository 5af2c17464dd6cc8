/**
 * The load test: one `vpcsim serve` process (SQLite store, fresh data directory, loopback
 * only) held under a mixed read/write workload from many concurrent SDK clients for a bounded
 * time. Every 10 s it samples throughput, p50/p99 latency, errors, and the server's CPU and
 * resident memory. It fails (exit 1) on any error or when the server's memory keeps growing
 * (its peak RSS in the last third of the run above the peak of the middle third by more than a
 * small tolerance).
 *
 *   npm run bench:load                       180 s, 32 clients, writes the Load section of docs/benchmarks.md
 *   npm run bench:load -- --seconds 30       a shorter run
 *   options: --seconds N  --clients N  --interval S  --warmup S  --no-write
 *
 * Each client works on resources of its own (a VPC, a security group, an instance, subnets
 * in its own range), so every request is expected to succeed: an error is a fault.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../test/process.js';
import { writeSection } from './report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

const SECONDS = arg('seconds', 180);
const CLIENTS = arg('clients', 32);
const INTERVAL_S = arg('interval', 10);
/** Seconds of the mix run first and not measured (JIT warm-up of clients and server). */
const WARMUP_S = arg('warmup', 10);
const WRITE_DOC = !process.argv.includes('--no-write');
const AMI = 'ami-0a2023c0ffee0a864';
/** Subnet slots per client: /28s in 10.<client>.1.0/24. */
const SLOTS = 16;
/** Ports a client toggles rules for (each an ingress rule of its group). */
const PORTS = 20;
/** Tag keys a client toggles on its VPC. */
const TAG_KEYS = 10;
/** RSS growth allowed over the last third of the run: the larger of these. */
const RSS_TOLERANCE_MIB = 16;
const RSS_TOLERANCE_RATIO = 0.1;

const TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

function serverCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function serverRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A small deterministic generator, one per client. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface Client {
  n: number;
  ec2: EC2Client;
  random: () => number;
  vpcId: string;
  groupId: string;
  /** Slot → subnet ID while it exists. */
  subnets: Map<number, string>;
  ports: Set<number>;
  tags: Set<number>;
}

interface Sample {
  t: number;
  requests: number;
  /** Requests per second over the interval. */
  rate: number;
  errors: number;
  p50: number;
  p99: number;
  cpuPercent: number;
  /** The clients' process, for comparison (100% = one core). */
  clientCpuPercent: number;
  rssMiB: number;
}

/** What each operation counts as in the report. */
type Kind = 'read' | 'write';

async function setUp(ec2: EC2Client, n: number): Promise<Client> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }))).Vpc!.VpcId!;
  const base = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${n}.0.0/24` }))).Subnet!.SubnetId!;
  const groupId = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `load-${n}`, Description: 'load test' }))).GroupId!;
  await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: base, SecurityGroupIds: [groupId] }));
  return { n, ec2, random: rng(0x9e3779b9 ^ (n * 2654435761)), vpcId, groupId, subnets: new Map(), ports: new Set(), tags: new Set() };
}

/** One request of the mix: about 70% reads, 30% writes that undo each other over time. */
function nextOperation(c: Client): { kind: Kind; run: () => Promise<unknown> } {
  const r = c.random();
  const { ec2 } = c;
  const byVpc = [{ Name: 'vpc-id', Values: [c.vpcId] }];
  if (r < 0.12) return { kind: 'read', run: () => ec2.send(new DescribeVpcsCommand({ VpcIds: [c.vpcId] })) };
  if (r < 0.18) return { kind: 'read', run: () => ec2.send(new DescribeVpcsCommand({})) };
  if (r < 0.3) return { kind: 'read', run: () => ec2.send(new DescribeSubnetsCommand({ Filters: byVpc })) };
  if (r < 0.42) return { kind: 'read', run: () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [c.groupId] })) };
  if (r < 0.48) {
    const filters = [{ Name: 'group-id', Values: [c.groupId] }];
    return { kind: 'read', run: () => ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: filters })) };
  }
  if (r < 0.6) return { kind: 'read', run: () => ec2.send(new DescribeInstancesCommand({ Filters: byVpc })) };
  if (r < 0.7) {
    const filters = [{ Name: 'resource-id', Values: [c.vpcId] }];
    return { kind: 'read', run: () => ec2.send(new DescribeTagsCommand({ Filters: filters })) };
  }
  if (r < 0.8) {
    const slot = Math.floor(c.random() * SLOTS);
    const existing = c.subnets.get(slot);
    if (existing) {
      return {
        kind: 'write',
        run: async () => {
          await ec2.send(new DeleteSubnetCommand({ SubnetId: existing }));
          c.subnets.delete(slot);
        },
      };
    }
    return {
      kind: 'write',
      run: async () => {
        const out = await ec2.send(new CreateSubnetCommand({ VpcId: c.vpcId, CidrBlock: `10.${c.n}.1.${slot * 16}/28` }));
        c.subnets.set(slot, out.Subnet!.SubnetId!);
      },
    };
  }
  if (r < 0.9) {
    const port = 1000 + Math.floor(c.random() * PORTS);
    const perms = [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];
    if (c.ports.has(port)) {
      return {
        kind: 'write',
        run: async () => {
          await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: c.groupId, IpPermissions: perms }));
          c.ports.delete(port);
        },
      };
    }
    return {
      kind: 'write',
      run: async () => {
        await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: c.groupId, IpPermissions: perms }));
        c.ports.add(port);
      },
    };
  }
  const key = Math.floor(c.random() * TAG_KEYS);
  if (c.tags.has(key)) {
    return {
      kind: 'write',
      run: async () => {
        await ec2.send(new DeleteTagsCommand({ Resources: [c.vpcId], Tags: [{ Key: `k${key}` }] }));
        c.tags.delete(key);
      },
    };
  }
  return {
    kind: 'write',
    run: async () => {
      await ec2.send(new CreateTagsCommand({ Resources: [c.vpcId], Tags: [{ Key: `k${key}`, Value: `v${Date.now()}` }] }));
      c.tags.add(key);
    },
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'vpcsim-load-'));
  const srv = await spawnServer(['--data-dir', dir, '--quota', `vpcsPerRegion=${CLIENTS + 5}`]);
  const pid = srv.child.pid!;
  const clients: EC2Client[] = Array.from(
    { length: CLIENTS },
    () =>
      new EC2Client({
        endpoint: srv.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      }),
  );

  const samples: Sample[] = [];
  const errorLog: string[] = [];
  let window: number[] = [];
  let windowErrors = 0;
  const all: number[] = [];
  const totals = { requests: 0, reads: 0, writes: 0, errors: 0 };
  let seconds = 0;
  let serverCpu = 0;
  try {
    const workers = await Promise.all(clients.map((ec2, n) => setUp(ec2, n)));
    console.log(`${CLIENTS} clients set up; running the mix for ${SECONDS} s (samples every ${INTERVAL_S} s)`);
    console.log('     t s   requests     req/s   p50 ms   p99 ms  errors  server CPU %  server RSS MiB  client CPU %');

    // Warm-up: the same mix, not measured.
    const warmEnd = performance.now() + WARMUP_S * 1000;
    await Promise.all(
      workers.map(async (c) => {
        while (performance.now() < warmEnd) await nextOperation(c).run();
      }),
    );

    const start = performance.now();
    const deadline = start + SECONDS * 1000;
    const cpuAtStart = serverCpuSeconds(pid);
    let cpuBefore = cpuAtStart;
    let clientCpuBefore = process.cpuUsage();
    let lastAt = start;
    const sample = () => {
      const now = performance.now();
      const cpu = serverCpuSeconds(pid);
      const lat = window.sort((a, b) => a - b);
      const s: Sample = {
        t: Math.round((now - start) / 1000),
        requests: lat.length,
        rate: lat.length / ((now - lastAt) / 1000),
        errors: windowErrors,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        cpuPercent: ((cpu - cpuBefore) / ((now - lastAt) / 1000)) * 100,
        clientCpuPercent: (((u) => (u.user + u.system) / 1e6)(process.cpuUsage(clientCpuBefore)) / ((now - lastAt) / 1000)) * 100,
        rssMiB: serverRssMiB(pid),
      };
      samples.push(s);
      console.log(
        `${String(s.t).padStart(8)} ${String(s.requests).padStart(10)} ${s.rate.toFixed(0).padStart(9)} ` +
          `${s.p50.toFixed(2).padStart(8)} ${s.p99.toFixed(2).padStart(8)} ${String(s.errors).padStart(7)} ` +
          `${s.cpuPercent.toFixed(0).padStart(13)} ${s.rssMiB.toFixed(0).padStart(15)} ${s.clientCpuPercent.toFixed(0).padStart(13)}`,
      );
      window = [];
      windowErrors = 0;
      cpuBefore = cpu;
      clientCpuBefore = process.cpuUsage();
      lastAt = now;
    };
    const timer = setInterval(sample, INTERVAL_S * 1000);

    await Promise.all(
      workers.map(async (c) => {
        while (performance.now() < deadline) {
          const op = nextOperation(c);
          const t0 = performance.now();
          try {
            await op.run();
          } catch (err) {
            windowErrors++;
            totals.errors++;
            if (errorLog.length < 20) errorLog.push(`client ${c.n}: ${(err as Error).name}: ${(err as Error).message}`);
          }
          const ms = performance.now() - t0;
          window.push(ms);
          all.push(ms);
          totals.requests++;
          if (op.kind === 'read') totals.reads++;
          else totals.writes++;
        }
      }),
    );
    clearInterval(timer);
    seconds = (performance.now() - start) / 1000;
    serverCpu = serverCpuSeconds(pid) - cpuAtStart;
    if (performance.now() - lastAt > (INTERVAL_S * 1000) / 2) sample();

    // The state each client believes in is the server's.
    for (const c of workers) {
      const { Subnets } = await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [c.vpcId] }] }));
      const ids = new Set(Subnets!.map((s) => s.SubnetId));
      if (ids.size !== c.subnets.size + 1 || [...c.subnets.values()].some((id) => !ids.has(id))) {
        totals.errors++;
        errorLog.push(`client ${c.n}: the server's subnets differ from the acknowledged ones`);
      }
    }
  } finally {
    for (const c of clients) c.destroy();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const loadAfter = loadavg()[0]!;
  all.sort((a, b) => a - b);
  // RSS rises and falls with garbage collection; a leak shows as peaks that keep rising. Compare
  // the peak of the last third of the run with the peak of the middle third.
  const cut = (f: number) => Math.floor(samples.length * f);
  const middle = samples.slice(cut(1 / 3), cut(2 / 3));
  const last = samples.slice(cut(2 / 3));
  const peak = (xs: Sample[]) => Math.max(...xs.map((s) => s.rssMiB));
  const middlePeak = middle.length > 0 ? peak(middle) : 0;
  const lastPeak = last.length > 0 ? peak(last) : 0;
  const tolerance = Math.max(RSS_TOLERANCE_MIB, middlePeak * RSS_TOLERANCE_RATIO);
  const growth = lastPeak - middlePeak;
  const memoryStable = middle.length > 0 && last.length > 0 && growth <= tolerance;
  const ok = totals.errors === 0 && memoryStable;
  const rate = totals.requests / seconds;
  const summary =
    `${totals.requests} requests in ${seconds.toFixed(0)} s (${totals.reads} reads, ${totals.writes} writes): ` +
    `${rate.toFixed(0)} req/s, p50 ${percentile(all, 50).toFixed(2)} ms, p99 ${percentile(all, 99).toFixed(2)} ms, ` +
    `${totals.errors} errors`;
  const memory =
    `server RSS peaked at ${middlePeak.toFixed(0)} MiB in the middle third of the run and ${lastPeak.toFixed(0)} MiB in the last third ` +
    `(growth ${growth.toFixed(1)} MiB, tolerance ${tolerance.toFixed(0)} MiB): ${memoryStable ? 'stable' : 'GROWING'}`;
  const serverUse = serverCpu / seconds;
  const cpuNote =
    `the server used ${((serverCpu * 1000) / totals.requests).toFixed(3)} ms of CPU per request, ` +
    `${(serverUse * 100).toFixed(0)}% of one core on average` +
    (serverUse < 0.8 ? ': the clients and the rest of the machine, not the server, set the pace' : '');
  console.log(summary);
  console.log(cpuNote);
  console.log(memory);
  for (const e of errorLog) console.log(`  error: ${e}`);

  if (WRITE_DOC) {
    const cpu = cpus();
    const rows = samples
      .map(
        (s) =>
          `| ${s.t} | ${s.requests} | ${s.rate.toFixed(0)} | ${s.p50.toFixed(2)} | ` +
          `${s.p99.toFixed(2)} | ${s.errors} | ${s.cpuPercent.toFixed(0)} | ${s.rssMiB.toFixed(0)} | ${s.clientCpuPercent.toFixed(0)} |`,
      )
      .join('\n');
    const section = `## Load

Generated by \`npm run bench:load\` (bench/load.ts) on ${new Date().toISOString().slice(0, 10)}: ${SECONDS} s, ${CLIENTS} clients.

**Machine:** ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node.js ${process.version}, ${process.platform}.
The clients (one Node.js process) and the server share the machine's cores, and the machine was
not otherwise idle: its 1-minute load average was ${loadBefore.toFixed(1)} before the run and ${loadAfter.toFixed(1)} after it.

**Set-up:** one \`vpcsim serve\` process with its SQLite store (WAL) in a fresh data directory, on
127.0.0.1. ${CLIENTS} \`@aws-sdk/client-ec2\` clients, each with its own connection and one request at a
time, all running at once. Each client first creates a VPC, a subnet, a security group and an
instance of its own, then loops over a mix of about 70% reads (DescribeVpcs of its VPC and of all,
DescribeSubnets, DescribeSecurityGroups, DescribeSecurityGroupRules, DescribeInstances, DescribeTags)
and 30% writes (CreateSubnet/DeleteSubnet over 16 slots, AuthorizeSecurityGroupIngress/
RevokeSecurityGroupIngress over 20 ports, CreateTags/DeleteTags over 10 keys), so the state stays
about the same size. Every ${INTERVAL_S} s: the requests completed in the interval, their p50/p99
latency at the client, errors, the server's CPU use (user + system, 100% = one core) and resident
memory, and the client process's CPU use. The mix runs ${WARMUP_S} s before measuring starts.

| t s | requests | req/s | p50 ms | p99 ms | errors | server CPU % | server RSS MiB | client CPU % |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows}

**Overall:** ${summary}; ${cpuNote}.

**Memory:** ${memory}.

**Result:** ${ok ? 'pass' : 'FAIL'}.`;
    console.log(`wrote the Load section of ${writeSection('load', section)}`);
  }
  if (!ok) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
