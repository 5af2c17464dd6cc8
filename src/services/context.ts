/**
 * What every operation handler receives, and how providers declare their operations.
 */
import type { Config } from '../config.js';
import type { JsonErrors } from '../protocol/json-protocol.js';
import type { ServiceModel } from '../protocol/model.js';
import type { ScopedState } from '../state/store.js';
import type { Caller } from '../server/auth.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../server/app.js';

export interface RequestContext {
  account: string;
  region: string;
  requestId: string;
  /** The request's transaction, seen through its account and region. */
  state: ScopedState;
  config: Config;
  /** The request's time (one value for the whole request). */
  now: Date;
  caller: Caller;
}

// Handlers take the model-shaped input of their operation and return its output.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (ctx: RequestContext, input: any) => object | void;

export type Protocol = 'ec2' | 'query' | 'json' | 'rest-xml';

export interface ServiceProvider {
  /** Signing name as it appears in the SigV4 credential scope ("ec2", "sts", "logs", ...). */
  name: string;
  model: ServiceModel;
  protocol: Protocol;
  handlers: Record<string, Handler>;
  /** JSON services: the error codes for bodies that do not fit the model. */
  jsonErrors?: JsonErrors;
  /** Runs once per (account, region) before its first request, in its own transaction. */
  initScope?: (ctx: RequestContext) => void;
  /**
   * Requests the service reads and answers itself (S3's REST API with its larger bodies,
   * CloudWatch's JSON dialect): asked before the endpoint reads the body.
   */
  http?: {
    claims(req: IncomingMessage, url: URL, caller: Caller): boolean;
    serve(app: App, req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller): Promise<void>;
  };
}
