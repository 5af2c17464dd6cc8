/**
 * Flow logs: the region's flow logs (DescribeFlowLogs), the records of one — from its
 * CloudWatch Logs group, or from its files in S3 — with filters and an accepted/rejected
 * chart, NAT gateway metrics, and a panel that sends simulated traffic through the network
 * (and delivers its records at once) so there is something to look at.
 */
import { useEffect, useMemo, useState } from 'react';
import { loadFlowLogs } from '../api/aws.js';
import type { Session } from '../api/client.js';
import { clockNow, type EventsPage, fetchFlowRecords, fetchS3FlowRecords, formatFields, getMetricData, type MetricResult, sendTraffic } from '../api/observability.js';
import type { RegionSnapshot } from '../api/aws.js';
import { arr, nameTag, type Rec, str } from '../api/values.js';
import { ActionChart, type Bucket, LineChart } from './charts.js';
import { Empty, protocolName, StateBadge, Table } from './common.js';

const WINDOWS: Array<[string, number]> = [
  ['15 minutes', 15 * 60_000],
  ['1 hour', 3600_000],
  ['3 hours', 3 * 3600_000],
  ['24 hours', 24 * 3600_000],
];

interface Props {
  session: Session;
  snap?: RegionSnapshot;
  vpcId?: string;
  /** Bumped by the console's live refresh. */
  tick: number;
}

export function FlowLogs(props: Props) {
  const [state, setState] = useState<{ flowLogs: Rec[]; supported: boolean; error?: string } | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    loadFlowLogs(props.session).then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, [props.session, props.tick]);

  const flowLogs = state?.flowLogs ?? [];
  const current = flowLogs.find((f) => f.flowLogId === selected) ?? flowLogs[0];
  // Bumped after traffic was sent: records and metrics are read again at once.
  const [sent, setSent] = useState(0);
  const tick = props.tick + sent * 1000;
  return (
    <div className="flowlogs" data-testid="flowlogs">
      <SendTraffic session={props.session} snap={props.snap} vpcId={props.vpcId} onSent={() => setSent((n) => n + 1)} />
      <section className="panel-block">
        <h2>Flow logs in {props.session.region}</h2>
        {!state ? (
          <div className="muted">Loading…</div>
        ) : !state.supported ? (
          <Empty title="Flow logs are not available on this server" testId="flowlogs-empty">
            This vpcsim does not serve <code>DescribeFlowLogs</code> yet.
          </Empty>
        ) : state.error ? (
          <div className="error">{state.error}</div>
        ) : flowLogs.length === 0 ? (
          <Empty title="No flow logs yet" testId="flowlogs-empty">
            Flow logs capture the traffic of a VPC, subnet or interface. Create one, then its records appear here:
            <pre className="code-block">
              aws ec2 create-flow-logs --resource-type VPC --resource-ids {props.vpcId ?? 'vpc-…'} \{'\n'}  --traffic-type ALL --log-destination-type cloud-watch-logs \{'\n'}  --log-group-name /vpc/flow-logs
            </pre>
          </Empty>
        ) : (
          <Table
            columns={['Flow log', 'Resource', 'Traffic', 'Destination', 'Status']}
            testId="flowlog-list"
            rows={flowLogs.map((f) => [
              <button type="button" className={`link mono ${f === current ? 'strong' : ''}`} onClick={() => setSelected(str(f.flowLogId))}>
                {str(f.flowLogId)}
              </button>,
              <span className="mono">{str(f.resourceId)}</span>,
              str(f.trafficType),
              <span className="mono wrap">
                {str(f.logDestinationType) || 'cloud-watch-logs'}: {str(f.logGroupName) || str(f.logDestination)}
              </span>,
              <StateBadge state={str(f.flowLogStatus)} />,
            ])}
          />
        )}
      </section>
      {current && <Records key={str(current.flowLogId)} session={props.session} flowLog={current} tick={tick} />}
      <NatMetrics session={props.session} snap={props.snap} vpcId={props.vpcId} tick={tick} />
    </div>
  );
}

function Records(props: { session: Session; flowLog: Rec; tick: number }) {
  const f = props.flowLog;
  const fields = useMemo(() => formatFields(str(f.logFormat)), [f.logFormat]);
  const [windowMs, setWindowMs] = useState(3600_000);
  const [eni, setEni] = useState('');
  const [addr, setAddr] = useState('');
  const [port, setPort] = useState('');
  const [action, setAction] = useState('');
  const [page, setPage] = useState<EventsPage | undefined>();
  const [range, setRange] = useState<{ from: number; to: number; simulated?: boolean }>({ from: Date.now() - 3600_000, to: Date.now() });
  const destType = str(f.logDestinationType) || 'cloud-watch-logs';
  const group = str(f.logGroupName) || str(f.logDestination).split(':log-group:')[1]?.replace(/:\*$/, '') || '';

  const readable = destType === 'cloud-watch-logs' ? !!group : destType === 's3';
  useEffect(() => {
    if (!readable) return;
    let live = true;
    void (async () => {
      const clock = await clockNow();
      const to = clock.now;
      const from = to - windowMs;
      const p = await (destType === 's3' ? fetchS3FlowRecords(props.session, str(f.logDestination), str(f.flowLogId), fields, from, to) : fetchFlowRecords(props.session, group, fields, from, to));
      if (!live) return;
      setPage(p);
      setRange({ from, to, simulated: clock.simulated });
    })();
    return () => {
      live = false;
    };
  }, [props.session, group, fields, windowMs, props.tick, destType, readable, f.logDestination, f.flowLogId]);

  const filtered = useMemo(() => {
    const recs = page?.records ?? [];
    return recs.filter(
      (r) =>
        (!eni || r['interface-id'] === eni) &&
        (!addr || r.srcaddr === addr || r.dstaddr === addr || r['pkt-srcaddr'] === addr || r['pkt-dstaddr'] === addr) &&
        (!port || r.srcport === port || r.dstport === port) &&
        (!action || r.action === action),
    );
  }, [page, eni, addr, port, action]);

  const buckets = useMemo(() => {
    const n = 30;
    const size = Math.max(60_000, Math.ceil((range.to - range.from) / n / 60_000) * 60_000);
    const start = Math.floor(range.from / size) * size;
    const out: Bucket[] = [];
    for (let t = start; t <= range.to; t += size) out.push({ t, accepted: 0, rejected: 0 });
    for (const r of filtered) {
      const t = r.start && /^\d+$/.test(r.start) ? Number(r.start) * 1000 : Number(r._t);
      const b = out[Math.floor((t - start) / size)];
      if (!b) continue;
      if (r.action === 'ACCEPT') b.accepted++;
      else if (r.action === 'REJECT') b.rejected++;
    }
    return out;
  }, [filtered, range]);

  const enis = useMemo(() => [...new Set((page?.records ?? []).map((r) => r['interface-id']).filter((x): x is string => !!x && x !== '-'))].sort(), [page]);
  const shown = filtered.slice(-500).reverse();
  // Fields of custom formats worth a column of their own, when the flow log records them.
  const extra = EXTRA_FIELDS.filter(([k]) => fields.includes(k) || page?.records.some((r) => r[k] !== undefined && r[k] !== '-'));
  const cols = ['Time', 'Interface', 'Source', 'Destination', 'Protocol', 'Packets', 'Bytes', 'Action', 'Status', ...extra.map(([, label]) => label)];

  return (
    <section className="panel-block" data-testid="flowlog-records">
      <h2>
        Records of <span className="mono">{str(f.flowLogId)}</span>{' '}
        <span className="muted">
          {destType === 'cloud-watch-logs' ? `log group ${group}` : `${destType} ${str(f.logDestination)}`}
        </span>
      </h2>
      {!readable ? (
        <Empty title="Records are delivered outside CloudWatch Logs and S3">
          This flow log delivers to {destType} (<span className="mono">{str(f.logDestination)}</span>); read them there.
        </Empty>
      ) : (
        <>
          <div className="filters">
            <label>
              Time
              <select value={windowMs} onChange={(e) => setWindowMs(Number(e.target.value))}>
                {WINDOWS.map(([l, ms]) => (
                  <option key={ms} value={ms}>
                    last {l}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Interface
              <select value={eni} onChange={(e) => setEni(e.target.value)} data-testid="filter-eni">
                <option value="">all</option>
                {enis.map((x) => (
                  <option key={x} value={x}>
                    {x}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Address
              <input value={addr} onChange={(e) => setAddr(e.target.value.trim())} placeholder="source or destination" data-testid="filter-address" />
            </label>
            <label>
              Port
              <input value={port} onChange={(e) => setPort(e.target.value.trim())} placeholder="source or destination" size={14} data-testid="filter-port" />
            </label>
            <label>
              Action
              <select value={action} onChange={(e) => setAction(e.target.value)} data-testid="filter-action">
                <option value="">all</option>
                <option value="ACCEPT">ACCEPT</option>
                <option value="REJECT">REJECT</option>
              </select>
            </label>
          </div>
          <div className="chart-row">
            <ActionChart buckets={buckets} testId="flow-chart" />
            <div className="chart-legend">
              <div>
                <span className="swatch accept" /> accepted {filtered.filter((r) => r.action === 'ACCEPT').length}
              </div>
              <div>
                <span className="swatch reject" /> rejected {filtered.filter((r) => r.action === 'REJECT').length}
              </div>
              <div className="muted">{filtered.length} records{page?.truncated ? ' (first 5000)' : ''}</div>
              {range.simulated && (
                <div className="muted" data-testid="simulated-time">
                  simulated time: {new Date(range.to).toLocaleString()}
                </div>
              )}
            </div>
          </div>
          {page?.objects && <S3Files files={page.objects} />}
          {!page ? (
            <div className="muted">Loading records…</div>
          ) : !page.supported ? (
            <Empty title={destType === 's3' ? 'S3 is not available on this server' : 'CloudWatch Logs is not available on this server'} testId="records-empty">
              This vpcsim does not serve <code>{destType === 's3' ? 'ListObjectsV2' : 'FilterLogEvents'}</code> yet.
            </Empty>
          ) : page.error ? (
            <Empty title="No records" testId="records-empty">
              {page.error}
            </Empty>
          ) : (
            <Table
              columns={cols}
              testId="flow-records"
              empty={page.records.length ? 'No record matches the filters' : 'No records in this time range yet'}
              rows={shown.map((r) => [
                new Date(r.start && /^\d+$/.test(r.start) ? Number(r.start) * 1000 : Number(r._t)).toLocaleTimeString(),
                <span className="mono">{r['interface-id'] ?? ''}</span>,
                <span className="mono">
                  {r.srcaddr}
                  {r.srcport && r.srcport !== '-' ? `:${r.srcport}` : ''}
                </span>,
                <span className="mono">
                  {r.dstaddr}
                  {r.dstport && r.dstport !== '-' ? `:${r.dstport}` : ''}
                </span>,
                protocolName(r.protocol),
                r.packets ?? '',
                r.bytes ?? '',
                <span className={r.action === 'ACCEPT' ? 'allow' : 'deny'}>{r.action ?? ''}</span>,
                r['log-status'] ?? '',
                ...extra.map(([k]) => <span className="mono">{r[k] ?? '-'}</span>),
              ])}
            />
          )}
        </>
      )}
    </section>
  );
}

const EXTRA_FIELDS: Array<[string, string]> = [
  ['flow-direction', 'Direction'],
  ['pkt-srcaddr', 'Packet source'],
  ['pkt-dstaddr', 'Packet destination'],
  ['tcp-flags', 'TCP flags'],
  ['traffic-path', 'Traffic path'],
  ['pkt-src-aws-service', 'Source service'],
  ['pkt-dst-aws-service', 'Destination service'],
];

function S3Files(props: { files: NonNullable<EventsPage['objects']> }) {
  const shown = props.files.slice(0, 20);
  return (
    <details className="s3-files" open={props.files.length <= 5} data-testid="s3-files">
      <summary>
        {props.files.length} file{props.files.length === 1 ? '' : 's'} in S3 (ListObjectsV2){props.files.length > 50 ? '; the newest 50 are read' : ''}
      </summary>
      <Table
        columns={['Object key', 'Size', 'Last modified', 'Records']}
        rows={shown.map((o) => [
          <span className="mono wrap">{o.key}</span>,
          `${o.size} B`,
          o.lastModified ? new Date(o.lastModified).toLocaleTimeString() : '',
          o.records === undefined ? '-' : String(o.records),
        ])}
        empty="No files yet"
      />
    </details>
  );
}

interface Endpoint {
  value: string;
  label: string;
}

function endpoints(snap: RegionSnapshot | undefined, vpcId: string | undefined): { from: Endpoint[]; to: Endpoint[] } {
  const from: Endpoint[] = [];
  const to: Endpoint[] = [];
  if (!snap) return { from, to };
  const mine = (v: unknown) => !vpcId || v === vpcId;
  for (const i of snap.instances) {
    if (!mine(i.vpcId) || str(i.instanceState?.name) === 'terminated') continue;
    const e = { value: str(i.instanceId), label: `${nameTag(i) ?? 'instance'} ${str(i.privateIpAddress)}`.trim() };
    from.push(e);
    to.push(e);
  }
  for (const g of snap.internetGateways) if (arr(g.attachmentSet).some((a) => mine(a.vpcId))) from.push({ value: str(g.internetGatewayId), label: 'a host on the internet' });
  for (const g of snap.vpnGateways) if (arr(g.attachments).some((a) => mine(a.vpcId))) from.push({ value: str(g.vpnGatewayId), label: 'an on-premises host' });
  return { from, to };
}

/** A few flows through the network, now: POST /_vpcsim/traffic, then POST /_vpcsim/flush. */
function SendTraffic(props: { session: Session; snap?: RegionSnapshot; vpcId?: string; onSent: () => void }) {
  const [source, setSource] = useState('');
  const [destination, setDestination] = useState('');
  const [protocol, setProtocol] = useState('tcp');
  const [port, setPort] = useState('443');
  const [count, setCount] = useState('5');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const choices = useMemo(() => endpoints(props.snap, props.vpcId), [props.snap, props.vpcId]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setResult(undefined);
    try {
      const n = Math.max(1, Math.min(1000, Number(count) || 1));
      const flow = { source: source.trim(), destination: destination.trim(), protocol, count: n, packets: 10, bytes: 840 } as Parameters<typeof sendTraffic>[1][number];
      if (protocol !== 'icmp' && port.trim()) flow.destinationPort = Number(port);
      const r = await sendTraffic(props.session, [flow]);
      setResult({ ok: true, text: trafficSummary(r.traffic, r.flush, n) });
      props.onSent();
    } catch (err) {
      setResult({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel-block send-traffic" data-testid="send-traffic">
      <h2>Send traffic</h2>
      <form className="filters" onSubmit={submit}>
        <label>
          From
          <input list="traffic-from" value={source} onChange={(e) => setSource(e.target.value)} placeholder="i-…, eni-…, igw-…, vgw-… or an IP" required data-testid="traffic-source" />
        </label>
        <datalist id="traffic-from">
          {choices.from.map((c) => (
            <option key={c.value} value={c.value} label={c.label} />
          ))}
        </datalist>
        <label>
          To
          <input list="traffic-to" value={destination} onChange={(e) => setDestination(e.target.value)} placeholder="i-…, eni-… or an IP" required data-testid="traffic-destination" />
        </label>
        <datalist id="traffic-to">
          {choices.to.map((c) => (
            <option key={c.value} value={c.value} label={c.label} />
          ))}
        </datalist>
        <label>
          Protocol
          <select value={protocol} onChange={(e) => setProtocol(e.target.value)} data-testid="traffic-protocol">
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
            <option value="icmp">ICMP</option>
          </select>
        </label>
        <label>
          Port
          <input type="number" min={0} max={65535} value={protocol === 'icmp' ? '' : port} disabled={protocol === 'icmp'} onChange={(e) => setPort(e.target.value)} size={6} data-testid="traffic-port" />
        </label>
        <label>
          Connections
          <input type="number" min={1} max={1000} value={count} onChange={(e) => setCount(e.target.value)} size={5} data-testid="traffic-count" />
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="traffic-send">
          {busy ? 'Sending…' : 'Send and deliver'}
        </button>
      </form>
      {result && (
        <div className={result.ok ? 'muted' : 'error'} role={result.ok ? 'status' : 'alert'} data-testid={result.ok ? 'traffic-result' : 'traffic-error'}>
          {result.text}
        </div>
      )}
    </section>
  );
}

/** What the server said about the flows and the delivery, in a sentence. */
function trafficSummary(traffic: Rec, flush: Rec | undefined, n: number): string {
  const parts: string[] = [];
  const total = Number(traffic.connections) || n;
  parts.push(`${total} connection${total === 1 ? '' : 's'}: ${Number(traffic.accepted) || 0} accepted, ${Number(traffic.dropped) || 0} dropped`);
  const codes = [...new Set(arr(traffic.flows).flatMap((f) => arr<string>(f.explanationCodes)))];
  if (codes.length) parts.push(codes.join(', '));
  const d: Rec = { records: 0, logEvents: 0, s3Objects: 0 };
  for (const x of [traffic.delivered, flush?.delivered]) for (const k of Object.keys(d)) d[k] += Number(x?.[k]) || 0;
  parts.push(`delivered ${d.records} flow log record${d.records === 1 ? '' : 's'} (${d.logEvents} log events, ${d.s3Objects} S3 files)`);
  return parts.join(' · ');
}

/** Metric windows: label, span, period (seconds). */
const METRIC_WINDOWS: Array<[string, number, number]> = [
  ['last hour, 1-minute periods', 3600_000, 60],
  ['last 3 hours, 5-minute periods', 3 * 3600_000, 300],
  ['last 24 hours, 1-hour periods', 24 * 3600_000, 3600],
];

const NAT_METRICS: Array<{ metric: string; stat: string; unit: string }> = [
  { metric: 'BytesOutToDestination', stat: 'Sum', unit: 'bytes' },
  { metric: 'BytesInFromDestination', stat: 'Sum', unit: 'bytes' },
  { metric: 'PacketsOutToDestination', stat: 'Sum', unit: 'packets' },
  { metric: 'ActiveConnectionCount', stat: 'Maximum', unit: 'count' },
  { metric: 'ConnectionEstablishedCount', stat: 'Sum', unit: 'count' },
  { metric: 'PacketsDropCount', stat: 'Sum', unit: 'packets' },
  { metric: 'ErrorPortAllocation', stat: 'Sum', unit: 'count' },
];

function NatMetrics(props: { session: Session; snap?: RegionSnapshot; vpcId?: string; tick: number }) {
  const nats = (props.snap?.natGateways ?? []).filter((n) => str(n.state) !== 'deleted' && (!props.vpcId || n.vpcId === props.vpcId));
  const [chosen, setChosen] = useState<string | undefined>();
  const nat = nats.find((n) => n.natGatewayId === chosen) ?? nats[0];
  const natId = str(nat?.natGatewayId);
  const [data, setData] = useState<{ results: MetricResult[]; supported: boolean; error?: string; from: number; to: number } | undefined>();
  const [win, setWin] = useState(0);
  const [label, spanMs, period] = METRIC_WINDOWS[win]!;
  useEffect(() => {
    if (!natId) return;
    let live = true;
    let from = Date.now() - spanMs;
    let to = Date.now();
    clockNow()
      .then((c) => {
        to = c.now;
        from = to - spanMs;
        return getMetricData(
          props.session,
          NAT_METRICS.map((m, i) => ({ id: `m${i}`, namespace: 'AWS/NATGateway', metric: m.metric, dimensions: { NatGatewayId: natId }, stat: m.stat, period })),
          from,
          to,
        );
      })
      .then((r) => live && setData({ ...r, from, to }))
      .catch((err) => live && setData({ results: [], supported: true, error: err instanceof Error ? err.message : String(err), from, to }));
    return () => {
      live = false;
    };
  }, [props.session, natId, props.tick, spanMs, period]);
  return (
    <section className="panel-block" data-testid="nat-metrics">
      <h2>NAT gateway metrics</h2>
      {nats.length === 0 ? (
        <Empty title="No NAT gateways in this VPC" testId="nat-empty" />
      ) : (
        <>
          <label className="inline">
            NAT gateway{' '}
            <select value={natId} onChange={(e) => setChosen(e.target.value)}>
              {nats.map((n) => (
                <option key={str(n.natGatewayId)} value={str(n.natGatewayId)}>
                  {str(n.natGatewayId)} {nameTag(n) ?? ''}
                </option>
              ))}
            </select>
          </label>{' '}
          <label className="inline">
            Period{' '}
            <select value={win} onChange={(e) => setWin(Number(e.target.value))} data-testid="metric-window">
              {METRIC_WINDOWS.map(([l], i) => (
                <option key={l} value={i}>
                  {l}
                </option>
              ))}
            </select>
          </label>{' '}
          <span className="muted" data-testid="metric-window-label">
            {label}
          </span>
          {!data ? (
            <div className="muted">Loading metrics…</div>
          ) : !data.supported ? (
            <Empty title="CloudWatch metrics are not available on this server" testId="metrics-empty">
              This vpcsim does not serve <code>GetMetricData</code> yet.
            </Empty>
          ) : data.error ? (
            <div className="error">{data.error}</div>
          ) : (
            <div className="metrics-grid">
              {NAT_METRICS.map((m, i) => (
                <LineChart
                  key={m.metric}
                  testId={`metric-${m.metric}`}
                  series={{ label: `${m.metric} (${m.stat})`, points: data.results.find((r) => r.id === `m${i}`)?.points ?? [] }}
                  unit={m.unit}
                  from={data.from}
                  to={data.to}
                />
              ))}
            </div>
          )}
        </>
      )}
    </section>
  );
}
