/**
 * ConsulRegisterPlugin and ConsulDiscovery against a real Consul v1.14.11 `agent -dev` (in
 * memory: a restart loses every key and session, as a rebuilt cluster would): Go's key layout
 * and values, the refresh loop (re-creation, metrics), metadata edits reaching an XClient within
 * a second, and outages — calls keep flowing, discovery retries one request at a time with
 * backoff, the server re-registers by itself and the watch resumes.
 *
 * The HTTP API also listens on 127.0.0.2: the discovery uses that address and the plugin
 * 127.0.0.1, so that during an outage each one's reconnection attempts can be counted apart.
 */
import { createServer, type Socket } from 'node:net';
import { PeerDiscovery, SelectMode } from '@rpcx/client';
import { RegistryMeters } from '@rpcx/core';
import { type ConsulAgent, startConsul } from '@rpcx/testing';
import { ConsulDiscovery } from './consul-discovery.js';
import { LOCK_FLAG_VALUE } from './consul-kv.js';
import {
  ConsulRegisterPlugin,
  type ConsulRegisterPluginOptions,
} from './consul-register-plugin.js';
import { nodeKey } from './layout.js';
import {
  callLoop,
  consulHttp,
  deleteByHand,
  eventually,
  putByHand,
  rawList,
  sleep,
  startWhoServer,
  type TestServer,
  whoClient,
} from './test-support/rig.js';

jest.setTimeout(60_000);

const BASE = '/rpcx_spec';
let consul: ConsulAgent;
/** The discovery's way in (see the header). */
let discoveryAddress: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  consul = await startConsul({ extraHttpAddresses: ['127.0.0.2'] });
  discoveryAddress = `127.0.0.2:${consul.httpPort}`;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await consul?.close();
});

function plugin(options: Partial<ConsulRegisterPluginOptions> = {}): ConsulRegisterPlugin {
  const made = new ConsulRegisterPlugin({
    address: consul.address,
    basePath: BASE,
    updateIntervalMs: 5_000,
    sessionTtlMs: 10_000,
    backoff: { initialDelayMs: 100, maxDelayMs: 500 },
    ...options,
  });
  cleanups.push(() => made.stop());
  return made;
}

function discovery(servicePath: string): ConsulDiscovery {
  const made = new ConsulDiscovery({
    address: discoveryAddress,
    basePath: BASE,
    servicePath,
    backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
  });
  cleanups.push(() => made.close());
  return made;
}

async function server(
  id: string,
  servicePath: string,
  plugins: (ConsulRegisterPlugin | RegistryMeters)[],
  metadata?: string,
): Promise<TestServer> {
  const started = await startWhoServer(id, servicePath, plugins, metadata);
  cleanups.push(() => started.stop());
  return started;
}

function client(servicePath: string, from: ConsulDiscovery, options = {}) {
  const made = whoClient(servicePath, from, options);
  cleanups.push(() => made.close());
  return made;
}

const keyOf = (servicePath: string, address: string) => nodeKey(BASE, servicePath, address);

test("Go's layout: markers and a session-held node, Go's flags on every key; unregister, stop", async () => {
  const registering = plugin({ serviceAddress: 'tcp@127.0.0.1:7101' });
  registering.start([]);
  await registering.register('Layout', 'weight=5&group=blue');
  // Base marker, service marker (both permanent) and the node, read as Go would.
  const base = (await rawList(consul.address, 'rpcx_spec')).filter(
    (entry) => entry.key === 'rpcx_spec' || entry.key.startsWith('rpcx_spec/Layout'),
  );
  expect(base.map(({ key, value }) => [key, value])).toEqual([
    ['rpcx_spec', 'rpcx_path'],
    ['rpcx_spec/Layout', 'Layout'],
    ['rpcx_spec/Layout/tcp@127.0.0.1:7101', 'weight=5&group=blue'],
  ]);
  expect(base.map((entry) => entry.flags)).toEqual([
    LOCK_FLAG_VALUE,
    LOCK_FLAG_VALUE,
    LOCK_FLAG_VALUE,
  ]);
  expect(base[0]!.session).toBeUndefined();
  expect(base[1]!.session).toBeUndefined();
  const session = base[2]!.session!;
  const info = JSON.parse(
    (await consulHttp(consul.address, 'GET', `/v1/session/info/${session}`)).text,
  ) as Array<{ TTL: string; Behavior: string; LockDelay: number }>;
  expect(info[0]).toMatchObject({ TTL: '10s', Behavior: 'delete', LockDelay: 1_000_000 });

  await registering.unregister('Layout');
  expect((await rawList(consul.address, 'rpcx_spec/Layout/')).length).toBe(0);
  await registering.register('Layout', 'weight=5');
  await registering.stop();
  expect((await rawList(consul.address, 'rpcx_spec/Layout/')).length).toBe(0);
  // The session is gone too.
  expect((await consulHttp(consul.address, 'GET', `/v1/session/info/${session}`)).text).toMatch(
    /^(null|\[\])\s*$/,
  );
});

test('the refresh re-creates a vanished node and writes calls/connections, keeping edits', async () => {
  const path = 'Refresh';
  // The server's own calls and connections, counted by RegistryMeters on a clock of the test's.
  let now = 0;
  const meters = new RegistryMeters(() => now);
  const registering = plugin({ updateIntervalMs: 300, metrics: meters });
  const served = await server('r1', path, [meters, registering], 'weight=5');
  const key = keyOf(path, served.address);
  const caller = client(path, discovery(path));
  await eventually(() => caller.xclient.servers.length === 1, 5_000, 'the server discovered');
  for (let i = 0; i < 5; i++) expect(await caller.who()).toBe('r1');
  now = 2_000; // 5 calls and 1 connection in two seconds

  // Merged into the node's metadata in Go's format (%.2f, keys sorted).
  const stored = async () => (await rawList(consul.address, key))[0]?.value;
  await eventually(
    async () => (await stored()) === 'calls=2.50&connections=0.50&weight=5',
    5_000,
    'calls/connections in the metadata',
  );

  // An operator's edit stays; metrics are merged into it.
  await putByHand(consul.address, key, 'state=inactive&weight=5');
  await eventually(
    async () => (await stored()) === 'calls=2.50&connections=0.50&state=inactive&weight=5',
    5_000,
    'metrics merged into the edited metadata',
  );

  // Deleted by hand: back with the next refresh, held by the session again.
  await deleteByHand(consul.address, key);
  const back = await eventually(
    async () => (await rawList(consul.address, key))[0],
    5_000,
    'the node re-created',
  );
  expect(back.session).toBeDefined();
  expect(back.flags).toBe(LOCK_FLAG_VALUE);
});

test('metadata edits in Consul (state=inactive, group, weight) reach an XClient within a second', async () => {
  const path = 'Edits';
  const a = await server('a', path, [plugin()], 'weight=1');
  const b = await server('b', path, [plugin()], 'weight=1');
  const roundRobin = client(path, discovery(path));
  const blue = client(path, discovery(path), { group: 'blue' });
  const weighted = client(path, discovery(path), { selectMode: SelectMode.WeightedRoundRobin });
  await eventually(() => roundRobin.xclient.servers.length === 2, 5_000, 'both servers listed');
  await eventually(() => weighted.xclient.servers.length === 2, 5_000, 'both servers listed');
  expect(blue.xclient.servers).toEqual([]);

  /** Edits b by hand, then calls until `done` holds; returns how long that took (ms). */
  async function edit(metadata: string, done: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    await putByHand(consul.address, keyOf(path, b.address), metadata);
    await eventually(done, 3_000, `the edit ${metadata} seen by the XClient`);
    return Date.now() - started;
  }

  // Drained by hand: no call goes to b.
  const drained = await edit('state=inactive&weight=1', async () => {
    const answers = await Promise.all([roundRobin.who(), roundRobin.who(), roundRobin.who()]);
    return answers.every((id) => id === 'a') && roundRobin.xclient.servers.length === 1;
  });
  for (let i = 0; i < 10; i++) expect(await roundRobin.who()).toBe('a');

  // Put in group blue (and back in service): the blue XClient reaches it.
  const grouped = await edit('group=blue&weight=1', async () => {
    try {
      return (await blue.who(500)) === 'b';
    } catch {
      return false;
    }
  });

  // Weight 9 against a's 1: the weighted XClient sends it 9 calls in 10.
  const weightedIn = await edit('group=blue&weight=9', async () =>
    weighted.xclient.servers.some((s) => s.key === b.address && s.metadata.includes('weight=9')),
  );
  const answers = { a: 0, b: 0 } as Record<string, number>;
  for (let i = 0; i < 20; i++) answers[await weighted.who()]!++;
  expect(answers.b).toBeGreaterThanOrEqual(17);

  console.log(
    `[consul] metadata edits reached the XClient in: state=inactive ${drained} ms, group ${grouped} ms, weight ${weightedIn} ms`,
  );
  expect(drained).toBeLessThan(1_000);
  expect(grouped).toBeLessThan(1_000);
  expect(weightedIn).toBeLessThan(1_000);
  expect(a.address).not.toBe(b.address);
});

/** Listens where Consul was, holding each connection 200 ms before resetting it; counts. */
async function outageProbe(host: string, port: number) {
  const sockets = new Set<Socket>();
  const stats = { connections: 0, maxOpen: 0, times: [] as number[] };
  const probe = createServer((socket) => {
    stats.connections++;
    stats.times.push(Date.now());
    sockets.add(socket);
    stats.maxOpen = Math.max(stats.maxOpen, sockets.size);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    setTimeout(() => socket.destroy(), 200);
  });
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, host, resolve);
  });
  return {
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        probe.close(() => resolve());
      }),
  };
}

test('outage: calls flow on, discovery backs off one request at a time, the server re-registers, the watch resumes', async () => {
  const path = 'Outage';
  const registering = plugin({ updateIntervalMs: 1_000 });
  const served = await server('o1', path, [registering], 'weight=1');
  const key = keyOf(path, served.address);
  const watched = discovery(path);
  const caller = client(path, watched);
  await eventually(() => caller.xclient.servers.length === 1, 5_000, 'the server discovered');
  const loop = callLoop(() => caller.who(), 5);
  await sleep(300);

  // Consul dies; where it listened, probes count the connection attempts of each side.
  await consul.stop('SIGKILL');
  const down = Date.now();
  const discoveryProbe = await outageProbe('127.0.0.2', consul.httpPort);
  const pluginProbe = await outageProbe('127.0.0.1', consul.httpPort);
  await sleep(4_000);
  await discoveryProbe.close();
  await pluginProbe.close();
  const duringOutage = { ...loop.counts };
  expect(watched.getServices().map((e) => e.key)).toEqual([served.address]);

  // Back, empty (-dev): the plugin registers again by itself, the discovery follows again.
  await consul.start();
  const upAgain = Date.now();
  await eventually(
    async () => (await rawList(consul.address, key))[0],
    10_000,
    'the server registered again',
  );
  const reRegisteredMs = Date.now() - upAgain;
  await putByHand(consul.address, key, 'weight=7');
  await eventually(
    () => watched.getServices()[0]?.metadata === 'weight=7',
    5_000,
    'an edit after the outage seen by the watch',
  );
  const counts = await loop.stop();

  const gaps = discoveryProbe.stats.times
    .slice(1)
    .map((t, i) => t - discoveryProbe.stats.times[i]!);
  console.log(
    `[consul] outage of ${upAgain - down} ms: calls=${counts.made} failed=${counts.failed} ` +
      `(during the outage: calls=${duringOutage.made} failed=${duringOutage.failed}); ` +
      `discovery reconnection attempts=${discoveryProbe.stats.connections} (max ${discoveryProbe.stats.maxOpen} at once, gaps ${gaps.join('/')} ms), ` +
      `plugin attempts=${pluginProbe.stats.connections} (max ${pluginProbe.stats.maxOpen} at once); ` +
      `re-registered ${reRegisteredMs} ms after Consul was back; discovery stats ${JSON.stringify(watched.stats)}`,
  );
  expect(loop.errors).toEqual([]);
  expect(counts.failed).toBe(0);
  expect(counts.made).toBeGreaterThan(100);
  // One request at a time, backing off: 100 ms doubling to 1 s (jittered) over ~4 s.
  expect(discoveryProbe.stats.maxOpen).toBe(1);
  expect(discoveryProbe.stats.connections).toBeGreaterThanOrEqual(3);
  expect(discoveryProbe.stats.connections).toBeLessThanOrEqual(12);
  expect(Math.max(...gaps.slice(-2))).toBeGreaterThanOrEqual(600);
  expect(pluginProbe.stats.maxOpen).toBe(1);
  expect(pluginProbe.stats.connections).toBeLessThanOrEqual(20);
});

test('a Consul that comes back empty is not believed at once: the last list is kept for the grace', async () => {
  const path = 'Grace';
  // Written by hand, held by no session: nothing will write it again after the restart.
  await putByHand(consul.address, keyOf(path, 'tcp@127.0.0.1:7201'), 'weight=1');
  const graceful = new ConsulDiscovery({
    address: discoveryAddress,
    basePath: BASE,
    servicePath: path,
    backoff: { initialDelayMs: 100, maxDelayMs: 300 },
    outageGraceMs: 1_500,
  });
  cleanups.push(() => graceful.close());
  const seen: string[][] = [];
  void (async () => {
    for await (const list of graceful.watch()) seen.push(list.map((e) => e.key));
  })();
  await eventually(() => graceful.getServices().length === 1, 5_000, 'the entry listed');

  await consul.stop('SIGKILL');
  await consul.start(); // -dev: empty
  const back = Date.now();
  await eventually(() => graceful.stats.requests > graceful.stats.failures + 1, 5_000, 'answered');
  expect(graceful.getServices().map((e) => e.key)).toEqual(['tcp@127.0.0.1:7201']);
  await eventually(() => graceful.getServices().length === 0, 5_000, 'the empty list believed');
  const heldMs = Date.now() - back;
  expect(heldMs).toBeGreaterThanOrEqual(1_000);
  // The first list, then the empty one only when the grace ended: nothing in between.
  expect(seen).toEqual([['tcp@127.0.0.1:7201'], []]);

  // Within a grace, a server listed again ends it at once.
  await putByHand(consul.address, keyOf(path, 'tcp@127.0.0.1:7202'), '');
  await eventually(() => graceful.getServices().length === 1, 5_000, 'the new entry listed');
  await consul.stop('SIGKILL');
  await consul.start();
  await sleep(300);
  expect(graceful.getServices().map((e) => e.key)).toEqual(['tcp@127.0.0.1:7202']);
  await putByHand(consul.address, keyOf(path, 'tcp@127.0.0.1:7203'), '');
  await eventually(
    () => graceful.getServices()[0]?.key === 'tcp@127.0.0.1:7203',
    3_000,
    'the registry list replaces the held one',
  );
  // Straight from the held list to the new one: the empty answer in between was never believed.
  expect(seen.slice(-2)).toEqual([['tcp@127.0.0.1:7202'], ['tcp@127.0.0.1:7203']]);
  console.log(
    `[consul] empty registry after a restart: last list held ${heldMs} ms (grace 1500 ms)`,
  );
});

test('a server started while Consul is down serves, and registers once Consul is up', async () => {
  const path = 'LateConsul';
  await consul.stop('SIGKILL');
  const served = await server('late', path, [plugin()]);
  const direct = client(path, discovery(path)); // a discovery that starts during the outage
  const peer = whoClient(path, new PeerDiscovery(served.address));
  cleanups.push(() => peer.close());
  expect(await peer.who()).toBe('late');
  await consul.start();
  await eventually(
    async () => (await rawList(consul.address, keyOf(path, served.address)))[0],
    10_000,
    'registered once Consul is up',
  );
  await eventually(() => direct.xclient.servers.length === 1, 5_000, 'discovered');
  expect(await direct.who()).toBe('late');
});

test('a discovery made with create() has its first list; fails when Consul is unreachable', async () => {
  const path = 'Create';
  const served = await server('c1', path, [plugin()]);
  const ready = await ConsulDiscovery.create({
    address: consul.address,
    basePath: BASE,
    servicePath: path,
  });
  cleanups.push(() => ready.close());
  expect(ready.getServices().map((e) => e.key)).toEqual([served.address]);
  // Arith vs ArithX: a service path that is a prefix of a registered one lists nothing.
  const shorter = await ConsulDiscovery.create({
    address: consul.address,
    basePath: BASE,
    servicePath: 'Creat',
  });
  cleanups.push(() => shorter.close());
  expect(shorter.getServices()).toEqual([]);
  await expect(
    ConsulDiscovery.create({ address: '127.0.0.1:1', basePath: BASE, servicePath: path }),
  ).rejects.toThrow();
});
