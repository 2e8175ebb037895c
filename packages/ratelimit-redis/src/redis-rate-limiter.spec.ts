/**
 * RedisRateLimiter on a real redis-server (Debian's, started by @rpcx/testing on a free loopback
 * port): the script is redis_rate v10.0.1's to the byte (its SHA1), it is sent whole once when
 * Redis does not know it (EVALSHA → NOSCRIPT → EVAL, as go-redis's Script.Run), the key is
 * `rate:` + name, and on a table of limits and costs its results are those of redis_rate's
 * published GCRA (modelled below with time standing still: every emission interval here is an
 * hour or more, so the milliseconds the test takes cannot change an integer result). Refill is
 * shown by moving the stored arrival time back, not by waiting.
 */
import { createClient } from '@redis/client';
import { type RedisServer, startRedis } from '@rpcx/testing';
import { GCRA_SCRIPT, GCRA_SCRIPT_SHA1 } from './gcra-script.js';
import {
  type GcraResult,
  perHour,
  type RedisLimit,
  RedisRateLimiter,
} from './redis-rate-limiter.js';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
let redis: RedisServer;
let admin: ReturnType<typeof createClient>;
const limiters: RedisRateLimiter[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  admin.on('error', () => {}); // Redis stops before the test file ends
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
  await admin?.close();
  await redis?.close();
});

function limiter(limit: RedisLimit, prefix?: string): RedisRateLimiter {
  const made = new RedisRateLimiter({ url: redis.url, limit, prefix });
  limiters.push(made);
  return made;
}

/** redis_rate's allowN at a frozen instant (ms; 0 = now), from its Lua source. */
function model(limit: RedisLimit, costs: number[]): GcraResult[] {
  const interval = limit.periodMs / limit.rate;
  const burstOffset = interval * limit.burst;
  let tat = 0;
  return costs.map((cost) => {
    const base = Math.max(tat, 0);
    const newTat = base + interval * cost;
    const diff = 0 - (newTat - burstOffset);
    const remaining = diff / interval;
    if (remaining < 0) {
      return { allowed: 0, remaining: 0, retryAfterMs: -diff, resetAfterMs: base };
    }
    tat = newTat;
    return {
      allowed: cost,
      remaining: Math.trunc(remaining),
      retryAfterMs: -1,
      resetAfterMs: newTat,
    };
  });
}

test('the script is redis_rate v10.0.1 allowN, byte for byte', () => {
  expect(GCRA_SCRIPT_SHA1).toBe('f52a5b566060d79fd321d695df55bc918339c4aa');
  expect(GCRA_SCRIPT.startsWith('\n-- this script has side-effects')).toBe(true);
  expect(GCRA_SCRIPT).toContain('local jan_1_2017 = 1483228800');
});

test('sent whole once when Redis lacks it, then by SHA1', async () => {
  await admin.scriptFlush();
  expect(await admin.scriptExists(GCRA_SCRIPT_SHA1)).toEqual([0]);
  const l = limiter(perHour(3));
  await l.allow('first');
  expect(await admin.scriptExists(GCRA_SCRIPT_SHA1)).toEqual([1]);
  await l.allow('first');
});

const cases: Array<[string, RedisLimit, number[]]> = [
  ['5 per hour, burst 5', { rate: 5, burst: 5, periodMs: HOUR }, [1, 1, 1, 1, 1, 1, 1]],
  ['10 per hour, burst 3', { rate: 10, burst: 3, periodMs: HOUR }, [1, 1, 1, 1, 1]],
  ['1 per hour, burst 1', { rate: 1, burst: 1, periodMs: HOUR }, [1, 1]],
  ['burst 0: never', { rate: 5, burst: 0, periodMs: HOUR }, [1, 1]],
  ['costs (AllowN)', { rate: 5, burst: 5, periodMs: HOUR }, [3, 3, 2, 1]],
  ['1 per 90 minutes', { rate: 1, burst: 2, periodMs: 5_400_000 }, [1, 1, 1]],
  ['1 per day, burst 4', { rate: 1, burst: 4, periodMs: 86_400_000 }, [2, 2, 1]],
];

test.each(cases)("GCRA results equal redis_rate's algorithm: %s", async (name, limit, costs) => {
  const l = limiter(limit);
  const results: GcraResult[] = [];
  for (const cost of costs) results.push(await l.allow(`table/${name}`, cost));
  const expected = model(limit, costs);
  expect(results.map((r) => [r.allowed, r.remaining])).toEqual(
    expected.map((r) => [r.allowed, r.remaining]),
  );
  results.forEach((r, i) => {
    const want = expected[i]!;
    // Durations: the model's instant is frozen; Redis's clock moved by the test's milliseconds.
    if (want.retryAfterMs === -1) expect(r.retryAfterMs).toBe(-1);
    else expect(Math.abs(r.retryAfterMs - want.retryAfterMs)).toBeLessThan(5_000);
    expect(Math.abs(r.resetAfterMs - want.resetAfterMs)).toBeLessThan(5_000);
  });
});

test('key rate:<name>: holds the arrival time, expires at the reset; a refusal changes nothing', async () => {
  const l = limiter({ rate: 2, burst: 2, periodMs: HOUR });
  await l.allow('Arith/Mul');
  const stored = Number(await admin.get('rate:Arith/Mul'));
  const since2017 = Date.now() / 1000 - 1_483_228_800;
  expect(Math.abs(stored - (since2017 + 1_800))).toBeLessThan(60); // now + one interval (30 min)
  expect(await admin.ttl('rate:Arith/Mul')).toBe(1_800);
  await l.allow('Arith/Mul');
  const full = await admin.get('rate:Arith/Mul');
  expect((await l.allow('Arith/Mul')).allowed).toBe(0);
  expect(await admin.get('rate:Arith/Mul')).toBe(full);
  const other = limiter({ rate: 2, burst: 2, periodMs: HOUR }, 'mine:');
  await other.allow('Arith/Mul');
  expect(await admin.exists('mine:Arith/Mul')).toBe(1);
});

test('refill: an arrival time one interval earlier allows exactly one more', async () => {
  const l = limiter({ rate: 1, burst: 1, periodMs: HOUR });
  expect((await l.allow('refill')).allowed).toBe(1);
  const denied = await l.allow('refill');
  expect(denied.allowed).toBe(0);
  expect(denied.retryAfterMs).toBeGreaterThan(HOUR - 60_000);
  // As if an hour had passed: the stored arrival time moves back by one emission interval.
  const tat = Number(await admin.get('rate:refill'));
  await admin.set('rate:refill', String(tat - 3_600), { expiration: 'KEEPTTL' });
  expect((await l.allow('refill')).allowed).toBe(1);
  expect((await l.allow('refill')).allowed).toBe(0);
});

test('a client passed in is used and left open; url clients are closed by close()', async () => {
  const own = createClient({ url: redis.url });
  own.on('error', () => {});
  await own.connect();
  try {
    const l = new RedisRateLimiter({ redis: own, limit: perHour(1) });
    expect((await l.allow('given')).allowed).toBe(1);
    await l.close();
    expect(own.isOpen).toBe(true);
    expect((await l.allow('given')).allowed).toBe(0);
  } finally {
    await own.close();
  }
  const byUrl = new RedisRateLimiter({ url: redis.url, limit: perHour(1) });
  await byUrl.allow('url');
  await byUrl.close();
  await expect(byUrl.allow('url')).rejects.toThrow('RedisRateLimiter: closed');
});

test('options are checked', () => {
  const limit = perHour(1);
  expect(() => new RedisRateLimiter({ limit })).toThrow('give either redis or url');
  expect(() => new RedisRateLimiter({ url: 'redis://x', limit: { ...limit, rate: 0 } })).toThrow(
    /rate > 0/,
  );
});
