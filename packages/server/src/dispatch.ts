/**
 * The steps every request path shares (spec §3.3–3.5): finding the method and codec a request
 * names, the heartbeat echo, and answering once the handler is done.
 */
import {
  type CallInfo,
  type Codec,
  ErrorCode,
  isRpcxError,
  RpcxError,
  type RpcxMessage,
} from '@rpcx/core';
import type { Message } from '@rpcx/protocol';
import type { RequestContext } from './call-context.js';
import type { Connection } from './connection.js';
import { asError, codecNotFound, errorMessage, methodNotFound, serviceNotFound } from './errors.js';
import { EMPTY, respond } from './response.js';
import type { ServerCore } from './server-core.js';
import type { MethodEntry } from './service-table.js';

const RESPONSE_BIT = 0x80;

/** The method a request names, if the server has it. */
export function findMethod(core: ServerCore, request: Message): MethodEntry | undefined {
  return core.services.get(request.servicePath)?.get(request.serviceMethod);
}

/** Go's error for a request whose service, method or codec the server does not have. */
export function notDispatchable(core: ServerCore, request: Message): RpcxError {
  const methods = core.services.get(request.servicePath);
  if (methods === undefined) return serviceNotFound(request.servicePath);
  if (!methods.has(request.serviceMethod)) return methodNotFound(request.serviceMethod);
  return codecNotFound(request.serializeType);
}

/** A frame that is not a valid request, as the error that closes its connection. */
export function decodeFailure(error: unknown): RpcxError {
  return isRpcxError(error)
    ? error
    : new RpcxError(ErrorCode.Protocol, errorMessage(error), { cause: error });
}

/**
 * Answers a heartbeat: the request itself with the Response bit set (spec §1.13), byte-exact,
 * even for a oneway heartbeat. The frame is ours to change: nothing else reads byte 2.
 */
export function echoHeartbeat(conn: Connection, frame: Buffer): void {
  frame[2] = frame[2]! | RESPONSE_BIT;
  conn.write(frame);
}

/**
 * After the handler: encodes the reply, reports a failure, writes the response (none for a
 * oneway request). Returns a promise only if a response plugin returned one.
 */
export function answer(
  core: ServerCore,
  conn: Connection,
  request: Message,
  frame: Buffer,
  ctx: RequestContext,
  codec: Codec | undefined,
  method: MethodEntry | undefined,
  reply: unknown,
  failure: Error | undefined,
): Promise<void> | undefined {
  let payload: Uint8Array = EMPTY;
  if (failure === undefined && !request.oneway) {
    try {
      payload = encodeReply(codec!, reply, method!.replyType);
    } catch (error) {
      failure = asError(error);
    }
  }
  if (failure !== undefined) reportFailure(core, ctx, failure);
  if (request.oneway) return undefined;
  return respond(core, conn, request, frame, ctx.responseMetadataIfAny, payload, failure);
}

function encodeReply(codec: Codec, reply: unknown, type: unknown): Uint8Array {
  // Go's raw codec encodes a reply the handler left empty as zero bytes.
  if (codec.serializeType === 0 && (reply === undefined || reply === null)) return EMPTY;
  return codec.encode(reply, type);
}

/** Tells `onServiceError` (Go's HandleServiceError), or logs like Go. */
export function reportFailure(core: ServerCore, call: CallInfo, failure: Error): void {
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

export function callInfo(conn: Connection, request: RpcxMessage): CallInfo {
  return {
    connection: conn,
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata: request.metadata,
  };
}

/** Logs what only a bug in the server can throw. */
export function internalError(core: ServerCore, conn: Connection, error: unknown): void {
  core.logger.error(`rpcx: internal error while handling a request: ${errorMessage(error)}`, {
    connection: conn.id,
    remoteAddress: conn.remoteAddress,
    error,
  });
}
