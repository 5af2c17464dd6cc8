/**
 * STS: the slice tools call first to learn who they are (GetCallerIdentity).
 */
import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import { loadModel } from '../../protocol/model.js';
import type { RequestContext, ServiceProvider } from '../context.js';

function getCallerIdentity(ctx: RequestContext): GetCallerIdentityResponse {
  return {
    UserId: ctx.caller.accessKeyId,
    Account: ctx.account,
    Arn: `arn:aws:iam::${ctx.account}:root`,
  };
}

export function stsProvider(): ServiceProvider {
  return {
    name: 'sts',
    model: loadModel('sts-2011-06-15'),
    protocol: 'query',
    handlers: { GetCallerIdentity: getCallerIdentity },
  };
}
