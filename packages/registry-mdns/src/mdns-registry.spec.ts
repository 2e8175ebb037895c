/**
 * @rpcx/registry-mdns against real multicast, inside a network namespace of the test's own: the
 * registry contract of @rpcx/testing, then mDNS's own behaviours (network outage, operator
 * edits reaching XClients within a second, goodbyes, calls/connections metrics, the 255-byte TXT
 * limit).
 *
 * Every mDNS socket lives in the agent (test-support/netns-agent.ts), a child started with
 * `unshare --net --mount` whose only interface is `lo`; it refuses to run elsewhere
 * (`assertIsolatedNetns`). The jest process drives it over stdin/stdout through proxy plugins
 * and discoveries (test-support/netns-registry.ts) and opens no multicast socket itself. The
 * rpcx servers and XClients of these tests run here, on this namespace's 127.0.0.1: only their
 * addresses travel through mDNS. Where namespaces cannot be made (not root), the first test
 * fails with unshare's message — never skipped.
 */
import { SerializeType, XClient } from '@rpcx/client';
import type { RegistryPlugin, ServiceDiscovery } from '@rpcx/core';
import { Server } from '@rpcx/server';
import { describeRegistryContract, netnsUnavailable } from '@rpcx/testing';
import { MdnsAgent, type RemoteDiscovery } from './test-support/netns-registry.js';
import { encodeServicesTxt, MAX_TXT_STRING_BYTES } from './txt-record.js';

jest.setTimeout(60_000);

test('network namespaces can be made here (the mDNS tests need them)', () => {
  expect(netnsUnavailable()).toBeUndefined();
});

// ---------------------------------------------------------------------------------------------
// Real rpcx servers and clients (in this process)

/** Servers and clients of the test under way, closed after it (before their agent stops). */
let servers: Server[] = [];
let clients: XClient[] = [];

async function closeRpc(): Promise<void> {
  const [c, s] = [clients, servers];
  clients = [];
  servers = [];
  await Promise.all(c.map((client) => client.close()));
  await Promise.all(s.map((server) => server.close()));
}

async function startServer(id: string, servicePath: string, plugins: readonly RegistryPlugin[]) {
  const server = new Server({ plugins: [...plugins] });
  server.registerName(servicePath, { Who: () => id }, { methods: ['Who'] });
  const address = await server.listen('tcp@127.0.0.1:0');
  servers.push(server);
  return { address, server, stop: () => server.shutdown({ timeoutMs: 2_000 }) };
}

function xclient(servicePath: string, discovery: ServiceDiscovery, group?: string) {
  const client = new XClient({
    servicePath,
    discovery,
    serializeType: SerializeType.JSON,
    group,
  });
  clients.push(client);
  return client;
}

afterEach(closeRpc);

/** Polls `check` every 10 ms for at most `limitMs`; fails with `what` otherwise. */
async function eventually(check: () => boolean, limitMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

const keys = (discovery: ServiceDiscovery) =>
  discovery
    .getServices()
    .map((e) => e.key)
    .sort();

// ---------------------------------------------------------------------------------------------

let contractAgent: MdnsAgent;

describeRegistryContract('mdns', {
  report: console.log,
  setup: async () => {
    contractAgent = await MdnsAgent.start();
    return contractAgent.registry();
  },
  teardown: async () => {
    await contractAgent?.stop();
  },
  rpc: {
    startServer: async (id, servicePath, plugins) => {
      const { address, stop } = await startServer(id, servicePath, plugins);
      return { address, stop };
    },
    xclient: (servicePath, discovery) => {
      const client = xclient(servicePath, discovery);
      return {
        who: (timeoutMs) => client.call<string>('Who', {}, { timeoutMs }),
        close: () => client.close(),
      };
    },
  },
  propagationMs: 4_000,
});

describe('mdns: beyond the contract', () => {
  let agent: MdnsAgent;
  const closing: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    agent = await MdnsAgent.start();
  });
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await agent?.stop();
  });

  let unique = 0;
  const pathOf = (name: string) => `${name}M${++unique}`;

  function discover(path: string, watchIntervalMs?: number): RemoteDiscovery {
    const discovery = agent.discovery(path, watchIntervalMs);
    closing.push(() => discovery.close());
    return discovery;
  }

  test('network outage: the list is kept, browses back off, one at a time; the server keeps serving and its registration made while down arrives after', async () => {
    const path = pathOf('Outage');
    const late = `${path}Late`;
    const plugin = agent.plugin();
    const { address, server } = await startServer('s1', path, [plugin]);
    const discovery = discover(path);
    const lateDiscovery = discover(late);
    await eventually(() => keys(discovery).join() === address, 4_000, 'the server listed');
    await lateDiscovery.ready();
    const client = xclient(path, discovery);

    let made = 0;
    let failed = 0;
    let calling = true;
    const loop = (async () => {
      while (calling) {
        made++;
        await client.call('Who', {}, { timeoutMs: 2_000 }).catch(() => failed++);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const before = await discovery.stats();
    await agent.request('net.down');
    // Registered while the network is down: announced once it is back.
    server.registerName(late, { Who: () => 's1-late' }, { methods: ['Who'] });
    const downFor = 2_500;
    await new Promise((resolve) => setTimeout(resolve, downFor));
    const during = await discovery.stats();
    const pluginDuring = await plugin.stats();
    expect(keys(discovery)).toEqual([address]); // kept
    await agent.request('net.up');

    const back = await eventually(
      () => keys(lateDiscovery).join() === address,
      5_000,
      'the registration made while down discovered',
    );
    await eventually(() => made > 0, 1_000, 'calls made');
    calling = false;
    await loop;
    // The discovery's next browse (its backoff wait is at most 1 s) succeeds.
    for (let giveUp = Date.now() + 3_000; Date.now() < giveUp; ) {
      if ((await discovery.stats()).consecutiveFailures === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const failedBrowses = during.failures - before.failures;
    console.log(
      `[registry mdns] outage ${downFor} ms: calls=${made} failed=${failed}; failed browses=${failedBrowses} (backoff 100 ms doubling to 1 s, jittered); announcements failed=${pluginDuring.failures}; late registration seen ${back} ms after the network came back`,
    );
    // Failed browses back off: with immediate retries there would be thousands, with a
    // fixed 100 ms pause about 25; doubling from 100 ms gives at most 7 in 2.5 s.
    expect(failedBrowses).toBeGreaterThanOrEqual(2);
    expect(failedBrowses).toBeLessThanOrEqual(8);
    expect(pluginDuring.failures).toBeGreaterThanOrEqual(1);
    expect((await discovery.stats()).consecutiveFailures).toBe(0);
    expect(keys(discovery)).toEqual([address]);
    expect(failed).toBe(0);
  });

  test('operator edits (weight, state=inactive, group) reach an XClient within a second', async () => {
    const path = pathOf('Edit');
    const a = await startServer('a', path, [agent.plugin()]);
    const b = await startServer('b', path, [agent.plugin()]);
    const discovery = discover(path);
    const client = xclient(path, discovery);
    const blue = xclient(path, discover(path), 'blue');
    await eventually(() => client.servers.length === 2, 4_000, 'both servers');
    expect(blue.servers).toEqual([]);

    const edit = (address: string, metadata: string) =>
      agent.request('edit', { path, address, metadata });

    await edit(b.address, 'weight=7');
    const weightMs = await eventually(
      () => client.servers.some((e) => e.key === b.address && e.metadata === 'weight=7'),
      1_000,
      'weight=7 seen by the XClient',
    );

    await edit(b.address, 'weight=7&state=inactive');
    const drainMs = await eventually(
      () => client.servers.map((e) => e.key).join() === a.address,
      1_000,
      'b drained',
    );
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await client.call<string>('Who', {}));
    expect([...answers]).toEqual(['a']);

    await edit(a.address, 'group=blue');
    const groupMs = await eventually(
      () => blue.servers.map((e) => e.key).join() === a.address,
      1_000,
      'a in group blue',
    );
    expect(await blue.call<string>('Who', {})).toBe('a');
    console.log(
      `[registry mdns] operator edits seen by the XClient after: weight ${weightMs} ms, state=inactive ${drainMs} ms, group ${groupMs} ms`,
    );
  });

  test('a graceful stop says goodbye: the server leaves at once, not at the next browse', async () => {
    const path = pathOf('Goodbye');
    const plugin = agent.plugin('tcp@127.0.0.1:7101');
    await plugin.start(['tcp@127.0.0.1:7101']);
    await plugin.register(path, 'weight=1');
    // A 60 s interval: only the first browse and announcements can change this list.
    const discovery = discover(path, 60_000);
    await eventually(() => keys(discovery).length === 1, 3_000, 'listed');
    const gone = plugin.stop();
    const ms = await eventually(() => keys(discovery).length === 0, 1_000, 'gone after goodbye');
    await gone;
    console.log(`[registry mdns] goodbye seen after ${ms} ms`);
  });

  test('with metrics, each refresh announces calls/connections in the TXT meta, as Go formats them; an element they would push over 255 bytes goes without', async () => {
    const path = pathOf('Metered');
    const wide = `${path}Wide`;
    // A server in the namespace counting its calls and connections (RegistryMeters), refreshing
    // every 200 ms.
    const { handle, address } = await agent.request<{ handle: number; address: string }>(
      'ts.server',
      { path, id: 'm1', metadata: 'weight=3', metrics: true, updateIntervalMs: 200 },
    );
    closing.push(() => agent.request('ts.server.stop', { handle }));
    // The longest metadata whose element still fits a DNS string alone; with the rates it would not.
    const fits = (meta: string) =>
      Buffer.byteLength(encodeServicesTxt([{ service: wide, meta, serviceAddress: address }])) <=
      MAX_TXT_STRING_BYTES;
    let long = 'x=';
    while (fits(`${long}y`)) long += 'y';
    await agent.request('ts.server.register', { handle, path: wide, id: 'm1', metadata: long });
    const discovery = discover(path);
    const wideDiscovery = discover(wide);
    await eventually(
      () => keys(discovery).join() === address && keys(wideDiscovery).join() === address,
      4_000,
      'both services listed',
    );

    const run = await agent.request<{ calls: number; failed: number }>('ts.calls', {
      path,
      calls: 5,
    });
    expect(run.failed).toBe(0);
    const metered = /^calls=(\d+\.\d\d)&connections=(\d+\.\d\d)&weight=3$/;
    const ratesMs = await eventually(
      () => {
        const rates = metered.exec(discovery.getServices()[0]?.metadata ?? '');
        return rates !== null && Number(rates[1]) > 0 && Number(rates[2]) > 0;
      },
      4_000,
      'calls and connections (> 0, %.2f, keys sorted) in the announced metadata',
    );

    // The wide element, laid out with the rates by the same refreshes, is announced as
    // registered, intact: checked after a browse that began after the rates were seen.
    const browses = (await wideDiscovery.stats()).browses;
    for (let giveUp = Date.now() + 4_000; (await wideDiscovery.stats()).browses < browses + 2; ) {
      if (Date.now() > giveUp) throw new Error('the wide discovery browsed no more');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(wideDiscovery.getServices()).toEqual([{ key: address, metadata: long }]);
    expect(
      (await agent.request<{ failures: number }>('ts.server.stats', { handle })).failures,
    ).toBe(0);
    console.log(`[registry mdns] calls/connections announced ${ratesMs} ms after the calls`);
  });

  test('services over the 255-byte TXT string go to several instances, all found', async () => {
    const address = 'tcp@127.0.0.1:7102';
    const plugin = agent.plugin(address);
    closing.push(() => plugin.stop());
    await plugin.start([address]);
    const paths = [0, 1, 2, 3, 4].map((i) => pathOf(`Wide${i}Service`));
    let instances: string[] = [];
    for (const path of paths) {
      ({ instances } = await agent.request<{ instances: string[] }>('plugin.register', {
        handle: await plugin.handle(),
        path,
        metadata: 'weight=10&group=a-rather-long-group-name',
      }));
    }
    expect(instances.length).toBeGreaterThan(1);
    const found = paths.map((path) => discover(path));
    await eventually(
      () => found.every((d) => keys(d).join() === address),
      4_000,
      'every service found',
    );
    // One element alone too long for a DNS string is refused.
    await expect(plugin.register(pathOf('Long'), `x=${'y'.repeat(300)}`)).rejects.toThrow(
      /over the 255 a DNS string holds/,
    );
    // Unregistering one leaves the others.
    await plugin.unregister(paths[0]!);
    await eventually(() => keys(found[0]!).length === 0, 4_000, 'the unregistered one gone');
    expect(found.slice(1).every((d) => keys(d).join() === address)).toBe(true);
  });
});
