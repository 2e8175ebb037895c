/** Small helpers the packages' tests share. */
import { type ErrorCode, isRpcxError, type RpcxError } from '@rpcx/core';

/**
 * Runs `run` and returns the RpcxError it throws (of `code`, when given); anything else — no
 * error, another error type, another code — fails the test with the original error.
 */
export function rpcxErrorOf(run: () => unknown, code?: ErrorCode): RpcxError {
  try {
    run();
  } catch (error) {
    if (isRpcxError(error, code)) return error;
    throw error;
  }
  throw new Error(
    `expected an RpcxError${code === undefined ? '' : `(${code})`}, but nothing was thrown`,
  );
}

/** As `rpcxErrorOf`, for a promise: the RpcxError it rejects with. */
export async function rpcxRejectionOf(
  promise: Promise<unknown>,
  code?: ErrorCode,
): Promise<RpcxError> {
  try {
    await promise;
  } catch (error) {
    if (isRpcxError(error, code)) return error;
    throw error;
  }
  throw new Error(
    `expected a rejection with an RpcxError${code === undefined ? '' : `(${code})`}, but it resolved`,
  );
}

/** Hex dumps as the spec prints them (spaces and newlines ignored) → bytes. */
export function hex(dump: string): Buffer {
  return Buffer.from(dump.replace(/\s+/g, ''), 'hex');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
