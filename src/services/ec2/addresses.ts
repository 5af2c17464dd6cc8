/**
 * Elastic IP addresses, and the pool every public IPv4 address comes from (Elastic IPs and
 * addresses auto-assigned at launch). Public addresses are unique across all accounts and
 * regions of this vpcsim, as on the internet: the registry lives in a global scope.
 */
import { ApiError } from '../../protocol/errors.js';
import { formatIpv4, parseCidr4, size4 } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';

const GLOBAL_ACCOUNT = 'global';
const GLOBAL_REGION = 'global';
const PUBLIC_IP_KIND = 'public-ip';

interface PublicIpRecord {
  ip: string;
  account: string;
  region: string;
}

function registry(ctx: RequestContext) {
  return ctx.state.other(GLOBAL_ACCOUNT, GLOBAL_REGION);
}

/** Takes a free public IPv4 address from the configured pool (random, like AWS). */
export function allocatePublicIp(ctx: RequestContext): string {
  const reg = registry(ctx);
  const blocks = ctx.config.publicIpPool.map((c) => parseCidr4(c)).filter((c) => c !== undefined);
  const total = blocks.reduce((n, b) => n + size4(b), 0);
  // Usable addresses skip each block's network and broadcast address.
  const pick = (k: number): string | undefined => {
    for (const b of blocks) {
      const usable = size4(b) - 2;
      if (k < usable) return formatIpv4(b.base + 1 + k);
      k -= usable;
    }
    return undefined;
  };
  const usableTotal = total - 2 * blocks.length;
  const start = Math.floor(Math.random() * Math.max(usableTotal, 1));
  for (let i = 0; i < usableTotal; i++) {
    const ip = pick((start + i) % usableTotal);
    if (ip && !reg.get(PUBLIC_IP_KIND, ip)) {
      reg.put<PublicIpRecord>(PUBLIC_IP_KIND, ip, { ip, account: ctx.account, region: ctx.region });
      return ip;
    }
  }
  throw new ApiError('AddressLimitExceeded', 'The public IPv4 address pool is exhausted.');
}

/** Returns a public address to the pool. */
export function releasePublicIp(ctx: RequestContext, ip: string): void {
  registry(ctx).delete(PUBLIC_IP_KIND, ip);
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
