/**
 * Answering a request once the chain is done (spec §3.4–3.5): the reply encoded with the
 * request's codec, a failure reported (Go's `HandleServiceError`, or a rate-limited log line), the
 * response built as Go derives it and written with the write plugins around it — none for a
 * oneway request. Then the request is over.
 */

import type { CodecRegistry } from '@rpcx/codecs';
import {
  asError,
  type CallInfo,
  type Codec,
  diagnostics,
  type Logger,
  messageOf,
  monotonicNow,
  peerText,
  type ServerRequestMessage,
  type WarningLimiter,
} from '@rpcx/core';
import type { CompressorRegistry, Message } from '@rpcx/protocol';
import { codecNotFound } from './errors.js';
import { connectionOf, type Exchange } from './exchange.js';
import type { PluginAdapter } from './plugin-adapter.js';
import { buildResponse, EMPTY } from './response.js';
import type { ErrorTextFunction, ServiceErrorHandler } from './types.js';

export interface ResponderSettings {
  readonly codecs: CodecRegistry;
  readonly compressors: CompressorRegistry;
  readonly plugins: PluginAdapter;
  readonly logger: Logger;
  readonly warnings: WarningLimiter;
  readonly errorText: ErrorTextFunction | undefined;
  readonly onServiceError: ServiceErrorHandler | undefined;
}

export class Responder {
  constructor(
    private readonly settings: ResponderSettings,
    /** A request is over (counterpart of the server's in-flight count). */
    private readonly requestFinished: () => void,
  ) {}

  /** After the chain: encodes the reply, reports a failure, answers (none for oneway). */
  settle(exchange: Exchange, reply: unknown, failure: Error | undefined): void {
    if (exchange.closeAfterResponse !== undefined && failure !== undefined) {
      // Auth refused the call: answered (unless oneway), told, then the connection closes.
      if (exchange.observed !== undefined) exchange.observed.error = failure;
      this.report(exchange, failure, false);
      this.refuse(exchange, failure);
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
    if (failure !== undefined) {
      if (exchange.observed !== undefined) exchange.observed.error = failure;
      this.report(exchange, failure, true);
    }
    if (exchange.oneway) {
      this.end(exchange);
      return;
    }
    this.respond(exchange, payload, failure);
  }

  private encodeReply(exchange: Exchange, reply: unknown): Uint8Array {
    const serializeType = exchange.request.serializeType;
    const codec: Codec | undefined = exchange.codec ?? this.settings.codecs.get(serializeType);
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
  refuse(exchange: Exchange, failure: Error): void {
    if (!exchange.oneway) {
      this.respond(exchange, EMPTY, failure);
      return;
    }
    const conn = connectionOf(exchange);
    const done = () => this.end(exchange);
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
    const conn = connectionOf(exchange);
    const response = this.buildResponse(exchange, payload, failure);
    const plugins = this.settings.plugins;
    if (plugins.preWriteResponse.length > 0) {
      const pending = plugins.runIgnoring('preWriteResponse', plugins.preWriteResponse, (p) =>
        p.preWriteResponse(conn.view, exchange.request, response, failure),
      );
      if (pending !== undefined) {
        pending.then(() => this.write(exchange, response, failure));
        return;
      }
    }
    this.write(exchange, response, failure);
  }

  private write(exchange: Exchange, response: Message, failure: Error | undefined): void {
    const conn = connectionOf(exchange);
    try {
      conn.writeMessage(response);
    } catch (error) {
      // A response that cannot be framed (a non-string metadata value, too large) becomes an
      // error response, so the client hears why instead of waiting.
      const encodeFailure = asError(error);
      if (exchange.observed !== undefined) exchange.observed.error = encodeFailure;
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
        p.postWriteResponse(conn.view, exchange.request, response, failure, exchange),
      );
      if (pending !== undefined) {
        pending.then(() => this.end(exchange));
        return;
      }
    }
    this.end(exchange);
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
      this.settings.plugins.preWriteResponse.length > 0,
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
  end(exchange: Exchange): void {
    const conn = connectionOf(exchange);
    if (exchange.closeAfterResponse !== undefined) conn.closeFor(exchange.closeAfterResponse);
    exchange.finish();
    conn.requestDone();
    this.requestFinished();
    const observed = exchange.observed;
    if (observed !== undefined) {
      exchange.observed = undefined;
      publishEnd(observed);
    }
  }
}

/** A request that entered the chain is over: published on end, or on error when it failed. */
function publishEnd(message: ServerRequestMessage): void {
  message.durationMs = monotonicNow() - message.startTime;
  const channel =
    message.error === undefined ? diagnostics.ServerRequestEnd : diagnostics.ServerRequestError;
  if (channel.hasSubscribers) channel.publish(message);
}
