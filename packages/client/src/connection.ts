/**
 * Internal: one socket of a Client, the equivalent of Go's `client.Client`. It owns the seq
 * counter (starting at 0, as Go's), the table of calls awaiting a response, the write queue used
 * while the socket is backpressured, and the heartbeat ticker. When the socket closes, every call
 * on it fails at once with the reason.
 */
import type { Socket } from 'node:net';
import {
  type ConnectionInfo,
  copyMetadata,
  ErrorCode,
  isRpcxError,
  MessageStatusType,
  type Metadata,
  MetadataKey,
  monotonicNow,
  newMetadata,
  RpcxError,
  SerializeType,
} from '@rpcx/core';
import {
  type DecodeOptions,
  decodeMessage,
  type EncodeOptions,
  encodeMessage,
  type FrameRangeHandler,
  HEADER_LENGTH,
  Header,
  Message,
  readUint32,
} from '@rpcx/protocol';
import { FramedConnection } from '@rpcx/transport';
import type { ClientContext } from './client-options.js';
import { asRpcxError, isErrorLike, messageOf } from './errors.js';
import { FrameView } from './frame-view.js';
import { HEARTBEAT_FLAGS, heartbeatPayload, unixNanosNow } from './heartbeat.js';
import { CallKind, type CallOwner, PendingCall } from './pending-call.js';
import { PendingTable } from './pending-table.js';
import { RequestEncoder } from './request-encoder.js';

/** What a connection reports to its client. */
export interface ConnectionEvents {
  /** A server push (spec §1.15). */
  push(message: Message): void;
  /** The socket closed; every call on it has already failed with `reason`. */
  closed(connection: Connection, reason: RpcxError): void;
}

const EMPTY = new Uint8Array(0);
/** Bytes a connection lets wait for the kernel before it queues frames (see `canWrite`). */
const WRITE_HIGH_WATER = 64 * 1024;
const TYPE_RESPONSE_BIT = 0x80;
const STATUS_MASK = 0x03;
const HEARTBEAT_BIT = 0x40;
const ONEWAY_BIT = 0x20;

export class Connection implements ConnectionInfo, CallOwner {
  readonly id: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** Why the connection closed; undefined while open. */
  closeReason: RpcxError | undefined = undefined;
  private readonly framed: FramedConnection;
  private nextSeq = 0;
  private readonly pending = new PendingTable<PendingCall>();
  /** Calls waiting for the socket to drain, in order; `queueHead` is the next to write. */
  private queue: (PendingCall | undefined)[] = [];
  private queueHead = 0;
  private flushScheduled = false;
  /** Most bytes handed to the transport and not yet taken by the kernel before frames queue. */
  private readonly highWater: number;
  private heartbeatTimer: NodeJS.Timeout | undefined = undefined;
  private heartbeatCall: PendingCall | undefined = undefined;
  private socketClosed = false;
  private onSocketClosed: (() => void) | undefined = undefined;
  private readonly encodeOptions: EncodeOptions;
  private readonly decodeOptions: DecodeOptions;
  /** Reused for every request and every incoming frame. */
  private readonly encoder: RequestEncoder;
  private readonly view = new FrameView();

  constructor(
    socket: Socket,
    private readonly ctx: ClientContext,
    private readonly events: ConnectionEvents,
  ) {
    this.encodeOptions = {
      compressors: ctx.compressors,
      maxFrameLength: ctx.limits.maxFrameLength,
    };
    this.decodeOptions = { compressors: ctx.compressors, limits: ctx.limits };
    this.encoder = new RequestEncoder(ctx.compressors, ctx.limits.maxFrameLength);
    this.framed = new FramedConnection(socket, {
      onFrameRange: this.onFrame,
      onClose: this.onClose,
      limits: ctx.limits,
      idleTimeoutMs: ctx.idleTimeoutMs,
    });
    // Never below the socket's own mark: past it the socket reports needing a drain, so a full
    // queue always ends in a real wait for 'drain', never in polling.
    this.highWater = Math.max(WRITE_HIGH_WATER, socket.writableHighWaterMark);
    this.id = this.framed.id;
    this.remoteAddress = this.framed.remoteAddress;
    this.localAddress = this.framed.localAddress;
  }

  get closed(): boolean {
    return this.closeReason !== undefined || this.framed.closed;
  }

  /** Calls awaiting a response. */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /**
   * Gives `call` the next seq, frames its request and writes it — or queues it while the socket
   * is backpressured. Failures (encoding, a closed socket) fail the call.
   */
  transmit(call: PendingCall): void {
    if (this.closed) {
      call.fail(this.closeReason ?? this.closedError(undefined));
      return;
    }
    const ctx = this.ctx;
    const hooks = ctx.hooks;
    const seq = this.nextSeq++;
    call.seq = seq;
    let serverTimeout: string | undefined;
    if (call.deadline !== Number.POSITIVE_INFINITY && call.kind !== CallKind.Heartbeat) {
      // Time left, in whole milliseconds, as Go's XClient sends it.
      const left = Math.floor(call.deadline - monotonicNow());
      serverTimeout = String(left > 0 ? left : 1);
    }
    const writeNow = this.queueHead === this.queue.length && this.canWrite();
    // Stays undefined when the request is encoded straight into the transport's batch.
    let frame: Buffer | undefined;
    try {
      if (hooks.clientBeforeEncode.length > 0 || hooks.watchesWrites) {
        const message = requestMessage(call, seq, serverTimeout);
        if (hooks.clientBeforeEncode.length > 0) {
          hooks.runMessageHook('clientBeforeEncode', message);
        }
        frame = encodeMessage(message, this.encodeOptions);
        call.message = message;
      } else if (writeNow) {
        this.encoder.prepare(call, seq, serverTimeout);
        this.framed.writeFrom(this.encoder);
      } else {
        // Queued frames own a buffer.
        frame = this.encoder.encode(call, seq, serverTimeout);
      }
    } catch (error) {
      call.fail(asRpcxError(error, ErrorCode.InvalidArgument));
      return;
    }
    // Framed: the arguments are no longer needed (the heartbeat keeps its payload to compare).
    if (call.kind !== CallKind.Heartbeat) call.payload = EMPTY;
    call.metadata = undefined;
    call.owner = this;
    if (call.kind !== CallKind.Oneway) this.pending.add(call);
    if (!writeNow) {
      call.frame = frame;
      this.queue.push(call);
      this.scheduleFlush();
    } else if (frame === undefined) {
      this.written(call);
    } else {
      this.write(call, frame);
    }
  }

  /** Removes a call that ended early (timeout, abort) from the table. */
  forget(call: PendingCall): void {
    if (call.kind !== CallKind.Oneway) this.pending.delete(call.seq);
  }

  startHeartbeat(): void {
    const interval = this.ctx.heartbeatIntervalMs;
    if (interval <= 0 || this.heartbeatTimer !== undefined || this.closed) return;
    this.heartbeatTimer = setInterval(this.beat, interval);
    this.heartbeatTimer.unref();
  }

  /**
   * Closes because the client is closing: every call fails with `reason` now, the socket is
   * destroyed, `onClosed` runs once it is gone.
   */
  shutdown(reason: RpcxError, onClosed: () => void): void {
    if (this.socketClosed) {
      onClosed();
      return;
    }
    this.onSocketClosed = onClosed;
    this.terminate(reason);
    this.framed.destroy(reason);
  }

  /**
   * Drops the connection at once (a failed `connCreated` plugin, a bad frame, a silent peer):
   * calls fail now, not when the socket reports its close.
   */
  destroy(error: RpcxError): void {
    this.terminate(this.closedError(error));
    this.framed.destroy(error);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /**
   * Whether another frame may go to the transport now: while fewer than `highWater` bytes wait to
   * reach the kernel (this turn's batch included). Past the socket's own mark that can only mean
   * the socket asked for a drain, so a full queue waits for 'drain', never polls.
   */
  private canWrite(): boolean {
    return this.framed.pendingWriteBytes < this.highWater;
  }

  private write(call: PendingCall, frame: Buffer): void {
    const hooks = this.ctx.hooks;
    const message = call.message;
    if (message !== undefined && hooks.preWriteRequest.length > 0) {
      hooks.runMessageHook('preWriteRequest', message);
    }
    this.framed.write(frame);
    if (message !== undefined && hooks.postWriteRequest.length > 0) {
      hooks.runPostWriteRequest(message, undefined);
    }
    this.written(call);
  }

  /** The request of `call` is with the transport: a oneway call is done. */
  private written(call: PendingCall): void {
    if (call.kind === CallKind.Oneway) call.succeed(undefined);
  }

  /**
   * Looks at the queue again once this turn's writes have left (a later `setImmediate` than the
   * transport's own), waiting for 'drain' first if the socket asks for it.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.afterTurn);
  }

  private readonly afterTurn = (): void => {
    if (this.framed.closed) {
      this.flushScheduled = false;
      return; // onClose fails what is queued
    }
    if (this.framed.backpressured) this.framed.drained().then(this.flush);
    else this.flush();
  };

  /** Writes queued frames in order while the transport takes them. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const queue = this.queue;
    while (this.queueHead < queue.length) {
      if (this.framed.closed) return; // onClose fails what is left
      const call = queue[this.queueHead]!;
      const frame = call.frame;
      // A call that timed out or was aborted while queued is never sent.
      if (call.done || frame === undefined) {
        queue[this.queueHead++] = undefined;
        continue;
      }
      if (!this.canWrite()) {
        this.scheduleFlush();
        return;
      }
      queue[this.queueHead++] = undefined;
      call.frame = undefined;
      this.write(call, frame);
    }
    this.queue = [];
    this.queueHead = 0;
  };

  private readonly onFrame: FrameRangeHandler = (bytes, start, end) => {
    try {
      this.receive(bytes, start, end);
    } catch (error) {
      // Only a bug gets here: the frame decoder must never see an exception.
      this.ctx.logger.error('rpcx client: failed to handle an incoming frame', {
        address: this.ctx.address,
        error: messageOf(error),
      });
    }
  };

  /** Handles the frame `bytes[start, end)`: views of it are made only off the common path. */
  private receive(bytes: Buffer, start: number, end: number): void {
    const ctx = this.ctx;
    const hooks = ctx.hooks;
    const view = this.view;
    let push: Message | undefined;
    if (hooks.watchesReads) {
      const frame = bytes.subarray(start, end);
      const header = frame.subarray(0, HEADER_LENGTH);
      hooks.runHeaderHook('preReadResponseHeader', header);
      hooks.runHeaderHook('postReadResponseHeader', header);
      hooks.runHeaderHook('preReadResponseBody', header);
      let message: Message;
      try {
        message = decodeMessage(frame, this.decodeOptions);
      } catch (error) {
        this.rejectFrame(frame, asRpcxError(error, ErrorCode.Protocol));
        return;
      }
      if (hooks.postReadResponseBody.length > 0) {
        hooks.runMessageHook('postReadResponseBody', message);
      }
      if (hooks.clientAfterDecode.length > 0) hooks.runMessageHook('clientAfterDecode', message);
      view.flags = frame[2]!;
      view.serializeType = message.header.serializeType;
      view.seq = message.header.seqNumber;
      view.metadata = message.metadata;
      view.payload = message.payload;
      push = message;
    } else {
      try {
        view.read(bytes, start, end, ctx.compressors, ctx.limits);
      } catch (error) {
        this.rejectFrame(bytes.subarray(start, end), asRpcxError(error, ErrorCode.Protocol));
        return;
      }
    }

    // Go's classification (spec §1.15): a request that is oneway and not a heartbeat is a server
    // message; everything else is matched to a call by seq.
    if ((view.flags & (TYPE_RESPONSE_BIT | HEARTBEAT_BIT | ONEWAY_BIT)) === ONEWAY_BIT) {
      view.clear();
      // Pushes are rare: they get the full Message (paths included).
      if (push === undefined) {
        const frame = bytes.subarray(start, end);
        try {
          push = decodeMessage(frame, this.decodeOptions);
        } catch (error) {
          this.rejectFrame(frame, asRpcxError(error, ErrorCode.Protocol));
          return;
        }
      }
      this.events.push(push);
      return;
    }
    const call = this.pending.get(view.seq);
    if (call === undefined) {
      // Its call timed out or was aborted: dropped, as Go does.
      ctx.logger.debug('rpcx client: dropping a response for no pending call', {
        address: ctx.address,
        seq: view.seq,
      });
    } else {
      this.complete(call, view);
    }
    view.clear();
  }

  private complete(call: PendingCall, response: FrameView): void {
    if (call.kind === CallKind.Heartbeat) {
      this.checkEcho(call, response);
      call.succeed(undefined);
      return;
    }
    if ((response.flags & STATUS_MASK) === MessageStatusType.Error) {
      call.fail(serviceError(call, response.metadata));
      return;
    }
    let reply: unknown;
    // Go leaves the reply untouched when the payload is empty.
    if (response.payload.length > 0) {
      const codec = this.ctx.codecs.get(response.serializeType);
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
        reply = codec.decode(response.payload, call.replyType);
      } catch (error) {
        call.fail(asRpcxError(error, ErrorCode.Codec));
        return;
      }
    }
    if (call.kind === CallKind.Result) {
      call.succeed({ reply, metadata: response.metadata ?? newMetadata() });
    } else {
      call.succeed(reply);
    }
  }

  /**
   * A frame that does not decode: the call it answers (if any) fails with the decode error
   * itself, then the connection closes (its framing can no longer be trusted).
   */
  private rejectFrame(frame: Buffer, error: RpcxError): void {
    const isResponse = (frame[2]! & TYPE_RESPONSE_BIT) !== 0;
    if (isResponse && frame.length >= HEADER_LENGTH) {
      const seq = readUint32(frame, 4) * 0x1_0000_0000 + readUint32(frame, 8);
      this.pending.get(seq)?.fail(error);
    }
    this.ctx.logger.warn('rpcx client: closing the connection after a bad frame', {
      address: this.ctx.address,
      error: error.message,
    });
    this.destroy(error);
  }

  private readonly beat = (): void => {
    if (this.heartbeatCall !== undefined || this.closed) return; // the last one is still out
    const call = new PendingCall(
      CallKind.Heartbeat,
      '',
      '',
      undefined,
      monotonicNow() + this.ctx.heartbeatMaxWaitMs,
    );
    call.flags = HEARTBEAT_FLAGS;
    call.serializeType = SerializeType.MsgPack;
    call.payload = heartbeatPayload(unixNanosNow());
    call.resolve = this.heartbeatAnswered;
    call.reject = this.heartbeatFailed;
    call.watch(undefined);
    this.heartbeatCall = call;
    this.transmit(call);
  };

  private readonly heartbeatAnswered = (): void => {
    this.heartbeatCall = undefined;
  };

  private readonly heartbeatFailed = (error: RpcxError): void => {
    this.heartbeatCall = undefined;
    if (error.code !== ErrorCode.Timeout || this.closed) return;
    // A silent peer (half-open TCP, a hung server): close so every call fails now.
    this.destroy(
      new RpcxError(
        ErrorCode.Unavailable,
        `heartbeat: no answer within ${this.ctx.heartbeatMaxWaitMs} ms`,
      ),
    );
  };

  private checkEcho(call: PendingCall, response: FrameView): void {
    if (Buffer.compare(call.payload, response.payload) !== 0) {
      this.ctx.logger.warn('rpcx client: heartbeat echo differs from the heartbeat sent', {
        address: this.ctx.address,
      });
    }
  }

  private readonly onClose = (error: RpcxError | undefined): void => {
    this.socketClosed = true;
    this.terminate(this.closedError(error));
    const onSocketClosed = this.onSocketClosed;
    this.onSocketClosed = undefined;
    onSocketClosed?.();
  };

  /** Runs once, at the first sign of the end: fails every call, tells the client. */
  private terminate(reason: RpcxError): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.failAll(reason);
    this.events.closed(this, reason);
  }

  private failAll(reason: RpcxError): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const call of this.pending.drain()) call.fail(reason);
    const queue = this.queue;
    for (let i = this.queueHead; i < queue.length; i++) queue[i]?.fail(reason);
    this.queue = [];
    this.queueHead = 0;
  }

  /** `connection to tcp@… closed: <why>`, Unavailable: another attempt may work. */
  private closedError(error: RpcxError | undefined): RpcxError {
    if (error === undefined) {
      return new RpcxError(
        ErrorCode.Unavailable,
        `connection to ${this.ctx.address} closed: unexpected EOF`,
      );
    }
    const cause = error.cause;
    const why = isErrorLike(cause) && !isRpcxError(cause) ? cause.message : error.message;
    return new RpcxError(
      ErrorCode.Unavailable,
      `connection to ${this.ctx.address} closed: ${why}`,
      {
        cause: error,
      },
    );
  }
}

/** The error of an error response (spec §1.12): `__rpcx_error__`, with the response metadata. */
function serviceError(call: PendingCall, metadata: Metadata | undefined): RpcxError {
  const text = metadata?.[MetadataKey.Error];
  // Go reports success when an error response carries no metadata at all; we do not.
  return new RpcxError(
    ErrorCode.ServiceError,
    text ?? `${call.describe()}: the server answered with an error status but no error text`,
    { metadata: metadata ?? newMetadata() },
  );
}

/** The request of `call` as a Message, for plugins; the caller's metadata is copied. */
function requestMessage(
  call: PendingCall,
  seq: number,
  serverTimeout: string | undefined,
): Message {
  const header = new Header();
  header.bytes[2] = call.flags;
  header.serializeType = call.serializeType;
  header.seqNumber = seq;
  const metadata = copyMetadata(call.metadata);
  if (serverTimeout !== undefined) metadata[MetadataKey.ServerTimeout] = serverTimeout;
  return new Message({
    header,
    servicePath: call.servicePath,
    serviceMethod: call.serviceMethod,
    metadata,
    payload: call.payload,
  });
}
