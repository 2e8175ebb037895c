/**
 * What happens to one received frame (spec §3.3–3.5), in Go's order: `preReadRequest` plugins,
 * read, `postReadRequest` plugins, the heartbeat echo, then the call through the interceptor
 * chain (auth, the plugins' call hooks, the `interceptors` option, the method), then the
 * response with the write plugins around it. One path for every server: a stage without hooks
 * costs a length check, and the request stays synchronous until something really is
 * asynchronous — a hook or auth that returns a promise, a compressed payload, or the handler.
 */
import { type CodecRegistry, isOptionalCodec } from '@rpcx/codecs';
import {
  asError,
  chainInterceptors,
  DeadlineQueue,
  diagnostics,
  ErrorCode,
  isRpcxError,
  messageOf,
  monotonicNow,
  RpcxError,
  type ServerRequestMessage,
} from '@rpcx/core';
import { Message, markResponse, type ReadOptions, readMessage } from '@rpcx/protocol';
import { authInterceptor } from './auth.js';
import type { Connection } from './connection.js';
import { isRateLimit, shuttingDown } from './errors.js';
import { connectionOf, Exchange, type ExchangeHost } from './exchange.js';
import { isThenable, type ServerHandler, type ServerInterceptor } from './interceptor.js';
import { invokeMethod } from './invoke-method.js';
import { Responder, type ResponderSettings } from './responder.js';
import type { ServiceTable } from './service-table.js';
import type { AuthFunction, ServerHandle } from './types.js';

export interface PipelineSettings extends ResponderSettings {
  readonly handle: ServerHandle;
  readonly services: ServiceTable;
  readonly readOptions: ReadOptions;
  readonly auth: AuthFunction | undefined;
  readonly interceptors: readonly ServerInterceptor[];
}

export class RequestPipeline implements ExchangeHost {
  readonly handle: ServerHandle;
  readonly services: ServiceTable;
  readonly codecs: CodecRegistry;
  readonly deadlines = new DeadlineQueue<Exchange>((exchange) => exchange.expire());
  /** True from `shutdown()` or `close()` on: new requests are refused. */
  draining = false;
  private handler: ServerHandler = invokeMethod;
  private readonly responder: Responder;

  constructor(
    private readonly settings: PipelineSettings,
    /** A request is over (counterpart of the server's in-flight count). */
    requestFinished: () => void,
  ) {
    this.handle = settings.handle;
    this.services = settings.services;
    this.codecs = settings.codecs;
    this.responder = new Responder(settings, requestFinished);
    this.rebuild();
  }

  /** Builds the chain again (plugins were added or removed). */
  rebuild(): void {
    const { auth, plugins, interceptors } = this.settings;
    const chain: ServerInterceptor[] = [];
    if (auth !== undefined) chain.push(authInterceptor(auth));
    const pluginInterceptor = plugins.interceptor();
    if (pluginInterceptor !== undefined) chain.push(pluginInterceptor);
    chain.push(...interceptors);
    this.handler = chainInterceptors(chain, invokeMethod);
  }

  /** Handles the frame `bytes[start, end)` of `conn`. Never throws. */
  handleFrame(conn: Connection, bytes: Buffer, start: number, end: number): void {
    const exchange = new Exchange(this, conn, bytes, start, end);
    const plugins = this.settings.plugins;
    if (plugins.preReadRequest.length === 0) {
      this.read(exchange);
      return;
    }
    const view = conn.view;
    this.runStage(
      exchange,
      () => plugins.runAll(plugins.preReadRequest, (p) => p.preReadRequest(view)),
      this.read,
      this.rejectPreRead,
    );
  }

  /**
   * Runs the hooks of a stage (`run`), then `next` — at once when every hook was synchronous —
   * or `rejected` with the error of the first hook that threw.
   */
  private runStage(
    exchange: Exchange,
    run: () => Promise<void> | undefined,
    next: (exchange: Exchange) => void,
    rejected: (exchange: Exchange, error: unknown) => void,
  ): void {
    let pending: Promise<void> | undefined;
    try {
      pending = run();
    } catch (error) {
      rejected(exchange, error);
      return;
    }
    if (pending === undefined) next(exchange);
    else
      pending.then(
        () => next(exchange),
        (error: unknown) => rejected(exchange, error),
      );
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  private readonly read = (exchange: Exchange): void => {
    let read: Message | Promise<Message>;
    try {
      read = readMessage(exchange.frame, exchange.start, exchange.end, this.settings.readOptions);
    } catch (error) {
      this.unreadable(exchange, error);
      return;
    }
    if (read instanceof Message) {
      this.afterRead(exchange, read);
    } else {
      read.then(
        (request) => this.afterRead(exchange, request),
        (error: unknown) => this.unreadable(exchange, error),
      );
    }
  };

  /** A frame that is not a valid request: plugins hear why, then the connection closes. */
  private unreadable(exchange: Exchange, thrown: unknown): void {
    const error = isRpcxError(thrown)
      ? thrown
      : new RpcxError(ErrorCode.Protocol, messageOf(thrown), { cause: thrown });
    exchange.closeAfterResponse = error;
    // Told here, with the request's own error; not again when the connection closes with it.
    connectionOf(exchange).readFailureReported = true;
    const plugins = this.settings.plugins;
    const view = exchange.connection;
    // Whatever the plugins say, the stream has lost its framing.
    const close = () => this.responder.end(exchange);
    this.runStage(
      exchange,
      () =>
        plugins.runAll(plugins.postReadRequest, (p) => p.postReadRequest(view, undefined, error)),
      close,
      close,
    );
  }

  private afterRead(exchange: Exchange, request: Message): void {
    exchange.received(request);
    const plugins = this.settings.plugins;
    // Read once here for every plugin that wants it, as Go's StartRequestContextKey.
    if (plugins.postWriteResponse.length > 0) exchange.receivedAt = monotonicNow();
    if (plugins.postReadRequest.length === 0) {
      this.admit(exchange);
      return;
    }
    const view = exchange.connection;
    this.runStage(
      exchange,
      () =>
        plugins.runAll(plugins.postReadRequest, (p) => p.postReadRequest(view, request, undefined)),
      this.admit,
      this.rejectPostRead,
    );
  }

  private readonly rejectPreRead = (exchange: Exchange, error: unknown): void => {
    this.rejectRead(exchange, 'preReadRequest', error);
  };

  /**
   * Go answers a rate limit from `postReadRequest` with an error response and keeps the
   * connection; any other refusal closes it without a response.
   */
  private readonly rejectPostRead = (exchange: Exchange, error: unknown): void => {
    if (!exchange.request.heartbeat && isRateLimit(error)) {
      this.responder.refuse(exchange, asError(error));
      return;
    }
    this.rejectRead(exchange, 'postReadRequest', error);
  };

  private rejectRead(exchange: Exchange, hook: string, error: unknown): void {
    const message = `request rejected by ${hook} plugin: ${messageOf(error)}`;
    const code = isRpcxError(error) ? error.code : ErrorCode.Internal;
    exchange.closeAfterResponse = new RpcxError(code, message, { cause: error });
    this.responder.end(exchange);
  }

  // ---------------------------------------------------------------------------------------------
  // The call

  private readonly admit = (exchange: Exchange): void => {
    const request = exchange.request;
    if (request.heartbeat) {
      this.echoHeartbeat(exchange);
      return;
    }
    if (this.draining) {
      this.responder.refuse(exchange, shuttingDown());
      return;
    }
    const serializeType = request.serializeType;
    if (this.codecs.get(serializeType) === undefined && isOptionalCodec(serializeType)) {
      // MsgPack asked for the first time: loaded once. If its library is missing, the call
      // fails as Go's does (`can not find codec for <n>`) and the log says why.
      this.codecs.load(serializeType).then(
        () => this.call(exchange),
        (error: unknown) => {
          this.settings.warnings.warn(`rpcx: ${messageOf(error)}`);
          this.call(exchange);
        },
      );
      return;
    }
    this.call(exchange);
  };

  /**
   * Answers a heartbeat: the request frame itself with the Response bit set (spec §1.13),
   * byte-exact, even for a oneway heartbeat. The frame is ours to change: nothing else reads it.
   */
  private echoHeartbeat(exchange: Exchange): void {
    const echo = () => {
      const { frame, start, end } = exchange;
      markResponse(frame, start);
      connectionOf(exchange).write(frame.subarray(start, end));
      this.responder.end(exchange);
    };
    const plugins = this.settings.plugins;
    // The view only when a plugin is there to see it: a heartbeat leaves no state behind.
    const pending = plugins.runIgnoring('heartbeatRequest', plugins.heartbeatRequest, (p) =>
      p.heartbeatRequest(exchange.connection, exchange.request),
    );
    if (pending === undefined) echo();
    else pending.then(echo);
  }

  /** Runs the call through the chain. */
  private call(exchange: Exchange): void {
    if (
      diagnostics.ServerRequestStart.hasSubscribers ||
      diagnostics.ServerRequestEnd.hasSubscribers ||
      diagnostics.ServerRequestError.hasSubscribers
    ) {
      observe(exchange);
    }
    let result: unknown;
    try {
      result = this.handler(exchange);
    } catch (error) {
      this.responder.settle(exchange, undefined, asError(error));
      return;
    }
    if (isThenable(result)) {
      result.then(
        (reply) => this.responder.settle(exchange, reply, undefined),
        (error: unknown) => this.responder.settle(exchange, undefined, asError(error)),
      );
    } else {
      this.responder.settle(exchange, result, undefined);
    }
  }
}

/** A request enters the chain while someone listens: its message, published on start. */
function observe(exchange: Exchange): void {
  const request = exchange.request;
  const message: ServerRequestMessage = {
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata: request.metadata,
    remoteAddress: connectionOf(exchange).remoteAddress,
    startTime: monotonicNow(),
    durationMs: undefined,
    error: undefined,
  };
  exchange.observed = message;
  if (diagnostics.ServerRequestStart.hasSubscribers)
    diagnostics.ServerRequestStart.publish(message);
}
