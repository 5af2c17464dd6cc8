/**
 * The resource map: the laid-out VPC drawn with absolutely placed boxes (only those in
 * view are rendered, so 200 subnets scroll smoothly), edges and the path overlay in one SVG.
 */
import { memo, type ReactNode, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { arr, str } from '../api/values.js';
import { computeLayout, intersects, type Layout, type Rect } from '../layout.js';
import { type Connection, type Member, routeDestination, routeTarget, type SubnetView, type VpcView } from '../model.js';
import { StateBadge } from './common.js';
import type { Overlay } from './path-overlay.js';

export function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}

const ICON: Record<string, string> = {
  instance: 'EC2',
  'network-interface': 'ENI',
  'nat-gateway': 'NAT',
  'vpc-endpoint': 'VPCE',
  'internet-gateway': 'IGW',
  'egress-only-internet-gateway': 'EIGW',
  'vpn-gateway': 'VGW',
  'vpn-connection': 'VPN',
  'customer-gateway': 'CGW',
  'dx-gateway': 'DXGW',
  'dx-virtual-interface': 'VIF',
  'vpc-peering-connection': 'PCX',
};

interface Props {
  view: VpcView;
  selected?: string;
  onSelect: (id: string) => void;
  overlay?: Overlay;
  /** A component to point at (hovered hop). */
  focus?: string;
  onLayout?: (layout: Layout) => void;
}

function style(r: Rect, extra?: React.CSSProperties): React.CSSProperties {
  return { left: r.x, top: r.y, width: r.w, height: r.h, ...extra };
}

function Badges(props: { seqs?: Array<{ n: number; bad: boolean }>; codes?: string[] }) {
  if (!props.seqs?.length && !props.codes?.length) return null;
  return (
    <span className="badges">
      {props.seqs?.slice(0, 4).map((h) => (
        <span key={h.n} className={`hop-badge ${h.bad ? 'hop-badge-bad' : ''}`}>
          {h.n}
        </span>
      ))}
      {(props.seqs?.length ?? 0) > 4 && <span className="hop-badge">…</span>}
      {props.codes?.map((c) => (
        <span key={c} className="block-badge" title={c}>
          ✕ {c}
        </span>
      ))}
    </span>
  );
}

function classes(...c: Array<string | false | undefined>): string {
  return c.filter(Boolean).join(' ');
}

export const MapView = memo(function MapView(props: Props) {
  const { view, overlay } = props;
  const [compactOverride, setCompactOverride] = useState<boolean | undefined>(undefined);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [zoom, setZoom] = useState(1);
  const [hover, setHover] = useState<string | undefined>();
  const [query, setQuery] = useState('');
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Rect>({ x: 0, y: 0, w: 1600, h: 1000 });
  const fitted = useRef<string | undefined>(undefined);

  const layout = useMemo(() => computeLayout(view, { compact: compactOverride, expanded }), [view, compactOverride, expanded]);
  useEffect(() => props.onLayout?.(layout), [layout, props.onLayout]);

  const updateViewport = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    setViewport({ x: el.scrollLeft / zoom, y: el.scrollTop / zoom, w: el.clientWidth / zoom, h: el.clientHeight / zoom });
  }, [zoom]);
  useLayoutEffect(updateViewport, [updateViewport, layout]);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let frame = 0;
    const onScroll = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(updateViewport);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const ro = new ResizeObserver(onScroll);
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [updateViewport]);

  const fit = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    let z = Math.min(1, (el.clientWidth - 16) / layout.width, (el.clientHeight - 16) / layout.height);
    // A large VPC: fit its width (route tables and connections are a scroll away), and never
    // below legibility.
    if (layout.compact && z < 0.75) z = Math.max(0.6, Math.min(1, (el.clientWidth - 16) / (layout.vpc.w + 24)));
    else z = Math.max(0.45, z);
    setZoom(Math.round(z * 100) / 100);
    el.scrollTo(0, 0);
  }, [layout]);
  // Fit once per VPC.
  useEffect(() => {
    if (fitted.current !== view.id) {
      fitted.current = view.id;
      fit();
    }
  }, [view.id, fit]);

  // Ctrl/⌘ + wheel zooms around the pointer.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      setZoom((z) => Math.min(2, Math.max(0.2, Math.round(z * (e.deltaY < 0 ? 1.1 : 1 / 1.1) * 100) / 100)));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  // Bring the focused component into view.
  useEffect(() => {
    const id = props.focus ?? props.selected;
    if (!id) return;
    const el = scroller.current;
    const r = layout.members.get(id) ?? layout.subnets.get(id) ?? layout.routeTables.get(id) ?? layout.connections.get(id) ?? layout.chips.get(id);
    if (!el || !r) return;
    const vx = el.scrollLeft / zoom;
    const vy = el.scrollTop / zoom;
    const vw = el.clientWidth / zoom;
    const vh = el.clientHeight / zoom;
    if (r.x >= vx && r.y >= vy && r.x + r.w <= vx + vw && r.y + r.h <= vy + vh) return;
    el.scrollTo({ left: Math.max(0, (r.x + r.w / 2 - vw / 2) * zoom), top: Math.max(0, (r.y + r.h / 2 - vh / 2) * zoom), behavior: 'smooth' });
  }, [props.focus, props.selected, layout, zoom]);

  const q = query.trim().toLowerCase();
  const matches = useCallback(
    (s: SubnetView) => !q || s.id.includes(q) || s.cidr.includes(q) || (s.name ?? '').toLowerCase().includes(q) || s.members.some((m) => m.id.includes(q) || m.label.toLowerCase().includes(q) || m.sub.includes(q)),
    [q],
  );

  const margin = 400;
  const vis: Rect = { x: viewport.x - margin, y: viewport.y - margin, w: viewport.w + 2 * margin, h: viewport.h + 2 * margin };
  const active = hover ?? props.selected;
  const memberOf = new Map<string, Member>();
  for (const s of view.subnets) for (const m of s.members) memberOf.set(m.id, m);

  const nodes: ReactNode[] = [];
  // VPC frame and header.
  nodes.push(
    <div key="vpc" className={classes('vpc-box', props.selected === view.id && 'selected')} style={style(layout.vpc)} data-testid="vpc-box">
      <button type="button" className="vpc-header" onClick={() => props.onSelect(view.id)}>
        <span className="kind-tag">VPC</span>
        <span className="vpc-title">{view.name ?? view.id}</span>
        <span className="mono muted">{view.name ? view.id : ''}</span>
        <span className="mono">{view.cidrs.join(', ')}</span>
        <span className="muted">
          {view.subnets.length} subnets · {view.azs.length} zones
        </span>
      </button>
    </div>,
  );
  for (const [id, r] of layout.chips) {
    if (!intersects(r, vis)) continue;
    const isAcl = id.startsWith('acl-');
    const rec = view.index.get(id)?.rec;
    const label = isAcl ? `${id}${rec?.default === 'true' ? ' (default)' : ''}` : `${str(rec?.groupName)} ${id}`;
    nodes.push(
      <button
        key={id}
        type="button"
        className={classes('chip', isAcl ? 'chip-acl' : 'chip-sg', props.selected === id && 'selected', overlay?.badges.has(id) && 'on-path', overlay?.blocked.has(id) && 'blocked')}
        style={style(r)}
        title={label}
        onClick={() => props.onSelect(id)}
        data-testid={`chip-${id}`}
      >
        <span className="chip-text">
          <span className="chip-kind">{isAcl ? 'ACL' : 'SG'}</span> {label}
        </span>
        <Badges seqs={overlay?.badges.get(id)} codes={overlay?.blocked.get(id)} />
      </button>,
    );
  }
  for (const c of layout.azColumns) {
    if (!intersects(c, vis)) continue;
    nodes.push(
      <div key={`az-${c.az}`} className="az-column" style={style(c)} data-testid={`az-${c.az}`}>
        <div className="az-header">
          {c.az} <span className="muted">· {view.subnetsByAz.get(c.az)?.length ?? 0} subnets</span>
        </div>
      </div>,
    );
  }
  for (const s of view.subnets) {
    const r = layout.subnets.get(s.id)!;
    if (!intersects(r, vis)) continue;
    const hue = s.routeTableId ? hueOf(s.routeTableId) : 0;
    const counts = [
      [s.members.filter((m) => m.kind === 'instance').length, 'instance'],
      [s.members.filter((m) => m.kind === 'nat-gateway').length, 'NAT'],
      [s.members.filter((m) => m.kind === 'vpc-endpoint').length, 'endpoint'],
      [s.members.filter((m) => m.kind === 'network-interface').length, 'ENI'],
    ]
      .filter(([n]) => (n as number) > 0)
      .map(([n, w]) => `${n} ${w}${n === 1 || w === 'NAT' || w === 'ENI' ? '' : 's'}`)
      .join(' · ');
    nodes.push(
      <div
        key={s.id}
        className={classes(
          'subnet',
          s.isPublic ? 'public' : 'private',
          props.selected === s.id && 'selected',
          q && !matches(s) && 'dimmed',
          q && matches(s) && 'match',
          overlay?.badges.has(s.id) && 'on-path',
          overlay?.blocked.has(s.id) && 'blocked',
          props.focus === s.id && 'focus',
        )}
        style={style(r, { borderLeftColor: `hsl(${hue} 60% 50%)` })}
        data-testid={`subnet-${s.id}`}
        data-az={s.az}
        data-public={s.isPublic ? 'true' : 'false'}
        onMouseEnter={() => setHover(s.id)}
        onMouseLeave={() => setHover(undefined)}
      >
        <button type="button" className="subnet-head" onClick={() => props.onSelect(s.id)} title={`${s.id} · ${s.cidr} · route table ${s.routeTableId ?? '-'}${s.routeTableExplicit ? '' : ' (main)'}`}>
          <span className={classes('pub', s.isPublic ? 'pub-yes' : 'pub-no')}>{s.isPublic ? 'Public' : 'Private'}</span>
          <span className="subnet-name">{s.name ?? s.id}</span>
          <Badges seqs={overlay?.badges.get(s.id)} codes={overlay?.blocked.get(s.id)} />
          <span className="subnet-meta">
            <span className="mono">{s.cidr}</span>
            {s.name && <span className="mono muted subnet-id">{s.id}</span>}
          </span>
        </button>
        {layout.compact && !expanded.has(s.id) ? (
          <div className="subnet-counts">
            {counts || <span className="muted">empty</span>}
            {s.members.length > 0 && (
              <button type="button" className="link small" onClick={() => setExpanded(new Set(expanded).add(s.id))}>
                show
              </button>
            )}
          </div>
        ) : (
          r.hidden > 0 && (
            <button type="button" className="link small more" style={{ top: r.h - 26 }} onClick={() => setExpanded(new Set(expanded).add(s.id))}>
              +{r.hidden} more
            </button>
          )
        )}
        {layout.compact && expanded.has(s.id) && (
          <button
            type="button"
            className="link small collapse"
            onClick={() => {
              const next = new Set(expanded);
              next.delete(s.id);
              setExpanded(next);
            }}
          >
            hide
          </button>
        )}
      </div>,
    );
    for (const mid of r.shown) {
      const m = memberOf.get(mid)!;
      const mr = layout.members.get(mid)!;
      nodes.push(
        <button
          key={mid}
          type="button"
          className={classes(
            'member',
            `member-${m.kind}`,
            (props.selected === mid || m.interfaces.includes(props.selected ?? '')) && 'selected',
            overlay?.badges.has(mid) && 'on-path',
            overlay?.blocked.has(mid) && 'blocked',
            (props.focus === mid || m.interfaces.includes(props.focus ?? '')) && 'focus',
          )}
          style={style(mr)}
          onClick={() => props.onSelect(mid)}
          data-testid={`member-${mid}`}
          title={`${m.id} ${m.sub}`}
        >
          <span className="icon">{ICON[m.kind]}</span>
          <span className="member-label">{m.label}</span>
          <span className="member-sub mono">{m.sub}</span>
          <StateDot state={m.state} />
          <Badges seqs={overlay?.badges.get(mid)} codes={overlay?.blocked.get(mid)} />
        </button>,
      );
    }
  }
  // Route tables.
  if (layout.routeTables.size) {
    nodes.push(
      <div key="rt-title" className="column-title" style={{ left: layout.routeTableColumn.x, top: 24, width: layout.routeTableColumn.w }}>
        Route tables
      </div>,
    );
  }
  for (const t of view.routeTables) {
    const id = str(t.routeTableId);
    const r = layout.routeTables.get(id)!;
    if (!intersects(r, vis)) continue;
    const routes = arr(t.routeSet);
    const hue = hueOf(id);
    nodes.push(
      <button
        key={id}
        type="button"
        className={classes('rtb', props.selected === id && 'selected', overlay?.badges.has(id) && 'on-path', overlay?.blocked.has(id) && 'blocked', props.focus === id && 'focus')}
        style={style(r, { borderLeftColor: `hsl(${hue} 60% 50%)` })}
        onClick={() => props.onSelect(id)}
        onMouseEnter={() => setHover(id)}
        onMouseLeave={() => setHover(undefined)}
        data-testid={`rtb-${id}`}
      >
        <div className="rtb-head">
          <span className="mono">{id}</span>
          {id === view.mainRouteTableId && <span className="tag">main</span>}
          <span className="muted rtb-name">{view.index.get(id) && (arr(t.tagSet).find((x) => x.key === 'Name')?.value ?? '')}</span>
          <Badges seqs={overlay?.badges.get(id)} codes={overlay?.blocked.get(id)} />
        </div>
        <div className="rtb-sub muted">{view.subnets.filter((s) => s.routeTableId === id).length} subnets</div>
        {routes.slice(0, 8).map((rt, i) => (
          <div key={i} className={classes('route', str(rt.state) === 'blackhole' && 'route-blackhole')}>
            <span className="mono">{routeDestination(rt)}</span> → <span className="mono">{routeTarget(rt)}</span>
          </div>
        ))}
        {routes.length > 8 && <div className="route muted">+{routes.length - 8} more</div>}
      </button>,
    );
  }
  // Connections.
  if (layout.connections.size) {
    nodes.push(
      <div key="conn-title" className="column-title" style={{ left: layout.connectionColumn.x, top: 24, width: layout.connectionColumn.w }}>
        Network connections
      </div>,
    );
  }
  for (const c of view.connections) {
    const r = layout.connections.get(c.id);
    if (!r || !intersects(r, vis)) continue;
    nodes.push(<ConnectionBox key={c.id} c={c} r={r} {...props} />);
  }

  // Edges.
  const edgePaths: ReactNode[] = [];
  const smallMap = view.subnets.length <= 12;
  for (const e of layout.edges) {
    const a = layout.routeTables.get(e.from) ?? layout.subnets.get(e.from) ?? layout.connections.get(e.from);
    const b = layout.connections.get(e.to) ?? layout.members.get(e.to) ?? layout.routeTables.get(e.to);
    if (!a || !b) continue;
    const involved = active === e.from || active === e.to;
    if (e.kind === 'association' && !involved && !smallMap) continue;
    let d: string;
    if (e.kind === 'attachment') {
      d = `M${a.x + 10},${a.y + a.h} L${a.x + 10},${b.y + b.h / 2} L${b.x},${b.y + b.h / 2}`;
    } else {
      const toLeft = b.x + b.w / 2 < a.x;
      const x1 = toLeft ? a.x : a.x + a.w;
      const y1 = a.y + Math.min(a.h / 2, 24);
      const x2 = toLeft ? b.x + b.w : b.x;
      const y2 = b.y + b.h / 2;
      const dx = Math.max(40, Math.abs(x2 - x1) / 2);
      d = `M${x1},${y1} C${x1 + (toLeft ? -dx : dx)},${y1} ${x2 + (toLeft ? dx : -dx)},${y2} ${x2},${y2}`;
    }
    edgePaths.push(<path key={`${e.from}>${e.to}`} d={d} className={classes('edge', `edge-${e.kind}`, involved && 'edge-active')} />);
  }
  const polyline = (pts: Array<{ x: number; y: number }>) => pts.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');

  const focusRect = props.focus ? (layout.members.get(props.focus) ?? layout.subnets.get(props.focus) ?? layout.routeTables.get(props.focus) ?? layout.connections.get(props.focus) ?? layout.chips.get(props.focus)) : undefined;

  return (
    <div className="map-wrap">
      <div className="map-toolbar">
        <button type="button" onClick={() => setZoom((z) => Math.max(0.2, Math.round((z - 0.1) * 10) / 10))} aria-label="Zoom out">
          −
        </button>
        <span className="zoom" data-testid="zoom">
          {Math.round(zoom * 100)}%
        </span>
        <button type="button" onClick={() => setZoom((z) => Math.min(2, Math.round((z + 0.1) * 10) / 10))} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={fit}>
          Fit
        </button>
        <label className="check">
          <input type="checkbox" checked={layout.compact} onChange={(e) => setCompactOverride(e.target.checked)} data-testid="compact" /> Compact subnets
        </label>
        <input className="search" placeholder="Find subnet, instance, IP…" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="map-search" />
        <span className="legend">
          <span className="pub pub-yes">Public</span> route to an internet gateway · <span className="pub pub-no">Private</span> no such route
        </span>
      </div>
      <div className="map-scroll" ref={scroller} data-testid="map">
        <div style={{ width: layout.width * zoom, height: layout.height * zoom, position: 'relative' }}>
          <div className="map-canvas" style={{ width: layout.width, height: layout.height, transform: `scale(${zoom})` }}>
            <svg className="edges" width={layout.width} height={layout.height}>
              <defs>
                <marker id="arrow-ok" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                  <path d="M0,0 L10,5 L0,10 z" className="arrow-ok" />
                </marker>
                <marker id="arrow-bad" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                  <path d="M0,0 L10,5 L0,10 z" className="arrow-bad" />
                </marker>
              </defs>
              {edgePaths}
            </svg>
            {nodes}
            {overlay && (
              <svg className="overlay" width={layout.width} height={layout.height} data-testid="path-overlay">
                {overlay.back.length > 1 && <path d={polyline(overlay.back)} className="path path-return" />}
                {overlay.forward.length > 1 && (
                  <path
                    d={polyline(overlay.forward)}
                    className={classes('path', overlay.reachable ? 'path-ok' : 'path-bad')}
                    markerMid={`url(#arrow-${overlay.reachable ? 'ok' : 'bad'})`}
                    markerEnd={`url(#arrow-${overlay.reachable ? 'ok' : 'bad'})`}
                  />
                )}
                {overlay.forward.map((p, i) => (
                  <circle key={i} cx={p.x} cy={p.y} r={5} className={overlay.reachable ? 'path-dot-ok' : 'path-dot-bad'} />
                ))}
                {focusRect && <rect x={focusRect.x - 4} y={focusRect.y - 4} width={focusRect.w + 8} height={focusRect.h + 8} rx={8} className="focus-ring" />}
              </svg>
            )}
          </div>
        </div>
      </div>
    </div>
  );
});

function StateDot(props: { state: string }) {
  const s = props.state.toLowerCase();
  const tone = /^(available|running|in-use|active|attached)$/.test(s) ? 'ok' : /^(pending|stopping|shutting-down|attaching|deleting|stopped)$/.test(s) ? 'warn' : s ? 'bad' : 'none';
  return <span className={`dot dot-${tone}`} title={props.state} />;
}

function ConnectionBox(props: Props & { c: Connection; r: Rect }) {
  const { c, r, overlay } = props;
  return (
    <button
      type="button"
      className={classes('conn', `conn-${c.kind}`, props.selected === c.id && 'selected', overlay?.badges.has(c.id) && 'on-path', overlay?.blocked.has(c.id) && 'blocked', props.focus === c.id && 'focus')}
      style={style(r)}
      onClick={() => props.onSelect(c.id)}
      data-testid={`conn-${c.id}`}
    >
      <span className="icon">{ICON[c.kind]}</span>
      <span className="conn-text">
        <span className="conn-label">
          {c.label} <StateBadge state={c.state} />
        </span>
        <span className="conn-sub">{c.sub}</span>
      </span>
      <Badges seqs={overlay?.badges.get(c.id)} codes={overlay?.blocked.get(c.id)} />
    </button>
  );
}
