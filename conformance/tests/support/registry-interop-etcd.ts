/**
 * etcd in the registry interop tests (spec §6.4, §6.5): Go rpcx v1.9.4 with rpcxio/rpcx-etcd
 * v0.5.0 (`EtcdV3RegisterPlugin`, `NewEtcdV3Discovery`) against @rpcx/registry-etcd, on a real
 * etcd 3.6 on free loopback ports (scripts/registries/etcd.sh builds it once).
 */
import { createEtcdClient, EtcdDiscovery, EtcdRegisterPlugin } from '@rpcx/registry-etcd';
import { startEtcd } from '@rpcx/testing';
import { ensureRegistry, LocalRig } from './local-rig.js';
import type { RegistryInterop } from './registry-interop.js';

const BASE = '/rpcx_interop';

export const etcdInterop: RegistryInterop = {
  name: 'etcd',
  async start() {
    ensureRegistry('etcd', ['--no-debian']);
    const etcd = await startEtcd();
    const admin = createEtcdClient({ endpoints: etcd.endpoints });
    return new LocalRig({
      registry: 'etcd',
      addrs: etcd.endpoints,
      base: BASE,
      codec: 'json',
      // [Go quirk] The Go plugin writes a server's key only at its first UpdateInterval tick.
      goServerFlags: ['-interval', '500ms'],
      plugin: (basePath) =>
        new EtcdRegisterPlugin({
          endpoints: etcd.endpoints,
          basePath,
          ttlSeconds: 10,
          updateIntervalMs: 1_000,
        }),
      discovery: (servicePath) =>
        new EtcdDiscovery({ endpoints: etcd.endpoints, basePath: BASE, servicePath }),
      async checkGoWrites(service, address, metadata) {
        // Verbatim keys, all on one lease; [Go quirk] no service-level key.
        const response = await admin.getAll().prefix(BASE).exec();
        const mine = response.kvs
          .map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), lease: kv.lease }))
          .filter((kv) => kv.key === BASE || kv.key.startsWith(`${BASE}/${service}`));
        expect(mine.map(({ key, value }) => ({ key, value }))).toEqual([
          { key: BASE, value: 'rpcx_path' },
          { key: `${BASE}/${service}/${address}`, value: metadata },
        ]);
        const leases = [...new Set(mine.map((kv) => kv.lease))];
        expect(leases).toHaveLength(1);
        expect(leases[0]).not.toBe('0');
        // One 30 s lease per Go process, whatever UpdateInterval says.
        const ttl = await admin.leaseClient.leaseTimeToLive({ ID: leases[0]! });
        expect(ttl.grantedTTL).toBe('30');
      },
      async close() {
        admin.close();
        await etcd.close();
      },
    });
  },
  // [Go quirk] The key appears with the metadata as given; the next tick writes it back
  // re-encoded (url.Values.Encode: sorted).
  goMetadataListed: 'group=g&weight=3',
  // The Go plugin rewrites its key every tick, so a list update may fall between two calls of
  // either XClient: about half each, not exactly.
  mixedSplit: { goXClient: 'roughly', tsXClient: 'roughly' },
  quirks: [],
};
