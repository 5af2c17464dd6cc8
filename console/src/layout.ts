/**
 * The map's automatic layout, a pure function of the VPC view: one column per availability
 * zone with its subnets stacked (public first), route tables in the next column, and the
 * VPC's connections (internet, VPN, Direct Connect, peering, endpoints) in the last. Every
 * box has a rectangle in map coordinates; members of a subnet (instances, interfaces, NAT
 * gateways, endpoints) have their own rectangles while the subnet shows them, else they
 * resolve to the subnet's. Compact mode (many subnets) keeps each subnet to one short card.
 */
import { arr, str } from './api/values.js';
import { routeTarget, type VpcView } from './model.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SubnetBox extends Rect {
  id: string;
  /** Member IDs shown as chips, in order (the rest are summarised). */
  shown: string[];
  hidden: number;
}

export interface Edge {
  from: string;
  to: string;
  kind: 'route' | 'association' | 'attachment';
}

export interface Layout {
  width: number;
  height: number;
  compact: boolean;
  vpc: Rect;
  header: Rect;
  /** Security group and network ACL chips at the top of the VPC box. */
  chips: Map<string, Rect>;
  azColumns: Array<Rect & { az: string }>;
  subnets: Map<string, SubnetBox>;
  members: Map<string, Rect>;
  /** Subnet of every member and interface, shown or not. */
  memberSubnet: Map<string, string>;
  routeTables: Map<string, Rect>;
  routeTableColumn: Rect;
  connections: Map<string, Rect>;
  connectionColumn: Rect;
  edges: Edge[];
}

export const L = {
  pad: 20,
  vpcHeader: 64,
  chipH: 26,
  chipGap: 8,
  azWidth: 270,
  compactAzWidth: 230,
  azGap: 16,
  azHeader: 34,
  subnetHeader: 62,
  memberRow: 36,
  subnetGap: 12,
  compactSubnet: 58,
  maxMembers: 6,
  rtWidth: 270,
  rtHeader: 46,
  rtRow: 20,
  rtMaxRoutes: 8,
  rtGap: 14,
  colGap: 64,
  connWidth: 280,
  connHeight: 58,
  connGap: 12,
  /** Above this many subnets the map starts compact. */
  compactAt: 40,
};

/** Width of a chip for the label, about 7px per character at 12px. */
function chipWidth(label: string): number {
  return Math.min(300, 48 + label.length * 6.6);
}

export function computeLayout(view: VpcView, opts: { compact?: boolean; expanded?: ReadonlySet<string> } = {}): Layout {
  const compact = opts.compact ?? view.subnets.length > L.compactAt;
  const expanded = opts.expanded ?? new Set<string>();
  const azCount = Math.max(1, view.azs.length);
  const azWidth = compact ? L.compactAzWidth : L.azWidth;
  const vpcInnerWidth = azCount * azWidth + (azCount - 1) * L.azGap;
  const vpcWidth = vpcInnerWidth + 2 * L.pad;
  const x0 = 0;
  const y0 = 0;

  // Security group and ACL chips, wrapped across the VPC's width.
  const chips = new Map<string, Rect>();
  let cx = x0 + L.pad;
  let cy = y0 + L.vpcHeader;
  const items = [
    ...view.networkAcls.map((a) => ({ id: str(a.networkAclId), label: `${str(a.networkAclId)}${a.default === 'true' ? ' (default)' : ''}` })),
    ...view.securityGroups.map((g) => ({ id: str(g.groupId), label: `${str(g.groupName)} ${str(g.groupId)}` })),
  ];
  for (const it of items) {
    const w = chipWidth(it.label);
    if (cx + w > x0 + L.pad + vpcInnerWidth && cx > x0 + L.pad) {
      cx = x0 + L.pad;
      cy += L.chipH + L.chipGap;
    }
    chips.set(it.id, { x: cx, y: cy, w, h: L.chipH });
    cx += w + L.chipGap;
  }
  const chipsBottom = items.length ? cy + L.chipH + 2 * L.chipGap : cy;

  // Availability zone columns and their subnets.
  const subnets = new Map<string, SubnetBox>();
  const members = new Map<string, Rect>();
  const memberSubnet = new Map<string, string>();
  for (const s of view.subnets) {
    for (const m of s.members) {
      memberSubnet.set(m.id, s.id);
      for (const iface of m.interfaces) memberSubnet.set(iface, s.id);
    }
  }
  const azColumns: Layout['azColumns'] = [];
  let tallest = 0;
  view.azs.forEach((az, i) => {
    const ax = x0 + L.pad + i * (azWidth + L.azGap);
    let y = chipsBottom + L.azHeader;
    for (const s of view.subnetsByAz.get(az) ?? []) {
      const open = !compact || expanded.has(s.id);
      const limit = expanded.has(s.id) ? Infinity : L.maxMembers;
      const shown = open ? s.members.slice(0, limit).map((m) => m.id) : [];
      const hidden = s.members.length - shown.length;
      const h = open ? L.subnetHeader + shown.length * L.memberRow + (hidden > 0 ? 22 : 0) + 8 : L.compactSubnet;
      const box: SubnetBox = { id: s.id, x: ax, y, w: azWidth, h, shown, hidden };
      subnets.set(s.id, box);
      shown.forEach((mid, k) => {
        const r = { x: ax + 10, y: y + L.subnetHeader + k * L.memberRow, w: azWidth - 20, h: L.memberRow - 6 };
        members.set(mid, r);
        const m = s.members[k]!;
        for (const iface of m.interfaces) if (!members.has(iface)) members.set(iface, r);
      });
      y += h + L.subnetGap;
    }
    const colHeight = y - chipsBottom;
    tallest = Math.max(tallest, colHeight);
    azColumns.push({ az, x: ax, y: chipsBottom, w: azWidth, h: colHeight });
  });
  for (const c of azColumns) c.h = tallest;
  const vpcHeight = Math.max(chipsBottom - y0 + tallest + L.pad, 200);
  const vpc: Rect = { x: x0, y: y0, w: vpcWidth, h: vpcHeight };

  // Route tables.
  const rtx = x0 + vpcWidth + L.colGap;
  const routeTables = new Map<string, Rect>();
  let ry = y0 + L.vpcHeader;
  const rts = [...view.routeTables].sort((a, b) => Number(b.routeTableId === view.mainRouteTableId) - Number(a.routeTableId === view.mainRouteTableId));
  for (const t of rts) {
    const n = Math.min(arr(t.routeSet).length, L.rtMaxRoutes);
    const more = arr(t.routeSet).length > L.rtMaxRoutes ? 1 : 0;
    const h = L.rtHeader + (n + more) * L.rtRow + 10;
    routeTables.set(str(t.routeTableId), { x: rtx, y: ry, w: L.rtWidth, h });
    ry += h + L.rtGap;
  }
  const routeTableColumn: Rect = { x: rtx, y: y0, w: L.rtWidth, h: ry - y0 };

  // Connections: grouped, children right under their parent.
  const connx = rtx + L.rtWidth + L.colGap;
  const connections = new Map<string, Rect>();
  let ny = y0 + L.vpcHeader;
  const order: Record<string, number> = {
    'internet-gateway': 0,
    'egress-only-internet-gateway': 1,
    'vpc-peering-connection': 2,
    'vpc-endpoint': 3,
    'vpn-gateway': 4,
  };
  const roots = view.connections.filter((c) => !c.parent).sort((a, b) => (order[a.kind] ?? 9) - (order[b.kind] ?? 9));
  const place = (id: string, depth: number) => {
    connections.set(id, { x: connx + depth * 24, y: ny, w: L.connWidth - depth * 24, h: L.connHeight });
    ny += L.connHeight + L.connGap;
    for (const child of view.connections.filter((c) => c.parent === id)) if (!connections.has(child.id)) place(child.id, depth + 1);
  };
  for (const r of roots) place(r.id, 0);
  const connectionColumn: Rect = { x: connx, y: y0, w: L.connWidth, h: ny - y0 };

  // Edges: routes to connections (always), parent links among connections.
  const edges: Edge[] = [];
  const seen = new Set<string>();
  for (const t of view.routeTables) {
    for (const r of arr(t.routeSet)) {
      const target = routeTarget(r);
      const key = `${str(t.routeTableId)}>${target}`;
      if (seen.has(key) || target === 'local') continue;
      seen.add(key);
      if (connections.has(target) || members.has(target)) edges.push({ from: str(t.routeTableId), to: target, kind: 'route' });
    }
  }
  for (const c of view.connections) if (c.parent && connections.has(c.parent)) edges.push({ from: c.parent, to: c.id, kind: 'attachment' });
  for (const s of view.subnets) if (s.routeTableId) edges.push({ from: s.id, to: s.routeTableId, kind: 'association' });

  const width = connx + L.connWidth + L.pad;
  const height = Math.max(vpcHeight, ry, ny) + L.pad;
  return {
    width,
    height,
    compact,
    vpc,
    header: { x: x0, y: y0, w: vpcWidth, h: L.vpcHeader },
    chips,
    azColumns,
    subnets,
    members,
    memberSubnet,
    routeTables,
    routeTableColumn,
    connections,
    connectionColumn,
    edges,
  };
}

/** Where a resource is on the map (its own box, or the box that shows it). */
export function rectOf(layout: Layout, id: string): Rect | undefined {
  const own = layout.members.get(id) ?? layout.subnets.get(id) ?? layout.routeTables.get(id) ?? layout.connections.get(id) ?? layout.chips.get(id);
  if (own) return own;
  const subnet = layout.memberSubnet.get(id);
  return subnet ? layout.subnets.get(subnet) : undefined;
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
