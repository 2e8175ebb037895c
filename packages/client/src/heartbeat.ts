/**
 * Heartbeats (spec §1.13), the way Go's client sends them: header byte 2 = 0x40 (request,
 * heartbeat), serialize type MsgPack whatever the client uses, empty service path and method, no
 * metadata, and as payload the current Unix time in nanoseconds as a msgpack int64 (`0xd3` and 8
 * bytes big-endian), written by hand. The server echoes the frame with the response bit set; a
 * connection whose echo does not come within `maxWaitMs` is closed, failing its calls.
 */
import {
  type CallOptions,
  ErrorCode,
  type Logger,
  monotonicNow,
  RpcxError,
  SerializeType,
} from '@rpcx/core';
import { HeaderFlag, Message } from '@rpcx/protocol';
import { Call, CallKind } from './call.js';
import type { CallWatch } from './call-watch.js';

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
const NO_OPTIONS: CallOptions = Object.freeze({});

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

/** A heartbeat request as a Message (the connection gives the real one its seq). */
export function heartbeatMessage(unixNanos: bigint = unixNanosNow()): Message {
  const message = new Message({ payload: heartbeatPayload(unixNanos) });
  message.heartbeat = true;
  message.serializeType = SerializeType.MsgPack;
  return message;
}

/** What the heartbeat needs of its connection. */
export interface HeartbeatTarget {
  readonly closed: boolean;
  transmit(call: Call): void;
  destroy(error: RpcxError): void;
}

/** The heartbeat of one connection: one beat in flight at most. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined = undefined;
  private inFlight: Call | undefined = undefined;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly intervalMs: number,
    private readonly maxWaitMs: number,
    private readonly watch: CallWatch<Call>,
    private readonly logger: Logger,
    private readonly address: string,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(this.beat, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The echo of `call` arrived: compared with what was sent, then the beat is over. */
  echoed(call: Call, echo: Message): void {
    if (Buffer.compare(call.payload, echo.payload) !== 0) {
      this.logger.warn('rpcx client: heartbeat echo differs from the heartbeat sent', {
        address: this.address,
      });
    }
    call.succeed(undefined);
  }

  private readonly beat = (): void => {
    if (this.inFlight !== undefined || this.target.closed) return; // the last one is still out
    const call = new Call(
      CallKind.Heartbeat,
      '',
      '',
      undefined,
      NO_OPTIONS,
      monotonicNow() + this.maxWaitMs,
      this.watch,
    );
    call.flags = HeaderFlag.Heartbeat;
    call.serializeType = SerializeType.MsgPack;
    call.payload = heartbeatPayload(unixNanosNow());
    this.inFlight = call;
    call.begin().then(this.answered, this.failed);
    this.target.transmit(call);
  };

  private readonly answered = (): void => {
    this.inFlight = undefined;
  };

  private readonly failed = (error: RpcxError): void => {
    this.inFlight = undefined;
    if (error.code !== ErrorCode.Timeout || this.target.closed) return;
    // A silent peer (half-open TCP, a hung server): close so every call fails now.
    this.target.destroy(
      new RpcxError(ErrorCode.Unavailable, `heartbeat: no answer within ${this.maxWaitMs} ms`),
    );
  };
}
