/**
 * POST /_vpcsim/trace: traces one packet through the network the state describes now.
 *
 * Body (JSON): {source, destination, protocol?, port? | destinationPort?, sourcePort?,
 * sourceIp?, icmpType?, icmpCode?, ipVersion?, account?, region?}. `source` is an interface, instance,
 * internet gateway or virtual private gateway ID, an IPv4 address (an interface's, an
 * on-premises or an internet host's), or "internet:IP" / "onprem:IP"; `destination` is an
 * interface or instance ID or an IPv4 or IPv6 address; `ipVersion: 6` picks the interfaces'
 * IPv6 addresses (implied by an IPv6 address). Answers the trace as JSON (network/trace.ts
 * traceJson), or {error, message} with status 400.
 */
import { trace, TraceInputError, type TraceRequest, traceJson } from '../network/trace.js';
import { jsonObject, NOT_A_JSON_OBJECT } from '../protocol/json-body.js';
import { compiledNetwork } from '../services/ec2/network-cache.js';
import type { App } from './app.js';

export interface TraceReply {
  status: number;
  body: Record<string, unknown>;
}

function invalid(message: string): TraceReply {
  return { status: 400, body: { error: 'InvalidRequest', message } };
}

function optionalNumber(req: Record<string, unknown>, key: string): number | undefined | Error {
  const v = req[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : new Error(`${key} must be an integer.`);
}

export function parseTraceRequest(body: string): TraceRequest | TraceReply {
  const req = jsonObject(body);
  if (!req) return invalid(NOT_A_JSON_OBJECT);
  const str = (k: string) => (typeof req[k] === 'string' ? (req[k] as string) : undefined);
  const source = str('source');
  const destination = str('destination');
  if (!source || !destination) {
    return invalid('Expected {source, destination, protocol?, port?, sourcePort?, sourceIp?, icmpType?, icmpCode?, account?, region?}.');
  }
  const out: TraceRequest = { source, destination };
  const protocol = req.protocol;
  if (protocol !== undefined) {
    if (typeof protocol !== 'string' && typeof protocol !== 'number') return invalid('protocol must be tcp, udp, icmp or a protocol number.');
    out.protocol = protocol;
  }
  const numbers: Array<[string, keyof TraceRequest]> = [
    ['port', 'destinationPort'],
    ['destinationPort', 'destinationPort'],
    ['sourcePort', 'sourcePort'],
    ['icmpType', 'icmpType'],
    ['icmpCode', 'icmpCode'],
  ];
  for (const [key, field] of numbers) {
    const n = optionalNumber(req, key);
    if (n instanceof Error) return invalid(n.message);
    if (n !== undefined) (out as unknown as Record<string, unknown>)[field] = n;
  }
  const ipVersion = optionalNumber(req, 'ipVersion');
  if (ipVersion instanceof Error) return invalid(ipVersion.message);
  if (ipVersion !== undefined) {
    if (ipVersion !== 4 && ipVersion !== 6) return invalid('ipVersion must be 4 or 6.');
    out.ipVersion = ipVersion;
  }
  for (const key of ['sourceIp', 'account', 'region'] as const) {
    const v = req[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return invalid(`${key} must be a string.`);
    out[key] = v;
  }
  return out;
}

/** Answers one trace request against the current state. */
export function handleTrace(app: Pick<App, 'store' | 'config'>, body: string): TraceReply {
  const req = parseTraceRequest(body);
  if ('status' in req) return req;
  const net = compiledNetwork(app);
  try {
    return { status: 200, body: traceJson(trace(net, req)) };
  } catch (err) {
    if (err instanceof TraceInputError) return invalid(err.message);
    throw err;
  }
}
