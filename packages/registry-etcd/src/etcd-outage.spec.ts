/**
 * etcd going away under load (a real etcd 3.6, stopped and started by the test) while an XClient
 * calls TS servers found through EtcdDiscovery:
 *
 * 1. etcd stopped: calls keep flowing to the servers known last; the discovery tries again one
 *    attempt at a time after jittered, capped, growing waits (attempts counted); the servers keep
 *    serving.
 * 2. etcd back with its data: the watch resumes — a server added after the restart shows up and
 *    gets calls.
 * 3. etcd back without its data (wiped): the discovery does not believe the empty etcd (core's
 *    outage grace), so calls keep flowing; the servers' plugins find their lease gone and register
 *    again; the discovery follows.
 *
 * The calls made and failed in each phase are printed.
 */
import { type EtcdCluster, eventually, startEtcd } from '@rpcx/testing';
import { createEtcdClient } from './etcd-client.js';
import type { EtcdRetryEvent } from './etcd-discovery.js';
import { EtcdDiscovery } from './etcd-discovery.js';
import {
  type CallTally,
  type FleetServer,
  fleetClient,
  keepCalling,
  startFleetServer,
  uniquePath,
} from './test-support/fixtures.js';

jest.setTimeout(60_000);

const BASE = '/rpcx_outage';
const RETRY = { initialDelayMs: 100, maxDelayMs: 800, jitter: 0.2 };
const TTL_SECONDS = 3;

let etcd: EtcdCluster;
const closing: Array<() => unknown> = [];

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await etcd?.close();
});

/** An etcd3 client whose `range` calls are counted, with the most ever in flight at once. */
function countingClient(endpoints: readonly string[]) {
  const client = createEtcdClient({ endpoints, requestTimeoutMs: 2_000 });
  const counts = { ranges: 0, inFlight: 0, maxInFlight: 0 };
  const range = client.kv.range.bind(client.kv);
  client.kv.range = async (...args) => {
    counts.ranges++;
    counts.inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    try {
      return await range(...args);
    } finally {
      counts.inFlight--;
    }
  };
  return { client, counts };
}

const since = (tally: CallTally, mark: { made: number; failed: number }) => ({
  made: tally.made - mark.made,
  failed: tally.failed - mark.failed,
});

test('etcd stopped, restarted, wiped: calls flow throughout, watch and registrations come back', async () => {
  const path = uniquePath('Outage');
  const pluginRetries: EtcdRetryEvent[] = [];
  const startServer = async (id: string): Promise<FleetServer> => {
    const server = await startFleetServer(id, path, {
      endpoints: [...etcd.endpoints],
      basePath: BASE,
      ttlSeconds: TTL_SECONDS,
      updateIntervalMs: 500,
      backoff: RETRY,
      onRetry: (event) => pluginRetries.push(event),
    });
    closing.push(() => server.close());
    return server;
  };
  const a = await startServer('a');

  const { client, counts } = countingClient(etcd.endpoints);
  closing.push(() => client.close());
  const retries: EtcdRetryEvent[] = [];
  const discovery = new EtcdDiscovery({
    client,
    basePath: BASE,
    servicePath: path,
    requestTimeoutMs: 2_000,
    backoff: RETRY,
    onRetry: (event) => retries.push(event),
  });
  closing.push(() => discovery.close());
  await discovery.ready();
  const xclient = fleetClient(path, discovery);
  closing.push(() => xclient.close());
  const calling = keepCalling(xclient);
  closing.push(() => calling.stop());
  await eventually(
    () => calling.tally.by.get('a') ?? 0,
    (n) => n > 5,
    5_000,
    'calls reach a',
  );

  // 1. etcd stopped: calls keep flowing to a; the discovery tries again, one attempt at a time.
  let mark = { made: calling.tally.made, failed: calling.tally.failed };
  const attemptsBefore = discovery.attempts;
  await etcd.members[0]!.stop();
  const downAt = Date.now();
  await eventually(
    () => retries.length,
    (n) => n >= 4,
    10_000,
    'four failed attempts',
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const downMs = Date.now() - downAt;
  const attempts = discovery.attempts - attemptsBefore;
  const outage = since(calling.tally, mark);
  expect(discovery.getServices().map((e) => e.key)).toEqual([a.key]);
  expect(discovery.connected).toBe(false);
  const delays = retries.map((event) => event.delayMs);
  // Growing from ~100 ms, doubling, capped at 800 ms ±20 %; jittered (not exactly the base values).
  expect(delays[0]!).toBeGreaterThanOrEqual(80);
  expect(delays[0]!).toBeLessThanOrEqual(120);
  for (const delay of delays) expect(delay).toBeLessThanOrEqual(960);
  expect(delays.some((delay, i) => delay !== Math.min(800, 100 * 2 ** i))).toBe(true);
  // One attempt per wait: a few in the outage, never a storm.
  expect(attempts).toBeLessThanOrEqual(Math.ceil(downMs / 80) + 1);
  expect(attempts).toBeLessThanOrEqual(retries.length + 1);

  // 2. etcd back with its data: the watch resumes; a server added now shows up and gets calls.
  await etcd.members[0]!.start();
  await eventually(
    () => discovery.connected,
    Boolean,
    10_000,
    'the discovery following etcd again',
  );
  const restart = since(calling.tally, mark);
  mark = { made: calling.tally.made, failed: calling.tally.failed };
  const b = await startServer('b');
  await eventually(
    () =>
      discovery
        .getServices()
        .map((e) => e.key)
        .sort()
        .join(),
    (keys) => keys === [a.key, b.key].sort().join(),
    5_000,
    'b listed after the restart',
  );
  await eventually(
    () => calling.tally.by.get('b') ?? 0,
    (n) => n > 5,
    5_000,
    'calls reach b',
  );
  const afterRestart = since(calling.tally, mark);

  // 3. etcd back without its data: both servers register again by themselves.
  mark = { made: calling.tally.made, failed: calling.tally.failed };
  const wipedAt = Date.now();
  const attemptsBeforeWipe = discovery.attempts;
  const listed: number[] = [];
  const following = new AbortController();
  void (async () => {
    for await (const list of discovery.watch(following.signal)) listed.push(list.length);
  })();
  await etcd.restart({ wipe: true });
  const admin = createEtcdClient({ endpoints: etcd.endpoints });
  closing.push(() => admin.close());
  const nodes = async () =>
    (await admin.getAll().prefix(`${BASE}/${path}/`).keys())
      .map((key) => key.split('/').pop())
      .sort()
      .join();
  const both = [a.key, b.key].sort().join();
  // The plugins write their keys again into the empty etcd...
  await eventually(
    nodes,
    (keys) => keys === both,
    10_000,
    'both servers registered again in the wiped etcd',
  );
  // ...and the discovery, having listed the new etcd, lists them.
  await eventually(
    () => ({
      relisted: discovery.attempts > attemptsBeforeWipe && discovery.connected,
      keys: discovery
        .getServices()
        .map((e) => e.key)
        .sort()
        .join(),
    }),
    (seen) => seen.relisted && seen.keys === both,
    10_000,
    'the discovery following the new etcd, with both servers',
  );
  const reregisteredMs = Date.now() - wipedAt;
  await eventually(
    () => xclient.servers.length,
    (n) => n === 2,
    5_000,
    'the XClient has both',
  );
  const callsBefore = calling.tally.made;
  const failedBefore = calling.tally.failed;
  await eventually(
    () => calling.tally.made - callsBefore,
    (n) => n > 20,
    5_000,
    'calls after',
  );
  // All well again.
  expect({ failed: calling.tally.failed - failedBefore, errors: calling.tally.errors }).toEqual({
    failed: 0,
    errors: calling.tally.errors,
  });
  const wiped = since(calling.tally, mark);
  following.abort();
  await calling.stop();

  console.log(
    [
      `[etcd outage] etcd stopped ${downMs} ms: calls=${outage.made} failed=${outage.failed}; discovery attempts=${attempts}, waits=${delays.join(',')} ms`,
      `[etcd outage] until the watch resumed: calls=${restart.made} failed=${restart.failed}; after the restart (server b added): calls=${afterRestart.made} failed=${afterRestart.failed}`,
      `[etcd outage] etcd wiped, servers registered again after ${reregisteredMs} ms: calls=${wiped.made} failed=${wiped.failed}; lists seen meanwhile: ${listed.join(',')} servers`,
      `[etcd outage] plugin retries=${pluginRetries.length}; discovery range calls=${counts.ranges}, most at once=${counts.maxInFlight}`,
    ].join('\n'),
  );
  expect(outage.failed).toBe(0);
  expect(restart.failed).toBe(0);
  expect(afterRestart.failed).toBe(0);
  // The emptied etcd was never believed: no empty list, no failed call.
  expect(listed).not.toContain(0);
  expect(wiped.failed).toBe(0);
  expect(counts.maxInFlight).toBe(1);
  expect(pluginRetries.length).toBeGreaterThan(0);
});
