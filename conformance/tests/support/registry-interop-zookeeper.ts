/**
 * ZooKeeper in the registry interop tests (spec §6.4, §6.6): Go rpcx v1.9.4 with
 * rpcxio/rpcx-zookeeper v0.0.0-20220730061732-d20531677676 (`ZooKeeperRegisterPlugin`,
 * `NewZookeeperDiscovery`) against @rpcx/registry-zookeeper, on a real ZooKeeper 3.8 (Debian's,
 * installed by scripts/registries/zookeeper.sh, started on a free loopback port).
 *
 * Its own cases: both plugins write the same znodes; and the Go quirks the TS side does not share
 * (a persistent node when UpdateInterval is 0, a discovery that fails on a service with no node).
 */
import { ZookeeperDiscovery, ZookeeperRegisterPlugin } from '@rpcx/registry-zookeeper';
import { startZookeeper } from '@rpcx/testing';
// A plain ZooKeeper client (the package's own spec helper) to read the znodes as they are.
import { connectRaw } from '../../../packages/registry-zookeeper/src/test-support/raw-zookeeper.js';
import { ensureRegistry, LocalRig } from './local-rig.js';
import type { RegistryInterop } from './registry-interop.js';

const BASE = '/rpcx_interop';
const SESSION_TIMEOUT_MS = 2_000;

class ZookeeperRig extends LocalRig {
  constructor(
    readonly connectString: string,
    close: () => Promise<void>,
  ) {
    super({
      registry: 'zookeeper',
      addrs: [connectString],
      base: BASE,
      // Go's DefaultOption and the TS default: the registry cases cross msgpack here, JSON on the
      // others.
      codec: 'msgpack',
      goServerFlags: ['-session-timeout', `${SESSION_TIMEOUT_MS}ms`],
      plugin: (basePath) =>
        new ZookeeperRegisterPlugin({
          servers: [connectString],
          basePath,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          updateIntervalMs: 1_000,
        }),
      discovery: (servicePath) =>
        new ZookeeperDiscovery({
          servers: [connectString],
          basePath: BASE,
          servicePath,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
        }),
      close,
    });
  }
}

let unique = 0;

export const zookeeperInterop: RegistryInterop<ZookeeperRig> = {
  name: 'zookeeper',
  async start() {
    ensureRegistry('zookeeper');
    const zk = await startZookeeper({ tickTimeMs: 200 });
    return new ZookeeperRig(zk.connectString, () => zk.close());
  },
  goMetadataListed: 'weight=3&group=g',
  // [Go] Go's round robin takes its servers from a map (random order) on every update, and the Go
  // discovery pushes the list once more just after it starts; the TS watch may update mid-run too.
  mixedSplit: { goXClient: 'both', tsXClient: 'both' },
  quirks: [
    {
      name: 'Go and TS write the same znodes: paths, data, ephemeral server nodes',
      async run(rig) {
        const raw = await connectRaw(rig.connectString);
        try {
          const layout = async (base: string, service: string, address: string) => {
            const node = await raw.get(`${base}/${service}/${address}`);
            return {
              base: (await raw.get(base))?.data,
              service: (await raw.get(`${base}/${service}`))?.data,
              node: node?.data,
              ephemeral: node !== undefined && node.ephemeralOwner !== '0000000000000000',
            };
          };
          const goBase = `/go_layout${++unique}`;
          const tsBase = `/ts_layout${unique}`;
          const service = `Layout${process.pid}`;
          // A leading '/' on BasePath or not: Go strips it and its store adds it back.
          const go = await rig.goServer('go-1', service, {
            metadata: 'weight=4',
            base: goBase.slice(1),
          });
          const ts = await rig.tsServer('ts-1', service, {
            metadata: 'weight=4',
            base: tsBase.slice(1),
          });
          const expected = { base: 'rpcx_path', service, node: 'weight=4', ephemeral: true };
          expect(await layout(goBase, service, go.address)).toEqual(expected);
          expect(await layout(tsBase, service, ts.address)).toEqual(expected);
        } finally {
          await raw.close();
        }
      },
    },
    {
      name: 'Go quirks the TS side does not share: a persistent node when UpdateInterval is 0; a discovery that fails on a missing service',
      async run(rig, note) {
        // [Go] UpdateInterval 0 makes the node persistent: a crashed Go server stays listed.
        const service = `Persistent${process.pid}x${++unique}`;
        const go = await rig.goServer('go-persistent', service, { interval: '0s' });
        await go.kill();
        const discovery = rig.tsDiscovery(service);
        // Nothing to poll for: the node must still be there after the session would have expired.
        await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS + 1_000));
        await discovery.ready();
        expect(discovery.getServices().map((e) => e.key)).toEqual([go.address]);

        // [Go] the discovery fails when the service's node does not exist; the TS one is empty.
        const missing = `Missing${process.pid}x${unique}`;
        const result = await rig.goCalls(missing, { expect: 0, n: 1 });
        expect(result.code).toBe(1);
        expect(result.error).toMatch(/not found|does not exist/i);
        note(`  [Go quirk] Go discovery of a service with no node yet: ${result.error}`);
        const tsMissing = rig.tsDiscovery(missing);
        await tsMissing.ready();
        expect(tsMissing.getServices()).toEqual([]);
      },
    },
  ],
};
