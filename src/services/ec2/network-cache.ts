/**
 * The compiled network of the current state, kept between requests: a trace or an analysis
 * compiles the network only when something it depends on changed since the last build.
 *
 * What "something it depends on" is, is learnt rather than listed: the snapshot is read
 * through a transaction that notes every record kind it reads (in any scope), and the
 * cached network stays valid while the store's version of each of those kinds
 * (Store.kindVersion) and its generation are unchanged. A network insights path, a tag on a
 * flow log or a log event does not make the next trace compile the network again; a
 * security group rule, an ACL entry, a route or an instance stopping does.
 *
 * Derived states also move with time (an instance `pending` → `running`, a NAT gateway
 * `pending` → `available`, an interface endpoint `pending`, each `stateTransitionMs` after
 * the write that started it; a peering request expiring). So a network built at one instant
 * is reused at another only once the state has settled — twice the transition time (plus a
 * second's margin for other servers' clocks on a shared store) after its kinds were first
 * seen at their current versions — and no pending peering request expires in between.
 * Until then every call builds afresh, as if there were no cache.
 *
 * While a writing section on a shared store holds captured, unpublished writes (they are
 * seen by new transactions but have not moved any version yet), the network is built
 * afresh and not kept.
 *
 * The network answered is shared: callers must not change it (nor its `model`). What-if
 * analyses compile a private copy (copyModel); an ExposureIndex, which updates the network it
 * is given in place, needs a network of its own too.
 */
import type { Config } from '../../config.js';
import { compile, type CompiledNetwork } from '../../network/compile.js';
import type { NetworkModel } from '../../network/model.js';
import { type Store, Transaction } from '../../state/store.js';
import { buildNetworkModel, type SnapshotOptions } from './snapshot.js';
import { PEERING_KIND, type PeeringRecord } from './vpc-peering.js';

const GLOBAL_SCOPE = 'global/global';
/** Margin added to the settling time when state transitions take time (clock skew between servers). */
const SETTLE_MARGIN_MS = 1000;

/** A transaction that notes which kinds of record it read. */
class ReadingTransaction extends Transaction {
  readonly kinds = new Set<string>();
  override get<T>(scope: string, kind: string, id: string): Readonly<T> | undefined {
    this.kinds.add(kind);
    return super.get<T>(scope, kind, id);
  }
  override list<T>(scope: string, kind: string): Readonly<T>[] {
    this.kinds.add(kind);
    return super.list<T>(scope, kind);
  }
  override listBy<T>(scope: string, kind: string, field: string, value: string): Readonly<T>[] {
    this.kinds.add(kind);
    return super.listBy<T>(scope, kind, field, value);
  }
}

interface Entry {
  net: CompiledNetwork;
  config: Config;
  generation: number;
  /** The kinds the snapshot read, and their versions then. */
  kinds: string[];
  versions: number[];
  /** The instant the snapshot was taken at. */
  builtAt: number;
  /** From this instant on, no derived state of these versions changes with time (but for `deadlines`). */
  settledAt: number;
  /** Instants at which a pending peering request expires. */
  deadlines: number[];
}

const cache = new WeakMap<Store, Entry>();
let builds = 0;

/** How many times a network was built (snapshot + compile) by compiledNetwork: for tests and benchmarks. */
export function compiledNetworkBuilds(): number {
  return builds;
}

/** Forgets the cached network of a store. */
export function dropCompiledNetwork(store: Store): void {
  cache.delete(store);
}

function sameVersions(store: Store, e: Entry): boolean {
  if (store.generation !== e.generation) return false;
  for (let i = 0; i < e.kinds.length; i++) if (store.kindVersion(e.kinds[i]!) !== e.versions[i]) return false;
  return true;
}

function settleMs(config: Config): number {
  const t = config.stateTransitionMs;
  return t > 0 ? 2 * t + SETTLE_MARGIN_MS : 0;
}

/** Whether a network built at `e.builtAt` still describes the instant `now`. */
function stillTrue(e: Entry, now: number): boolean {
  if (now !== e.builtAt && (e.builtAt < e.settledAt || now < e.settledAt)) return false;
  const lo = Math.min(now, e.builtAt);
  const hi = Math.max(now, e.builtAt);
  for (const d of e.deadlines) if (d > lo && d <= hi) return false;
  return true;
}

/** Expiry instants of the pending peering requests (the only long-lived time-derived state). */
function peeringDeadlines(store: Store): number[] {
  const out: number[] = [];
  for (const v of store.table(GLOBAL_SCOPE, PEERING_KIND)?.values() ?? []) {
    const p = v as Readonly<PeeringRecord>;
    if (p.Status?.Code !== 'pending-acceptance') continue;
    const t = Date.parse(p.ExpirationTime as unknown as string);
    if (Number.isFinite(t)) out.push(t);
  }
  return out;
}

/** Whether new transactions see writes not yet published (a writing section on a shared store). */
function capturing(store: Store): boolean {
  const probe = store.begin();
  const dirty = probe.dirty;
  probe.rollback();
  return dirty;
}

/**
 * The compiled network of everything the store holds (every account and region), at
 * `opts.now` (default now): the same network as compile(buildNetworkModel(app, opts)),
 * built again only when the state changed since the last build. Do not modify it.
 */
export function compiledNetwork(app: { store: Store; config: Config }, opts: SnapshotOptions = {}): CompiledNetwork {
  const { store, config } = app;
  const now = opts.now ?? new Date();
  const t = now.getTime();
  if (capturing(store)) {
    builds++;
    return compile(buildNetworkModel(app, { ...opts, now }));
  }
  const prev = cache.get(store);
  const same = prev !== undefined && prev.config === config && sameVersions(store, prev);
  if (same && stillTrue(prev, t)) return prev.net;

  let reader: ReadingTransaction | undefined;
  const tracked = new Proxy(store, {
    get(target, prop) {
      if (prop === 'begin') return () => (reader = new ReadingTransaction(target));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const generation = store.generation;
  const model = buildNetworkModel({ store: tracked, config }, { ...opts, now });
  const kinds = [...(reader?.kinds ?? [])];
  const net = compile(model);
  builds++;
  // Versions are read after the build: nothing runs in between (all of this is synchronous).
  const firstSeen = same ? Math.min(prev.settledAt - settleMs(prev.config), t) : t;
  cache.set(store, {
    net,
    config,
    generation,
    kinds,
    versions: kinds.map((k) => store.kindVersion(k)),
    builtAt: t,
    settledAt: firstSeen + settleMs(config),
    deadlines: peeringDeadlines(store),
  });
  return net;
}

function copyPlain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyPlain(v[i]);
    return out;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) out[k] = copyPlain((v as Record<string, unknown>)[k]);
  return out;
}

/**
 * A private deep copy of a network model (plain data), to change for a what-if compile
 * without touching the shared network's model: several times faster than structuredClone.
 */
export function copyModel(model: NetworkModel): NetworkModel {
  return copyPlain(model) as NetworkModel;
}
