/**
 * The response to a request, derived the way Go derives it (spec §1.11): the request's header
 * cloned with the Response bit set; compressed only if the payload is over 1024 bytes and the
 * request was compressed (with the request's compress type, when we have its compressor); status
 * Error on failure; paths echoed; metadata = the handler's response metadata plus
 * `__rpcx_error__` on failure, which the handler's never overwrites — never the request's.
 */
import {
  copyMetadata,
  MessageStatusType,
  type Metadata,
  MetadataKey,
  newMetadata,
} from '@rpcx/core';
import {
  COMPRESS_THRESHOLD_BYTES,
  type CompressorRegistry,
  compressTypeOf,
  HeaderFlag,
  Message,
  withCompressType,
} from '@rpcx/protocol';

export const EMPTY = new Uint8Array(0);
/** The metadata of a response nobody adds to: shared, so it must stay empty (frozen). */
const NO_METADATA: Metadata = Object.freeze(newMetadata());

/**
 * The response to `request`. `writable`: whether plugins will see (and may add to) its
 * metadata — else a response without metadata shares one frozen empty map.
 */
export function buildResponse(
  request: Message,
  compressors: CompressorRegistry,
  handlerMetadata: Metadata | undefined,
  payload: Uint8Array,
  errorText: string | undefined,
  writable: boolean,
): Message {
  let metadata: Metadata;
  if (errorText === undefined) {
    metadata = handlerMetadata ?? (writable ? newMetadata() : NO_METADATA);
  } else {
    metadata = copyMetadata(handlerMetadata);
    metadata[MetadataKey.Error] = errorText;
  }
  const response = new Message({
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata,
    payload: errorText === undefined ? payload : EMPTY,
  }).copyHeader(request);
  response.flags = responseFlags(
    request.flags,
    compressors,
    response.payload.length,
    errorText !== undefined,
  );
  return response;
}

/** Byte 2 of the response header. */
function responseFlags(
  requestFlags: number,
  compressors: CompressorRegistry,
  payloadLength: number,
  failed: boolean,
): number {
  const flags = withCompressType(requestFlags | HeaderFlag.Response, 0);
  if (failed) return (flags & ~HeaderFlag.StatusMask) | MessageStatusType.Error;
  const requested = compressTypeOf(requestFlags);
  // An unknown compress type falls back to none, as Go's Encode does.
  if (
    requested !== 0 &&
    payloadLength > COMPRESS_THRESHOLD_BYTES &&
    compressors.get(requested) !== undefined
  ) {
    return withCompressType(flags, requested);
  }
  return flags;
}
