import { ErrorCode, type Logger, type RpcxMessage } from '@rpcx/core';
import { Client } from './client.js';
import { TestServer, until } from './test-support/test-server.js';

const text = (message: RpcxMessage) => Buffer.from(message.payload).toString();

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => {};
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (m) => warnings.push(m) };
}

describe('server push', () => {
  let server: TestServer;
  let client: Client;

  beforeEach(async () => {
    server = await TestServer.start();
    client = new Client({ address: server.address });
    await client.connect();
    await until(() => server.connections.length === 1);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('reaches onPush handlers with paths, metadata and raw payload', async () => {
    const received: RpcxMessage[] = [];
    const unsubscribe = client.onPush((message) => received.push(message));
    server.lastConnection.push('Notify', 'Event', Buffer.from('hello'), { topic: 'news' });
    await until(() => received.length === 1);
    const [push] = received;
    expect(push!.servicePath).toBe('Notify');
    expect(push!.serviceMethod).toBe('Event');
    expect(text(push!)).toBe('hello');
    expect({ ...push!.metadata }).toEqual({ topic: 'news' });
    expect(push!.serializeType).toBe(0);
    expect(push!.oneway).toBe(true);
    expect(push!.seq).toBe(1n);

    unsubscribe();
    server.lastConnection.push('Notify', 'Event', Buffer.from('unheard'));
    await client.call('Arith', 'Mul', { A: 1, B: 1 }); // the push came before this reply
    expect(received).toHaveLength(1);
  });

  it('never mistakes a push for the response of a call with the same seq', async () => {
    const received: RpcxMessage[] = [];
    client.onPush((message) => received.push(message));
    server.nextPushSeq = 0; // the seq the first call gets
    server.handler = (_request, conn) => {
      conn.push('Notify', 'Event', Buffer.from('push'));
      return { payload: Buffer.from('reply') };
    };
    const reply = await client.call<Uint8Array>('Echo', 'Echo', Buffer.alloc(0), {
      serializeType: 0,
    });
    expect(Buffer.from(reply).toString()).toBe('reply');
    expect(received.map(text)).toEqual(['push']);
    expect(received[0]!.seq).toBe(0n);
  });

  it('flow through pushes() in order and end when the connection closes', async () => {
    const stream = client.pushes();
    for (const word of ['a', 'b', 'c']) server.lastConnection.push('N', 'E', Buffer.from(word));
    const first = await stream.next();
    expect(first.done).toBe(false);
    expect(text(first.value!)).toBe('a');
    // b and c arrive before this reply (same socket, written earlier); then the connection
    // drops: they are still yielded, then the stream is done.
    await client.call('Arith', 'Mul', { A: 1, B: 1 });
    server.dropConnections();
    const rest: string[] = [];
    for await (const message of stream) rest.push(text(message));
    expect(rest).toEqual(['b', 'c']);
    expect(stream.closeReason?.code).toBe(ErrorCode.Unavailable);
    expect(stream.closed).toBe(true);
  });

  it('bounds the buffer, dropping the oldest with one warning per overflow', async () => {
    const logger = recordingLogger();
    const bounded = new Client({ address: server.address, logger, pushBufferSize: 3 });
    try {
      await bounded.connect();
      await until(() => server.connections.length === 2);
      const stream = bounded.pushes();
      for (let i = 1; i <= 6; i++) server.lastConnection.push('N', 'E', Buffer.from(String(i)));
      await bounded.call('Arith', 'Mul', { A: 1, B: 1 });
      expect(stream.dropped).toBe(3);
      expect(logger.warnings).toEqual([
        'rpcx client: push buffer full, dropping the oldest server messages',
      ]);
      const kept: string[] = [];
      for (let i = 0; i < 3; i++) kept.push(text((await stream.next()).value!));
      expect(kept).toEqual(['4', '5', '6']);
      // A per-stream size overrides the client's.
      const roomy = bounded.pushes({ bufferSize: 10 });
      for (let i = 1; i <= 6; i++) server.lastConnection.push('N', 'E', Buffer.from(String(i)));
      await bounded.call('Arith', 'Mul', { A: 1, B: 1 });
      expect(roomy.dropped).toBe(0);
      expect(stream.dropped).toBe(6);
    } finally {
      await bounded.close();
    }
  });

  it('ends streams on close(), on their signal, and when the consumer breaks', async () => {
    const controller = new AbortController();
    const bySignal = client.pushes({ signal: controller.signal });
    const pending = bySignal.next();
    controller.abort();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(bySignal.closeReason).toBeUndefined();

    const byBreak = client.pushes();
    server.lastConnection.push('N', 'E', Buffer.from('x'));
    for await (const message of byBreak) {
      expect(text(message)).toBe('x');
      break;
    }
    expect(byBreak.closed).toBe(true);

    const byClose = client.pushes();
    await client.close();
    await expect(byClose.next()).resolves.toEqual({ done: true, value: undefined });
    expect(byClose.closeReason?.code).toBe(ErrorCode.Shutdown);
    const afterClose = client.pushes();
    expect(afterClose.closed).toBe(true);
    expect(afterClose.closeReason?.code).toBe(ErrorCode.Shutdown);
  });
});
