/**
 * The handler context (Go's `ctx` with `share.ReqMetaDataKey`, `share.ResMetaDataKey`,
 * `RemoteConnContextKey` and the `__ServerTimeout` deadline, spec §3.6). Everything costly is
 * created on first use: a call that never reads `signal` allocates no AbortController and never
 * touches the shared deadline queue.
 */
import {
  type DeadlineEntry,
  type DeadlineQueue,
  ErrorCode,
  type Metadata,
  MetadataKey,
  monotonicNow,
  newMetadata,
  RpcxError,
  type RpcxMessage,
} from '@rpcx/core';
import type { CallContext, ServerConnection, ServerHandle } from './types.js';

const DEADLINE_EXCEEDED = 'context deadline exceeded';
const CANCELED = 'context canceled';
const PARSE_TIMEOUT = /^[+-]?\d+$/;

/** The implementation, internal to the server. */
export class RequestContext implements CallContext {
  readonly deadline: number | undefined;
  /** Monotonic deadline for the queue; NaN without one. */
  private readonly deadlineAt: number = Number.NaN;
  private controller: AbortController | undefined;
  private responseMeta: Metadata | undefined;
  private deadlineEntry: DeadlineEntry<RequestContext> | undefined;
  private done = false;

  constructor(
    readonly server: ServerHandle,
    readonly connection: ServerConnection,
    readonly request: RpcxMessage,
    private readonly deadlines: DeadlineQueue<RequestContext>,
    private readonly watchers: Set<RequestContext>,
  ) {
    // Go: strconv.ParseInt(value, 10, 64) in milliseconds; unparsable values are ignored.
    const timeout = request.metadata[MetadataKey.ServerTimeout];
    if (timeout !== undefined && PARSE_TIMEOUT.test(timeout)) {
      const ms = Number(timeout);
      this.deadline = Date.now() + ms;
      this.deadlineAt = monotonicNow() + ms;
    }
  }

  get servicePath(): string {
    return this.request.servicePath;
  }

  get serviceMethod(): string {
    return this.request.serviceMethod;
  }

  get metadata(): Readonly<Metadata> {
    return this.request.metadata;
  }

  get responseMetadata(): Metadata {
    if (this.responseMeta === undefined) this.responseMeta = newMetadata();
    return this.responseMeta;
  }

  /** The response metadata if the handler touched it. */
  get responseMetadataIfAny(): Metadata | undefined {
    return this.responseMeta;
  }

  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    if (this.connection.closed) {
      controller.abort(new RpcxError(ErrorCode.Canceled, CANCELED));
    } else if (this.deadlineAt <= monotonicNow()) {
      controller.abort(new RpcxError(ErrorCode.Timeout, DEADLINE_EXCEEDED));
    } else if (!this.done) {
      if (!Number.isNaN(this.deadlineAt)) {
        this.deadlineEntry = this.deadlines.add(this.deadlineAt, this);
      }
      this.watchers.add(this);
    }
    return controller.signal;
  }

  /** The shared deadline queue fired for this call. */
  expire(): void {
    this.deadlineEntry = undefined;
    this.abort(new RpcxError(ErrorCode.Timeout, DEADLINE_EXCEEDED));
  }

  /** The connection closed under this call. */
  cancel(): void {
    this.abort(new RpcxError(ErrorCode.Canceled, CANCELED));
  }

  /** The call completed: stop watching its deadline and connection. */
  finish(): void {
    this.done = true;
    if (this.controller === undefined) return;
    if (this.deadlineEntry !== undefined) {
      this.deadlines.cancel(this.deadlineEntry);
      this.deadlineEntry = undefined;
    }
    this.watchers.delete(this);
  }

  private abort(reason: RpcxError): void {
    if (this.deadlineEntry !== undefined) {
      this.deadlines.cancel(this.deadlineEntry);
      this.deadlineEntry = undefined;
    }
    this.watchers.delete(this);
    const controller = this.controller;
    if (controller !== undefined && !controller.signal.aborted) controller.abort(reason);
  }
}
