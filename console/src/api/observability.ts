/**
 * Flow log records from CloudWatch Logs (FilterLogEvents) or from the flow log files in S3
 * (ListObjectsV2, GetObject, gunzip; Parquet files read by their columns), NAT gateway metrics from CloudWatch (GetMetricData),
 * and vpcsim's simulated traffic (POST /_vpcsim/traffic, POST /_vpcsim/flush).
 */
import { gunzipSync } from 'fflate';
import { parquetReadObjects } from 'hyparquet';
import { isUnsupported, jsonCall, queryCall, type QueryParams, s3Get, type Session, vpcsimCall } from './client.js';
import { elementToValue, parseXml, type XObject } from './xml.js';
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
  /** For S3 destinations: the flow log's files. */
  objects?: S3File[];
}

export interface S3File {
  key: string;
  size: number;
  lastModified: string;
  /** Records read from it (undefined when it was not read). */
  records?: number;
}

/** Bucket and prefix of an S3 flow log destination (`arn:aws:s3:::bucket/prefix`). */
export function s3Destination(arn: string): { bucket: string; prefix: string } | undefined {
  const m = /^arn:[^:]+:s3:::([^/]+)\/?(.*)$/.exec(arn);
  if (!m) return undefined;
  return { bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  // Not gzip (no magic number): already text.
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

/**
 * The records of a Parquet flow log file (FileFormat parquet) as text records have them: columns
 * are the fields with underscores (`log_status` is `log-status`), null is `-`.
 */
async function parquetRecords(bytes: Uint8Array): Promise<Array<Record<string, string>>> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file, compressors: { GZIP: (input: Uint8Array) => gunzipSync(input) } });
  return rows.map((row) => {
    const out: Record<string, string> = {};
    for (const [column, v] of Object.entries(row)) out[column.replace(/_/g, '-')] = v === null || v === undefined ? '-' : String(v);
    return out;
  });
}

/** The records of one flow log file: Parquet by its columns, gzip text by its header line (else the flow log's fields). */
async function fileRecords(key: string, bytes: Uint8Array, fields: string[]): Promise<Array<Record<string, string>>> {
  if (key.endsWith('.parquet')) return parquetRecords(bytes);
  const lines = (await gunzip(bytes)).split('\n').filter((l) => l.trim());
  // The first line names the fields (the flow log's format without ${}).
  const header = lines[0] && !/^\d/.test(lines[0].trim()) ? lines.shift()!.trim().split(/\s+/) : fields;
  return lines.map((line) => parseRecord(line, header, 0, key));
}

/** The files of an S3 flow log (its own, by flow log ID in the name), newest first. */
export async function listFlowLogFiles(session: Session, bucket: string, prefix: string, flowLogId: string, max = 1000): Promise<S3File[]> {
  const files: S3File[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const q: Record<string, string> = { 'list-type': '2', prefix: `${prefix ? `${prefix}/` : ''}AWSLogs/` };
    if (token) q['continuation-token'] = token;
    const bytes = await s3Get(session, bucket, '', q);
    const root = elementToValue(parseXml(new TextDecoder().decode(bytes))) as XObject;
    const contents = root.Contents === undefined ? [] : Array.isArray(root.Contents) ? root.Contents : [root.Contents];
    for (const c of contents as Rec[]) {
      const key = str(c.Key);
      if (key.includes(`_${flowLogId}_`)) files.push({ key, size: Number(c.Size) || 0, lastModified: str(c.LastModified) });
    }
    token = str(root.IsTruncated) === 'true' ? str(root.NextContinuationToken) || undefined : undefined;
    if (!token || files.length >= max) break;
  }
  return files.sort((a, b) => b.lastModified.localeCompare(a.lastModified) || b.key.localeCompare(a.key));
}

/** Records of an S3 flow log between two times: the newest `maxFiles` files read (gzip text, or Parquet). */
export async function fetchS3FlowRecords(session: Session, arn: string, flowLogId: string, fields: string[], startTime: number, endTime: number, maxFiles = 50, max = 5000): Promise<EventsPage> {
  const dest = s3Destination(arn);
  if (!dest) return { records: [], truncated: false, supported: true, error: `Not an S3 destination: ${arn}` };
  let files: S3File[];
  try {
    files = await listFlowLogFiles(session, dest.bucket, dest.prefix, flowLogId);
  } catch (err) {
    if (isUnsupported(err)) return { records: [], truncated: false, supported: false };
    return { records: [], truncated: false, supported: true, error: err instanceof Error ? err.message : String(err) };
  }
  const records: FlowRecord[] = [];
  const read = files.slice(0, maxFiles);
  await Promise.all(
    read.map(async (f) => {
      try {
        let n = 0;
        for (const fieldsOf of await fileRecords(f.key, await s3Get(session, dest.bucket, f.key), fields)) {
          const r = { ...fieldsOf, _stream: f.key } as FlowRecord;
          const t = /^\d+$/.test(r.start ?? '') ? Number(r.start) * 1000 : Date.parse(f.lastModified);
          r._t = String(t);
          n++;
          if (t >= startTime && t <= endTime) records.push(r);
        }
        f.records = n;
      } catch {
        f.records = undefined;
      }
    }),
  );
  records.sort((a, b) => Number(a._t) - Number(b._t));
  return { records: records.slice(-max), truncated: records.length > max || files.length > maxFiles, supported: true, objects: files };
}

// ---------------------------------------------------------------------------------------
// Simulated traffic
// ---------------------------------------------------------------------------------------

/**
 * The time flow logs and metrics are at: vpcsim's simulation clock (GET /_vpcsim/clock) when
 * it has been moved, else the real time (also when the server has no clock).
 */
export async function clockNow(signal?: AbortSignal): Promise<{ now: number; simulated: boolean }> {
  try {
    const res = await fetch('/_vpcsim/clock', { signal });
    if (res.ok) {
      const c = ((await res.json()) as Rec).clock as Rec | undefined;
      if (c?.mode === 'simulated' && typeof c.now === 'number') return { now: c.now, simulated: true };
    }
  } catch (err) {
    if (signal?.aborted) throw err;
  }
  return { now: Date.now(), simulated: false };
}

export interface TrafficFlow {
  source: string;
  destination: string;
  protocol: string;
  destinationPort?: number;
  packets?: number;
  bytes?: number;
  count?: number;
  sourceIp?: string;
}

/** Sends flows through the network (POST /_vpcsim/traffic), then delivers pending flow log records (POST /_vpcsim/flush). */
export async function sendTraffic(session: Session, flows: TrafficFlow[]): Promise<{ traffic: Rec; flush?: Rec }> {
  // Signed requests act in the signer's account; otherwise the account is named.
  const body: Rec = { flows, region: session.region };
  if (!session.secretAccessKey) body.account = session.account;
  const traffic = await vpcsimCall<Rec>(session, '/_vpcsim/traffic', body);
  const flush = await vpcsimCall<Rec>(session, '/_vpcsim/flush', {});
  return { traffic, flush };
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
