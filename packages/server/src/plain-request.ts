/**
 * The request path of a server without request plugins or auth: the common case, and the one the
 * load run measures. It behaves as the hooked path with no hooks, but is a plain function, not an
 * async one: a request whose handler answers synchronously is decoded, dispatched and answered
 * with no promise, closure or suspended frame allocated for it, and an async handler costs one
 * `then`.
 */
import type { Codec } from '@rpcx/core';
import { decodeMessage, type Message } from '@rpcx/protocol';
import { RequestContext } from './call-context.js';
import type { Connection } from './connection.js';
import {
  answer,
  decodeFailure,
  echoHeartbeat,
  findMethod,
  internalError,
  notDispatchable,
} from './dispatch.js';
import { asError, shuttingDown } from './errors.js';
import { isThenable } from './plugin-container.js';
import { refuse } from './response.js';
import type { ServerCore } from './server-core.js';
import type { MethodEntry } from './service-table.js';

/** Handles one frame of `conn`. Never throws; calls `conn.requestDone()` when over. */
export function handlePlainRequest(core: ServerCore, conn: Connection, frame: Buffer): void {
  let request: Message;
  try {
    request = decodeMessage(frame, core.decodeOptions);
  } catch (error) {
    conn.closeFor(decodeFailure(error));
    end(core, conn, undefined);
    return;
  }
  if (request.heartbeat) {
    echoHeartbeat(conn, frame);
    end(core, conn, undefined);
    return;
  }
  if (core.draining) {
    settle(core, conn, undefined, refuse(core, conn, request, frame, shuttingDown()));
    return;
  }

  const ctx = new RequestContext(core.handle, conn, request, core.deadlines, conn.watchers);
  const method = findMethod(core, request);
  const codec = core.codecs.get(request.serializeType);
  if (method === undefined || codec === undefined) {
    complete(
      core,
      conn,
      request,
      frame,
      ctx,
      codec,
      method,
      undefined,
      notDispatchable(core, request),
    );
    return;
  }
  let result: unknown;
  try {
    result = method.fn.call(method.receiver, codec.decode(request.payload, method.argsType), ctx);
  } catch (error) {
    complete(core, conn, request, frame, ctx, codec, method, undefined, asError(error));
    return;
  }
  if (isThenable(result)) {
    result.then(
      (reply) => complete(core, conn, request, frame, ctx, codec, method, reply, undefined),
      (error) =>
        complete(core, conn, request, frame, ctx, codec, method, undefined, asError(error)),
    );
    return;
  }
  complete(core, conn, request, frame, ctx, codec, method, result, undefined);
}

/** Answers the call, then ends the request (after response plugins added meanwhile, if any). */
function complete(
  core: ServerCore,
  conn: Connection,
  request: Message,
  frame: Buffer,
  ctx: RequestContext,
  codec: Codec | undefined,
  method: MethodEntry | undefined,
  reply: unknown,
  failure: Error | undefined,
): void {
  let pending: Promise<void> | undefined;
  try {
    pending = answer(core, conn, request, frame, ctx, codec, method, reply, failure);
  } catch (error) {
    internalError(core, conn, error);
  }
  settle(core, conn, ctx, pending);
}

function settle(
  core: ServerCore,
  conn: Connection,
  ctx: RequestContext | undefined,
  pending: Promise<void> | undefined,
): void {
  if (pending === undefined) {
    end(core, conn, ctx);
    return;
  }
  pending.then(
    () => end(core, conn, ctx),
    (error: unknown) => {
      internalError(core, conn, error);
      end(core, conn, ctx);
    },
  );
}

function end(core: ServerCore, conn: Connection, ctx: RequestContext | undefined): void {
  ctx?.finish();
  conn.requestDone();
  core.requestFinished();
}
