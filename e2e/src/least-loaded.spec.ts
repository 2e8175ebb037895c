/**
 * LeastLoaded against RoundRobin over three server processes, one of which is slow (every answer
 * delayed): the same fixed number of calls at the same concurrency through each. Round robin
 * sends a third of the calls to the slow server, so its p99 is at least that delay; least loaded
 * learns to avoid it. The healthy-only p99 (round robin over the two fast servers alone) is the
 * floor both are measured against.
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

test('LeastLoaded p99 is far below RoundRobin p99 with one slow server', async () => {
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
  expect(roundRobin.p99).toBeGreaterThanOrEqual(SLOW_MS);
  expect(leastLoaded.p99).toBeLessThan(roundRobin.p99 / 2);
}, 60_000);
