/**
 * Failfast over three server processes under continuous load: one is killed (SIGKILL) mid-load.
 * The calls that meet the dead server fail at once with Unavailable; no call hangs (each has a
 * deadline as a guard, and none reaches it); the others keep succeeding.
 */
import { ErrorCode, FailMode, SelectMode, type XClient } from '@rpcx/client';
import { type FleetServer, fleetClient, startFleet, stopFleet } from './support/fleet.js';
import { Load, latencyOf, report, summary } from './support/load.js';

const GUARD_MS = 5_000;

let servers: FleetServer[] = [];
let client: XClient | undefined;

afterEach(async () => {
  await client?.close();
  await stopFleet(servers);
});

test('SIGKILL one of three mid-load: failures surface at once as Unavailable', async () => {
  servers = await startFleet([{ id: 's0' }, { id: 's1' }, { id: 's2' }]);
  const victim = servers[1]!;
  client = fleetClient(servers, {
    failMode: FailMode.Failfast,
    selectMode: SelectMode.RoundRobin,
    breaker: { failureThreshold: 2, openMs: 200 },
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
  });
  const xclient = client;
  const load = new Load(() => xclient.call('Who', undefined, { timeoutMs: GUARD_MS }), {
    concurrency: 8,
    maxCalls: 20_000,
  });
  await load.waitFor(() => load.completed >= 300, '300 calls');
  await victim.process.kill('SIGKILL');
  const killedAt = load.started;
  await load.waitFor(() => load.completed >= killedAt + 1_000, '1000 calls with s1 dead');
  load.stop();
  // Every call settles: `done` waits for all of them (jest's timeout would catch a hang).
  const records = await load.done;

  const all = summary(records);
  const failures = records.filter((record) => record.error !== undefined);
  const slowestFailure = Math.max(0, ...failures.map(latencyOf));
  report('failfast + SIGKILL', {
    calls: all.calls,
    failed: all.failed,
    failures: all.failures,
    answers: all.answers,
    slowestFailureMs: Math.round(slowestFailure),
    firstError: failures[0]?.error?.message,
    p99: all.p99,
    max: all.max,
  });

  expect(records).toHaveLength(load.started);
  expect(all.failed).toBeGreaterThan(0); // the kill is seen: Failfast does not retry
  expect(all.failures).toEqual({ [ErrorCode.Unavailable]: all.failed });
  expect(all.failures[ErrorCode.Timeout]).toBeUndefined();
  // "At once": far below the guard deadline (loose: this is a busy shared machine).
  expect(slowestFailure).toBeLessThan(GUARD_MS / 2);
  // The survivors answered the rest.
  expect(all.answers.s0).toBeGreaterThan(300);
  expect(all.answers.s2).toBeGreaterThan(300);
}, 60_000);
