/**
 * Graceful shutdown (SIGTERM → `server.shutdown()`) of one of three server processes under
 * continuous load through a Failover XClient: no call may fail. While a server drains it answers
 * new requests with `rpcx: server is shutting down` (a Go server leaves them unanswered until the
 * connection closes); the client reads that as `Shutdown`, which Failover retries elsewhere.
 */
import { FailMode, SelectMode, type XClient } from '@rpcx/client';
import type { Selector } from '@rpcx/core';
import { type FleetServer, fleetClient, startFleet, stopFleet } from './support/fleet.js';
import { Load, report, summary } from './support/load.js';

const DELAY_MS = 20;

let servers: FleetServer[] = [];
let client: XClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await stopFleet(servers);
});

test('SIGTERM one of three mid-load: zero failed calls', async () => {
  // Answers take a little while, as real ones do: the shutdown has calls to drain.
  servers = await startFleet(['s0', 's1', 's2'].map((id) => ({ id, delayMs: DELAY_MS })));
  const victim = servers[1]!;
  client = fleetClient(servers, {
    failMode: FailMode.Failover,
    selectMode: SelectMode.RoundRobin,
    retries: 3,
    breaker: { failureThreshold: 2, openMs: 200 },
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
  });
  const xclient = client;
  const load = new Load(() => xclient.call('Who', undefined, { timeoutMs: 10_000 }), {
    concurrency: 8,
    maxCalls: 20_000,
  });
  await load.waitFor(() => load.completed >= 300, '300 calls');
  const exit = await victim.process.kill('SIGTERM');
  const stoppedAt = load.started;
  await load.waitFor(() => load.completed >= stoppedAt + 600, '600 calls after the shutdown');
  load.stop();
  const records = await load.done;

  const all = summary(records);
  report('failover + SIGTERM (graceful)', {
    calls: all.calls,
    failed: all.failed,
    answers: all.answers,
    exit: `${exit.code}/${exit.signal}`,
    p99: all.p99,
    max: all.max,
  });

  expect(exit).toEqual({ code: 0, signal: null }); // it shut down by itself, cleanly
  expect(records.filter((r) => r.error !== undefined).map((r) => r.error?.message)).toEqual([]);
  expect(all.failed).toBe(0);
}, 60_000);

test('a call refused by a draining server is failed over', async () => {
  servers = await startFleet([{ id: 'a', slowMs: 1_500 }, { id: 'b' }]);
  const [a, b] = servers as [FleetServer, FleetServer];
  // The held call and the refused one's first attempt go to a, every retry to b.
  const picks = [a.address, a.address];
  const selector: Selector = { select: () => picks.shift() ?? b.address, update: () => {} };
  client = fleetClient(servers, { failMode: FailMode.Failover, selector });
  const held = client.call('Slow', undefined, { timeoutMs: 10_000 });
  await a.process.waitForLine(/^SLOW$/);
  const exit = a.process.kill('SIGTERM'); // a drains: it waits for Slow, refuses anything new
  await a.process.waitForLine(/^DRAINING$/);
  try {
    expect(await client.call('Who', undefined, { timeoutMs: 10_000 })).toBe('b');
  } finally {
    expect(await held).toBe('a');
    await exit;
  }
}, 60_000);
