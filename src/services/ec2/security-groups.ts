/**
 * Security groups: the default group of each VPC, custom groups and their rules.
 */
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import type { Handler, RequestContext } from '../context.js';
import { newId } from './resources.js';

export interface SecurityGroupRecord extends SecurityGroup {
  GroupId: string;
  GroupName: string;
  VpcId: string;
}

export function createDefaultSecurityGroup(ctx: RequestContext, vpc: { VpcId: string }): SecurityGroupRecord {
  const id = newId('sg');
  const sg: SecurityGroupRecord = {
    GroupId: id,
    GroupName: 'default',
    Description: 'default VPC security group',
    OwnerId: ctx.account,
    VpcId: vpc.VpcId,
    IpPermissions: [
      { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: id, UserId: ctx.account }], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] },
    ],
    IpPermissionsEgress: [
      { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], UserIdGroupPairs: [], Ipv6Ranges: [], PrefixListIds: [] },
    ],
  };
  return ctx.state.put('security-group', id, sg);
}

/** Called by DeleteVpc once nothing blocks it: removes the default group. */
export function deleteVpcSecurityGroups(ctx: RequestContext, vpcId: string): void {
  for (const g of ctx.state.list<SecurityGroupRecord>('security-group')) {
    if (g.VpcId === vpcId) ctx.state.delete('security-group', g.GroupId);
  }
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
