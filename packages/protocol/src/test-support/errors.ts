/** The asynchronous counterpart of `rpcxErrorOf` from @rpcx/testing. */
import { type ErrorCode, isRpcxError, type RpcxError } from '@rpcx/core';

/**
 * The RpcxError (of `code`, when given) that `promise` rejects with; a resolved promise, another
 * error type or another code fails the test with what actually happened.
 */
export async function rejectionOf(promise: Promise<unknown>, code?: ErrorCode): Promise<RpcxError> {
  try {
    await promise;
  } catch (error) {
    if (isRpcxError(error, code)) return error;
    throw error;
  }
  throw new Error(`expected a rejection with an RpcxError${code === undefined ? '' : `(${code})`}`);
}
