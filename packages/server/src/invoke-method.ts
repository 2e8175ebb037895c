/**
 * The innermost handler of the server's chain: calls the method the request names with its
 * decoded arguments (Go's reflective call, spec §3.4). Reading `call.args` looks the method up
 * and decodes the payload (unless an interceptor replaced them), failing with Go's error texts.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { Exchange } from './exchange.js';
import type { ServerHandler } from './interceptor.js';

export const invokeMethod: ServerHandler = (call) => {
  if (!(call instanceof Exchange)) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      'an interceptor must pass on the call it was given, not another object',
    );
  }
  const args = call.args;
  const method = call.resolveMethod();
  return method.fn.call(method.receiver, args, call);
};
