/**
 * The ceiling: a minimal length-prefixed TCP echo, as fast as we can make it in Node. Frames are
 * `uint32 length, payload`. The server writes back every whole frame of a chunk in one write (a
 * view of the chunk, no copy); the client pipelines, lays each event-loop turn's frames end to end
 * in one buffer and writes them in 32 KiB pieces, and matches replies in order. No codec, no
 * header, no dispatch: what rpcx is judged against.
 */
import { createServer, type Server, Socket } from 'node:net';

export function startRawEchoServer(port = 0): Promise<Server> {
  const server = createServer({ noDelay: true }, (socket) => {
    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      const bytes = pending ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      while (bytes.length - at >= 4) {
        const frameLength = 4 + bytes.readUInt32BE(at);
        if (bytes.length - at < frameLength) break;
        at += frameLength;
      }
      if (at > 0) socket.write(bytes.subarray(0, at));
      pending = at < bytes.length ? bytes.subarray(at) : undefined;
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * Most bytes the client gathers before writing: sending part of a turn's frames early lets the
 * server start on them while the rest are batched (measured faster than one write per turn).
 */
const BATCH_BYTES = 32 * 1024;
const ARENA_BYTES = 256 * 1024;

export class RawEchoClient {
  private readonly waiting: Array<(reply: Buffer) => void> = [];
  private pending: Buffer | undefined;
  /** Frames not yet written are laid end to end in `arena[start, end)`. */
  private arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
  private start = 0;
  private end = 0;
  private flushScheduled = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static connect(port: number): Promise<RawEchoClient> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.connect(port, '127.0.0.1', () => resolve(new RawEchoClient(socket)));
    });
  }

  /** Sends one frame (length prefix included) and resolves with the echoed frame. */
  call(frame: Buffer): Promise<Buffer> {
    if (this.end - this.start + frame.length > BATCH_BYTES) this.flush();
    if (this.arena.length - this.end < frame.length) {
      // The socket may still hold the old arena's bytes: start a fresh one, never rewind it.
      this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, frame.length));
      this.start = this.end = 0;
    }
    frame.copy(this.arena, this.end);
    this.end += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAtTurnEnd);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  private readonly flushAtTurnEnd = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.end === this.start) return;
    this.socket.write(this.arena.subarray(this.start, this.end));
    this.start = this.end;
    // Taken by the kernel at once: the arena can be filled again from the start.
    if (this.socket.writableLength === 0) this.start = this.end = 0;
  }

  private onData(chunk: Buffer): void {
    const bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (bytes.length - at >= 4) {
      const frameLength = 4 + bytes.readUInt32BE(at);
      if (bytes.length - at < frameLength) break;
      this.waiting.shift()!(bytes.subarray(at, at + frameLength));
      at += frameLength;
    }
    this.pending = at < bytes.length ? bytes.subarray(at) : undefined;
  }
}

/** A frame of the ceiling protocol around `payload`. */
export function rawFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}
