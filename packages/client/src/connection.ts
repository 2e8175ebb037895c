/**
 * Internal: one socket of a Client, the equivalent of Go's `client.Client`. It owns the seq
 * counter (starting at 0, as Go's), frames requests with its frame writer, reads every incoming
 * frame with the protocol's reader and routes it — a server push to the client, a response to
 * its call by seq. The write queue and the heartbeat are its helpers. When the socket closes,
 * every call on it fails at once with the reason.
 */
import {
  asRpcxError,
  type ConnectionInfo,
  copyMetadata,
  ErrorCode,
  isErrorLike,
  isRpcxError,
  MetadataKey,
  messageOf,
  monotonicNow,
  peerText,
  RpcxError,
} from '@rpcx/core';
import {
  type FrameFields,
  type FrameRangeHandler,
  FrameWriter,
  frameFlags,
  frameSeqNumber,
  HEADER_LENGTH,
  HeaderFlag,
  isServerPush,
  Message,
  readMessage,
} from '@rpcx/protocol';
import { FramedConnection, silentCloseHint, type TransportSocket } from '@rpcx/transport';
import { type Call, CallKind, type CallOwner } from './call.js';
import type { CallWatch } from './call-watch.js';
import type { ClientContext } from './client-options.js';
import { Heartbeat, type HeartbeatTarget } from './heartbeat.js';
import { PendingTable } from './pending-table.js';
import { settleCall } from './reply.js';
import { WriteQueue } from './write-queue.js';

/** What a connection reports to its client. */
export interface ConnectionEvents {
  /** A server push (spec §1.15). */
  push(message: Message): void;
  /** The socket closed; every call on it has already failed with `reason`. */
  closed(connection: Connection, reason: RpcxError): void;
}

const EMPTY = new Uint8Array(0);
/** Bytes a connection lets wait for the kernel before it queues frames. */
const WRITE_HIGH_WATER = 64 * 1024;

export class Connection implements HeartbeatTarget {
  /** What plugins and calls see of the connection: its addresses, nothing that can write. */
  readonly info: ConnectionInfo;
  /**
   * What a call sent here keeps of the connection: its addresses, and a way to drop its pending
   * entry — a closure, so nothing reachable from the call leads to the socket.
   */
  private readonly ownerView: CallOwner;
  /** Why the connection closed; undefined while open. */
  closeReason: RpcxError | undefined = undefined;
  private readonly framed: FramedConnection;
  private readonly writer: FrameWriter;
  private readonly queue: WriteQueue;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly pending = new PendingTable<Call>();
  private nextSeq = 0;
  private socketClosed = false;
  private onSocketClosed: (() => void) | undefined = undefined;

  constructor(
    socket: TransportSocket,
    private readonly ctx: ClientContext,
    watch: CallWatch<Call>,
    private readonly events: ConnectionEvents,
  ) {
    this.framed = new FramedConnection(socket, {
      onFrameRange: this.onFrame,
      onClose: this.onClose,
      limits: ctx.limits,
      idleTimeoutMs: ctx.idleTimeoutMs,
      side: 'client',
    });
    this.info = Object.freeze({
      id: this.framed.id,
      remoteAddress: this.framed.remoteAddress,
      localAddress: this.framed.localAddress,
    });
    this.ownerView = Object.freeze({ info: this.info, forget: (call: Call) => this.forget(call) });
    this.writer = new FrameWriter({
      compressors: ctx.compressors,
      maxFrameLength: ctx.limits.maxFrameLength,
    });
    // Never below the socket's own mark: past it the socket reports needing a drain, so a full
    // queue always ends in a real wait for 'drain', never in polling.
    this.queue = new WriteQueue(
      this.framed,
      Math.max(WRITE_HIGH_WATER, socket.writableHighWaterMark),
      this.sendFrame,
    );
    this.heartbeat =
      ctx.heartbeatIntervalMs > 0
        ? new Heartbeat(
            this,
            ctx.heartbeatIntervalMs,
            ctx.heartbeatMaxWaitMs,
            watch,
            ctx.logger,
            ctx.address,
          )
        : undefined;
  }

  get closed(): boolean {
    return this.closeReason !== undefined || this.framed.closed;
  }

  /** Calls awaiting a response. */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /**
   * Gives `call` the next seq, frames its request and writes it — straight into the transport's
   * write batch, or into a frame of its own that waits while the socket is backpressured (or
   * that plugins watch being written). Failures (framing, a closed socket) fail the call.
   */
  transmit(call: Call): void {
    if (this.closed) {
      call.fail(this.closeReason ?? this.closedError(undefined));
      return;
    }
    call.setSeq(this.nextSeq++);
    if (call.deadline !== Number.POSITIVE_INFINITY && call.kind !== CallKind.Heartbeat) {
      // Time left, in whole milliseconds, as Go's XClient sends it.
      const left = Math.floor(call.deadline - monotonicNow());
      call.serverTimeout = String(left > 0 ? left : 1);
    }
    const plugins = this.ctx.plugins;
    let fields: FrameFields = call;
    if (plugins.watchesRequests) {
      const message = requestMessage(call);
      plugins.beforeEncode(message);
      call.message = message;
      fields = message;
    }
    const direct = this.queue.open && !plugins.watchesWrites;
    let frame: Buffer | undefined;
    try {
      this.writer.prepare(fields);
      if (!direct) {
        frame = Buffer.allocUnsafe(this.writer.frameLength);
        this.writer.writeFrame(frame, 0);
      }
    } catch (error) {
      call.fail(asRpcxError(error, ErrorCode.InvalidArgument));
      return;
    }
    // Framed: the serialized arguments are no longer needed (a heartbeat keeps its payload to
    // compare with the echo).
    if (call.kind !== CallKind.Heartbeat) call.payload = EMPTY;
    call.sentOn(this.ownerView);
    if (call.kind !== CallKind.Oneway) this.pending.add(call);
    if (direct) {
      this.framed.writeFrom(this.writer);
      this.written(call);
      return;
    }
    call.frame = frame;
    if (this.queue.open) this.sendFrame(call);
    else this.queue.push(call);
  }

  /** Removes a call that ended early (timeout, abort) from the table. */
  forget(call: Call): void {
    if (call.kind !== CallKind.Oneway) this.pending.delete(call.seq);
  }

  startHeartbeat(): void {
    if (!this.closed) this.heartbeat?.start();
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

  /** Writes a call's own frame, with the write hooks around it. */
  private readonly sendFrame = (call: Call): void => {
    const frame = call.frame!;
    call.frame = undefined;
    const message = call.message;
    const plugins = this.ctx.plugins;
    if (message !== undefined && plugins.watchesWrites) plugins.preWrite(message);
    this.framed.write(frame);
    if (message !== undefined && plugins.watchesWrites) plugins.postWrite(message, undefined);
    this.written(call);
  };

  /** The request of `call` is with the transport: a oneway call is done. */
  private written(call: Call): void {
    if (call.kind === CallKind.Oneway) call.succeed(undefined);
  }

  private readonly onFrame: FrameRangeHandler = (bytes, start, end) => {
    try {
      const plugins = this.ctx.plugins;
      if (plugins.watchesReads) plugins.beforeRead(bytes, start);
      let read: Message | Promise<Message>;
      try {
        read = readMessage(bytes, start, end, this.ctx.readOptions);
      } catch (error) {
        this.rejectFrame(bytes, start, error);
        return;
      }
      if (read instanceof Message) this.onMessage(read);
      else read.then(this.onMessage, (error: unknown) => this.rejectFrame(bytes, start, error));
    } catch (error) {
      // Only a bug gets here: the frame decoder must never see an exception.
      this.ctx.logger.error('rpcx client: failed to handle an incoming frame', {
        address: this.ctx.address,
        error: messageOf(error),
      });
    }
  };

  /** A read frame: a server push goes to the client, a response to its call. */
  private readonly onMessage = (message: Message): void => {
    const plugins = this.ctx.plugins;
    if (plugins.watchesReads) plugins.afterRead(message);
    // Go's classification (spec §1.15).
    if (isServerPush(message.flags)) {
      this.events.push(message);
      return;
    }
    const call = this.pending.get(message.seqNumber);
    if (call === undefined) {
      // Its call timed out or was aborted: dropped, as Go does.
      this.ctx.logger.debug('rpcx client: dropping a response for no pending call', {
        address: this.ctx.address,
        seq: message.seqNumber,
      });
    } else if (call.kind === CallKind.Heartbeat) {
      this.heartbeat?.echoed(call, message);
    } else {
      settleCall(call, message, this.ctx.codecs);
    }
  };

  /**
   * A frame that does not read: the call it answers (if any) fails with the error itself, then
   * the connection closes (its framing, or its peer, can no longer be trusted).
   */
  private rejectFrame(bytes: Buffer, start: number, thrown: unknown): void {
    const error = asRpcxError(thrown, ErrorCode.Protocol);
    if (bytes.length - start >= HEADER_LENGTH && frameFlags(bytes, start) & HeaderFlag.Response) {
      this.pending.get(frameSeqNumber(bytes, start))?.fail(error);
    }
    this.ctx.logger.warn('rpcx client: closing the connection after a bad frame', {
      address: this.ctx.address,
      error: peerText(error.message),
    });
    this.destroy(error);
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
    this.heartbeat?.stop();
    for (const call of this.pending.drain()) call.fail(reason);
    this.queue.failAll(reason);
    this.events.closed(this, reason);
  }

  /**
   * `connection to tcp@… closed: <why>`, Unavailable: another attempt may work — unless the
   * server refused our TLS certificate (Unauthenticated).
   */
  private closedError(error: RpcxError | undefined): RpcxError {
    if (error === undefined) {
      return new RpcxError(
        ErrorCode.Unavailable,
        `connection to ${this.ctx.address} closed: unexpected EOF${silentCloseHint(this.framed.socket)}`,
      );
    }
    if (error.code === ErrorCode.Unauthenticated) {
      // `connection <server>: certificate refused: <alert>` from the socket.
      const why = error.message.slice(error.message.indexOf(': ') + 2);
      return new RpcxError(error.code, `connection to ${this.ctx.address} closed: ${why}`, {
        cause: error,
      });
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

/** The request of `call` as a Message, for plugins to see and change; metadata copied. */
function requestMessage(call: Call): Message {
  const message = new Message({
    servicePath: call.servicePath,
    serviceMethod: call.serviceMethod,
    metadata: copyMetadata(call.metadata),
    payload: call.payload,
  });
  if (call.serverTimeout !== undefined) {
    message.metadata[MetadataKey.ServerTimeout] = call.serverTimeout;
  }
  message.flags = call.flags;
  message.serializeType = call.serializeType;
  message.seqHigh = call.seqHigh;
  message.seqLow = call.seqLow;
  return message;
}
