/**
 * How a response settles its call (spec §1.12, §4.1): an error status fails it with the
 * server's `__rpcx_error__` text; otherwise the payload is decoded with the codec the response
 * names. Go leaves the reply untouched when the payload is empty: the call resolves `undefined`.
 */
import type { CodecRegistry } from '@rpcx/codecs';
import {
  asRpcxError,
  ErrorCode,
  MessageStatusType,
  type Metadata,
  MetadataKey,
  RpcxError,
  SHUTTING_DOWN_TEXT,
} from '@rpcx/core';
import { HeaderFlag, type Message } from '@rpcx/protocol';
import { type Call, CallKind } from './call.js';

export function settleCall(call: Call, response: Message, codecs: CodecRegistry): void {
  if ((response.flags & HeaderFlag.StatusMask) === MessageStatusType.Error) {
    call.fail(serviceError(call, response.metadata));
    return;
  }
  let reply: unknown;
  if (response.payload.length > 0) {
    const codec = codecs.get(response.serializeType);
    if (codec === undefined) {
      call.fail(
        new RpcxError(
          ErrorCode.Codec,
          `${call.describe()}: unsupported codec: the response has serialize type ${response.serializeType}`,
        ),
      );
      return;
    }
    try {
      reply = codec.decode(response.payload, call.options.replyType);
    } catch (error) {
      call.fail(asRpcxError(error, ErrorCode.Codec));
      return;
    }
  }
  call.succeed(call.kind === CallKind.Result ? { reply, metadata: response.metadata } : reply);
}

/** The error of an error response: `__rpcx_error__`, with the response metadata. */
function serviceError(call: Call, metadata: Metadata): RpcxError {
  const text = metadata[MetadataKey.Error];
  // Go reports success when an error response carries no metadata at all; we do not.
  return new RpcxError(
    // A draining server refused it: another server may take it (Failover retries Shutdown).
    text === SHUTTING_DOWN_TEXT ? ErrorCode.Shutdown : ErrorCode.ServiceError,
    text ?? `${call.describe()}: the server answered with an error status but no error text`,
    { metadata },
  );
}
