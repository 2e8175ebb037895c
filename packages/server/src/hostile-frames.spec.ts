/**
 * Hostile frames on real sockets (ARCHITECTURE §4, spec §1.5, §1.7, §1.8): a frame that fits the
 * frame limit but carries millions of metadata pairs, a block under the byte limit with too many
 * pairs, and gzip bombs. Each is refused with a log line naming the limit and closes only its own
 * connection; other clients keep being answered while it arrives or inflates. "The event loop was
 * not held" is shown by counting event-loop turns (setImmediate ticks, answered calls), never by
 * timing.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import type { ConnectionInfo } from '@rpcx/core';
import { DEFAULT_LIMITS, encodeMessage, gzipCompressor } from '@rpcx/protocol';
import type { ServerOptions } from './server.js';
import { cleanup, connect, startServer } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, type RawClient, request } from './test-support/raw-client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

afterEach(cleanup);

const MiB = 1024 * 1024;
const text = (payload: Uint8Array) => Buffer.from(payload).toString();

/**
 * A request frame built by hand: `Svc.Echo`, JSON, payload `1`, and a metadata block of `pairs`
 * empty pairs (each 8 zero bytes: keyLen 0, valueLen 0) — Buffer.alloc leaves them zero.
 */
function frameWithEmptyPairs(pairs: number, seq = 1): Buffer {
  const servicePath = Buffer.from('Svc');
  const serviceMethod = Buffer.from('Echo');
  const payload = Buffer.from('1');
  const metaLength = 8 * pairs;
  const totalLength =
    4 + servicePath.length + 4 + serviceMethod.length + 4 + metaLength + 4 + payload.length;
  const frame = Buffer.alloc(16 + totalLength);
  frame[0] = 0x08; // magic
  frame[3] = 0x10; // serialize type 1 (JSON)
  frame.writeBigUInt64BE(BigInt(seq), 4);
  frame.writeUInt32BE(totalLength, 12);
  let at = 16;
  at = frame.writeUInt32BE(servicePath.length, at);
  at += servicePath.copy(frame, at);
  at = frame.writeUInt32BE(serviceMethod.length, at);
  at += serviceMethod.copy(frame, at);
  at = frame.writeUInt32BE(metaLength, at);
  at += metaLength;
  at = frame.writeUInt32BE(payload.length, at);
  payload.copy(frame, at);
  return frame;
}

/** A raw (serialize type 0) request whose payload is `gzipped`, flagged as gzip, not re-compressed. */
function gzipFrame(servicePath: string, serviceMethod: string, gzipped: Buffer, seq = 1): Buffer {
  const frame = encodeMessage(
    request({ servicePath, serviceMethod, serializeType: 0, payload: gzipped, seq }),
  );
  frame[2] = frame[2]! | (1 << 2); // compress type 1
  return frame;
}

/** Lets pending callbacks run, then collects garbage (twice: weak callbacks free external memory). */
async function settleAndCollect(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
}

/** Counts event-loop turns (one setImmediate per turn) until stopped. */
function countTurns() {
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get ticks() {
      return ticks;
    },
    stop() {
      running = false;
    },
  };
}

/**
 * Calls `Svc.Echo` on `client` one after another (each answer checked) until stopped, counting
 * the answers.
 */
function keepCalling(client: RawClient, firstSeq = 10_000) {
  let answered = 0;
  let running = true;
  const loop = (async () => {
    for (let seq = firstSeq; running; seq++) {
      const res = await client.call(jsonRequest('Svc', 'Echo', seq, { seq }));
      expect(res.seq).toBe(BigInt(seq));
      expect(text(res.payload)).toBe(String(seq));
      answered++;
    }
  })();
  return {
    get answered() {
      return answered;
    },
    async stop(): Promise<number> {
      running = false;
      await loop;
      return answered;
    },
  };
}

/**
 * `count` calls written at once on `client` (nothing else may read from it meanwhile); resolves
 * when every one was answered correctly, in whatever order.
 */
async function concurrentCalls(client: RawClient, count: number, firstSeq: number): Promise<void> {
  const seqs = Array.from({ length: count }, (_, i) => firstSeq + i);
  for (const seq of seqs) client.send(jsonRequest('Svc', 'Echo', { n: seq }, { seq }));
  const answers = new Map<bigint, unknown>();
  while (answers.size < count) {
    const res = await client.next(15_000);
    answers.set(res.seq, JSON.parse(text(res.payload)).n);
  }
  expect([...answers.keys()].sort((a, b) => Number(a - b))).toEqual(seqs.map(BigInt));
  for (const [seq, n] of answers) expect(n).toBe(Number(seq));
}

/**
 * A server with `Svc.Echo` (JSON echo) and `Raw.Digest` (raw payload → "length:sha256"), a memory
 * logger, and a plugin that notes the event-loop turn at which each connection's frame starts to
 * be read (`preReadRequest`: just before it is decoded and inflated).
 */
async function hostileSetup(options: ServerOptions = {}) {
  const logger = new MemoryLogger();
  const readStarted = new Map<string, number>();
  let turns: ReturnType<typeof countTurns> | undefined;
  const started = await startServer({ logger, ...options }, (s) => {
    s.registerFunction('Svc', 'Echo', (args: unknown) => args);
    s.registerFunction('Raw', 'Digest', (args: Uint8Array) =>
      Buffer.from(`${args.length}:${createHash('sha256').update(args).digest('hex')}`),
    );
    s.addPlugin({
      name: 'read-marker',
      preReadRequest(conn: ConnectionInfo) {
        if (!readStarted.has(conn.remoteAddress)) {
          readStarted.set(conn.remoteAddress, turns?.ticks ?? -1);
        }
      },
    });
  });
  return {
    ...started,
    logger,
    /** Starts counting turns; `readStarted` then records the tick count per remote address. */
    countTurns() {
      turns = countTurns();
      return turns;
    },
    readStarted,
  };
}

/** The warning that closed `client`'s connection (the server logs it under its remote address). */
function closeWarning(logger: MemoryLogger, client: RawClient) {
  const address = client.framed.localAddress;
  const warnings = logger.entries.filter(
    (e) => e.level === 'warn' && e.fields?.remoteAddress === address,
  );
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.message).toContain(`rpcx: connection ${address} closed: `);
  return warnings[0]!;
}

async function waitForCloseWarning(logger: MemoryLogger, client: RawClient) {
  const address = client.framed.localAddress;
  for (let i = 0; i < 600; i++) {
    if (logger.entries.some((e) => e.level === 'warn' && e.fields?.remoteAddress === address)) {
      return closeWarning(logger, client);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no warning logged for ${address}`);
}

describe('metadata blocks that would hold the event loop', () => {
  test('4 Mi empty pairs (32 MiB, inside the frame limit) are refused by maxMetadataBytes while other clients are served', async () => {
    const setup = await hostileSetup();
    const pinger = await connect(setup.address);
    const batch = await connect(setup.address);
    const bad = await connect(setup.address);
    const frame = frameWithEmptyPairs(4 * 1024 * 1024); // 32 MiB of metadata
    expect(frame.length - 16).toBeLessThan(DEFAULT_LIMITS.maxFrameLength);
    expect(frame.length).toBeGreaterThan(32 * MiB);
    expect(frame.length - 16).toBeGreaterThan(DEFAULT_LIMITS.maxMetadataBytes);

    const turns = setup.countTurns();
    const calls = keepCalling(pinger);
    try {
      bad.write(frame);
      // Calls sent on another connection while the 32 MiB arrive: every one is answered.
      await concurrentCalls(batch, 50, 1);
      await bad.closed;

      const warning = await waitForCloseWarning(setup.logger, bad);
      expect(warning.message).toContain('maxMetadataBytes');
      expect(warning.message).toContain(
        `metadata of ${32 * MiB} bytes exceeds the limit of ${MiB} (maxMetadataBytes)`,
      );
      expect(warning.fields?.code).toBe('message_too_large');
      // Refused by its length, before one pair was parsed: the work is bounded whatever the
      // block holds (how many turns pass while 32 MiB arrive depends on the machine, so it is
      // not asserted). The other connections are served afterwards too.
      await concurrentCalls(batch, 50, 1000);
      const before = calls.answered;
      while (calls.answered < before + 3) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await calls.stop();
      turns.stop();
    }
    expect(pinger.isOpen).toBe(true);
    expect(batch.isOpen).toBe(true);
    expect(setup.server.connections()).toHaveLength(2);
  });

  test('20 000 empty pairs (156 KiB, under maxMetadataBytes) are refused by maxMetadataEntries', async () => {
    const setup = await hostileSetup();
    const healthy = await connect(setup.address);
    const bad = await connect(setup.address);
    const frame = frameWithEmptyPairs(20_000);
    expect(8 * 20_000).toBeLessThan(DEFAULT_LIMITS.maxMetadataBytes);

    bad.write(frame);
    await concurrentCalls(healthy, 20, 1);
    await bad.closed;
    const warning = await waitForCloseWarning(setup.logger, bad);
    expect(warning.message).toContain('maxMetadataEntries');
    expect(warning.message).toContain('1025 entries or more exceeds the limit of 1024');
    expect(warning.message).not.toContain('maxMetadataBytes');
    await concurrentCalls(healthy, 20, 100);

    // 1024 pairs are still fine (all the same empty key: the map holds one).
    const atLimit = await connect(setup.address);
    atLimit.write(frameWithEmptyPairs(1024, 6));
    const raw = await atLimit.waitFor((m) => m.seq === 6n);
    expect(text(raw.payload)).toBe('1');
    expect(raw.metadata).toEqual({});
    expect(atLimit.isOpen).toBe(true);
  });

  test('custom limits: maxMetadataEntries 5 lets a Go-sized request (3 pairs) through and refuses 6', async () => {
    const setup = await hostileSetup({ limits: { maxMetadataEntries: 5 } });
    const client = await connect(setup.address);
    const goSized = { __AUTH: 'token', __ServerTimeout: '1000', traceparent: '00-abc-def-01' };
    const res = await client.call(jsonRequest('Svc', 'Echo', 'ok', { seq: 1, metadata: goSized }));
    expect(text(res.payload)).toBe('"ok"');
    const five = { a: '1', b: '2', c: '3', d: '4', e: '5' };
    const res5 = await client.call(jsonRequest('Svc', 'Echo', 'five', { seq: 2, metadata: five }));
    expect(text(res5.payload)).toBe('"five"');

    const bad = await connect(setup.address);
    bad.send(jsonRequest('Svc', 'Echo', 'six', { seq: 1, metadata: { ...five, f: '6' } }));
    await bad.closed;
    const warning = await waitForCloseWarning(setup.logger, bad);
    expect(warning.message).toContain('metadata of 6 entries or more exceeds the limit of 5');
    expect(warning.message).toContain('maxMetadataEntries');
    await expect(bad.next(200)).rejects.toThrow(/closed/); // no answer was sent

    const again = await client.call(jsonRequest('Svc', 'Echo', 'still', { seq: 3 }));
    expect(text(again.payload)).toBe('"still"');
  });
});

describe('gzip bombs and large compressed payloads', () => {
  let bomb: Buffer; // 256 MiB of zeros, gzipped (~256 KiB)
  beforeAll(() => {
    bomb = gzipSync(Buffer.alloc(256 * MiB));
  });

  test('a 256 MiB bomb is refused at the default 64 MiB cap; others are answered while it inflates', async () => {
    expect(bomb.length).toBeLessThan(MiB);
    const setup = await hostileSetup();
    const pinger = await connect(setup.address);
    const bad = await connect(setup.address);

    const turns = setup.countTurns();
    const calls = keepCalling(pinger);
    let answeredWhenReadStarted = -1;
    let answeredWhenClosed = -1;
    let ticksWhenClosed = -1;
    try {
      const badAddress = bad.framed.localAddress;
      bad.write(gzipFrame('Raw', 'Digest', bomb));
      // The answers counted from the moment the bomb started to inflate.
      const watch = (async () => {
        while (!setup.readStarted.has(badAddress) && bad.isOpen) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        answeredWhenReadStarted = calls.answered;
      })();
      await bad.closed;
      answeredWhenClosed = calls.answered;
      ticksWhenClosed = turns.ticks;
      await watch;
    } finally {
      await calls.stop();
      turns.stop();
    }

    const warning = await waitForCloseWarning(setup.logger, bad);
    expect(warning.message).toContain(
      `decompressed size exceeds the maximum allowed size of ${64 * MiB} bytes (maxDecompressedLength)`,
    );
    expect(warning.fields?.code).toBe('message_too_large');
    // Inflating to the cap is 1024 pieces of 64 KiB, each handed back in its own turn: the
    // loop kept turning and the other client kept being answered until the bomb was refused.
    const inflationStartTick = setup.readStarted.get(bad.framed.localAddress)!;
    expect(inflationStartTick).toBeGreaterThanOrEqual(0);
    expect(ticksWhenClosed - inflationStartTick).toBeGreaterThan(256);
    expect(answeredWhenClosed - answeredWhenReadStarted).toBeGreaterThanOrEqual(10);
    expect(pinger.isOpen).toBe(true);
    expect(text((await pinger.call(jsonRequest('Svc', 'Echo', 'after', { seq: 2 }))).payload)).toBe(
      '"after"',
    );
  });

  test('once a bomb is refused, the ~64 MiB it inflated up to the cap is not kept', async () => {
    const setup = await hostileSetup();
    const healthy = await connect(setup.address);
    // Warm the paths up, so that the baseline holds what serving a connection holds anyway.
    expect(text((await healthy.call(jsonRequest('Svc', 'Echo', 0, { seq: 1 }))).payload)).toBe('0');
    await settleAndCollect();
    const baseline = process.memoryUsage().arrayBuffers;

    const bad = await connect(setup.address);
    bad.write(gzipFrame('Raw', 'Digest', bomb));
    await bad.closed;
    await waitForCloseWarning(setup.logger, bad);
    bad.destroy();
    expect(text((await healthy.call(jsonRequest('Svc', 'Echo', 2, { seq: 2 }))).payload)).toBe('2');

    await settleAndCollect();
    // Kept, the inflated pieces would add 64 MiB; the bound leaves room for socket buffers.
    expect(process.memoryUsage().arrayBuffers - baseline).toBeLessThan(8 * MiB);
  });

  test('a smaller server cap (1 MiB) refuses a 16 MiB bomb the same way', async () => {
    const setup = await hostileSetup({ limits: { maxDecompressedLength: MiB } });
    const healthy = await connect(setup.address);
    const bad = await connect(setup.address);
    bad.write(gzipFrame('Raw', 'Digest', gzipSync(Buffer.alloc(16 * MiB))));
    await concurrentCalls(healthy, 20, 1);
    await bad.closed;
    const warning = await waitForCloseWarning(setup.logger, bad);
    expect(warning.message).toContain(
      `decompressed size exceeds the maximum allowed size of ${MiB}`,
    );
    // Exactly the cap is accepted.
    const exact = Buffer.alloc(MiB, 'abc');
    healthy.write(gzipFrame('Raw', 'Digest', gzipSync(exact), 77));
    const digest = await healthy.waitFor((m) => m.seq === 77n);
    expect(text(digest.payload)).toBe(`${MiB}:${createHash('sha256').update(exact).digest('hex')}`);
  });

  test('a legitimate 32 MiB compressed request inflates without holding the event loop and is answered correctly', async () => {
    const plain = Buffer.alloc(32 * MiB, 'The quick brown fox jumps over the lazy dog. ');
    const gzipped = gzipSync(plain);
    const expected = `${plain.length}:${createHash('sha256').update(plain).digest('hex')}`;
    const setup = await hostileSetup({ limits: { maxDecompressedLength: 48 * MiB } });
    const client = await connect(setup.address);

    const turns = setup.countTurns();
    let ticksAtAnswer = -1;
    try {
      client.write(gzipFrame('Raw', 'Digest', gzipped, 9));
      const res = await client.waitFor((m) => m.seq === 9n, 15_000);
      ticksAtAnswer = turns.ticks;
      expect(text(res.payload)).toBe(expected);
    } finally {
      turns.stop();
    }
    // 512 pieces of 64 KiB come back one per turn: far more turns than a synchronous inflation
    // (one turn for all 32 MiB) would allow.
    const started = setup.readStarted.get(client.framed.localAddress)!;
    expect(ticksAtAnswer - started).toBeGreaterThan(256);
  });
});

describe('the default decompression cap', () => {
  test('DEFAULT_LIMITS.maxDecompressedLength is 64 MiB', () => {
    expect(DEFAULT_LIMITS.maxDecompressedLength).toBe(64 * MiB);
  });

  test('a server with default limits accepts a payload inflating to exactly 64 MiB and refuses one byte more', async () => {
    const setup = await hostileSetup();
    const healthy = await connect(setup.address);
    const atCap = gzipSync(Buffer.alloc(64 * MiB));
    const overCap = gzipSync(Buffer.alloc(64 * MiB + 1));

    healthy.write(gzipFrame('Raw', 'Digest', atCap, 1));
    const res = await healthy.waitFor((m) => m.seq === 1n, 15_000);
    expect(text(res.payload).split(':')[0]).toBe(String(64 * MiB));

    const bad = await connect(setup.address);
    bad.write(gzipFrame('Raw', 'Digest', overCap, 1));
    await bad.closed;
    const warning = await waitForCloseWarning(setup.logger, bad);
    expect(warning.message).toContain(
      `decompressed size exceeds the maximum allowed size of ${64 * MiB} bytes (maxDecompressedLength)`,
    );
    expect(healthy.isOpen).toBe(true);
  });

  test('gzipCompressor refuses output past the cap it is given, and returns output at the cap', async () => {
    const overCap = gzipSync(Buffer.alloc(1000 + 1));
    await expect(gzipCompressor.decompress(overCap, 1000)).rejects.toMatchObject({
      code: 'message_too_large',
      message:
        'decompressed size exceeds the maximum allowed size of 1000 bytes (maxDecompressedLength)',
    });
    const atCap = await gzipCompressor.decompress(gzipSync(Buffer.alloc(1000, 1)), 1000);
    expect(atCap.length).toBe(1000);
  });
});
