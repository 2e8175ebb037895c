/**
 * A small scriptable rpcx server for the client's tests, built on @rpcx/transport `listen` +
 * FramedConnection and the protocol encoder — independent of @rpcx/server. It records every
 * request (decoded, and its raw frame), answers the way a Go server does (response header cloned
 * from the request, spec §1.11), and can be told to misbehave: stay silent, delay, fail, close
 * mid-call, ignore heartbeats, stop reading, push.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonCodec } from '@rpcx/codecs';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { MessageStatusType, MessageType, type Metadata, MetadataKey } from '@rpcx/core';
import { compressTypeFor, decodeMessage, encodeMessage, Message } from '@rpcx/protocol';
import { FramedConnection, type Listener, listen, type TransportSocket } from '@rpcx/transport';

/** How to answer one request. */
export interface TestReply {
  payload?: Uint8Array;
  metadata?: Metadata;
  /** Answer with an error response carrying this `__rpcx_error__` text. */
  error?: string;
  /** Set the status bits to Error without adding any metadata (Go's "no metadata" case). */
  bareErrorStatus?: boolean;
  /** Answer with this serialize type instead of the request's. */
  serializeType?: number;
  /** Answer with this seq instead of the request's. */
  seq?: number;
}

/** `undefined` = stay silent. */
export type TestHandler = (
  request: Message,
  conn: TestConnection,
) => TestReply | undefined | Promise<TestReply | undefined>;

export interface TestServerOptions {
  /** Default `tcp@127.0.0.1:0` (a free port). */
  address?: string;
  handler?: TestHandler;
  /** Serve TLS with this key and certificate. */
  tls?: { key: string; cert: string };
}

export class TestConnection {
  readonly framed: FramedConnection;
  readonly requests: Message[] = [];
  private reading: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: TransportSocket,
    private readonly server: TestServer,
  ) {
    this.framed = new FramedConnection(socket, {
      onFrameRange: (bytes, start, end) => this.onFrame(Buffer.from(bytes.subarray(start, end))),
    });
  }

  /** Writes a server push (spec §1.15): request, oneway, serialize type 0, server seq. */
  push(servicePath: string, serviceMethod: string, payload: Uint8Array, metadata?: Metadata): void {
    const message = new Message({ servicePath, serviceMethod, metadata, payload });
    message.oneway = true;
    message.seqNumber = this.server.nextPushSeq++;
    this.framed.write(encodeMessage(message));
  }

  /** Writes raw bytes. */
  writeRaw(bytes: Uint8Array): void {
    this.framed.write(bytes);
  }

  /** Stops reading: the client's writes pile up in the kernel, then in the client. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.framed.destroy();
  }

  /** `copy`: the frame in a buffer of its own. Frames are read one after another, in order. */
  private onFrame(copy: Buffer): void {
    this.server.frames.push(copy);
    this.reading = this.reading.then(async () => this.onRequest(await decodeMessage(copy)));
  }

  private onRequest(request: Message): void {
    this.requests.push(request);
    this.server.requests.push(request);
    if (request.heartbeat) {
      if (this.server.heartbeats === 'echo') this.framed.write(heartbeatEcho(request));
      return;
    }
    void Promise.resolve(this.server.handler(request, this)).then((reply) => {
      if (reply === undefined || request.oneway || this.framed.closed) return;
      this.framed.write(responseFrame(request, reply));
    });
  }
}

export class TestServer {
  handler: TestHandler;
  /** `silent` ignores heartbeats (a hung peer). */
  heartbeats: 'echo' | 'silent' = 'echo';
  readonly requests: Message[] = [];
  /** Raw request frames, as received. */
  readonly frames: Buffer[] = [];
  readonly connections: TestConnection[] = [];
  nextPushSeq = 1;

  private constructor(
    private readonly listener: Listener,
    handler: TestHandler,
  ) {
    this.handler = handler;
  }

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    let server: TestServer | undefined;
    const pending: TransportSocket[] = [];
    const listener = await listen(
      options.address ?? 'tcp@127.0.0.1:0',
      (socket) => {
        if (server === undefined) pending.push(socket);
        else server.accept(socket);
      },
      options.tls === undefined ? {} : { tls: options.tls },
    );
    server = new TestServer(listener, options.handler ?? defaultHandler);
    for (const socket of pending) server.accept(socket);
    return server;
  }

  /** A unix socket path in the temp directory, unique per call. */
  static unixAddress(): string {
    return `unix@${join(tmpdir(), `rpcx-client-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.sock`)}`;
  }

  get address(): string {
    return this.listener.address;
  }

  /** The most recent connection. */
  get lastConnection(): TestConnection {
    const conn = this.connections.at(-1);
    if (conn === undefined) throw new Error('no connection yet');
    return conn;
  }

  /** Requests other than heartbeats. */
  get calls(): Message[] {
    return this.requests.filter((request) => !request.heartbeat);
  }

  /** Destroys every connection (the client sees a reset or EOF). */
  dropConnections(): void {
    for (const conn of this.connections) conn.destroy();
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    await this.listener.close();
    this.dropConnections();
  }

  private accept(socket: TransportSocket): void {
    this.connections.push(new TestConnection(socket, this));
  }
}

const codecs = new Map([
  [jsonCodec.serializeType, jsonCodec],
  [msgpackCodec.serializeType, msgpackCodec],
]);

/**
 * The default behaviour, by `service.method`:
 * - `Arith.Mul` — `{ C: A * B }` in the request's codec (JSON or MsgPack);
 * - `Echo.Echo` — the request's payload and metadata back;
 * - `Echo.Delay` — the same after `metadata.delay` ms;
 * - `Echo.Fail` — an error response whose text is the payload (as UTF-8);
 * - `Echo.Silent` — no answer;
 * - `Echo.Close` — closes the connection;
 * - anything else — Go's `rpcx: can't find service <path>`.
 */
export const defaultHandler: TestHandler = async (request, conn) => {
  const name = `${request.servicePath}.${request.serviceMethod}`;
  switch (name) {
    case 'Arith.Mul': {
      const codec = codecs.get(request.serializeType);
      if (codec === undefined) return { error: `can not find codec for ${request.serializeType}` };
      const { A, B } = codec.decode(request.payload) as { A: number; B: number };
      return { payload: codec.encode({ C: A * B }) };
    }
    case 'Echo.Echo':
      return { payload: request.payload, metadata: request.metadata };
    case 'Echo.Delay':
      await new Promise((resolve) => setTimeout(resolve, Number(request.metadata.delay ?? 0)));
      return { payload: request.payload, metadata: request.metadata };
    case 'Echo.Fail':
      return { error: Buffer.from(request.payload).toString('utf8') };
    case 'Echo.Silent':
      return undefined;
    case 'Echo.Close':
      conn.destroy();
      return undefined;
    default:
      return { error: `rpcx: can't find service ${request.servicePath}` };
  }
};

/** A response the way Go's server derives it (spec §1.11). */
export function responseFrame(request: Message, reply: TestReply): Buffer {
  const payload = reply.payload ?? new Uint8Array(0);
  const metadata: Metadata = { ...reply.metadata };
  const response = new Message({
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata,
    payload,
  }).copyHeader(request);
  response.messageType = MessageType.Response;
  response.compressType = compressTypeFor(payload.length, request.compressType);
  if (reply.serializeType !== undefined) response.serializeType = reply.serializeType;
  if (reply.seq !== undefined) response.seqNumber = reply.seq;
  if (reply.error !== undefined) {
    response.statusType = MessageStatusType.Error;
    metadata[MetadataKey.Error] = reply.error;
  }
  if (reply.bareErrorStatus) response.statusType = MessageStatusType.Error;
  return encodeMessage(response);
}

/** Go's heartbeat answer: the request itself with the response bit set. */
function heartbeatEcho(request: Message): Buffer {
  const echo = new Message({
    servicePath: request.servicePath,
    serviceMethod: request.serviceMethod,
    metadata: request.metadata,
    payload: request.payload,
  }).copyHeader(request);
  echo.messageType = MessageType.Response;
  return encodeMessage(echo);
}

/** Polls `check` every 5 ms until it holds. */
export async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
