export { COMPRESS_THRESHOLD_BYTES, compressTypeFor } from './compression-policy.js';
export { CompressorRegistry, defaultCompressors } from './compressor-registry.js';
export { type DecodeOptions, decodeMessage } from './decode.js';
export { type EncodeOptions, encodeMessage } from './encode.js';
export { FrameDecoder, type FrameHandler, type FrameRangeHandler } from './frame-decoder.js';
export type { FrameFields } from './frame-fields.js';
export { type ReadOptions, readMessage } from './frame-reader.js';
export type { FrameSource } from './frame-source.js';
export { encodeFrame, FrameWriter, type WriterOptions } from './frame-writer.js';
export { gzipCompressor } from './gzip.js';
export {
  compressTypeOf,
  FRAME_PREFIX_LENGTH,
  frameFlags,
  frameSeqNumber,
  HEADER_LENGTH,
  HeaderFlag,
  HeaderMax,
  isServerPush,
  MAGIC_NUMBER,
  markResponse,
  RESERVED_MASK,
  SERIALIZE_SHIFT,
  withCompressType,
} from './header.js';
export { DEFAULT_LIMITS, type FrameLimits, MAX_UINT32, resolveLimits } from './limits.js';
export { Message, type MessageInit } from './message.js';
export { metadataByteLength, readMetadata, writeMetadata } from './metadata.js';
export { readUint32, writeUint32 } from './uint32.js';
export {
  fieldOutOfRange,
  frameTooLong,
  metadataTooLarge,
  payloadTooLarge,
  protocolError,
  unsupportedCompressor,
} from './wire-errors.js';
