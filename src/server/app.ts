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
import { ScopedState, type SharedPersistence, Store, StoreUnavailableError, scopeKey, sharedStore } from '../state/store.js';
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

/**
 * Operations that only read (by name, as AWS names them): on a shared store they catch up and
 * answer from memory; every other operation may write and runs under the cross-server lock.
 * A wrong guess costs time, never consistency: a read that writes after all is run again
 * under the lock.
 */
export function isReadOperation(operation: string): boolean {
  return /^(Describe|Get|List|Head|Filter|Search)[A-Z]/.test(operation);
}

export class App {
  readonly providers = new Map<string, ServiceProvider>();
  private readonly initialized = new Set<string>();
  /** The store generation `initialized` was filled in (a reset or reload empties it). */
  private initializedGeneration = 0;
  /** Set when several servers share the store (PostgreSQL). */
  private readonly shared?: SharedPersistence;

  constructor(
    readonly config: Config,
    readonly store: Store,
    providers: ServiceProvider[],
  ) {
    for (const p of providers) this.providers.set(p.name, p);
    this.shared = sharedStore(store.persistence);
  }

  /** Clears all state (on a shared store, for every server). */
  reset(): void | Promise<void> {
    if (this.shared) return this.shared.resetAll().catch(storeError);
    this.store.reset();
    this.initialized.clear();
  }

  /**
   * Brings memory up to date with other servers' commits (shared store only), for code that
   * reads `store` directly outside a request (e.g. snapshots of the whole state).
   */
  sync(): void | Promise<void> {
    if (this.shared) return this.shared.catchUp().catch(storeError);
  }

  /**
   * Runs `fn`, which commits through `store` directly, as a writing request would: on a
   * shared store under the cross-server lock on the latest state, persisted before it resolves.
   */
  exclusive<T>(fn: () => T): T | Promise<T> {
    if (this.shared) return this.shared.exclusive(fn).catch(storeError);
    return fn();
  }

  private context(caller: Caller, region: string, state: ScopedState, requestId: string): RequestContext {
    return { account: caller.account, region, requestId, state, config: this.config, now: new Date(), caller };
  }

  /** Whether the scope's per-region setup is committed (and visible in memory). */
  private scopeReady(scope: string): boolean {
    if (this.initializedGeneration !== this.store.generation) {
      this.initialized.clear();
      this.initializedGeneration = this.store.generation;
    }
    if (this.initialized.has(scope)) return true;
    if (!this.store.table(scope, INIT_KIND)?.has(INIT_ID)) return false;
    this.initialized.add(scope);
    return true;
  }

  /** Makes sure every provider's per-region setup (e.g. the default VPC) exists for this scope. */
  private ensureScope(caller: Caller, region: string, requestId: string): void {
    const scope = scopeKey(caller.account, region);
    if (this.scopeReady(scope)) return;
    const tx = this.store.begin();
    const state = new ScopedState(tx, scope);
    if (!state.get(INIT_KIND, INIT_ID)) {
      const ctx = this.context(caller, region, state, requestId);
      for (const p of this.providers.values()) p.initScope?.(ctx);
      state.put(INIT_KIND, INIT_ID, { at: ctx.now.toISOString() });
      tx.commit();
    } else tx.rollback();
  }

  /**
   * Runs an operation: synchronously on a store of its own; on a shared store, reads after
   * catching up with the other servers and writes under their common lock.
   */
  run(provider: ServiceProvider, operation: string, input: Record<string, unknown>, caller: Caller, requestId: string) {
    if (!this.shared || !provider.handlers[operation]) return this.invoke(provider, operation, input, caller, requestId);
    return this.runShared(this.shared, provider, operation, input, caller, requestId);
  }

  private async runShared(
    shared: SharedPersistence,
    provider: ServiceProvider,
    operation: string,
    input: Record<string, unknown>,
    caller: Caller,
    requestId: string,
  ): Promise<Record<string, unknown>> {
    const invoke = () => this.invoke(provider, operation, input, caller, requestId);
    try {
      if (isReadOperation(operation)) {
        await shared.catchUp();
        if (this.scopeReady(scopeKey(caller.account, caller.region ?? this.config.defaultRegion))) {
          const read = this.store.capture(invoke);
          if (read.changes.length === 0) {
            if (read.failed) throw read.error;
            return read.result!;
          }
          // The read also wrote (a sweep of expired records): do it again under the lock.
        }
      }
      return await shared.exclusive(invoke);
    } catch (err) {
      return storeError(err);
    }
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

  /** EC2-query and AWS-query requests: form parameters in, XML out (later, on a shared store). */
  handleQuery(provider: ServiceProvider, params: URLSearchParams, caller: Caller): Reply | Promise<Reply> {
    const requestId = randomUUID();
    const ec2 = provider.protocol === 'ec2';
    const failed = (err: unknown): Reply => {
      const e = asApiError(err);
      const body = ec2
        ? renderEc2Error(e.code, e.message, requestId)
        : renderQueryError(e.code, e.message, requestId, e.status < 500);
      return { status: e.status, contentType: 'text/xml;charset=UTF-8', body };
    };
    try {
      const action = params.get('Action');
      if (!action) throw new ApiError('MissingAction', 'The request must contain the parameter Action');
      const op = Object.hasOwn(provider.model.operations, action) ? provider.model.operations[action] : undefined;
      if (!op) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
      const input = parseQueryInput(provider.model, ec2 ? 'ec2' : 'query', op.input, params);
      const done = (output: Record<string, unknown>): Reply => {
        const body = ec2
          ? renderEc2Response(provider.model, action, op.output, output, requestId)
          : renderQueryResponse(provider.model, action, op.output, output, requestId);
        return { status: 200, contentType: 'text/xml;charset=UTF-8', body };
      };
      const output = this.run(provider, action, input, caller, requestId);
      return output instanceof Promise ? output.then(done).catch(failed) : done(output);
    } catch (err) {
      return failed(err);
    }
  }
}

/** Rethrows a shared store's failure as the error AWS answers when it cannot serve now. */
function storeError(err: unknown): never {
  if (err instanceof StoreUnavailableError) {
    console.error(`vpcsim: ${err.message}`);
    throw new ApiError('ServiceUnavailable', 'The service is unavailable. Please try again shortly.', 503);
  }
  throw err;
}

/** AWS JSON protocol: `X-Amz-Target: Prefix.Operation`, JSON in and out. */
export function handleJson(
  app: App,
  provider: ServiceProvider,
  operation: string,
  body: string,
  caller: Caller,
): (Reply & { requestId: string }) | Promise<Reply & { requestId: string }> {
  const requestId = randomUUID();
  const contentType = `application/x-amz-json-${provider.model.metadata.jsonVersion ?? '1.1'}`;
  const failed = (err: unknown) => {
    const e = asApiError(err);
    return { status: e.status, contentType, body: renderJsonError(e.code, e.message), requestId, errorType: e.code };
  };
  try {
    const op = Object.hasOwn(provider.model.operations, operation) ? provider.model.operations[operation] : undefined;
    if (!op) throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
    const input = parseJsonInput(provider.model, op.input, body, provider.jsonErrors ?? defaultJsonErrors);
    const done = (output: Record<string, unknown>) => ({ status: 200, contentType, body: renderJsonOutput(provider.model, op.output, output), requestId });
    const output = app.run(provider, operation, input, caller, requestId);
    return output instanceof Promise ? output.then(done).catch(failed) : done(output);
  } catch (err) {
    return failed(err);
  }
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  console.error('vpcsim: internal error:', err);
  return new ApiError('InternalError', 'An internal error has occurred', 500);
}
