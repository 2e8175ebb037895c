/**
 * Broadcast, fork and inform over server processes: one fast, one slow (every answer delayed),
 * one failing; and a deadline over a stalled server.
 */
import { ErrorCode, type XClient } from '@rpcx/client';
import { rpcxRejectionOf } from '@rpcx/testing';
import { type FleetServer, fleetClient, startFleet, stopFleet } from './support/fleet.js';
import { report } from './support/load.js';

const SLOW_MS = 1_500;
const TIMEOUT_MS = 400;

let servers: FleetServer[] = [];
let fast: FleetServer;
let slow: FleetServer;
let failing: FleetServer;
let stalled: FleetServer;
let trio: XClient;
let withStalled: XClient;

beforeAll(async () => {
  servers = await startFleet([
    { id: 'fast' },
    { id: 'slow', delayMs: SLOW_MS },
    { id: 'failing', role: 'fail' },
    { id: 'stalled', role: 'stall' },
  ]);
  [fast, slow, failing, stalled] = servers as [FleetServer, FleetServer, FleetServer, FleetServer];
  trio = fleetClient([fast, slow, failing]);
  withStalled = fleetClient([fast, stalled]);
  // Connections first, so that no timing below includes a dial.
  await trio.inform('Who');
  await withStalled.inform('Who', undefined, { timeoutMs: 100 });
}, 60_000);

afterAll(async () => {
  await Promise.all([trio?.close(), withStalled?.close()]);
  await stopFleet(servers);
});

const args = { A: 6, B: 7 };
const now = () => performance.now();

test('broadcast rejects with the failing server’s error, without waiting for the slow one', async () => {
  const started = now();
  const error = await rpcxRejectionOf(trio.broadcast('Mul', args));
  const elapsed = now() - started;
  report('broadcast (fast, slow, failing)', {
    calls: 1,
    failed: 1,
    code: error.code,
    ms: Math.round(elapsed),
  });
  expect(error.code).toBe(ErrorCode.ServiceError);
  expect(error.message).toContain('failing: failing on purpose');
  expect(error.message).toContain(failing.address);
  expect(elapsed).toBeLessThan(SLOW_MS);
});

test('fork resolves with the fast success', async () => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = now();
    expect(await trio.fork('Mul', args)).toEqual({ C: 42 });
    times.push(now() - started);
  }
  report('fork (fast, slow, failing)', {
    calls: 5,
    failed: 0,
    maxMs: Math.round(Math.max(...times)),
  });
  for (const ms of times) expect(ms).toBeLessThan(SLOW_MS);
});

test('inform waits for all: three receipts, one of them an error', async () => {
  const started = now();
  const receipts = await trio.inform('Mul', args);
  const elapsed = now() - started;
  const byKey = new Map(receipts.map((receipt) => [receipt.key, receipt]));
  report('inform (fast, slow, failing)', {
    calls: 1,
    receipts: receipts.length,
    errors: receipts.filter((receipt) => receipt.error !== undefined).length,
    ms: Math.round(elapsed),
  });
  expect(receipts).toHaveLength(3);
  expect(byKey.get(fast.address)?.reply).toEqual({ C: 42 });
  expect(byKey.get(slow.address)?.reply).toEqual({ C: 42 });
  expect(byKey.get(failing.address)?.reply).toBeUndefined();
  expect(byKey.get(failing.address)?.error?.code).toBe(ErrorCode.ServiceError);
  expect(byKey.get(failing.address)?.error?.message).toBe('failing: failing on purpose');
  expect(byKey.get(slow.address)?.address).toBe(slow.address.replace('tcp@', ''));
  expect(elapsed).toBeGreaterThanOrEqual(SLOW_MS - 50); // it did wait for the slow server
});

test('a deadline is honoured: broadcast over a stalled server rejects with Timeout', async () => {
  const started = now();
  const error = await rpcxRejectionOf(
    withStalled.broadcast('Who', undefined, { timeoutMs: TIMEOUT_MS }),
  );
  const elapsed = now() - started;
  report('broadcast (fast, stalled) with timeoutMs', {
    calls: 1,
    failed: 1,
    code: error.code,
    timeoutMs: TIMEOUT_MS,
    ms: Math.round(elapsed),
  });
  expect(error.code).toBe(ErrorCode.Timeout);
  expect(error.message).toContain(stalled.address);
  expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
  expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_500);
});
