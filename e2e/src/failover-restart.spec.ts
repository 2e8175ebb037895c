/**
 * Failover + RoundRobin over three server processes under continuous load: one is killed
 * (SIGKILL) mid-load and restarted on its port. No call fails; the dead server is passed over
 * while dead (its breaker lets a probe through now and then); the restarted process gets calls.
 */
import { FailMode, SelectMode, type XClient } from '@rpcx/client';
import {
  CountingBreakers,
  type FleetServer,
  fleetClient,
  startFleetServer,
  startRestartableServer,
  stopFleet,
} from './support/fleet.js';
import { Load, report, summary } from './support/load.js';

const OPEN_MS = 200;
const THRESHOLD = 2;
const CONCURRENCY = 8;

let servers: FleetServer[] = [];
let client: XClient | undefined;

afterEach(async () => {
  await client?.close();
  await stopFleet(servers);
});

test('SIGKILL one of three mid-load, restart it on its port: zero failed calls', async () => {
  servers = await Promise.all([
    startFleetServer({ id: 's0' }),
    startRestartableServer({ id: 's1' }),
    startFleetServer({ id: 's2' }),
  ]);
  const victim = servers[1]!;
  const breakers = new CountingBreakers({ failureThreshold: THRESHOLD, openMs: OPEN_MS });
  client = fleetClient(servers, {
    failMode: FailMode.Failover,
    selectMode: SelectMode.RoundRobin,
    retries: 3,
    breaker: breakers.factory,
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
  });
  const xclient = client;
  const load = new Load(() => xclient.call('Who', undefined, { timeoutMs: 10_000 }), {
    concurrency: CONCURRENCY,
    maxCalls: 60_000,
  });

  // Up: every server answers.
  await load.waitFor(() => load.completed >= 300, '300 calls');
  expect(load.answered('s1')).toBeGreaterThan(0);

  // Dead: calls started from now on cannot reach it; how often is it still tried?
  await victim.process.kill('SIGKILL');
  const deadSince = { call: load.started, attempts: breakers.attempts(victim.address), at: now() };
  await load.waitFor(() => load.completed >= deadSince.call + 600, '600 calls with s1 dead');

  // Back: the same port, a new process that names itself differently (the load goes on while
  // it starts: that is part of the dead time).
  const back = await startFleetServer({ id: 's1-restarted', port: victim.port });
  servers.push(back);
  const deadCalls = load.started - deadSince.call;
  const deadAttempts = breakers.attempts(victim.address) - deadSince.attempts;
  const deadMs = now() - deadSince.at;
  const backSince = { call: load.started, at: now() };
  await load.waitFor(() => load.answered('s1-restarted') > 0, 'the restarted server to answer');
  const detectedAfter = { calls: load.started - backSince.call, ms: now() - backSince.at };
  const tailFrom = load.started;
  await load.waitFor(() => load.completed >= tailFrom + 600, '600 calls after the restart');
  load.stop();
  const records = await load.done;

  const all = summary(records);
  const tail = summary(records.filter((record) => record.index >= tailFrom));
  report('failover + SIGKILL + restart', {
    calls: all.calls,
    failed: all.failed,
    answers: all.answers,
    deadCalls,
    deadAttemptsToS1: deadAttempts,
    deadMs: Math.round(deadMs),
    restartDetectedAfterCalls: detectedAfter.calls,
    restartDetectedAfterMs: Math.round(detectedAfter.ms),
    tailAnswers: tail.answers,
    p99: all.p99,
    max: all.max,
  });

  expect(all.failures).toEqual({});
  expect(all.failed).toBe(0);
  // Dead: nothing answered from s1 once it was killed…
  const afterKill = records.filter((r) => r.index >= deadSince.call && r.value === 's1');
  expect(afterKill).toEqual([]);
  // …and it was barely tried: the breaker's threshold, the calls in flight at the kill, and one
  // probe per open period (the bound is loose; round robin alone would send it a third).
  const probes = Math.ceil(deadMs / OPEN_MS) + 1;
  expect(deadAttempts).toBeLessThanOrEqual(THRESHOLD + CONCURRENCY + probes);
  expect(deadAttempts).toBeLessThan(deadCalls / 3);
  // Back: the restarted process takes its share again (round robin: about a third).
  expect(tail.answers['s1-restarted'] ?? 0).toBeGreaterThan(tail.calls * 0.15);
}, 60_000);

const now = () => performance.now();
