/**
 * Amazon CloudWatch metrics (`monitoring`): PutMetricData, ListMetrics, GetMetricStatistics,
 * GetMetricData. Served in both wire protocols clients use: the AWS query protocol (AWS CLI v2
 * up to 2.1x, botocore) and AWS JSON 1.0 with X-Amz-Target `GraniteServiceVersion20100801.*`
 * (current @aws-sdk/client-cloudwatch, query-compatible errors), gzip request bodies included.
 *
 * Storage: a record per metric (namespace, name, dimensions) and its datapoints aggregated per
 * minute (sample count, sum, minimum, maximum per unit) in one record per metric and hour, so
 * that producers (NAT gateway metrics) append cheaply. `putMetricData` is the producers' entry.
 */
import type {
  Datapoint,
  Dimension,
  DimensionFilter,
  GetMetricDataInput,
  GetMetricDataOutput,
  GetMetricStatisticsInput,
  GetMetricStatisticsOutput,
  ListMetricsInput,
  ListMetricsOutput,
  Metric,
  MetricDataQuery,
  MetricDataResult,
  MetricDatum,
  PutMetricDataInput,
  StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { ApiError } from '../../protocol/errors.js';
import { loadModel } from '../../protocol/model.js';
import { defineIndex, type ScopedState } from '../../state/store.js';
import type { Handler, RequestContext, ServiceProvider } from '../context.js';
import { cloudWatchHttp } from './json.js';
import { evaluateExpression, type Series } from './expression.js';

export const METRIC = 'cw-metric';
export const METRIC_DATA = 'cw-data';

defineIndex(METRIC, 'Namespace');

interface MetricRecord {
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
  /** Latest datapoint timestamp (ms), for RecentlyActive and the two-week listing window. */
  _last: number;
}

/** [sampleCount, sum, minimum, maximum] */
type Stats = [number, number, number, number];

interface HourRecord {
  /** minute offset within the hour (0–59) → unit → stats */
  m: Record<string, Record<string, Stats>>;
}

const UNITS: StandardUnit[] = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits',
  'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second',
  'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as StandardUnit[];
const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
type Statistic = (typeof STATISTICS)[number];

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const invalidValue = (m: string) => new ApiError('InvalidParameterValue', m);
const invalidCombination = (m: string) => new ApiError('InvalidParameterCombination', m);
const missing = (m: string) => new ApiError('MissingParameter', m);

function sortedDims(dims: readonly Dimension[] | undefined): Dimension[] {
  return (dims ?? []).map((d) => ({ Name: d.Name, Value: d.Value })).sort((a, b) => (a.Name! < b.Name! ? -1 : a.Name! > b.Name! ? 1 : 0));
}

function metricKey(namespace: string, name: string, dims: readonly Dimension[]): string {
  return [namespace, name, ...dims.map((d) => `${d.Name}=${d.Value}`)].join('\u0000');
}

function hourId(key: string, hourStart: number): string {
  return `${key}\u0001${hourStart}`;
}

function toMs(t: Date | string | number | undefined, fallback: number): number {
  if (t === undefined) return fallback;
  if (t instanceof Date) return t.getTime();
  return typeof t === 'number' ? t : Date.parse(t);
}

/** A datapoint as producers hand it over: one value, or a statistic set. */
export interface MetricInput {
  MetricName: string;
  Dimensions?: Dimension[];
  /** Milliseconds or a Date; the current time when absent. */
  Timestamp?: number | Date;
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  /** Several values at once, each seen Counts[i] times (1 when absent). */
  Values?: number[];
  Counts?: number[];
  Unit?: string;
}

/**
 * For producers (NAT gateway metrics and the like): records datapoints in any namespace,
 * `AWS/` ones included, aggregated per minute. No validation beyond the shape.
 */
export function putMetricData(state: ScopedState, namespace: string, data: readonly MetricInput[], nowMs: number = Date.now()): void {
  const hours = new Map<string, HourRecord>();
  for (const d of data) {
    const dims = sortedDims(d.Dimensions);
    const key = metricKey(namespace, d.MetricName, dims);
    const at = toMs(d.Timestamp, nowMs);
    const metric = state.get<MetricRecord>(METRIC, key);
    if (!metric) state.put<MetricRecord>(METRIC, key, { Namespace: namespace, MetricName: d.MetricName, Dimensions: dims, _last: at });
    else if (metric._last < at) state.edit<MetricRecord>(METRIC, key)!._last = at;

    const hourStart = Math.floor(at / HOUR) * HOUR;
    const id = hourId(key, hourStart);
    let hour = hours.get(id);
    if (!hour) {
      hour = state.edit<HourRecord>(METRIC_DATA, id) ?? state.put<HourRecord>(METRIC_DATA, id, { m: {} });
      hours.set(id, hour);
    }
    const minute = String(Math.floor((at - hourStart) / MINUTE));
    const unit = d.Unit ?? 'None';
    const byUnit = (hour.m[minute] ??= {});
    const add = (s: Stats) => {
      const cur = byUnit[unit];
      byUnit[unit] = cur ? [cur[0] + s[0], cur[1] + s[1], Math.min(cur[2], s[2]), Math.max(cur[3], s[3])] : s;
    };
    if (d.StatisticValues) add([d.StatisticValues.SampleCount, d.StatisticValues.Sum, d.StatisticValues.Minimum, d.StatisticValues.Maximum]);
    else if (d.Values && d.Values.length) {
      d.Values.forEach((v, i) => {
        const c = d.Counts?.[i] ?? 1;
        add([c, v * c, v, v]);
      });
    } else if (d.Value !== undefined) add([1, d.Value, d.Value, d.Value]);
  }
}

// ---------------------------------------------------------------------------------------------
// PutMetricData.

function checkDimensions(dims: readonly Dimension[] | undefined, where: string): void {
  if (!dims) return;
  if (dims.length > 30) throw invalidValue(`The collection ${where}.Dimensions must not have a size greater than 30.`);
  const seen = new Set<string>();
  dims.forEach((d, i) => {
    if (!d.Name || d.Name.length > 255) throw invalidValue(`The parameter ${where}.Dimensions.member.${i + 1}.Name must be a value between 1 and 255 characters.`);
    if (d.Value === undefined || d.Value.length < 1 || d.Value.length > 1024) {
      throw invalidValue(`The parameter ${where}.Dimensions.member.${i + 1}.Value must be a value between 1 and 1024 characters.`);
    }
    if (seen.has(d.Name)) throw invalidValue(`No Metric may specify the same dimension name twice.`);
    seen.add(d.Name);
  });
}

function checkNumber(v: number, param: string): void {
  if (!Number.isFinite(v)) throw invalidValue(`The value ${v} for parameter ${param} is invalid.`);
  if (v !== 0 && (Math.abs(v) > 2 ** 360 || Math.abs(v) < 2 ** -260)) {
    throw invalidValue(`The value ${v} for parameter ${param} is invalid.`);
  }
}

function putMetricDataHandler(ctx: RequestContext, input: PutMetricDataInput): void {
  const ns = input.Namespace!;
  if (ns.length < 1 || ns.length > 255 || !/^[^:].*$/.test(ns) || /[^\x20-\x7e]/.test(ns)) throw invalidValue(`The value ${ns} for parameter Namespace is invalid.`);
  if (ns.startsWith('AWS/')) throw invalidValue(`The value AWS/ for parameter Namespace is invalid.`);
  const data = input.MetricData ?? [];
  if (data.length < 1) throw missing('The parameter MetricData is required.');
  if (data.length > 1000) throw invalidValue('The collection MetricData must not have a size greater than 1000.');
  const now = ctx.now.getTime();
  const inputs: MetricInput[] = data.map((d: MetricDatum, i) => {
    const where = `MetricData.member.${i + 1}`;
    if (!d.MetricName || d.MetricName.length > 255) throw invalidValue(`The parameter ${where}.MetricName must be a value between 1 and 255 characters.`);
    checkDimensions(d.Dimensions, where);
    const kinds = [d.Value !== undefined, d.StatisticValues !== undefined, d.Values !== undefined].filter(Boolean).length;
    if (kinds > 1) {
      throw invalidCombination(
        d.Value !== undefined && d.StatisticValues !== undefined
          ? `The parameters ${where}.Value and ${where}.StatisticValues are mutually exclusive and you have specified both.`
          : `The parameters ${where}.Values and ${where}.${d.Value !== undefined ? 'Value' : 'StatisticValues'} are mutually exclusive and you have specified both.`,
      );
    }
    if (kinds === 0) throw missing(`The parameter ${where}.Value is required.`);
    if (d.Value !== undefined) checkNumber(d.Value, `${where}.Value`);
    if (d.StatisticValues) {
      const s = d.StatisticValues;
      for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) checkNumber(s[k]!, `${where}.StatisticValues.${k}`);
      if (s.SampleCount! <= 0) throw invalidValue(`The parameter ${where}.StatisticValues.SampleCount must be greater than 0.`);
      if (s.Minimum! > s.Maximum!) throw invalidValue(`The parameter ${where}.StatisticValues.Maximum must be greater than ${where}.StatisticValues.Minimum.`);
    }
    if (d.Values) {
      if (d.Values.length > 150) throw invalidValue(`The collection ${where}.Values must not have a size greater than 150.`);
      d.Values.forEach((v, j) => checkNumber(v, `${where}.Values.member.${j + 1}`));
      if (d.Counts && d.Counts.length !== d.Values.length) {
        throw invalidValue(`The parameters ${where}.Values and ${where}.Counts must be of the same size.`);
      }
    } else if (d.Counts) throw invalidCombination(`The parameter ${where}.Counts must be specified with ${where}.Values.`);
    if (d.Unit !== undefined && !UNITS.includes(d.Unit)) {
      throw invalidValue(`The parameter ${where}.Unit must be a value in the set [ ${UNITS.join(', ')} ].`);
    }
    if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
      throw invalidValue(`The parameter ${where}.StorageResolution must be either 1 or 60.`);
    }
    const at = toMs(d.Timestamp, now);
    if (at < now - 14 * DAY) throw invalidValue(`The parameter ${where}.Timestamp must specify a time no more than two weeks in the past.`);
    if (at > now + 2 * HOUR) throw invalidValue(`The parameter ${where}.Timestamp must specify a time no more than two hours in the future.`);
    return {
      MetricName: d.MetricName,
      Dimensions: d.Dimensions,
      Timestamp: at,
      Value: d.Value,
      StatisticValues: d.StatisticValues as MetricInput['StatisticValues'],
      Values: d.Values,
      Counts: d.Counts,
      Unit: d.Unit,
    };
  });
  putMetricData(ctx.state, ns, inputs, now);
}

// ---------------------------------------------------------------------------------------------
// ListMetrics.

const LIST_PAGE = 500;

function encodeToken(offset: number): string {
  return Buffer.from(`cw:${offset}`).toString('base64url');
}

function decodeToken(token: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^cw:(\d{1,12})$/.exec(text);
  if (!m) throw new ApiError('InvalidNextToken', 'The service cannot process the NextToken because it is invalid.');
  return Number(m[1]);
}

function listMetrics(ctx: RequestContext, input: ListMetricsInput): ListMetricsOutput {
  const now = ctx.now.getTime();
  if (input.RecentlyActive !== undefined && input.RecentlyActive !== 'PT3H') {
    throw invalidValue(`The parameter RecentlyActive must be a value in the set [ PT3H ].`);
  }
  const filters: DimensionFilter[] = input.Dimensions ?? [];
  if (filters.length > 10) throw invalidValue('The collection Dimensions must not have a size greater than 10.');
  const since = input.RecentlyActive ? now - 3 * HOUR : now - 14 * DAY;
  const records = input.Namespace !== undefined ? ctx.state.listBy<MetricRecord>(METRIC, 'Namespace', input.Namespace) : ctx.state.list<MetricRecord>(METRIC);
  const selected = records.filter(
    (m) =>
      m._last >= since &&
      (input.MetricName === undefined || m.MetricName === input.MetricName) &&
      filters.every((f) => m.Dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))),
  );
  const sorted = selected
    .map((m) => ({ key: metricKey(m.Namespace, m.MetricName, m.Dimensions), m }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const start = input.NextToken ? decodeToken(input.NextToken) : 0;
  const page = sorted.slice(start, start + LIST_PAGE);
  return {
    Metrics: page.map(({ m }): Metric => ({ Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions.map((d) => ({ ...d })) })),
    NextToken: start + LIST_PAGE < sorted.length ? encodeToken(start + LIST_PAGE) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading datapoints.

interface Bucket {
  start: number;
  stats: Stats;
  unit: string;
}

/** Per-period aggregates of one metric in [start, end), optionally of one unit only. */
function aggregate(state: ScopedState, key: string, start: number, end: number, period: number, unit?: string): Bucket[] {
  const buckets = new Map<number, Bucket>();
  const periodMs = period * 1000;
  for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) {
    const rec = state.get<HourRecord>(METRIC_DATA, hourId(key, hour));
    if (!rec) continue;
    for (const [minute, byUnit] of Object.entries(rec.m)) {
      const t = hour + Number(minute) * MINUTE;
      if (t < start || t >= end) continue;
      const bucketStart = start + Math.floor((t - start) / periodMs) * periodMs;
      for (const [u, s] of Object.entries(byUnit)) {
        if (unit !== undefined && u !== unit) continue;
        const b = buckets.get(bucketStart);
        if (!b) buckets.set(bucketStart, { start: bucketStart, stats: [...s] as Stats, unit: u });
        else {
          b.stats = [b.stats[0] + s[0], b.stats[1] + s[1], Math.min(b.stats[2], s[2]), Math.max(b.stats[3], s[3])];
          if (b.unit !== u) b.unit = 'None';
        }
      }
    }
  }
  return [...buckets.values()].sort((a, b) => a.start - b.start);
}

function statValue(s: Stats, stat: Statistic): number {
  switch (stat) {
    case 'SampleCount':
      return s[0];
    case 'Sum':
      return s[1];
    case 'Average':
      return s[1] / s[0];
    case 'Minimum':
      return s[2];
    case 'Maximum':
      return s[3];
  }
}

function checkPeriod(period: number, param = 'Period'): void {
  if (period < 1) throw invalidValue(`The parameter ${param} must be greater than 0.`);
  if (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0) {
    throw invalidValue(`The parameter ${param} must be 1, 5, 10, 20, 30, or any multiple of 60.`);
  }
}

/** Period boundaries are aligned to the minute of StartTime (to the second for periods under a minute). */
function alignStart(start: number, period: number): number {
  return period < 60 ? Math.floor(start / 1000) * 1000 : Math.floor(start / MINUTE) * MINUTE;
}

function getMetricStatistics(ctx: RequestContext, input: GetMetricStatisticsInput): GetMetricStatisticsOutput {
  const stats = input.Statistics ?? [];
  const ext = input.ExtendedStatistics ?? [];
  if (stats.length === 0 && ext.length === 0) throw missing('The parameter Statistics or ExtendedStatistics is required.');
  if (stats.length > 0 && ext.length > 0) throw invalidCombination('The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
  if (ext.length > 0) throw invalidValue('vpcsim keeps one-minute aggregates only: ExtendedStatistics (percentiles) are not available.');
  if (stats.length > 5) throw invalidValue('The collection Statistics must not have a size greater than 5.');
  for (const s of stats) {
    if (!(STATISTICS as readonly string[]).includes(s)) {
      throw invalidValue(`The parameter Statistics.member.${stats.indexOf(s) + 1} must be a value in the set [ ${STATISTICS.join(', ')} ].`);
    }
  }
  const period = input.Period!;
  checkPeriod(period);
  if (input.Unit !== undefined && !UNITS.includes(input.Unit)) throw invalidValue(`The parameter Unit must be a value in the set [ ${UNITS.join(', ')} ].`);
  const start = toMs(input.StartTime, 0);
  const end = toMs(input.EndTime, 0);
  if (start >= end) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
  const aligned = alignStart(start, period);
  const requested = Math.ceil((end - aligned) / (period * 1000));
  if (requested > 1440) {
    throw invalidCombination(
      `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  checkDimensions(input.Dimensions, 'GetMetricStatistics');
  const key = metricKey(input.Namespace!, input.MetricName!, sortedDims(input.Dimensions));
  const buckets = aggregate(ctx.state, key, aligned, end, period, input.Unit);
  return {
    Label: input.MetricName,
    Datapoints: buckets.map((b) => {
      const dp: Datapoint = { Timestamp: new Date(b.start), Unit: b.unit as StandardUnit };
      for (const s of stats as Statistic[]) dp[s] = statValue(b.stats, s);
      return dp;
    }),
  };
}

const ID = /^[a-z][a-zA-Z0-9_]*$/;

function getMetricData(ctx: RequestContext, input: GetMetricDataInput): GetMetricDataOutput {
  const queries: MetricDataQuery[] = input.MetricDataQueries ?? [];
  if (queries.length < 1) throw missing('The parameter MetricDataQueries is required.');
  if (queries.length > 500) throw invalidValue('The collection MetricDataQueries must not have a size greater than 500.');
  const start = toMs(input.StartTime, 0);
  const end = toMs(input.EndTime, 0);
  if (start >= end) throw new ApiError('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = input.ScanBy ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
    throw invalidValue(`The parameter ScanBy must be a value in the set [ TimestampDescending, TimestampAscending ].`);
  }
  const ids = new Set<string>();
  for (const q of queries) {
    if (!q.Id || !ID.test(q.Id)) throw new ApiError('ValidationError', `Invalid metric data query id: ${q.Id}. The Id must start with a lowercase letter and contain only letters, numbers and underscores.`);
    if (ids.has(q.Id)) throw new ApiError('ValidationError', `The value ${q.Id} for field Id is duplicated.`);
    ids.add(q.Id);
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
      throw new ApiError('ValidationError', `The parameter MetricDataQueries.member.${queries.indexOf(q) + 1} must specify exactly one of MetricStat or Expression.`);
    }
  }
  if (!queries.some((q) => q.ReturnData !== false)) throw new ApiError('ValidationError', 'No metric data query has ReturnData set to true.');

  const series = new Map<string, Series>();
  const labels = new Map<string, string>();
  for (const q of queries) {
    if (!q.MetricStat) continue;
    const ms = q.MetricStat;
    checkPeriod(ms.Period!, `MetricDataQueries.member.${queries.indexOf(q) + 1}.MetricStat.Period`);
    if (!(STATISTICS as readonly string[]).includes(ms.Stat!)) {
      throw invalidValue(`The statistic ${ms.Stat} is not supported: vpcsim serves ${STATISTICS.join(', ')}.`);
    }
    const key = metricKey(ms.Metric!.Namespace!, ms.Metric!.MetricName!, sortedDims(ms.Metric!.Dimensions));
    const aligned = alignStart(start, ms.Period!);
    const buckets = aggregate(ctx.state, key, aligned, end, ms.Period!, ms.Unit);
    series.set(q.Id!, new Map(buckets.map((b) => [b.start, statValue(b.stats, ms.Stat as Statistic)])));
    labels.set(q.Id!, q.Label ?? ms.Metric!.MetricName!);
  }
  const results: MetricDataResult[] = [];
  const messages: Array<{ Code: string; Value: string }> = [];
  for (const q of queries) {
    if (q.Expression !== undefined) {
      try {
        series.set(q.Id!, evaluateExpression(q.Expression, series));
      } catch (err) {
        throw new ApiError('ValidationError', `Error in expression '${q.Id}': ${(err as Error).message}`);
      }
      labels.set(q.Id!, q.Label ?? q.Id!);
    }
  }
  let total = 0;
  const max = input.MaxDatapoints ?? 100_800;
  for (const q of queries) {
    if (q.ReturnData === false) continue;
    const s = series.get(q.Id!) ?? new Map();
    const points = [...s.entries()].filter(([t, v]) => Number.isFinite(v) && t < end);
    points.sort((a, b) => (scanBy === 'TimestampAscending' ? a[0] - b[0] : b[0] - a[0]));
    const room = Math.max(0, max - total);
    const kept = points.slice(0, room);
    total += kept.length;
    results.push({
      Id: q.Id,
      Label: labels.get(q.Id!),
      Timestamps: kept.map(([t]) => new Date(t)),
      Values: kept.map(([, v]) => v),
      StatusCode: kept.length < points.length ? 'PartialData' : 'Complete',
      Messages: [],
    });
  }
  return { MetricDataResults: results, Messages: messages };
}

const handlers: Record<string, Handler> = {
  PutMetricData: putMetricDataHandler,
  ListMetrics: listMetrics,
  GetMetricStatistics: getMetricStatistics,
  GetMetricData: getMetricData,
};

export function monitoringProvider(): ServiceProvider {
  const provider: ServiceProvider = {
    name: 'monitoring',
    model: loadModel('monitoring-2010-08-01'),
    protocol: 'query',
    handlers,
    jsonErrors: {
      serialization: (m) => new ApiError('SerializationException', m),
      validation: (m) => new ApiError('MissingParameter', m),
    },
  };
  provider.http = cloudWatchHttp(provider);
  return provider;
}
