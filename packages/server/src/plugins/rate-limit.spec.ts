/**
 * RateLimitingPlugin (connections) and ReqRateLimitingPlugin (requests) on real sockets: the
 * extra connection is closed, the extra request is answered with Go's exact text on a connection
 * that stays open, and a blocked request waits while other requests and connections are served —
 * counted, never timed. Refill comes from an injected clock or the fake clock.
 */
import { RATE_LIMIT_TEXT } from '@rpcx/core';
import { settle, useFakeClock } from '@rpcx/testing';
import type { Server } from '../server.js';
import { cleanup, connect, startServer } from '../test-support/harness.js';
import { jsonRequest, type RawClient, request } from '../test-support/raw-client.js';
import { RateLimitingPlugin } from './rate-limit-connections.js';
import { ReqRateLimitingPlugin } from './rate-limit-requests.js';

afterEach(async () => {
  jest.useRealTimers();
  await cleanup();
});

const HOUR = 3_600_000;
const text = (payload: Uint8Array) => Buffer.from(payload).toString();
const services = (s: Server) => {
  s.registerFunction('Svc', 'Echo', (args: unknown) => args);
  s.registerFunction('Svc', 'Limited', (args: unknown) => args);
};

function manualClock() {
  let now = 0;
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function echoes(client: RawClient, seq: number): Promise<boolean> {
  const response = await client.call(jsonRequest('Svc', 'Echo', seq, { seq }));
  return text(response.payload) === String(seq);
}

describe('RateLimitingPlugin: connections', () => {
  test('a connection beyond the burst is closed; a refilled token lets the next one in', async () => {
    const { clock, advance } = manualClock();
    const plugin = new RateLimitingPlugin({ fillIntervalMs: HOUR, capacity: 2, clock });
    const { address } = await startServer({ plugins: [plugin] }, services);
    const first = await connect(address);
    expect(await echoes(first, 1)).toBe(true);
    const second = await connect(address);
    expect(await echoes(second, 1)).toBe(true);
    const third = await connect(address);
    third.send(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
    await third.closed;
    expect(third.queued).toBe(0); // closed unanswered, as Go closes it
    // The accepted connections are not limited per request.
    expect(await echoes(first, 2)).toBe(true);
    expect(await echoes(second, 2)).toBe(true);
    advance(HOUR);
    const fourth = await connect(address);
    expect(await echoes(fourth, 1)).toBe(true);
    const fifth = await connect(address);
    await fifth.closed;
  });
});

describe('ReqRateLimitingPlugin: requests', () => {
  test('without block: the extra request gets "request reached rate limit", the connection stays', async () => {
    const { clock, advance } = manualClock();
    const plugin = new ReqRateLimitingPlugin({ fillIntervalMs: HOUR, capacity: 2, clock });
    const { address } = await startServer({ plugins: [plugin] }, services);
    const client = await connect(address);
    expect(await echoes(client, 1)).toBe(true);
    expect(await echoes(client, 2)).toBe(true);
    const refused = await client.call(jsonRequest('Svc', 'Echo', 3, { seq: 3 }));
    expect({ ...refused.metadata }).toEqual({ __rpcx_error__: RATE_LIMIT_TEXT });
    expect(refused.seq).toBe(3n);
    // Heartbeats are not limited: echoed while the bucket is empty.
    const beat = await client.call(request({ heartbeat: true, seq: 4, payload: 'hb' }));
    expect(beat.heartbeat).toBe(true);
    expect(client.isOpen).toBe(true);
    advance(HOUR);
    expect(await echoes(client, 5)).toBe(true);
    const again = await client.call(jsonRequest('Svc', 'Echo', 6, { seq: 6 }));
    expect(again.metadata.__rpcx_error__).toBe(RATE_LIMIT_TEXT);
  });

  test('per method: only the named method is limited; the server-wide limit covers the rest', async () => {
    const { clock } = manualClock();
    const plugin = new ReqRateLimitingPlugin({
      fillIntervalMs: HOUR,
      capacity: 4,
      clock,
      methods: { 'Svc.Limited': { fillIntervalMs: HOUR, capacity: 1 } },
    });
    const { address } = await startServer({ plugins: [plugin] }, services);
    const client = await connect(address);
    const limited = async (seq: number) =>
      (await client.call(jsonRequest('Svc', 'Limited', seq, { seq }))).metadata.__rpcx_error__;
    expect(await limited(1)).toBeUndefined();
    expect(await limited(2)).toBe(RATE_LIMIT_TEXT);
    expect(await echoes(client, 3)).toBe(true);
    expect(await echoes(client, 4)).toBe(true);
    expect(await echoes(client, 5)).toBe(true);
    // Four server-wide tokens: Limited#1 and three Echo; the refused Limited#2 took none.
    const fifth = await client.call(jsonRequest('Svc', 'Echo', 6, { seq: 6 }));
    expect(fifth.metadata.__rpcx_error__).toBe(RATE_LIMIT_TEXT);
  });

  test('block: requests wait for tokens while other connections are served; then all are answered', async () => {
    const { server, address } = await startServer({}, services);
    // Faked after the server is made (its log limiter keeps the real Date.now), before the plugin
    // (its buckets start on the fake clock).
    useFakeClock();
    const plugin = new ReqRateLimitingPlugin({
      methods: { 'Svc.Limited': { fillIntervalMs: 1_000, capacity: 1, block: true } },
    });
    server.addPlugin(plugin);
    const waiter = await connect(address);
    const other = await connect(address);
    for (let seq = 1; seq <= 4; seq++) waiter.send(jsonRequest('Svc', 'Limited', seq, { seq }));
    const limiter = plugin.method('Svc', 'Limited')!;
    await settle(() => limiter.waiting === 3 && waiter.queued === 1, 'three waiting, one answered');
    // Meanwhile: another connection's calls and this connection's heartbeat are answered.
    for (let seq = 1; seq <= 5; seq++) expect(await echoes(other, seq)).toBe(true);
    const beat = await waiter.call(request({ heartbeat: true, seq: 99, payload: 'hb' }));
    expect(beat.heartbeat).toBe(true);
    expect(waiter.queued).toBe(1);
    expect(limiter.waiting).toBe(3);
    jest.advanceTimersByTime(1_000);
    await settle(() => waiter.queued === 2, 'the second answered after one interval');
    expect(limiter.waiting).toBe(2);
    jest.advanceTimersByTime(2_000);
    await settle(() => waiter.queued === 4, 'all four answered');
    const seqs: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await waiter.next();
      expect(response.metadata.__rpcx_error__).toBeUndefined();
      seqs.push(response.seq);
    }
    expect(seqs).toEqual([1n, 2n, 3n, 4n]); // first come, first served
  });

  test('block, server-wide: a full queue (maxWaiting) refuses with the rate limit text', async () => {
    const { server, address } = await startServer({}, services);
    useFakeClock();
    const plugin = new ReqRateLimitingPlugin({
      fillIntervalMs: 1_000,
      capacity: 1,
      block: true,
      maxWaiting: 2,
    });
    server.addPlugin(plugin);
    const client = await connect(address);
    for (let seq = 1; seq <= 4; seq++) client.send(jsonRequest('Svc', 'Echo', seq, { seq }));
    // 1 answered at once, 2 and 3 wait, 4 is refused at once.
    const refused = await client.waitFor((m) => m.seq === 4n);
    expect(refused.metadata.__rpcx_error__).toBe(RATE_LIMIT_TEXT);
    expect(plugin.server!.waiting).toBe(2);
    jest.advanceTimersByTime(2_000);
    const late = await client.waitFor((m) => m.seq === 3n);
    expect(late.metadata.__rpcx_error__).toBeUndefined();
  });

  test('options are checked', () => {
    expect(() => new ReqRateLimitingPlugin({})).toThrow('ReqRateLimitingPlugin: no limit given');
    expect(() => new ReqRateLimitingPlugin({ fillIntervalMs: 1 })).toThrow(/capacity/);
  });
});
