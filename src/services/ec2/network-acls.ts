/**
 * Network ACLs: the default ACL of each VPC, custom ACLs, entries and associations.
 */
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import type { Handler, RequestContext } from '../context.js';
import { newId } from './resources.js';

export interface NetworkAclRecord extends NetworkAcl {
  NetworkAclId: string;
  VpcId: string;
}

function defaultEntries(ipv6: boolean): NetworkAclEntry[] {
  const out: NetworkAclEntry[] = [];
  for (const egress of [true, false]) {
    out.push({ CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 });
    out.push({ CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 });
    if (ipv6) {
      out.push({ Ipv6CidrBlock: '::/0', Egress: egress, Protocol: '-1', RuleAction: 'allow', RuleNumber: 101 });
      out.push({ Ipv6CidrBlock: '::/0', Egress: egress, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32768 });
    }
  }
  return out;
}

export function createDefaultNetworkAcl(
  ctx: RequestContext,
  vpc: { VpcId: string; Ipv6CidrBlockAssociationSet?: unknown[] },
): NetworkAclRecord {
  const acl: NetworkAclRecord = {
    Associations: [],
    Entries: defaultEntries((vpc.Ipv6CidrBlockAssociationSet?.length ?? 0) > 0),
    IsDefault: true,
    NetworkAclId: newId('acl'),
    VpcId: vpc.VpcId,
    OwnerId: ctx.account,
  };
  return ctx.state.put('network-acl', acl.NetworkAclId, acl);
}

export function defaultNetworkAcl(ctx: RequestContext, vpcId: string): Readonly<NetworkAclRecord> | undefined {
  return ctx.state.list<NetworkAclRecord>('network-acl').find((a) => a.VpcId === vpcId && a.IsDefault);
}

/** Called by DeleteVpc once nothing blocks it: removes the default ACL. */
export function deleteVpcNetworkAcls(ctx: RequestContext, vpcId: string): void {
  for (const a of ctx.state.list<NetworkAclRecord>('network-acl')) {
    if (a.VpcId === vpcId) ctx.state.delete('network-acl', a.NetworkAclId);
  }
}

/** Every new subnet starts associated with its VPC's default ACL. */
export function associateDefaultNetworkAcl(ctx: RequestContext, subnet: { SubnetId: string; VpcId: string }): void {
  const def = defaultNetworkAcl(ctx, subnet.VpcId);
  if (!def) return;
  const acl = ctx.state.edit<NetworkAclRecord>('network-acl', def.NetworkAclId)!;
  acl.Associations = [
    ...(acl.Associations ?? []),
    { NetworkAclAssociationId: newId('aclassoc'), NetworkAclId: acl.NetworkAclId, SubnetId: subnet.SubnetId },
  ];
}

/** A deleted subnet leaves whichever ACL it was associated with. */
export function removeSubnetFromNetworkAcls(ctx: RequestContext, subnetId: string): void {
  for (const a of ctx.state.list<NetworkAclRecord>('network-acl')) {
    if (!a.Associations?.some((x) => x.SubnetId === subnetId)) continue;
    const acl = ctx.state.edit<NetworkAclRecord>('network-acl', a.NetworkAclId)!;
    acl.Associations = acl.Associations!.filter((x) => x.SubnetId !== subnetId);
  }
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
