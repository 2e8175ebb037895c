/**
 * The access log on real sockets (RawClient → Server on 127.0.0.1) into real Writables: a file,
 * a collecting stream, a stream that stalls, one that fails. The wall clock and the sampler's
 * random numbers are injected; durations and the rate limit's windows run on the fake clock.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ErrorCode, type Logger, RpcxError, type ServerPlugin } from '@rpcx/core';
import { encodeMessage } from '@rpcx/protocol';
import { nextTurn, settle, useFakeClock } from '@rpcx/testing';
import type { ServerInterceptor } from '../interceptor.js';
import type { Server } from '../server.js';
import { cleanup, connect, startServer } from '../test-support/harness.js';
import { jsonRequest, type RawClient, request } from '../test-support/raw-client.js';
import { type AccessLogOptions, AccessLogPlugin, durationText, traceIdOf } from './access-log.js';
import { ReqRateLimitingPlugin } from './rate-limit-requests.js';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

afterEach(async () => {
  jest.useRealTimers();
  await cleanup();
});

const services = (s: Server) => {
  s.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({ C: args.A * args.B }));
  s.registerFunction('Arith', 'Fail', () => {
    throw new Error('it failed');
  });
  s.registerFunction('Arith', 'Tired', () => {
    throw new RpcxError(ErrorCode.Unavailable, 'come back later');
  });
  s.registerFunction('Arith', 'Note', () => undefined);
};

/** A Writable that keeps what it is given. */
class Collector extends Writable {
  chunks: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get lines(): string[] {
    return this.chunks.join('').split('\n').filter(Boolean);
  }
  get records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * A server interceptor that makes every call take `ms` on the fake clock (`useFakeClock`): the
 * lines' durations run from when the server read the request to when its response was written.
 */
const taking =
  (ms: number): ServerInterceptor =>
  (next) =>
  (call) => {
    jest.advanceTimersByTime(ms);
    return next(call);
  };

async function logged(
  options: Partial<AccessLogOptions> & { stream: Writable },
  after: ServerPlugin[] = [],
  interceptors: ServerInterceptor[] = [],
): Promise<{ log: AccessLogPlugin; client: RawClient }> {
  // Lines leave at the end of each turn (flushIntervalMs 0) unless a test says otherwise.
  const log = new AccessLogPlugin({ now: () => T0, flushIntervalMs: 0, ...options });
  const { address } = await startServer({ plugins: [log, ...after], interceptors }, services);
  return { log, client: await connect(address) };
}

describe('AccessLogPlugin: the lines', () => {
  test('one JSON line per call: peer, service, method, status, duration, payload bytes, trace id', async () => {
    useFakeClock();
    const stream = new Collector();
    const { client } = await logged({ stream }, [], [taking(5)]);
    const ok = await client.call(
      jsonRequest(
        'Arith',
        'Mul',
        { A: 6, B: 7 },
        { seq: 1, metadata: { traceparent: TRACEPARENT } },
      ),
    );
    await client.call(jsonRequest('Arith', 'Fail', {}, { seq: 2 }));
    await client.call(jsonRequest('Arith', 'Tired', {}, { seq: 3 }));
    await client.call(jsonRequest('Arith', 'Nope', {}, { seq: 4 }));
    await settle(() => stream.lines.length === 4, 'four lines');
    const peer = client.framed.localAddress;
    const time = new Date(T0).toISOString();
    // A failed call with `{}` as its arguments.
    const failed = (method: string, code: string, error: string) => ({
      time,
      peer,
      service: 'Arith',
      method,
      status: 'error',
      code,
      error,
      durationMs: 5,
      bytesIn: 2,
      bytesOut: 0,
    });
    expect(stream.records).toEqual([
      {
        time,
        peer,
        service: 'Arith',
        method: 'Mul',
        status: 'ok',
        durationMs: 5,
        bytesIn: '{"A":6,"B":7}'.length,
        bytesOut: ok.payload.length,
        traceId: TRACE_ID,
      },
      failed('Fail', 'service_error', 'it failed'),
      failed('Tired', 'unavailable', 'come back later'),
      failed('Nope', 'service_error', "rpcx: can't find method Nope"),
    ]);
  });

  test('to a file: the lines of one turn leave as one write, every line complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcx-access-log-'));
    try {
      const path = join(dir, 'access.log');
      const stream = createWriteStream(path);
      const writes = jest.spyOn(stream, 'write');
      const { log, client } = await logged({ stream });
      // Ten requests in one socket write: one data chunk, ten synchronous calls.
      const requests = Array.from({ length: 10 }, (_, i) =>
        jsonRequest('Arith', 'Mul', { A: i, B: 2 }, { seq: i + 1 }),
      );
      client.write(Buffer.concat(requests.map((r) => encodeMessage(r))));
      await settle(() => log.written === 10, 'ten lines');
      log.flush();
      await new Promise<void>((resolve, reject) =>
        stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      expect(lines.map((line) => JSON.parse(line).method)).toEqual(Array(10).fill('Mul'));
      expect(writes.mock.calls.length).toBeLessThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('by default lines leave in chunks: after flushIntervalMs, or at once at 64 KiB', async () => {
    useFakeClock();
    const stream = new Collector();
    const { log, client } = await logged({ stream, flushIntervalMs: 100 });
    for (let seq = 1; seq <= 3; seq++) {
      await client.call(jsonRequest('Arith', 'Mul', { A: seq, B: 1 }, { seq }));
    }
    await nextTurn();
    expect(stream.chunks).toEqual([]);
    jest.advanceTimersByTime(100);
    expect(stream.chunks).toHaveLength(1);
    expect(stream.lines).toHaveLength(3);
    // Long lines: a chunk of 64 KiB goes out without waiting.
    const { client: other } = await logged({ stream, flushIntervalMs: 60_000 });
    const long = 'M'.repeat(100);
    let seq = 0;
    while (stream.chunks.length === 1) {
      seq++;
      await other.call(jsonRequest('Arith', long, {}, { seq }));
      await nextTurn();
    }
    expect(stream.chunks[1]!.length).toBeGreaterThanOrEqual(64 * 1024);
    expect(log.written).toBe(3);
  });

  test('a oneway request is logged when it arrives; heartbeats are not logged', async () => {
    const stream = new Collector();
    const { log, client } = await logged({ stream });
    client.send(jsonRequest('Arith', 'Note', { x: 1 }, { seq: 1, oneway: true }));
    await client.call(request({ heartbeat: true, seq: 2 }));
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 3 }));
    await settle(() => log.written === 2, 'two lines');
    expect(stream.records.map((r) => [r.method, r.status, r.bytesOut])).toEqual([
      ['Note', 'oneway', 0],
      ['Mul', 'ok', '{"C":1}'.length],
    ]);
  });

  test('a request refused by a later plugin (rate limit) is logged with its code', async () => {
    const stream = new Collector();
    const limit = new ReqRateLimitingPlugin({ fillIntervalMs: 3_600_000, capacity: 1 });
    const { log, client } = await logged({ stream }, [limit]);
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 1 }));
    const refused = await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 2 }));
    expect(refused.metadata.__rpcx_error__).toBeDefined();
    await settle(() => log.written === 2, 'two lines');
    expect(stream.records.map((r) => [r.status, r.code])).toEqual([
      ['ok', undefined],
      ['error', ErrorCode.RateLimited],
    ]);
  });

  test('so is a request refused by a plugin before it: every answered request has a line', async () => {
    const stream = new Collector();
    const limit = new ReqRateLimitingPlugin({ fillIntervalMs: 3_600_000, capacity: 1 });
    const log = new AccessLogPlugin({ stream, now: () => T0, flushIntervalMs: 0 });
    const { address } = await startServer({ plugins: [limit, log] }, services);
    const client = await connect(address);
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 1 }));
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 2 }));
    await settle(() => log.written === 2, 'two lines');
    expect(stream.records.map((r) => [r.status, r.code])).toEqual([
      ['ok', undefined],
      ['error', ErrorCode.RateLimited],
    ]);
  });

  test('added while a call is in flight: that call is logged with duration 0, not NaN', async () => {
    const stream = new Collector();
    let answer: ((value: unknown) => void) | undefined;
    const { server, address } = await startServer({}, (s) => {
      s.registerFunction('Arith', 'Later', () => new Promise((resolve) => (answer = resolve)));
    });
    const client = await connect(address);
    const pending = client.call(jsonRequest('Arith', 'Later', {}, { seq: 1 }));
    await settle(() => answer !== undefined, 'the call in the handler');
    const log = new AccessLogPlugin({ stream, now: () => T0, flushIntervalMs: 0 });
    server.addPlugin(log);
    answer!({ done: true });
    await pending;
    await settle(() => log.written === 1, 'its line');
    expect(stream.lines[0]).toContain('"durationMs":0,');
    expect(stream.records[0]).toMatchObject({ method: 'Later', status: 'ok', durationMs: 0 });
  });

  test('a formatter writes its own lines; long peer-supplied names are cut', async () => {
    useFakeClock();
    const stream = new Collector();
    const { log, client } = await logged(
      {
        stream,
        format: (e) => `${e.peer} ${e.service}.${e.method} ${e.status} ${e.durationMs}ms`,
      },
      [],
      [taking(5)],
    );
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 1 }));
    await client.call(jsonRequest('S'.repeat(300), 'Mul', {}, { seq: 2 }));
    await settle(() => log.written === 2, 'two lines');
    expect(stream.lines[0]).toBe(`${client.framed.localAddress} Arith.Mul ok 5ms`);
    expect(stream.lines[1]).toContain(`${'S'.repeat(128)}… (172 more characters).Mul error`);
  });

  test('a formatted line longer than a chunk goes out whole, in its place among the others', async () => {
    const stream = new Collector();
    const long = 'é'.repeat(100_000); // 200 KB of UTF-8: more than a chunk holds
    const { log, client } = await logged({
      stream,
      format: (e) => (e.method === 'Long' ? `${e.method} ${long}` : e.method),
    });
    // Three requests in one socket write: their lines are made in one turn.
    const methods = ['Mul', 'Long', 'Add'];
    client.write(
      Buffer.concat(
        methods.map((method, i) =>
          encodeMessage(jsonRequest('Arith', method, { A: 1, B: 1 }, { seq: i + 1 })),
        ),
      ),
    );
    await settle(() => stream.lines.length === 3, 'three lines');
    expect(stream.lines).toEqual(['Mul', `Long ${long}`, 'Add']);
    expect(log.written).toBe(3);
  });

  test('the built-in line is exactly JSON.stringify of the entry, escapes included', async () => {
    const built = new Collector();
    const stringified = new Collector();
    useFakeClock();
    const options = { now: () => T0 + 0.5, flushIntervalMs: 0 };
    const plugins = [
      new AccessLogPlugin({ stream: built, ...options }),
      new AccessLogPlugin({ stream: stringified, format: JSON.stringify, ...options }),
    ];
    // Durations of every kind: under a microsecond, whole, with one, two and three decimals.
    const durations = [0.0004, 2, 1.5, 10.05, 123.4567, 0.0126];
    const varying: ServerInterceptor = (next) => (call) => {
      jest.advanceTimersByTime(durations.shift() ?? 1);
      return next(call);
    };
    const { address } = await startServer({ plugins, interceptors: [varying] }, services);
    const client = await connect(address);
    const names = ['Mul', 'quote"d', 'back\\slash', 'é ü 中', 'ctrl\u0001\n', '</script>'];
    for (const [i, method] of names.entries()) {
      await client.call(
        jsonRequest(
          'Arith',
          method,
          { A: 1, B: 1 },
          { seq: i + 1, metadata: { traceparent: TRACEPARENT } },
        ),
      );
    }
    await settle(() => stringified.lines.length === names.length, 'the lines');
    expect(built.lines).toEqual(stringified.lines);
    expect(built.records.map((r) => r.method)).toEqual(names);
    // 0.4 µs: whole microseconds only.
    expect(built.records.map((r) => r.durationMs)).toEqual([0, 2, 1.5, 10.05, 123.457, 0.013]);
  });

  test('names come right for many methods, services and connections (their JSON is remembered per connection)', async () => {
    const stream = new Collector();
    const { address } = await startServer(
      { plugins: [new AccessLogPlugin({ stream, flushIntervalMs: 0 })] },
      services,
    );
    const first = await connect(address);
    const second = await connect(address);
    // More method names than a connection remembers, then the first ones again; a service
    // that shares a method name; a name long enough to be cut; another connection.
    const calls: Array<[RawClient, string, string]> = [];
    for (let i = 0; i < 70; i++) calls.push([first, 'Arith', `M${i}`]);
    calls.push([first, 'Arith', 'M0'], [first, 'Arith', 'M69'], [first, 'Other', 'M0']);
    calls.push([first, 'S'.repeat(300), 'Mul'], [second, 'Arith', 'M0'], [first, 'Arith', 'M0']);
    for (const [i, [client, service, method]] of calls.entries()) {
      await client.call(jsonRequest(service, method, {}, { seq: i + 1 }));
    }
    await settle(() => stream.lines.length === calls.length, 'every line');
    expect(stream.records.map((r) => [r.peer, r.service, r.method])).toEqual(
      calls.map(([client, service, method]) => [
        client.framed.localAddress,
        service.length > 128 ? `${'S'.repeat(128)}… (172 more characters)` : service,
        method,
      ]),
    );
  });

  test('durationText writes what JSON.stringify writes for Math.round(ms * 1000) / 1000', () => {
    const plain = (ms: number) => JSON.stringify(Math.round(ms * 1000) / 1000);
    const edges = [0, 0.0004, 0.0005, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 1.5, 2.05, 10.1, 99.999];
    edges.push(123.456, 999.9995, 1000, 60_000.001, 2_147_483.647, 2_147_484.648, 9e12 + 0.5);
    edges.push(-0.001, -5, Number.NaN, Number.POSITIVE_INFINITY, 1e300);
    for (const ms of edges) expect([ms, durationText(ms)]).toEqual([ms, plain(ms)]);
    // Every microsecond of the first 0.1 s, then every 997th up to 100 s.
    for (let us = 0; us < 100_000_000; us += us < 100_000 ? 1 : 997) {
      const ms = us / 1000 + 0.0002;
      if (durationText(ms) !== plain(ms)) expect([ms, durationText(ms)]).toEqual([ms, plain(ms)]);
    }
  });

  test('traceIdOf reads the trace id of a traceparent: its dashes and 32 lower-case hex digits', () => {
    expect(traceIdOf(TRACEPARENT)).toBe(TRACE_ID);
    expect(traceIdOf(undefined)).toBeUndefined();
    expect(traceIdOf('00-short')).toBeUndefined();
    expect(traceIdOf(TRACEPARENT.replace('-', '_'))).toBeUndefined();
    for (const bad of ['"', '\\', '\n', 'A', 'g', '/', ':', '`', '\u00e9']) {
      expect(traceIdOf(TRACEPARENT.replace('4bf9', `4${bad}f9`.slice(0, 4)))).toBeUndefined();
    }
  });

  test("a peer's traceparent cannot break a line: no trace id unless it is hex", async () => {
    const stream = new Collector();
    const { log, client } = await logged({ stream });
    // Same length and dashes as a valid one; a quote and a newline where the id's digits go.
    const id = '","forged":"yes"\n{"x":"'.padEnd(32, '0');
    const forged = `00-${id}-00f067aa0ba902b7-01`;
    expect(forged).toHaveLength(TRACEPARENT.length);
    await client.call(
      jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 1, metadata: { traceparent: forged } }),
    );
    await settle(() => log.written === 1, 'the line');
    expect(stream.lines).toHaveLength(1);
    expect(stream.records[0]).not.toHaveProperty('forged');
    expect(stream.records[0]).not.toHaveProperty('traceId');
    expect(stream.records[0]).toMatchObject({ method: 'Mul', status: 'ok' });
  });
});

describe('AccessLogPlugin: sampling and the rate limit', () => {
  test('sampleRatio with an injected random: a call is logged when random() < ratio', async () => {
    const stream = new Collector();
    const draws = [0.1, 0.9, 0.49, 0.5, 0];
    const { client } = await logged({ stream, sampleRatio: 0.5, random: () => draws.shift()! });
    for (let seq = 1; seq <= 5; seq++) {
      await client.call(jsonRequest('Arith', 'Mul', { A: seq, B: 1 }, { seq }));
    }
    await settle(() => stream.lines.length === 3, 'three lines');
    expect(stream.records.map((r) => r.bytesIn)).toEqual([
      '{"A":1,"B":1}'.length,
      '{"A":3,"B":1}'.length,
      '{"A":5,"B":1}'.length,
    ]);
    expect(draws).toEqual([]);
  });

  test('sampleRatio 0: no hooks at all (the server skips their stages), nothing logged', async () => {
    const stream = new Collector();
    const random = jest.fn(() => 0);
    const { log, client } = await logged({ stream, sampleRatio: 0, random });
    expect(log.postReadRequest).toBeUndefined();
    expect(log.postWriteResponse).toBeUndefined();
    const reply = await client.call(jsonRequest('Arith', 'Mul', { A: 2, B: 3 }, { seq: 1 }));
    expect(Buffer.from(reply.payload).toString()).toBe('{"C":6}');
    client.send(jsonRequest('Arith', 'Note', {}, { seq: 2, oneway: true }));
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 3 }));
    log.flush();
    expect(stream.chunks).toEqual([]);
    expect(random).not.toHaveBeenCalled();
  });

  test('maxLinesPerSecond: the rest of the window is counted, and said once the window ends', async () => {
    useFakeClock();
    jest.setSystemTime(T0);
    const stream = new Collector();
    const { log, client } = await logged({ stream, now: Date.now, maxLinesPerSecond: 2 });
    for (let seq = 1; seq <= 5; seq++) {
      await client.call(jsonRequest('Arith', 'Mul', { A: seq, B: 1 }, { seq }));
    }
    await settle(() => log.written === 2, 'two lines');
    expect(log.suppressed).toBe(3);
    jest.advanceTimersByTime(999);
    await Promise.resolve();
    expect(stream.lines).toHaveLength(2);
    jest.advanceTimersByTime(1);
    await settle(() => stream.lines.length === 3, 'the notice');
    expect(stream.records[2]).toEqual({ time: new Date(T0 + 1000).toISOString(), suppressed: 3 });
    // The next window has its own budget.
    await client.call(jsonRequest('Arith', 'Mul', { A: 9, B: 1 }, { seq: 6 }));
    await settle(() => stream.lines.length === 4, 'a line of the next window');
    expect(stream.records[3]).toMatchObject({ status: 'ok', bytesIn: '{"A":9,"B":1}'.length });
  });

  test('a line of a later window says what the last one suppressed first, if its timer has not run', async () => {
    useFakeClock();
    jest.setSystemTime(T0);
    const stream = new Collector();
    const { log, client } = await logged({ stream, now: Date.now, maxLinesPerSecond: 1 });
    await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq: 1 }));
    await client.call(jsonRequest('Arith', 'Mul', { A: 2, B: 1 }, { seq: 2 }));
    jest.setSystemTime(T0 + 5_000); // the clock moves; the window's timer has not fired
    await client.call(jsonRequest('Arith', 'Mul', { A: 3, B: 1 }, { seq: 3 }));
    await settle(() => log.written === 3, 'three lines');
    expect(stream.records.map((r) => r.suppressed ?? r.bytesIn)).toEqual([
      '{"A":1,"B":1}'.length,
      1,
      '{"A":3,"B":1}'.length,
    ]);
    jest.runOnlyPendingTimers();
    await Promise.resolve();
    expect(stream.lines).toHaveLength(3); // said once
  });
});

describe('AccessLogPlugin: a slow or broken stream', () => {
  test('never buffers without bound: lines are dropped while the stream is full, then counted', async () => {
    const pending: Array<() => void> = [];
    const received: string[] = [];
    const stalled = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString());
        pending.push(() => done());
      },
    });
    const { log, client } = await logged({ stream: stalled, maxBufferedBytes: 1 });
    for (let seq = 1; seq <= 4; seq++) {
      await client.call(jsonRequest('Arith', 'Mul', { A: seq, B: 1 }, { seq }));
    }
    await settle(() => log.written + log.dropped === 4, 'four lines accounted for');
    // The first line went out and was never acknowledged: the stream holds it, the rest drop.
    expect(log.written).toBe(1);
    expect(log.dropped).toBe(3);
    expect(stalled.writableLength).toBeGreaterThan(0);
    pending.shift()!();
    await client.call(jsonRequest('Arith', 'Mul', { A: 5, B: 1 }, { seq: 5 }));
    await settle(() => received.length === 2, 'the next chunk');
    const [notice, line] = received[1]!
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(notice).toEqual({ time: new Date(T0).toISOString(), dropped: 3 });
    expect(line).toMatchObject({ method: 'Mul', bytesIn: '{"A":5,"B":1}'.length });
  });

  test('a stream that fails: warned once, later lines dropped, the server unharmed', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (message) => void warnings.push(message),
      error() {},
    };
    const broken = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('disk full'));
      },
    });
    const { log, client } = await logged({ stream: broken, logger });
    for (let seq = 1; seq <= 3; seq++) {
      const reply = await client.call(jsonRequest('Arith', 'Mul', { A: seq, B: 2 }, { seq }));
      expect(Buffer.from(reply.payload).toString()).toBe(JSON.stringify({ C: seq * 2 }));
    }
    await settle(() => log.dropped >= 1, 'a dropped line');
    expect(warnings).toEqual(['rpcx: access log stream failed, lines are dropped: disk full']);
    expect(log.written + log.dropped).toBe(3);
  });

  test('options are checked', () => {
    const stream = new Collector();
    expect(() => new AccessLogPlugin({ stream, sampleRatio: 1.5 })).toThrow(RangeError);
    expect(() => new AccessLogPlugin({ stream, sampleRatio: Number.NaN })).toThrow(RangeError);
    expect(() => new AccessLogPlugin({ stream, maxLinesPerSecond: 0 })).toThrow(RangeError);
    expect(() => new AccessLogPlugin({ stream, flushIntervalMs: -1 })).toThrow(RangeError);
  });
});
