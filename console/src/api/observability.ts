/**
 * Flow log records from CloudWatch Logs (FilterLogEvents) and NAT gateway metrics from
 * CloudWatch (GetMetricData), in the AWS API shapes.
 */
import { isUnsupported, jsonCall, queryCall, type QueryParams, type Session } from './client.js';
import { arr, num, type Rec, str } from './values.js';

export const DEFAULT_FORMAT =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

export type FlowRecord = Record<string, string> & { _t: string; _stream: string };

/** Field names of a flow log format: "${version} ${srcaddr} …" → ["version", "srcaddr", …]. */
export function formatFields(format: string | undefined): string[] {
  return [...(format || DEFAULT_FORMAT).matchAll(/\$\{([a-z0-9-]+)\}/g)].map((m) => m[1]!);
}

export function parseRecord(message: string, fields: string[], timestamp: number, stream: string): FlowRecord {
  const parts = message.trim().split(/\s+/);
  const out = { _t: String(timestamp), _stream: stream } as FlowRecord;
  fields.forEach((f, i) => (out[f] = parts[i] ?? '-'));
  return out;
}

export interface EventsPage {
  records: FlowRecord[];
  truncated: boolean;
  supported: boolean;
  error?: string;
}

/** Records of one log group between two times (newest pages first are not guaranteed: sorted here). */
export async function fetchFlowRecords(session: Session, logGroupName: string, fields: string[], startTime: number, endTime: number, max = 5000): Promise<EventsPage> {
  const records: FlowRecord[] = [];
  let token: string | undefined;
  try {
    for (let page = 0; page < 50; page++) {
      const r = await jsonCall<Rec>(session, 'logs', 'Logs_20140328.FilterLogEvents', { logGroupName, startTime, endTime, limit: 1000, nextToken: token });
      for (const e of arr(r.events)) records.push(parseRecord(str(e.message), fields, Number(e.timestamp), str(e.logStreamName)));
      token = str(r.nextToken) || undefined;
      if (!token || records.length >= max) break;
    }
  } catch (err) {
    if (isUnsupported(err)) return { records: [], truncated: false, supported: false };
    if (err instanceof Error && /ResourceNotFound/.test(err.message)) return { records: [], truncated: false, supported: true, error: `The log group ${logGroupName} does not exist (yet).` };
    return { records: [], truncated: false, supported: true, error: err instanceof Error ? err.message : String(err) };
  }
  records.sort((a, b) => Number(a._t) - Number(b._t));
  return { records: records.slice(-max), truncated: records.length > max || !!token, supported: true };
}

export interface MetricQuery {
  id: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  stat: string;
  period: number;
}

export interface MetricResult {
  id: string;
  label: string;
  points: Array<{ t: number; v: number }>;
}

/** GetMetricData in AWS JSON 1.0 (as today's SDKs call it), else the query protocol. */
export async function getMetricData(session: Session, queries: MetricQuery[], start: number, end: number): Promise<{ results: MetricResult[]; supported: boolean }> {
  try {
    const r = await jsonCall<Rec>(
      session,
      'monitoring',
      'GraniteServiceVersion20100801.GetMetricData',
      {
        MetricDataQueries: queries.map((q) => ({
          Id: q.id,
          MetricStat: {
            Metric: { Namespace: q.namespace, MetricName: q.metric, Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })) },
            Period: q.period,
            Stat: q.stat,
          },
        })),
        StartTime: Math.floor(start / 1000),
        EndTime: Math.ceil(end / 1000),
      },
      '1.0',
    );
    return { supported: true, results: arr(r.MetricDataResults).map(toResult) };
  } catch (err) {
    if (!isUnsupported(err)) throw err;
  }
  try {
    const params: QueryParams = { StartTime: new Date(start).toISOString(), EndTime: new Date(end).toISOString() };
    queries.forEach((q, i) => {
      const p = `MetricDataQueries.member.${i + 1}`;
      params[`${p}.Id`] = q.id;
      params[`${p}.MetricStat.Metric.Namespace`] = q.namespace;
      params[`${p}.MetricStat.Metric.MetricName`] = q.metric;
      Object.entries(q.dimensions).forEach(([n, v], j) => {
        params[`${p}.MetricStat.Metric.Dimensions.member.${j + 1}.Name`] = n;
        params[`${p}.MetricStat.Metric.Dimensions.member.${j + 1}.Value`] = v;
      });
      params[`${p}.MetricStat.Period`] = q.period;
      params[`${p}.MetricStat.Stat`] = q.stat;
    });
    const r = await queryCall(session, 'monitoring', '2010-08-01', 'GetMetricData', params);
    return { supported: true, results: arr(r.value.MetricDataResults).map(toResult) };
  } catch (err) {
    if (isUnsupported(err)) return { supported: false, results: [] };
    throw err;
  }
}

function toResult(m: Rec): MetricResult {
  const ts = arr<unknown>(m.Timestamps);
  const vs = arr<unknown>(m.Values);
  const points = ts
    .map((t, i) => ({ t: typeof t === 'number' ? t * 1000 : Date.parse(str(t)), v: num(vs[i]) ?? 0 }))
    .filter((p) => !Number.isNaN(p.t));
  return { id: str(m.Id), label: str(m.Label) || str(m.Id), points };
}
