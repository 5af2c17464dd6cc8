/**
 * The application: configuration, state and the service providers, and the one place
 * where an operation is run — input parsed against the model, the handler called inside
 * a transaction, the output or error rendered in the service's protocol.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { ApiError, errors } from '../protocol/errors.js';
import { defaultJsonErrors, parseJsonInput, renderJsonError, renderJsonOutput } from '../protocol/json-protocol.js';
import { parseQueryInput } from '../protocol/query-input.js';
import { renderEc2Error, renderEc2Response, renderQueryError, renderQueryResponse } from '../protocol/xml-output.js';
import type { RequestContext, ServiceProvider } from '../services/context.js';
import { ScopedState, Store, scopeKey } from '../state/store.js';
import type { Caller } from './auth.js';
import { withClientToken } from './idempotency.js';

export interface Reply {
  status: number;
  contentType: string;
  body: string;
  /** JSON protocols name the error in a header too. */
  errorType?: string;
}

const INIT_KIND = '_meta';
const INIT_ID = 'initialized';

export class App {
  readonly providers = new Map<string, ServiceProvider>();
  private readonly initialized = new Set<string>();

  constructor(
    readonly config: Config,
    readonly store: Store,
    providers: ServiceProvider[],
  ) {
    for (const p of providers) this.providers.set(p.name, p);
  }

  reset(): void {
    this.store.reset();
    this.initialized.clear();
  }

  private context(caller: Caller, region: string, state: ScopedState, requestId: string): RequestContext {
    return { account: caller.account, region, requestId, state, config: this.config, now: new Date(), caller };
  }

  /** Makes sure every provider's per-region setup (e.g. the default VPC) exists for this scope. */
  private ensureScope(caller: Caller, region: string, requestId: string): void {
    const scope = scopeKey(caller.account, region);
    if (this.initialized.has(scope)) return;
    const tx = this.store.begin();
    const state = new ScopedState(tx, scope);
    if (!state.get(INIT_KIND, INIT_ID)) {
      const ctx = this.context(caller, region, state, requestId);
      for (const p of this.providers.values()) p.initScope?.(ctx);
      state.put(INIT_KIND, INIT_ID, { at: ctx.now.toISOString() });
      tx.commit();
    }
    this.initialized.add(scope);
  }

  /** Runs `operation` with a parsed input; returns the model-shaped output. */
  invoke(provider: ServiceProvider, operation: string, input: Record<string, unknown>, caller: Caller, requestId: string) {
    const region = caller.region ?? this.config.defaultRegion;
    const handler = provider.handlers[operation];
    if (!handler) {
      throw new ApiError(
        'UnsupportedOperation',
        `The operation ${operation} is part of the ${provider.model.metadata.serviceId ?? provider.name} API ` +
          'but vpcsim does not implement it yet.',
      );
    }
    this.ensureScope(caller, region, requestId);
    const tx = this.store.begin();
    try {
      const ctx = this.context(caller, region, new ScopedState(tx, scopeKey(caller.account, region)), requestId);
      const run = () => (handler(ctx, input) ?? {}) as Record<string, unknown>;
      const output = withClientToken(provider.model, operation, input, ctx.state, ctx.now, run);
      if (input.DryRun === true) throw errors.dryRun();
      tx.commit();
      return output as Record<string, unknown>;
    } catch (err) {
      tx.rollback();
      throw err;
    }
  }

  /** EC2-query and AWS-query requests: form parameters in, XML out. */
  handleQuery(provider: ServiceProvider, params: URLSearchParams, caller: Caller): Reply {
    const requestId = randomUUID();
    const ec2 = provider.protocol === 'ec2';
    try {
      const action = params.get('Action');
      if (!action) throw new ApiError('MissingAction', 'The request must contain the parameter Action');
      const op = Object.hasOwn(provider.model.operations, action) ? provider.model.operations[action] : undefined;
      if (!op) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
      const input = parseQueryInput(provider.model, ec2 ? 'ec2' : 'query', op.input, params);
      const output = this.invoke(provider, action, input, caller, requestId);
      const body = ec2
        ? renderEc2Response(provider.model, action, op.output, output, requestId)
        : renderQueryResponse(provider.model, action, op.output, output, requestId);
      return { status: 200, contentType: 'text/xml;charset=UTF-8', body };
    } catch (err) {
      const e = asApiError(err);
      const body = ec2
        ? renderEc2Error(e.code, e.message, requestId)
        : renderQueryError(e.code, e.message, requestId, e.status < 500);
      return { status: e.status, contentType: 'text/xml;charset=UTF-8', body };
    }
  }
}

/** AWS JSON protocol: `X-Amz-Target: Prefix.Operation`, JSON in and out. */
export function handleJson(app: App, provider: ServiceProvider, operation: string, body: string, caller: Caller): Reply & { requestId: string } {
  const requestId = randomUUID();
  const contentType = `application/x-amz-json-${provider.model.metadata.jsonVersion ?? '1.1'}`;
  try {
    const op = Object.hasOwn(provider.model.operations, operation) ? provider.model.operations[operation] : undefined;
    if (!op) throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
    const input = parseJsonInput(provider.model, op.input, body, provider.jsonErrors ?? defaultJsonErrors);
    const output = app.invoke(provider, operation, input, caller, requestId);
    return { status: 200, contentType, body: renderJsonOutput(provider.model, op.output, output), requestId };
  } catch (err) {
    const e = asApiError(err);
    return { status: e.status, contentType, body: renderJsonError(e.code, e.message), requestId, errorType: e.code };
  }
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  console.error('vpcsim: internal error:', err);
  return new ApiError('InternalError', 'An internal error has occurred', 500);
}
