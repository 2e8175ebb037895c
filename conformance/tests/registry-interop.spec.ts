/**
 * TS ↔ Go through every registry (spec §6.4–6.8): the same cases on etcd, ZooKeeper, Consul and
 * mDNS, driven by one table (support/registry-interop-<name>.ts: how each registry starts, its TS
 * plugin and discovery, its Go flags, its expectations and its own cases). The Go side is
 * conformance/go `regserver` and `regxclient` with `-registry <name>` (built by
 * conformance/build.sh): Go rpcx v1.9.4 with the Go registry plugins.
 *
 * - a Go server registered by the Go plugin is discovered and called by a TS XClient;
 * - a TS server registered by the TS plugin is discovered and called by a Go XClient;
 * - a mixed fleet (one Go, one TS server under one service): a Go XClient and a TS XClient each
 *   reach both;
 * - then each registry's own cases (its quirks, and layouts both plugins must share).
 *
 * The calls made and failed are printed per registry.
 */

import { eventually } from '@rpcx/testing';
import {
  type CallsResult,
  type InteropRig,
  listedKeys,
  type RegistryInterop,
  type Split,
} from './support/registry-interop.js';
import { consulInterop } from './support/registry-interop-consul.js';
import { etcdInterop } from './support/registry-interop-etcd.js';
import { mdnsInterop } from './support/registry-interop-mdns.js';
import { zookeeperInterop } from './support/registry-interop-zookeeper.js';

jest.setTimeout(90_000);

const REGISTRIES: RegistryInterop[] = [etcdInterop, zookeeperInterop, consulInterop, mdnsInterop];

/** The metadata the Go server of the first case registers with. */
const GO_METADATA = 'weight=3&group=g';
const TS_METADATA = 'weight=2&group=g';

let unique = 0;
const serviceOf = (name: string) => `${name}${process.pid}x${++unique}`;

function expectSplit(servers: Record<string, number>, ids: string[], split: Split): void {
  expect(Object.keys(servers).sort()).toEqual(ids);
  const counts = ids.map((id) => servers[id]!);
  expect(counts.reduce((sum, n) => sum + n, 0)).toBe(20);
  const least = { even: 10, roughly: 5, both: 1 }[split];
  expect(Math.min(...counts)).toBeGreaterThanOrEqual(least);
}

describe.each(REGISTRIES.map((registry) => [registry.name, registry] as const))(
  '%s',
  (name, registry) => {
    let rig: InteropRig;
    const tally: string[] = [];
    const record = (scenario: string, result: CallsResult) => {
      tally.push(`  ${scenario}: calls=${result.calls} failed=${result.failed}`);
      return result;
    };

    // Minutes when a registry server or the Go programs are built for the first time.
    beforeAll(async () => {
      rig = await registry.start();
    }, 16 * 60_000);
    afterEach(() => rig?.cleanup());
    afterAll(async () => {
      await rig?.close();
      if (tally.length > 0)
        console.log(`[${name} interop] calls made/failed:\n${tally.join('\n')}`);
    });

    test('a Go server registered by the Go plugin is discovered and called by a TS XClient', async () => {
      const service = serviceOf('GoToTs');
      const go = await rig.goServer('go-1', service, { metadata: GO_METADATA });
      const discovery = rig.tsDiscovery(service);
      const listed = await eventually(
        () => discovery.getServices(),
        (list) => list.length === 1 && list[0]!.metadata === registry.goMetadataListed,
        10_000,
        'the Go server listed with its metadata',
      );
      expect(listed).toEqual([{ key: go.address, metadata: registry.goMetadataListed }]);
      await rig.checkGoWrites?.(service, go.address, registry.goMetadataListed);

      const result = record(
        'Go server → TS XClient',
        await rig.tsCalls(service, { expect: 1, n: 10 }),
      );
      expect(result).toEqual({
        discovered: [{ key: go.address, value: registry.goMetadataListed }],
        calls: 10,
        failed: 0,
        servers: { 'go-1': 10 },
        errors: [],
      });

      // A graceful Go shutdown unregisters: the TS discovery drops the server.
      await go.stop();
      await eventually(
        () => listedKeys(discovery),
        (keys) => keys.length === 0,
        5_000,
        'Go gone',
      );
    });

    test('a TS server registered by the TS plugin is discovered and called by a Go XClient', async () => {
      const service = serviceOf('TsToGo');
      const ts = await rig.tsServer('ts-1', service, { metadata: TS_METADATA });
      const result = record(
        'TS server → Go XClient',
        await rig.goCalls(service, { expect: 1, n: 10 }),
      );
      expect(result).toEqual({
        discovered: [{ key: ts.address, value: TS_METADATA }],
        calls: 10,
        failed: 0,
        servers: { 'ts-1': 10 },
        errors: [],
        code: 0,
      });
    });

    test('a mixed fleet (one Go, one TS server under one service): a Go and a TS XClient each reach both', async () => {
      const service = serviceOf('Mixed');
      const go = await rig.goServer('go-2', service);
      const ts = await rig.tsServer('ts-2', service);
      const both = [go.address, ts.address].sort();
      const discovery = rig.tsDiscovery(service);
      await eventually(
        () => listedKeys(discovery),
        (keys) => keys.join() === both.join(),
        10_000,
        'both servers listed',
      );

      const fromGo = record(
        'mixed fleet → Go XClient',
        await rig.goCalls(service, { expect: 2, n: 20 }),
      );
      const fromTs = record(
        'mixed fleet → TS XClient',
        await rig.tsCalls(service, { expect: 2, n: 20 }),
      );
      tally.push(
        `    (Go XClient split ${JSON.stringify(fromGo.servers)}, TS XClient split ${JSON.stringify(fromTs.servers)})`,
      );
      for (const [result, split] of [
        [fromGo, registry.mixedSplit.goXClient],
        [fromTs, registry.mixedSplit.tsXClient],
      ] as const) {
        expect(result.discovered.map((pair) => pair.key)).toEqual(both);
        expect(result).toMatchObject({ calls: 20, failed: 0 });
        expectSplit(result.servers, ['go-2', 'ts-2'], split);
      }
    });

    for (const quirk of registry.quirks) {
      test(quirk.name, () => quirk.run(rig, (line) => tally.push(line)));
    }
  },
);
