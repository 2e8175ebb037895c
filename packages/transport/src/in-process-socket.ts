/**
 * Two connected in-memory sockets: what one end writes the other reads, in order, as if a kernel
 * carried the bytes between two sockets (Node 20 has no `stream.duplexPair`). Both ends are
 * `Duplex` streams with the addresses of a socket, so a `FramedConnection` runs over them as over
 * TCP.
 *
 * - Bytes are copied when written (the writer may reuse its buffer once the write is done, as
 *   `FramedConnection` reuses its write arena) and reach the peer at the end of the event-loop
 *   turn, never inside `write()`: no re-entrant read while a write is under way.
 * - Backpressure: a write is done at once while the bytes the peer has not read stay under the
 *   high-water mark; past it, when the peer has read them. Meanwhile further writes wait in the
 *   writable buffer and `write()` returns false, as a full socket buffer does.
 * - `end()` gives the peer EOF after the bytes written; both ends close once both have ended
 *   (no half-open ends, as `net.Socket`'s default).
 * - `destroy()` drops what waits in the writable buffer; the peer reads what was already written,
 *   then EOF, and closes. A write to an end whose peer is destroyed fails with `EPIPE`.
 */
import { Duplex } from 'node:stream';

/** Bytes in flight (written, unread by the peer) before a write waits; Node 22's socket default. */
const HIGH_WATER_MARK = 64 * 1024;

type WriteCallback = (error?: Error | null) => void;

export class InProcessSocket extends Duplex {
  /** Undefined, as the addresses are names, not IP addresses. */
  readonly remotePort: number | undefined = undefined;
  readonly localPort: number | undefined = undefined;
  /** Bytes received and bytes written, as `net.Socket` counts them. */
  bytesRead = 0;
  bytesWritten = 0;
  private peer!: InProcessSocket;
  /** Copies written and not yet handed to the peer. */
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private deliveryScheduled = false;
  /** The callback of a write the peer has not made room for yet. */
  private blockedWrite: WriteCallback | undefined = undefined;
  /** `_final`'s callback, or true once destroyed: the peer gets EOF after the outbox. */
  private ending: WriteCallback | true | undefined = undefined;
  private eofSent = false;

  private constructor(
    readonly localAddress: string,
    readonly remoteAddress: string,
  ) {
    super({
      allowHalfOpen: false,
      readableHighWaterMark: HIGH_WATER_MARK,
      writableHighWaterMark: HIGH_WATER_MARK,
    });
  }

  /** Two connected ends: the first's local address is the second's remote one, and back. */
  static pair(firstAddress: string, secondAddress: string): [InProcessSocket, InProcessSocket] {
    const first = new InProcessSocket(firstAddress, secondAddress);
    const second = new InProcessSocket(secondAddress, firstAddress);
    first.peer = second;
    second.peer = first;
    return [first, second];
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.send(Buffer.from(chunk), callback); // Buffer.from(Buffer) copies
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    this.send(Buffer.concat(chunks.map((entry) => entry.chunk)), callback);
  }

  override _final(callback: WriteCallback): void {
    this.ending = callback;
    this.scheduleDelivery();
  }

  /** We want more (the bytes we hold are being read): the peer's waiting write is done. */
  override _read(): void {
    this.peer.releaseIfRoom(true);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const blocked = this.blockedWrite;
    this.blockedWrite = undefined;
    blocked?.();
    this.ending = true;
    this.scheduleDelivery();
    this.peer.peerDestroyed();
    callback(error);
  }

  private send(copy: Buffer, callback: WriteCallback): void {
    if (this.peer.destroyed) {
      callback(epipe());
      return;
    }
    this.bytesWritten += copy.length;
    this.outbox.push(copy);
    this.outboxBytes += copy.length;
    this.scheduleDelivery();
    if (this.outboxBytes + this.peer.readableLength < this.writableHighWaterMark) callback();
    else this.blockedWrite = callback;
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    setImmediate(this.deliver);
  }

  /** Hands the outbox (and EOF, once ending) to the peer. */
  private readonly deliver = (): void => {
    this.deliveryScheduled = false;
    const peer = this.peer;
    const chunks = this.outbox;
    this.outbox = [];
    this.outboxBytes = 0;
    if (!peer.destroyed && !this.eofSent) {
      for (const chunk of chunks) {
        peer.bytesRead += chunk.length;
        peer.push(chunk);
      }
    }
    const ending = this.ending;
    if (ending !== undefined) {
      if (!this.eofSent && !peer.destroyed) peer.push(null);
      this.eofSent = true;
      if (ending !== true) {
        this.ending = true;
        ending();
      }
    }
    this.releaseIfRoom(false);
  };

  /**
   * Ends the wait of a blocked write once its bytes reached the peer and the peer has room: it
   * asked for more (`peerReading`; its buffer is being read out), or holds less than its mark.
   */
  private releaseIfRoom(peerReading: boolean): void {
    const blocked = this.blockedWrite;
    if (blocked === undefined || this.outboxBytes > 0) return;
    if (!peerReading && this.peer.readableLength >= this.peer.readableHighWaterMark) return;
    this.blockedWrite = undefined;
    blocked();
  }

  /** The peer is gone: a write that waits for it to read never will. */
  private peerDestroyed(): void {
    const blocked = this.blockedWrite;
    this.blockedWrite = undefined;
    blocked?.(epipe());
  }
}

/** The error of a write to a closed peer, shaped as Node's (`code` = `EPIPE`). */
function epipe(): Error {
  return Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' });
}
