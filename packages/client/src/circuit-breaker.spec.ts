import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type BreakerStateMessage, DiagnosticsChannel } from '@rpcx/core';
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

describe('ConsecutiveBreaker transitions on diagnostics.BreakerState', () => {
  let now = 0;
  const clock = () => now;
  const seen: BreakerStateMessage[] = [];
  const onMessage = (message: unknown) => seen.push({ ...(message as BreakerStateMessage) });
  beforeEach(() => {
    now = 1_000;
    seen.length = 0;
    subscribe(DiagnosticsChannel.BreakerState, onMessage);
  });
  afterEach(() => unsubscribe(DiagnosticsChannel.BreakerState, onMessage));

  const move = (from: string, to: string) => ({ serverAddress: 'tcp@127.0.0.1:1', from, to });

  test('each change once, named by serverAddress; a repeat of the same state is not one', () => {
    const breaker = new ConsecutiveBreaker({
      failureThreshold: 2,
      openMs: 100,
      now: clock,
      serverAddress: 'tcp@127.0.0.1:1',
    });
    breaker.failure();
    breaker.success(); // closed stays closed
    breaker.failure();
    breaker.failure(); // closed -> open
    breaker.failure(); // a late failure while open: still open
    now += 100;
    breaker.allow(); // open -> half-open (the probe)
    breaker.failure(); // half-open -> open
    breaker.success(); // a late success while open: open -> closed
    expect(seen).toEqual([
      move('closed', 'open'),
      move('open', 'half-open'),
      move('half-open', 'open'),
      move('open', 'closed'),
    ]);
  });

  test('reading the state does not publish: the move to half-open is the probe being let in', () => {
    const breaker = new ConsecutiveBreaker({ failureThreshold: 1, openMs: 100, now: clock });
    breaker.failure();
    now += 100;
    expect(breaker.state).toBe('half-open');
    expect(seen).toEqual([{ serverAddress: '', from: 'closed', to: 'open' }]);
    expect(breaker.allow()).toBe(true);
    expect(seen.map((m) => m.to)).toEqual(['open', 'half-open']);
  });
});
