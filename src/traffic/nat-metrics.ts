/**
 * NAT gateway CloudWatch metrics from simulated traffic: the `AWS/NATGateway` namespace, one
 * datapoint per metric and minute, dimension `NatGatewayId`, in the NAT gateway's account and
 * region (see docs/nat-metrics.md for every rule and how it differs from AWS).
 *
 * Two steps for each batch of decided flows (each DecidedFlow is one connection):
 *
 *   applyNatLimits(app, flows)   ports: a NAT gateway holds at most 55,000 simultaneous
 *                                connections per address to one destination (address, port,
 *                                protocol); the connections beyond get `natDropped = true`
 *   recordNatMetrics(app, flows) bytes, packets, attempts, established, active, idle,
 *                                drops, port allocation errors → putMetricData
 *
 * What a NAT gateway saw of a flow is read from its trace: a `nat-gateway` hop with the
 * `translate` action on the forward path means the gateway received the request (its
 * outbound headers name the destination it connects to); the hops after it tell whether it
 * sent the request on. The same hop on the reply path means it received the reply.
 *
 * Connections held by each NAT gateway (for the port limit and ActiveConnectionCount) are
 * remembered per store across batches, forgotten on reset and an hour after they end (swept
 * once per ten minutes of simulated time). A server that stops cleanly writes them to the store
 * (saveNatMemory) and the next one takes them up; after a crash they are lost.
 * Both functions are synchronous and commit through `app.store` directly: callers run them
 * inside `App.exclusive` so that on a shared store they see, and write, the latest state.
 */
import type { App } from '../server/app.js';
import { putMetricData, type MetricInput } from '../services/monitoring/index.js';
import { orderOf } from '../stable-order.js';
import { ScopedState, scopeKey, sharedStore, type Store } from '../state/store.js';
import { PROTO_TCP } from '../network/compile.js';
import type { Headers, Hop, PathResult, TraceResult } from '../network/trace.js';
import type { DecidedFlow } from './types.js';

export const NAMESPACE = 'AWS/NATGateway';
/** Simultaneous connections per NAT gateway address to one destination address, port and protocol. */
export const CONNECTIONS_PER_DESTINATION = 55_000;
/** A connection with no activity for this long moves from active to idle. */
export const IDLE_TIMEOUT_MS = 350_000;

const MINUTE = 60_000;
/** Connections are remembered until this long after they end. */
const MEMORY_MS = 3_600_000;

/** The metrics, in the order of the per-minute vectors below, with their units. */
export const NAT_METRICS = [
  ['ActiveConnectionCount', 'Count'],
  ['BytesInFromDestination', 'Bytes'],
  ['BytesInFromSource', 'Bytes'],
  ['BytesOutToDestination', 'Bytes'],
  ['BytesOutToSource', 'Bytes'],
  ['ConnectionAttemptCount', 'Count'],
  ['ConnectionEstablishedCount', 'Count'],
  ['ErrorPortAllocation', 'Count'],
  ['IdleTimeoutCount', 'Count'],
  ['PacketsDropCount', 'Count'],
  ['PacketsInFromDestination', 'Count'],
  ['PacketsInFromSource', 'Count'],
  ['PacketsOutToDestination', 'Count'],
  ['PacketsOutToSource', 'Count'],
] as const;

const ACTIVE = 0;
const BYTES_IN_FROM_DESTINATION = 1;
const BYTES_IN_FROM_SOURCE = 2;
const BYTES_OUT_TO_DESTINATION = 3;
const BYTES_OUT_TO_SOURCE = 4;
const ATTEMPTS = 5;
const ESTABLISHED = 6;
const ERROR_PORT_ALLOCATION = 7;
const IDLE_TIMEOUTS = 8;
const PACKETS_DROP = 9;
const PACKETS_IN_FROM_DESTINATION = 10;
const PACKETS_IN_FROM_SOURCE = 11;
const PACKETS_OUT_TO_DESTINATION = 12;
const PACKETS_OUT_TO_SOURCE = 13;

// ---------------------------------------------------------------------------------------
// Remembered connections
// ---------------------------------------------------------------------------------------

/** Connections sharing one time span, counted. */
interface Span {
  s: number;
  e: number;
  n: number;
}

/**
 * Connections' time spans, counted: connections of one flow come in a row and share one entry.
 * For peaks, the starts and the ends are also kept as two sorted lists of instants (each as
 * many times as its span counts), made when first asked for and then merged with what was
 * added since: a batch costs a sort of its own spans and a merge, not a sort of all of them.
 */
export class Spans {
  private list: Span[] = [];
  /** All connections held, whatever their spans. */
  total = 0;
  /** Sorted starts and ends of list[0, merged): `events` of each. */
  private starts: Float64Array | undefined;
  private ends: Float64Array | undefined;
  private events = 0;
  private merged = 0;
  spans(): readonly Span[] {
    return this.list;
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  add(s: number, e: number, n = 1): void {
    this.total += n;
    const last = this.list[this.list.length - 1];
    if (last && last.s === s && last.e === e && this.merged < this.list.length) last.n += n;
    else this.list.push({ s, e, n });
  }
  /** Connections whose span overlaps [s, e). */
  overlapping(s: number, e: number): number {
    if (this.total === 0) return 0;
    let total = 0;
    for (const x of this.spans()) if (x.s < e && s < x.e) total += x.n;
    return total;
  }
  /** The most connections open at one instant within [s, e). */
  peak(s: number, e: number): number {
    return this.peaks([s], e - s)[0]!;
  }
  /**
   * The most connections open at one instant within each window [w, w + width), for windows
   * given in increasing order: one sweep over the starts and ends within the windows.
   */
  peaks(windows: readonly number[], width: number): number[] {
    const out = new Array<number>(windows.length).fill(0);
    if (windows.length === 0 || this.total === 0) return out;
    this.mergeAdded();
    const starts = this.starts!;
    const ends = this.ends!;
    const count = this.events;
    for (let k = 0; k < windows.length; k++) {
      const w = windows[k]!;
      // Open at the window's first instant: every start and end up to it.
      let si = upperBound(starts, count, w);
      let ej = upperBound(ends, count, w);
      let now = si - ej;
      let max = now;
      // Then through the window: ends before starts at the same instant (a span [a, b) and one
      // starting at b never meet); only a start can raise the count.
      const until = w + width;
      for (;;) {
        const ts = si < count ? starts[si]! : Infinity;
        const te = ej < count ? ends[ej]! : Infinity;
        if (Math.min(ts, te) >= until) break;
        if (te <= ts) {
          now--;
          ej++;
        } else {
          now++;
          si++;
          if (now > max) max = now;
        }
      }
      out[k] = max;
    }
    return out;
  }
  prune(before: number): void {
    let any = false;
    for (let i = 0; i < this.list.length && !any; i++) any = this.list[i]!.e < before;
    if (!any) return;
    const kept: Span[] = [];
    const gone: Span[] = [];
    let goneMerged = 0;
    for (let i = 0; i < this.list.length; i++) {
      const x = this.list[i]!;
      if (x.e >= before) kept.push(x);
      else {
        if (i < this.merged) gone[goneMerged++] = x;
        this.total -= x.n;
      }
    }
    if (this.starts && goneMerged > 0) {
      // The ends of the spans let go are the first ends (every span ending before `before` goes);
      // their starts are taken out of the starts as a multiset.
      let drop = 0;
      for (const x of gone) drop += x.n;
      this.events = removeSorted(this.starts, this.events, sortedInstants(gone, drop, 's'), drop);
      this.ends!.copyWithin(0, drop, this.events + drop);
    }
    this.merged -= goneMerged;
    this.list = kept;
  }
  /** Merges the spans added since the last time into the sorted starts and ends. */
  private mergeAdded(): void {
    if (this.merged === this.list.length) return;
    const added = this.list.slice(this.merged);
    let m = 0;
    for (const x of added) m += x.n;
    const need = this.events + m;
    if (!this.starts || this.starts.length < need) {
      const size = Math.max(need, 2 * (this.starts?.length ?? 0), 64);
      const grow = (old: Float64Array | undefined) => {
        const a = new Float64Array(size);
        if (old) a.set(old.subarray(0, this.events));
        return a;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    mergeInto(this.starts, this.events, sortedInstants(added, m, 's'));
    mergeInto(this.ends!, this.events, sortedInstants(added, m, 'e'));
    this.events = need;
    this.merged = this.list.length;
  }
}

/** The starts (or the ends) of spans, sorted, each span's as many times as it counts (m in all). */
function sortedInstants(spans: readonly Span[], m: number, which: 's' | 'e'): Float64Array {
  const out = new Float64Array(m);
  let k = 0;
  for (const x of spans) for (let c = 0; c < x.n; c++) out[k++] = x[which];
  return out.sort();
}

/** How many of the first `count` (sorted) values are at most v. */
function upperBound(a: Float64Array, count: number, v: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges sorted `b` into the sorted first `n` values of `a` (which has room), from the back. */
function mergeInto(a: Float64Array, n: number, b: Float64Array): void {
  let i = n - 1;
  let j = b.length - 1;
  for (let k = n + b.length - 1; j >= 0; k--) a[k] = i >= 0 && a[i]! > b[j]! ? a[i--]! : b[j--]!;
}

/** Takes the values of sorted `b` (a sub-multiset) out of the sorted first `n` values of `a`; returns how many are left. */
function removeSorted(a: Float64Array, n: number, b: Float64Array, m: number): number {
  let w = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    if (j < m && b[j] === v) j++;
    else a[w++] = v;
  }
  return w;
}

interface NatMemory {
  /**
   * Port allocations by destination, by protocol and port then by address (`portsTo`): the
   * connections' spans as start, end pairs in one flat list (most destinations see few
   * connections).
   */
  ports: Map<number | string, Map<number, number[]>>;
  /** The same as Spans, for the lists with connections enough to reach the limit. */
  busy: Map<number[], Spans>;
  /** Established TCP connections (ActiveConnectionCount). */
  active: Spans;
}

interface Memory {
  generation: number;
  nats: Map<string, NatMemory>;
  /** The latest flow start seen: what is older than it by MEMORY_MS is forgotten. */
  latest: number;
  /** What the last sweep forgot what ended before (sweeps come SWEEP_MS apart at most). */
  sweptBefore: number;
}

/**
 * Forgetting goes over every remembered destination: done when the time it forgets up to moved
 * on by this much (so connections are kept between MEMORY_MS and MEMORY_MS + SWEEP_MS).
 */
const SWEEP_MS = 600_000;

const memories = new WeakMap<Store, Memory>();

/** The NAT gateway that had no port for a connection (when a connection crosses several). */
const droppedAt = new WeakMap<DecidedFlow, string>();

function memoryOf(store: Store): Memory {
  let m = memories.get(store);
  if (!m || m.generation !== store.generation) {
    m = { generation: store.generation, nats: new Map(), latest: 0, sweptBefore: -Infinity };
    restoreMemory(store, m);
    memories.set(store, m);
  }
  return m;
}

/** Where a stopping server leaves what its NAT gateways remember: one row per gateway. */
const MEMORY_SCOPE = 'global/global';
const MEMORY_KIND = 'nat-gateway-connections';

interface StoredNatMemory {
  /** Port allocations: [destination key, [[address, [start, end, …]], …]], … (see portsTo). */
  Ports: Array<[number | string, Array<[number, number[]]>]>;
  /** Established TCP connections: [start, end, count], …. */
  Active: Array<[number, number, number]>;
  Latest: number;
  SweptBefore: number | null;
}

/**
 * Writes what the NAT gateways remember to the store, for the next server (this one is
 * stopping). Nothing on a store shared by several servers: each remembers its own batches.
 */
export function saveNatMemory(store: Store): void {
  const m = memories.get(store);
  if (!m || m.generation !== store.generation || sharedStore(store.persistence)) return;
  store.transact((tx) => {
    for (const id of store.table(MEMORY_SCOPE, MEMORY_KIND)?.keys() ?? []) if (!m.nats.has(id)) tx.delete(MEMORY_SCOPE, MEMORY_KIND, id);
    for (const [natId, n] of m.nats) {
      const row: StoredNatMemory = {
        Ports: [...n.ports].map(([key, byAddress]) => [key, [...byAddress].map(([address, list]) => [address, [...list]] as [number, number[]])]),
        Active: n.active.spans().map((x) => [x.s, x.e, x.n] as [number, number, number]),
        Latest: m.latest,
        SweptBefore: Number.isFinite(m.sweptBefore) ? m.sweptBefore : null,
      };
      tx.put(MEMORY_SCOPE, MEMORY_KIND, natId, row);
    }
  });
}

/** Takes up what a previous server's NAT gateways remembered (rows it wrote when it stopped). */
function restoreMemory(store: Store, m: Memory): void {
  if (sharedStore(store.persistence)) return;
  for (const [natId, value] of store.table(MEMORY_SCOPE, MEMORY_KIND) ?? []) {
    const row = value as Partial<StoredNatMemory>;
    if (!Array.isArray(row.Ports) || !Array.isArray(row.Active)) continue;
    const n = natMemory(m, natId);
    for (const [key, byAddress] of row.Ports) {
      const map = new Map<number, number[]>();
      for (const [address, list] of byAddress) map.set(address, [...list]);
      n.ports.set(key, map);
    }
    for (const [s, e, count] of row.Active) n.active.add(s, e, count);
    if (typeof row.Latest === 'number' && row.Latest > m.latest) m.latest = row.Latest;
    if (typeof row.SweptBefore === 'number' && row.SweptBefore > m.sweptBefore) m.sweptBefore = row.SweptBefore;
  }
}

function natMemory(m: Memory, natId: string): NatMemory {
  let n = m.nats.get(natId);
  if (!n) {
    n = { ports: new Map(), busy: new Map(), active: new Spans() };
    m.nats.set(natId, n);
  }
  return n;
}

function forgetOld(m: Memory, latestStart: number): void {
  if (latestStart <= m.latest) return;
  m.latest = latestStart;
  const before = latestStart - MEMORY_MS;
  if (before - m.sweptBefore < SWEEP_MS) return;
  m.sweptBefore = before;
  for (const n of m.nats.values()) {
    n.active.prune(before);
    for (const [k, byAddress] of n.ports) {
      for (const [a, list] of byAddress) {
        if (pruneFlat(list, before) === 0) {
          byAddress.delete(a);
          n.busy.delete(list);
        } else n.busy.get(list)?.prune(before);
      }
      if (byAddress.size === 0) n.ports.delete(k);
    }
  }
}

/** Takes the spans that ended before `before` out of a flat list of start, end pairs; returns how many values are left. */
function pruneFlat(list: number[], before: number): number {
  let w = 0;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i + 1]! < before) continue;
    list[w++] = list[i]!;
    list[w++] = list[i + 1]!;
  }
  list.length = w;
  return w;
}

/** The end of a connection's span (from its start); one that starts and ends at once lasts a millisecond. */
function spanEnd(f: DecidedFlow): number {
  return Math.max(f.endMs, f.startMs + 1);
}

// ---------------------------------------------------------------------------------------
// Reading a trace
// ---------------------------------------------------------------------------------------

const crossesNat = new WeakMap<TraceResult, boolean>();

/** Whether a walk's request meets a NAT gateway at all (worked out once per walk). */
function meetsNat(t: TraceResult): boolean {
  let v = crossesNat.get(t);
  if (v === undefined) {
    v = t.forward.hops.some((h) => h.type === 'nat-gateway');
    crossesNat.set(t, v);
  }
  return v;
}

const NONE: readonly number[] = [];
const translated = new WeakMap<PathResult, readonly number[]>();

/** Indexes of the NAT gateway translations on a path (worked out once per path: paths are not changed once made). */
function translations(path: PathResult | undefined): readonly number[] {
  if (!path) return NONE;
  let out = translated.get(path);
  if (!out) {
    const found: number[] = [];
    for (let i = 0; i < path.hops.length; i++) {
      const h = path.hops[i]!;
      if (h.type === 'nat-gateway' && h.action === 'translate') found.push(i);
    }
    out = found.length === 0 ? NONE : found;
    translated.set(path, out);
  }
  return out;
}

/**
 * Whether the packet left the NAT gateway after the translation at `i`: yes unless the
 * gateway's subnet had no route (or a blackhole) for it, or the walk ended right there.
 */
function leftGateway(path: PathResult, i: number): boolean {
  if (path.accepted) return true;
  const next: Hop | undefined = path.hops[i + 1];
  if (!next) return false;
  return !(next.type === 'route-table' && (next.action === 'no-route' || next.action === 'blackhole'));
}

/**
 * The spans of a NAT gateway's connections to the destination it sends a request to (protocol,
 * address, port). Keys are small integers where they can be (protocol and port as one, then the
 * IPv4 address as a signed 32-bit number), which Maps hold and compare without a heap number.
 */
function portsTo(nat: NatMemory, o: Headers): number[] {
  const v4 = typeof o.dst === 'number';
  const key = v4 ? o.proto * 0x10000 + o.dport : `${o.proto}|${o.dst}|${o.dport}`;
  const address = v4 ? (o.dst as number) | 0 : 0;
  let byAddress = nat.ports.get(key);
  if (!byAddress) nat.ports.set(key, (byAddress = new Map()));
  let list = byAddress.get(address);
  if (!list) byAddress.set(address, (list = []));
  return list;
}

// ---------------------------------------------------------------------------------------
// Where NAT gateways live
// ---------------------------------------------------------------------------------------

interface StoredNatAddress {
  PrivateIp?: string;
  PublicIp?: string;
  Status?: string;
  _op?: { name: string; until: string };
}

interface StoredNat {
  ConnectivityType?: string;
  NatGatewayAddresses?: StoredNatAddress[];
}

/** Finds the scope ("account/region") holding each NAT gateway, asked once per ID. */
class NatDirectory {
  private readonly scopes = new Map<string, string | undefined>();
  constructor(private readonly store: Store) {}

  scopeOf(natId: string, hint?: { account: string; region: string }): string | undefined {
    if (this.scopes.has(natId)) return this.scopes.get(natId);
    let found: string | undefined;
    const first = hint ? scopeKey(hint.account, hint.region) : undefined;
    if (first && this.store.table(first, 'nat-gateway')?.has(natId)) found = first;
    else found = this.store.scopeNames().find((s) => this.store.table(s, 'nat-gateway')?.has(natId));
    this.scopes.set(natId, found);
    return found;
  }

  /** How many addresses the NAT gateway translates to (Elastic IPs if public, private IPs if private). */
  addresses(natId: string, now: number): number {
    const scope = this.scopeOf(natId);
    const rec = scope ? (this.store.table(scope, 'nat-gateway')?.get(natId) as StoredNat | undefined) : undefined;
    if (!rec) return 1;
    const isPublic = rec.ConnectivityType !== 'private';
    let n = 0;
    for (const a of rec.NatGatewayAddresses ?? []) {
      if (a.Status !== 'succeeded') continue;
      if (isPublic ? !a.PublicIp : !a.PrivateIp) continue;
      const op = a._op;
      if (op && now < Date.parse(op.until) && (op.name === 'associating' || op.name === 'assigning')) continue;
      if (op && now >= Date.parse(op.until) && (op.name === 'disassociating' || op.name === 'unassigning')) continue;
      n++;
    }
    return Math.max(1, n);
  }
}

function hintOf(f: DecidedFlow): { account: string; region: string } | undefined {
  const src = f.decision.source;
  return src.kind === 'interface' ? { account: src.iface.model.account, region: src.iface.model.region } : undefined;
}

// ---------------------------------------------------------------------------------------
// Port allocation
// ---------------------------------------------------------------------------------------

/** `order` (indexes of flows) sorted by their starts (`starts[k]` the start of `order[k]`), ties kept in order. */
export function inStartOrder(order: number[], starts: number[]): number[] {
  const at = orderOf(starts);
  return at ? at.map((k) => order[k]!) : order;
}

/**
 * Marks `natDropped` on the connections a NAT gateway could not allocate a source port for:
 * beyond 55,000 simultaneous connections per gateway address to one destination address,
 * port and protocol, counting the connections of earlier batches still open. Connections are
 * taken in order of start (then as given). A connection already marked is left alone.
 */
export function applyNatLimits(app: Pick<App, 'store' | 'config'>, flows: DecidedFlow[]): void {
  const mem = memoryOf(app.store);
  const alloc: Allocation = { mem, dir: new NatDirectory(app.store), limits: new Map(), now: Date.now() };
  let latest = 0;
  const order: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i]!;
    const t = f.startMs;
    if (t > latest) latest = t;
    if (!f.natDropped && meetsNat(f.decision)) {
      order.push(i);
      starts.push(t);
    }
  }
  // While no destination has connections enough to reach its limit (counting those remembered),
  // no connection can be refused and the order they take ports in changes nothing: they are taken
  // as they come. Else what was taken is given back, and they are taken again in order of start.
  if (!allocate(alloc, flows, order, false)) allocate(alloc, flows, inStartOrder(order, starts), true);
  forgetOld(mem, latest);
}

/** What port allocation works with in one batch. */
interface Allocation {
  mem: Memory;
  dir: NatDirectory;
  /** Connections per destination, by NAT gateway ID. */
  limits: Map<string, number>;
  now: number;
}

/**
 * Takes ports for the connections `sequence` (indexes of `flows`) in its order. Exact: refuses
 * those past the limit. Not exact: stops and gives every port it took back as soon as a
 * destination could reach its limit, and returns false.
 */
function allocate(a: Allocation, flows: DecidedFlow[], sequence: number[], exact: boolean): boolean {
  // Not exact: each list pushed to and its length before, to give back.
  const pushed: number[][] = [];
  const lengths: number[] = [];
  for (let n = 0; n < sequence.length; n++) {
    const f = flows[sequence[n]!]!;
    const s = f.startMs;
    const e = spanEnd(f);
    for (const at of translations(f.decision.forward)) {
      const hop = f.decision.forward.hops[at]!;
      if (!hop.outbound) continue;
      let limit = a.limits.get(hop.id);
      if (limit === undefined) {
        a.dir.scopeOf(hop.id, hintOf(f));
        limit = CONNECTIONS_PER_DESTINATION * a.dir.addresses(hop.id, a.now);
        a.limits.set(hop.id, limit);
      }
      const nat = natMemory(a.mem, hop.id);
      const list = portsTo(nat, f.own(hop.outbound, false));
      let spans = nat.busy.get(list);
      if (!exact) {
        if (spans || list.length + 2 >= 2 * limit) {
          for (let k = pushed.length - 1; k >= 0; k--) pushed[k]!.length = lengths[k]!;
          return false;
        }
        pushed.push(list);
        lengths.push(list.length);
        list.push(s, e);
        continue;
      }
      // Cheap bounds first; the exact peak only when they reach the limit.
      if (!spans && list.length >= 2 * limit) {
        spans = new Spans();
        for (let k = 0; k < list.length; k += 2) spans.add(list[k]!, list[k + 1]!);
        nat.busy.set(list, spans);
      }
      if (spans && spans.overlapping(s, e) >= limit && spans.peak(s, e) >= limit) {
        f.natDropped = true;
        droppedAt.set(f, hop.id);
        break;
      }
      list.push(s, e);
      spans?.add(s, e);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------

/**
 * Per NAT gateway: its scope and one vector of metric values per minute, by the minute's number
 * since the epoch (a small integer key, where its time in milliseconds would be a heap number).
 */
interface NatMinutes {
  scope: string;
  minutes: Map<number, Float64Array>;
}

function minuteOf(t: number): number {
  return Math.floor(t / MINUTE) * MINUTE;
}

/** The vector of the minute holding instant t. */
function vectorAt(acc: NatMinutes, t: number): Float64Array {
  const key = Math.floor(t / MINUTE);
  let vec = acc.minutes.get(key);
  if (!vec) acc.minutes.set(key, (vec = new Float64Array(NAT_METRICS.length)));
  return vec;
}

/** Every minute [s, e) touches (the minute of s when the span is empty). */
function touch(acc: NatMinutes, s: number, e: number): void {
  const last = e > s ? e - 1 : s;
  for (let m = minuteOf(s); m <= last; m += MINUTE) vectorAt(acc, m);
}

function at(acc: NatMinutes, t: number, metric: number, v: number): void {
  vectorAt(acc, t)[metric]! += v;
}

/**
 * Spreads each total over [s, e) in proportion to the time in each minute, in whole units
 * (the minutes add up to the total exactly). `metrics` and `totals` go in pairs.
 */
function spread(acc: NatMinutes, s: number, e: number, metrics: readonly number[], totals: readonly number[], count = metrics.length): void {
  if (e <= s) {
    for (let i = 0; i < count; i++) if (totals[i]) at(acc, s, metrics[i]!, totals[i]!);
    return;
  }
  const d = e - s;
  for (let m = minuteOf(s); m < e; m += MINUTE) {
    const from = Math.max(s, m) - s;
    const to = Math.min(e, m + MINUTE) - s;
    const vec = vectorAt(acc, m);
    for (let i = 0; i < count; i++) {
      const total = totals[i]!;
      if (total) vec[metrics[i]!]! += Math.round((total * to) / d) - Math.round((total * from) / d);
    }
  }
}

/** A NAT gateway translating a walk's request: whether the request left it, and the reply came back through it (and left it). */
interface NatStep {
  natId: string;
  requestLeft: boolean;
  reply: boolean;
  replyLeft: boolean;
}

const stepsOf = new WeakMap<TraceResult, NatStep[]>();

/** The NAT gateways a walk's request was translated by, in order (worked out once per walk). */
function natStepsOf(t: TraceResult): NatStep[] {
  let steps = stepsOf.get(t);
  if (!steps) {
    steps = [];
    const fwd = t.forward;
    const rev = t.reverse;
    for (const i of translations(fwd)) {
      const natId = fwd.hops[i]!.id;
      const r = rev ? translations(rev).find((j) => rev.hops[j]!.id === natId) : undefined;
      steps.push({ natId, requestLeft: leftGateway(fwd, i), reply: r !== undefined, replyLeft: rev !== undefined && r !== undefined && leftGateway(rev, r) });
    }
    stepsOf.set(t, steps);
  }
  return steps;
}

/**
 * Whether a connection sat silent longer than the idle timeout: its packets (both ways)
 * spread evenly over its duration leave gaps longer than 350 seconds.
 */
function idles(f: DecidedFlow): boolean {
  const duration = f.endMs - f.startMs;
  return duration > IDLE_TIMEOUT_MS && duration / Math.max(1, f.packets + f.replyPackets) > IDLE_TIMEOUT_MS;
}

/**
 * The datapoints a batch of connections gives each NAT gateway, per scope (account/region):
 * every metric for every minute in which the gateway handled traffic, zeros included.
 * Remembers the batch's established TCP connections for ActiveConnectionCount.
 */
export function natMetricData(app: Pick<App, 'store' | 'config'>, flows: readonly DecidedFlow[]): Map<string, MetricInput[]> {
  const mem = memoryOf(app.store);
  const dir = new NatDirectory(app.store);
  const byNat = new Map<string, NatMinutes>();
  const accOf = (natId: string, f: DecidedFlow): NatMinutes | undefined => {
    let acc = byNat.get(natId);
    if (acc) return acc;
    const scope = dir.scopeOf(natId, hintOf(f));
    if (!scope) return undefined;
    acc = { scope, minutes: new Map() };
    byNat.set(natId, acc);
    return acc;
  };

  let latest = 0;
  // What one gateway adds for one connection (metric and total in pairs, see spread): reused.
  const metrics = new Array<number>(8).fill(0);
  const values = new Array<number>(8).fill(0);
  let n = 0;
  const add = (metric: number, value: number) => {
    metrics[n] = metric;
    values[n++] = value;
  };
  for (const f of flows) {
    if (f.startMs > latest) latest = f.startMs;
    // The hops and verdict of the walk that decided it (its addresses play no part here).
    const t = f.decision;
    if (!meetsNat(t)) continue;
    const s = f.startMs;
    const e = f.endMs;
    const fwd = t.forward;

    // Packets a NAT gateway refused outright (a source outside its VPC, a connection towards it).
    for (const h of fwd.hops) {
      if (h.type !== 'nat-gateway' || h.action !== 'drop') continue;
      const acc = accOf(h.id, f);
      if (!acc) continue;
      touch(acc, s, e);
      spread(acc, s, e, [PACKETS_DROP], [f.packets]);
    }

    for (const step of natStepsOf(t)) {
      const natId = step.natId;
      const acc = accOf(natId, f);
      if (!acc) continue;
      touch(acc, s, e);
      at(acc, s, ATTEMPTS, 1);
      // The gateway without a port drops the connection; those after it never see it.
      if (f.natDropped && (droppedAt.get(f) ?? natId) === natId) {
        at(acc, s, ERROR_PORT_ALLOCATION, 1);
        n = 0;
        add(PACKETS_IN_FROM_SOURCE, f.packets);
        add(BYTES_IN_FROM_SOURCE, f.bytes);
        add(PACKETS_DROP, f.packets);
        spread(acc, s, e, metrics, values, n);
        break;
      }
      // Request in (and out, when it left the gateway); reply in (and out), when there was one.
      n = 0;
      add(PACKETS_IN_FROM_SOURCE, f.packets);
      add(BYTES_IN_FROM_SOURCE, f.bytes);
      if (step.requestLeft) {
        add(PACKETS_OUT_TO_DESTINATION, f.packets);
        add(BYTES_OUT_TO_DESTINATION, f.bytes);
      }
      if (!f.natDropped && step.reply && f.replyPackets + f.replyBytes > 0) {
        add(PACKETS_IN_FROM_DESTINATION, f.replyPackets);
        add(BYTES_IN_FROM_DESTINATION, f.replyBytes);
        if (step.replyLeft) {
          add(PACKETS_OUT_TO_SOURCE, f.replyPackets);
          add(BYTES_OUT_TO_SOURCE, f.replyBytes);
        }
      }
      spread(acc, s, e, metrics, values, n);
      const established = !f.natDropped && t.verdict === 'accepted' && f.replyPackets > 0;
      if (established) at(acc, s, ESTABLISHED, 1);
      if (fwd.first.proto === PROTO_TCP && established) {
        natMemory(mem, natId).active.add(s, spanEnd(f));
        if (idles(f)) at(acc, s + IDLE_TIMEOUT_MS, IDLE_TIMEOUTS, 1);
      }
    }
  }

  const out = new Map<string, MetricInput[]>();
  for (const [natId, acc] of byNat) {
    const active = mem.nats.get(natId)?.active;
    const dims = [{ Name: 'NatGatewayId', Value: natId }];
    let list = out.get(acc.scope);
    if (!list) out.set(acc.scope, (list = []));
    const minutes = [...acc.minutes].sort((a, b) => a[0] - b[0]);
    const peaks = active ? active.peaks(minutes.map(([m]) => m * MINUTE), MINUTE) : undefined;
    for (let k = 0; k < minutes.length; k++) {
      const [number, vec] = minutes[k]!;
      const minute = number * MINUTE;
      vec[ACTIVE] = peaks ? peaks[k]! : 0;
      for (let i = 0; i < NAT_METRICS.length; i++) {
        const [MetricName, Unit] = NAT_METRICS[i]!;
        list.push({ MetricName, Dimensions: dims, Timestamp: minute, Value: vec[i]!, Unit });
      }
    }
  }
  forgetOld(mem, latest);
  return out;
}

/**
 * Writes the AWS/NATGateway datapoints of a batch of connections: one transaction per
 * account and region holding a NAT gateway the batch went through.
 */
export function recordNatMetrics(app: Pick<App, 'store' | 'config'>, flows: readonly DecidedFlow[]): void {
  for (const [scope, data] of natMetricData(app, flows)) app.store.transact((tx) => putMetricData(new ScopedState(tx, scope), NAMESPACE, data));
}
