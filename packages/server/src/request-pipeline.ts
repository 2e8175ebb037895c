/**
 * What happens to one received frame (spec §3.3–3.5): plugins, decode, heartbeat echo, auth,
 * dispatch, response. `handleFrame` runs synchronously until something really is asynchronous —
 * a hook or auth that returns a promise, or the handler — so a request without async plugins is
 * decoded and its handler called in the same tick as its bytes arrived, with no closure or timer
 * allocated for it.
 */
import {
  type CallInfo,
  type Codec,
  ErrorCode,
  isRpcxError,
  MessageStatusType,
  type Metadata,
  MetadataKey,
  RpcxError,
  type RpcxMessage,
  type ServerPlugin,
} from '@rpcx/core';
import {
  COMPRESS_THRESHOLD_BYTES,
  decodeMessage,
  encodeMessage,
  FRAME_PREFIX_LENGTH,
  HEADER_LENGTH,
  MAX_UINT32,
  Message,
  metadataByteLength,
  writeMetadata,
} from '@rpcx/protocol';
import { RequestContext } from './call-context.js';
import type { Connection } from './connection.js';
import {
  asError,
  codecNotFound,
  errorMessage,
  isRateLimit,
  methodNotFound,
  serviceNotFound,
  shuttingDown,
} from './errors.js';
import { isThenable } from './plugin-container.js';
import type { ServerCore } from './server-core.js';

const EMPTY = new Uint8Array(0);
const EMPTY_METADATA: Metadata = Object.freeze(Object.create(null) as Metadata);
const RESPONSE_BIT = 0x80;
const COMPRESS_MASK = 0x1c;
const STATUS_MASK = 0x03;

/** Handles one frame of `conn`. Never rejects; calls `conn.requestDone()` when over. */
export async function handleFrame(
  core: ServerCore,
  conn: Connection,
  frame: Buffer,
): Promise<void> {
  let ctx: RequestContext | undefined;
  try {
    const plugins = core.plugins;

    if (plugins.preReadRequest.length > 0) {
      try {
        for (const plugin of plugins.preReadRequest) {
          const result = plugin.preReadRequest(conn);
          if (isThenable(result)) await result;
        }
      } catch (error) {
        conn.closeFor(rejection('preReadRequest', error));
        return;
      }
    }

    let request: Message | undefined;
    let decodeError: RpcxError | undefined;
    try {
      request = decodeMessage(frame, core.decodeOptions);
    } catch (error) {
      decodeError = isRpcxError(error)
        ? error
        : new RpcxError(ErrorCode.Protocol, errorMessage(error), { cause: error });
    }

    if (plugins.postReadRequest.length > 0) {
      try {
        for (const plugin of plugins.postReadRequest) {
          const result = plugin.postReadRequest(conn, request, decodeError);
          if (isThenable(result)) await result;
        }
      } catch (error) {
        if (request !== undefined && decodeError === undefined && isRateLimit(error)) {
          // Go: answer with the error, keep the connection.
          await refuse(core, conn, request, frame, asError(error));
          return;
        }
        conn.closeFor(decodeError ?? rejection('postReadRequest', error));
        return;
      }
    }
    if (request === undefined) {
      conn.closeFor(decodeError);
      return;
    }

    if (request.heartbeat) {
      if (plugins.heartbeatRequest.length > 0) {
        const req = request;
        const pending = runIgnoringErrors(core, 'heartbeatRequest', plugins.heartbeatRequest, (p) =>
          p.heartbeatRequest(conn, req),
        );
        if (pending !== undefined) await pending;
      }
      // The echo is the request itself with the Response bit set (spec §1.13): byte-exact,
      // even for a oneway heartbeat. The frame is ours to change: nothing else reads byte 2.
      frame[2] = frame[2]! | RESPONSE_BIT;
      conn.write(frame);
      return;
    }

    if (core.draining) {
      await refuse(core, conn, request, frame, shuttingDown());
      return;
    }

    if (core.auth !== undefined) {
      try {
        const result = core.auth(request.metadata[MetadataKey.Auth] ?? '', request, conn);
        if (isThenable(result)) await result;
      } catch (error) {
        const failure = asError(error);
        if (core.onServiceError !== undefined)
          reportFailure(core, callInfo(conn, request), failure);
        await refuse(core, conn, request, frame, failure);
        conn.closeFor(
          new RpcxError(ErrorCode.Unauthenticated, `auth failed: ${failure.message}`, {
            cause: error,
          }),
        );
        return;
      }
    }

    ctx = new RequestContext(core.handle, conn, request, core.deadlines, conn.watchers);
    const currentCtx = ctx;
    if (plugins.preHandleRequest.length > 0) {
      const req = request;
      const pending = runIgnoringErrors(core, 'preHandleRequest', plugins.preHandleRequest, (p) =>
        p.preHandleRequest(conn, req),
      );
      if (pending !== undefined) await pending;
    }

    let failure: Error | undefined;
    let payload: Uint8Array = EMPTY;
    const methods = core.services.get(request.servicePath);
    const method = methods?.get(request.serviceMethod);
    const codec = method === undefined ? undefined : core.codecs.get(request.serializeType);
    if (methods === undefined) {
      failure = serviceNotFound(request.servicePath);
    } else if (method === undefined) {
      failure = methodNotFound(request.serviceMethod);
    } else if (codec === undefined) {
      failure = codecNotFound(request.serializeType);
    } else {
      let args: unknown;
      let reply: unknown;
      let called = false;
      try {
        args = codec.decode(request.payload, method.argsType);
        if (plugins.preCall.length > 0) {
          for (const plugin of plugins.preCall) {
            let replaced = plugin.preCall(currentCtx, args);
            if (isThenable(replaced)) replaced = await replaced;
            if (replaced !== undefined) args = replaced;
          }
        }
        called = true;
        const result: unknown = method.fn.call(method.receiver, args, currentCtx);
        reply = isThenable(result) ? await result : result;
      } catch (error) {
        failure = asError(error);
      }
      if (called && plugins.postCall.length > 0) {
        try {
          for (const plugin of plugins.postCall) {
            let replaced = plugin.postCall(currentCtx, args, reply, failure);
            if (isThenable(replaced)) replaced = await replaced;
            if (replaced !== undefined) reply = replaced;
          }
        } catch (error) {
          failure ??= asError(error);
        }
      }
      if (failure === undefined && !request.oneway) {
        try {
          payload = encodeReply(codec, reply, method.replyType);
        } catch (error) {
          failure = asError(error);
        }
      }
    }

    if (failure !== undefined) reportFailure(core, currentCtx, failure);
    if (request.oneway) return;
    const pending = respond(
      core,
      conn,
      request,
      frame,
      ctx.responseMetadataIfAny,
      payload,
      failure,
    );
    if (pending !== undefined) await pending;
  } catch (error) {
    // Only a bug in the server gets here.
    core.logger.error(`rpcx: internal error while handling a request: ${errorMessage(error)}`, {
      connection: conn.id,
      remoteAddress: conn.remoteAddress,
      error,
    });
  } finally {
    ctx?.finish();
    conn.requestDone();
    core.requestFinished();
  }
}

/** Answers a request that will not be dispatched; a oneway one only goes past the plugins. */
function refuse(
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
 * Without write-response plugins no Message is built: the frame is written directly, its header
 * and path bytes copied from the request frame (so paths are echoed byte for byte, as Go does).
 */
function respond(
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
  const flags = responseFlags(core, request, failure === undefined ? payload.length : 0, failure);
  let out: Buffer;
  try {
    out =
      failure === undefined
        ? encodeResponse(
            core,
            conn,
            request,
            frame,
            flags,
            handlerMetadata ?? EMPTY_METADATA,
            payload,
          )
        : encodeResponse(
            core,
            conn,
            request,
            frame,
            flags,
            errorMetadata(core, request, handlerMetadata, failure),
            EMPTY,
          );
  } catch (error) {
    const encodeFailure = encodeFailed(core, conn, request, error);
    try {
      out = encodeResponse(
        core,
        conn,
        request,
        frame,
        responseFlags(core, request, 0, encodeFailure),
        errorMetadata(core, request, undefined, encodeFailure),
        EMPTY,
      );
    } catch {
      return undefined;
    }
  }
  conn.write(out);
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
    metadata = Object.create(null) as Metadata;
    if (handlerMetadata !== undefined) Object.assign(metadata, handlerMetadata);
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
  const requestFlags = request.header.bytes[2]!;
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
  const metadata = Object.create(null) as Metadata;
  if (handlerMetadata !== undefined) Object.assign(metadata, handlerMetadata);
  metadata[MetadataKey.Error] = errorText(core, failure, request);
  return metadata;
}

/** One response frame: header and path bytes from the request frame, then metadata and payload. */
function encodeResponse(
  core: ServerCore,
  conn: Connection,
  request: Message,
  frame: Buffer,
  flags: number,
  metadata: Metadata,
  payload: Uint8Array,
): Buffer {
  // decodeMessage has checked these lengths.
  const pathLength = frame.readUInt32BE(FRAME_PREFIX_LENGTH);
  const pathsEnd =
    FRAME_PREFIX_LENGTH + 8 + pathLength + frame.readUInt32BE(FRAME_PREFIX_LENGTH + 4 + pathLength);
  const compressType = (flags & COMPRESS_MASK) >> 2;
  const body =
    compressType === 0 ? payload : core.compressors.require(compressType).compress(payload);
  const metaLength = metadata === EMPTY_METADATA ? 0 : metadataByteLength(metadata);
  const totalLength = pathsEnd - FRAME_PREFIX_LENGTH + 8 + metaLength + body.length;
  if (totalLength > MAX_UINT32) {
    throw new RpcxError(
      ErrorCode.MessageTooLarge,
      `message is too long: ${totalLength} bytes exceed the limit of ${MAX_UINT32}`,
    );
  }
  const out = conn.frameBuffer(FRAME_PREFIX_LENGTH + totalLength);
  const header = request.header.bytes;
  // Short copies: a loop beats Buffer#copy's call overhead.
  for (let i = 0; i < HEADER_LENGTH; i++) out[i] = header[i]!;
  out[2] = flags;
  out.writeUInt32BE(totalLength, HEADER_LENGTH);
  if (pathsEnd - FRAME_PREFIX_LENGTH <= 64) {
    for (let i = FRAME_PREFIX_LENGTH; i < pathsEnd; i++) out[i] = frame[i]!;
  } else {
    frame.copy(out, FRAME_PREFIX_LENGTH, FRAME_PREFIX_LENGTH, pathsEnd);
  }
  let at = out.writeUInt32BE(metaLength, pathsEnd);
  if (metaLength > 0) at = writeMetadata(out, at, metadata);
  at = out.writeUInt32BE(body.length, at);
  out.set(body, at);
  return out;
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

function encodeReply(codec: Codec, reply: unknown, type: unknown): Uint8Array {
  // Go's raw codec encodes a reply the handler left empty as zero bytes.
  if (codec.serializeType === 0 && (reply === undefined || reply === null)) return EMPTY;
  return codec.encode(reply, type);
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

/** Tells `onServiceError` (Go's HandleServiceError), or logs like Go. */
function reportFailure(core: ServerCore, call: CallInfo, failure: Error): void {
  if (core.onServiceError === undefined) {
    core.logger.warn(`rpcx: failed to handle request: ${failure.message}`, {
      servicePath: call.servicePath,
      serviceMethod: call.serviceMethod,
      remoteAddress: call.connection?.remoteAddress,
    });
    return;
  }
  try {
    core.onServiceError(failure, call);
  } catch (error) {
    core.logger.error(`rpcx: onServiceError threw: ${errorMessage(error)}`);
  }
}

function callInfo(conn: Connection, request: RpcxMessage): CallInfo {
  return {
    connection: conn,
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata: request.metadata,
  };
}

/** Why a plugin's refusal closed the connection. */
function rejection(hook: string, error: unknown): RpcxError {
  const message = `request rejected by ${hook} plugin: ${errorMessage(error)}`;
  const code = isRpcxError(error) ? error.code : ErrorCode.Internal;
  return new RpcxError(code, message, { cause: error });
}

/**
 * Calls a hook whose errors Go ignores, on every plugin in order; errors are logged. Returns a
 * promise only if a hook returned one.
 */
export function runIgnoringErrors<P extends ServerPlugin>(
  core: Pick<ServerCore, 'logger'>,
  hook: string,
  plugins: readonly P[],
  call: (plugin: P) => unknown,
): Promise<void> | undefined {
  for (let i = 0; i < plugins.length; i++) {
    let result: unknown;
    try {
      result = call(plugins[i]!);
    } catch (error) {
      logHookError(core, hook, plugins[i]!, error);
      continue;
    }
    if (isThenable(result)) return finishIgnoring(core, hook, plugins, call, i, result);
  }
  return undefined;
}

async function finishIgnoring<P extends ServerPlugin>(
  core: Pick<ServerCore, 'logger'>,
  hook: string,
  plugins: readonly P[],
  call: (plugin: P) => unknown,
  at: number,
  pending: PromiseLike<unknown>,
): Promise<void> {
  try {
    await pending;
  } catch (error) {
    logHookError(core, hook, plugins[at]!, error);
  }
  for (let i = at + 1; i < plugins.length; i++) {
    try {
      const result = call(plugins[i]!);
      if (isThenable(result)) await result;
    } catch (error) {
      logHookError(core, hook, plugins[i]!, error);
    }
  }
}

function logHookError(
  core: Pick<ServerCore, 'logger'>,
  hook: string,
  plugin: ServerPlugin,
  error: unknown,
): void {
  core.logger.warn(
    `rpcx: ${hook} plugin ${plugin.name ?? '(unnamed)'} failed: ${errorMessage(error)}`,
  );
}
