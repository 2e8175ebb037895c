/**
 * Time in tests is driven, never awaited (ARCHITECTURE.md §5). `useFakeClock()` fakes the timers,
 * `Date` and `performance.now()`, and keeps real what sockets need: `setImmediate` (it carries the
 * transport's write flush), `process.nextTick` and `queueMicrotask`. A test moves time with
 * `jest.advanceTimersByTime(ms)` and waits for real I/O with `settle` / `resolved`, which poll
 * once per event-loop turn. Pair it with `jest.useRealTimers()` in `afterEach`.
 */

/** The real clock, taken before any test fakes `Date`: only for the give-up limit below. */
const realNow = Date.now;
/** How long `settle` waits for I/O before it fails the test instead of hanging it. */
const GIVE_UP_MS = 10_000;

export function useFakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
}

/** One turn of the event loop, I/O callbacks included (setImmediate stays real). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits for real I/O: checks `condition` once per event-loop turn until it holds. The limit is
 * wall-clock time only so that a broken test fails with `what` instead of hanging; nothing is
 * measured against it.
 */
export async function settle(condition: () => boolean, what: string): Promise<void> {
  const giveUpAt = realNow() + GIVE_UP_MS;
  while (!condition()) {
    if (realNow() > giveUpAt) throw new Error(`still waiting for ${what}`);
    await nextTurn();
  }
}

/** Waits (as `settle`) for `promise` to settle, then returns it. */
export async function resolved<T>(promise: Promise<T>, what: string): Promise<T> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await settle(() => done, what);
  return promise;
}
