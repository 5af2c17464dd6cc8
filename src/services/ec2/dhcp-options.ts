/**
 * DHCP options sets: the region's default set, custom sets, association with VPCs.
 */
import type { DhcpOptions } from '@aws-sdk/client-ec2';
import type { Handler, RequestContext } from '../context.js';
import { newId } from './resources.js';

export interface DhcpOptionsRecord extends DhcpOptions {
  DhcpOptionsId: string;
  /** True for the set AWS creates for each region. */
  _default?: boolean;
}

/** The domain name AWS's default set hands out in a region. */
export function defaultDomainName(region: string): string {
  return region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
}

/** The region's default DHCP options set, created on first use. */
export function defaultDhcpOptionsId(ctx: RequestContext): string {
  const existing = ctx.state.list<DhcpOptionsRecord>('dhcp-options').find((d) => d._default);
  if (existing) return existing.DhcpOptionsId;
  const rec: DhcpOptionsRecord = {
    DhcpOptionsId: newId('dopt'),
    OwnerId: ctx.account,
    DhcpConfigurations: [
      { Key: 'domain-name', Values: [{ Value: defaultDomainName(ctx.region) }] },
      { Key: 'domain-name-servers', Values: [{ Value: 'AmazonProvidedDNS' }] },
    ],
    _default: true,
  };
  ctx.state.put('dhcp-options', rec.DhcpOptionsId, rec);
  return rec.DhcpOptionsId;
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
