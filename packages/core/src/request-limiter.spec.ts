/**
 * RequestLimiter (Go's ReqRateLimitingPlugin semantics: refuse or wait) and RequestLimits (an
 * overall limit plus limits per "Service.Method"). Time is jest's fake clock: waits are released
 * by advancing it, never by sleeping.
 */
import { ErrorCode, isRpcxError, RATE_LIMIT_TEXT } from './errors.js';
import { RequestLimiter } from './request-limiter.js';
import { RequestLimits } from './request-limits.js';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectRateLimited(error: unknown): void {
  expect(isRpcxError(error, ErrorCode.RateLimited)).toBe(true);
  expect((error as Error).message).toBe(RATE_LIMIT_TEXT);
}

/** Settles the promises whose timers fired. */
const flush = () => Promise.resolve().then(() => Promise.resolve());

test('without block: burst of capacity, then Go\'s "request reached rate limit"', () => {
  const limiter = new RequestLimiter({ fillIntervalMs: 100, capacity: 2 });
  expect(limiter.acquire()).toBeUndefined();
  expect(limiter.acquire()).toBeUndefined();
  expectRateLimited(refusal(() => limiter.acquire()));
  jest.advanceTimersByTime(100);
  expect(limiter.acquire()).toBeUndefined();
  expectRateLimited(refusal(() => limiter.acquire()));
});

test('block: waiters are released in arrival order, one per fill interval', async () => {
  const limiter = new RequestLimiter({ fillIntervalMs: 100, capacity: 1, block: true });
  expect(limiter.acquire()).toBeUndefined();
  const released: number[] = [];
  for (let i = 0; i < 3; i++) limiter.acquire()!.then(() => released.push(i));
  expect(limiter.waiting).toBe(3);
  jest.advanceTimersByTime(99);
  await flush();
  expect(released).toEqual([]);
  jest.advanceTimersByTime(1);
  await flush();
  expect(released).toEqual([0]);
  jest.advanceTimersByTime(200);
  await flush();
  expect(released).toEqual([0, 1, 2]);
  expect(limiter.waiting).toBe(0);
  expect(limiter.acquire()).toBeInstanceOf(Promise); // the bucket is empty again
});

test('block: at most maxWaiting wait; the next one is refused and takes no token', async () => {
  const limiter = new RequestLimiter({
    fillIntervalMs: 100,
    capacity: 1,
    block: true,
    maxWaiting: 2,
  });
  limiter.acquire();
  const first = limiter.acquire();
  const second = limiter.acquire();
  expectRateLimited(refusal(() => limiter.acquire()));
  expect(limiter.waiting).toBe(2);
  jest.advanceTimersByTime(100);
  await first;
  expect(limiter.waiting).toBe(1);
  // The third waiter's token is due at 300: no token was taken for the refused request.
  const third = limiter.acquire();
  jest.advanceTimersByTime(200);
  await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);
});

test("block: a wait longer than maxWaitMs (or the caller's bound) is refused at once", () => {
  const limiter = new RequestLimiter({
    fillIntervalMs: 100,
    capacity: 1,
    block: true,
    maxWaitMs: 150,
  });
  limiter.acquire();
  expect(limiter.acquire()).toBeInstanceOf(Promise); // due in 100
  expectRateLimited(refusal(() => limiter.acquire())); // would be due in 200
  const narrow = new RequestLimiter({ fillIntervalMs: 100, capacity: 1, block: true });
  narrow.acquire();
  expectRateLimited(refusal(() => narrow.acquire(50)));
  expect(narrow.acquire(100)).toBeInstanceOf(Promise);
});

test('RequestLimits: a method limit, then the overall one; other methods only the overall', async () => {
  const limits = new RequestLimits(
    {
      fillIntervalMs: 1_000,
      capacity: 3,
      methods: { 'Arith.Mul': { fillIntervalMs: 1_000, capacity: 1 } },
    },
    'test',
  );
  expect(limits.acquire('Arith', 'Mul')).toBeUndefined();
  expectRateLimited(refusal(() => limits.acquire('Arith', 'Mul')));
  expect(limits.acquire('Arith', 'Add')).toBeUndefined();
  expect(limits.acquire('Other', 'Mul')).toBeUndefined();
  expect(limits.overall?.bucket.available).toBe(0); // the refused Mul took none of it
  expectRateLimited(refusal(() => limits.acquire('Arith', 'Add')));
  expect(limits.method('Arith', 'Mul')).toBeDefined();
  expect(limits.method('Arith', 'Add')).toBeUndefined();
});

test('RequestLimits: per method only; dotted service paths split at the last dot', () => {
  const limits = new RequestLimits(
    { methods: { 'a.b.Svc.Do': { fillIntervalMs: 1_000, capacity: 1 } } },
    'test',
  );
  expect(limits.overall).toBeUndefined();
  expect(limits.acquire('a.b.Svc', 'Do')).toBeUndefined();
  expectRateLimited(refusal(() => limits.acquire('a.b.Svc', 'Do')));
  expect(limits.acquire('Svc', 'Do')).toBeUndefined(); // unlimited
});

test('RequestLimits: a blocking method limit waits, then takes the overall token', async () => {
  const limits = new RequestLimits(
    {
      fillIntervalMs: 1_000,
      capacity: 1,
      methods: { 'S.M': { fillIntervalMs: 100, capacity: 1, block: true } },
    },
    'test',
  );
  expect(limits.acquire('S', 'M')).toBeUndefined();
  const waiting = limits.acquire('S', 'M')!;
  jest.advanceTimersByTime(100);
  // The method token came; the overall bucket (1 per second) is still empty: refused.
  await expect(waiting).rejects.toThrow(RATE_LIMIT_TEXT);
});

test('RequestLimits: bad options name their owner', () => {
  expect(() => new RequestLimits({}, 'Owner')).toThrow('Owner: no limit given');
  expect(() => new RequestLimits({ capacity: 1 }, 'Owner')).toThrow(/both fillIntervalMs/);
  expect(
    () => new RequestLimits({ methods: { Nodot: { fillIntervalMs: 1, capacity: 1 } } }, 'O'),
  ).toThrow('O: method limit "Nodot" is not "Service.Method"');
  expect(() => new RequestLimiter({ fillIntervalMs: 1, capacity: 1, maxWaiting: -1 })).toThrow(
    /maxWaiting/,
  );
});
