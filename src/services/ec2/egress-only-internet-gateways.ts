/**
 * Egress-only internet gateways: outbound-only IPv6 gateways, attached to their VPC from
 * creation until deletion.
 */
import type {
  CreateEgressOnlyInternetGatewayRequest,
  CreateEgressOnlyInternetGatewayResult,
  DeleteEgressOnlyInternetGatewayRequest,
  DeleteEgressOnlyInternetGatewayResult,
  DescribeEgressOnlyInternetGatewaysRequest,
  DescribeEgressOnlyInternetGatewaysResult,
  EgressOnlyInternetGateway,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters } from './filters.js';
import { paginate } from './paginate.js';
import { newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';

export interface EgressOnlyInternetGatewayRecord extends EgressOnlyInternetGateway {
  EgressOnlyInternetGatewayId: string;
}

const KIND = 'egress-only-internet-gateway';

function eigwView(g: Readonly<EgressOnlyInternetGatewayRecord>): EgressOnlyInternetGateway {
  return { Attachments: g.Attachments, EgressOnlyInternetGatewayId: g.EgressOnlyInternetGatewayId, Tags: g.Tags };
}

export function createEgressOnlyInternetGateway(
  ctx: RequestContext,
  input: CreateEgressOnlyInternetGatewayRequest,
): CreateEgressOnlyInternetGatewayResult {
  const vpc = requireRecord<{ VpcId: string }>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, KIND);
  if (ctx.state.list(KIND).length >= ctx.config.quotas.egressOnlyInternetGatewaysPerRegion) {
    throw new ApiError(
      'EgressOnlyInternetGatewayLimitExceeded',
      'The maximum number of egress-only internet gateways has been reached.',
    );
  }
  const rec: EgressOnlyInternetGatewayRecord = {
    Attachments: [{ State: 'attached', VpcId: vpc.VpcId }],
    EgressOnlyInternetGatewayId: newId('eigw'),
    Tags: tags,
  };
  ctx.state.put(KIND, rec.EgressOnlyInternetGatewayId, rec);
  return { ClientToken: input.ClientToken, EgressOnlyInternetGateway: eigwView(rec) };
}

export function deleteEgressOnlyInternetGateway(
  ctx: RequestContext,
  input: DeleteEgressOnlyInternetGatewayRequest,
): DeleteEgressOnlyInternetGatewayResult {
  const g = requireRecord<EgressOnlyInternetGatewayRecord>(ctx.state, KIND, input.EgressOnlyInternetGatewayId, 'EgressOnlyInternetGatewayId');
  ctx.state.delete(KIND, g.EgressOnlyInternetGatewayId);
  return { ReturnCode: true };
}

// The API reference lists only the tag filters for this call.
const EIGW_FILTERS = {};

export function describeEgressOnlyInternetGateways(
  ctx: RequestContext,
  input: DescribeEgressOnlyInternetGatewaysRequest,
): DescribeEgressOnlyInternetGatewaysResult {
  const selected = applyFilters(
    selectByIds<EgressOnlyInternetGatewayRecord>(ctx.state, KIND, input.EgressOnlyInternetGatewayIds) as EgressOnlyInternetGatewayRecord[],
    input.Filters,
    EIGW_FILTERS,
  );
  const page = paginate(selected, input, { min: 5, max: 255 });
  return { EgressOnlyInternetGateways: page.items.map(eigwView), NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateEgressOnlyInternetGateway: createEgressOnlyInternetGateway,
  DeleteEgressOnlyInternetGateway: deleteEgressOnlyInternetGateway,
  DescribeEgressOnlyInternetGateways: describeEgressOnlyInternetGateways,
};
