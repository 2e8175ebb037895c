/**
 * A socket that speaks rpcx frames. Reading: every chunk goes through a FrameDecoder and whole
 * frames reach `onFrameRange`; a framing error closes this connection only. Writing: frames
 * written in one event-loop turn are laid end to end (`WriteBatch`) and leave as one chunk at the
 * end of the turn — or earlier: once a socket buffer's worth has gathered, and once the received
 * chunk they answer has been handled. When the peer reads slowly the caller is told (`write`
 * returns false, `drained()` waits) — a server can also stop reading requests until the responses
 * have drained. A connection of a client or server (`side`) is published on the `Connection…`
 * diagnostics channels when it opens and closes, while someone listens.
 */
import { type ConnectionMessage, diagnostics, ErrorCode, RpcxError } from '@rpcx/core';
import {
  FrameDecoder,
  type FrameLimits,
  type FrameRangeHandler,
  type FrameSource,
} from '@rpcx/protocol';

import { toRpcxError } from './socket-errors.js';
import { describeEnd, type TransportSocket } from './transport-socket.js';
import { WriteBatch } from './write-batch.js';

export interface FramedConnectionOptions {
  /** Receives each whole frame as `bytes[start, end)`; the bytes may be kept. */
  onFrameRange: FrameRangeHandler;
  /** Called once, after the socket closed; `error` is why, or undefined for an orderly close. */
  onClose?: (error: RpcxError | undefined) => void;
  limits?: Partial<Pick<FrameLimits, 'maxFrameLength'>>;
  /** Close when no byte arrives for this long (ms); 0 = never. */
  idleTimeoutMs?: number;
  /** Close when a frame that has started does not complete within this time (ms); 0 = never. */
  frameTimeoutMs?: number;
  /** Stop reading while the peer is not reading our writes (servers: bounds queued responses). */
  pauseReadsWhileBackpressured?: boolean;
  /**
   * Whose connection it is, as `diagnostics.ConnectionOpen`/`ConnectionClose` name it; without
   * it (a test harness, a raw tool) nothing is published.
   */
  side?: 'client' | 'server';
}

let nextConnectionId = 1;
/** Frames up to this size are batched per turn; larger ones go to the socket on their own. */
const BATCH_FRAME_LIMIT = 16 * 1024;

export class FramedConnection {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private readonly decoder: FrameDecoder;
  private closeError: RpcxError | undefined;
  private isClosed = false;
  private readsStopped = false;
  private frameTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private framesRead = 0;
  /** Who waits in `drained()`; made by the first (most connections never wait). */
  private drainWaiters: Array<() => void> | undefined;
  private readonly batch = new WriteBatch();
  private flushScheduled = false;

  constructor(
    readonly socket: TransportSocket,
    private readonly options: FramedConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.limits);
    this.remoteAddress = describeEnd(socket.remoteAddress, socket.remotePort);
    this.localAddress = describeEnd(socket.localAddress, socket.localPort);

    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) =>
      this.fail(toRpcxError(error, `connection ${this.remoteAddress}`)),
    );
    socket.on('drain', () => this.onDrain());
    socket.on('close', () => this.onSocketClose());
    // A timer of ours rather than `socket.setTimeout`: it runs on the global timers, so tests can
    // drive it with fake timers instead of racing the clock. Traffic either way restarts it. Its
    // callback is shared by every connection (`this` is its argument): no closure per connection.
    if (options.idleTimeoutMs) {
      this.idleTimer = setTimeout(FramedConnection.onIdle, options.idleTimeoutMs, this);
      this.idleTimer.unref();
    }
    if (options.side !== undefined && diagnostics.ConnectionOpen.hasSubscribers) {
      diagnostics.ConnectionOpen.publish(this.describe(options.side, undefined));
    }
  }

  get closed(): boolean {
    return this.isClosed || this.socket.destroyed;
  }

  /** True while the peer is not keeping up with our writes. */
  get backpressured(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Bytes written but not yet handed to the kernel. */
  get pendingWriteBytes(): number {
    return this.socket.writableLength + this.batch.pendingBytes;
  }

  /**
   * Queues one whole frame. Returns false when the peer is not keeping up: wait for `drained()`
   * before writing more. Writes after close are dropped (the close was already reported).
   */
  write(frame: Uint8Array): boolean {
    if (this.closed) return false;
    if (frame.length > BATCH_FRAME_LIMIT) {
      this.flush();
      return this.writeNow(frame);
    }
    this.makeRoom(frame.length);
    this.batch.add(frame);
    return this.batched();
  }

  /** As `write`, for a frame that writes itself straight into the batch (no copy). */
  writeFrom(source: FrameSource): boolean {
    if (this.closed) return false;
    const length = source.frameLength;
    if (length > BATCH_FRAME_LIMIT) {
      const frame = Buffer.allocUnsafe(length);
      source.writeFrame(frame, 0);
      this.flush();
      return this.writeNow(frame);
    }
    this.makeRoom(length);
    const batch = this.batch;
    const at = batch.reserve(length); // may replace the arena: ask for it after
    source.writeFrame(batch.arena, at);
    batch.commit(length);
    return this.batched();
  }

  /** After a frame joined the batch: flush at the end of the turn; false while backpressured. */
  private batched(): boolean {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAtTurnEnd);
    }
    return !this.socket.writableNeedDrain;
  }

  /**
   * Sends the batch early if `length` more bytes would take it past the socket's high-water
   * mark: the peer gets the first responses while we work on the rest, and a batch the kernel
   * takes at once never makes the socket report backpressure.
   */
  private makeRoom(length: number): void {
    if (this.batch.pendingBytes + length > this.socket.writableHighWaterMark) this.flush();
  }

  private readonly flushAtTurnEnd = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    const bytes = this.batch.take();
    if (bytes === undefined || this.closed) return;
    this.writeNow(bytes);
    // Written synchronously, so the kernel has a copy and the arena can be filled again. One
    // long-lived arena instead of a fresh one every few hundred KiB: dead arenas that reached
    // old space pile up as external memory until V8 answers with a full GC every few ms.
    if (this.socket.writableLength === 0) this.batch.recycle();
  }

  private writeNow(bytes: Uint8Array): boolean {
    this.idleTimer?.refresh();
    const ok = this.socket.write(bytes);
    if (!ok && this.options.pauseReadsWhileBackpressured) this.socket.pause();
    return ok;
  }

  /** Resolves when the write buffer has drained (at once if it has), or the connection closed. */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return Promise.resolve();
    this.drainWaiters ??= [];
    const waiters = this.drainWaiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  /** Stops reading requests (graceful shutdown); written responses still go out. */
  stopReading(): void {
    this.readsStopped = true;
    this.socket.pause();
  }

  /** Sends what is queued, then closes the socket. */
  close(error?: RpcxError): void {
    if (this.closed) return;
    this.closeError ??= error;
    this.flush();
    this.socket.end();
    // A peer that never reads would keep the socket half-open forever.
    this.closeTimer = setTimeout(() => this.socket.destroy(), 5_000);
    this.closeTimer.unref();
  }

  /** Closes at once, dropping what is queued. */
  destroy(error?: RpcxError): void {
    this.closeError ??= error;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.idleTimer?.refresh();
    if (this.readsStopped) return;
    const framesBefore = this.framesRead;
    try {
      this.decoder.pushRanges(chunk, this.deliver);
    } catch (error) {
      // Whatever was already queued for earlier, good frames still goes out.
      this.close(toRpcxError(error, `connection ${this.remoteAddress}`));
      return;
    }
    this.watchFrameTime(this.framesRead !== framesBefore);
    // Answers written while the chunk was handled (a server's synchronous handlers) leave now,
    // one write per chunk, without waiting for the end of the turn.
    this.flush();
  }

  private readonly deliver: FrameRangeHandler = (bytes, start, end) => {
    this.framesRead++;
    this.options.onFrameRange(bytes, start, end);
  };

  /**
   * Times the frame being received: the clock starts when a frame's first bytes arrive and
   * restarts whenever a frame completes, so a busy peer whose frames straddle chunks is never
   * cut off, while one that stalls mid-frame is.
   */
  private watchFrameTime(frameCompleted: boolean): void {
    const timeout = this.options.frameTimeoutMs;
    if (!timeout) return;
    if (this.decoder.bufferedBytes === 0) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    } else if (this.frameTimer === undefined) {
      this.frameTimer = setTimeout(FramedConnection.onFrameTimeout, timeout, this);
    } else if (frameCompleted) {
      this.frameTimer.refresh();
    }
  }

  private static onIdle(conn: FramedConnection): void {
    conn.destroy(
      new RpcxError(
        ErrorCode.Timeout,
        `connection ${conn.remoteAddress} idle for ${conn.options.idleTimeoutMs} ms`,
      ),
    );
  }

  private static onFrameTimeout(conn: FramedConnection): void {
    // While we do not read (our own backpressure), the frame cannot complete: not the peer's fault.
    if (conn.socket.isPaused()) {
      conn.frameTimer?.refresh();
      return;
    }
    conn.destroy(
      new RpcxError(
        ErrorCode.Timeout,
        `connection ${conn.remoteAddress} sent part of a frame and stalled for ${conn.options.frameTimeoutMs} ms`,
      ),
    );
  }

  private onDrain(): void {
    if (this.options.pauseReadsWhileBackpressured && !this.readsStopped) this.socket.resume();
    this.releaseDrainWaiters();
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === undefined) return;
    this.drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  private fail(error: RpcxError): void {
    this.closeError ??= error;
  }

  private onSocketClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.frameTimer);
    clearTimeout(this.idleTimer);
    // Cleared, or the closed connection (and what its close error holds) lives 5 s longer.
    clearTimeout(this.closeTimer);
    this.releaseDrainWaiters();
    this.options.onClose?.(this.closeError);
    const side = this.options.side;
    if (side !== undefined && diagnostics.ConnectionClose.hasSubscribers) {
      diagnostics.ConnectionClose.publish(this.describe(side, this.closeError));
    }
  }

  private describe(side: 'client' | 'server', error: RpcxError | undefined): ConnectionMessage {
    return {
      side,
      id: this.id,
      localAddress: this.localAddress,
      remoteAddress: this.remoteAddress,
      error,
    };
  }
}
