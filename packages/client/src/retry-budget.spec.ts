import { RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 5_000;
  });

  test('allows the floor, then a ratio of the calls in the window', () => {
    // Floor: 1 retry/s over a 10 s window = 10 retries; ratio 0.2.
    const budget = new RetryBudget({
      ratio: 0.2,
      windowMs: 10_000,
      minRetriesPerSecond: 1,
      now: clock,
    });
    for (let i = 0; i < 100; i++) budget.deposit();
    let granted = 0;
    while (budget.tryRetry()) granted++;
    expect(granted).toBe(10 + 20);
    budget.deposit();
    budget.deposit();
    budget.deposit();
    budget.deposit();
    budget.deposit();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  test('calls and retries leave the window as time passes', () => {
    const budget = new RetryBudget({
      ratio: 0.5,
      windowMs: 1_000,
      minRetriesPerSecond: 0,
      now: clock,
    });
    for (let i = 0; i < 10; i++) budget.deposit();
    for (let i = 0; i < 5; i++) expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    now += 1_000; // the whole window has passed: nothing counted any more
    expect(budget.tryRetry()).toBe(false);
    budget.deposit();
    budget.deposit();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  test('a zero budget allows no retry', () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, now: clock });
    for (let i = 0; i < 1000; i++) budget.deposit();
    expect(budget.tryRetry()).toBe(false);
  });
});
