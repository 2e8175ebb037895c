/**
 * What happens to one received frame (spec §3.3–3.5): plugins, decode, heartbeat echo, auth,
 * dispatch, response. A server without request plugins or auth takes the plain path
 * (`plain-request.ts`); this is the path with every hook. It runs synchronously until something
 * really is asynchronous — a hook or auth that returns a promise, or the handler.
 */
import { ErrorCode, isRpcxError, MetadataKey, RpcxError } from '@rpcx/core';
import { decodeMessage, type Message } from '@rpcx/protocol';
import { RequestContext } from './call-context.js';
import type { Connection } from './connection.js';
import {
  answer,
  callInfo,
  decodeFailure,
  echoHeartbeat,
  findMethod,
  internalError,
  notDispatchable,
  reportFailure,
} from './dispatch.js';
import { asError, errorMessage, isRateLimit, shuttingDown } from './errors.js';
import { runIgnoringErrors } from './hook-runner.js';
import { handlePlainRequest } from './plain-request.js';
import { isThenable } from './plugin-container.js';
import { refuse } from './response.js';
import type { ServerCore } from './server-core.js';

/** Handles one frame of `conn`. Never throws; calls `conn.requestDone()` when over. */
export function handleFrame(core: ServerCore, conn: Connection, frame: Buffer): void {
  if (core.auth === undefined && !core.plugins.watchRequests) {
    handlePlainRequest(core, conn, frame);
  } else {
    void handleWithHooks(core, conn, frame);
  }
}

async function handleWithHooks(core: ServerCore, conn: Connection, frame: Buffer): Promise<void> {
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
      decodeError = decodeFailure(error);
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
      echoHeartbeat(conn, frame);
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
    let reply: unknown;
    const method = findMethod(core, request);
    const codec = core.codecs.get(request.serializeType);
    if (method === undefined || codec === undefined) {
      failure = notDispatchable(core, request);
    } else {
      let args: unknown;
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
    }

    const pending = answer(core, conn, request, frame, currentCtx, codec, method, reply, failure);
    if (pending !== undefined) await pending;
  } catch (error) {
    internalError(core, conn, error);
  } finally {
    ctx?.finish();
    conn.requestDone();
    core.requestFinished();
  }
}

/** Why a plugin's refusal closed the connection. */
function rejection(hook: string, error: unknown): RpcxError {
  const message = `request rejected by ${hook} plugin: ${errorMessage(error)}`;
  const code = isRpcxError(error) ? error.code : ErrorCode.Internal;
  return new RpcxError(code, message, { cause: error });
}
