/**
 * Codecs by serialize type (4 bits, 0..15), like Go's `share.Codecs`. Servers decode each request
 * with the codec its header names and answer with the same one; clients pick theirs per call.
 */
import { type Codec, ErrorCode, RpcxError } from '@rpcx/core';
import { jsonCodec } from './json.js';
import { rawCodec } from './raw.js';

const MAX_SERIALIZE_TYPE = 15;

export class CodecRegistry {
  // One slot per serialize type: the lookup on every message is an array index.
  private readonly slots: (Codec | undefined)[] = new Array(MAX_SERIALIZE_TYPE + 1).fill(undefined);

  constructor(codecs: Iterable<Codec> = []) {
    for (const codec of codecs) this.register(codec);
  }

  /** Adds the codec for its serialize type (0..15), replacing any codec registered there. */
  register(codec: Codec): this {
    const type = codec.serializeType;
    if (!isSerializeType(type)) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `serialize type must be an integer in 0..${MAX_SERIALIZE_TYPE} (4 bits), got ${String(type)}`,
      );
    }
    this.slots[type] = codec;
    return this;
  }

  /** The codec for `serializeType`, or `undefined`. */
  get(serializeType: number): Codec | undefined {
    return isSerializeType(serializeType) ? this.slots[serializeType] : undefined;
  }

  has(serializeType: number): boolean {
    return this.get(serializeType) !== undefined;
  }

  /** The codec for `serializeType`, or Go's error text `can not find codec for <n>`. */
  require(serializeType: number): Codec {
    const codec = this.get(serializeType);
    if (codec === undefined) {
      throw new RpcxError(ErrorCode.Codec, `can not find codec for ${serializeType}`);
    }
    return codec;
  }
}

/** The codecs every registry starts with: raw (0) and JSON (1), needing no other package. */
export function defaultCodecs(): Codec[] {
  return [rawCodec, jsonCodec];
}

/** A registry holding raw and JSON, plus `extra` codecs (which may replace them). */
export function createCodecRegistry(...extra: Codec[]): CodecRegistry {
  return new CodecRegistry([...defaultCodecs(), ...extra]);
}

function isSerializeType(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_SERIALIZE_TYPE;
}
