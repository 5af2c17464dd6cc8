/** A path analysis drawn on the map: the route through the boxes, numbered hops, blockers. */
import type { PathResult } from '../api/analysis.js';
import { type Layout, rectOf } from '../layout.js';

export interface Overlay {
  reachable: boolean;
  forward: Array<{ x: number; y: number; id: string }>;
  back: Array<{ x: number; y: number; id: string }>;
  /** Hop numbers per box (forward path), and whether the hop refused the packet. */
  badges: Map<string, Array<{ n: number; bad: boolean }>>;
  /** Explanation codes per blocking box. */
  blocked: Map<string, string[]>;
  /** Components of the path that are not on this map (other VPCs, outside). */
  offMap: string[];
}

/** Components that mark a place on the path (security groups and ACLs are checks at a place). */
const CHECKS = new Set(['security-group', 'network-acl', 'vpc', 'internet', 'on-premises', 'aws-service']);

function points(layout: Layout, hops: PathResult['hops'], offMap: Set<string>, checks = false) {
  const out: Array<{ x: number; y: number; id: string }> = [];
  for (const h of hops) {
    if (!checks && CHECKS.has(h.componentType)) continue;
    const r = rectOf(layout, h.componentId);
    if (!r) {
      if (h.componentId) offMap.add(h.componentId);
      continue;
    }
    const p = { x: r.x + r.w / 2, y: r.y + r.h / 2, id: h.componentId };
    const last = out[out.length - 1];
    if (last && last.x === p.x && last.y === p.y) continue;
    out.push(p);
  }
  return out;
}

export function buildOverlay(result: PathResult, layout: Layout): Overlay {
  const offMap = new Set<string>();
  const badges = new Map<string, Array<{ n: number; bad: boolean }>>();
  for (const h of result.hops) {
    if (!h.componentId) continue;
    const r = rectOf(layout, h.componentId);
    if (!r) continue;
    // Keyed by the box that shows the component (an interface shows in its instance's box).
    const key = boxKey(layout, h.componentId);
    const list = badges.get(key) ?? [];
    list.push({ n: h.sequence, bad: ['deny', 'drop', 'no-route', 'blackhole'].includes(h.action) });
    badges.set(key, list);
  }
  const blocked = new Map<string, string[]>();
  for (const e of result.explanations) {
    if (!e.componentId) continue;
    const key = rectOf(layout, e.componentId) ? boxKey(layout, e.componentId) : e.componentId;
    const list = blocked.get(key) ?? [];
    if (!list.includes(e.code)) list.push(e.code);
    blocked.set(key, list);
  }
  const forward = points(layout, result.hops, offMap);
  if (forward.length === 0 && result.source) {
    // No hop listed (Reachability Analyzer lists none for a blocked path): start at the source.
    const r = rectOf(layout, result.source);
    if (r) forward.push({ x: r.x + r.w / 2, y: r.y + r.h / 2, id: result.source });
  }
  if (!result.reachable) {
    // A blocked path ends at what blocked it (an interface whose groups refuse the packet).
    const ends = points(
      layout,
      result.explanations.filter((e) => e.direction !== 'return').map((e, i) => ({ sequence: i, componentId: e.componentId, componentType: e.componentType, action: 'drop', detail: '', facts: [] })),
      offMap,
      // A blocking ACL or group is drawn as such (its chip), not skipped as a check on the way.
      true,
    );
    const last = forward[forward.length - 1];
    for (const p of ends) if (!last || last.x !== p.x || last.y !== p.y) forward.push(p);
  }
  return {
    reachable: result.reachable,
    forward,
    back: points(layout, result.returnHops, offMap),
    badges,
    blocked,
    offMap: [...offMap],
  };
}

/** The ID of the box on the map that stands for `id`. */
export function boxKey(layout: Layout, id: string): string {
  if (layout.members.has(id) || layout.subnets.has(id) || layout.routeTables.has(id) || layout.connections.has(id) || layout.chips.has(id)) {
    const r = layout.members.get(id);
    if (r) {
      // Interfaces shown inside an instance's box share its rectangle: use the owner's ID.
      for (const [k, v] of layout.members) if (v === r) return k;
    }
    return id;
  }
  return layout.memberSubnet.get(id) ?? id;
}
