/**
 * Scenario files: named steps of traffic over (simulated) time, expanded into FlowSpecs.
 *
 *   {
 *     "name": "web",
 *     "steps": [
 *       { "name": "clients", "every": "1m", "for": "10m",
 *         "flows": [{ "source": "internet:198.51.100.10", "hosts": 100,
 *                     "destination": "tag:Name=web", "protocol": "tcp", "destinationPort": 443 }] }
 *     ]
 *   }
 *
 * A step runs once at `at` (default 0, from the scenario's start), or `repeat` times / for
 * `for`, `every` apart. A flow is a FlowSpec with a few extras: `hosts` (that many outside
 * hosts, from the source address up), `destinations` (several targets), `ports` ("1-1024",
 * or a list: one connection per port), `duration` ("30s") for `durationMs`. Each repetition
 * uses fresh source ports, as clients do. Sources and destinations may name resources by tag
 * (`tag:Name=web-1`); the server resolves them (traffic-route.ts).
 */
import { formatIpv4, parseIpv4 } from '../network/cidr.js';
import { ClockError, parseDuration } from './clock.js';
import type { FlowSpec } from './types.js';

export interface ScenarioFlow extends FlowSpec {
  hosts?: number;
  destinations?: string[];
  ports?: string | number[];
  duration?: string | number;
}

export interface ScenarioStep {
  name?: string;
  at?: string | number;
  every?: string | number;
  repeat?: number;
  for?: string | number;
  flows: ScenarioFlow[];
}

export interface Scenario {
  name?: string;
  description?: string;
  steps: ScenarioStep[];
}

export class ScenarioError extends Error {}

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function duration(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ScenarioError(`${what} must be a duration such as "30s", "10m" or a number of seconds.`);
  try {
    return parseDuration(v, what);
  } catch (err) {
    if (err instanceof ClockError) throw new ScenarioError(err.message);
    throw err;
  }
}

function positiveInt(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ScenarioError(`${what} must be a positive integer.`);
  return v;
}

/** "1-1024", "22,80,443", [22, 80] → ports. */
export function parsePorts(v: string | number[], what = 'ports'): number[] {
  const out: number[] = [];
  const add = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ScenarioError(`${what}: ${n} is not a port (0-65535).`);
    out.push(n);
  };
  if (Array.isArray(v)) {
    for (const n of v) add(n);
    return out;
  }
  if (typeof v !== 'string') throw new ScenarioError(`${what} must be a range such as "1-1024" or a list of ports.`);
  for (const part of v.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new ScenarioError(`${what}: '${part.trim()}' is not a port or a range.`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) throw new ScenarioError(`${what}: the range ${a}-${b} is empty.`);
    add(a);
    add(b);
    out.pop();
    out.pop();
    for (let p = a; p <= b; p++) out.push(p);
  }
  return out;
}

/** The outside host `i` places after the source's own address (internet:IP, onprem:IP, IP). */
function nthHost(source: string, i: number): string {
  if (i === 0) return source;
  const colon = source.indexOf(':');
  const prefix = colon >= 0 ? source.slice(0, colon + 1) : '';
  const ip = parseIpv4(source.slice(prefix.length));
  if (ip === undefined) throw new ScenarioError(`hosts needs an address source (internet:IP, onprem:IP or IP), not '${source}'.`);
  return prefix + formatIpv4((ip + i) >>> 0);
}

/** What is wrong with the shape of one flow (`where` names it), if anything: an object with a source and a destination. */
export function flowProblem(f: unknown, where: string): string | undefined {
  if (!isObject(f)) return `${where} must be an object.`;
  if (typeof f.source !== 'string') return `${where} needs a "source".`;
  if (typeof f.destination !== 'string' && !Array.isArray(f.destinations)) return `${where} needs a "destination" or "destinations".`;
  return undefined;
}

/** Checks a parsed JSON value is a scenario (throws ScenarioError saying what is wrong). */
export function parseScenario(v: unknown): Scenario {
  if (!isObject(v)) throw new ScenarioError('A scenario is a JSON object with "steps".');
  if (!Array.isArray(v.steps) || v.steps.length === 0) throw new ScenarioError('A scenario needs "steps": a non-empty list.');
  v.steps.forEach((s, i) => {
    if (!isObject(s)) throw new ScenarioError(`steps[${i}] must be an object.`);
    if (!Array.isArray(s.flows) || s.flows.length === 0) throw new ScenarioError(`steps[${i}] needs "flows": a non-empty list.`);
    s.flows.forEach((f, j) => {
      const problem = flowProblem(f, `steps[${i}].flows[${j}]`);
      if (problem) throw new ScenarioError(problem);
    });
  });
  return v as unknown as Scenario;
}

/**
 * The scenario's flows, starting at `startMs`. Throws ScenarioError when it is malformed or
 * stands for more than `maxConnections` connections.
 */
export function expandScenario(scenario: Scenario, startMs: number, maxConnections: number): FlowSpec[] {
  const out: FlowSpec[] = [];
  let connections = 0;
  scenario.steps.forEach((step, i) => {
    const where = step.name ? `step '${step.name}'` : `steps[${i}]`;
    const at = duration(step.at, `${where}: at`) ?? 0;
    const every = duration(step.every, `${where}: every`);
    const span = duration(step.for, `${where}: for`);
    let repeat = positiveInt(step.repeat, `${where}: repeat`);
    if ((repeat !== undefined || span !== undefined) && (every === undefined || every === 0)) {
      throw new ScenarioError(`${where}: repeat and for need "every".`);
    }
    if (repeat !== undefined && span !== undefined) throw new ScenarioError(`${where}: give repeat or for, not both.`);
    if (span !== undefined) repeat = Math.max(1, Math.floor(span / every!));
    repeat ??= 1;
    const flows = step.flows.map((f, j) => {
      const what = `${where}, flows[${j}]`;
      const hosts = positiveInt(f.hosts, `${what}: hosts`) ?? 1;
      const destinations = f.destinations ?? [f.destination];
      if (destinations.some((d) => typeof d !== 'string')) throw new ScenarioError(`${what}: destinations must be strings.`);
      const ports = f.ports !== undefined ? parsePorts(f.ports, `${what}: ports`) : [undefined];
      const durationMs = f.durationMs ?? duration(f.duration, `${what}: duration`);
      const count = positiveInt(f.count, `${what}: count`) ?? 1;
      return { f, hosts, destinations, ports, durationMs, count };
    });
    for (let k = 0; k < repeat; k++) {
      const t = startMs + at + k * (every ?? 0);
      for (const { f, hosts, destinations, ports, durationMs, count } of flows) {
        const perRound = hosts * destinations.length * ports.length * count;
        connections += perRound;
        if (connections > maxConnections) {
          throw new ScenarioError(`At most ${maxConnections} connections per request: this one stands for more; send it in parts.`);
        }
        // Fresh client ports each round (within the ephemeral range), as real clients use.
        const basePort = f.sourcePort ?? EPHEMERAL_FIRST;
        let sourcePort = basePort + k * count;
        if (k > 0 && sourcePort + count - 1 > 65535 && basePort >= EPHEMERAL_FIRST && count <= EPHEMERAL_COUNT) {
          sourcePort = EPHEMERAL_FIRST + ((sourcePort - EPHEMERAL_FIRST) % (EPHEMERAL_COUNT - count + 1));
        }
        for (let h = 0; h < hosts; h++) {
          const source = nthHost(f.source, h);
          for (const destination of destinations) {
            for (const port of ports) {
              const spec: FlowSpec = { ...f, source, destination: destination as string, startMs: f.startMs ?? t };
              delete (spec as ScenarioFlow).hosts;
              delete (spec as ScenarioFlow).destinations;
              delete (spec as ScenarioFlow).ports;
              delete (spec as ScenarioFlow).duration;
              if (durationMs !== undefined) spec.durationMs = durationMs;
              if (port !== undefined) spec.destinationPort = port;
              if (f.sourcePort !== undefined || k > 0) spec.sourcePort = sourcePort;
              if (f.protocol === 'icmp' || f.protocol === 1) delete spec.sourcePort;
              out.push(spec);
            }
          }
        }
      }
    }
  });
  return out;
}

