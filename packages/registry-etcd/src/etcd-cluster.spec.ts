/**
 * A 3-member etcd 3.6 cluster on loopback; its leader is killed (SIGKILL) while an XClient calls
 * TS servers found through EtcdDiscovery. Discovery and registration go on through the two
 * members left: no call fails, the servers' leases stay alive past their TTL, a server
 * registered after the kill is found and called, one shut down is dropped. Calls made and
 * failed are printed.
 */
import { type EtcdCluster, eventually, startEtcdCluster } from '@rpcx/testing';
import { Etcd3 } from 'etcd3';
import { EtcdDiscovery } from './etcd-discovery.js';
import {
  type FleetServer,
  fleetClient,
  keepCalling,
  startFleetServer,
  uniquePath,
} from './test-support/fixtures.js';

jest.setTimeout(60_000);

const BASE = '/rpcx_cluster';
const TTL_SECONDS = 3;

let cluster: EtcdCluster;
const closing: Array<() => unknown> = [];

beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});

afterAll(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await cluster?.close();
});

/** The index of the member that leads the cluster now. */
async function leaderIndex(): Promise<number> {
  const ids: string[] = [];
  let leader = '';
  for (const member of cluster.members) {
    const client = new Etcd3({ hosts: member.clientUrl });
    try {
      const status = await client.maintenance.status();
      ids.push(status.header.member_id);
      leader = status.leader;
    } finally {
      client.close();
    }
  }
  const index = ids.indexOf(leader);
  if (index < 0) throw new Error(`no leader among ${ids.join(',')} (${leader})`);
  return index;
}

test('kill the leader under load: discovery and registration go on', async () => {
  const path = uniquePath('Cluster');
  const endpoints = [...cluster.endpoints];
  const startServer = async (id: string): Promise<FleetServer> => {
    const server = await startFleetServer(id, path, {
      endpoints,
      basePath: BASE,
      ttlSeconds: TTL_SECONDS,
      updateIntervalMs: 500,
      backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
    });
    closing.push(() => server.close());
    return server;
  };
  const a = await startServer('a');
  const b = await startServer('b');
  const discovery = new EtcdDiscovery({
    endpoints,
    basePath: BASE,
    servicePath: path,
    backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
  });
  closing.push(() => discovery.close());
  await discovery.ready();
  const xclient = fleetClient(path, discovery);
  closing.push(() => xclient.close());
  await eventually(
    () => xclient.servers.length,
    (n) => n === 2,
    5_000,
    'a and b listed',
  );
  const calling = keepCalling(xclient);
  closing.push(() => calling.stop());
  await eventually(
    () => calling.tally.made,
    (n) => n > 20,
    5_000,
    'calls before the kill',
  );

  const killed = cluster.members[await leaderIndex()]!;
  await killed.kill();
  const killedAt = Date.now();

  // Registration goes on: a new server is written through the members left, and found.
  const c = await startServer('c');
  const keys = () =>
    discovery
      .getServices()
      .map((e) => e.key)
      .sort()
      .join();
  await eventually(keys, (k) => k === [a.key, b.key, c.key].sort().join(), 10_000, 'c listed');
  await eventually(
    () => calling.tally.by.get('c') ?? 0,
    (n) => n > 5,
    5_000,
    'calls reach c',
  );
  // The leases stay alive past their TTL: nobody expires.
  const leaseWait = TTL_SECONDS * 1_000 + 1_000 - (Date.now() - killedAt);
  if (leaseWait > 0) await new Promise((resolve) => setTimeout(resolve, leaseWait));
  expect(keys()).toBe([a.key, b.key, c.key].sort().join());
  // A graceful shutdown is seen through the members left.
  await b.shutdown();
  await eventually(keys, (k) => k === [a.key, c.key].sort().join(), 5_000, 'b gone');

  const tally = await calling.stop();
  console.log(
    `[etcd cluster] leader ${killed.name} killed under load: calls=${tally.made} failed=${tally.failed}` +
      ` (replies: ${[...tally.by].map(([id, n]) => `${id}=${n}`).join(' ')})`,
  );
  expect(tally.failed).toBe(0);
});
