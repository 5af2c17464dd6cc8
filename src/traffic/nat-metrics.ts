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
import { keepShape } from '../keep-shape.js';
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

/**
 * Connections' time spans, counted: connections of one flow come in a row and share one entry.
 * The spans are kept flat, start, end and count of each in a row of one Float64Array, so that a
 * connection added makes no object. For peaks, the starts and the ends are also kept as two
 * sorted lists of instants (each as many times as its span counts), made when first asked for
 * and then merged with what was added since: a batch costs a sort of its own spans and a merge,
 * not a sort of all of them.
 */
export class Spans {
  /** Span i's start, end and count at 3i, 3i + 1 and 3i + 2; `size` spans. */
  private list = new Float64Array(3 * 16);
  private size = 0;
  /** All connections held, whatever their spans. */
  total = 0;
  /** Sorted starts and ends of spans [0, merged): `events` of each. */
  private starts: Float64Array | undefined;
  private ends: Float64Array | undefined;
  private events = 0;
  private merged = 0;
  /** The spans as [start, end, count] rows. */
  rows(): Array<[number, number, number]> {
    const list = this.list;
    const out = new Array<[number, number, number]>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = [list[3 * i]!, list[3 * i + 1]!, list[3 * i + 2]!];
    return out;
  }
  get empty(): boolean {
    return this.size === 0;
  }
  add(s: number, e: number, n = 1): void {
    this.total += n;
    let list = this.list;
    const last = 3 * (this.size - 1);
    if (this.size > this.merged && list[last] === s && list[last + 1] === e) {
      list[last + 2]! += n;
      return;
    }
    const k = 3 * this.size++;
    if (k === list.length) {
      list = new Float64Array(2 * k);
      list.set(this.list);
      this.list = list;
    }
    list[k] = s;
    list[k + 1] = e;
    list[k + 2] = n;
  }
  /** Connections whose span overlaps [s, e). */
  overlapping(s: number, e: number): number {
    if (this.total === 0) return 0;
    const list = this.list;
    let total = 0;
    for (let k = 0; k < 3 * this.size; k += 3) if (list[k]! < e && s < list[k + 1]!) total += list[k + 2]!;
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
      let max = si - ej;
      // Then at each start within the window (only a start can raise the count): every start up
      // to it, less every end up to it (a span [a, b) and one starting at b never meet).
      const until = w + width;
      for (; si < count; si++) {
        const ts = starts[si]!;
        if (ts >= until) break;
        while (ej < count && ends[ej]! <= ts) ej++;
        if (si + 1 - ej > max) max = si + 1 - ej;
      }
      out[k] = max;
    }
    return out;
  }
  prune(before: number): void {
    const list = this.list;
    let any = false;
    for (let i = 0; i < this.size && !any; i++) any = list[3 * i + 1]! < before;
    if (!any) return;
    // The starts of the merged spans let go, each as many times as it counts, to take out of the sorted starts.
    let drop = 0;
    for (let i = 0; i < this.merged; i++) if (!(list[3 * i + 1]! >= before)) drop += list[3 * i + 2]!;
    const goneStarts = new Float64Array(drop);
    let g = 0;
    let kept = 0;
    let goneMerged = 0;
    for (let i = 0; i < this.size; i++) {
      const s = list[3 * i]!;
      const e = list[3 * i + 1]!;
      const n = list[3 * i + 2]!;
      if (e >= before) {
        list[3 * kept] = s;
        list[3 * kept + 1] = e;
        list[3 * kept + 2] = n;
        kept++;
      } else {
        if (i < this.merged) {
          goneMerged++;
          for (let c = 0; c < n; c++) goneStarts[g++] = s;
        }
        this.total -= n;
      }
    }
    if (this.starts && goneMerged > 0) {
      // The ends of the spans let go are the first ends (every span ending before `before` goes);
      // their starts are taken out of the starts as a multiset.
      this.events = removeSorted(this.starts, this.events, sortTimes(goneStarts), drop);
      this.ends!.copyWithin(0, drop, this.events + drop);
    }
    this.merged -= goneMerged;
    this.size = kept;
  }
  /** Merges the spans added since the last time into the sorted starts and ends. */
  private mergeAdded(): void {
    if (this.merged === this.size) return;
    let m = 0;
    for (let i = this.merged; i < this.size; i++) m += this.list[3 * i + 2]!;
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
    mergeInto(this.starts, this.events, this.instants(m, 0));
    mergeInto(this.ends!, this.events, this.instants(m, 1));
    this.events = need;
    this.merged = this.size;
  }
  /** The starts (which 0) or the ends (1) of the spans not merged yet, sorted, each span's as many times as it counts (m in all). */
  private instants(m: number, which: 0 | 1): Float64Array {
    return sortTimes(spanInstants(this.list, this.merged, this.size, which, m));
  }
}

/** The starts (which 0) or ends (1) of spans `from` to `to` of a flat list (start, end, count), each as many times as it counts (m in all). */
function spanInstants(list: Float64Array, from: number, to: number, which: 0 | 1, m: number): Float64Array {
  const out = new Float64Array(m);
  let k = 0;
  for (let i = from; i < to; i++) {
    const v = list[3 * i + which]!;
    const n = list[3 * i + 2]!;
    for (let c = 0; c < n; c++) out[k++] = v;
  }
  return out;
}

/** Below this many values, the built-in sort beats the radix passes. */
const RADIX_MIN = 512;
const RADIX_BITS = 11;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/**
 * Sorts instants in place, as Float64Array.prototype.sort does. Whole milliseconds of one batch
 * (positive, less than 2^32 apart) are sorted by their offsets from the first, in radix passes of
 * 11 bits: two passes for spans within 70 minutes, instead of a comparison sort. Anything else
 * goes to the built-in sort.
 */
function sortTimes(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN || !wholeRange(a)) return a.sort();
  const min = RANGE[0]!;
  const range = RANGE[1]! - min;
  if (!(min > 0) || range > 0xffffffff) return a.sort();
  let keys: Uint32Array = offsetsFrom(a, min);
  let other: Uint32Array = new Uint32Array(n);
  const counts = new Uint32Array(RADIX_MASK + 1);
  for (let shift = 0; shift === 0 || (shift < 32 && range >>> shift !== 0); shift += RADIX_BITS) {
    radixPass(keys, other, counts, shift);
    [keys, other] = [other, keys];
  }
  addTo(a, keys, min);
  return a;
}

// Each loop of the sort is a function of its own: V8 compiles a long loop while it runs, and code
// after it that never ran yet would be compiled without knowing its types (and dropped again
// when it first runs), sort after sort while the server warms up.

/** The least and greatest value, when every value is whole (else false). */
const RANGE = new Float64Array(2);
function wholeRange(a: Float64Array): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v !== Math.floor(v)) return false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  RANGE[0] = min;
  RANGE[1] = max;
  return true;
}

/** The values less `min`, as 32-bit keys. */
function offsetsFrom(a: Float64Array, min: number): Uint32Array {
  const keys = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) keys[i] = a[i]! - min;
  return keys;
}

/** One radix pass: `keys` ordered by their bits from `shift` into `out`. */
function radixPass(keys: Uint32Array, out: Uint32Array, counts: Uint32Array, shift: number): void {
  counts.fill(0);
  for (let i = 0; i < keys.length; i++) counts[(keys[i]! >>> shift) & RADIX_MASK]!++;
  let sum = 0;
  for (let d = 0; d <= RADIX_MASK; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out[counts[(k >>> shift) & RADIX_MASK]!++] = k;
  }
}

/** a[i] = min + keys[i]. */
function addTo(a: Float64Array, keys: Uint32Array, min: number): void {
  for (let i = 0; i < a.length; i++) a[i] = min + keys[i]!;
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
   * Port allocations by destination, by protocol and port then by address (`destinationKey`): the
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
  /** Each NAT gateway's minutes, reused by every batch (see `batch`): what a batch counts is not remembered. */
  minutes: Map<string, NatMinutes>;
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
    m = { generation: store.generation, nats: new Map(), minutes: new Map(), latest: 0, sweptBefore: -Infinity };
    restoreMemory(store, m);
    memories.set(store, m);
  }
  return m;
}

/** Where a stopping server leaves what its NAT gateways remember: one row per gateway. */
const MEMORY_SCOPE = 'global/global';
const MEMORY_KIND = 'nat-gateway-connections';

interface StoredNatMemory {
  /** Port allocations: [destination key, [[address, [start, end, …]], …]], … (see destinationKey). */
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
        Active: n.active.rows(),
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

/** The end of a connection's span (from its start and end); one that starts and ends at once lasts a millisecond. */
function spanEnd(start: number, end: number): number {
  return Math.max(end, start + 1);
}

// ---------------------------------------------------------------------------------------
// Reading a trace
// ---------------------------------------------------------------------------------------

/** A NAT gateway translating a walk's request: whether the request left it, and the reply came back through it (and left it). */
interface NatStep {
  natId: string;
  /** The request as the gateway sends it on, with the walk's addresses (`own` gives a connection's). */
  outbound: Headers | undefined;
  requestLeft: boolean;
  reply: boolean;
  replyLeft: boolean;
}

/**
 * What the NAT gateways saw of a walk, worked out once per walk (walks are not changed once
 * made); each batch looks it up once per walk it meets.
 */
interface Walk {
  /** Whether the request meets a NAT gateway at all. */
  meets: boolean;
  /** The NAT gateways that refused the request outright (`drop` hops on the forward path), in order. */
  drops: string[];
  /** The NAT gateways the request was translated by, in order. */
  steps: NatStep[];
  /** Whether the request is TCP, and the walk's verdict is `accepted`. */
  tcp: boolean;
  accepted: boolean;
  /** Where to look for the NAT gateways first: the client's account and region. */
  hint: { account: string; region: string } | undefined;
}

const walks = new WeakMap<TraceResult, Walk>();

function walkOf(t: TraceResult): Walk {
  let walk = walks.get(t);
  if (!walk) {
    const fwd = t.forward;
    const rev = t.reverse;
    const back = rev ? translations(rev) : [];
    const steps: NatStep[] = [];
    for (const i of translations(fwd)) {
      const hop = fwd.hops[i]!;
      let r = -1;
      for (const j of back) if (r < 0 && rev!.hops[j]!.id === hop.id) r = j;
      steps.push({ natId: hop.id, outbound: hop.outbound, requestLeft: leftGateway(fwd, i), reply: r >= 0, replyLeft: r >= 0 && leftGateway(rev!, r) });
    }
    let meets = false;
    const drops: string[] = [];
    for (const h of fwd.hops) {
      if (h.type !== 'nat-gateway') continue;
      meets = true;
      if (h.action === 'drop') drops.push(h.id);
    }
    walk = { meets, drops, steps, tcp: fwd.first.proto === PROTO_TCP, accepted: t.verdict === 'accepted', hint: hintOf(t) };
    walks.set(t, walk);
  }
  return walk;
}

/** Indexes of the NAT gateway translations on a path. */
function translations(path: PathResult): number[] {
  const found: number[] = [];
  for (let i = 0; i < path.hops.length; i++) {
    const h = path.hops[i]!;
    if (h.type === 'nat-gateway' && h.action === 'translate') found.push(i);
  }
  return found;
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
 * The destination a NAT gateway sends a request to (protocol, address, port) as the keys of
 * `NatMemory.ports`: small integers where they can be (protocol and port as one, then the IPv4
 * address as a signed 32-bit number), which Maps hold and compare without a heap number.
 */
function destinationKey(o: Headers): number | string {
  return typeof o.dst === 'number' ? o.proto * 0x10000 + o.dport : `${o.proto}|${o.dst}|${o.dport}`;
}

/** The address part of the destination (see `destinationKey`): 0 when the key holds it. */
function destinationAddress(o: Headers): number {
  return typeof o.dst === 'number' ? o.dst | 0 : 0;
}

/**
 * Finds the spans of a NAT gateway's connections to a destination (`NatMemory.ports`). Within a
 * batch, the map of the last gateway, protocol and port is kept at hand (a batch's connections
 * mostly share a few); a new destination's list is made holding its first span (most
 * destinations see few connections).
 */
class Destinations {
  private nat: NatMemory | undefined = undefined;
  private key: number | string = -1;
  private byAddress: Map<number, number[]> | undefined = undefined;
  private address = 0;

  /** The spans to a destination of `nat` (see `destinationKey`), start, end pairs in one flat list; undefined if there is none yet (then `create`). */
  find(nat: NatMemory, key: number | string, address: number): number[] | undefined {
    if (nat !== this.nat || key !== this.key) {
      let byAddress = nat.ports.get(key);
      if (!byAddress) nat.ports.set(key, (byAddress = new Map()));
      this.nat = nat;
      this.key = key;
      this.byAddress = byAddress;
    }
    this.address = address;
    return this.byAddress!.get(address);
  }

  /** The list of the destination `find` last found without one, made holding the span [s, e). */
  create(s: number, e: number): number[] {
    const list = [s, e];
    this.byAddress!.set(this.address, list);
    return list;
  }

  /** Lets go of the last map (a batch's start and end: the memory may forget it). */
  reset(): void {
    this.nat = undefined;
    this.key = -1;
    this.byAddress = undefined;
  }
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

/** Finds the scope ("account/region") holding each NAT gateway, asked once per ID and batch. */
class NatDirectory {
  private readonly scopes = new Map<string, string | undefined>();
  private store!: Store;

  /** Starts a batch on `store` (what an earlier batch found is asked again). */
  open(store: Store): NatDirectory {
    this.store = store;
    this.scopes.clear();
    return this;
  }

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

/** The one in use, opened by each batch (see `batch`). */
const directory = new NatDirectory();

function hintOf(t: TraceResult): { account: string; region: string } | undefined {
  const src = t.source;
  return src.kind === 'interface' ? { account: src.iface.model.account, region: src.iface.model.region } : undefined;
}

// ---------------------------------------------------------------------------------------
// A batch's connections
// ---------------------------------------------------------------------------------------

/**
 * A batch's connections, copied into typed arrays by one small loop, with each one's walk as an
 * index into the batch's walks. The loops that do the work read these, not the connections: V8
 * specializes optimized code to the hidden classes of the objects it reads and throws the code
 * away once no object of such a class is left, which happens to the connections (and their
 * plans) between one batch and the next. A work loop reading them would be compiled anew for
 * every batch, at a cost above that of running it; only the copying loop is.
 */
class Batch {
  count = 0;
  /** The walks that decided the connections, in order of their first connection. */
  walks: TraceResult[] = [];
  /** Each connection's walk: an index into `walks`. */
  walk = new Int32Array(0);
  start = new Float64Array(0);
  end = new Float64Array(0);
  packets = new Float64Array(0);
  bytes = new Float64Array(0);
  replyPackets = new Float64Array(0);
  replyBytes = new Float64Array(0);
  /** 1 for a connection marked `natDropped`. */
  dropped = new Uint8Array(0);
  /** The latest start. */
  latest = 0;
  /**
   * After `destinations(flows)`, for port allocation: where each connection not marked sends its
   * request from each NAT gateway translating it (the walk's steps with headers, in order), its
   * own addresses and ports as `destinationKey` and `destinationAddress`; connection i's from
   * `first[i]` on.
   */
  first = new Int32Array(0);
  keys: Array<number | string> = [];
  addresses: number[] = [];

  copy(flows: readonly DecidedFlow[]): Batch {
    const count = flows.length;
    this.count = count;
    this.walks = [];
    this.walk = new Int32Array(count);
    this.start = new Float64Array(count);
    this.end = new Float64Array(count);
    this.packets = new Float64Array(count);
    this.bytes = new Float64Array(count);
    this.replyPackets = new Float64Array(count);
    this.replyBytes = new Float64Array(count);
    this.dropped = new Uint8Array(count);
    this.latest = 0;
    this.first = new Int32Array(0);
    this.keys = [];
    this.addresses = [];
    const index = new Map<TraceResult, number>();
    for (let i = 0; i < count; i++) {
      const f = flows[i]!;
      // The walk that decided it: its hops and verdict are the connection's (its addresses possibly another's).
      const t = f.decision;
      let w = index.get(t);
      if (w === undefined) {
        index.set(t, (w = this.walks.length));
        this.walks.push(t);
      }
      this.walk[i] = w;
      const s = f.startMs;
      if (s > this.latest) this.latest = s;
      this.start[i] = s;
      this.end[i] = f.endMs;
      this.packets[i] = f.packets;
      this.bytes[i] = f.bytes;
      this.replyPackets[i] = f.replyPackets;
      this.replyBytes[i] = f.replyBytes;
      this.dropped[i] = f.natDropped ? 1 : 0;
    }
    return this;
  }

  /** Works out the destinations (`first`, `keys`, `addresses`) of the connections copied. */
  destinations(flows: readonly DecidedFlow[]): void {
    const outbound = this.walks.map(translationHeaders);
    this.first = new Int32Array(this.count + 1);
    for (let i = 0; i < this.count; i++) {
      this.first[i] = this.keys.length;
      if (this.dropped[i]) continue;
      const f = flows[i]!;
      const headers = outbound[this.walk[i]!]!;
      for (let k = 0; k < headers.length; k++) {
        const o = f.own(headers[k]!, false);
        this.keys.push(destinationKey(o));
        this.addresses.push(destinationAddress(o));
      }
    }
    this.first[this.count] = this.keys.length;
  }

  /** Lets go of the batch. */
  release(): void {
    this.copy([]);
  }
}

/** The headers a walk's request leaves each NAT gateway translating it with (those that have them). */
function translationHeaders(t: TraceResult): Headers[] {
  const out: Headers[] = [];
  for (const step of walkOf(t).steps) if (step.outbound) out.push(step.outbound);
  return out;
}

/**
 * The one in use. The objects the work loops read serve every batch, one of each (batches are
 * taken one at a time, synchronously): made anew for each batch, their classes would be gone
 * between batches too, and with them the code optimized for them.
 */
const batch = new Batch();

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
  const b = batch.copy(flows);
  b.destinations(flows);
  const a = requests.open(mem, app.store, b);
  try {
    // While no destination has connections enough to reach its limit (counting those remembered),
    // no connection can be refused and the order they take ports in changes nothing: they are taken
    // as they come. Else what was taken is given back, and they are taken again in order of start.
    if (!allocate(a, b, undefined, false)) allocate(a, b, natFlowsInStartOrder(b), true);
    for (let k = 0; k < a.refused.length; k++) {
      const f = flows[a.refused[k]!]!;
      f.natDropped = true;
      droppedAt.set(f, a.refusedBy[k]!);
    }
    forgetOld(mem, b.latest);
  } finally {
    a.release();
    b.release();
  }
}

/** A NAT gateway translating a walk's request, and its limit in this batch. */
interface Holder {
  natId: string;
  limit: number;
  /** What it remembers, found when first needed. */
  nat: NatMemory | undefined;
}

/** What port allocation works with in one batch, besides the batch itself. One serves every batch (see `batch`). */
class PortRequests {
  mem: Memory | undefined = undefined;
  /** The gateways taking ports for the connections of each walk of the batch (by its index). */
  holders: Holder[][] = [];
  /** The connections refused a port (indexes), and by which gateway. */
  refused: number[] = [];
  refusedBy: string[] = [];
  /** The map of the destinations last looked up (see Destinations). */
  readonly destinations = new Destinations();

  open(mem: Memory, store: Store, b: Batch): PortRequests {
    this.mem = mem;
    this.holders = holdersOf(store, b.walks);
    this.refused = [];
    this.refusedBy = [];
    this.destinations.reset();
    return this;
  }

  /** Lets go of the batch (and of the memory's maps). */
  release(): void {
    this.mem = undefined;
    this.holders = [];
    this.refused = [];
    this.refusedBy = [];
    this.destinations.reset();
  }

  /** The spans to the destination of connection i from its walk's gateway `holders[k]` (see Destinations). */
  find(nat: NatMemory, b: Batch, i: number, k: number): number[] | undefined {
    const j = b.first[i]! + k;
    return this.destinations.find(nat, b.keys[j]!, b.addresses[j]!);
  }
}

/** The one in use (see `batch`). */
const requests = new PortRequests();

/** The gateways taking ports for the connections of each walk (its translations with headers), with their limits: 55,000 per address. */
function holdersOf(store: Store, walks: readonly TraceResult[]): Holder[][] {
  const dir = directory.open(store);
  const limits = new Map<string, number>();
  const now = Date.now();
  return walks.map((t) => {
    const walk = walkOf(t);
    const out: Holder[] = [];
    for (const step of walk.steps) {
      if (!step.outbound) continue;
      let limit = limits.get(step.natId);
      if (limit === undefined) {
        dir.scopeOf(step.natId, walk.hint);
        limits.set(step.natId, (limit = CONNECTIONS_PER_DESTINATION * dir.addresses(step.natId, now)));
      }
      out.push({ natId: step.natId, limit, nat: undefined });
    }
    return out;
  });
}

/** Indexes of the connections not marked yet that meet a NAT gateway, in order of start (then as given). */
function natFlowsInStartOrder(b: Batch): number[] {
  const meets = b.walks.map((t) => walkOf(t).meets);
  const order: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < b.count; i++) {
    if (!b.dropped[i] && meets[b.walk[i]!]) {
      order.push(i);
      starts.push(b.start[i]!);
    }
  }
  return inStartOrder(order, starts);
}

/**
 * Takes ports for the connections `sequence` (indexes in the batch) in its order, or without one
 * for every connection not already marked, as they come. Exact: refuses those past the limit.
 * Not exact: stops and gives every port it took back as soon as a destination could reach its
 * limit, and returns false.
 */
function allocate(a: PortRequests, b: Batch, sequence: readonly number[] | undefined, exact: boolean): boolean {
  const count = sequence ? sequence.length : b.count;
  for (let n = 0; n < count; n++) {
    const i = sequence ? sequence[n]! : n;
    if (!sequence && b.dropped[i]) continue;
    const holders = a.holders[b.walk[i]!]!;
    const s = b.start[i]!;
    const e = spanEnd(s, b.end[i]!);
    for (let k = 0; k < holders.length; k++) {
      const hop = holders[k]!;
      const nat = (hop.nat ??= natMemory(a.mem!, hop.natId));
      const list = a.find(nat, b, i, k);
      if (!list) {
        // A destination new to the gateway: one connection is far from any limit.
        a.destinations.create(s, e);
        continue;
      }
      let spans = nat.busy.size === 0 ? undefined : nat.busy.get(list);
      if (!exact) {
        if (spans || list.length + 2 >= 2 * hop.limit) {
          giveBack(a, b, i, k);
          return false;
        }
        list.push(s, e);
        continue;
      }
      // Cheap bounds first; the exact peak only when they reach the limit.
      if (!spans && list.length >= 2 * hop.limit) {
        spans = new Spans();
        for (let j = 0; j < list.length; j += 2) spans.add(list[j]!, list[j + 1]!);
        nat.busy.set(list, spans);
      }
      if (spans && spans.overlapping(s, e) >= hop.limit && spans.peak(s, e) >= hop.limit) {
        a.refused.push(i);
        a.refusedBy.push(hop.natId);
        break;
      }
      list.push(s, e);
      spans?.add(s, e);
    }
  }
  return true;
}

/**
 * Gives back the ports `allocate` took as they come, up to connection `upTo` and its gateway
 * `holders[k]` (not included): each took one span at the end of its destination's list. A list
 * made for the batch stays, empty.
 */
function giveBack(a: PortRequests, b: Batch, upTo: number, k: number): void {
  for (let i = 0; i <= upTo; i++) {
    if (b.dropped[i]) continue;
    const holders = a.holders[b.walk[i]!]!;
    for (let j = 0; j < (i === upTo ? k : holders.length); j++) a.find(holders[j]!.nat!, b, i, j)!.length -= 2;
  }
}

// ---------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------

/**
 * Per NAT gateway: its scope and one vector of metric values per minute, by the minute's number
 * since the epoch (a small integer key, where its time in milliseconds would be a heap number),
 * and the minute last asked for (connections in a row mostly start in the same minute).
 */
interface NatMinutes {
  scope: string;
  minutes: Map<number, Float64Array>;
  lastKey: number;
  lastVec: Float64Array | undefined;
}

function minuteOf(t: number): number {
  return Math.floor(t / MINUTE) * MINUTE;
}

/** The vector of the minute holding instant t. */
function vectorAt(acc: NatMinutes, t: number): Float64Array {
  const key = Math.floor(t / MINUTE);
  if (key === acc.lastKey) return acc.lastVec!;
  let vec = acc.minutes.get(key);
  if (!vec) acc.minutes.set(key, (vec = new Float64Array(NAT_METRICS.length)));
  acc.lastKey = key;
  acc.lastVec = vec;
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

/** What one NAT gateway adds for one connection: metrics and their totals, in pairs (see spread). */
class Totals {
  readonly metrics = new Int32Array(8);
  readonly values = new Float64Array(8);
  count = 0;
  add(metric: number, value: number): void {
    this.metrics[this.count] = metric;
    this.values[this.count++] = value;
  }
}

/** The one in use (see `batch`). */
const totals = new Totals();

/**
 * Spreads each total over [s, e) in proportion to the time in each minute, in whole units
 * (the minutes add up to the total exactly), and marks every minute the span touches (the
 * minute of s when it is empty).
 */
function spread(acc: NatMinutes, s: number, e: number, t: Totals): void {
  const { metrics, values, count } = t;
  if (e <= minuteOf(s) + MINUTE) {
    // Within the minute of s (most connections): one vector, and every total goes to it whole.
    const vec = vectorAt(acc, s);
    for (let i = 0; i < count; i++) {
      const total = values[i]!;
      if (total) vec[metrics[i]!]! += e <= s ? total : whole(total, e - s);
    }
    return;
  }
  touch(acc, s, e);
  const d = e - s;
  for (let m = minuteOf(s); m < e; m += MINUTE) {
    const from = Math.max(s, m) - s;
    const to = Math.min(e, m + MINUTE) - s;
    const vec = vectorAt(acc, m);
    for (let i = 0; i < count; i++) {
      const total = values[i]!;
      if (total) vec[metrics[i]!]! += Math.round((total * to) / d) - Math.round((total * from) / d);
    }
  }
}

/**
 * A total spread over a span of d > 0 milliseconds within one minute: the general case's
 * arithmetic with the whole span in the minute, which gives back a 32-bit integer total as it is.
 */
function whole(total: number, d: number): number {
  return (total | 0) === total ? total : Math.round((total * d) / d) - Math.round((total * 0) / d);
}

/**
 * Whether a connection sat silent longer than the idle timeout: its packets (both ways)
 * spread evenly over its duration leave gaps longer than 350 seconds.
 */
function idles(duration: number, packets: number): boolean {
  return duration > IDLE_TIMEOUT_MS && duration / Math.max(1, packets) > IDLE_TIMEOUT_MS;
}

/** The NAT gateways met by a batch: where they live, and their minutes in the order they were met. One serves every batch (see `batch`). */
class Gateways {
  mem: Memory | undefined = undefined;
  byNat = new Map<string, NatMinutes>();

  open(mem: Memory, store: Store): Gateways {
    this.mem = mem;
    this.byNat = new Map();
    directory.open(store);
    return this;
  }

  /** Lets go of the batch (and of what its gateways counted). */
  release(): void {
    for (const acc of this.byNat.values()) {
      acc.minutes = new Map();
      acc.lastVec = undefined;
    }
    this.mem = undefined;
    this.byNat = new Map();
  }

  /** The minutes of a NAT gateway, started when first asked for in the batch; null when its scope is unknown. */
  minutes(natId: string, walk: Walk): NatMinutes | null {
    let acc = this.byNat.get(natId);
    if (!acc) {
      const scope = directory.scopeOf(natId, walk.hint);
      if (!scope) return null;
      const kept = this.mem!.minutes;
      acc = kept.get(natId);
      if (!acc) kept.set(natId, (acc = { scope, minutes: new Map(), lastKey: NaN, lastVec: undefined }));
      acc.scope = scope;
      acc.minutes = new Map();
      acc.lastKey = NaN;
      acc.lastVec = undefined;
      this.byNat.set(natId, acc);
    }
    return acc;
  }
}

/** The one in use (see `batch`). */
const gateways = new Gateways();

/**
 * A walk's gateways in one batch: their minutes (null when the gateway's scope is unknown) and
 * their established connections, each found when first needed (a gateway a connection never
 * reaches counts nothing, not even an empty list of datapoints).
 */
interface WalkMinutes {
  walk: Walk;
  drops: Array<NatMinutes | null | undefined>;
  steps: Array<NatMinutes | null | undefined>;
  active: Array<Spans | undefined>;
}

/** The minutes of a walk's gateway (`list[k]`, the gateway `natId`), found when first needed. */
function minutesOf(list: Array<NatMinutes | null | undefined>, k: number, natId: string, walk: Walk): NatMinutes | null {
  const known = list[k];
  return known !== undefined ? known : (list[k] = gateways.minutes(natId, walk));
}

/**
 * The datapoints a batch of connections gives each NAT gateway, per scope (account/region):
 * every metric for every minute in which the gateway handled traffic, zeros included.
 * Remembers the batch's established TCP connections for ActiveConnectionCount.
 */
export function natMetricData(app: Pick<App, 'store' | 'config'>, flows: readonly DecidedFlow[]): Map<string, MetricInput[]> {
  const mem = memoryOf(app.store);
  const b = batch.copy(flows);
  const g = gateways.open(mem, app.store);
  try {
    countMinutes(mem, b, flows);
    const out = datapoints(mem, g.byNat);
    forgetOld(mem, b.latest);
    return out;
  } finally {
    g.release();
    b.release();
  }
}

/** Adds what each connection of the batch gives its NAT gateways to their minutes. */
function countMinutes(mem: Memory, b: Batch, flows: readonly DecidedFlow[]): void {
  const perWalk = b.walks.map((t): WalkMinutes => ({ walk: walkOf(t), drops: [], steps: [], active: [] }));
  for (let i = 0; i < b.count; i++) {
    const here = perWalk[b.walk[i]!]!;
    const walk = here.walk;
    if (!walk.meets) continue;
    const s = b.start[i]!;
    const e = b.end[i]!;
    const packets = b.packets[i]!;
    const bytes = b.bytes[i]!;
    const replyPackets = b.replyPackets[i]!;
    const replyBytes = b.replyBytes[i]!;

    // Packets a NAT gateway refused outright (a source outside its VPC, a connection towards it).
    const drops = walk.drops;
    for (let k = 0; k < drops.length; k++) {
      const acc = minutesOf(here.drops, k, drops[k]!, walk);
      if (!acc) continue;
      totals.count = 0;
      totals.add(PACKETS_DROP, packets);
      spread(acc, s, e, totals);
    }

    const dropped = b.dropped[i] === 1;
    const steps = walk.steps;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k]!;
      const acc = minutesOf(here.steps, k, step.natId, walk);
      if (!acc) continue;
      const first = vectorAt(acc, s);
      first[ATTEMPTS]! += 1;
      totals.count = 0;
      totals.add(PACKETS_IN_FROM_SOURCE, packets);
      totals.add(BYTES_IN_FROM_SOURCE, bytes);
      // The gateway without a port drops the connection; those after it never see it.
      if (dropped && (droppedAt.get(flows[i]!) ?? step.natId) === step.natId) {
        first[ERROR_PORT_ALLOCATION]! += 1;
        totals.add(PACKETS_DROP, packets);
        spread(acc, s, e, totals);
        break;
      }
      // Request in (and out, when it left the gateway); reply in (and out), when there was one.
      if (step.requestLeft) {
        totals.add(PACKETS_OUT_TO_DESTINATION, packets);
        totals.add(BYTES_OUT_TO_DESTINATION, bytes);
      }
      if (!dropped && step.reply && replyPackets + replyBytes > 0) {
        totals.add(PACKETS_IN_FROM_DESTINATION, replyPackets);
        totals.add(BYTES_IN_FROM_DESTINATION, replyBytes);
        if (step.replyLeft) {
          totals.add(PACKETS_OUT_TO_SOURCE, replyPackets);
          totals.add(BYTES_OUT_TO_SOURCE, replyBytes);
        }
      }
      spread(acc, s, e, totals);
      const established = !dropped && walk.accepted && replyPackets > 0;
      if (!established) continue;
      first[ESTABLISHED]! += 1;
      if (walk.tcp) {
        (here.active[k] ??= natMemory(mem, step.natId).active).add(s, spanEnd(s, e));
        if (idles(e - s, packets + replyPackets)) at(acc, s + IDLE_TIMEOUT_MS, IDLE_TIMEOUTS, 1);
      }
    }
  }
}

/** Every metric of every minute counted, per scope, with ActiveConnectionCount from what the gateways remember. */
function datapoints(mem: Memory, byNat: Map<string, NatMinutes>): Map<string, MetricInput[]> {
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
  return out;
}

/**
 * Writes the AWS/NATGateway datapoints of a batch of connections: one transaction per
 * account and region holding a NAT gateway the batch went through.
 */
export function recordNatMetrics(app: Pick<App, 'store' | 'config'>, flows: readonly DecidedFlow[]): void {
  for (const [scope, data] of natMetricData(app, flows)) app.store.transact((tx) => putMetricData(new ScopedState(tx, scope), NAMESPACE, data));
}

/**
 * What NAT gateways remember and what a batch counts for one, kept for their shapes (see
 * keepShape): a store's memory goes with the store, and batches through no NAT gateway make
 * none of them. Each is made as the batches make them, its fields holding values of the kinds
 * they hold in use.
 */
function natShapes(): object[] {
  const mem: Memory = { generation: -1, nats: new Map(), minutes: new Map(), latest: 0.5, sweptBefore: -Infinity };
  const nat = natMemory(mem, '');
  nat.active.add(0, 1);
  nat.active.peaks([0], MINUTE);
  const holder: Holder = { natId: '', limit: 0, nat };
  const acc: NatMinutes = { scope: '', minutes: new Map(), lastKey: NaN, lastVec: undefined };
  vectorAt(acc, 0);
  const step: NatStep = { natId: '', outbound: undefined, requestLeft: false, reply: false, replyLeft: false };
  return [mem, nat, holder, acc, step];
}
keepShape(natShapes());
