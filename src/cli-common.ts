/**
 * What the `vpcsim trace`, `traffic` and `exposure` commands share: the options that describe
 * a packet, their conversion to the JSON the endpoints take, calling a running vpcsim, and
 * answering from a saved state instead.
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultConfig } from './config.js';
import type { App } from './server/app.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

/** A mistake on the command line: printed with the usage, exit status 2. */
export class UsageError extends Error {}

export function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${what} must be a number, not '${v}'.`);
  return Number(v);
}

/** parseArgs options describing one packet (and where to send the request). */
export const PACKET_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  protocol: { type: 'string' },
  port: { type: 'string' },
  'source-port': { type: 'string' },
  'source-ip': { type: 'string' },
  'icmp-type': { type: 'string' },
  'icmp-code': { type: 'string' },
  account: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type PacketValues = { [K in keyof typeof PACKET_OPTIONS]?: (typeof PACKET_OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The packet the options describe, as /_vpcsim/trace and /_vpcsim/traffic take it. */
export function packetFields(values: PacketValues): Record<string, unknown> {
  return {
    source: values.from,
    destination: values.to,
    protocol: values.protocol ?? 'tcp',
    destinationPort: int(values.port, '--port'),
    sourcePort: int(values['source-port'], '--source-port'),
    sourceIp: values['source-ip'],
    icmpType: int(values['icmp-type'], '--icmp-type'),
    icmpCode: int(values['icmp-code'], '--icmp-code'),
    account: values.account,
    region: values.region,
  };
}

/** The server to ask: --endpoint, else VPCSIM_ENDPOINT, else the default. */
export function endpointFrom(values: { endpoint?: string }, env: NodeJS.ProcessEnv): string {
  return (values.endpoint ?? env.VPCSIM_ENDPOINT ?? 'http://127.0.0.1:4566').replace(/\/+$/, '');
}

/** Calls one of vpcsim's own endpoints; undefined (after printing why) when it cannot be reached. */
export async function callVpcsim(command: string, endpoint: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; reply: Json } | undefined> {
  try {
    const r = await fetch(`${endpoint}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let reply: Json;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = { error: `HTTP ${r.status}`, message: text.slice(0, 200) };
    }
    return { status: r.status, reply };
  } catch (err) {
    console.error(`vpcsim ${command}: cannot reach ${endpoint}: ${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : err}`);
    return undefined;
  }
}

/** Opens a saved state (SQLite data dir or PostgreSQL store), answers from it, and closes it again. */
export async function onSavedState<T>(where: { dataDir?: string; store?: string }, answer: (app: App) => T | Promise<T>): Promise<T> {
  if (where.dataDir !== undefined && !where.store && !existsSync(where.dataDir)) throw new Error(`${where.dataDir} does not exist.`);
  const { openApp } = await import('./index.js');
  const config = { ...defaultConfig(), ...(where.dataDir !== undefined ? { dataDir: where.dataDir } : {}), ...(where.store ? { store: where.store } : {}) };
  const app = await openApp(config);
  try {
    await app.sync();
    return await answer(app);
  } finally {
    await app.store.persistence.close();
  }
}

/** Where a command gets its answer: a running vpcsim, or a saved state (--data-dir / --store). */
export function sourceFrom(values: { endpoint?: string; 'data-dir'?: string; store?: string }, env: NodeJS.ProcessEnv): { endpoint: string; offline?: { dataDir?: string; store?: string } } {
  const endpoint = endpointFrom(values, env);
  if (values['data-dir'] === undefined && values.store === undefined) return { endpoint };
  if (values.endpoint !== undefined) throw new UsageError('--endpoint and --data-dir/--store exclude each other.');
  return { endpoint, offline: { dataDir: values['data-dir'], store: values.store } };
}

/**
 * Asks for the answer of one of vpcsim's POST endpoints: from the server, or computed on the
 * saved state by the same handler. Prints why and answers undefined when none was had
 * (not reachable, unreadable state, or an error reply).
 */
export async function ask(
  command: string,
  source: { endpoint: string; offline?: { dataDir?: string; store?: string } },
  path: string,
  body: unknown,
  handler: () => Promise<(app: App, body: string) => { status: number; body: Json }>,
): Promise<Json | undefined> {
  let status: number;
  let reply: Json;
  if (source.offline) {
    try {
      const handle = await handler();
      ({ status, body: reply } = await onSavedState(source.offline, (app) => handle(app, JSON.stringify(body))));
    } catch (err) {
      console.error(`vpcsim ${command}: cannot read the state: ${err instanceof Error ? err.message : err}`);
      return undefined;
    }
  } else {
    const r = await callVpcsim(command, source.endpoint, 'POST', path, body);
    if (!r) return undefined;
    ({ status, reply } = r);
  }
  if (status !== 200) {
    console.error(`vpcsim ${command}: ${reply.error ?? `HTTP ${status}`}: ${reply.message ?? ''}`);
    return undefined;
  }
  return reply;
}

/** A command that asks one of vpcsim's POST endpoints a question and prints the answer. */
export interface Question {
  /** The command's name (in messages). */
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** The request body from the parsed options (throws UsageError on a mistake). */
  request(values: Json): Record<string, unknown>;
  path: string;
  /** The endpoint's handler, for answers from a saved state. */
  handler: () => Promise<(app: App, body: string) => { status: number; body: Json }>;
  format(reply: Json): string;
  /** The exit status of an answer that was printed. */
  status(reply: Json): number;
}

/**
 * Runs a question command: parses its options (--help prints the usage), asks the server or the
 * saved state, prints the answer (as JSON with --json). Exit status 2 when no answer was had.
 */
export async function questionCommand(q: Question, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let body: Record<string, unknown>;
  let source: ReturnType<typeof sourceFrom>;
  let asJson: boolean;
  try {
    const { values } = parseArgs({ args, options: q.options, strict: true });
    if (values.help) {
      console.log(q.usage);
      return 0;
    }
    body = q.request(values);
    source = sourceFrom(values as Record<string, string | undefined>, env);
    asJson = !!values.json;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${q.usage}`);
    return 2;
  }
  const reply = await ask(q.name, source, q.path, body, q.handler);
  if (!reply) return 2;
  console.log(asJson ? JSON.stringify(reply, null, 2) : q.format(reply));
  return q.status(reply);
}
