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
  type CallInfo,
  type Codec,
  DeadlineQueue,
  ErrorCode,
  isRpcxError,
  type Logger,
  messageOf,
  peerText,
  RpcxError,
  type WarningLimiter,
} from '@rpcx/core';
import {
  type CompressorRegistry,
  HeaderFlag,
  Message,
  type ReadOptions,
  readMessage,
} from '@rpcx/protocol';
import { authInterceptor } from './auth.js';
import type { Connection } from './connection.js';
import { codecNotFound, isRateLimit, shuttingDown } from './errors.js';
import { Exchange, type ExchangeHost } from './exchange.js';
import {
  chainInterceptors,
  isThenable,
  type ServerHandler,
  type ServerInterceptor,
} from './interceptor.js';
import { invokeMethod } from './invoke-method.js';
import type { PluginAdapter } from './plugin-adapter.js';
import { buildResponse, EMPTY } from './response.js';
import type { ServiceTable } from './service-table.js';
import type {
  AuthFunction,
  ErrorTextFunction,
  ServerHandle,
  ServiceErrorHandler,
} from './types.js';

export interface PipelineSettings {
  readonly handle: ServerHandle;
  readonly services: ServiceTable;
  readonly codecs: CodecRegistry;
  readonly compressors: CompressorRegistry;
  readonly readOptions: ReadOptions;
  readonly plugins: PluginAdapter;
  readonly logger: Logger;
  readonly warnings: WarningLimiter;
  readonly auth: AuthFunction | undefined;
  readonly interceptors: readonly ServerInterceptor[];
  readonly errorText: ErrorTextFunction | undefined;
  readonly onServiceError: ServiceErrorHandler | undefined;
}

export class RequestPipeline implements ExchangeHost {
  readonly handle: ServerHandle;
  readonly services: ServiceTable;
  readonly codecs: CodecRegistry;
  readonly deadlines = new DeadlineQueue<Exchange>((exchange) => exchange.expire());
  /** True from `shutdown()` or `close()` on: new requests are refused. */
  draining = false;
  private handler: ServerHandler = invokeMethod;

  constructor(
    private readonly settings: PipelineSettings,
    /** A request is over (counterpart of the server's in-flight count). */
    private readonly requestFinished: () => void,
  ) {
    this.handle = settings.handle;
    this.services = settings.services;
    this.codecs = settings.codecs;
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
    const plugins = this.settings.plugins;
    if (plugins.preReadRequest.length > 0) {
      const view = conn.view;
      let pending: Promise<void> | undefined;
      try {
        pending = plugins.runAll(plugins.preReadRequest, (p) => p.preReadRequest(view));
      } catch (error) {
        this.rejectRead(conn, undefined, 'preReadRequest', error);
        return;
      }
      if (pending !== undefined) {
        pending.then(
          () => this.read(conn, bytes, start, end),
          (error: unknown) => this.rejectRead(conn, undefined, 'preReadRequest', error),
        );
        return;
      }
    }
    this.read(conn, bytes, start, end);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  private read(conn: Connection, bytes: Buffer, start: number, end: number): void {
    let read: Message | Promise<Message>;
    try {
      read = readMessage(bytes, start, end, this.settings.readOptions);
    } catch (error) {
      this.unreadable(conn, error);
      return;
    }
    if (read instanceof Message) {
      this.afterRead(conn, read, bytes, start, end);
    } else {
      read.then(
        (request) => this.afterRead(conn, request, bytes, start, end),
        (error: unknown) => this.unreadable(conn, error),
      );
    }
  }

  /** A frame that is not a valid request: plugins hear why, then the connection closes. */
  private unreadable(conn: Connection, thrown: unknown): void {
    const error = isRpcxError(thrown)
      ? thrown
      : new RpcxError(ErrorCode.Protocol, messageOf(thrown), { cause: thrown });
    const plugins = this.settings.plugins;
    const close = () => {
      conn.closeFor(error);
      this.finished(conn, undefined);
    };
    if (plugins.postReadRequest.length === 0) {
      close();
      return;
    }
    const view = conn.view;
    let pending: Promise<void> | undefined;
    try {
      pending = plugins.runAll(plugins.postReadRequest, (p) =>
        p.postReadRequest(view, undefined, error),
      );
    } catch {
      // Whatever the plugins say, the stream has lost its framing.
    }
    if (pending === undefined) close();
    else pending.then(close, close);
  }

  private afterRead(
    conn: Connection,
    request: Message,
    bytes: Buffer,
    start: number,
    end: number,
  ): void {
    const plugins = this.settings.plugins;
    if (plugins.postReadRequest.length > 0) {
      const view = conn.view;
      let pending: Promise<void> | undefined;
      try {
        pending = plugins.runAll(plugins.postReadRequest, (p) =>
          p.postReadRequest(view, request, undefined),
        );
      } catch (error) {
        this.rejectRead(conn, request, 'postReadRequest', error);
        return;
      }
      if (pending !== undefined) {
        pending.then(
          () => this.admit(conn, request, bytes, start, end),
          (error: unknown) => this.rejectRead(conn, request, 'postReadRequest', error),
        );
        return;
      }
    }
    this.admit(conn, request, bytes, start, end);
  }

  /**
   * A read hook refused the request. Go answers a rate limit with an error response and keeps the
   * connection; any other refusal closes it without a response.
   */
  private rejectRead(
    conn: Connection,
    request: Message | undefined,
    hook: string,
    error: unknown,
  ): void {
    if (request !== undefined && !request.heartbeat && isRateLimit(error)) {
      this.refuse(new Exchange(this, conn, request), asError(error));
      return;
    }
    const message = `request rejected by ${hook} plugin: ${messageOf(error)}`;
    const code = isRpcxError(error) ? error.code : ErrorCode.Internal;
    conn.closeFor(new RpcxError(code, message, { cause: error }));
    this.finished(conn, undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // The call

  private admit(
    conn: Connection,
    request: Message,
    bytes: Buffer,
    start: number,
    end: number,
  ): void {
    if (request.heartbeat) {
      this.echoHeartbeat(conn, request, bytes, start, end);
      return;
    }
    const exchange = new Exchange(this, conn, request);
    if (this.draining) {
      this.refuse(exchange, shuttingDown());
      return;
    }
    const serializeType = request.serializeType;
    if (this.codecs.get(serializeType) === undefined && isOptionalCodec(serializeType)) {
      // MsgPack or Protobuf asked for the first time: loaded once. If its library is missing,
      // the call fails as Go's does (`can not find codec for <n>`) and the log says why.
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
  }

  /**
   * Answers a heartbeat: the request frame itself with the Response bit set (spec §1.13),
   * byte-exact, even for a oneway heartbeat. The frame is ours to change: nothing else reads it.
   */
  private echoHeartbeat(
    conn: Connection,
    request: Message,
    bytes: Buffer,
    start: number,
    end: number,
  ): void {
    const echo = () => {
      bytes[start + 2] = bytes[start + 2]! | HeaderFlag.Response;
      conn.write(bytes.subarray(start, end));
      this.finished(conn, undefined);
    };
    const plugins = this.settings.plugins;
    if (plugins.heartbeatRequest.length > 0) {
      const view = conn.view;
      const pending = plugins.runIgnoring('heartbeatRequest', plugins.heartbeatRequest, (p) =>
        p.heartbeatRequest(view, request),
      );
      if (pending !== undefined) {
        pending.then(echo);
        return;
      }
    }
    echo();
  }

  /** Runs the call through the chain. */
  private call(exchange: Exchange): void {
    let result: unknown;
    try {
      result = this.handler(exchange);
    } catch (error) {
      this.settle(exchange, undefined, asError(error));
      return;
    }
    if (isThenable(result)) {
      result.then(
        (reply) => this.settle(exchange, reply, undefined),
        (error: unknown) => this.settle(exchange, undefined, asError(error)),
      );
    } else {
      this.settle(exchange, result, undefined);
    }
  }

  /** After the chain: encodes the reply, reports a failure, answers (none for oneway). */
  private settle(exchange: Exchange, reply: unknown, failure: Error | undefined): void {
    if (exchange.closeAfterResponse !== undefined) {
      // Auth refused the call.
      this.report(exchange, failure!, false);
      this.refuse(exchange, failure!);
      return;
    }
    let payload: Uint8Array = EMPTY;
    if (failure === undefined && !exchange.oneway) {
      try {
        payload = this.encodeReply(exchange, reply);
      } catch (error) {
        failure = asError(error);
      }
    }
    if (failure !== undefined) this.report(exchange, failure, true);
    if (exchange.oneway) {
      this.finished(Exchange.connectionOf(exchange), exchange);
      return;
    }
    this.respond(exchange, payload, failure);
  }

  private encodeReply(exchange: Exchange, reply: unknown): Uint8Array {
    const serializeType = exchange.request.serializeType;
    const codec: Codec | undefined = exchange.codec ?? this.codecs.get(serializeType);
    if (codec === undefined) throw codecNotFound(serializeType);
    // Go's raw codec encodes a reply the handler left empty as zero bytes.
    if (codec.serializeType === 0 && (reply === undefined || reply === null)) return EMPTY;
    return codec.encode(reply, exchange.method?.replyType);
  }

  /** Tells `onServiceError` (Go's HandleServiceError), or logs it (rate-limited). */
  private report(call: CallInfo, failure: Error, log: boolean): void {
    const onServiceError = this.settings.onServiceError;
    if (onServiceError === undefined) {
      if (!log) return;
      this.settings.warnings.warn(`rpcx: failed to handle request: ${peerText(failure.message)}`, {
        servicePath: peerText(call.servicePath),
        serviceMethod: peerText(call.serviceMethod),
        remoteAddress: call.connection?.remoteAddress,
      });
      return;
    }
    try {
      onServiceError(failure, call);
    } catch (error) {
      this.settings.logger.error(`rpcx: onServiceError threw: ${messageOf(error)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Answering

  /** Answers a request that will not be handled; a oneway one only goes past the plugins. */
  private refuse(exchange: Exchange, failure: Error): void {
    if (!exchange.oneway) {
      this.respond(exchange, EMPTY, failure);
      return;
    }
    const conn = Exchange.connectionOf(exchange);
    const done = () => this.end(conn, exchange);
    const plugins = this.settings.plugins;
    const pending =
      plugins.preWriteResponse.length === 0
        ? undefined
        : plugins.runIgnoring('preWriteResponse', plugins.preWriteResponse, (p) =>
            p.preWriteResponse(conn.view, exchange.request, undefined, failure),
          );
    if (pending === undefined) done();
    else pending.then(done);
  }

  /** Builds the response and writes it, with the write plugins around it. */
  private respond(exchange: Exchange, payload: Uint8Array, failure: Error | undefined): void {
    const conn = Exchange.connectionOf(exchange);
    const response = this.buildResponse(exchange, payload, failure);
    const plugins = this.settings.plugins;
    if (plugins.preWriteResponse.length > 0) {
      const pending = plugins.runIgnoring('preWriteResponse', plugins.preWriteResponse, (p) =>
        p.preWriteResponse(conn.view, exchange.request, response, failure),
      );
      if (pending !== undefined) {
        pending.then(() => this.write(conn, exchange, response, failure));
        return;
      }
    }
    this.write(conn, exchange, response, failure);
  }

  private write(
    conn: Connection,
    exchange: Exchange,
    response: Message,
    failure: Error | undefined,
  ): void {
    try {
      conn.writeMessage(response);
    } catch (error) {
      // A response that cannot be framed (a non-string metadata value, too large) becomes an
      // error response, so the client hears why instead of waiting.
      const encodeFailure = asError(error);
      this.settings.logger.error(
        `rpcx: cannot encode the response to ${peerText(exchange.servicePath)}.${peerText(exchange.serviceMethod)}: ${encodeFailure.message}`,
        { connection: conn.id, remoteAddress: conn.remoteAddress },
      );
      try {
        conn.writeMessage(this.buildResponse(exchange, EMPTY, encodeFailure, true));
      } catch {
        // Nothing more to say to this client.
      }
    }
    const plugins = this.settings.plugins;
    if (plugins.postWriteResponse.length > 0) {
      const pending = plugins.runIgnoring('postWriteResponse', plugins.postWriteResponse, (p) =>
        p.postWriteResponse(conn.view, exchange.request, response, failure),
      );
      if (pending !== undefined) {
        pending.then(() => this.end(conn, exchange));
        return;
      }
    }
    this.end(conn, exchange);
  }

  private buildResponse(
    exchange: Exchange,
    payload: Uint8Array,
    failure: Error | undefined,
    withoutHandlerMetadata = false,
  ): Message {
    return buildResponse(
      exchange.request,
      this.settings.compressors,
      withoutHandlerMetadata ? undefined : exchange.responseMetadataIfAny,
      payload,
      failure === undefined ? undefined : this.errorText(failure, exchange),
    );
  }

  /** The `__rpcx_error__` text: the error's message, or `errorText`'s (Go's ServerErrorFunc). */
  private errorText(failure: Error, exchange: Exchange): string {
    const errorText = this.settings.errorText;
    if (errorText === undefined) return failure.message;
    try {
      return String(errorText(failure, exchange.request));
    } catch (error) {
      this.settings.logger.error(`rpcx: errorText threw: ${messageOf(error)}`);
      return failure.message;
    }
  }

  /** The request is over; a refused one closes its connection now. */
  private end(conn: Connection, exchange: Exchange): void {
    if (exchange.closeAfterResponse !== undefined) conn.closeFor(exchange.closeAfterResponse);
    this.finished(conn, exchange);
  }

  private finished(conn: Connection, exchange: Exchange | undefined): void {
    exchange?.finish();
    conn.requestDone();
    this.requestFinished();
  }
}
