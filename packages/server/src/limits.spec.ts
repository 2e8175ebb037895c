import { gzipSync } from 'node:zlib';
import { encodeMessage } from '@rpcx/protocol';
import { resolved, settle, useFakeClock } from '@rpcx/testing';
import fc from 'fast-check';
import type { Server, ServerOptions } from './server.js';
import { cleanup, connect, eventually, startServer } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, RawClient, request } from './test-support/raw-client.js';
import type { ServerConnection } from './types.js';

afterEach(async () => {
  jest.useRealTimers();
  await cleanup();
});

/** The server's side of `client`'s connection. */
function connectionOf(server: Server, client: RawClient): ServerConnection {
  const view = server
    .connections()
    .find((conn) => conn.remoteAddress === client.framed.localAddress);
  if (view === undefined) throw new Error('no such connection on the server');
  return view;
}

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

async function guardedServer(options: ServerOptions = {}) {
  const logger = new MemoryLogger();
  const started = await startServer({ logger, ...options }, (s) =>
    s.registerFunction('Svc', 'Echo', (args: unknown) => args),
  );
  const healthy = await connect(started.address);
  return { ...started, logger, healthy };
}

/** The bad client is cut off with a warning naming it; the healthy one keeps working. */
async function expectCutOff(
  setup: Awaited<ReturnType<typeof guardedServer>>,
  bad: RawClient,
  reason: string | RegExp,
): Promise<void> {
  await bad.closed;
  const badAddress = bad.framed.localAddress;
  await eventually(() =>
    setup.logger.entries.some(
      (e) =>
        e.level === 'warn' &&
        e.message.includes(badAddress) &&
        e.fields?.remoteAddress === badAddress,
    ),
  );
  const warning = setup.logger.entries.find(
    (e) => e.level === 'warn' && e.message.includes(badAddress),
  )!;
  expect(warning.message).toMatch(reason);
  const res = await setup.healthy.call(jsonRequest('Svc', 'Echo', 'still here', { seq: 42 }));
  expect(text(res.payload)).toBe('"still here"');
}

describe('bad input closes only that connection, with a clear warning', () => {
  test('garbage bytes (wrong magic)', async () => {
    const setup = await guardedServer();
    const bad = await connect(setup.address);
    bad.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await expectCutOff(setup, bad, /wrong magic number: 71/);
  });

  test('garbage after good frames in the same chunk', async () => {
    const setup = await guardedServer();
    const bad = await connect(setup.address);
    bad.write(
      Buffer.concat([
        encodeMessage(jsonRequest('Svc', 'Echo', 1, { seq: 1 })),
        Buffer.from([0x07, 1, 2, 3]),
      ]),
    );
    await expectCutOff(setup, bad, /wrong magic number: 7/);
  });

  test('an oversized length is refused before anything is buffered', async () => {
    const setup = await guardedServer({ limits: { maxFrameLength: 4096 } });
    const bad = await connect(setup.address);
    const prefix = Buffer.from('08000010000000000000000100000000', 'hex');
    prefix.writeUInt32BE(0xffff_fff0, 12);
    bad.write(prefix);
    await expectCutOff(setup, bad, /message is too long/);
  });

  test('a gzip bomb stops at the decompression cap', async () => {
    const setup = await guardedServer({ limits: { maxDecompressedLength: 1 << 20 } });
    const bad = await connect(setup.address);
    const bomb = gzipSync(Buffer.alloc(32 << 20));
    const frame = encodeMessage(
      request({ servicePath: 'Svc', serviceMethod: 'Echo', payload: bomb, seq: 1 }),
    );
    frame[2] = frame[2]! | (1 << 2); // say gzip without compressing again
    bad.write(frame);
    await expectCutOff(setup, bad, /decompressed size exceeds/);
  });

  // Frame timeouts run on the fake clock, which moves only when the test says so.

  test('a stalled half frame is cut off after the frame timeout', async () => {
    useFakeClock();
    const setup = await guardedServer({ frameTimeoutMs: 60 });
    const bad = await connect(setup.address);
    await settle(() => setup.server.connections().length === 2, 'the server to accept');
    const badView = connectionOf(setup.server, bad);
    const frame = encodeMessage(jsonRequest('Svc', 'Echo', 'x'.repeat(100), { seq: 2 }));
    // One write: a whole request, then the start of the next. The answer to the first one
    // means the server has read both, so its frame clock runs from now.
    bad.write(
      Buffer.concat([
        encodeMessage(jsonRequest('Svc', 'Echo', 1, { seq: 1 })),
        frame.subarray(0, 40),
      ]),
    );
    expect(text((await resolved(bad.next(), 'the answer to the whole request')).payload)).toBe('1');
    // The healthy client keeps talking meanwhile.
    const answer = await resolved(
      setup.healthy.call(jsonRequest('Svc', 'Echo', 1, { seq: 1 })),
      'the healthy client',
    );
    expect(text(answer.payload)).toBe('1');
    jest.advanceTimersByTime(59);
    expect(badView.closed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(badView.closed).toBe(true);
    jest.useRealTimers();
    await expectCutOff(setup, bad, /sent part of a frame and stalled for 60 ms/);
  });

  test('a busy client whose frames straddle chunks is not mistaken for a stalled one', async () => {
    useFakeClock();
    const setup = await guardedServer({ frameTimeoutMs: 60 });
    const client = await connect(setup.address);
    await settle(() => setup.server.connections().length === 2, 'the server to accept');
    const view = connectionOf(setup.server, client);
    let carry: Buffer = Buffer.alloc(0);
    // Every chunk ends inside a frame for 24 × 40 ms (16 frame timeouts), but every frame
    // completes within 40 ms.
    for (let seq = 1; seq <= 25; seq++) {
      const frame = encodeMessage(jsonRequest('Svc', 'Echo', seq, { seq }));
      const half = frame.length >> 1;
      client.write(Buffer.concat([carry, frame.subarray(0, half)]));
      carry = frame.subarray(half);
      if (seq > 1) {
        // This chunk completed the previous frame: its answer says the server has read it.
        const previous = BigInt(seq - 1);
        await resolved(
          client.waitFor((m) => m.seq === previous),
          `the answer to request ${previous}`,
        );
        jest.advanceTimersByTime(40);
        expect(view.closed).toBe(false);
      }
    }
    client.write(carry);
    await resolved(
      client.waitFor((m) => m.seq === 25n),
      'the answer to the last request',
    );
    expect(client.isOpen).toBe(true);
    expect(view.closed).toBe(false);
  });

  test('metadata that lies, a payload length that lies, an unknown compressor', async () => {
    const setup = await guardedServer();
    const good = encodeMessage(jsonRequest('Svc', 'Echo', 'abc', { seq: 1, metadata: { k: 'v' } }));
    // Layout: prefix 16 | 4+3 Svc | 4+4 Echo | 4 metaLen | pairs... | 4 payloadLen | payload
    const metaAt = 16 + 7 + 8;

    const lyingMeta = Buffer.from(good);
    lyingMeta.writeUInt32BE(200, metaAt + 4); // key length past the block
    const bad1 = await connect(setup.address);
    bad1.write(lyingMeta);
    await expectCutOff(setup, bad1, /wrong metadata lines/);

    const lyingPayload = Buffer.from(good);
    lyingPayload.writeUInt32BE(1, lyingPayload.length - 5 - 4);
    const bad2 = await connect(setup.address);
    bad2.write(lyingPayload);
    await expectCutOff(setup, bad2, /payload length/);

    const unknownCompressor = Buffer.from(good);
    unknownCompressor[2] = 5 << 2;
    const bad3 = await connect(setup.address);
    bad3.write(unknownCompressor);
    await expectCutOff(setup, bad3, /unsupported compressor/);
  });

  test('random bytes never crash the server (property)', async () => {
    const setup = await guardedServer({ frameTimeoutMs: 30, limits: { maxFrameLength: 1 << 16 } });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }),
          fc
            .uint8Array({ minLength: 1, maxLength: 300 })
            .map((bytes) => Buffer.concat([Buffer.from([0x08]), bytes])),
        ),
        async (bytes) => {
          const client = await RawClient.connect(setup.address);
          client.write(bytes);
          client.close();
          await client.closed;
        },
      ),
      { numRuns: 40 },
    );
    const res = await setup.healthy.call(jsonRequest('Svc', 'Echo', 'alive', { seq: 7 }));
    expect(text(res.payload)).toBe('"alive"');
  });
});

describe('connection limits', () => {
  test('max connections: extra ones are closed at once, with a log line', async () => {
    const setup = await guardedServer({ maxConnections: 2 });
    const second = await connect(setup.address);
    await eventually(() => setup.server.connections().length === 2);
    const third = await connect(setup.address);
    await third.closed;
    expect(
      setup.logger.messages('warn').some((m) => m.startsWith('rpcx: too many connections (max 2)')),
    ).toBe(true);
    expect(text((await second.call(jsonRequest('Svc', 'Echo', 2, { seq: 1 }))).payload)).toBe('2');
    second.close();
    await eventually(() => setup.server.connections().length === 1);
    const fourth = await connect(setup.address);
    expect(text((await fourth.call(jsonRequest('Svc', 'Echo', 4, { seq: 1 }))).payload)).toBe('4');
  });

  test('idle timeout closes a silent connection', async () => {
    useFakeClock();
    const setup = await guardedServer({ idleTimeoutMs: 50 });
    const idle = await connect(setup.address);
    await settle(() => setup.server.connections().length === 2, 'the server to accept');
    const views = setup.server.connections();
    jest.advanceTimersByTime(49);
    expect(views.map((view) => view.closed)).toEqual([false, false]);
    jest.advanceTimersByTime(1);
    expect(views.map((view) => view.closed)).toEqual([true, true]);
    await resolved(idle.closed, 'the idle client to see the close');
    await resolved(setup.healthy.closed, 'the other client to see the close');
    jest.useRealTimers();
    await eventually(() => setup.logger.messages('warn').some((m) => m.includes('idle for 50 ms')));
  });
});

describe('backpressure', () => {
  test('a client that never reads cannot make the server buffer without bound', async () => {
    const REPLY = Buffer.alloc(256 * 1024, 1);
    const REQUESTS = 400; // 100 MiB of replies
    const { address, server } = await startServer({ maxInFlightPerConnection: 8 }, (s) =>
      s.registerFunction('Big', 'Get', async () => REPLY),
    );
    const client = await connect(address);
    client.framed.socket.pause(); // never read
    const frames = [];
    for (let seq = 1; seq <= REQUESTS; seq++) {
      frames.push(
        encodeMessage(request({ servicePath: 'Big', serviceMethod: 'Get', serializeType: 0, seq })),
      );
    }
    client.write(Buffer.concat(frames));

    await eventually(() => server.connections().length === 1);
    const conn = server.connections()[0]!;
    await eventually(() => conn.readingPaused && conn.pendingWriteBytes > 0);
    let maxPending = 0;
    for (let i = 0; i < 20; i++) {
      maxPending = Math.max(maxPending, conn.pendingWriteBytes);
      expect(conn.inFlight).toBeLessThanOrEqual(8);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(conn.readingPaused).toBe(true);
    // Bounded by what was in flight when reading stopped, far below the 100 MiB asked for.
    expect(maxPending).toBeLessThan(16 * REPLY.length);

    // Once the client reads, every response arrives.
    client.framed.socket.resume();
    const seqs = new Set<bigint>();
    while (seqs.size < REQUESTS) seqs.add((await client.next(10_000)).seq);
    expect(seqs.size).toBe(REQUESTS);
  });

  test('synchronous handlers: reading pauses while the client does not read', async () => {
    const REPLY = Buffer.alloc(128 * 1024, 2);
    const { address, server } = await startServer({}, (s) =>
      s.registerFunction('Big', 'Get', () => REPLY),
    );
    const client = await connect(address);
    client.framed.socket.pause();
    const frames = [];
    for (let seq = 1; seq <= 800; seq++) {
      frames.push(
        encodeMessage(request({ servicePath: 'Big', serviceMethod: 'Get', serializeType: 0, seq })),
      );
    }
    client.write(Buffer.concat(frames));
    await eventually(() => server.connections()[0]?.readingPaused === true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.connections()[0]!.pendingWriteBytes).toBeLessThan(8 * REPLY.length);
    client.framed.socket.resume();
    let received = 0;
    while (received < 800) {
      await client.nextFrame(10_000);
      received++;
    }
  });
});
