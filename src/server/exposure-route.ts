/**
 * POST /_vpcsim/exposure: which interfaces the internet reaches, on which ports — every
 * interface with a public address whose groups, ACLs and routes let an internet host in and
 * the reply out (network/exposure.ts), in the current state.
 *
 * Body (JSON, all optional): {account, region, vpcId, client, clientPort}. `client` is the
 * internet host asking (default: a host no rule singles out). Answers {client, interfaces:
 * [{networkInterfaceId, instanceId, vpcId, subnetId, publicIps, tcp, udp, icmp}]}.
 */
import { parseIpv4 } from '../network/cidr.js';
import { ExposureIndex, exposureJson } from '../network/exposure.js';
import { jsonObject, NOT_A_JSON_OBJECT } from '../protocol/json-body.js';
import { compiledNetwork } from '../services/ec2/network-cache.js';
import type { App } from './app.js';

export interface ExposureReply {
  status: number;
  body: Record<string, unknown>;
}

function invalid(message: string): ExposureReply {
  return { status: 400, body: { error: 'InvalidRequest', message } };
}

export function handleExposure(app: Pick<App, 'store' | 'config'>, body: string): ExposureReply {
  const req = jsonObject(body);
  if (!req) return invalid(NOT_A_JSON_OBJECT);
  for (const k of ['account', 'region', 'vpcId', 'client'] as const) {
    if (req[k] !== undefined && typeof req[k] !== 'string') return invalid(`${k} must be a string.`);
  }
  const client = req.client as string | undefined;
  if (client !== undefined && parseIpv4(client) === undefined) return invalid(`client '${client}' is not an IPv4 address.`);
  const port = req.clientPort;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) return invalid('clientPort must be a port (0-65535).');
  // The index only reads the (shared, cached) network: it is never updated here.
  const index = new ExposureIndex(compiledNetwork(app), { client, clientPort: port as number | undefined });
  const out = exposureJson(index);
  const keep = (id: string) => {
    const m = index.net.interfaces.get(id)!.model;
    return (req.account === undefined || m.account === req.account) && (req.region === undefined || m.region === req.region) && (req.vpcId === undefined || m.vpcId === req.vpcId);
  };
  return { status: 200, body: { client: out.client, interfaces: out.interfaces.filter((i) => keep(i.networkInterfaceId)) } };
}
