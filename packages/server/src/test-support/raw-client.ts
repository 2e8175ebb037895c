/**
 * A tiny rpcx client for tests: real socket (dial + FramedConnection), frames built with
 * encodeMessage and read back with decodeMessage, no client library in between — so the tests
 * see exactly the bytes the server writes.
 */
import type { ConnectionOptions } from 'node:tls';
import { type Metadata, type RpcxError, SerializeType } from '@rpcx/core';
import { decodeMessage, encodeMessage, Message } from '@rpcx/protocol';
import { dial, FramedConnection } from '@rpcx/transport';

export interface RequestInit {
  servicePath?: string;
  serviceMethod?: string;
  seq?: bigint | number;
  serializeType?: number;
  compressType?: number;
  oneway?: boolean;
  heartbeat?: boolean;
  metadata?: Metadata;
  payload?: Uint8Array | string;
  /** Low nibble of byte 3 (echoed by servers). */
  reserved?: number;
  version?: number;
}

const LIMITS = { maxFrameLength: 0xffff_ffff, maxDecompressedLength: 1 << 30 };

/** A request message; JSON by default. */
export function request(init: RequestInit = {}): Message {
  const metadata = Object.create(null) as Metadata;
  Object.assign(metadata, init.metadata);
  const payload =
    typeof init.payload === 'string'
      ? Buffer.from(init.payload)
      : (init.payload ?? new Uint8Array(0));
  const message = new Message({
    servicePath: init.servicePath ?? '',
    serviceMethod: init.serviceMethod ?? '',
    metadata,
    payload,
  });
  message.serializeType = init.serializeType ?? SerializeType.JSON;
  message.compressType = init.compressType ?? 0;
  message.oneway = init.oneway ?? false;
  message.heartbeat = init.heartbeat ?? false;
  message.reserved = init.reserved ?? 0;
  message.version = init.version ?? 0;
  message.seq = BigInt(init.seq ?? 1);
  return message;
}

/** A JSON request whose payload is `JSON.stringify(args)`. */
export function jsonRequest(
  servicePath: string,
  serviceMethod: string,
  args: unknown,
  init: RequestInit = {},
): Message {
  return request({ servicePath, serviceMethod, payload: JSON.stringify(args), ...init });
}

export class RawClient {
  readonly framed: FramedConnection;
  /** Resolves when the socket closed, with the reason (undefined for an orderly close). */
  readonly closed: Promise<RpcxError | undefined>;
  private readonly frames: Buffer[] = [];
  private readonly waiters: Array<() => void> = [];
  private isClosed = false;

  private constructor(
    framed: (client: RawClient) => FramedConnection,
    closed: Promise<RpcxError | undefined>,
  ) {
    this.framed = framed(this);
    this.closed = closed;
  }

  static async connect(
    address: string,
    options: { tls?: ConnectionOptions } = {},
  ): Promise<RawClient> {
    const socket = await dial(address, { tls: options.tls, keepAliveMs: 0 });
    let onClosed!: (error: RpcxError | undefined) => void;
    const closed = new Promise<RpcxError | undefined>((resolve) => {
      onClosed = resolve;
    });
    return new RawClient(
      (client) =>
        new FramedConnection(socket, {
          onFrameRange: (bytes, start, end) =>
            client.received(Buffer.from(bytes.subarray(start, end))),
          onClose: (error) => {
            client.isClosed = true;
            client.wake();
            onClosed(error);
          },
          limits: { maxFrameLength: LIMITS.maxFrameLength },
        }),
      closed,
    );
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Encodes and writes a message. */
  send(message: Message): Message {
    this.framed.write(encodeMessage(message));
    return message;
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array): void {
    this.framed.socket.write(bytes);
  }

  /** Sends a request and waits for the frame with its seq. */
  async call(message: Message, timeoutMs = 5000): Promise<Message> {
    this.send(message);
    return this.waitFor((m) => m.seq === message.seq, timeoutMs);
  }

  /** The next frame, as received (bytes). */
  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.isClosed) throw new Error('connection closed before a frame arrived');
      await this.waitForActivity(deadline, 'a frame');
    }
    return this.frames.shift()!;
  }

  /** The next frame, decoded. */
  async next(timeoutMs = 5000): Promise<Message> {
    return decodeMessage(await this.nextFrame(timeoutMs), { limits: LIMITS });
  }

  /**
   * The first queued-or-arriving frame that matches; others stay queued. Several waiters may
   * look at once: each takes the frame it matched by identity, not by a position that another
   * waiter may have shifted meanwhile.
   */
  async waitFor(match: (message: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frames = [...this.frames];
      const messages = await Promise.all(
        frames.map((frame) => decodeMessage(frame, { limits: LIMITS })),
      );
      for (let i = 0; i < frames.length; i++) {
        const at = this.frames.indexOf(frames[i]!);
        if (at >= 0 && match(messages[i]!)) {
          this.frames.splice(at, 1);
          return messages[i]!;
        }
      }
      if (this.isClosed) throw new Error('connection closed before the expected frame arrived');
      if (this.frames.length === frames.length) {
        await this.waitForActivity(deadline, 'the expected frame');
      }
    }
  }

  /** Frames received and not consumed yet. */
  get queued(): number {
    return this.frames.length;
  }

  /** Resolves if no frame arrives within `ms`; rejects otherwise. */
  async expectSilence(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.frames.length > 0) throw new Error(`expected no frame, got ${this.frames.length}`);
  }

  close(): void {
    this.framed.close();
  }

  destroy(): void {
    this.framed.destroy();
  }

  private received(frame: Buffer): void {
    this.frames.push(frame);
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private waitForActivity(deadline: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        reject(new Error(`timed out waiting for ${what}`));
        return;
      }
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(done);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, remaining);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }
}
