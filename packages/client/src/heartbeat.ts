/**
 * Heartbeats (spec §1.13), the way Go's client sends them: header byte 2 = 0x40 (request,
 * heartbeat), serialize type MsgPack whatever the client uses, empty service path and method, no
 * metadata, and as payload the current Unix time in nanoseconds as a msgpack int64 (`0xd3` and 8
 * bytes big-endian), written by hand. The server echoes the frame with the response bit set.
 */
import { SerializeType } from '@rpcx/core';
import { Header, Message } from '@rpcx/protocol';

export interface HeartbeatOptions {
  /** Time between heartbeats (ms); must be > 0. */
  intervalMs: number;
  /**
   * How long to wait for each echo (ms) before the connection is declared dead, closed, and its
   * pending calls failed. Default 30 000, as Go's `MaxWaitForHeartbeat`.
   */
  maxWaitMs?: number;
}

export const DEFAULT_HEARTBEAT_MAX_WAIT_MS = 30_000;

const MSGPACK_INT64 = 0xd3;

/** Header byte 2 of a heartbeat request: request, heartbeat bit, not oneway, not compressed. */
export const HEARTBEAT_FLAGS = 0x40;

/** The msgpack int64 form of `unixNanos`: `d3` + 8 bytes big-endian. */
export function heartbeatPayload(unixNanos: bigint): Buffer {
  const payload = Buffer.allocUnsafe(9);
  payload[0] = MSGPACK_INT64;
  payload.writeBigInt64BE(unixNanos, 1);
  return payload;
}

/** Now, in Unix nanoseconds (millisecond resolution). */
export function unixNanosNow(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** A heartbeat request; the connection gives it its seq. */
export function heartbeatMessage(unixNanos: bigint = unixNanosNow()): Message {
  const header = new Header();
  header.heartbeat = true;
  header.serializeType = SerializeType.MsgPack;
  return new Message({ header, payload: heartbeatPayload(unixNanos) });
}
