/**
 * Open aggregation windows in the store, so that records not delivered yet outlive the server.
 *
 * One row per flow log and window (kind `flow-log-window`, in the flow log's account and region)
 * naming the interfaces that had traffic in it. The pipeline adds an interface when the window
 * gets its first traffic there (once per interface and window, not per flow), and the
 * transaction that delivers the window to the flow log deletes the row (a window closes for every
 * interface of a flow log at once):
 *
 *   - while the server runs, a row only says which interfaces had traffic (a marker);
 *   - when the server stops (SIGTERM, SIGINT), the rows get the windows' records, and the next
 *     server carries on aggregating them: nothing is lost, nothing is delivered twice;
 *   - after a crash (`kill -9`), an interface without records becomes a SKIPDATA record for the
 *     window, as AWS writes when records were skipped for an internal error.
 *
 * On a store shared by several servers the rows are not kept: a server cannot tell whether
 * another's rows are those of a live server.
 */
import { type ScopedState, scopeKey, type Store } from '../state/store.js';
import type { FlowRecord, InterfaceMeta } from './flow-records.js';
import { addressText, flowKeyOf, okRecord } from './flow-records.js';

export const WINDOW_KIND = 'flow-log-window';

/** A record as stored: start, end, packets, bytes, TCP flags, then the flow key in KEY_FIELDS order. */
type StoredFlow = Array<string | number | null>;

const KEY_FIELDS = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'action', 'flowDirection', 'pktSrcaddr', 'pktDstaddr', 'trafficPath', 'pktSrcAwsService', 'pktDstAwsService'] as const;

/** What one interface had in the window, saved when the server stopped. */
export interface SavedWindow {
  Flows: StoredFlow[];
  /** The span of the window's SKIPDATA record (flows past capacity), when it has one. */
  Skipped?: [number, number];
  /** The last packet second seen in the window. */
  LastSecond: number;
}

export interface StoredWindow {
  FlowLogId: string;
  /** The window's number: its start over the aggregation interval. */
  Window: number;
  IntervalSeconds: number;
  /** The interfaces that had traffic in the window. */
  Interfaces: InterfaceMeta[];
  /** Their records (same order), when the server stopped; absent while it runs. */
  Saved?: SavedWindow[];
}

/** The row of a flow log's window. */
export function windowRowId(flowLogId: string, window: number): string {
  return `${flowLogId}/${window}`;
}

/** The scope of the rows of an interface's flow logs (its account and region, theirs). */
export function windowScope(meta: InterfaceMeta): string {
  return scopeKey(meta.account, meta.region);
}

/** What an interface had in a window, as saved. */
export function savedWindow(records: readonly FlowRecord[], skipped: FlowRecord | undefined, lastSec: number): SavedWindow {
  const out: SavedWindow = { Flows: records.map(storedFlow), LastSecond: lastSec };
  if (skipped) out.Skipped = [skipped.start, skipped.end];
  return out;
}

function storedFlow(r: FlowRecord): StoredFlow {
  const f = r.flow!;
  // Addresses as their text (a record may hold an IPv4 address as its number).
  const fields = { ...f.kind, ...f, srcaddr: addressText(f.srcaddr), dstaddr: addressText(f.dstaddr), pktSrcaddr: addressText(f.pktSrcaddr), pktDstaddr: addressText(f.pktDstaddr) };
  const out: StoredFlow = [r.start, r.end, r.packets!, r.bytes!, r.tcpFlags!];
  for (const k of KEY_FIELDS) out.push(fields[k] ?? null);
  return out;
}

/** A stored record back as the pipeline keeps it; undefined when the row is not one vpcsim wrote. */
export function flowRecordOf(s: StoredFlow, meta: InterfaceMeta): FlowRecord | undefined {
  if (!Array.isArray(s) || s.length !== 5 + KEY_FIELDS.length) return undefined;
  for (let i = 0; i < 5; i++) if (typeof s[i] !== 'number') return undefined;
  const key: Record<string, unknown> = {};
  KEY_FIELDS.forEach((k, i) => {
    const v = s[5 + i];
    key[k] = v === null ? undefined : v;
  });
  const flow = flowKeyOf(key as unknown as Parameters<typeof flowKeyOf>[0]);
  return okRecord(flow, flow.kind, s[0] as number, s[1] as number, s[2] as number, s[3] as number, s[4] as number, meta);
}

/** Every window row in the store, with its scope. */
export function storedWindows(store: Store): Array<{ scope: string; id: string; row: StoredWindow }> {
  const out: Array<{ scope: string; id: string; row: StoredWindow }> = [];
  for (const scope of store.scopeNames()) {
    const table = store.table(scope, WINDOW_KIND);
    if (!table) continue;
    for (const [id, row] of table) out.push({ scope, id, row: row as StoredWindow });
  }
  return out;
}

/** Deletes window rows: delivered, or their flow log is gone. */
export function deleteWindows(state: ScopedState, ids: Iterable<string>): void {
  for (const id of ids) if (state.get(WINDOW_KIND, id) !== undefined) state.delete(WINDOW_KIND, id);
}
