/**
 * The ceiling: a minimal length-prefixed TCP echo, as fast as we can make it in Node. Frames are
 * `uint32 length, payload`. The server writes back every whole frame of a chunk in one write (a
 * view of the chunk, no copy); the client pipelines, coalesces its writes per event-loop turn and
 * matches replies in order. No codec, no header, no dispatch: what rpcx is judged against.
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

export class RawEchoClient {
  private readonly waiting: Array<(reply: Buffer) => void> = [];
  private pending: Buffer | undefined;
  private corked = false;

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
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.socket.destroy();
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
