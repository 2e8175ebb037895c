/**
 * mDNS in the registry interop tests (spec §6.8): Go rpcx v1.9.4's built-in
 * `serverplugin.MDNSRegisterPlugin` / `client.MDNSDiscovery` (grandcat/zeroconf) against
 * @rpcx/registry-mdns.
 *
 * Everything that sends multicast — regserver and regxclient with `-registry mdns`, TS servers
 * with `MdnsRegisterPlugin`, TS XClients over `MdnsDiscovery` — runs inside one network namespace
 * made for these tests (`unshare --net`, `lo` with multicast plus an empty bridge `br0`, which Go's
 * zeroconf needs), as children of the agent (packages/registry-mdns/src/test-support/
 * netns-agent.ts); the TCP calls stay inside it too. The Go programs and the agent refuse to run
 * outside such a namespace. Where namespaces cannot be made, starting the agent fails with
 * unshare's message.
 *
 * Each test stops its servers (gracefully: goodbyes), so the next one's browses do not see them:
 * [Go quirk] Go's discovery lists every rpcx server on the network whatever service it serves.
 */
import { dirname } from 'node:path';
import { eventually, netnsUnavailable } from '@rpcx/testing';
import { MdnsAgent } from '../../../packages/registry-mdns/src/test-support/netns-registry.js';
import { goBin } from './go-tools.js';
import {
  type CallsOptions,
  type CallsResult,
  type GoCallsResult,
  type GoServerHandle,
  type GoServerOptions,
  type InteropRig,
  listedKeys,
  type RegistryInterop,
  RigBase,
  type ServerHandle,
  type TsServerOptions,
} from './registry-interop.js';

interface MdnsGoServerOptions extends GoServerOptions {
  /** Runs it in a UTS namespace with this host name (Go names its instance after the host). */
  hostname?: string;
}

class MdnsRig extends RigBase implements InteropRig {
  /** Unused by mDNS: the service path is in the TXT record. */
  readonly base = '';

  constructor(readonly agent: MdnsAgent) {
    super();
  }

  async goServer(
    id: string,
    path: string,
    { metadata, interval, hostname }: MdnsGoServerOptions = {},
  ): Promise<GoServerHandle> {
    const { handle, address } = await this.agent.request<{ handle: number; address: string }>(
      'go.server',
      { id, path, metadata, interval, hostname },
    );
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await this.agent.request('go.server.stop', { handle });
    };
    this.track(stop);
    return {
      address,
      stop,
      kill: async () => {
        stopped = true;
        await this.agent.request('go.server.kill', { handle });
      },
    };
  }

  async tsServer(
    id: string,
    path: string,
    { metadata }: TsServerOptions = {},
  ): Promise<ServerHandle & { handle: number }> {
    const { handle, address } = await this.agent.request<{ handle: number; address: string }>(
      'ts.server',
      { id, path, metadata },
    );
    let stopped: Promise<unknown> | undefined;
    const stop = async () => {
      stopped ??= this.agent.request('ts.server.stop', { handle });
      await stopped;
    };
    this.track(stop);
    return { handle, address, stop };
  }

  goCalls(path: string, { expect, n, waitMs = 15_000 }: CallsOptions): Promise<GoCallsResult> {
    return this.agent.request<GoCallsResult>(
      'go.xclient',
      { path, expect, n, wait: `${waitMs}ms` },
      waitMs + 45_000,
    );
  }

  tsCalls(path: string, { expect, n, waitMs = 15_000 }: CallsOptions): Promise<CallsResult> {
    return this.agent.request<CallsResult>(
      'ts.calls',
      { path, expect, n, waitMs },
      waitMs + 45_000,
    );
  }

  /** A discovery in the namespace, mirrored here; its own browse interval if given. */
  tsDiscovery(path: string, watchIntervalMs?: number) {
    const discovery = this.agent.discovery(path, watchIntervalMs);
    this.track(() => discovery.close());
    return discovery;
  }

  protected stopRegistry(): Promise<void> {
    return this.agent.stop();
  }
}

let unique = 0;
const pathOf = (name: string) => `${name}Q${++unique}`;

export const mdnsInterop: RegistryInterop<MdnsRig> = {
  name: 'mdns',
  async start() {
    const goBinDir = dirname(goBin('regserver'));
    return new MdnsRig(await MdnsAgent.start({ bridge: true, goBin: goBinDir }));
  },
  goMetadataListed: 'weight=3&group=g',
  // RoundRobin over two servers whose list does not change: ten calls each.
  mixedSplit: { goXClient: 'even', tsXClient: 'even' },
  quirks: [
    {
      name: 'network namespaces can be made here (the mDNS interop tests need them)',
      async run() {
        expect(netnsUnavailable()).toBeUndefined();
      },
    },
    {
      name: "a Go server's goodbye reaches a TS discovery at once; a killed Go server is gone at the next browse",
      async run(rig, note) {
        const path = pathOf('Fleet');
        // A 60 s interval: only the first browse and announcements can change this list.
        const slow = rig.tsDiscovery(path, 60_000);
        const browsing = rig.tsDiscovery(path);
        // Two hosts: Go names its instance after the host name (see the next case).
        const first = await rig.goServer('go-1', path, { hostname: 'go-host-1' });
        const second = await rig.goServer('go-2', path, { hostname: 'go-host-2' });
        const both = [first.address, second.address].sort().join();
        const lists = () => [listedKeys(slow).join(), listedKeys(browsing).join()];
        await eventually(lists, (l) => l[0] === both && l[1] === both, 10_000, 'both listed');

        const started = Date.now();
        await first.stop(); // Shutdown, then zeroconf's goodbye (TTL 0)
        await eventually(lists, (l) => l[0] === second.address, 2_000, 'go-1 gone (goodbye)');
        const goodbyeMs = Date.now() - started;

        await second.kill();
        await eventually(lists, (l) => l[1] === '', rig.agent.watchIntervalMs + 2_000, 'go-2 gone');
        // No goodbye from a killed server: the slow discovery still lists it until it browses.
        expect(listedKeys(slow).join()).toBe(second.address);
        note(`  Go goodbye seen by the TS discovery after ${goodbyeMs} ms`);
      },
    },
    {
      name: '[Go quirk] two Go servers of one host share one DNS-SD instance name: browsers see one of them',
      async run(rig) {
        const path = pathOf('Fleet');
        const first = await rig.goServer('go-1', path);
        const second = await rig.goServer('go-2', path);
        // Each waits its whole bound for a second server that never shows.
        const fromGo = await rig.goCalls(path, { expect: 2, n: 0, waitMs: 2_000 });
        expect(fromGo.discovered).toHaveLength(1);
        expect([first.address, second.address]).toContain(fromGo.discovered[0]!.key);
        const fromTs = await rig.tsCalls(path, { expect: 2, n: 0, waitMs: 2_000 });
        expect(fromTs.discovered).toHaveLength(1);
      },
    },
    {
      name: "[Go quirk] Go's discovery ignores the service path (Arith finds ArithX); the TS discovery does not",
      async run(rig, note) {
        const path = pathOf('Arith');
        const exact = await rig.tsServer('ts-exact', path);
        const longer = await rig.tsServer('ts-longer', `${path}X`);
        const fromTs = await rig.tsCalls(path, { expect: 1, n: 4 });
        note(`  Arith vs ArithX ← TS XClient: calls=${fromTs.calls} failed=${fromTs.failed}`);
        expect(fromTs.discovered.map((s) => s.key)).toEqual([exact.address]);
        expect(fromTs.servers).toEqual({ 'ts-exact': 4 });
        const fromGo = await rig.goCalls(path, { expect: 2, n: 0 });
        expect(fromGo.discovered.map((s) => s.key).sort()).toEqual(
          [exact.address, longer.address].sort(),
        );
      },
    },
    {
      name: "services spread over several instances (255-byte TXT strings) are all read by Go's discovery",
      async run(rig, note) {
        const path = pathOf('WideFleetService');
        const metadata = 'weight=10&group=a-rather-long-group-name';
        const ts = await rig.tsServer('ts-wide', path, { metadata });
        for (const other of [1, 2, 3].map((i) => `${path}Other${i}`)) {
          await rig.agent.request('ts.server.register', {
            handle: ts.handle,
            id: 'ts-wide',
            path: other,
            metadata,
          });
        }
        // [Go quirk] one pair per element, whatever its service: four, from more than one instance.
        const fromGo = await rig.goCalls(path, { expect: 4, n: 4 });
        note(
          `  4 services, several instances ← Go XClient: calls=${fromGo.calls} failed=${fromGo.failed}`,
        );
        expect(fromGo.discovered).toHaveLength(4);
        expect(new Set(fromGo.discovered.map((s) => s.key))).toEqual(new Set([ts.address]));
        expect(fromGo.servers).toEqual({ 'ts-wide': 4 });
        const fromTs = await rig.tsCalls(path, { expect: 1, n: 4 });
        note(
          `  4 services, several instances ← TS XClient: calls=${fromTs.calls} failed=${fromTs.failed}`,
        );
        expect(fromTs.discovered).toEqual([{ key: ts.address, value: metadata }]);
      },
    },
  ],
};
