/**
 * From what interfaces saw to flow log records where AWS puts them.
 *
 *   record(observations)  each observation is matched to the flow logs that capture its interface
 *                         (on the interface, its subnet or its VPC; TrafficType; created before the
 *                         traffic) and added to the record of its flow in its aggregation window
 *   deliverDue(nowMs)     every window that closed at or before nowMs is delivered, with NODATA
 *                         records for the windows an interface that had traffic spent idle since
 *                         the previous call (up to 60 windows after its last traffic)
 *   flush()               everything pending is delivered now, windows still open too
 *
 * Windows are aligned to the clock: a flow log with MaxAggregationInterval I (60 or 600 s) has
 * windows [k·I, (k+1)·I) in Unix time. An observation spanning several windows is split among
 * them in proportion to the time it spent in each. Within a window, observations of the same
 * interface with the same flow (5-tuple, action, direction, packet addresses, traffic path) are
 * one record: packets and bytes summed, TCP flags OR-ed, start the first packet's second and end
 * the last one's. Past `windowCapacity` distinct flows of one interface in one window, the other
 * flows become a single SKIPDATA record for the window (AWS: "exceeds internal capacity").
 *
 * Delivery, one transaction per flow log on the store (through App.exclusive when there is one,
 * so that several servers on one PostgreSQL database stay consistent):
 *   CloudWatch Logs  the flow log's log group (created when missing, as the delivery role does),
 *                    one stream per interface `<interface-id>-<all|accept|reject>`, one event per
 *                    record (timestamp = the record's start, message = the line)
 *   S3               one gzip text object per flow log per delivery, in AWS's key layout (plain or
 *                    Hive-compatible prefixes, daily or hourly partitions), a header line of field
 *                    names, then the records. A missing bucket fails the delivery: the flow log
 *                    shows DeliverLogsStatus FAILED with DeliverLogsErrorMessage "Access error"
 *                    until a later delivery succeeds.
 *   Firehose         not simulated: records for such flow logs are not kept.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, gzipSync } from 'node:zlib';
import { keepShape } from '../keep-shape.js';
import type { App } from '../server/app.js';
import { activeFlowLogsIn, type ActiveFlowLog, flowLogInForce, flowLogsVersion, setDeliverLogsStatus } from '../services/ec2/flow-logs.js';
import { appendLogColumns, ensureLogGroup, type LogLines } from '../services/logs/index.js';
import { putObject } from '../services/s3/index.js';
import { keyColumn, stableOrder } from '../stable-order.js';
import { ScopedState, scopeKey, sharedStore } from '../state/store.js';
import { type Address, addressOf, type CompiledFormat, compileFormat, type FlowKey, type FlowKind, flowKind, type FlowRecord, type InterfaceMeta, interfaceMeta, LineWriter, okRecord, statusRecord } from './flow-records.js';
import { parquetFile } from './flow-log-parquet.js';
import { deleteWindows, flowRecordOf, savedWindow, storedWindows, type StoredWindow, WINDOW_KIND, windowRowId, windowScope } from './flow-log-windows.js';
import { orderByGroup } from './group-order.js';
import type { InterfaceObservation, ObservationSource } from './types.js';

export interface DeliveryReport {
  /** Records delivered (OK, NODATA and SKIPDATA); a record of two flow logs counts twice. */
  records: number;
  /** Events appended to CloudWatch Logs streams. */
  logEvents: number;
  /** Objects written to S3. */
  s3Objects: number;
  /** Records that could not be delivered (missing bucket, flow log deleted meanwhile). */
  failed?: number;
  /**
   * On a store shared by several servers the writes run under the cross-server lock and finish
   * later: the counts above are then what was handed over, and `settled` gives the final ones.
   */
  settled?: Promise<DeliveryReport>;
}

export interface FlowLogPipeline {
  /** Matches each observation to the flow logs active on its interface and buffers it in its window. */
  record(observations: readonly InterfaceObservation[] | ObservationSource): void;
  /** Delivers every window that closed at or before nowMs (epoch ms). */
  deliverDue(nowMs: number): DeliveryReport;
  /** Delivers everything pending now, open windows too. */
  flush(): DeliveryReport;
  /** Writes the open windows with their records to the store, for the next server (this one is stopping). */
  save(): void;
}

/** Distinct flows one interface may log in one window before the rest is SKIPDATA. */
export const DEFAULT_WINDOW_CAPACITY = positiveInt(process.env.VPCSIM_FLOW_LOG_WINDOW_CAPACITY) ?? 50_000;

/** After an interface's last traffic, NODATA records are written for at most this many windows. */
export const MAX_NODATA_WINDOWS = 60;

/** AWS's message for a delivery its role could not make (DescribeFlowLogs DeliverLogsErrorMessage). */
export const ACCESS_ERROR = 'Access error';

function positiveInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

type AppLike = Pick<App, 'store' | 'config'> & Partial<Pick<App, 'exclusive'>>;

/** The view of one interface in one window, of the flow logs of a pair. */
interface Bucket {
  pair: Pair;
  window: number;
  endMs: number;
  /**
   * The records, in the order their flows first came: the first `count` of the array (see
   * recordsOf). A window of an interface whose windows are busy starts with room for as many as
   * its table holds (see openBucket).
   */
  records: FlowRecord[];
  count: number;
  /**
   * The records by flow hash (see flowHash), open addressing over a power of two of slots, at
   * most half of them used: a slot holds 0 (empty), or 1 + its record's index in the low `shift`
   * bits (log2 of the slots) and, above them, the bits of the record's hash above those that
   * chose its first slot (a record is compared only where they match the flow's). One 32-bit
   * number per slot: the table of a window with tens of thousands of flows stays in the
   * processor's caches, where every new flow looks at a slot of it at random.
   */
  slots: Int32Array;
  shift: number;
  /** The records' hashes, in their order: for placing them again when the table grows. Room for as many as the slots hold. */
  hashes: Int32Array;
  skipped?: FlowRecord;
  /** The last packet second seen in the window. */
  lastSec: number;
}

/**
 * Flow logs and an interface they have seen traffic of: the open windows, and what NODATA
 * needs. Flow logs that capture exactly the same traffic of the interface (twins: the same
 * aggregation interval, traffic type and creation time, or created apart with no traffic
 * between) keep one pair: their records are the same, aggregated once.
 */
interface Pair {
  fls: ActiveFlowLog[];
  intervalMs: number;
  meta: InterfaceMeta;
  /** Windows up to this one are settled (delivered, or found idle). */
  covered: number;
  /** Windows after `covered` that had traffic. */
  busy: Set<number>;
  /** The last window that had traffic. */
  lastBusy: number;
  /** Windows with records not delivered yet. */
  buckets: Map<number, Bucket>;
  /**
   * The window the last observation went to (an interface's observations mostly come in time
   * order: the next one likely goes there too, found without a lookup). Forgotten at delivery.
   */
  open: Bucket | undefined;
  /** Slots a new window starts with: as many as the busiest window so far needed (see growSlots). */
  firstSlots: number;
}

/**
 * Flow logs capturing an interface's traffic alike (one, or twins), and their pair once the
 * interface had traffic (within one record call). All of them capture an observation from
 * `from` on, none before `upTo` (their creation times).
 */
interface Capture {
  fls: ActiveFlowLog[];
  trafficType: string;
  intervalMs: number;
  from: number;
  upTo: number;
  pair: Pair | undefined;
}

/** What goes to one flow log in one delivery. */
interface Delivery {
  fl: ActiveFlowLog;
  account: string;
  region: string;
  /** Records per interface. */
  byInterface: Map<string, FlowRecord[]>;
  count: number;
  /** The rows of the windows delivered (see flow-log-windows.ts), deleted with the delivery. */
  windows: Set<string>;
}

/** Two characters a step (a string's hash is a chain of multiplications, each waiting for the last). */
function hashString(h: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = Math.imul(h ^ (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)), 16777619);
  if (i < n) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return Math.imul(h ^ (0x20 | (n << 8)), 16777619);
}

function hashInt(h: number, n: number): number {
  h = Math.imul(h ^ (n & 0xffff), 16777619);
  return Math.imul(h ^ (n >>> 16), 16777619);
}

/** An address into a hash: an IPv4 address as its number, another as its text. */
function hashAddress(h: number, a: Address): number {
  return typeof a === 'number' ? hashInt(h, a) : hashString(h, a);
}

/** A flow's addresses (as records hold them, see Address) and ports. */
type Key = Omit<FlowKey, 'kind'>;

const emptyKey = (): Key => ({ srcaddr: '', dstaddr: '', srcport: 0, dstport: 0, pktSrcaddr: '', pktDstaddr: '' });

/**
 * Fills `k` with an observation's addresses and ports: its IPv4 addresses' numbers where it gives
 * them (see InterfaceObservation.srcNum), else read from the text.
 */
function keyOf(k: Key, o: InterfaceObservation): Key {
  k.srcaddr = addressOf(o.srcaddr, o.srcNum);
  k.dstaddr = addressOf(o.dstaddr, o.dstNum);
  k.srcport = o.srcport;
  k.dstport = o.dstport;
  k.pktSrcaddr = o.pktSrcaddr === o.srcaddr ? k.srcaddr : addressOf(o.pktSrcaddr, o.pktSrcNum);
  k.pktDstaddr = o.pktDstaddr === o.dstaddr ? k.dstaddr : addressOf(o.pktDstaddr, o.pktDstNum);
  return k;
}

/**
 * FNV-1a over the fields that tell flows apart (those of aggregationKey), without allocating:
 * a key's addresses and ports, and its kind (hashed once, see FlowKind).
 */
function keyHash(k: Key, kind: FlowKind): number {
  let h = kind.hash;
  h = hashAddress(h, k.srcaddr);
  h = hashAddress(h, k.dstaddr);
  h = hashInt(h, k.srcport);
  h = hashInt(h, k.dstport);
  if (k.pktSrcaddr !== k.srcaddr) h = hashAddress(h, k.pktSrcaddr);
  if (k.pktDstaddr !== k.dstaddr) h = hashAddress(h, k.pktDstaddr);
  return h;
}

/** The hash of an observation's flow (of kind `kind`), as the pipeline computes it. */
export function flowHash(o: InterfaceObservation, kind: FlowKind): number {
  return keyHash(keyOf(emptyKey(), o), kind);
}

/** Slots a bucket starts with (see Bucket.slots), and at most what a busy interface's next ones start with. */
const FIRST_SLOTS = 32;
const MAX_FIRST_SLOTS = 1 << 17;
/** Tables smaller than this grow four times larger at once (fewer steps for a busy interface's first window), larger ones twice. */
const QUICK_GROWTH_BELOW = 4096;

/**
 * More slots (four or two times as many), every record placed again (in their order: their
 * hashes are read one after another). The interface's next windows start with as many: an
 * interface busy in one window is likely to be in the next (and not to grow again).
 */
function growSlots(b: Bucket): void {
  const size = b.slots.length * (b.slots.length < QUICK_GROWTH_BELOW ? 4 : 2);
  if (size > b.pair.firstSlots) b.pair.firstSlots = Math.min(size, MAX_FIRST_SLOTS);
  const slots = new Int32Array(size);
  const shift = 31 - Math.clz32(size);
  const mask = size - 1;
  const hashes = new Int32Array(hashRoom(size));
  hashes.set(b.hashes.subarray(0, b.count));
  for (let i = 0; i < b.count; i++) {
    const hash = hashes[i]!;
    let k = hash & mask;
    while (slots[k] !== 0) k = (k + 1) & mask;
    slots[k] = ((hash >>> shift) << shift) | (i + 1);
  }
  b.slots = slots;
  b.shift = shift;
  b.hashes = hashes;
}

/**
 * The hashes a table of `slots` slots may have to keep: it grows once a record makes more than
 * half of them used.
 */
const hashRoom = (slots: number) => (slots >> 1) + 1;

/**
 * A bucket's records, as many as it has. (Its array may have room past them: it is cut to size
 * here, when the records are read as a whole.)
 */
function recordsOf(b: Bucket): FlowRecord[] {
  if (b.records.length !== b.count) b.records.length = b.count;
  return b.records;
}

/** A pair's window `w`, opened: empty, its table as large as the pair's windows start with. */
function openBucket(pair: Pair, w: number): Bucket {
  const size = pair.firstSlots;
  const b: Bucket = {
    pair,
    window: w,
    endMs: (w + 1) * pair.intervalMs,
    // The records of a busy interface's window in one array from the start: grown by steps, a
    // large one would be made again and again (each time in memory of its own, touched anew).
    records: size > FIRST_SLOTS ? new Array<FlowRecord>(hashRoom(size)) : [],
    count: 0,
    slots: new Int32Array(size),
    shift: 31 - Math.clz32(size),
    hashes: new Int32Array(hashRoom(size)),
    lastSec: 0,
  };
  pair.buckets.set(w, b);
  if (w > pair.covered) pair.busy.add(w);
  if (w > pair.lastBusy) pair.lastBusy = w;
  return b;
}

/**
 * The window rows (see flow-log-windows.ts) of windows: one per flow log and window, naming the
 * interfaces, with what each had in the window when `withRecords`.
 */
function windowRows(buckets: Iterable<Bucket>, withRecords: boolean): Map<string, { scope: string; row: StoredWindow }> {
  const rows = new Map<string, { scope: string; row: StoredWindow }>();
  for (const b of buckets) {
    const { pair } = b;
    const saved = withRecords ? savedWindow(recordsOf(b), b.skipped, b.lastSec) : undefined;
    for (const fl of pair.fls) {
      const id = windowRowId(fl.flowLogId, b.window);
      let r = rows.get(id);
      if (!r) rows.set(id, (r = { scope: windowScope(pair.meta), row: { FlowLogId: fl.flowLogId, Window: b.window, IntervalSeconds: pair.intervalMs / 1000, Interfaces: [] } }));
      r.row.Interfaces.push(pair.meta);
      if (saved) (r.row.Saved ??= []).push(saved);
    }
  }
  return rows;
}

/** A new record of a window, in empty slot `k` of its table (which grows when half full). */
function placeRecord(b: Bucket, k: number, hash: number, r: FlowRecord): void {
  const i = b.count++;
  if (i < b.records.length) b.records[i] = r;
  else b.records.push(r);
  b.hashes[i] = hash;
  b.slots[k] = ((hash >>> b.shift) << b.shift) | (i + 1);
  if (2 * b.count > b.slots.length) growSlots(b);
}

/** The first empty slot of a window's table for a hash (where a flow not in it goes). */
function emptySlot(b: Bucket, hash: number): number {
  const mask = b.slots.length - 1;
  let k = hash & mask;
  while (b.slots[k] !== 0) k = (k + 1) & mask;
  return k;
}

/** Whether a record's flow is that of a key (of kind `kind`). */
function sameFlow(f: FlowKey, k: Key, kind: FlowKind): boolean {
  return (
    f.srcport === k.srcport &&
    f.dstport === k.dstport &&
    f.kind === kind &&
    f.srcaddr === k.srcaddr &&
    f.dstaddr === k.dstaddr &&
    f.pktSrcaddr === k.pktSrcaddr &&
    f.pktDstaddr === k.pktDstaddr
  );
}

/**
 * The positions of a batch's observations grouped by interface: interfaces in order of first
 * appearance, each one's observations in their own order. Nothing a record holds depends on the
 * order of different interfaces' observations; taken one interface at a time, the windows and
 * tables an observation is added to are those the previous one used (in the cache, not in main
 * memory), and an interface's records are made side by side, as delivery reads them.
 */
function groupOrder(source: ObservationSource): Int32Array {
  if (source.groupOrder) return source.groupOrder();
  const n = source.count;
  const groupOf = new Int32Array(n);
  const ids = new Map<string, number>();
  // A connection's observations at one interface come one after another: the last one's group, without a lookup.
  let lastId: string | undefined;
  let g = -1;
  for (let k = 0; k < n; k++) {
    const id = source.interfaceId(k);
    if (id !== lastId) {
      lastId = id;
      const known = ids.get(id);
      if (known === undefined) ids.set(id, (g = ids.size));
      else g = known;
    }
    groupOf[k] = g;
  }
  return orderByGroup(groupOf, ids.size);
}

/** A list of observations as a source. */
class ObservationList implements ObservationSource {
  constructor(private readonly list: readonly InterfaceObservation[]) {}
  get count(): number {
    return this.list.length;
  }
  interfaceId(k: number): string {
    return this.list[k]!.interfaceId;
  }
  at(k: number): InterfaceObservation {
    return this.list[k]!;
  }
}

export class FlowLogPipelineImpl implements FlowLogPipeline {
  windowCapacity = DEFAULT_WINDOW_CAPACITY;
  /** flow log ID → interface ID → pair. */
  private pairs = new Map<string, Map<string, Pair>>();
  private generation: number;
  private lastNowMs = 0;
  /**
   * The captures of each interface seen, kept from one record call to the next while the flow
   * logs in force stay the same (`capturesVersion`) and no delivery let pairs go.
   */
  private captures = new Map<string, Capture[]>();
  private capturesVersion = '';

  /** Whether open windows are kept in the store (see flow-log-windows.ts): not on a shared store. */
  private readonly durable: boolean;
  /** Windows opened by the current record call, to mark in the store. */
  private readonly opened: Bucket[] = [];
  /** The key of the observation being taken (see keyOf). */
  private readonly key: Key = emptyKey();

  constructor(private readonly app: AppLike) {
    this.generation = app.store.generation;
    this.durable = sharedStore(app.store.persistence) === undefined;
    this.restore();
  }

  /** Records waiting for delivery (OK records and SKIPDATA records). */
  get pending(): number {
    let n = 0;
    for (const byIface of this.pairs.values()) {
      for (const pair of byIface.values()) for (const b of pair.buckets.values()) n += b.count + (b.skipped ? 1 : 0);
    }
    return n;
  }

  /** Interfaces followed for NODATA, over all flow logs. */
  get pairCount(): number {
    let n = 0;
    for (const byIface of this.pairs.values()) n += byIface.size;
    return n;
  }

  /** A reset or reload of the whole state drops what was buffered for it, and takes up the windows the new state holds. */
  private checkGeneration(): void {
    if (this.app.store.generation === this.generation) return;
    this.generation = this.app.store.generation;
    this.pairs.clear();
    this.captures.clear();
    this.opened.length = 0;
    this.lastNowMs = 0;
    this.restore();
  }

  record(observations: readonly InterfaceObservation[] | ObservationSource): void {
    this.checkGeneration();
    const source = Array.isArray(observations) ? new ObservationList(observations) : (observations as ObservationSource);
    if (source.count === 0) return;
    const version = flowLogsVersion(this.app.store);
    if (version !== this.capturesVersion) {
      this.captures.clear();
      this.capturesVersion = version;
    }
    this.take(source, groupOrder(source));
    if (this.opened.length) this.markOpened();
  }

  /** Each observation, in `order`, added to the windows of the flow logs that capture it. */
  private take(source: ObservationSource, order: Int32Array): void {
    // Interface IDs are unique across accounts and regions: the flow logs of each, once.
    const cache = this.captures;
    // One interface after another (see groupOrder).
    let lastId: string | undefined;
    let last: Capture[] = [];
    const key = this.key;
    for (let j = 0; j < order.length; j++) {
      // Read before the next is asked for (a source may reuse one object for all).
      const o = source.at(order[j]!);
      let hash = -1;
      let kind: FlowKind | undefined;
      let captures = o.interfaceId === lastId ? last : cache.get(o.interfaceId);
      if (!captures) {
        captures = this.findCaptures(o);
        cache.set(o.interfaceId, captures);
      }
      lastId = o.interfaceId;
      last = captures;
      for (let i = 0; i < captures.length; i++) {
        const c = captures[i]!;
        if (c.trafficType !== 'ALL' && c.trafficType !== o.action) continue;
        if (o.startMs < c.from) {
          if (o.startMs < c.upTo) continue;
          // Twins created apart, and traffic between: from now on each aggregates on its own.
          captures.splice(i, 1, ...this.separate(c, o.interfaceId));
          i--;
          continue;
        }
        // Kept to small integers, which Map keys hold without a heap number each.
        if (kind === undefined) {
          kind = flowKind(o);
          hash = keyHash(keyOf(key, o), kind) & 0x3fffffff;
        }
        this.add(c, o, key, kind, hash);
      }
    }
  }

  /**
   * Adds the interfaces whose windows got their first traffic in this record call to the rows of
   * their flow logs' windows (see flow-log-windows.ts), in one transaction.
   */
  private markOpened(): void {
    const added = windowRows(this.opened, false);
    this.opened.length = 0;
    this.app.store.transact((tx) => {
      for (const [id, { scope, row }] of added) {
        const before = tx.get<StoredWindow>(scope, WINDOW_KIND, id);
        if (before && Array.isArray(before.Interfaces)) row.Interfaces = [...before.Interfaces, ...row.Interfaces];
        tx.put(scope, WINDOW_KIND, id, row);
      }
    });
  }

  /**
   * Writes every open window with its records to the store, for the next server to carry on
   * with (the server is stopping). Nothing when the store is shared (see flow-log-windows.ts).
   */
  save(): void {
    if (!this.durable || this.app.store.generation !== this.generation) return;
    const buckets: Bucket[] = [];
    for (const pair of this.distinctPairs()) for (const b of pair.buckets.values()) buckets.push(b);
    const rows = windowRows(buckets, true);
    this.app.store.transact((tx) => {
      for (const [id, { scope, row }] of rows) tx.put(scope, WINDOW_KIND, id, row);
    });
  }

  /**
   * Takes up the windows a previous server left in the store: with their records when it
   * stopped, as a SKIPDATA record per interface when it did not (their records are lost). Rows
   * of flow logs no longer in force are deleted.
   */
  private restore(): void {
    if (!this.durable) return;
    const rows = storedWindows(this.app.store);
    if (rows.length === 0) return;
    // In one transaction: rows whose flow log is gone are deleted, and rows whose records are now
    // in memory become markers again (after a crash from now on, those records would be lost).
    this.app.store.transact((tx) => {
      for (const { scope, id, row } of rows) {
        const fl = flowLogOf(new ScopedState(tx, scope), row);
        if (!fl) {
          tx.delete(scope, WINDOW_KIND, id);
          continue;
        }
        for (let i = 0; i < row.Interfaces.length; i++) this.restoreWindow(fl, row, i);
        if (row.Saved) {
          const { Saved: _, ...marker } = row;
          tx.put(scope, WINDOW_KIND, id, marker);
        }
      }
    });
  }

  /** Interface `i` of a stored window, back in its pair. */
  private restoreWindow(fl: ActiveFlowLog, row: StoredWindow, i: number): void {
    const meta = row.Interfaces[i];
    if (!meta?.interfaceId) return;
    const intervalMs = row.IntervalSeconds * 1000;
    const w = row.Window;
    const pair = this.byFlowLog(fl.flowLogId).get(meta.interfaceId) ?? this.newPair([fl], intervalMs, meta, w);
    if (pair.buckets.has(w)) return;
    if (w <= pair.covered) pair.covered = w - 1;
    const saved = row.Saved?.[i];
    const b = openBucket(pair, w);
    b.lastSec = saved?.LastSecond ?? 0;
    if (!saved || !Array.isArray(saved.Flows)) {
      // The server that had this window's records did not stop cleanly: they are lost.
      const startSec = (w * intervalMs) / 1000;
      b.skipped = statusRecord('SKIPDATA', pair.meta, startSec, startSec + intervalMs / 1000 - 1);
      return;
    }
    for (const stored of saved.Flows) {
      const r = flowRecordOf(stored, pair.meta);
      if (!r) continue;
      const hash = keyHash(r.flow!, r.flow!.kind) & 0x3fffffff;
      placeRecord(b, emptySlot(b, hash), hash, r);
    }
    if (saved.Skipped) b.skipped = statusRecord('SKIPDATA', pair.meta, saved.Skipped[0], saved.Skipped[1]);
  }

  /**
   * The flow logs capturing an observation's interface, read from the store. (A function of its
   * own, with its transaction: the loop of `record` has no code after it that the optimizing
   * compiler would see run only once the loop ends.)
   */
  private findCaptures(o: InterfaceObservation): Capture[] {
    const tx = this.app.store.begin();
    try {
      const state = new ScopedState(tx, scopeKey(o.account, o.region));
      const fls = activeFlowLogsIn(state, { NetworkInterfaceId: o.interfaceId, SubnetId: o.subnetId, VpcId: o.vpcId }).filter(
        (f) => f.destinationType === 'cloud-watch-logs' || f.destinationType === 's3',
      );
      return this.capturesOf(fls, o.interfaceId);
    } finally {
      tx.rollback();
    }
  }

  /**
   * The flow logs of an interface as captures: twins together, unless the interface already has
   * pairs of them apart.
   */
  private capturesOf(fls: ActiveFlowLog[], interfaceId: string): Capture[] {
    const groups = new Map<string, ActiveFlowLog[]>();
    for (const fl of fls) {
      const key = `${fl.maxAggregationInterval}|${fl.trafficType}`;
      const g = groups.get(key);
      if (g) g.push(fl);
      else groups.set(key, [fl]);
    }
    const out: Capture[] = [];
    for (const g of groups.values()) {
      const pairs = new Set(g.map((fl) => this.pairs.get(fl.flowLogId)?.get(interfaceId)));
      const together = g.length > 1 && pairs.size === 1 && (pairs.has(undefined) || [...pairs][0]!.fls.length === g.length);
      if (together) out.push(captureOf(g, [...pairs][0]));
      else for (const fl of g) out.push(captureOf([fl], this.pairs.get(fl.flowLogId)?.get(interfaceId)));
    }
    return out;
  }

  /** Twins apart: one capture each, each with a copy of their pair so far. */
  private separate(c: Capture, interfaceId: string): Capture[] {
    return c.fls.map((fl, k) => {
      let pair = c.pair;
      if (pair) {
        pair = k === 0 ? pair : copyPair(pair);
        pair.fls = [fl];
        this.byFlowLog(fl.flowLogId).set(interfaceId, pair);
      }
      return captureOf([fl], pair);
    });
  }

  private byFlowLog(flowLogId: string): Map<string, Pair> {
    let byIface = this.pairs.get(flowLogId);
    if (!byIface) this.pairs.set(flowLogId, (byIface = new Map()));
    return byIface;
  }

  private add(c: Capture, o: InterfaceObservation, key: Key, kind: FlowKind, hash: number): void {
    const intervalMs = c.intervalMs;
    const startMs = o.startMs;
    const endMs = Math.max(o.endMs, startMs);
    const w0 = Math.floor(startMs / intervalMs);
    const w1 = Math.floor(endMs / intervalMs);
    const pair = (c.pair ??= this.pairOf(c, o, w0));
    if (w0 === w1) {
      this.addPiece(pair, key, kind, hash, w0, intervalMs, startMs, endMs, o.packets, o.bytes, o.tcpFlags);
      return;
    }
    // Split among the windows in proportion to the time spent in each; SYN goes with the first
    // part, FIN and RST with the last, the other flags with every part.
    const span = endMs - startMs;
    let packetsLeft = o.packets;
    let bytesLeft = o.bytes;
    const keep = o.tcpFlags & ~(1 | 2 | 4);
    for (let w = w0; w <= w1; w++) {
      const ps = Math.max(startMs, w * intervalMs);
      const pe = Math.min(endMs, (w + 1) * intervalMs - 1);
      let packets: number;
      let bytes: number;
      if (w === w1) {
        packets = packetsLeft;
        bytes = bytesLeft;
      } else {
        const share = (pe - ps + 1) / span;
        packets = Math.min(packetsLeft, Math.round(o.packets * share));
        bytes = Math.min(bytesLeft, Math.round(o.bytes * share));
      }
      packetsLeft -= packets;
      bytesLeft -= bytes;
      if (packets === 0 && bytes === 0) continue;
      let flags = keep;
      if (w === w0) flags |= o.tcpFlags & 2;
      if (w === w1) flags |= o.tcpFlags & (1 | 4);
      this.addPiece(pair, key, kind, hash, w, intervalMs, ps, pe, packets, bytes, flags);
    }
  }

  private pairOf(c: Capture, o: InterfaceObservation, firstWindow: number): Pair {
    return this.newPair(c.fls, c.intervalMs, o, firstWindow);
  }

  /** A pair of flow logs and an interface from its first window on, filed under each flow log. */
  private newPair(fls: ActiveFlowLog[], intervalMs: number, iface: InterfaceMeta, firstWindow: number): Pair {
    const pair: Pair = { fls, intervalMs, meta: interfaceMeta(iface), covered: firstWindow - 1, busy: new Set(), lastBusy: firstWindow, buckets: new Map(), open: undefined, firstSlots: FIRST_SLOTS };
    for (const fl of fls) this.byFlowLog(fl.flowLogId).set(iface.interfaceId, pair);
    return pair;
  }

  /** Every pair once (twins share theirs). */
  private distinctPairs(): Set<Pair> {
    const out = new Set<Pair>();
    for (const byIface of this.pairs.values()) for (const pair of byIface.values()) out.add(pair);
    return out;
  }

  private addPiece(pair: Pair, key: Key, kind: FlowKind, hash: number, w: number, intervalMs: number, startMs: number, endMs: number, packets: number, bytes: number, flags: number): void {
    let b = pair.open;
    if (b === undefined || b.window !== w) {
      b = pair.buckets.get(w);
      if (!b) {
        b = openBucket(pair, w);
        if (this.durable) this.opened.push(b);
      }
      pair.open = b;
    }
    const startSec = Math.floor(startMs / 1000);
    const endSec = Math.floor(endMs / 1000);
    if (endSec > b.lastSec) b.lastSec = endSec;
    const slots = b.slots;
    const mask = slots.length - 1;
    const shift = b.shift;
    const high = hash >>> shift;
    let k = hash & mask;
    for (let e = slots[k]!; e !== 0; k = (k + 1) & mask, e = slots[k]!) {
      if (e >>> shift !== high) continue;
      const r = b.records[(e & mask) - 1]!;
      if (!sameFlow(r.flow!, key, kind)) continue;
      r.packets! += packets;
      r.bytes! += bytes;
      r.tcpFlags! |= flags;
      if (startSec < r.start) r.start = startSec;
      if (endSec > r.end) r.end = endSec;
      return;
    }
    if (b.count < this.windowCapacity) {
      // A new flow, in the empty slot the search ended on.
      placeRecord(b, k, hash, okRecord(key, kind, startSec, endSec, packets, bytes, flags, pair.meta));
    } else if (b.skipped) {
      if (startSec < b.skipped.start) b.skipped.start = startSec;
      if (endSec > b.skipped.end) b.skipped.end = endSec;
    } else {
      b.skipped = statusRecord('SKIPDATA', pair.meta, startSec, endSec);
    }
  }

  deliverDue(nowMs: number): DeliveryReport {
    this.checkGeneration();
    if (nowMs > this.lastNowMs) this.lastNowMs = nowMs;
    const deliveries = new Map<string, Delivery>();
    for (const pair of this.distinctPairs()) {
      // NODATA: windows closed since the last delivery in which an interface that had traffic
      // before saw none, up to MAX_NODATA_WINDOWS windows after its last traffic.
      const intervalMs = pair.intervalMs;
      const lastClosed = Math.floor(nowMs / intervalMs) - 1;
      const idle: number[] = [];
      if (lastClosed > pair.covered) {
        const to = Math.min(lastClosed, pair.lastBusy + MAX_NODATA_WINDOWS);
        for (let w = pair.covered + 1; w <= to; w++) if (!pair.busy.has(w)) idle.push(w);
        for (const w of pair.busy) if (w <= lastClosed) pair.busy.delete(w);
        pair.covered = lastClosed;
      }
      const due = bucketsInOrder(pair, (b) => b.endMs <= nowMs);
      for (const b of due) pair.buckets.delete(b.window);
      pair.open = undefined;
      deliverPair(deliveries, pair, due, idle);
      // Idle for good: forgotten until it has traffic again (which starts a new pair).
      if (pair.buckets.size === 0 && pair.covered >= pair.lastBusy + MAX_NODATA_WINDOWS) {
        for (const fl of pair.fls) this.pairs.get(fl.flowLogId)?.delete(pair.meta.interfaceId);
      }
    }
    return this.deliver(deliveries, nowMs);
  }

  flush(): DeliveryReport {
    this.checkGeneration();
    const deliveries = new Map<string, Delivery>();
    let latest = this.lastNowMs;
    for (const pair of this.distinctPairs()) {
      const due = bucketsInOrder(pair, () => true);
      for (const b of due) latest = Math.max(latest, b.lastSec * 1000);
      pair.buckets.clear();
      pair.open = undefined;
      deliverPair(deliveries, pair, due, []);
    }
    return this.deliver(deliveries, latest || Date.now());
  }

  /** Writes each flow log's records, one transaction per flow log. */
  private deliver(deliveries: Map<string, Delivery>, fileTimeMs: number): DeliveryReport {
    // Pairs may go (idle, or their flow log deleted): captures are found again after a delivery.
    this.captures.clear();
    const report: DeliveryReport = { records: 0, logEvents: 0, s3Objects: 0, failed: 0 };
    const handed: DeliveryReport = { records: 0, logEvents: 0, s3Objects: 0, failed: 0 };
    const waits: Promise<void>[] = [];
    const lines = new Lines(deliveries.values());
    try {
      for (const d of deliveries.values()) {
        const { write, planned } = prepare(this.app, d, fileTimeMs, lines);
        const tally = (r: Outcome) => {
          if (r.gone) {
            // The flow log was deleted since: its records go nowhere, and it needs no NODATA.
            const id = d.fl.flowLogId;
            for (const pair of this.pairs.get(id)?.values() ?? []) pair.fls = pair.fls.filter((f) => f.flowLogId !== id);
            this.pairs.delete(id);
          }
          report.records += r.records;
          report.logEvents += r.logEvents;
          report.s3Objects += r.s3Objects;
          report.failed! += r.failed;
        };
        const out = this.app.exclusive ? this.app.exclusive(write) : write();
        if (out instanceof Promise) {
          waits.push(out.then(tally));
          handed.records += planned.records;
          handed.logEvents += planned.logEvents;
          handed.s3Objects += planned.s3Objects;
        } else {
          tally(out);
          handed.records += out.records;
          handed.logEvents += out.logEvents;
          handed.s3Objects += out.s3Objects;
          handed.failed! += out.failed;
        }
      }
    } finally {
      // What the writes keep is made (lines, files): the buffers serve the next delivery.
      lines.release();
    }
    if (waits.length) {
      handed.settled = Promise.all(waits).then(() => ({ ...report }));
      return handed;
    }
    return report;
  }
}

function deliveryOf(deliveries: Map<string, Delivery>, fl: ActiveFlowLog, meta: InterfaceMeta): Delivery {
  let d = deliveries.get(fl.flowLogId);
  if (!d) {
    d = { fl, account: meta.account, region: meta.region, byInterface: new Map(), count: 0, windows: new Set() };
    deliveries.set(fl.flowLogId, d);
  }
  return d;
}

/**
 * A pair's records in this delivery, for each of its flow logs: its due windows' (`due`, in
 * window order; their records as they are, in one array), with the NODATA records of its idle
 * windows among them. One array for all its flow logs: twins deliver the same records, and their
 * lines are formatted once (see `Lines`).
 */
function deliverPair(deliveries: Map<string, Delivery>, pair: Pair, due: readonly Bucket[], idle: readonly number[]): void {
  if (due.length === 0 && idle.length === 0) return;
  const parts: FlowRecord[][] = [];
  let i = 0;
  for (const b of due) {
    for (; i < idle.length && idle[i]! < b.window; i++) parts.push([nodataRecord(pair, idle[i]!)]);
    parts.push(recordsOf(b));
    if (b.skipped) parts.push([b.skipped]);
    // The interface's next windows start with the slots this one's records needed (fewer after a quiet one).
    let slots = FIRST_SLOTS;
    while (slots < 2 * b.count && slots < MAX_FIRST_SLOTS) slots *= 2;
    pair.firstSlots = slots;
    for (const fl of pair.fls) deliveryOf(deliveries, fl, pair.meta).windows.add(windowRowId(fl.flowLogId, b.window));
  }
  for (; i < idle.length; i++) parts.push([nodataRecord(pair, idle[i]!)]);
  const recs = parts.length === 1 ? parts[0]! : ([] as FlowRecord[]).concat(...parts);
  const iface = pair.meta.interfaceId;
  for (const fl of pair.fls) {
    const d = deliveryOf(deliveries, fl, pair.meta);
    const before = d.byInterface.get(iface);
    if (before) for (const r of recs) before.push(r);
    else d.byInterface.set(iface, recs);
    d.count += recs.length;
  }
}

/** A pair's windows that `take` accepts, in window order (a window's records go out after those of the windows before it). */
function bucketsInOrder(pair: Pair, take: (b: Bucket) => boolean): Bucket[] {
  const out: Bucket[] = [];
  for (const b of pair.buckets.values()) if (take(b)) out.push(b);
  if (out.length > 1) out.sort((a, b) => a.window - b.window);
  return out;
}

/** The NODATA record of a pair's window `w`. */
function nodataRecord(pair: Pair, w: number): FlowRecord {
  const startSec = (w * pair.intervalMs) / 1000;
  return statusRecord('NODATA', pair.meta, startSec, startSec + pair.intervalMs / 1000 - 1);
}

/** The flow log of a stored window, if it is still in force for the window's interface (and delivers somewhere vpcsim writes). */
function flowLogOf(state: ScopedState, row: StoredWindow): ActiveFlowLog | undefined {
  const meta = Array.isArray(row?.Interfaces) ? row.Interfaces[0] : undefined;
  if (!meta?.interfaceId || !Number.isInteger(row.Window) || !(row.IntervalSeconds > 0)) return undefined;
  return activeFlowLogsIn(state, { NetworkInterfaceId: meta.interfaceId, SubnetId: meta.subnetId, VpcId: meta.vpcId }).find(
    (f) => f.flowLogId === row.FlowLogId && (f.destinationType === 'cloud-watch-logs' || f.destinationType === 's3') && f.maxAggregationInterval === row.IntervalSeconds,
  );
}

function captureOf(fls: ActiveFlowLog[], pair: Pair | undefined): Capture {
  let from = -Infinity;
  let upTo = Infinity;
  for (const fl of fls) {
    const t = fl.creationTimeMs ?? -Infinity;
    if (t > from) from = t;
    if (t < upTo) upTo = t;
  }
  return { fls, trafficType: fls[0]!.trafficType, intervalMs: fls[0]!.maxAggregationInterval * 1000, from, upTo, pair };
}

/** A pair's state so far, for a twin that goes its own way (records copied: they are summed into). */
function copyPair(p: Pair): Pair {
  const out: Pair = { fls: p.fls, intervalMs: p.intervalMs, meta: p.meta, covered: p.covered, busy: new Set(p.busy), lastBusy: p.lastBusy, buckets: new Map(), open: undefined, firstSlots: p.firstSlots };
  for (const [w, b] of p.buckets) {
    out.buckets.set(w, { ...b, pair: out, records: recordsOf(b).map((r) => ({ ...r })), slots: b.slots.slice(), hashes: b.hashes.slice(), skipped: b.skipped ? { ...b.skipped } : undefined });
  }
  return out;
}

interface Outcome {
  records: number;
  logEvents: number;
  s3Objects: number;
  failed: number;
  gone?: boolean;
}

/** The CloudWatch Logs stream of an interface for a flow log (named after its traffic type). */
export function logStreamName(interfaceId: string, trafficType: string): string {
  return `${interfaceId}-${trafficType.toLowerCase()}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * The S3 key of a flow log file: `[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/[<HH>/]`
 * (or the Hive-compatible `AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<mm>/day=<dd>/[hour=<HH>/]`),
 * then `<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz` (`.log.parquet` for Parquet files).
 */
export function s3Key(
  opts: { prefix?: string; account: string; region: string; flowLogId: string; hive?: boolean; hourly?: boolean; parquet?: boolean },
  timeMs: number,
  hash: string,
): string {
  const t = new Date(timeMs);
  const yyyy = pad(t.getUTCFullYear(), 4);
  const mm = pad(t.getUTCMonth() + 1);
  const dd = pad(t.getUTCDate());
  const hh = pad(t.getUTCHours());
  const mi = pad(t.getUTCMinutes());
  const dir = opts.hive
    ? `AWSLogs/aws-account-id=${opts.account}/aws-service=vpcflowlogs/aws-region=${opts.region}/year=${yyyy}/month=${mm}/day=${dd}/` + (opts.hourly ? `hour=${hh}/` : '')
    : `AWSLogs/${opts.account}/vpcflowlogs/${opts.region}/${yyyy}/${mm}/${dd}/` + (opts.hourly ? `${hh}/` : '');
  const name = `${opts.account}_vpcflowlogs_${opts.region}_${opts.flowLogId}_${yyyy}${mm}${dd}T${hh}${mi}Z_${hash}.log.${opts.parquet ? 'parquet' : 'gz'}`;
  return (opts.prefix ? `${opts.prefix}/` : '') + dir + name;
}

/** A delivery whose flow log was deleted since: its records go nowhere, and its windows' rows go with them. */
function gone(state: ScopedState, d: Delivery): { ok: boolean; out: Outcome } {
  deleteWindows(state, d.windows);
  return { ok: true, out: { records: 0, logEvents: 0, s3Objects: 0, failed: d.count, gone: true } };
}

/** Formats a delivery and returns the function that writes it in one transaction. */
function prepare(app: AppLike, d: Delivery, fileTimeMs: number, lines: Lines): { write: () => Outcome; planned: Outcome } {
  const fmt = compileFormat(d.fl.fields);
  const scope = scopeKey(d.account, d.region);
  if (d.fl.destinationType === 'cloud-watch-logs') {
    // One stream per interface, in batches: a column of timestamps, and the lines as one text (reads order them by time).
    const streams: Array<[string, Array<[number[], LogLines]>]> = [];
    let n = 0;
    for (const [iface, recs] of d.byInterface) {
      streams.push([logStreamName(iface, d.fl.trafficType), logBatches(recs, lines.of(recs, fmt))]);
      n += recs.length;
    }
    const planned = { records: d.count, logEvents: n, s3Objects: 0, failed: 0 };
    const write = () =>
      inTransaction(app, scope, (state) => {
        if (!flowLogInForce(state, d.fl.flowLogId)) return gone(state, d);
        const now = Date.now();
        ensureLogGroup(state, d.fl.logGroupName!, now);
        for (const [stream, batches] of streams) for (const [times, texts] of batches) appendLogColumns(state, d.fl.logGroupName!, stream, times, texts, now);
        deleteWindows(state, d.windows);
        return { ok: true, out: planned };
      });
    return { write, planned };
  }
  const parquet = d.fl.fileFormat === 'parquet';
  const body = parquet ? parquetBody(d, fmt, lines) : textBody(d, fmt, lines);
  // The file name's hash: of the flow log, the delivery (this process and a counter: never the
  // same name twice) and the head of the file, not the whole of it.
  const hash = createHash('sha256')
    .update(`${d.fl.flowLogId}/${PROCESS_SALT}/${++deliveryCount}/${fileTimeMs}/${body.length}/`)
    .update(body.subarray(0, 4096))
    .digest('hex')
    .slice(0, 8);
  const key = s3Key(
    { prefix: d.fl.prefix, account: d.account, region: d.region, flowLogId: d.fl.flowLogId, hive: d.fl.hiveCompatiblePartitions, hourly: d.fl.perHourPartition, parquet },
    fileTimeMs,
    hash,
  );
  const write = () =>
    inTransaction(app, scope, (state) => {
      if (!flowLogInForce(state, d.fl.flowLogId)) return gone(state, d);
      const written = putObject(state, app.config, d.fl.bucket!, key, body, {}, new Date());
      setDeliverLogsStatus(state, d.fl.flowLogId, written ? undefined : ACCESS_ERROR);
      deleteWindows(state, d.windows);
      return written
        ? { ok: true, out: { records: d.count, logEvents: 0, s3Objects: 1, failed: 0 } }
        : { ok: true, out: { records: 0, logEvents: 0, s3Objects: 0, failed: d.count } };
    });
  return { write, planned: { records: d.count, logEvents: 0, s3Objects: 1, failed: 0 } };
}

/** Events per batch of a CloudWatch Logs stream: PutLogEvents' limit. */
const BATCH_EVENTS = 10_000;
/**
 * The text of a batch stays under this many bytes: a string of its own in the young generation,
 * where a larger one is allocated (and its memory first touched) on its own.
 */
const BATCH_BYTES = 64 << 10;

/**
 * An interface's records (formatted in `block`) as the batches of its stream: timestamps, and
 * the lines as one text (each batch up to BATCH_EVENTS events and, but for a single longer
 * line, BATCH_BYTES bytes).
 */
function logBatches(recs: readonly FlowRecord[], block: Block): Array<[number[], LogLines]> {
  // No records: the stream is made all the same (an empty batch).
  const out: Array<[number[], LogLines]> = recs.length === 0 ? [[[], { text: '', ends: [], bytes: 0 }]] : [];
  if (!block.ascii) {
    // Lines beyond ASCII (their bytes are not their characters): one batch per BATCH_EVENTS, ends found in the text.
    for (let i = 0; i < recs.length; i += BATCH_EVENTS) {
      const j = Math.min(recs.length, i + BATCH_EVENTS);
      const from = i === 0 ? block.start : block.ends[i - 1]! + 1;
      const text = block.text(from, block.ends[j - 1]!);
      const ends: number[] = [];
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) ends.push(at);
      ends.push(text.length);
      out.push([Array.from(block.times.subarray(i, j)), { text, ends, bytes: Buffer.byteLength(text) - (j - i - 1) }]);
    }
    return out;
  }
  for (let i = 0; i < recs.length; ) {
    const from = i === 0 ? block.start : block.ends[i - 1]! + 1;
    let j = i + 1;
    while (j < recs.length && j - i < BATCH_EVENTS && block.ends[j]! - from <= BATCH_BYTES) j++;
    const times = new Array<number>(j - i);
    const ends = new Array<number>(j - i);
    for (let k = i; k < j; k++) {
      times[k - i] = block.times[k]!;
      ends[k - i] = block.ends[k]! - from;
    }
    const to = block.ends[j - 1]!;
    // ASCII: a character per byte, and the lines' bytes are the text's less its newlines.
    out.push([times, { text: block.text(from, to), ends, bytes: to - from - (j - i - 1) }]);
    i = j;
  }
  return out;
}

/** A Parquet file of a delivery: each interface's records in time order, interface after interface. */
function parquetBody(d: Delivery, fmt: CompiledFormat, lines: Lines): Buffer {
  const all: FlowRecord[] = [];
  for (const recs of d.byInterface.values()) {
    lines.sort(recs);
    for (const r of recs) all.push(r);
  }
  return parquetFile(d.fl.fields, fmt.version, all);
}

/** A gzip text file of a delivery: the header line, then each interface's lines (see Lines.ordered). */
function textBody(d: Delivery, fmt: CompiledFormat, lines: Lines): Buffer {
  let text = lines.file(d, fmt);
  if (!text) {
    const w = lines.writer();
    w.str(fmt.header);
    w.byte(10);
    for (const recs of d.byInterface.values()) {
      if (lines.shared(recs)) {
        const b = lines.of(recs, fmt);
        w.append(b.w, b.start, b.end);
        continue;
      }
      // Delivered by this flow log only: straight into the file.
      for (let i = 0; i < recs.length; i++) {
        fmt.write(w, recs[i]!);
        w.byte(10);
      }
    }
    text = w.bytes();
  }
  // The fastest level: flow log files are written often and read rarely. Output chunks of about
  // a quarter of the text (within 16 KiB and 1 MiB): a large file is not gathered from thousands.
  const chunkSize = Math.min(1 << 20, Math.max(1 << 14, text.length >> 2));
  return gzipSync(text, { level: constants.Z_BEST_SPEED, memLevel: 9, chunkSize });
}

/** Puts records in time order (by start second), keeping the order of those that start alike. */
export function sortByStart(recs: FlowRecord[]): void {
  // Each record read once (they are many, and far apart in memory): their starts in a column.
  const starts = keyColumn(recs.length);
  for (let i = 0; i < recs.length; i++) starts[i] = recs[i]!.start;
  const order = stableOrder(starts, recs.length);
  if (!order) return;
  const copy = recs.slice();
  for (let i = 0; i < recs.length; i++) recs[i] = copy[order[i]!]!;
}

/** An interface's records as lines of one format, each followed by a newline, in a writer of its delivery. */
class Block {
  /** Where the first line starts, and where the last newline ends. */
  readonly start: number;
  readonly end: number;
  /** Where each line ends (its newline). */
  readonly ends: number[];
  /**
   * Each record's start in milliseconds (a CloudWatch Logs event's timestamp), read while it is
   * formatted: the records are many and far apart in memory, and are not read a second time.
   */
  readonly times: Float64Array;
  constructor(
    recs: FlowRecord[],
    fmt: CompiledFormat,
    readonly w: LineWriter,
  ) {
    this.start = w.pos;
    this.ends = new Array<number>(recs.length);
    this.times = new Float64Array(recs.length);
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      fmt.write(w, r);
      this.ends[i] = w.pos;
      this.times[i] = r.start * 1000;
      w.byte(10);
    }
    this.end = w.pos;
  }
  text(from: number, to: number): string {
    return this.w.text(from, to);
  }
  /** Whether its writer holds ASCII only (a character per byte). */
  get ascii(): boolean {
    return this.w.ascii;
  }
}

/**
 * Writers kept between deliveries: a delivery's lines are made in large buffers, and fresh
 * ones each time would cost their memory's first touch again and again.
 */
const spareWriters: LineWriter[] = [];
const MAX_SPARE_WRITERS = 4;
/** What the spares may hold together: past it, the largest are let go. */
const MAX_SPARE_BYTES = 256 << 20;
/**
 * A writer its last delivery used less than a quarter of (and larger than this) is let go: after
 * a burst, deliveries of everyday size do not keep its memory.
 */
const SHRINK_ABOVE_BYTES = 4 << 20;

/**
 * The lines of one delivery call: the records of an interface (sorted by start when they go to
 * a Parquet file) formatted once per format, whichever flow logs (twins) deliver them and to whichever
 * destination.
 */
class Lines {
  private readonly made = new Map<FlowRecord[], Map<CompiledFormat, Block>>();
  /** One writer per format for the blocks, and the writers handed out (S3 files). */
  private readonly writers = new Map<CompiledFormat, LineWriter>();
  private readonly taken: LineWriter[] = [];
  /** Lists that more than one delivery holds (twins'). */
  private readonly twice = new Set<FlowRecord[]>();
  /**
   * Lists written to Parquet files, which hold each interface's records in time order. Lines are
   * written in the order their records came (window by window; in a window, in the order their
   * flows first came), which is the order they lie in memory: formatting them in time order
   * would read them all over it. CloudWatch Logs reads put a stream's events in time order; AWS
   * documents no order of the lines in an S3 file.
   */
  private readonly ordered = new Set<FlowRecord[]>();
  constructor(deliveries: Iterable<Delivery>) {
    const seen = new Set<FlowRecord[]>();
    for (const d of deliveries) {
      for (const recs of d.byInterface.values()) {
        if (seen.has(recs)) this.twice.add(recs);
        else seen.add(recs);
        if (d.fl.destinationType === 's3' && d.fl.fileFormat === 'parquet') this.ordered.add(recs);
      }
    }
  }
  shared(recs: FlowRecord[]): boolean {
    return this.twice.has(recs);
  }
  /** Puts the records of a list written to a Parquet file in time order (once). */
  sort(recs: FlowRecord[]): void {
    this.blocksOf(recs);
  }
  /** The list's lines in a format. */
  of(recs: FlowRecord[], fmt: CompiledFormat): Block {
    const byFormat = this.blocksOf(recs);
    let b = byFormat.get(fmt);
    if (!b) {
      let w = this.writers.get(fmt);
      if (!w) {
        // The header line first: an S3 file of the blocks that follow it is a view (see file).
        this.writers.set(fmt, (w = this.writer()));
        w.str(fmt.header);
        w.byte(10);
      }
      byFormat.set(fmt, (b = new Block(recs, fmt, w)));
    }
    return b;
  }
  /**
   * The text of a delivery's S3 file (the header line, then each interface's lines) without a
   * copy, when its lists are all shared and their blocks follow the header in its format's
   * writer in the delivery's order (as twins' deliveries list their interfaces alike); else
   * undefined. A view: valid until the writer is written to again.
   */
  file(d: Delivery, fmt: CompiledFormat): Buffer | undefined {
    let w: LineWriter | undefined;
    let end = 0;
    for (const recs of d.byInterface.values()) {
      if (!this.twice.has(recs)) return undefined;
      const b = this.of(recs, fmt);
      if (w === undefined) {
        w = b.w;
        end = Buffer.byteLength(fmt.header) + 1;
      }
      if (b.w !== w || b.start !== end) return undefined;
      end = b.end;
    }
    return w?.buf.subarray(0, end);
  }
  /** An empty writer (the largest spare), given back by `release`. */
  writer(): LineWriter {
    const w = spareWriters.shift() ?? new LineWriter(1 << 20);
    w.reset();
    this.taken.push(w);
    return w;
  }
  /**
   * The writers back to the spares (what was made of them is copied out), largest first, within
   * MAX_SPARE_WRITERS and MAX_SPARE_BYTES. Reused writers allocate nothing: a fresh buffer of
   * tens of MiB each delivery would also make V8 collect the whole heap for its external memory.
   */
  release(): void {
    const kept = [...spareWriters, ...this.taken.filter((w) => w.buf.length <= SHRINK_ABOVE_BYTES || w.pos * 4 >= w.buf.length)];
    kept.sort((a, b) => b.buf.length - a.buf.length);
    spareWriters.length = 0;
    let bytes = 0;
    for (const w of kept) {
      if (spareWriters.length === MAX_SPARE_WRITERS || bytes + w.buf.length > MAX_SPARE_BYTES) continue;
      spareWriters.push(w);
      bytes += w.buf.length;
    }
    this.taken.length = 0;
    this.writers.clear();
  }
  /** The blocks of a list, sorting it (when it goes to a Parquet file) the first time it is seen. */
  private blocksOf(recs: FlowRecord[]): Map<CompiledFormat, Block> {
    let byFormat = this.made.get(recs);
    if (!byFormat) {
      if (this.ordered.has(recs)) sortByStart(recs);
      this.made.set(recs, (byFormat = new Map()));
    }
    return byFormat;
  }
}

// Lines and a block kept for their shapes (see keepShape): every delivery makes them and lets them go.
keepShape(new Lines([]));
keepShape(new Block([], undefined as unknown as CompiledFormat, new LineWriter(16)));

/** S3 deliveries made by this process, and what tells this process from others on a shared store (in the names of their files). */
let deliveryCount = 0;
const PROCESS_SALT = randomBytes(8).toString('hex');

/** Runs `fn` in a transaction of the account/region scope; commits when it says ok. */
function inTransaction(app: AppLike, scope: string, fn: (state: ScopedState) => { ok: boolean; out: Outcome }): Outcome {
  const tx = app.store.begin();
  try {
    const { ok, out } = fn(new ScopedState(tx, scope));
    if (ok) tx.commit();
    else tx.rollback();
    return out;
  } catch (err) {
    tx.rollback();
    throw err;
  }
}

const pipelines = new WeakMap<object, FlowLogPipelineImpl>();

/** The flow log pipeline of an app (one per app). */
export function flowLogPipeline(app: Pick<App, 'store' | 'config'>): FlowLogPipeline {
  return flowLogPipelineImpl(app);
}

/** The same, with its settings and counters (windowCapacity, pending). */
export function flowLogPipelineImpl(app: Pick<App, 'store' | 'config'>): FlowLogPipelineImpl {
  let p = pipelines.get(app);
  if (!p) {
    p = new FlowLogPipelineImpl(app as AppLike);
    pipelines.set(app, p);
  }
  return p;
}
