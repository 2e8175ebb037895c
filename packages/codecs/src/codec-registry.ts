/**
 * Codecs by serialize type (4 bits, 0..15), like Go's `share.Codecs`. Servers decode each request
 * with the codec its header names and answer with the same one; clients pick theirs per call.
 */
import { type Codec, ErrorCode, RpcxError } from '@rpcx/core';
import { jsonCodec } from './json.js';
import { isOptionalCodec, loadOptionalCodec } from './optional-codecs.js';
import { rawCodec } from './raw.js';

const MAX_SERIALIZE_TYPE = 15;

export class CodecRegistry {
  // One slot per serialize type: the lookup on every message is an array index.
  private readonly slots: (Codec | undefined)[] = new Array(MAX_SERIALIZE_TYPE + 1).fill(undefined);
  /** Loads under way or failed, by serialize type (a failure is kept: every caller sees it). */
  private readonly loads = new Map<number, Promise<Codec>>();

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

  /**
   * The codec for `serializeType`, loading MsgPack (3) from its opt-in entry point the first
   * time it is asked for. Rejects with `RpcxError(Codec)`: Go's
   * `can not find codec for <n>`, or, when the codec's library is not installed, a text naming
   * the package to install.
   */
  load(serializeType: number): Promise<Codec> {
    const codec = this.get(serializeType);
    if (codec !== undefined) return Promise.resolve(codec);
    let loading = this.loads.get(serializeType);
    if (loading === undefined) {
      loading = isOptionalCodec(serializeType)
        ? loadOptionalCodec(serializeType).then((loaded) => {
            // A codec registered meanwhile wins.
            if (!this.has(serializeType)) this.register(loaded);
            return this.get(serializeType)!;
          })
        : Promise.reject(notFound(serializeType));
      this.loads.set(serializeType, loading);
    }
    return loading;
  }

  /** The codec for `serializeType`, or Go's error text `can not find codec for <n>`. */
  require(serializeType: number): Codec {
    const codec = this.get(serializeType);
    if (codec === undefined) throw notFound(serializeType);
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

function notFound(serializeType: number): RpcxError {
  return new RpcxError(ErrorCode.Codec, `can not find codec for ${serializeType}`);
}

function isSerializeType(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_SERIALIZE_TYPE;
}
