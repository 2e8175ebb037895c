/**
 * Failbackup over three server processes, one of which never answers (`--role stall`): a call
 * that went to it is answered by the backup request, sent after `backupLatencyMs` — so no call
 * waits much longer than the backup latency plus a fast server's answer.
 *
 * Unlike Go (rpcx-spec.md §4.5: the backup is "selected again, possibly the same server"), the
 * backup request passes over the server the first attempt is waiting on when another is usable —
 * with several callers, the next pick of a rotation is often that very server.
 */
import { FailMode, SelectMode, type XClient } from '@rpcx/client';
import { type FleetServer, fleetClient, startFleet, stopFleet } from './support/fleet.js';
import { Load, latencyOf, report, summary } from './support/load.js';

const BACKUP_MS = 100;
/** Loose on purpose: real processes on a shared machine. */
const BOUND_MS = BACKUP_MS + 500;

const GUARD_MS = 2_000;

let servers: FleetServer[] = [];
let client: XClient | undefined;

beforeAll(async () => {
  servers = await startFleet([{ id: 's0' }, { id: 's1', role: 'stall' }, { id: 's2' }]);
});

afterEach(async () => {
  await client?.close();
  client = undefined;
});

afterAll(async () => {
  await stopFleet(servers);
});

function failbackupClient(fleet = servers): XClient {
  client = fleetClient(fleet, {
    failMode: FailMode.Failbackup,
    selectMode: SelectMode.RoundRobin,
    backupLatencyMs: BACKUP_MS,
    breaker: false, // a stalled server never fails a call: the breaker has nothing to see
  });
  return client;
}

test('one caller: every call to the stalled server is answered by its backup', async () => {
  const xclient = failbackupClient();
  const load = new Load(() => xclient.call('Who', undefined, { timeoutMs: 10_000 }), {
    concurrency: 1,
    maxCalls: 45,
  });
  const records = await load.done;
  const all = summary(records);
  const backedUp = records.filter((record) => latencyOf(record) >= BACKUP_MS);
  report('failbackup, 1 caller, s1 stalled', {
    calls: all.calls,
    failed: all.failed,
    answers: all.answers,
    backedUp: backedUp.length,
    p50: all.p50,
    p99: all.p99,
    max: all.max,
    boundMs: BOUND_MS,
  });

  expect(all.failed).toBe(0);
  expect(all.answers.s1).toBeUndefined();
  // Every other call goes to s1 (its backup takes the next turn of the rotation): those waited
  // for the backup, and no longer.
  expect(backedUp.length).toBeGreaterThanOrEqual(15);
  expect(all.max).toBeLessThan(BOUND_MS);
}, 60_000);

test('four callers: no call waits on the stalled server', async () => {
  const xclient = failbackupClient();
  const load = new Load(() => xclient.call('Who', undefined, { timeoutMs: GUARD_MS }), {
    concurrency: 4,
    maxCalls: 200,
  });
  const records = await load.done;
  const all = summary(records);
  report('failbackup, 4 callers, s1 stalled', {
    calls: all.calls,
    failed: all.failed,
    failures: all.failures,
    answers: all.answers,
    overBound: records.filter((record) => latencyOf(record) >= BOUND_MS).length,
    p50: all.p50,
    p99: all.p99,
    max: all.max,
  });

  expect(records).toHaveLength(load.started);
  expect(all.failed).toBe(0);
  expect(all.max).toBeLessThan(BOUND_MS);
}, 60_000);

test('the backup request goes to another server than the first attempt', async () => {
  const [stalled, fast] = [servers[1]!, servers[0]!];
  const xclient = failbackupClient([stalled, fast]);
  // Round robin goes over the keys in order: turn it to the stalled server.
  if (stalled.address > fast.address) expect(await xclient.call('Who')).toBe('s0');
  // Two calls at once: the first to the stalled server, the second to the fast one; the first
  // call's backup is the next pick — the stalled server again.
  const first = xclient.call('Who', undefined, { timeoutMs: GUARD_MS });
  const second = xclient.call('Who', undefined, { timeoutMs: GUARD_MS });
  expect(await second).toBe('s0');
  const started = performance.now();
  expect(await first).toBe('s0');
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
}, 60_000);
