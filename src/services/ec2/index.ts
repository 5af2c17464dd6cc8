/**
 * The EC2 provider: the official EC2 model, and the handlers vpcsim implements, one
 * module per resource family.
 */
import { loadModel } from '../../protocol/model.js';
import type { Handler, RequestContext, ServiceProvider } from '../context.js';
import * as defaultVpc from './default-vpc.js';
import { defaultDhcpOptionsId } from './dhcp-options.js';
import * as regions from './regions.js';
import * as subnets from './subnets.js';
import * as tags from './tags.js';
import * as vpcs from './vpcs.js';

export const ec2Handlers: Record<string, Handler> = {
  // VPCs
  CreateVpc: vpcs.createVpc,
  DescribeVpcs: vpcs.describeVpcs,
  DeleteVpc: vpcs.deleteVpc,
  DescribeVpcAttribute: vpcs.describeVpcAttribute,
  ModifyVpcAttribute: vpcs.modifyVpcAttribute,
  AssociateVpcCidrBlock: vpcs.associateVpcCidrBlock,
  DisassociateVpcCidrBlock: vpcs.disassociateVpcCidrBlock,
  CreateDefaultVpc: defaultVpc.createDefaultVpc,
  CreateDefaultSubnet: defaultVpc.createDefaultSubnet,
  // Subnets
  CreateSubnet: subnets.createSubnet,
  DescribeSubnets: subnets.describeSubnets,
  DeleteSubnet: subnets.deleteSubnet,
  ModifySubnetAttribute: subnets.modifySubnetAttribute,
  AssociateSubnetCidrBlock: subnets.associateSubnetCidrBlock,
  DisassociateSubnetCidrBlock: subnets.disassociateSubnetCidrBlock,
  // Tags
  CreateTags: tags.createTags,
  DeleteTags: tags.deleteTags,
  DescribeTags: tags.describeTags,
  // Regions, zones, account
  DescribeRegions: regions.describeRegions,
  DescribeAvailabilityZones: regions.describeAvailabilityZones,
  DescribeAccountAttributes: regions.describeAccountAttributes,
};

export function ec2Provider(): ServiceProvider {
  return {
    name: 'ec2',
    model: loadModel('ec2-2016-11-15'),
    protocol: 'ec2',
    handlers: ec2Handlers,
    initScope: (ctx: RequestContext) => {
      defaultDhcpOptionsId(ctx);
      defaultVpc.buildDefaultVpc(ctx);
    },
  };
}
