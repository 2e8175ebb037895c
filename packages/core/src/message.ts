/**
 * The fields of one rpcx message, as every package sees them. `@rpcx/protocol` encodes and
 * decodes them; plugins and handlers read them through this interface.
 */

export const MessageType = { Request: 0, Response: 1 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const MessageStatusType = { Normal: 0, Error: 1 } as const;
export type MessageStatusType = number;

/** Metadata keys with a meaning on the wire (spec §2.1). */
export const MetadataKey = {
  /** Error text of an error response. */
  Error: '__rpcx_error__',
  /** Token for the server's auth function. */
  Auth: '__AUTH',
  /** Remaining client deadline in milliseconds, as a decimal string. */
  ServerTimeout: '__ServerTimeout',
  /** Client side: the address of the server that answered. */
  ServerAddress: '__ServerAddress',
} as const;

/** Metadata travels as string pairs; decoders build it without a prototype. */
export type Metadata = Record<string, string>;

export interface RpcxMessage {
  version: number;
  messageType: MessageType;
  heartbeat: boolean;
  oneway: boolean;
  compressType: number;
  statusType: MessageStatusType;
  serializeType: number;
  /** 64-bit unsigned sequence number; echoed exactly by servers. */
  seq: bigint;
  servicePath: string;
  serviceMethod: string;
  metadata: Metadata;
  /** The plain (decompressed) payload. */
  payload: Uint8Array;
}
