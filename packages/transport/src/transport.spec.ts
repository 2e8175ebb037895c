import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, RpcxError } from '@rpcx/core';
import type { FrameSource } from '@rpcx/protocol';
import { encodeMessage, Message } from '@rpcx/protocol';
import { createTlsFixture, resolved, settle, type TlsFixture, useFakeClock } from '@rpcx/testing';
import { dial } from './dial.js';
import { FramedConnection, type FramedConnectionOptions } from './framed-connection.js';
import { type Listener, listen } from './listen.js';
import type { TransportSocket } from './transport-socket.js';

function frame(servicePath: string, size = 0): Buffer {
  return encodeMessage(
    new Message({ servicePath, serviceMethod: 'M', payload: Buffer.alloc(size, 1) }),
  );
}

/** A listener whose accepted sockets become FramedConnections that echo every frame. */
async function echoServer(
  address: string,
  extra: Partial<FramedConnectionOptions> = {},
  tls?: TlsFixture,
) {
  const closed: Array<RpcxError | undefined> = [];
  const connections: FramedConnection[] = [];
  const listener = await listen(
    address,
    (socket) => {
      const conn: FramedConnection = new FramedConnection(socket, {
        onFrameRange: (bytes, start, end) => conn.write(bytes.subarray(start, end)),
        onClose: (error) => closed.push(error),
        ...extra,
      });
      connections.push(conn);
    },
    tls ? { tls: { key: tls.key, cert: tls.cert } } : {},
  );
  return { listener, closed, connections };
}

function collect(socket: TransportSocket, options: Partial<FramedConnectionOptions> = {}) {
  const frames: Buffer[] = [];
  const conn = new FramedConnection(socket, {
    onFrameRange: (bytes, start, end) => frames.push(Buffer.from(bytes.subarray(start, end))),
    ...options,
  });
  return { conn, frames };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's end of a connection has read `bytes` bytes and handled them. */
function hasRead(conn: FramedConnection, bytes: number): () => boolean {
  const socket = conn.socket as Socket; // accepted from a tcp listener
  return () => socket.bytesRead >= bytes && socket.readableLength === 0;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('dial, listen and framed connections', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });

  it('exchange frames over tcp, reporting the real port', async () => {
    const server = await echoServer('tcp@127.0.0.1:0');
    listeners.push(server.listener);
    expect(server.listener.address).toMatch(/^tcp@127\.0\.0\.1:\d+$/);
    expect(server.listener.address).not.toBe('tcp@127.0.0.1:0');

    const { conn, frames } = collect(await dial(server.listener.address));
    const sent = [frame('a'), frame('b', 100_000), frame('c')];
    for (const f of sent) conn.write(f);
    await until(() => frames.length === 3);
    expect(frames).toEqual(sent);
    conn.close();
  });

  it('lets a frame source write itself into the batch, in order with copied frames', async () => {
    const server = await echoServer('tcp@127.0.0.1:0');
    listeners.push(server.listener);
    const { conn, frames } = collect(await dial(server.listener.address));
    const sent = [frame('a'), frame('b', 100), frame('c', 40_000), frame('d')];
    const source = (bytes: Buffer): FrameSource => ({
      frameLength: bytes.length,
      writeFrame: (target, start) => bytes.copy(target, start),
    });
    // First into a batch with no arena yet, then one over the batching limit.
    conn.writeFrom(source(sent[0]!));
    conn.write(sent[1]!);
    conn.writeFrom(source(sent[2]!));
    conn.write(sent[3]!);
    await until(() => frames.length === 4);
    expect(frames).toEqual(sent);
    conn.close();
  });

  it('sends nothing of a frame source that throws while writing itself', async () => {
    const server = await echoServer('tcp@127.0.0.1:0');
    listeners.push(server.listener);
    const { conn, frames } = collect(await dial(server.listener.address));
    const failing: FrameSource = {
      frameLength: 64,
      writeFrame: (target, start) => {
        target.fill(0x08, start, start + 20); // half written, then it fails
        throw new Error('cannot encode');
      },
    };
    conn.write(frame('before'));
    expect(() => conn.writeFrom(failing)).toThrow('cannot encode');
    conn.write(frame('after'));
    await until(() => frames.length === 2);
    expect(frames).toEqual([frame('before'), frame('after')]);
    conn.close();
  });

  it('exchange frames over a unix socket', async () => {
    const server = await echoServer(
      `unix@${join(tmpdir(), `rpcx-${process.pid}-${Date.now()}.sock`)}`,
    );
    listeners.push(server.listener);
    const { conn, frames } = collect(await dial(server.listener.address));
    conn.write(frame('unix'));
    await until(() => frames.length === 1);
    expect(frames[0]).toEqual(frame('unix'));
    conn.close();
  });

  it('exchange frames over TLS, verifying the server certificate', async () => {
    const tls = createTlsFixture();
    try {
      const server = await echoServer('tls@127.0.0.1:0', {}, tls);
      listeners.push(server.listener);
      expect(server.listener.address).toMatch(/^tls@127\.0\.0\.1:\d+$/);
      const { conn, frames } = collect(
        await dial(server.listener.address, { tls: { ca: tls.ca } }),
      );
      conn.write(frame('secret', 5000));
      await until(() => frames.length === 1);
      expect(frames[0]).toEqual(frame('secret', 5000));
      conn.close();

      // Without the CA, the handshake fails with a clear, retryable error.
      await expect(dial(server.listener.address, { tls: {} })).rejects.toMatchObject({
        code: ErrorCode.Unavailable,
        message: expect.stringMatching(/^dial tls@127\.0\.0\.1:\d+: .*certificate/),
      });
    } finally {
      tls.dispose();
    }
  });

  it('sends what was written while a chunk was handled as soon as the chunk is done', async () => {
    // Seen from a microtask, which runs after the chunk's handling and before the turn ends.
    const waitingAfterChunk: number[] = [];
    const listener = await listen('tcp@127.0.0.1:0', (socket) => {
      const conn: FramedConnection = new FramedConnection(socket, {
        onFrameRange: (bytes, start, end) => {
          conn.write(bytes.subarray(start, end));
          queueMicrotask(() => waitingAfterChunk.push(conn.pendingWriteBytes));
        },
      });
    });
    listeners.push(listener);
    const { conn, frames } = collect(await dial(listener.address));
    try {
      conn.write(frame('a'));
      await until(() => frames.length === 1);
      expect(waitingAfterChunk).toEqual([0]);
    } finally {
      conn.close();
    }
  });

  it('coalesces the frames written in one turn into one write', async () => {
    const server = createServer();
    const chunks: Buffer[] = [];
    server.on('connection', (s) => s.on('data', (c: Buffer) => chunks.push(c)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const { conn } = collect(await dial(`tcp@127.0.0.1:${port}`));
    const frames = Array.from({ length: 100 }, (_, i) => frame(`s${i}`));
    for (const f of frames) conn.write(f);
    await until(() => Buffer.concat(chunks).length === Buffer.concat(frames).length);
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat(frames));
    expect(chunks.length).toBe(1);
    conn.destroy();
    server.close();
  });

  it('delivers every frame intact when the peer stops reading for many turns', async () => {
    // Batches the kernel does not take at once stay with the socket: the batch must not write
    // later frames over them.
    const server = createServer();
    let peer: Socket | undefined;
    server.on('connection', (s) => {
      peer = s;
      s.pause();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const { conn } = collect(await dial(`tcp@127.0.0.1:${port}`));
    try {
      await until(() => peer !== undefined);
      const frames: Buffer[] = [];
      for (let turn = 0; turn < 40; turn++) {
        for (let i = 0; i < 50; i++) {
          const f = frame(`t${turn}-${i}`, 2000);
          frames.push(f);
          conn.write(f);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(conn.pendingWriteBytes).toBeGreaterThan(0); // the kernel could not take it all
      const received: Buffer[] = [];
      let receivedBytes = 0;
      peer!.on('data', (c: Buffer) => {
        received.push(c);
        receivedBytes += c.length;
      });
      peer!.resume();
      const expected = Buffer.concat(frames);
      await until(() => receivedBytes >= expected.length);
      expect(Buffer.concat(received).equals(expected)).toBe(true);
    } finally {
      conn.destroy();
      peer?.destroy();
      server.close();
    }
  });

  it('fails a dial to a closed port with a retryable error', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    server.close();
    const error = await dial(`tcp@127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcxError);
    expect((error as RpcxError).code).toBe(ErrorCode.Unavailable);
    expect((error as RpcxError).message).toMatch(
      `dial tcp@127.0.0.1:${port}: connect ECONNREFUSED`,
    );
    expect((error as RpcxError).retryable).toBe(true);
  });

  it('cancels a dial with an AbortSignal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(dial('tcp@127.0.0.1:1', { signal: controller.signal })).rejects.toMatchObject({
      code: ErrorCode.Canceled,
    });
  });

  it('refuses to listen on a port in use, saying so', async () => {
    const server = await echoServer('tcp@127.0.0.1:0');
    listeners.push(server.listener);
    await expect(listen(server.listener.address, () => {})).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: expect.stringContaining('EADDRINUSE'),
    });
  });

  it('closes only the connection that sends a bad frame, reporting why', async () => {
    const server = await echoServer('tcp@127.0.0.1:0');
    listeners.push(server.listener);
    const good = collect(await dial(server.listener.address));
    const bad = await dial(server.listener.address);
    const badClosed = once(bad, 'close');
    bad.write('GET / HTTP/1.1\r\n\r\n');
    await badClosed;
    await until(() => server.closed.length === 1);
    expect(server.closed[0]).toMatchObject({
      code: ErrorCode.Protocol,
      message: expect.stringContaining('wrong magic number: 71'),
    });

    good.conn.write(frame('still-here'));
    await until(() => good.frames.length === 1);
    expect(good.conn.closed).toBe(false);
    good.conn.close();
  });

  it('refuses an oversized frame from its prefix', async () => {
    const server = await echoServer('tcp@127.0.0.1:0', { limits: { maxFrameLength: 1024 } });
    listeners.push(server.listener);
    const socket = await dial(server.listener.address);
    const closed = once(socket, 'close');
    socket.write(frame('big', 10_000).subarray(0, 16));
    await closed;
    await until(() => server.closed.length === 1);
    expect(server.closed[0]).toMatchObject({ code: ErrorCode.MessageTooLarge });
  });

  // Frame and idle timeouts: the clock is fake and driven by the test; only the I/O is real.

  /**
   * With the clock just started for `peer`: open 1 ms before `ms`, closed at `ms` with a
   * timeout whose message contains `why`, and our socket closed too.
   */
  async function expectTimeoutAt(
    ms: number,
    peer: { closed: boolean },
    ourClose: Promise<unknown>,
    server: { closed: unknown[] },
    why: string,
  ): Promise<void> {
    jest.advanceTimersByTime(ms - 1);
    expect(peer.closed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(peer.closed).toBe(true);
    await resolved(ourClose, 'our socket to close');
    await settle(() => server.closed.length === 1, 'the server to report the close');
    expect(server.closed[0]).toMatchObject({
      code: ErrorCode.Timeout,
      message: expect.stringContaining(why),
    });
  }

  it('cuts off a peer that sends half a frame and stalls, after exactly the frame timeout', async () => {
    useFakeClock();
    const server = await echoServer('tcp@127.0.0.1:0', { frameTimeoutMs: 100 });
    listeners.push(server.listener);
    const socket = await dial(server.listener.address);
    try {
      const closed = once(socket, 'close');
      await settle(() => server.connections.length === 1, 'the server to accept');
      const peer = server.connections[0]!;
      socket.write(frame('half', 100).subarray(0, 40));
      await settle(hasRead(peer, 40), 'the server to read the half frame');
      await expectTimeoutAt(
        100,
        peer,
        closed,
        server,
        'sent part of a frame and stalled for 100 ms',
      );
    } finally {
      socket.destroy();
    }
  });

  it('keeps a busy peer whose frames always straddle chunks, however long it talks', async () => {
    useFakeClock();
    const server = await echoServer('tcp@127.0.0.1:0', { frameTimeoutMs: 100 });
    listeners.push(server.listener);
    const { conn, frames } = collect(await dial(server.listener.address));
    try {
      await settle(() => server.connections.length === 1, 'the server to accept');
      const peer = server.connections[0]!;
      const one = frame('busy', 50);
      const stream = Buffer.concat(Array.from({ length: 40 }, () => one));
      // Each write ends in the middle of a frame and completes at least one; 60 ms pass between
      // writes, so a frame is always under way while the writes last 18 frame timeouts.
      const piece = Math.floor(one.length * 1.37);
      for (let at = 0; at < stream.length; at += piece) {
        conn.socket.write(stream.subarray(at, at + piece));
        await settle(hasRead(peer, Math.min(at + piece, stream.length)), 'the server to read');
        jest.advanceTimersByTime(60);
        expect(peer.closed).toBe(false);
      }
      await settle(() => frames.length === 40, 'every frame echoed');
      expect(server.closed).toEqual([]);
    } finally {
      conn.destroy();
    }
  });

  it('does not blame the peer for a frame it cannot finish while we are not reading', async () => {
    useFakeClock();
    const server = await echoServer('tcp@127.0.0.1:0', { frameTimeoutMs: 50 });
    listeners.push(server.listener);
    const { conn, frames } = collect(await dial(server.listener.address));
    try {
      await settle(() => server.connections.length === 1, 'the server to accept');
      const peer = server.connections[0]!;
      const one = frame('paused', 100);
      conn.socket.write(one.subarray(0, 30));
      await settle(hasRead(peer, 30), 'the server to read the first part');
      jest.advanceTimersByTime(10);
      peer.socket.pause(); // e.g. the server's own backpressure
      jest.advanceTimersByTime(150); // three frame timeouts
      expect(peer.closed).toBe(false);
      peer.socket.resume();
      conn.socket.write(one.subarray(30));
      await settle(() => frames.length === 1, 'the frame echoed');
      expect(frames[0]).toEqual(one);
      expect(server.closed).toEqual([]);
    } finally {
      conn.destroy();
    }
  });

  it('closes a connection after the idle timeout, counted from its last traffic', async () => {
    useFakeClock();
    const server = await echoServer('tcp@127.0.0.1:0', { idleTimeoutMs: 100 });
    listeners.push(server.listener);
    const { conn, frames } = collect(await dial(server.listener.address));
    try {
      const closed = once(conn.socket, 'close');
      await settle(() => server.connections.length === 1, 'the server to accept');
      const peer = server.connections[0]!;
      jest.advanceTimersByTime(60);
      conn.write(frame('ping')); // read and echoed at 60 ms: the idle clock restarts
      await settle(() => frames.length === 1, 'the echo');
      await expectTimeoutAt(100, peer, closed, server, 'idle for 100 ms');
    } finally {
      conn.destroy();
    }
  });

  it('reports backpressure from a peer that does not read, and pauses reads when asked', async () => {
    let peer: Socket | undefined;
    const server = createServer((s) => {
      peer = s;
      s.pause();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const { conn } = collect(await dial(`tcp@127.0.0.1:${port}`), {
      pauseReadsWhileBackpressured: true,
    });
    await until(() => peer !== undefined);

    try {
      // Write until the kernel buffers are full too: then drained() stops resolving.
      const big = frame('big', 256 * 1024);
      let stuck = false;
      for (let writes = 0; !stuck; writes++) {
        if (writes > 2000) throw new Error('never backpressured');
        if (!conn.write(big)) {
          stuck = !(await Promise.race([
            conn.drained().then(() => true),
            sleep(100).then(() => false),
          ]));
        }
      }
      expect(conn.backpressured).toBe(true);
      expect(conn.pendingWriteBytes).toBeGreaterThan(0);
      expect(conn.socket.isPaused()).toBe(true);

      let drained = false;
      const waiting = conn.drained().then(() => {
        drained = true;
      });
      await sleep(50);
      expect(drained).toBe(false);
      peer!.resume();
      await waiting;
      expect(conn.socket.isPaused()).toBe(false);
    } finally {
      conn.destroy();
      server.close();
    }
  });
});
