/**
 * Flow logs: the region's flow logs (DescribeFlowLogs), the records of one from its
 * CloudWatch Logs group with filters and an accepted/rejected chart, and NAT gateway metrics.
 */
import { useEffect, useMemo, useState } from 'react';
import { loadFlowLogs } from '../api/aws.js';
import type { Session } from '../api/client.js';
import { fetchFlowRecords, type FlowRecord, formatFields, getMetricData, type MetricResult } from '../api/observability.js';
import type { RegionSnapshot } from '../api/aws.js';
import { nameTag, type Rec, str } from '../api/values.js';
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
  return (
    <div className="flowlogs" data-testid="flowlogs">
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
      {current && <Records key={str(current.flowLogId)} session={props.session} flowLog={current} tick={props.tick} />}
      <NatMetrics session={props.session} snap={props.snap} vpcId={props.vpcId} tick={props.tick} />
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
  const [page, setPage] = useState<{ records: FlowRecord[]; truncated: boolean; supported: boolean; error?: string } | undefined>();
  const [range, setRange] = useState<{ from: number; to: number }>({ from: Date.now() - 3600_000, to: Date.now() });
  const destType = str(f.logDestinationType) || 'cloud-watch-logs';
  const group = str(f.logGroupName) || str(f.logDestination).split(':log-group:')[1]?.replace(/:\*$/, '') || '';

  useEffect(() => {
    if (destType !== 'cloud-watch-logs' || !group) return;
    let live = true;
    const to = Date.now();
    const from = to - windowMs;
    fetchFlowRecords(props.session, group, fields, from, to).then((p) => {
      if (!live) return;
      setPage(p);
      setRange({ from, to });
    });
    return () => {
      live = false;
    };
  }, [props.session, group, fields, windowMs, props.tick, destType]);

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
  const cols = ['Time', 'Interface', 'Source', 'Destination', 'Protocol', 'Packets', 'Bytes', 'Action', 'Status'];

  return (
    <section className="panel-block" data-testid="flowlog-records">
      <h2>
        Records of <span className="mono">{str(f.flowLogId)}</span>{' '}
        <span className="muted">
          {destType === 'cloud-watch-logs' ? `log group ${group}` : `${destType} ${str(f.logDestination)}`}
        </span>
      </h2>
      {destType !== 'cloud-watch-logs' ? (
        <Empty title="Records are delivered outside CloudWatch Logs">
          This flow log delivers to {destType} (<span className="mono">{str(f.logDestination)}</span>); read them there, e.g. <code>aws s3 ls</code> on its bucket.
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
            </div>
          </div>
          {!page ? (
            <div className="muted">Loading records…</div>
          ) : !page.supported ? (
            <Empty title="CloudWatch Logs is not available on this server" testId="records-empty">
              This vpcsim does not serve <code>FilterLogEvents</code> yet.
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
              ])}
            />
          )}
        </>
      )}
    </section>
  );
}

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
  useEffect(() => {
    if (!natId) return;
    let live = true;
    const to = Date.now();
    const from = to - 3 * 3600_000;
    getMetricData(
      props.session,
      NAT_METRICS.map((m, i) => ({ id: `m${i}`, namespace: 'AWS/NATGateway', metric: m.metric, dimensions: { NatGatewayId: natId }, stat: m.stat, period: 300 })),
      from,
      to,
    )
      .then((r) => live && setData({ ...r, from, to }))
      .catch((err) => live && setData({ results: [], supported: true, error: err instanceof Error ? err.message : String(err), from, to }));
    return () => {
      live = false;
    };
  }, [props.session, natId, props.tick]);
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
            </select>{' '}
            <span className="muted">last 3 hours, 5-minute periods</span>
          </label>
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
