/** The errors a bad frame earns, worded once. */
import { ErrorCode, RpcxError } from '@rpcx/core';

export function protocolError(message: string): RpcxError {
  return new RpcxError(ErrorCode.Protocol, message);
}

export function frameTooLong(length: number, limit: number): RpcxError {
  return new RpcxError(
    ErrorCode.MessageTooLarge,
    `message is too long: ${length} bytes exceed the limit of ${limit}`,
  );
}
