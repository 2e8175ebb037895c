import { Backoff } from './backoff.js';

describe('Backoff', () => {
  test('doubles from the initial delay up to the cap, spread by the jitter, reset by a success', () => {
    const values = [0, 1, 0.5, 0.5, 0.5, 0.5];
    const backoff = new Backoff(
      { initialDelayMs: 100, maxDelayMs: 500, jitter: 0.2 },
      () => values.shift() ?? 0.5,
    );
    expect([
      backoff.fail(),
      backoff.fail(),
      backoff.fail(),
      backoff.fail(),
      backoff.fail(),
    ]).toEqual([80, 240, 400, 500, 500]);
    expect(backoff.attempts).toBe(5);
    backoff.reset();
    expect(backoff.fail()).toBe(100);
  });
});
