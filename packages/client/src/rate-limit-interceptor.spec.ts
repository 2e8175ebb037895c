/**
 * The client-side limiter (rateLimitInterceptor) in front of a real TestServer on 127.0.0.1:
 * refused calls fail with Go's text and code RateLimited and never reach the server; per-method
 * limits; `block` waits (released by the fake clock, counted at the server), bounded by the
 * call's timeoutMs, ended by its abort signal.
 */
import { ErrorCode, isRpcxError, RATE_LIMIT_TEXT, SerializeType } from '@rpcx/core';
import { settle, useFakeClock } from '@rpcx/testing';
import { Client } from './client.js';
import type { ClientInterceptor } from './interceptor.js';
import { rateLimitInterceptor } from './rate-limit-interceptor.js';
import { TestServer } from './test-support/test-server.js';

const HOUR = 3_600_000;
let server: TestServer;
const clients: Client[] = [];

function client(interceptor: ClientInterceptor): Client {
  const made = new Client({
    address: server.address,
    serializeType: SerializeType.JSON,
    interceptors: [interceptor],
  });
  clients.push(made);
  return made;
}

beforeEach(async () => {
  server = await TestServer.start();
});

afterEach(async () => {
  jest.useRealTimers();
  try {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  } finally {
    await server.close();
  }
});

async function rateLimitedError(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRpcxError(error, ErrorCode.RateLimited)).toBe(true);
  expect((error as Error).message).toBe(RATE_LIMIT_TEXT);
}

const mul = (c: Client, options?: Parameters<Client['call']>[3]) =>
  c.call('Arith', 'Mul', { A: 6, B: 7 }, options);

test("refuses beyond the burst with Go's text; nothing is sent; refilled by its clock", async () => {
  let now = 0;
  const c = client(rateLimitInterceptor({ fillIntervalMs: HOUR, capacity: 2, clock: () => now }));
  await expect(mul(c)).resolves.toEqual({ C: 42 });
  await expect(mul(c)).resolves.toEqual({ C: 42 });
  await rateLimitedError(mul(c));
  await rateLimitedError(c.call('Echo', 'Echo', 'x'));
  expect(server.calls).toHaveLength(2);
  now += HOUR;
  await expect(mul(c)).resolves.toEqual({ C: 42 });
  expect(server.calls).toHaveLength(3);
});

test('per service.method: only the named method is limited', async () => {
  const c = client(
    rateLimitInterceptor({ methods: { 'Arith.Mul': { fillIntervalMs: HOUR, capacity: 1 } } }),
  );
  await expect(mul(c)).resolves.toEqual({ C: 42 });
  await rateLimitedError(mul(c));
  for (let i = 0; i < 5; i++) await expect(c.call('Echo', 'Echo', i)).resolves.toBe(i);
  expect(server.calls.map((r) => r.serviceMethod)).toEqual([
    'Mul',
    'Echo',
    'Echo',
    'Echo',
    'Echo',
    'Echo',
  ]);
});

test('block: a call waits for its token, then is sent', async () => {
  useFakeClock();
  const c = client(rateLimitInterceptor({ fillIntervalMs: 1_000, capacity: 1, block: true }));
  await expect(mul(c)).resolves.toEqual({ C: 42 });
  let second: unknown;
  const pending = mul(c).then((reply) => {
    second = reply;
  });
  const third = mul(c);
  await settle(() => server.calls.length === 1, 'the first call only');
  jest.advanceTimersByTime(999);
  await settle(() => server.calls.length === 1, 'still one call');
  expect(second).toBeUndefined();
  jest.advanceTimersByTime(1);
  await pending;
  expect(second).toEqual({ C: 42 });
  expect(server.calls).toHaveLength(2);
  jest.advanceTimersByTime(1_000);
  await expect(third).resolves.toEqual({ C: 42 });
  expect(server.calls).toHaveLength(3);
});

test("block: a wait longer than the call's timeoutMs is refused at once", async () => {
  useFakeClock();
  const c = client(rateLimitInterceptor({ fillIntervalMs: 1_000, capacity: 1, block: true }));
  await mul(c);
  await rateLimitedError(mul(c, { timeoutMs: 500 }));
  // It took no token: the next call is due after one interval.
  const next = mul(c, { timeoutMs: 5_000 });
  jest.advanceTimersByTime(1_000);
  await expect(next).resolves.toEqual({ C: 42 });
});

test('block: an abort ends the wait; the call fails as canceled and is not sent', async () => {
  useFakeClock();
  const c = client(rateLimitInterceptor({ fillIntervalMs: HOUR, capacity: 1, block: true }));
  await mul(c);
  const controller = new AbortController();
  const waiting = mul(c, { signal: controller.signal });
  controller.abort();
  const error = await waiting.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRpcxError(error, ErrorCode.Canceled)).toBe(true);
  expect(server.calls).toHaveLength(1);
});
