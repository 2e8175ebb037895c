/**
 * EtcdRegisterPlugin and EtcdDiscovery against a real etcd 3.6 (free loopback ports, temp data):
 * Go's key layout and values exactly (spec §6.4, §6.5), the lease, the refresh loop (a vanished
 * node written again, `calls` / `connections` merged as Go encodes them), keys written the way
 * Go's plugin writes them read back, metadata edits reaching an XClient within a second, clones,
 * filters, and the static discovery contract.
 */
import { XClient } from '@rpcx/client';
import type { ServiceEndpoint } from '@rpcx/core';
import {
  describeStaticDiscoveryContract,
  type EtcdCluster,
  eventually,
  startEtcd,
} from '@rpcx/testing';
import { Etcd3 } from 'etcd3';
import { EtcdDiscovery } from './etcd-discovery.js';
import { EtcdRegisterPlugin, type EtcdRegisterPluginOptions } from './etcd-register-plugin.js';
import { etcdNodeKey } from './keys.js';
import {
  dump,
  type FleetServer,
  fleetClient,
  keepCalling,
  startFleetServer,
  uniquePath,
} from './test-support/fixtures.js';

jest.setTimeout(30_000);

let etcd: EtcdCluster;
let admin: Etcd3;
let endpoints: string[];
const closing: Array<() => unknown> = [];

beforeAll(async () => {
  etcd = await startEtcd();
  endpoints = [...etcd.endpoints];
  admin = new Etcd3({ hosts: [...etcd.clientUrls] });
});

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

afterAll(async () => {
  admin?.close();
  await etcd?.close();
});

function plugin(
  options: Partial<EtcdRegisterPluginOptions> & { basePath: string },
): EtcdRegisterPlugin {
  const made = new EtcdRegisterPlugin({
    endpoints,
    ttlSeconds: 5,
    updateIntervalMs: 0,
    ...options,
  });
  closing.push(() => made.stop());
  return made;
}

function discovery(
  basePath: string,
  servicePath: string,
  extra: Partial<EtcdDiscoveryOptionsLike> = {},
) {
  const made = new EtcdDiscovery({ endpoints, basePath, servicePath, ...extra });
  closing.push(() => made.close());
  return made;
}
type EtcdDiscoveryOptionsLike = ConstructorParameters<typeof EtcdDiscovery>[0];

async function server(
  id: string,
  basePath: string,
  servicePath: string,
  metadata = '',
): Promise<FleetServer> {
  const started = await startFleetServer(
    id,
    servicePath,
    { endpoints, basePath, ttlSeconds: 5 },
    metadata,
  );
  closing.push(() => started.shutdown());
  return started;
}

/** Follows a discovery's watch, keeping the latest list. */
function follow(source: EtcdDiscovery): () => readonly ServiceEndpoint[] {
  let latest = source.getServices();
  const controller = new AbortController();
  void (async () => {
    for await (const list of source.watch(controller.signal)) latest = list;
  })();
  closing.push(() => controller.abort());
  return () => latest;
}

describe('EtcdRegisterPlugin writes what Go writes', () => {
  test('markers and node at register time, all on one lease of the TTL asked for', async () => {
    const base = `/rpcx_layout${process.pid}`;
    const path = uniquePath('Arith');
    const registry = plugin({ basePath: base, ttlSeconds: 7 });
    await registry.start(['tcp@127.0.0.1:7101', 'tcp@127.0.0.1:7102']);
    await registry.register(path, 'weight=10&group=a');
    expect(registry.serviceAddress).toBe('tcp@127.0.0.1:7101');
    expect(registry.healthy).toBe(true);

    const lease = registry.leaseId!;
    expect(await dump(admin, base)).toEqual([
      { key: base, value: 'rpcx_path', lease },
      { key: `${base}/${path}`, value: path, lease },
      { key: `${base}/${path}/tcp@127.0.0.1:7101`, value: 'weight=10&group=a', lease },
    ]);
    const ttl = await admin.leaseClient.leaseTimeToLive({ ID: lease });
    expect(ttl.grantedTTL).toBe('7');

    await registry.unregister(path);
    expect((await dump(admin, base)).map((kv) => kv.key)).toEqual([base, `${base}/${path}`]);

    // stop() revokes the lease: nothing of this server is left.
    await registry.register(path, 'weight=1');
    await registry.stop();
    expect(await dump(admin, base)).toEqual([]);
  });

  test('the lease is kept alive past its TTL; a node deleted by hand is written again', async () => {
    const base = `/rpcx_refresh${process.pid}`;
    const path = uniquePath('Arith');
    const registry = plugin({ basePath: base, ttlSeconds: 2, updateIntervalMs: 200 });
    await registry.start(['tcp@127.0.0.1:7111']);
    await registry.register(path, 'weight=3');
    const node = etcdNodeKey(base, path, 'tcp@127.0.0.1:7111');
    // One and a half TTLs later the keys are still there (keep-alive every third of the TTL).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await dump(admin, node)).map((kv) => kv.value)).toEqual(['weight=3']);

    await admin.delete().key(node).exec();
    const back = await eventually(
      () => dump(admin, node),
      (kvs) => kvs.length === 1,
      2_000,
      'the node back',
    );
    expect(back[0]).toEqual({ key: node, value: 'weight=3', lease: registry.leaseId });
  });

  test('metrics: calls and connections merged into the metadata, encoded as Go does', async () => {
    const base = `/rpcx_metrics${process.pid}`;
    const path = uniquePath('Arith');
    const registry = plugin({
      basePath: base,
      updateIntervalMs: 100,
      metrics: { calls: () => 12.345, connections: () => 0.5 },
    });
    await registry.start(['tcp@127.0.0.1:7121']);
    await registry.register(path, 'weight=10&group=a b');
    const node = etcdNodeKey(base, path, 'tcp@127.0.0.1:7121');
    await eventually(
      () => dump(admin, node),
      (kvs) => kvs[0]?.value === 'calls=12.35&connections=0.50&group=a+b&weight=10',
      2_000,
      'metrics merged, keys sorted, Go query escaping',
    );

    // A hand edit put without the lease (plain `etcdctl put`) is kept, and the lease re-attached.
    await admin.put(node).value('weight=99');
    const edited = await eventually(
      () => dump(admin, node),
      (kvs) => kvs[0]?.value === 'calls=12.35&connections=0.50&weight=99',
      2_000,
      'the hand edit kept with metrics',
    );
    expect(edited[0]!.lease).toBe(registry.leaseId);
  });

  test('register before start is written at start; an empty service path is refused', async () => {
    const base = `/rpcx_early${process.pid}`;
    const path = uniquePath('Arith');
    const registry = plugin({ basePath: base });
    await registry.register(path, 'weight=2');
    expect(await dump(admin, base)).toEqual([]);
    await registry.start(['tcp@127.0.0.1:7131']);
    expect((await dump(admin, `${base}/${path}/`)).map((kv) => kv.value)).toEqual(['weight=2']);
    await expect(registry.register('  ', '')).rejects.toThrow(
      "Register service `name` can't be empty",
    );
  });
});

describe('EtcdDiscovery', () => {
  test('reads what Go writes: verbatim keys, Arith never ArithX, unix addresses with slashes', async () => {
    const lease = (await admin.leaseClient.leaseGrant({ TTL: 30 })).ID;
    const put = (key: string, value: string) =>
      admin.kv.put({ key: Buffer.from(key), value: Buffer.from(value), lease });
    // Go's plugin: the base marker at Start, the node at its first tick, the service marker never.
    await put('/rpcx_go', 'rpcx_path');
    await put('/rpcx_go/Arith/tcp@127.0.0.1:8972', 'calls=0.00&connections=0.00&weight=2');
    await put('/rpcx_go/Arith/unix@/run/rpcx.sock', '');
    await put('/rpcx_go/ArithX/tcp@127.0.0.1:8973', '');
    await put('rpcx_go/Arith/tcp@127.0.0.1:9999', 'no leading slash: another base path');

    const arith = discovery('/rpcx_go', 'Arith');
    await arith.ready();
    expect(arith.getServices()).toEqual([
      { key: 'tcp@127.0.0.1:8972', metadata: 'calls=0.00&connections=0.00&weight=2' },
      { key: 'unix@/run/rpcx.sock', metadata: '' },
    ]);
    const noSlash = discovery('rpcx_go', 'Arith');
    await noSlash.ready();
    expect(noSlash.getServices()).toEqual([
      { key: 'tcp@127.0.0.1:9999', metadata: 'no leading slash: another base path' },
    ]);
    const arithX = arith.clone('ArithX');
    closing.push(() => arithX.close());
    await arithX.ready();
    expect(arithX.getServices().map((e) => e.key)).toEqual(['tcp@127.0.0.1:8973']);
    await admin.leaseClient.leaseRevoke({ ID: lease });
    await eventually(
      () => arith.getServices(),
      (l) => l.length === 0,
      2_000,
      'revoked keys gone',
    );
  });

  test('metadata edits in etcd reach an XClient within a second (state, weight, group)', async () => {
    const base = `/rpcx_edit${process.pid}`;
    const path = uniquePath('Fleet');
    const s1 = await server('s1', base, path, 'weight=1');
    const s2 = await server('s2', base, path, 'weight=1');
    const found = discovery(base, path);
    await found.ready();
    const client = fleetClient(path, found);
    closing.push(() => client.close());
    await eventually(
      () => client.servers.length,
      (n) => n === 2,
      2_000,
      'both servers',
    );
    const calling = keepCalling(client);

    // Drain s2 by hand, as an operator does with etcdctl (the key keeps its lease).
    const edit = (key: string, metadata: string) =>
      admin.kv.put({
        key: Buffer.from(etcdNodeKey(base, path, key)),
        value: Buffer.from(metadata),
        ignore_lease: true,
      });
    let started = Date.now();
    await edit(s2.key, 'weight=1&state=inactive');
    await eventually(
      () => client.servers.map((e) => e.key),
      (keys) => keys.join() === s1.key,
      1_000,
      's2 drained',
    );
    const drainMs = Date.now() - started;
    const before = calling.tally.by.get('s2') ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calling.tally.by.get('s2') ?? 0).toBeLessThanOrEqual(before + 1); // at most one in flight

    started = Date.now();
    await edit(s2.key, 'weight=7');
    await eventually(
      () => found.getServices().find((e) => e.key === s2.key)?.metadata,
      (metadata) => metadata === 'weight=7',
      1_000,
      'the new weight',
    );
    await eventually(
      () => client.servers.length,
      (n) => n === 2,
      1_000,
      's2 back',
    );
    const weightMs = Date.now() - started;

    // A client of group `blue` sees no server until an operator puts s1 into that group.
    const blue = new XClient({ servicePath: path, discovery: found, group: 'blue' });
    closing.push(() => blue.close());
    expect(blue.servers).toEqual([]);
    started = Date.now();
    await edit(s1.key, 'weight=1&group=blue');
    await eventually(
      () => blue.servers.map((e) => e.key),
      (keys) => keys.join() === s1.key,
      1_000,
      's1 in group blue',
    );
    const groupMs = Date.now() - started;
    expect(await blue.call<{ Id: string }>('Who', {})).toEqual({ Id: 's1' });

    const tally = await calling.stop();
    console.log(
      `[etcd] metadata edits under load: calls=${tally.made} failed=${tally.failed}; seen after drain ${drainMs} ms, weight ${weightMs} ms, group ${groupMs} ms`,
    );
    expect(tally.failed).toBe(0);
  });

  test('filter; clone closes on its own; close ends the watchers', async () => {
    const base = `/rpcx_clone${process.pid}`;
    const path = uniquePath('Svc');
    const registry = plugin({ basePath: base });
    await registry.start(['tcp@127.0.0.1:7141']);
    await registry.register(path, 'weight=1');
    await registry.register(`${path}Other`, 'weight=1&zone=b');

    const kept = discovery(base, path, { filter: (e) => !e.metadata.includes('zone=b') });
    await kept.ready();
    expect(kept.getServices().map((e) => e.key)).toEqual(['tcp@127.0.0.1:7141']);
    const other = kept.clone(`${path}Other`);
    await other.ready();
    expect(other.getServices()).toEqual([]); // the filter goes with the clone
    expect(other.servicePath).toBe(`${path}Other`);
    await other.close();
    // The original still follows etcd on the shared connection.
    const latest = follow(kept);
    await registry.register(path, 'weight=4');
    await eventually(
      latest,
      (l) => l[0]?.metadata === 'weight=4',
      2_000,
      'the edit after the clone closed',
    );

    const lists = kept.watch();
    const next = lists.next();
    await kept.close();
    expect(await next).toEqual({ done: true, value: undefined });
    // ready() after close: the first list was in before, so it still resolves (with the last list).
    expect((await kept.ready()).map((e) => e.key)).toEqual(['tcp@127.0.0.1:7141']);
    const unseen = discovery(base, path);
    await unseen.close();
    await expect(unseen.ready()).rejects.toThrow('closed before its first list');
  });
});

// The static contract: a discovery of a service whose servers stay put.
const STATIC_BASE = `/rpcx_static${process.pid}`;
let staticReady: Promise<unknown> | undefined;
describeStaticDiscoveryContract('EtcdDiscovery', {
  create: async () => {
    staticReady ??= admin.put(`${STATIC_BASE}/Static/tcp@127.0.0.1:7151`).value('weight=2').exec();
    await staticReady;
    const made = new EtcdDiscovery({ endpoints, basePath: STATIC_BASE, servicePath: 'Static' });
    await made.ready();
    return made;
  },
  expected: [{ key: 'tcp@127.0.0.1:7151', metadata: 'weight=2' }],
  watchEndsAtOnce: false,
  cloneServicePath: 'Nothing',
  expectedFromClone: [],
});
