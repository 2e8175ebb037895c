/**
 * One client connection on the server side: a FramedConnection plus the flow control that keeps
 * a client from making the server buffer without bound. Frames are dispatched as they arrive,
 * synchronously, until one of three limits holds; then they wait in a backlog (at most what was
 * already read) and the socket stops being read:
 *
 * - the client is not reading its responses (the socket's write buffer is over its high-water
 *   mark; FramedConnection pauses reads too, with `pauseReadsWhileBackpressured`);
 * - the connection has `maxInFlight` requests being handled;
 * - the connection has not been accepted yet (async `postConnAccept` plugins).
 */
import {
  ErrorCode,
  peerText,
  type RpcxError,
  type VerifiedCertificate,
  type WarningLimiter,
} from '@rpcx/core';
import { type FrameLimits, FrameWriter, type Message } from '@rpcx/protocol';
import { FramedConnection, type TransportSocket, verifiedPeerCertificate } from '@rpcx/transport';
import { ConnectionView } from './connection-view.js';
import type { ServerConnection } from './types.js';

/** A call that watches its connection: cancelled when the connection closes. */
export interface ConnectionWatcher {
  cancel(): void;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  /** Where per-connection warnings go: rate-limited, so bad peers cannot flood the log. */
  readonly warnings: WarningLimiter;
  /**
   * Handles the frame `bytes[start, end)`; never throws. Calls `conn.requestDone()` when the
   * request is over.
   */
  handleFrame(conn: Connection, bytes: Buffer, start: number, end: number): void;
  /** The socket closed (`error` says why, undefined for an orderly close). */
  connectionClosed(conn: Connection, error: RpcxError | undefined): void;
}

export interface ConnectionSettings {
  limits: FrameLimits;
  writer: ConstructorParameters<typeof FrameWriter>[0];
  idleTimeoutMs: number;
  frameTimeoutMs: number;
  maxInFlight: number;
}

export class Connection implements ServerConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** Read once, here: the handshake is over when a TLS server hands out a socket. */
  readonly peerCertificate: VerifiedCertificate | undefined;
  readonly framed: FramedConnection;
  private readonly writer: FrameWriter;
  /** Made when first asked for: most connections are never shown to a plugin or handler. */
  private connectionView: ConnectionView | undefined;
  /** Calls whose handler asked for `ctx.signal`, cancelled if the connection closes (lazily made). */
  private watchers: Set<ConnectionWatcher> | undefined;
  inFlight = 0;
  /** Set once `postConnAccept` plugins let the connection in. */
  accepted = false;
  /** Set when a request that did not read was already shown to `postReadRequest` plugins. */
  readFailureReported = false;
  private closing = false;
  /** Frames read while requests could not be dispatched (copies' views of the chunks). */
  private readonly backlog: Buffer[] = [];

  constructor(
    readonly socket: TransportSocket,
    readonly network: string,
    private readonly host: ConnectionHost,
    private readonly settings: ConnectionSettings,
  ) {
    this.framed = new FramedConnection(socket, {
      onFrameRange: (bytes, start, end) => this.onFrame(bytes, start, end),
      onClose: (error) => this.onClose(error),
      limits: settings.limits,
      idleTimeoutMs: settings.idleTimeoutMs,
      frameTimeoutMs: settings.frameTimeoutMs,
      pauseReadsWhileBackpressured: true,
      side: 'server',
    });
    this.id = this.framed.id;
    this.remoteAddress = this.framed.remoteAddress;
    this.localAddress = this.framed.localAddress;
    this.peerCertificate = network === 'tls' ? verifiedPeerCertificate(socket) : undefined;
    this.writer = new FrameWriter(settings.writer);
    // Registered after FramedConnection's own listener: on drain, after it resumed reading.
    socket.on('drain', () => this.pump());
    // Nothing is read until the connection is accepted.
    socket.pause();
  }

  /** What plugins and handlers see of this connection. */
  get view(): ConnectionView {
    this.connectionView ??= new ConnectionView(this);
    return this.connectionView;
  }

  /** Cancels `watcher` if the connection closes (until `unwatch`). */
  watch(watcher: ConnectionWatcher): void {
    this.watchers ??= new Set();
    this.watchers.add(watcher);
  }

  unwatch(watcher: ConnectionWatcher): void {
    this.watchers?.delete(watcher);
  }

  get closed(): boolean {
    return this.closing || this.framed.closed;
  }

  get pendingWriteBytes(): number {
    return this.framed.pendingWriteBytes;
  }

  get readingPaused(): boolean {
    return this.socket.isPaused();
  }

  /** Starts serving (after `postConnAccept`). */
  accept(): void {
    this.accepted = true;
    this.pump();
  }

  /** Queues one whole frame; dropped once the connection is closing. */
  write(frame: Uint8Array): boolean {
    if (this.closing) return false;
    return this.framed.write(frame);
  }

  /**
   * Frames `message` straight into the write batch. Throws (writing nothing) when it cannot be
   * framed; dropped once the connection is closing.
   */
  writeMessage(message: Message): boolean {
    if (this.closing) return false;
    return this.framed.writeFrom(this.writer.prepare(message));
  }

  close(): void {
    this.closeFor(undefined);
  }

  /**
   * Stops handling this client's requests and closes after queued responses are written. The
   * socket is still read (and its frames ignored) so that the client's FIN completes the close.
   */
  closeFor(error: RpcxError | undefined): void {
    if (this.closing) return;
    this.closing = true;
    this.backlog.length = 0;
    if (this.socket.isPaused()) this.socket.resume();
    this.framed.close(error);
  }

  /** Closes at once, dropping queued responses. */
  destroy(error?: RpcxError): void {
    this.closing = true;
    this.backlog.length = 0;
    this.framed.destroy(error);
  }

  /** One request is over: maybe dispatch waiting frames and read again. */
  requestDone(): void {
    this.inFlight--;
    if (this.backlog.length > 0 || this.socket.isPaused()) this.pump();
  }

  private onFrame(bytes: Buffer, start: number, end: number): void {
    if (this.closing) return;
    if (this.backlog.length === 0 && this.canDispatch()) {
      this.dispatch(bytes, start, end);
    } else {
      this.backlog.push(bytes.subarray(start, end));
      this.updateFlow();
    }
  }

  private canDispatch(): boolean {
    return (
      this.accepted &&
      !this.closing &&
      this.inFlight < this.settings.maxInFlight &&
      !this.framed.backpressured
    );
  }

  private dispatch(bytes: Buffer, start: number, end: number): void {
    this.inFlight++;
    this.host.handleFrame(this, bytes, start, end);
  }

  private pump(): void {
    while (this.backlog.length > 0 && this.canDispatch()) {
      const frame = this.backlog.shift()!;
      this.dispatch(frame, 0, frame.length);
    }
    this.updateFlow();
  }

  /** Reads while frames can be dispatched; pauses otherwise. */
  private updateFlow(): void {
    if (this.closing || this.framed.closed) return;
    const pause = this.backlog.length > 0 || !this.canDispatch();
    if (pause !== this.socket.isPaused()) {
      if (pause) this.socket.pause();
      else this.socket.resume();
    }
  }

  private onClose(error: RpcxError | undefined): void {
    this.closing = true;
    this.backlog.length = 0;
    if (this.watchers !== undefined) for (const ctx of [...this.watchers]) ctx.cancel();
    this.logClose(error);
    this.host.connectionClosed(this, error);
  }

  /** Says why the connection closed (errors worded by the peer's bytes are cut short). */
  private logClose(error: RpcxError | undefined): void {
    if (error === undefined) return;
    const text = `rpcx: connection ${this.remoteAddress} closed: ${peerText(error.message)}`;
    const detail = { connection: this.id, remoteAddress: this.remoteAddress, code: error.code };
    switch (error.code) {
      case ErrorCode.Unavailable:
      case ErrorCode.Shutdown:
      case ErrorCode.Canceled:
      case ErrorCode.Unauthenticated:
        this.host.warnings.info(text, detail);
        break;
      default:
        this.host.warnings.warn(text, detail);
    }
  }
}
