/**
 * TokenBucket against juju/ratelimit's semantics (what Go rpcx's rate limiting plugins use): full
 * at start, whole ticks of fillInterval since the start add quantum tokens up to capacity,
 * TakeAvailable is all or nothing for one token, Take reserves future tokens and says how long
 * to wait, TakeMaxDuration refuses a wait that is too long. Time is an injected clock.
 */
import { TokenBucket } from './token-bucket.js';

function clocked(start = 1_000) {
  let now = start;
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('starts full; tryTake takes until empty, then refuses', () => {
  const { clock } = clocked();
  const bucket = new TokenBucket({ fillIntervalMs: 100, capacity: 3, clock });
  expect(bucket.available).toBe(3);
  expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
    true,
    true,
    true,
    false,
  ]);
  expect(bucket.available).toBe(0);
});

test('one token per whole fill interval since the start, never above capacity', () => {
  const { clock, advance } = clocked();
  const bucket = new TokenBucket({ fillIntervalMs: 100, capacity: 2, clock });
  bucket.tryTake();
  bucket.tryTake();
  advance(99);
  expect(bucket.tryTake()).toBe(false); // tick 0 still
  advance(1);
  expect(bucket.tryTake()).toBe(true); // tick 1
  expect(bucket.tryTake()).toBe(false);
  advance(1_000); // ten ticks, capped at 2
  expect(bucket.available).toBe(2);
  // Ticks count from the start, not from the last take: at 1150 the next tick is at 1200.
  advance(50);
  bucket.tryTake();
  bucket.tryTake();
  advance(50);
  expect(bucket.available).toBe(1);
});

test('quantum: tokens added per tick', () => {
  const { clock, advance } = clocked();
  const bucket = new TokenBucket({ fillIntervalMs: 10, capacity: 10, quantum: 4, clock });
  for (let i = 0; i < 10; i++) bucket.tryTake();
  advance(10);
  expect(bucket.available).toBe(4);
  advance(20);
  expect(bucket.available).toBe(10);
});

test('reserve: takes future tokens in order and says when each is due (juju Take)', () => {
  const { clock, advance } = clocked();
  const bucket = new TokenBucket({ fillIntervalMs: 100, capacity: 1, clock });
  expect(bucket.reserve()).toBe(0);
  expect(bucket.reserve()).toBe(100);
  expect(bucket.reserve()).toBe(200);
  expect(bucket.available).toBe(-2);
  advance(30);
  expect(bucket.reserve()).toBe(270);
  expect(bucket.tryTake()).toBe(false);
  advance(400 - 30); // tick 4: four tokens came, all spoken for
  expect(bucket.available).toBe(1);
});

test('reserve with maxWaitMs: a longer wait takes nothing and returns -1', () => {
  const { clock } = clocked();
  const bucket = new TokenBucket({ fillIntervalMs: 100, capacity: 1, clock });
  bucket.reserve();
  expect(bucket.reserve(1, 99)).toBe(-1);
  expect(bucket.available).toBe(0);
  expect(bucket.reserve(1, 100)).toBe(100);
});

test('a clock that steps back adds nothing and takes nothing away', () => {
  const { clock, advance } = clocked();
  const bucket = new TokenBucket({ fillIntervalMs: 100, capacity: 2, clock });
  advance(500);
  bucket.tryTake();
  advance(-450);
  expect(bucket.available).toBe(1);
  advance(550); // 1600: tick 6, one tick after the last one seen (5)
  expect(bucket.available).toBe(2);
});

test('bad options are refused', () => {
  expect(() => new TokenBucket({ fillIntervalMs: 0, capacity: 1 })).toThrow(/fillIntervalMs/);
  expect(() => new TokenBucket({ fillIntervalMs: 1, capacity: 0 })).toThrow(/capacity/);
  expect(() => new TokenBucket({ fillIntervalMs: 1, capacity: 1.5 })).toThrow(/capacity/);
  expect(() => new TokenBucket({ fillIntervalMs: 1, capacity: 1, quantum: 0 })).toThrow(/quantum/);
});
