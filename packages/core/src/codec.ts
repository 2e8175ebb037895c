/** Serialize types as numbered in the rpcx header (4 bits, 0..15). */
export const SerializeType = {
  /** Raw bytes, passed through unchanged. */
  None: 0,
  JSON: 1,
  ProtoBuffer: 2,
  /** Go rpcx's default. */
  MsgPack: 3,
  Thrift: 4,
} as const;

export type SerializeType = number;

/** Turns application values into payload bytes and back, for one serialize type. */
export interface Codec<T = unknown> {
  readonly serializeType: SerializeType;
  readonly name: string;
  /**
   * `type` is an optional hint some codecs need (for protobuf, the message type of a plain
   * object); self-describing codecs ignore it. Failures throw `RpcxError(Codec)`.
   */
  encode(value: T, type?: unknown): Uint8Array;
  decode(bytes: Uint8Array, type?: unknown): T;
}
