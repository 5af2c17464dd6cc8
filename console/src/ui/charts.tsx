/** Small SVG charts, drawn by hand so the console needs nothing more than React. */

export interface Bucket {
  t: number;
  accepted: number;
  rejected: number;
}

function timeLabel(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Accepted (green) and rejected (red) records per time bucket, stacked. */
export function ActionChart(props: { buckets: Bucket[]; height?: number; testId?: string }) {
  const w = 640;
  const h = props.height ?? 140;
  const padL = 36;
  const padB = 20;
  const max = Math.max(1, ...props.buckets.map((b) => b.accepted + b.rejected));
  const n = Math.max(1, props.buckets.length);
  const bw = (w - padL - 4) / n;
  const padT = 8;
  const y = (v: number) => padT + (h - padB - padT) * (1 - v / max);
  const ticks = [0, Math.round(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  const every = Math.max(1, Math.ceil(n / 8));
  return (
    <svg className="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label="Accepted and rejected records over time" data-testid={props.testId}>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={padL} x2={w} y1={y(v)} y2={y(v)} className="grid" />
          <text x={padL - 4} y={y(v) + 4} textAnchor="end" className="axis">
            {v}
          </text>
        </g>
      ))}
      {props.buckets.map((b, i) => {
        const x = padL + i * bw;
        return (
          <g key={b.t}>
            <title>{`${timeLabel(b.t)}: ${b.accepted} accepted, ${b.rejected} rejected`}</title>
            <rect x={x + 1} width={Math.max(1, bw - 2)} y={y(b.accepted)} height={h - padB - y(b.accepted)} className="bar-accept" />
            <rect x={x + 1} width={Math.max(1, bw - 2)} y={y(b.accepted + b.rejected)} height={y(b.accepted) - y(b.accepted + b.rejected)} className="bar-reject" />
            {i % every === 0 && (
              <text x={x + bw / 2} y={h - 6} textAnchor="middle" className="axis">
                {timeLabel(b.t)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export interface Series {
  label: string;
  points: Array<{ t: number; v: number }>;
}

/** One metric over time as a line. */
export function LineChart(props: { series: Series; unit?: string; from: number; to: number; testId?: string }) {
  const w = 300;
  const h = 110;
  const padL = 40;
  const padB = 18;
  const pts = [...props.series.points].sort((a, b) => a.t - b.t);
  const max = Math.max(1, ...pts.map((p) => p.v));
  const span = Math.max(1, props.to - props.from);
  const x = (t: number) => padL + ((t - props.from) / span) * (w - padL - 6);
  const y = (v: number) => 6 + (h - padB - 6) * (1 - v / max);
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(Math.round(v)));
  return (
    <figure className="metric" data-testid={props.testId}>
      <figcaption>
        {props.series.label}
        {props.unit ? <span className="muted"> ({props.unit})</span> : null}
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={props.series.label}>
        <line x1={padL} x2={w} y1={y(0)} y2={y(0)} className="grid" />
        <line x1={padL} x2={w} y1={y(max)} y2={y(max)} className="grid" />
        <text x={padL - 4} y={y(max) + 4} textAnchor="end" className="axis">
          {fmt(max)}
        </text>
        <text x={padL - 4} y={y(0) + 4} textAnchor="end" className="axis">
          0
        </text>
        <text x={padL} y={h - 4} className="axis">
          {timeLabel(props.from)}
        </text>
        <text x={w - 4} y={h - 4} textAnchor="end" className="axis">
          {timeLabel(props.to)}
        </text>
        {pts.length > 0 ? (
          <>
            <path d={d} className="line" />
            {pts.length < 60 && pts.map((p) => <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={2} className="dot" />)}
          </>
        ) : (
          <text x={(w + padL) / 2} y={h / 2} textAnchor="middle" className="axis">
            no data points
          </text>
        )}
      </svg>
    </figure>
  );
}
