import { ConsecutiveBreaker } from './circuit-breaker.js';

describe('ConsecutiveBreaker', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  test('opens after the threshold of consecutive failures; a success in between resets', () => {
    const breaker = new ConsecutiveBreaker({ failureThreshold: 3, openMs: 100, now: clock });
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
  });

  test('after openMs one probe goes through; its success closes the breaker', () => {
    const breaker = new ConsecutiveBreaker({ failureThreshold: 1, openMs: 100, now: clock });
    breaker.failure();
    now += 99;
    expect(breaker.allow()).toBe(false);
    now += 1;
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(true);
    // Only one probe at a time.
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
  });

  test('a failed probe opens it again for another openMs', () => {
    const breaker = new ConsecutiveBreaker({ failureThreshold: 2, openMs: 100, now: clock });
    breaker.failure();
    breaker.failure();
    now += 100;
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    now += 50;
    expect(breaker.allow()).toBe(false);
    now += 50;
    expect(breaker.allow()).toBe(true);
  });

  test('a probe that never reports is replaced after openMs', () => {
    const breaker = new ConsecutiveBreaker({ failureThreshold: 1, openMs: 100, now: clock });
    breaker.failure();
    now += 100;
    expect(breaker.allow()).toBe(true);
    now += 99;
    expect(breaker.allow()).toBe(false);
    now += 1;
    expect(breaker.allow()).toBe(true);
  });
});
