/**
 * vpcsim's traffic endpoints:
 *
 * - POST /_vpcsim/traffic  {flows: FlowSpec[]} or {scenario: {...}}: each flow decided by the
 *   network engine (simulate.ts), what every interface saw handed to the flow log pipeline,
 *   NAT gateway limits and metrics applied; answers a summary per flow;
 * - POST /_vpcsim/flush    delivers every pending flow log record now;
 * - GET  /_vpcsim/clock    the simulation clock; POST {advanceSeconds? | advance? | set? | real?}
 *   moves it and delivers the aggregation windows that closed.
 *
 * Each app has one runtime: its clock, its flow log pipeline and a real-clock ticker (started
 * with the first traffic, every 5 s) delivering windows as they close. A reset starts afresh.
 */
import { type CompiledNetwork, protocolName } from '../network/compile.js';
import { resolveRequest, TraceInputError } from '../network/trace.js';
import { jsonObject, NOT_A_JSON_OBJECT } from '../protocol/json-body.js';
import { ScopedState } from '../state/store.js';
import { ClockError, parseDuration, SimulationClock, startTicker } from '../traffic/clock.js';
import { type DeliveryReport, flowLogPipeline } from '../traffic/flow-log-delivery.js';
import { storedWindows } from '../traffic/flow-log-windows.js';
import { applyNatLimits, recordNatMetrics, saveNatMemory } from '../traffic/nat-metrics.js';
import { expandScenario, flowProblem, parseScenario, type Scenario, ScenarioError } from '../traffic/scenario.js';
import { type DecideOptions, decideFlows, observationSource } from '../traffic/simulate.js';
import type { DecidedFlow, FlowSpec } from '../traffic/types.js';
import { compiledNetwork } from '../services/ec2/network-cache.js';
import type { App } from './app.js';

/** At most this many connections in one request. */
export const MAX_CONNECTIONS = 100_000;
/** At most this many flows are listed one by one in an answer. */
const MAX_LISTED = 1_000;
/** How often closed windows are delivered on the real clock. */
const TICK_MS = 5_000;

export interface TrafficReply {
  status: number;
  body: Record<string, unknown>;
}

/** Who is calling, in sigv4 mode. */
export interface TrafficActor {
  account: string;
  region?: string;
  admin: boolean;
  accessKeyId: string;
}

type Pipeline = ReturnType<typeof flowLogPipeline>;

interface Runtime {
  clock: SimulationClock;
  pipeline: Pipeline;
  generation: number;
  stopTicker?: () => void;
}

const runtimes = new WeakMap<App, Runtime>();

/** Where the simulation clock is kept: a restarted server goes on from the time it showed. */
const CLOCK_SCOPE = 'global/global';
const CLOCK_KIND = 'simulation-clock';
const CLOCK_ID = 'clock';

interface StoredClock {
  /** Epoch milliseconds, or null on the real clock. */
  SimulatedTime: number | null;
}

function storedClock(app: App): number | undefined {
  const v = (app.store.table(CLOCK_SCOPE, CLOCK_KIND)?.get(CLOCK_ID) as StoredClock | undefined)?.SimulatedTime;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Writes the clock's time to the store (as a writing request would, on a shared store). */
async function keepClock(app: App, clock: SimulationClock): Promise<void> {
  const value: StoredClock = { SimulatedTime: clock.simulatedTime ?? null };
  await app.exclusive(() => app.store.transact((tx) => tx.put(CLOCK_SCOPE, CLOCK_KIND, CLOCK_ID, value)));
}

function runtimeOf(app: App): Runtime {
  let rt = runtimes.get(app);
  if (!rt || rt.generation !== app.store.generation) {
    rt?.stopTicker?.();
    rt = { clock: new SimulationClock(Date.now, storedClock(app)), pipeline: flowLogPipeline(app), generation: app.store.generation };
    runtimes.set(app, rt);
  }
  return rt;
}

/**
 * The server is listening: with flow log windows a previous server left open (see
 * flow-log-windows.ts), the runtime takes them up now and its ticker delivers them as they close,
 * without waiting for traffic.
 */
export function resumeTraffic(app: App): void {
  if (storedWindows(app.store).length === 0) return;
  ensureTicker(app, runtimeOf(app));
}

/**
 * The server is closing: stops the app's ticker, and writes the open flow log windows with
 * their records (see flow-log-windows.ts) and the connections NAT gateways hold to the store,
 * for the next server.
 */
export function stopTraffic(app: App): void {
  const rt = runtimes.get(app);
  if (!rt) return;
  rt.stopTicker?.();
  rt.stopTicker = undefined;
  if (rt.generation !== app.store.generation) return;
  try {
    rt.pipeline.save();
  } catch (err) {
    console.error('vpcsim: the open flow log windows could not be saved:', err);
  }
  try {
    saveNatMemory(app.store);
  } catch (err) {
    console.error('vpcsim: the NAT gateways\' connections could not be saved:', err);
  }
}

/** Runs a delivery (the pipeline takes the cross-server lock itself) and waits until it is written. */
async function deliver(fn: () => DeliveryReport): Promise<Omit<DeliveryReport, 'settled'>> {
  const r = fn();
  const final = r.settled ? await r.settled : r;
  const { settled: _, ...out } = final;
  if (out.failed === 0) delete out.failed;
  return out;
}

function ensureTicker(app: App, rt: Runtime): void {
  if (rt.stopTicker) return;
  let busy = false;
  rt.stopTicker = startTicker(() => {
    if (busy || runtimes.get(app) !== rt) return;
    busy = true;
    Promise.resolve()
      .then(() => deliver(() => rt.pipeline.deliverDue(rt.clock.now())))
      .catch((err) => console.error('vpcsim: flow log delivery failed:', err))
      .finally(() => {
        busy = false;
      });
  }, TICK_MS);
}

/** Each instance's type, read when first asked (Nitro-based instances have their own traffic-path codes). */
function instanceTypes(app: App): DecideOptions {
  let types: Map<string, string> | undefined;
  return {
    instanceType: (id) => {
      if (!types) {
        types = new Map();
        const tx = app.store.begin();
        try {
          for (const scope of app.store.scopeNames()) {
            if (!scope.includes('/') || scope.startsWith('global/')) continue;
            for (const r of new ScopedState(tx, scope).list<{ InstanceId: string; InstanceType?: string }>('instance')) {
              if (r.InstanceType) types.set(r.InstanceId, r.InstanceType);
            }
          }
        } finally {
          tx.rollback();
        }
      }
      return types.get(id);
    },
  };
}

/** The network as the state describes it now (one place, so that it can be cached later). */
/** The compiled network of the current state (cached between requests while nothing it reads changes; only read here). */
function currentNetwork(app: App): CompiledNetwork {
  return compiledNetwork(app);
}

function invalid(message: string, status = 400): TrafficReply {
  return { status, body: { error: 'InvalidRequest', message } };
}

function denied(message: string): TrafficReply {
  return { status: 403, body: { error: 'AccessDenied', message } };
}

function parseJson(body: string): Record<string, unknown> | TrafficReply {
  return jsonObject(body) ?? invalid(NOT_A_JSON_OBJECT);
}

const INT_FIELDS = ['sourcePort', 'destinationPort', 'icmpType', 'icmpCode', 'packets', 'bytes', 'replyPackets', 'replyBytes', 'startMs', 'durationMs', 'count', 'hosts'];
const STRING_FIELDS = ['source', 'destination', 'sourceIp', 'account', 'region'];

/** Checks the fields of one flow (types only; the engine checks the values). */
function checkFlow(f: unknown, where: string): string | undefined {
  const shape = flowProblem(f, where);
  if (shape) return shape;
  const o = f as Record<string, unknown>;
  if (o.port !== undefined && o.destinationPort === undefined) {
    o.destinationPort = o.port;
    delete o.port;
  }
  for (const k of INT_FIELDS) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) return `${where}: ${k} must be an integer.`;
  }
  for (const k of STRING_FIELDS) {
    if (o[k] !== undefined && typeof o[k] !== 'string') return `${where}: ${k} must be a string.`;
  }
  if (o.protocol !== undefined && typeof o.protocol !== 'string' && typeof o.protocol !== 'number') {
    return `${where}: protocol must be tcp, udp, icmp or a protocol number.`;
  }
  if (o.count !== undefined && (o.count as number) < 1) return `${where}: count must be a positive integer.`;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Resources named by tag
// ---------------------------------------------------------------------------------------

interface Tagged {
  Tags?: Array<{ Key?: string; Value?: string }>;
  State?: { Name?: string };
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** `tag:Key=Value` (Value may hold *) → the instances (else interfaces) carrying the tag. */
function resolveTag(app: App, ref: string, account?: string, region?: string): string[] {
  const body = ref.slice('tag:'.length);
  const eq = body.indexOf('=');
  if (eq <= 0) throw new TraceInputError(`'${ref}' should read tag:Key=Value.`);
  const key = body.slice(0, eq);
  const value = globToRegExp(body.slice(eq + 1));
  const matches = (r: Tagged) => r.Tags?.some((t) => t.Key === key && value.test(t.Value ?? '')) ?? false;
  const instances: string[] = [];
  const interfaces: string[] = [];
  const tx = app.store.begin();
  try {
    for (const scope of app.store.scopeNames()) {
      const slash = scope.indexOf('/');
      if (slash < 0 || scope.startsWith('global/')) continue;
      if (account && scope.slice(0, slash) !== account) continue;
      if (region && scope.slice(slash + 1) !== region) continue;
      const state = new ScopedState(tx, scope);
      for (const r of state.list<Tagged & { InstanceId: string }>('instance')) {
        const s = r.State?.Name;
        if (s !== 'terminated' && s !== 'shutting-down' && matches(r)) instances.push(r.InstanceId);
      }
      for (const r of state.list<{ NetworkInterfaceId: string; TagSet?: Tagged['Tags']; Tags?: Tagged['Tags'] }>('network-interface')) {
        if (matches({ Tags: r.Tags ?? r.TagSet })) interfaces.push(r.NetworkInterfaceId);
      }
    }
  } finally {
    tx.rollback();
  }
  const found = instances.length > 0 ? instances : interfaces;
  if (found.length === 0) throw new TraceInputError(`No instance or network interface has the tag ${key}=${body.slice(eq + 1)}.`);
  return found.sort();
}

/** Replaces tag references by what they name; a reference to several resources makes a flow for each. */
function resolveTags(app: App, specs: FlowSpec[]): FlowSpec[] {
  if (!specs.some((s) => s.source.startsWith('tag:') || s.destination.startsWith('tag:'))) return specs;
  const cache = new Map<string, string[]>();
  const lookup = (ref: string, s: FlowSpec) => {
    const key = `${ref}|${s.account ?? ''}|${s.region ?? ''}`;
    let v = cache.get(key);
    if (!v) cache.set(key, (v = resolveTag(app, ref, s.account, s.region)));
    return v;
  };
  const out: FlowSpec[] = [];
  for (const s of specs) {
    const sources = s.source.startsWith('tag:') ? lookup(s.source, s) : [s.source];
    const destinations = s.destination.startsWith('tag:') ? lookup(s.destination, s) : [s.destination];
    for (const source of sources) for (const destination of destinations) out.push({ ...s, source, destination });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// POST /_vpcsim/traffic
// ---------------------------------------------------------------------------------------

function connections(specs: readonly FlowSpec[]): number {
  let n = 0;
  for (const s of specs) n += s.count ?? 1;
  return n;
}

function portsText(first: DecidedFlow, last: DecidedFlow): string | undefined {
  const a = first.trace.forward.first;
  if (a.proto !== 6 && a.proto !== 17) return undefined;
  const from = first.sourcePort ?? a.sport;
  const to = last.sourcePort ?? a.sport;
  return `${from === to ? from : `${from}-${to}`}→${a.dport}`;
}

function summary(spec: FlowSpec, flows: DecidedFlow[]): Record<string, unknown> {
  let accepted = 0;
  let packets = 0;
  let bytes = 0;
  let replyPackets = 0;
  let replyBytes = 0;
  const codes = new Set<string>();
  for (const f of flows) {
    const ok = f.decision.verdict === 'accepted' && !f.natDropped;
    if (ok) accepted++;
    for (const e of f.decision.explanations) codes.add(e.code);
    if (f.natDropped) codes.add('NAT_GATEWAY_PORT_ALLOCATION');
    packets += f.packets;
    bytes += f.bytes;
    replyPackets += f.replyPackets;
    replyBytes += f.replyBytes;
  }
  const first = flows[0]!;
  const out: Record<string, unknown> = {
    source: spec.source,
    destination: spec.destination,
    protocol: protocolName(first.decision.forward.first.proto),
  };
  const ports = portsText(first, flows[flows.length - 1]!);
  if (ports) out.ports = ports;
  out.connections = flows.length;
  out.verdict = accepted === flows.length ? 'accepted' : accepted === 0 ? 'dropped' : 'mixed';
  if (accepted !== flows.length && accepted !== 0) out.accepted = accepted;
  out.explanationCodes = [...codes];
  out.packets = packets;
  out.bytes = bytes;
  out.replyPackets = replyPackets;
  out.replyBytes = replyBytes;
  out.startTime = new Date(first.startMs).toISOString();
  return out;
}

/** The interface a flow's source or destination names, for the caller's account check. */
function accounts(net: CompiledNetwork, spec: FlowSpec): string[] {
  const r = resolveRequest(net, spec);
  const out: string[] = [];
  if (r.source.kind === 'interface') out.push(r.source.iface.model.account);
  if (r.destIface) out.push(r.destIface.model.account);
  else {
    const dst = r.pkt.dst;
    if (typeof dst === 'bigint') {
      const owner = net.byIpv6.get(dst);
      if (owner) out.push(owner.model.account);
    } else {
      const owners = net.byPrivateIp.get(dst);
      if (owners) for (const o of owners) out.push(o.model.account);
      const pub = net.byPublicIp.get(dst);
      if (pub) out.push(pub.iface.model.account);
    }
  }
  return out;
}

async function traffic(app: App, body: string, actor: TrafficActor | undefined): Promise<TrafficReply> {
  const req = parseJson(body);
  if ('status' in req) return req as TrafficReply;
  const rt = runtimeOf(app);
  const hasFlows = req.flows !== undefined;
  const hasScenario = req.scenario !== undefined;
  if (hasFlows === hasScenario) return invalid('Expected {flows: [...]} or {scenario: {...}}.');
  for (const k of ['account', 'region']) if (req[k] !== undefined && typeof req[k] !== 'string') return invalid(`${k} must be a string.`);
  if (actor && !actor.admin && req.account !== undefined && req.account !== actor.account) {
    return denied(`Access key ${actor.accessKeyId} may only act in account ${actor.account}.`);
  }
  let scenario: Scenario;
  try {
    if (hasFlows) {
      if (!Array.isArray(req.flows) || req.flows.length === 0) return invalid('flows must be a non-empty list.');
      scenario = { steps: [{ flows: req.flows as Scenario['steps'][0]['flows'] }] };
    } else scenario = parseScenario(req.scenario);
    for (const [i, step] of scenario.steps.entries()) {
      for (const [j, f] of step.flows.entries()) {
        const problem = checkFlow(f, hasFlows ? `flows[${j}]` : `steps[${i}].flows[${j}]`);
        if (problem) return invalid(problem);
        // The caller's scope is the preferred one where a private address exists in several.
        const account = (req.account as string | undefined) ?? actor?.account;
        const region = (req.region as string | undefined) ?? actor?.region;
        if (account !== undefined) f.account ??= account;
        if (region !== undefined) f.region ??= region;
      }
    }
  } catch (err) {
    if (err instanceof ScenarioError) return invalid(err.message);
    throw err;
  }

  await app.sync();
  let flows: DecidedFlow[];
  let specs: FlowSpec[];
  let net: CompiledNetwork;
  let options: DecideOptions;
  try {
    specs = expandScenario(scenario, rt.clock.now(), MAX_CONNECTIONS);
    specs = resolveTags(app, specs);
    const n = connections(specs);
    if (n > MAX_CONNECTIONS) return invalid(`At most ${MAX_CONNECTIONS} connections per request (this one has ${n}).`);
    net = currentNetwork(app);
    if (actor && !actor.admin) {
      for (const s of specs) {
        const owners = accounts(net, s);
        if (!owners.includes(actor.account)) {
          return denied(`Access key ${actor.accessKeyId} may only simulate traffic of account ${actor.account}: neither ${s.source} nor ${s.destination} is one of its resources.`);
        }
      }
    }
    options = instanceTypes(app);
    flows = decideFlows(net, specs, rt.clock, options);
  } catch (err) {
    if (err instanceof TraceInputError || err instanceof ScenarioError) return invalid(err.message);
    throw err;
  }

  // NAT gateways: connections beyond their port allocation go no further; their metrics.
  await app.exclusive(() => {
    applyNatLimits(app, flows);
    recordNatMetrics(app, flows);
  });
  // What the interfaces saw, to the flow log pipeline at once: it takes them an interface at a
  // time, and the more of an interface's it gets together the fewer trips to memory it makes.
  // They are made as it takes them, and none is kept.
  const seen = observationSource(flows);
  const observations = seen.count;
  rt.pipeline.record(seen);
  ensureTicker(app, rt);
  // On simulated time nothing else moves the windows: what is due now goes out now.
  const delivered = await deliver(() => rt.pipeline.deliverDue(rt.clock.now()));

  // One summary per spec (a spec with `count` stands for several connections).
  const listed: Record<string, unknown>[] = [];
  let accepted = 0;
  let k = 0;
  for (const spec of specs) {
    const n = spec.count ?? 1;
    const group = flows.slice(k, k + n);
    k += n;
    for (const f of group) if (f.decision.verdict === 'accepted' && !f.natDropped) accepted++;
    if (listed.length < MAX_LISTED) listed.push(summary(spec, group));
  }
  const out: Record<string, unknown> = {
    flows: listed,
    connections: flows.length,
    accepted,
    dropped: flows.length - accepted,
    observations,
    clock: rt.clock.json(),
  };
  if (specs.length > listed.length) out.truncated = true;
  if (delivered.records > 0) out.delivered = delivered;
  return { status: 200, body: out };
}

// ---------------------------------------------------------------------------------------
// POST /_vpcsim/flush, /_vpcsim/clock
// ---------------------------------------------------------------------------------------

async function flush(app: App): Promise<TrafficReply> {
  const rt = runtimeOf(app);
  await app.sync();
  const delivered = await deliver(() => rt.pipeline.flush());
  return { status: 200, body: { delivered, clock: rt.clock.json() } };
}

async function moveClock(app: App, body: string): Promise<TrafficReply> {
  const req = parseJson(body);
  if ('status' in req) return req as TrafficReply;
  const rt = runtimeOf(app);
  const given = ['advanceSeconds', 'advance', 'set', 'real'].filter((k) => req[k] !== undefined);
  if (given.length !== 1) return invalid('Expected one of {advanceSeconds: N}, {advance: "10m"}, {set: "2026-01-01T00:00:00Z" | epoch ms}, {real: true}.');
  try {
    if (req.advanceSeconds !== undefined) {
      if (typeof req.advanceSeconds !== 'number') return invalid('advanceSeconds must be a number.');
      rt.clock.advance(parseDuration(req.advanceSeconds, 'advanceSeconds'));
    } else if (req.advance !== undefined) {
      if (typeof req.advance !== 'string' && typeof req.advance !== 'number') return invalid('advance must be a duration such as "10m".');
      rt.clock.advance(parseDuration(req.advance, 'advance'));
    } else if (req.set !== undefined) {
      const v = req.set;
      const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
      if (!Number.isFinite(ms)) return invalid('set must be epoch milliseconds or an ISO 8601 date.');
      rt.clock.set(ms);
    } else {
      if (req.real !== true) return invalid('real must be true.');
      rt.clock.real();
    }
  } catch (err) {
    if (err instanceof ClockError) return invalid(err.message);
    throw err;
  }
  await keepClock(app, rt.clock);
  await app.sync();
  const delivered = await deliver(() => rt.pipeline.deliverDue(rt.clock.now()));
  return { status: 200, body: { clock: rt.clock.json(), delivered } };
}

/** The paths this module answers. */
export function isTrafficPath(path: string): boolean {
  return path === '/_vpcsim/traffic' || path === '/_vpcsim/flush' || path === '/_vpcsim/clock';
}

/** Answers one of the traffic endpoints. */
export async function handleTrafficEndpoint(app: App, method: string, path: string, body: string, actor?: TrafficActor): Promise<TrafficReply> {
  if (path === '/_vpcsim/clock' && method === 'GET') return { status: 200, body: { clock: runtimeOf(app).clock.json() } };
  if (method !== 'POST') return { status: 405, body: { error: 'use POST' } };
  if (path === '/_vpcsim/traffic') return traffic(app, body, actor);
  if (path === '/_vpcsim/flush') return flush(app);
  return moveClock(app, body);
}
