/**
 * ZookeeperDiscovery and ZookeeperRegisterPlugin against a real ZooKeeper (Debian's 3.8 started by
 * @rpcx/testing's launcher; tickTime 200 ms, sessions of 2 s): Go's layout, metadata edits
 * reaching an XClient, the refresh loop, session expiry of a registering server, and outages.
 */
import { join } from 'node:path';
import { MultipleServersDiscovery, XClient } from '@rpcx/client';
import { Server } from '@rpcx/server';
import { startProcess, startZookeeper, type ZookeeperServer } from '@rpcx/testing';
import {
  ZookeeperDiscovery,
  type ZookeeperDiscoveryOptions,
  ZookeeperRegisterPlugin,
  type ZookeeperRegisterPluginOptions,
} from './index.js';
import { connectRaw, type RawZookeeper } from './test-support/raw-zookeeper.js';

const SESSION_TIMEOUT_MS = 2_000;
const BACKOFF = { initialDelayMs: 50, maxDelayMs: 500 };
const REGISTRANT = join(__dirname, 'test-support', 'registrant.ts');
const NO_OWNER = '0000000000000000';

jest.setTimeout(30_000);

let zk: ZookeeperServer;
let raw: RawZookeeper;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  zk = await startZookeeper({ tickTimeMs: 200 });
  raw = await connectRaw(zk.connectString);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (!zk.running) {
    await zk.start();
    await reconnectRaw();
  }
});

/** A new raw client: the plain library may hang reconnecting to a ZooKeeper that is starting. */
async function reconnectRaw(): Promise<void> {
  await raw.close();
  raw = await connectRaw(zk.connectString);
}

afterAll(async () => {
  await raw?.close();
  await zk?.close();
});

let unique = 0;
const servicePathOf = (name: string) => `${name}${process.pid}x${++unique}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `check` holds, for at most `limitMs`; resolves with the elapsed ms. */
async function eventually<T>(
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  limitMs: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (check(value)) return Date.now() - start;
    if (Date.now() - start > limitMs) {
      throw new Error(`within ${limitMs} ms: ${what} (last: ${JSON.stringify(value)})`);
    }
    await sleep(10);
  }
}

/** With RPCX_ZK_TEST_LOG=1 the discoveries and plugins log to stderr (connection attempts too). */
const t0 = Date.now();
const logOf = (tag: string) => {
  if (process.env.RPCX_ZK_TEST_LOG !== '1') return undefined;
  const write = (level: string) => (message: string, fields?: unknown) =>
    process.stderr.write(
      `${Date.now() - t0} ${tag} ${level} ${message} ${JSON.stringify(fields ?? '')}\n`,
    );
  return { debug: write('D'), info: write('I'), warn: write('W'), error: write('E') };
};

function discoveryOf(
  servicePath: string,
  options: Partial<ZookeeperDiscoveryOptions> = {},
): ZookeeperDiscovery {
  const discovery = new ZookeeperDiscovery({
    servers: [zk.connectString],
    servicePath,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    backoff: BACKOFF,
    logger: logOf(`disc ${servicePath}`),
    ...options,
  });
  cleanups.push(() => discovery.close());
  return discovery;
}

function pluginOf(options: Partial<ZookeeperRegisterPluginOptions> = {}): ZookeeperRegisterPlugin {
  const plugin = new ZookeeperRegisterPlugin({
    servers: [zk.connectString],
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    updateIntervalMs: 500,
    backoff: BACKOFF,
    logger: logOf('plugin'),
    ...options,
  });
  cleanups.push(() => plugin.stop());
  return plugin;
}

/** A TS server answering `Who` with `id`, registered through its own plugin. */
async function startServer(
  id: string,
  servicePath: string,
  metadata = '',
  options: Partial<ZookeeperRegisterPluginOptions> = {},
) {
  const plugin = pluginOf(options);
  const server = new Server({ plugins: [plugin] });
  server.registerName(servicePath, { Who: () => id }, { metadata });
  const address = await server.listen('tcp@127.0.0.1:0');
  cleanups.push(() => server.close());
  return { server, plugin, address, node: `/rpcx/${servicePath}/${address}` };
}

function xclientOf(servicePath: string, discovery: ZookeeperDiscovery, group?: string) {
  const xclient = new XClient({ servicePath, discovery, group, retries: 1 });
  cleanups.push(() => xclient.close());
  return xclient;
}

const keysOf = (list: readonly { key: string }[]) => list.map((endpoint) => endpoint.key).sort();

describe("Go rpcx-zookeeper's layout", () => {
  test('base and service nodes persistent with Go data; the server node ephemeral, even with no refresh loop', async () => {
    const path = servicePathOf('Layout');
    const plugin = pluginOf({
      basePath: '/rpcx_test',
      serviceAddress: 'tcp@127.0.0.1:8972',
      updateIntervalMs: 0,
    });
    await plugin.start();
    await plugin.register(path, 'weight=10&group=a');

    expect(await raw.get('/rpcx_test')).toMatchObject({
      data: 'rpcx_path',
      ephemeralOwner: NO_OWNER,
    });
    expect(await raw.get(`/rpcx_test/${path}`)).toMatchObject({
      data: path,
      ephemeralOwner: NO_OWNER,
    });
    const node = await raw.get(`/rpcx_test/${path}/tcp@127.0.0.1:8972`);
    expect(node?.data).toBe('weight=10&group=a');
    // [Go: persistent when UpdateInterval is 0]
    expect(node?.ephemeralOwner).toBe(plugin.sessionId);
    expect(node?.ephemeralOwner).not.toBe(NO_OWNER);

    await plugin.unregister(path);
    expect(await raw.get(`/rpcx_test/${path}/tcp@127.0.0.1:8972`)).toBeUndefined();
    expect(await raw.get(`/rpcx_test/${path}`)).toMatchObject({ data: path });
  });

  test("a nested base path's upper levels are created empty, as Go's store does; stop deletes every node", async () => {
    const base = `/nested${unique}/rpcx`;
    const [one, two] = [servicePathOf('One'), servicePathOf('Two')];
    const plugin = pluginOf({ basePath: base, serviceAddress: 'tcp@127.0.0.1:8973' });
    await plugin.start();
    await plugin.register(one, '');
    await plugin.register(two, 'weight=2');
    expect((await raw.get(base.slice(0, base.lastIndexOf('/'))))?.data).toBe('');
    expect((await raw.get(base))?.data).toBe('rpcx_path');
    expect((await raw.get(`${base}/${two}/tcp@127.0.0.1:8973`))?.data).toBe('weight=2');
    await plugin.stop();
    expect(await raw.get(`${base}/${one}/tcp@127.0.0.1:8973`)).toBeUndefined();
    expect(await raw.get(`${base}/${two}/tcp@127.0.0.1:8973`)).toBeUndefined();
  });
});

describe('ZookeeperDiscovery', () => {
  test('reads persistent nodes as Go writes them with UpdateInterval 0', async () => {
    const path = servicePathOf('GoWritten');
    await raw.create(`/rpcx/${path}/tcp@127.0.0.1:9001`, 'weight=3&group=go');
    await raw.create(`/rpcx/${path}/tcp@127.0.0.1:9000`, '');
    const discovery = discoveryOf(path);
    expect(await discovery.ready()).toEqual([
      { key: 'tcp@127.0.0.1:9000', metadata: '' },
      { key: 'tcp@127.0.0.1:9001', metadata: 'weight=3&group=go' },
    ]);
    expect(discovery.path).toBe(`/rpcx/${path}`);
  });

  test('a service under a base path that does not exist yet: empty, then filled', async () => {
    const base = `/later${unique}`;
    const path = servicePathOf('Later');
    const discovery = discoveryOf(path, { basePath: base });
    expect(await discovery.ready()).toEqual([]);
    const plugin = pluginOf({ basePath: base, serviceAddress: 'tcp@127.0.0.1:9002' });
    await plugin.start();
    await plugin.register(path, 'weight=1');
    await eventually(
      () => discovery.getServices(),
      (list) => list.length === 1,
      5_000,
      'the late server listed',
    );
  });

  test('clones share the session; closing a clone leaves the original following', async () => {
    const [one, two] = [servicePathOf('One'), servicePathOf('Two')];
    const discovery = discoveryOf(one);
    await discovery.ready();
    const clone = discovery.clone(two);
    expect(clone.path).toBe(`/rpcx/${two}`);
    await clone.ready();
    expect(clone.connectAttempts).toBe(discovery.connectAttempts);
    await clone.close();
    await raw.create(`/rpcx/${one}/tcp@127.0.0.1:9003`, '');
    await eventually(
      () => discovery.getServices(),
      (list) => list.length === 1,
      5_000,
      'the original still following after its clone closed',
    );
  });

  test('metadata edits made in ZooKeeper (state=inactive, weight, group) reach an XClient within a second', async () => {
    const path = servicePathOf('Edits');
    const a = await startServer('a', path, 'group=blue');
    const b = await startServer('b', path, 'group=blue');
    const discovery = discoveryOf(path);
    const all = xclientOf(path, discovery);
    const blue = xclientOf(path, discovery, 'blue');
    const both = [a.address, b.address].sort().join();
    await eventually(
      () => keysOf(all.servers).join(),
      (k) => k === both,
      5_000,
      'both servers',
    );
    await eventually(
      () => keysOf(blue.servers).join(),
      (k) => k === both,
      5_000,
      'both blue',
    );

    // An operator drains b by hand.
    await raw.set(b.node, 'group=blue&state=inactive');
    const drained = await eventually(
      () => keysOf(all.servers).join() + keysOf(blue.servers).join(),
      (k) => k === a.address + a.address,
      1_000,
      'b drained',
    );
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++)
      answers.add(await all.call<string>('Who', {}, { timeoutMs: 2_000 }));
    expect([...answers]).toEqual(['a']);

    // ... brings it back with another weight ...
    await raw.set(b.node, 'group=blue&weight=7');
    const weighted = await eventually(
      () => all.servers.find((endpoint) => endpoint.key === b.address)?.metadata,
      (metadata) => metadata === 'group=blue&weight=7',
      1_000,
      'b back with weight 7',
    );

    // ... and moves it to another group.
    await raw.set(b.node, 'group=green&weight=7');
    const regrouped = await eventually(
      () => keysOf(blue.servers).join() + keysOf(all.servers).join(),
      (k) => k === a.address + both,
      1_000,
      'b out of group blue',
    );
    console.log(
      `[zookeeper] metadata edits reached the XClient in: state=inactive ${drained} ms, weight ${weighted} ms, group ${regrouped} ms`,
    );
  });
});

describe('ZookeeperRegisterPlugin refresh loop', () => {
  test('writes calls/connections from a metrics source, keeps an edit, re-creates a deleted node', async () => {
    const path = servicePathOf('Refresh');
    const plugin = pluginOf({
      serviceAddress: 'tcp@127.0.0.1:9010',
      updateIntervalMs: 150,
      metrics: { calls: () => 1.5, connections: () => 0.25 },
    });
    await plugin.start();
    await plugin.register(path, 'weight=10&group=a');
    const node = `/rpcx/${path}/tcp@127.0.0.1:9010`;
    const dataOf = async () => (await raw.get(node))?.data;
    // Go's value: url.Values.Encode of the stored metadata with the rates set (keys sorted).
    await eventually(
      dataOf,
      (data) => data === 'calls=1.50&connections=0.25&group=a&weight=10',
      3_000,
      'the rates written',
    );
    await raw.set(node, 'weight=1&state=inactive');
    await eventually(
      dataOf,
      (data) => data === 'calls=1.50&connections=0.25&state=inactive&weight=1',
      3_000,
      'the rates merged into the edit',
    );
    await raw.remove(node);
    await eventually(
      () => raw.get(node),
      (stored) => stored !== undefined && stored.ephemeralOwner === plugin.sessionId,
      3_000,
      'the node re-created, ephemeral',
    );
  });
});

describe('session expiry of a registering server', () => {
  // Method: the server's process is paused (SIGSTOP) for longer than its session timeout. It is
  // not a crash: the process, its listener and its ZooKeeper client survive, but ZooKeeper hears
  // nothing, expires the session and deletes its ephemeral node. On SIGCONT the client reconnects
  // with the old session, is told it expired, and the plugin starts a new session and re-creates
  // the node.
  test('the node vanishes when the session expires and is re-created by a new session', async () => {
    const path = servicePathOf('Expiry');
    const child = await startProcess(REGISTRANT, [
      '--zk',
      zk.connectString,
      '--service',
      path,
      '--id',
      'paused',
      '--session-timeout-ms',
      String(SESSION_TIMEOUT_MS),
      // No refresh loop: the new session alone must bring the node back.
      '--update-interval-ms',
      '0',
    ]);
    cleanups.push(async () => {
      process.kill(child.pid, 'SIGCONT');
      await child.kill('SIGKILL');
    });
    const address = child.ready[1]!;
    const first = (await child.waitForLine(/^SESSION (\S+)$/))[1];
    const node = `/rpcx/${path}/${address}`;
    expect((await raw.get(node))?.ephemeralOwner).toBe(first);

    const discovery = discoveryOf(path);
    const xclient = xclientOf(path, discovery);
    expect(keysOf(await discovery.ready())).toEqual([address]);
    expect(await xclient.call('Who', {}, { timeoutMs: 2_000 })).toBe('paused');

    process.kill(child.pid, 'SIGSTOP');
    const expiredIn = await eventually(
      () => raw.get(node),
      (stored) => stored === undefined,
      SESSION_TIMEOUT_MS + 3_000,
      'the paused server’s node deleted by the session expiry',
    );
    await eventually(
      () => discovery.getServices(),
      (l) => l.length === 0,
      2_000,
      'unlisted',
    );

    const resumedAt = Date.now();
    process.kill(child.pid, 'SIGCONT');
    const second = (await child.waitForLine(/^SESSION (\S+)$/, 10_000))[1];
    expect(second).not.toBe(first);
    await eventually(
      () => raw.get(node),
      (stored) => stored?.ephemeralOwner === second,
      5_000,
      'the node re-created by the new session',
    );
    await eventually(
      () => keysOf(discovery.getServices()).join(),
      (keys) => keys === address,
      5_000,
      'listed again',
    );
    expect(await xclient.call('Who', {}, { timeoutMs: 2_000 })).toBe('paused');
    console.log(
      `[zookeeper] session expiry: node gone ${expiredIn} ms after SIGSTOP; back ${Date.now() - resumedAt} ms after SIGCONT (session ${first} → ${second}); calls=2 failed=0 (one before, one after)`,
    );
  });
});

describe('ZooKeeper outage', () => {
  test('calls keep flowing to the last known servers; one-at-a-time capped backoff; watches and registration resume', async () => {
    const path = servicePathOf('Outage');
    // Sessions restored by a restarted ZooKeeper expire if not resumed within their timeout of
    // its start: 4 s (the most tickTime 200 allows) leaves room for a slow start on a busy machine.
    const longer = { sessionTimeoutMs: 4_000 };
    const a = await startServer('a', path, '', longer);
    const discovery = discoveryOf(path, {
      ...longer,
      backoff: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    const xclient = xclientOf(path, discovery);
    await eventually(
      () => keysOf(xclient.servers).join(),
      (k) => k === a.address,
      5_000,
      'a',
    );

    let made = 0;
    let failed = 0;
    let calling = true;
    const loop = (async () => {
      while (calling) {
        made++;
        try {
          await xclient.call('Who', {}, { timeoutMs: 2_000 });
        } catch {
          failed++;
        }
        await sleep(5);
      }
    })();

    const before = { discovery: discovery.connectAttempts, plugin: a.plugin.connectAttempts };
    const beforeSession = a.plugin.sessionId;
    await zk.stop();
    const outageMs = 3_000;
    const stoppedAt = Date.now();
    // Attempts seen over time, to check their pacing.
    const seen: number[] = [];
    while (Date.now() - stoppedAt < outageMs) {
      if (discovery.connectAttempts - before.discovery > seen.length) seen.push(Date.now());
      await sleep(5);
    }
    expect(discovery.connected).toBe(false);
    expect(keysOf(discovery.getServices())).toEqual([a.address]);
    const during = {
      discovery: discovery.connectAttempts - before.discovery,
      plugin: a.plugin.connectAttempts - before.plugin,
    };
    const callsDuringOutage = made;

    await zk.start();
    const startedAt = Date.now();
    await reconnectRaw();
    const reconnectMs = await eventually(
      () => discovery.connected && a.plugin.connected,
      (up) => up,
      5_000,
      'both sessions back',
    );
    // The watch resumed: a server registered now is seen.
    const b = await startServer('b', path, '', longer);
    await eventually(
      () => keysOf(discovery.getServices()).join(),
      (keys) => keys === [a.address, b.address].sort().join(),
      5_000,
      'b seen after the outage',
    );
    // a's registration is there, owned by its (resumed) session.
    expect((await raw.get(a.node))?.ephemeralOwner).toBe(a.plugin.sessionId);
    calling = false;
    await loop;

    const gaps = seen.slice(1).map((at, i) => at - seen[i]!);
    console.log(
      `[zookeeper] outage of ${outageMs} ms: calls=${made} failed=${failed} (${callsDuringOutage} by the end of the outage); ` +
        `connection attempts during it: discovery ${during.discovery} (gaps ${gaps.join(',')} ms), plugin ${during.plugin}; ` +
        `sessions back ${reconnectMs} ms after the restart (plugin session ${beforeSession === a.plugin.sessionId ? 'resumed' : 'replaced'}); ${Date.now() - startedAt} ms to see b`,
    );
    expect(failed).toBe(0);
    expect(made).toBeGreaterThan(0);
    // It keeps trying, but paced: after the first retries every pause is capped at maxMs
    // (400 ms, jittered down to 200 ms): no more than about 3000 / 200 + 4 attempts.
    expect(during.discovery).toBeGreaterThanOrEqual(3);
    expect(during.discovery).toBeLessThanOrEqual(20);
    expect(during.plugin).toBeLessThanOrEqual(20);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(400 + 300); // timers run late on a busy machine
  });

  test('a server started while ZooKeeper is down serves at once and registers when it is back, again after a wipe', async () => {
    const path = servicePathOf('Down');
    await zk.stop();
    const startedAt = Date.now();
    const late = await startServer('late', path, 'weight=2', { startTimeoutMs: 300 });
    const listenMs = Date.now() - startedAt;
    const direct = new XClient({
      servicePath: path,
      discovery: new MultipleServersDiscovery([{ key: late.address, metadata: '' }]),
    });
    cleanups.push(() => direct.close());
    expect(await direct.call('Who', {}, { timeoutMs: 2_000 })).toBe('late');
    expect(late.plugin.connected).toBe(false);
    let made = 1;

    await zk.start();
    await reconnectRaw();
    await eventually(
      () => raw.get(late.node),
      (stored) => stored?.data === 'weight=2' && stored.ephemeralOwner === late.plugin.sessionId,
      5_000,
      'registered once ZooKeeper is back',
    );

    // A wiped ensemble refuses clients that saw a later zxid: the plugin must notice, ask without
    // it, be told its session expired and start a new one (the plain raw client stays locked
    // out: use a new one).
    const firstSession = late.plugin.sessionId;
    await zk.restart({ wipe: true });
    const wipedAt = Date.now();
    await reconnectRaw();
    const reRegisteredMs = await eventually(
      () => raw.get(late.node),
      (stored) => stored?.data === 'weight=2' && stored.ephemeralOwner === late.plugin.sessionId,
      15_000,
      'registered again in the wiped ZooKeeper',
    );
    expect(late.plugin.sessionId).not.toBe(firstSession);
    made++;
    expect(await direct.call('Who', {}, { timeoutMs: 2_000 })).toBe('late');
    console.log(
      `[zookeeper] server started with ZooKeeper down: listening after ${listenMs} ms; registered again ${Date.now() - wipedAt} ms (${reRegisteredMs} ms polled) after a wiped restart; plugin connection attempts ${late.plugin.connectAttempts}; calls=${made} failed=0`,
    );
    expect(listenMs).toBeLessThan(2_000);
  });
});
