/**
 * Writing the response to a request (spec §1.11): straight into the connection's write batch
 * when no plugin watches responses, through a Message the plugins can see and change otherwise.
 */
import {
  copyMetadata,
  MessageStatusType,
  type Metadata,
  MetadataKey,
  type RpcxMessage,
} from '@rpcx/core';
import { COMPRESS_THRESHOLD_BYTES, encodeMessage, Message } from '@rpcx/protocol';
import type { Connection } from './connection.js';
import { asError, errorMessage } from './errors.js';
import { runIgnoringErrors } from './hook-runner.js';
import { ResponseEncoder } from './response-encoder.js';
import type { ServerCore } from './server-core.js';

export const EMPTY = new Uint8Array(0);
/** One for the process: a response is prepared and written in one synchronous step. */
const encoder = new ResponseEncoder();
const RESPONSE_BIT = 0x80;
const COMPRESS_MASK = 0x1c;
const STATUS_MASK = 0x03;

/** Answers a request that will not be dispatched; a oneway one only goes past the plugins. */
export function refuse(
  core: ServerCore,
  conn: Connection,
  request: Message,
  frame: Buffer,
  failure: Error,
): Promise<void> | undefined {
  if (request.oneway) {
    const hooks = core.plugins.preWriteResponse;
    if (hooks.length === 0) return undefined;
    return runIgnoringErrors(core, 'preWriteResponse', hooks, (p) =>
      p.preWriteResponse(conn, request, undefined, failure),
    );
  }
  return respond(core, conn, request, frame, undefined, EMPTY, failure);
}

/**
 * Writes the response as Go derives it (spec §1.11): the request header cloned, Response bit
 * set, compressed only if the payload is over 1024 bytes and the request was compressed (with the
 * request's compress type), status Error on failure; paths echoed; metadata = the handler's
 * response metadata plus `__rpcx_error__` on failure — never the request's.
 *
 * Without write-response plugins no Message is built: `ResponseEncoder` writes the frame
 * straight into the connection's write batch.
 */
export function respond(
  core: ServerCore,
  conn: Connection,
  request: Message,
  frame: Buffer,
  handlerMetadata: Metadata | undefined,
  payload: Uint8Array,
  failure: Error | undefined,
): Promise<void> | undefined {
  const plugins = core.plugins;
  if (plugins.preWriteResponse.length > 0 || plugins.postWriteResponse.length > 0) {
    return respondWithHooks(core, conn, request, handlerMetadata, payload, failure);
  }
  // The connection would drop the frame; not encoding it also keeps the shared encoder from
  // holding on to this request until the next response.
  if (conn.closed) return undefined;
  const flags = responseFlags(core, request, failure === undefined ? payload.length : 0, failure);
  try {
    if (failure === undefined) {
      encoder.prepare(core.compressors, frame, flags, handlerMetadata, payload);
    } else {
      const metadata = errorMetadata(core, request, handlerMetadata, failure);
      encoder.prepare(core.compressors, frame, flags, metadata, EMPTY);
    }
    conn.writeFrom(encoder);
  } catch (error) {
    const encodeFailure = encodeFailed(core, conn, request, error);
    try {
      const metadata = errorMetadata(core, request, undefined, encodeFailure);
      const errorFlags = responseFlags(core, request, 0, encodeFailure);
      encoder.prepare(core.compressors, frame, errorFlags, metadata, EMPTY);
      conn.writeFrom(encoder);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function respondWithHooks(
  core: ServerCore,
  conn: Connection,
  request: Message,
  handlerMetadata: Metadata | undefined,
  payload: Uint8Array,
  failure: Error | undefined,
): Promise<void> {
  const plugins = core.plugins;
  const response = buildResponse(core, request, handlerMetadata, payload, failure);
  if (plugins.preWriteResponse.length > 0) {
    const pending = runIgnoringErrors(core, 'preWriteResponse', plugins.preWriteResponse, (p) =>
      p.preWriteResponse(conn, request, response, failure),
    );
    if (pending !== undefined) await pending;
  }
  let out: Buffer;
  try {
    out = encodeMessage(response, { compressors: core.compressors });
  } catch (error) {
    const fallback = buildResponse(
      core,
      request,
      undefined,
      EMPTY,
      encodeFailed(core, conn, request, error),
    );
    try {
      out = encodeMessage(fallback, { compressors: core.compressors });
    } catch {
      return;
    }
  }
  conn.write(out);
  if (plugins.postWriteResponse.length > 0) {
    const pending = runIgnoringErrors(core, 'postWriteResponse', plugins.postWriteResponse, (p) =>
      p.postWriteResponse(conn, request, response, failure),
    );
    if (pending !== undefined) await pending;
  }
}

/** The response as a Message, for plugins that want to see (or change) it. */
function buildResponse(
  core: ServerCore,
  request: Message,
  handlerMetadata: Metadata | undefined,
  payload: Uint8Array,
  failure: Error | undefined,
): Message {
  const header = request.header.clone();
  header.bytes[2] = responseFlags(
    core,
    request,
    failure === undefined ? payload.length : 0,
    failure,
  );
  let metadata: Metadata;
  if (failure !== undefined) {
    metadata = errorMetadata(core, request, handlerMetadata, failure);
  } else {
    metadata = copyMetadata(handlerMetadata);
  }
  return new Message({
    header,
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata,
    payload: failure === undefined ? payload : EMPTY,
  });
}

/** Byte 2 of the response header. */
function responseFlags(
  core: ServerCore,
  request: Message,
  payloadLength: number,
  failure: Error | undefined,
): number {
  // The header's byte 2, read from the frame it is decoded from (no view made).
  const requestFlags = request.header.flagsByte;
  let flags = (requestFlags | RESPONSE_BIT) & ~COMPRESS_MASK;
  if (failure !== undefined) {
    flags = (flags & ~STATUS_MASK) | MessageStatusType.Error;
  } else {
    const requested = (requestFlags & COMPRESS_MASK) >> 2;
    // An unknown compress type falls back to none, as Go's Encode does.
    if (
      requested !== 0 &&
      payloadLength > COMPRESS_THRESHOLD_BYTES &&
      core.compressors.get(requested) !== undefined
    ) {
      flags |= requested << 2;
    }
  }
  return flags;
}

/** `__rpcx_error__` plus the handler's metadata, which never overwrites it. */
function errorMetadata(
  core: ServerCore,
  request: Message,
  handlerMetadata: Metadata | undefined,
  failure: Error,
): Metadata {
  const metadata = copyMetadata(handlerMetadata);
  metadata[MetadataKey.Error] = errorText(core, failure, request);
  return metadata;
}

/** A response that cannot be encoded (e.g. a non-string metadata value) becomes an error response. */
function encodeFailed(core: ServerCore, conn: Connection, request: Message, error: unknown): Error {
  const failure = asError(error);
  core.logger.error(
    `rpcx: cannot encode the response to ${request.servicePath}.${request.serviceMethod}: ${failure.message}`,
    { connection: conn.id, remoteAddress: conn.remoteAddress },
  );
  return failure;
}

function errorText(core: ServerCore, failure: Error, request: RpcxMessage): string {
  if (core.errorText === undefined) return failure.message;
  try {
    return String(core.errorText(failure, request));
  } catch (error) {
    core.logger.error(`rpcx: errorText threw: ${errorMessage(error)}`);
    return failure.message;
  }
}
