import { once } from 'node:events';
import { ErrorCode, RpcxError } from '@rpcx/core';
import { encodeMessage, Message } from '@rpcx/protocol';
import { nextTurn, resolved, settle } from '@rpcx/testing';
import { dial } from './dial.js';
import { FramedConnection } from './framed-connection.js';
import { dialInProcess, listenInProcess } from './in-process.js';
import { InProcessSocket } from './in-process-socket.js';
import { type Listener, listen } from './listen.js';
import type { TransportSocket } from './transport-socket.js';

let listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.map((listener) => listener.close()));
  listeners = [];
});

let names = 0;
const uniqueName = () => `spec-${process.pid}-${++names}`;

async function listenOn(name: string, onConnection: (socket: TransportSocket) => void) {
  const listener = await listen(`inprocess@${name}`, onConnection);
  listeners.push(listener);
  return listener;
}

/** Reads everything `socket` receives. */
function drain(socket: InProcessSocket) {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { bytes: () => Buffer.concat(chunks), chunks };
}

function frame(servicePath: string, size = 0): Buffer {
  return encodeMessage(
    new Message({ servicePath, serviceMethod: 'M', payload: Buffer.alloc(size, 7) }),
  );
}

describe('InProcessSocket.pair', () => {
  test('each end reads what the other wrote, in order, with the addresses of the pair', async () => {
    const [a, b] = InProcessSocket.pair('inprocess@x#1', 'inprocess@x');
    expect([a.localAddress, a.remoteAddress, a.remotePort]).toEqual([
      'inprocess@x#1',
      'inprocess@x',
      undefined,
    ]);
    expect([b.localAddress, b.remoteAddress]).toEqual(['inprocess@x', 'inprocess@x#1']);
    const atB = drain(b);
    const atA = drain(a);
    a.write(Buffer.from('one '));
    a.write(Buffer.from('two'));
    b.write(Buffer.from('back'));
    await settle(() => atB.bytes().length === 7 && atA.bytes().length === 4, 'the bytes');
    expect(atB.bytes().toString()).toBe('one two');
    expect(atA.bytes().toString()).toBe('back');
    expect([a.bytesWritten, b.bytesRead, b.bytesWritten, a.bytesRead]).toEqual([7, 7, 4, 4]);
  });

  test('bytes arrive after the write returned, as copies: the writer may reuse its buffer', async () => {
    const [a, b] = InProcessSocket.pair('a', 'b');
    const atB = drain(b);
    const buffer = Buffer.from('abc');
    a.write(buffer);
    expect(atB.chunks).toEqual([]); // never inside write()
    buffer.fill(0x7a);
    await settle(() => atB.chunks.length > 0, 'the bytes');
    expect(atB.bytes().toString()).toBe('abc');
  });

  test('a peer that does not read pushes back: write() returns false, then drains', async () => {
    const [a, b] = InProcessSocket.pair('a', 'b');
    b.pause();
    const received: Buffer[] = [];
    b.on('data', (chunk: Buffer) => received.push(chunk)); // stays paused
    const chunk = Buffer.alloc(16 * 1024, 1);
    let writes = 0;
    while (a.write(chunk)) writes++;
    expect(a.writableNeedDrain).toBe(true);
    // More writes wait on our side, not in the peer: the peer holds about its high-water mark.
    for (let i = 0; i < 20; i++) a.write(chunk);
    writes += 21;
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(b.readableLength).toBeLessThanOrEqual(b.readableHighWaterMark + chunk.length);
    expect(a.writableLength).toBeGreaterThan(0);
    const drained = once(a, 'drain');
    b.resume();
    await resolved(drained, 'the drain');
    await settle(() => b.bytesRead === writes * chunk.length, 'every byte');
    expect(Buffer.concat(received).length).toBe(writes * chunk.length);
  });

  test('end() gives the peer EOF after the data; both ends close', async () => {
    const [a, b] = InProcessSocket.pair('a', 'b');
    const atB = drain(b);
    drain(a);
    const closedA = once(a, 'close');
    const closedB = once(b, 'close');
    const endedB = once(b, 'end');
    a.end(Buffer.from('last words'));
    await resolved(endedB, 'EOF at the peer');
    expect(atB.bytes().toString()).toBe('last words');
    await resolved(Promise.all([closedA, closedB]), 'both ends to close');
    expect(a.destroyed && b.destroyed).toBe(true);
  });

  test('destroy(): the peer reads what was written, then closes; its later writes fail', async () => {
    const [a, b] = InProcessSocket.pair('a', 'b');
    const atB = drain(b);
    const closedB = once(b, 'close');
    a.write(Buffer.from('sent'));
    a.destroy();
    await resolved(closedB, 'the peer to close');
    expect(atB.bytes().toString()).toBe('sent');

    const [c, d] = InProcessSocket.pair('c', 'd');
    drain(d);
    c.destroy();
    const failed = once(d, 'error');
    d.write(Buffer.from('too late'));
    const [error] = (await resolved(failed, 'the write to fail')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('EPIPE');
  });

  test('a write waiting for a paused peer is released when the peer goes away', async () => {
    const [a, b] = InProcessSocket.pair('a', 'b');
    b.pause();
    const big = Buffer.alloc(256 * 1024);
    a.write(big);
    a.write(big);
    await nextTurn();
    expect(a.writableLength).toBeGreaterThan(0);
    const failed = once(a, 'error');
    b.destroy();
    const [error] = (await resolved(failed, 'the write to fail')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('EPIPE');
    await settle(() => a.destroyed, 'the writer to close');
  });
});

describe('inprocess listen and dial', () => {
  test('dial hands the listener the other end; each dial is numbered', async () => {
    const name = uniqueName();
    const accepted: TransportSocket[] = [];
    const listener = await listenOn(name, (socket) => accepted.push(socket));
    expect(listener.address).toBe(`inprocess@${name}`);
    const first = await dial(`inprocess@${name}`);
    const second = await dial({ network: 'inprocess', name });
    expect(accepted).toHaveLength(2);
    const [n1, n2] = [first, second].map((s) => Number(s.localAddress!.split('#')[1]));
    expect(n2).toBe(n1! + 1);
    expect(first.localAddress).toBe(`inprocess@${name}#${n1}`);
    expect(first.remoteAddress).toBe(`inprocess@${name}`);
    expect(accepted[0]!.remoteAddress).toBe(first.localAddress);
    expect(accepted[0]!.localAddress).toBe(`inprocess@${name}`);
    first.destroy();
    second.destroy();
  });

  test('a taken name is refused as a taken port; closing the listener frees it', async () => {
    const name = uniqueName();
    const listener = await listenOn(name, () => {});
    const taken = await listen(`inprocess@${name}`, () => {}).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(RpcxError);
    expect(taken).toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: `listen inprocess@${name}: address already in use (another listener of this process has it)`,
    });
    await listener.close();
    await listener.close(); // idempotent
    const again = await listenOn(name, () => {});
    expect(again.address).toBe(`inprocess@${name}`);
    // The old listener's close does not take the name from the new one.
    await listener.close();
    (await dial(`inprocess@${name}`)).destroy();
  });

  test('nothing listening: unavailable, naming the address, like a refused tcp connect', async () => {
    const name = uniqueName();
    const error = await dial(`inprocess@${name}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcxError);
    expect(error).toMatchObject({
      code: ErrorCode.Unavailable,
      message: `dial inprocess@${name}: connection refused (nothing listens on inprocess@${name} in this process)`,
    });
    const listener = await listenOn(name, () => {});
    await listener.close();
    await expect(dial(`inprocess@${name}`)).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
    const controller = new AbortController();
    controller.abort();
    await expect(dial(`inprocess@${name}`, { signal: controller.signal })).rejects.toMatchObject({
      code: ErrorCode.Canceled,
    });
  });

  test('a listener that throws fails the dial, and both ends close', async () => {
    const name = uniqueName();
    let server: TransportSocket | undefined;
    await listenOn(name, (socket) => {
      server = socket;
      throw new Error('boom');
    });
    const error = await dial(`inprocess@${name}`).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ErrorCode.Unavailable,
      message: `dial inprocess@${name}: the listener failed to accept`,
    });
    expect(server?.destroyed).toBe(true);
  });

  test('tls options are ignored for inprocess addresses', async () => {
    const name = uniqueName();
    const listener = await listen(`inprocess@${name}`, (socket) => socket.destroy(), {
      tls: { key: 'not used', cert: 'not used' },
    });
    listeners.push(listener);
    (await dial(`inprocess@${name}`, { tls: { ca: 'not used' } })).destroy();
  });

  test('dialInProcess and listenInProcess are the same registry', async () => {
    const name = uniqueName();
    let got: InProcessSocket | undefined;
    listeners.push(
      listenInProcess(name, (socket) => {
        got = socket;
      }),
    );
    const client = dialInProcess(name);
    expect(got?.remoteAddress).toBe(client.localAddress);
    client.destroy();
  });
});

describe('FramedConnection over an in-process pair', () => {
  async function echoPair() {
    const name = uniqueName();
    const serverConns: FramedConnection[] = [];
    const serverClosed: Array<RpcxError | undefined> = [];
    await listenOn(name, (socket) => {
      const conn: FramedConnection = new FramedConnection(socket, {
        onFrameRange: (bytes, start, end) => conn.write(bytes.subarray(start, end)),
        onClose: (error) => serverClosed.push(error),
        pauseReadsWhileBackpressured: true,
      });
      serverConns.push(conn);
    });
    const frames: Buffer[] = [];
    const clientClosed: Array<RpcxError | undefined> = [];
    const client = new FramedConnection(await dial(`inprocess@${name}`), {
      onFrameRange: (bytes, start, end) => frames.push(Buffer.from(bytes.subarray(start, end))),
      onClose: (error) => clientClosed.push(error),
    });
    return { name, client, frames, serverConns, serverClosed, clientClosed };
  }

  test('frames go both ways, small ones coalesced; the ends describe each other', async () => {
    const { name, client, frames, serverConns } = await echoPair();
    for (let i = 0; i < 100; i++) client.write(frame(`S${i}`));
    await settle(() => frames.length === 100, '100 echoes');
    expect(frames).toEqual(Array.from({ length: 100 }, (_, i) => frame(`S${i}`)));
    expect(client.remoteAddress).toBe(`inprocess@${name}`);
    expect(serverConns[0]!.remoteAddress).toBe(client.localAddress);
    expect(client.localAddress).toMatch(new RegExp(`^inprocess@${name}#\\d+$`));
    client.destroy();
  });

  test('several-MB frames, with backpressure both ways', async () => {
    const { client, frames } = await echoPair();
    const big = frame('Big', 5 * 1024 * 1024);
    let sawBackpressure = false;
    for (let i = 0; i < 4; i++) {
      if (!client.write(big)) {
        sawBackpressure = true;
        await client.drained();
      }
    }
    expect(sawBackpressure).toBe(true);
    await settle(() => frames.length === 4, 'four big echoes');
    for (const echoed of frames) expect(echoed.equals(big)).toBe(true);
    client.destroy();
  });

  test('close() on one side: the other sees an orderly close', async () => {
    const { client, frames, serverClosed, clientClosed } = await echoPair();
    client.write(frame('Last'));
    await settle(() => frames.length === 1, 'the echo');
    client.close();
    await settle(() => serverClosed.length === 1 && clientClosed.length === 1, 'both to close');
    expect(serverClosed).toEqual([undefined]);
    expect(clientClosed).toEqual([undefined]);
  });

  test('destroy() on the server side: the client closes at once', async () => {
    const { client, frames, serverConns, clientClosed } = await echoPair();
    client.write(frame('One'));
    await settle(() => frames.length === 1, 'the echo');
    serverConns[0]!.destroy();
    await settle(() => clientClosed.length === 1, 'the client to close');
    expect(client.closed).toBe(true);
  });
});
