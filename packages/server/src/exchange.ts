/**
 * One request on the server, from its frame to its response: the frame, the request (`Message`),
 * the handler's view of it (`CallContext`: metadata, response metadata, `__ServerTimeout` deadline
 * and signal, spec §3.6), the arguments interceptors see and may replace, and the outcome.
 * Everything costly is created on first use: a call that never reads `signal` allocates no
 * AbortController and never touches the deadline queue. The connection that owns the socket is
 * held in a private field; handlers and plugins see its read-only view.
 */
import {
  type Codec,
  type DeadlineEntry,
  type DeadlineQueue,
  ErrorCode,
  type Metadata,
  MetadataKey,
  monotonicNow,
  newMetadata,
  RpcxError,
  type ServedRequest,
  type ServerRequestMessage,
} from '@rpcx/core';
import type { Message } from '@rpcx/protocol';
import type { Connection } from './connection.js';
import { codecNotFound, methodNotFound, serviceNotFound } from './errors.js';
import type { MethodEntry, ServiceTable } from './service-table.js';
import type { ServerCall, ServerConnection, ServerHandle } from './types.js';

const DEADLINE_EXCEEDED = 'context deadline exceeded';
const CANCELED = 'context canceled';
const PARSE_TIMEOUT = /^[+-]?\d+$/;
const NOT_DECODED: unique symbol = Symbol('not decoded');

/** What an exchange needs from its server. */
export interface ExchangeHost {
  readonly handle: ServerHandle;
  readonly services: ServiceTable;
  readonly codecs: { get(serializeType: number): Codec | undefined };
  readonly deadlines: DeadlineQueue<Exchange>;
}

/**
 * The connection that owns the socket of an exchange, for the server's own parts. A module
 * function, not a member: handlers and interceptors get the exchange and must not reach it.
 */
export let connectionOf: (exchange: Exchange) => Connection;

export class Exchange implements ServerCall, ServedRequest {
  /** The request, once read. */
  request!: Message;
  deadline: number | undefined = undefined;
  /** The method the request names, once looked up (undefined: not found). */
  method: MethodEntry | undefined = undefined;
  /** The codec of the request's serialize type (undefined: none). */
  codec: Codec | undefined = undefined;
  /**
   * Set when the request ends its connection (auth refused it, it did not read, a read hook
   * refused it): once the request is over — answered, where it is answered — the connection is
   * closed with this.
   */
  closeAfterResponse: RpcxError | undefined = undefined;
  /**
   * Who made the call: what `auth` returned, or what an interceptor put here. Declared, not
   * initialised: the property exists only once set (reads before give undefined), so servers
   * without auth build their exchanges exactly as before.
   */
  declare principal: unknown;
  /**
   * When the request was read (`performance.now()`, ms), noted only when a plugin has
   * `postWriteResponse` (it gets it as `served`). Declared like `principal`: a server without
   * such a plugin builds its exchanges as before.
   */
  declare receivedAt: number;
  /** Its diagnostics message, from the chain's start to the end, while someone listens. */
  observed: ServerRequestMessage | undefined = undefined;
  readonly #conn: Connection;
  readonly #host: ExchangeHost;
  /** Monotonic deadline for the queue; NaN without one. */
  #deadlineAt: number = Number.NaN;
  #args: unknown = NOT_DECODED;
  #controller: AbortController | undefined = undefined;
  #responseMetadata: Metadata | undefined = undefined;
  #deadlineEntry: DeadlineEntry<Exchange> | undefined = undefined;
  #done = false;

  /** A frame arrived: `frame[start, end)` is its request, not read yet. */
  constructor(
    host: ExchangeHost,
    conn: Connection,
    readonly frame: Buffer,
    readonly start: number,
    readonly end: number,
  ) {
    this.#host = host;
    this.#conn = conn;
  }

  /** The request was read; its `__ServerTimeout` (if any) starts the handler's deadline. */
  received(request: Message): void {
    this.request = request;
    // Go: strconv.ParseInt(value, 10, 64) in milliseconds; unparsable values are ignored.
    const timeout = request.metadata[MetadataKey.ServerTimeout];
    if (timeout !== undefined && PARSE_TIMEOUT.test(timeout)) {
      const ms = Number(timeout);
      this.deadline = Date.now() + ms;
      this.#deadlineAt = monotonicNow() + ms;
    }
  }

  static {
    connectionOf = (exchange) => exchange.#conn;
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

  get connection(): ServerConnection {
    return this.#conn.view;
  }

  get server(): ServerHandle {
    return this.#host.handle;
  }

  get oneway(): boolean {
    return this.request.oneway;
  }

  /**
   * The decoded arguments, decoded on first use with the request's codec. Throws Go's errors
   * when the server has no such service, method or codec, or the codec's error.
   */
  get args(): unknown {
    if (this.#args === NOT_DECODED) this.#args = this.decodeArgs();
    return this.#args;
  }
  set args(value: unknown) {
    this.#args = value;
  }

  get responseMetadata(): Metadata {
    this.#responseMetadata ??= newMetadata();
    return this.#responseMetadata;
  }

  /** The response metadata if the handler touched it. */
  get responseMetadataIfAny(): Metadata | undefined {
    return this.#responseMetadata;
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#conn.closed) {
      controller.abort(new RpcxError(ErrorCode.Canceled, CANCELED));
    } else if (this.#deadlineAt <= monotonicNow()) {
      controller.abort(new RpcxError(ErrorCode.Timeout, DEADLINE_EXCEEDED));
    } else if (!this.#done) {
      if (!Number.isNaN(this.#deadlineAt)) {
        this.#deadlineEntry = this.#host.deadlines.add(this.#deadlineAt, this);
      }
      this.#conn.watch(this);
    }
    return controller.signal;
  }

  /** The deadline queue fired for this call. */
  expire(): void {
    this.#deadlineEntry = undefined;
    this.abort(new RpcxError(ErrorCode.Timeout, DEADLINE_EXCEEDED));
  }

  /** The connection closed under this call. */
  cancel(): void {
    this.abort(new RpcxError(ErrorCode.Canceled, CANCELED));
  }

  /** The call is over: stop watching its deadline and connection. */
  finish(): void {
    this.#done = true;
    if (this.#controller === undefined) return;
    if (this.#deadlineEntry !== undefined) {
      this.#host.deadlines.cancel(this.#deadlineEntry);
      this.#deadlineEntry = undefined;
    }
    this.#conn.unwatch(this);
  }

  /**
   * The method the request names and its codec, looked up in Go's dispatch order (spec §3.4);
   * throws Go's errors when the server has no such service, method or codec.
   */
  resolveMethod(): MethodEntry {
    if (this.method !== undefined) return this.method;
    const request = this.request;
    const methods = this.#host.services.get(request.servicePath);
    if (methods === undefined) throw serviceNotFound(request.servicePath);
    const method = methods.get(request.serviceMethod);
    if (method === undefined) throw methodNotFound(request.serviceMethod);
    const codec = this.#host.codecs.get(request.serializeType);
    if (codec === undefined) throw codecNotFound(request.serializeType);
    this.codec = codec;
    this.method = method;
    return method;
  }

  private decodeArgs(): unknown {
    const method = this.resolveMethod();
    return this.codec!.decode(this.request.payload, method.argsType);
  }

  private abort(reason: RpcxError): void {
    if (this.#deadlineEntry !== undefined) {
      this.#host.deadlines.cancel(this.#deadlineEntry);
      this.#deadlineEntry = undefined;
    }
    this.#conn.unwatch(this);
    const controller = this.#controller;
    if (controller !== undefined && !controller.signal.aborted) controller.abort(reason);
  }
}
