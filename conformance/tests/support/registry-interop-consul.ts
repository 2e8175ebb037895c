/**
 * Consul in the registry interop tests (spec §6.4, §6.7): Go rpcx v1.9.4 with rpcxio/rpcx-consul
 * v0.1.1 (`ConsulRegisterPlugin`, `NewConsulDiscovery`) against @rpcx/registry-consul, on a real
 * Consul v1.14.11 `agent -dev` on free loopback ports. The Consul binary is built beforehand by
 * scripts/registries/consul.sh (minutes, never from inside jest; startConsul says so if missing).
 */
import { ConsulDiscovery, ConsulRegisterPlugin, LOCK_FLAG_VALUE } from '@rpcx/registry-consul';
import { startConsul } from '@rpcx/testing';
import { LocalRig } from './local-rig.js';
import type { RegistryInterop } from './registry-interop.js';

const BASE = '/rpcx_interop';

interface KvEntry {
  Key: string;
  Value: string | null;
  Session?: string;
  /** As written: a uint64 beyond JSON numbers' precision, so read from the text. */
  Flags: string;
}

export const consulInterop: RegistryInterop = {
  name: 'consul',
  async start() {
    const consul = await startConsul();
    const rawKv = async (prefix: string): Promise<KvEntry[]> => {
      const response = await fetch(`http://${consul.address}/v1/kv/${prefix}?recurse=true`);
      if (response.status === 404) return [];
      const text = await response.text();
      const flags = [...text.matchAll(/"Flags":\s*(\d+)/g)].map((match) => match[1]!);
      return (JSON.parse(text) as KvEntry[]).map((item, i) => ({
        ...item,
        Value: item.Value === null ? null : Buffer.from(item.Value, 'base64').toString(),
        Flags: flags[i]!,
      }));
    };
    return new LocalRig({
      registry: 'consul',
      addrs: [consul.address],
      base: BASE,
      codec: 'json',
      // regserver's default interval for consul is 10 s: [Go quirk] less makes Start fail.
      plugin: (basePath) =>
        new ConsulRegisterPlugin({
          address: consul.address,
          basePath,
          updateIntervalMs: 5_000,
          sessionTtlMs: 10_000,
        }),
      discovery: (servicePath) =>
        new ConsulDiscovery({ address: consul.address, basePath: BASE, servicePath }),
      async checkGoWrites(service, address, metadata) {
        // No leading slash, Go's flags, the node held by a session; the service key holds its name.
        const prefix = `${BASE.slice(1)}/${service}`;
        const written = await rawKv(prefix);
        const node = written.find((entry) => entry.Key === `${prefix}/${address}`);
        expect(node).toMatchObject({ Value: metadata, Flags: LOCK_FLAG_VALUE });
        expect(node!.Session).toBeDefined();
        expect(written.find((entry) => entry.Key === prefix)?.Value).toBe(service);
      },
      close: () => consul.close(),
    });
  },
  goMetadataListed: 'weight=3&group=g',
  // [Go] RoundRobin re-reads its servers from a map (random order) on each discovery event, and
  // the Go discovery's first watch event may land mid-run: 10/10 or 11/9. The TS XClient's list
  // does not change while it calls.
  mixedSplit: { goXClient: 'roughly', tsXClient: 'even' },
  quirks: [],
};
