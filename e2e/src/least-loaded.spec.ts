/**
 * LeastLoaded against RoundRobin over three server processes, one of which is slow (every answer
 * delayed): the same fixed number of calls at the same concurrency through each. Round robin
 * sends a third of the calls to the slow server, so its p99 is at least that delay; least loaded
 * learns to avoid it. The healthy-only p99 (round robin over the two fast servers alone) is the
 * floor both are measured against. The latencies are reported; what is asserted is where the
 * calls went (counted, so a busy CI machine cannot make it flaky): least loaded sends the slow
 * server a small fraction of what round robin sends it.
 */
import { SelectMode, type XClient } from '@rpcx/client';
import { type FleetServer, fleetClient, startFleet, stopFleet } from './support/fleet.js';
import { Load, report, summary } from './support/load.js';

const SLOW_MS = 100;
const CALLS = 3_000;
const CONCURRENCY = 16;

let servers: FleetServer[] = [];
const clients: XClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await stopFleet(servers);
});

async function run(fleet: readonly FleetServer[], selectMode: SelectMode, calls = CALLS) {
  const client = fleetClient(fleet, { selectMode });
  clients.push(client);
  // Connections first, so that no latency below includes a dial.
  await client.inform('Who');
  const load = new Load(() => client.call('Who', undefined, { timeoutMs: 10_000 }), {
    concurrency: CONCURRENCY,
    maxCalls: calls,
  });
  return summary(await load.done);
}

test('LeastLoaded steers calls away from a slow server that RoundRobin keeps feeding', async () => {
  servers = await startFleet([{ id: 's0' }, { id: 's1' }, { id: 'slow', delayMs: SLOW_MS }]);
  const healthy = servers.filter((server) => server.id !== 'slow');

  await run(healthy, SelectMode.RoundRobin, 1_000); // warm-up (JIT), not measured
  const floor = await run(healthy, SelectMode.RoundRobin);
  const roundRobin = await run(servers, SelectMode.RoundRobin);
  const leastLoaded = await run(servers, SelectMode.LeastLoaded);

  for (const [name, result] of [
    ['healthy only (RoundRobin over s0, s1)', floor],
    ['RoundRobin', roundRobin],
    ['LeastLoaded', leastLoaded],
  ] as const) {
    report(`least-loaded vs round robin — ${name}`, {
      calls: result.calls,
      failed: result.failed,
      answers: result.answers,
      p50: result.p50,
      p99: result.p99,
      max: result.max,
    });
  }

  for (const result of [floor, roundRobin, leastLoaded]) expect(result.failed).toBe(0);
  // Round robin: exactly a third, so a third of its calls wait the slow server's delay.
  expect(roundRobin.answers.slow).toBe(CALLS / 3);
  expect(roundRobin.p99).toBeGreaterThanOrEqual(SLOW_MS);
  // Least loaded: a small fraction of that (it probes the slow server now and then).
  expect(leastLoaded.answers.slow ?? 0).toBeLessThan(CALLS / 3 / 5);
}, 60_000);
