/**
 * The contract every registry package meets (issue 10), run against a real registry server:
 * register, discover, watch (add, remove, metadata edits), unregister, a crashed server's node
 * expiring, a registry restart with clients calling throughout — with its data, and without it
 * (then the discoveries must not believe the empty registry). Each registry's spec supplies a
 * `RegistryUnderTest` over its own launcher; the suite is the same for all.
 */
import type { RegistryPlugin, ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { eventually } from './eventually.js';

/** Every registry package's discovery: a `ServiceDiscovery` whose `ready()` gives the first list. */
export interface RegistryDiscovery extends ServiceDiscovery {
  /** Resolves with the first list read from the registry (rejects if closed first). */
  ready(): Promise<readonly ServiceEndpoint[]>;
}

/** One registry server, and how the suite talks to it through the package under test. */
export interface RegistryUnderTest {
  /**
   * A register plugin for a server listening at `serviceAddress` (`tcp@127.0.0.1:port`); without
   * one, the plugin registers the first address its `start` is given (a server on port 0).
   */
  plugin(serviceAddress?: string): RegistryPlugin;
  /** A discovery of `servicePath`. */
  discovery(servicePath: string): RegistryDiscovery;
  /**
   * Replaces the metadata stored for one endpoint directly in the registry, as an operator
   * would by hand (not through the plugin).
   */
  editMetadata(servicePath: string, serviceAddress: string, metadata: string): Promise<void>;
  /**
   * Starts a child process that registers `servicePath` at `serviceAddress` with this registry
   * through the package's plugin; resolves once it has registered. `kill` SIGKILLs it.
   */
  spawnRegistrant(servicePath: string, serviceAddress: string): Promise<{ kill(): Promise<void> }>;
  /** The longest a crashed server's node may stay listed (its TTL, session timeout, ...). */
  readonly expiryMs: number;
  /**
   * Stops the registry server and starts it again on the same address, data kept; with `wipe`,
   * without its data (a registry that lost everything; its servers must register again).
   */
  restart(options?: { wipe?: boolean }): Promise<void>;
}

/**
 * Real rpcx servers and clients for the suite's end-to-end steps, passed in by the registry's
 * spec (from @rpcx/server and @rpcx/client: @rpcx/testing depends on neither).
 */
export interface ContractRpc {
  /**
   * Starts a server on `tcp@127.0.0.1:0` serving `servicePath.Who` → `id`, with `plugins`
   * registered (so it registers `servicePath` with them). `stop` shuts it down gracefully.
   */
  startServer(
    id: string,
    servicePath: string,
    plugins: readonly RegistryPlugin[],
  ): Promise<{ address: string; stop(): Promise<void> }>;
  /** An XClient (Failover, RoundRobin) over `discovery`; `who()` calls `Who`. */
  xclient(
    servicePath: string,
    discovery: ServiceDiscovery,
  ): { who(timeoutMs: number): Promise<string>; close(): Promise<void> };
}

export interface RegistryContractOptions {
  /** Makes the registry under test (its server already running); undone by `teardown`. */
  setup(): Promise<RegistryUnderTest>;
  teardown(): Promise<void>;
  rpc: ContractRpc;
  /** How long a change may take to reach a watcher (ms). Default 5000. */
  propagationMs?: number;
  /** Where the suite writes what it measured (calls made and failed); a spec passes `console.log`. */
  report?: (line: string) => void;
}

let unique = 0;
/** A service path of its own per test, so tests sharing one registry do not see each other. */
const servicePathOf = (name: string) => `${name}${process.pid}x${++unique}`;

/** Follows a discovery's watch, keeping the latest list (the suite's view of what a client sees). */
function follow(discovery: ServiceDiscovery): {
  latest(): readonly { key: string; metadata: string }[];
  stop(): void;
} {
  let latest = discovery.getServices();
  const controller = new AbortController();
  void (async () => {
    for await (const list of discovery.watch(controller.signal)) latest = list;
  })().catch(() => {});
  return { latest: () => latest, stop: () => controller.abort() };
}

const keysOf = (list: readonly { key: string }[]) => list.map((endpoint) => endpoint.key).sort();

/** Calls `who` one after another (5 ms apart) until `stop()`, counting calls made and failed. */
function keepCalling(who: () => Promise<unknown>) {
  const tally = { made: 0, failed: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      tally.made++;
      try {
        await who();
      } catch {
        tally.failed++;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    tally,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * The registry contract. Call it at the top level of a spec: it declares one `describe` with a
 * test per behaviour. Registries are real servers: give the tests generous jest timeouts.
 */
export function describeRegistryContract(name: string, options: RegistryContractOptions): void {
  const wait = options.propagationMs ?? 5_000;

  describe(`registry contract: ${name}`, () => {
    let registry: RegistryUnderTest;
    const cleanups: Array<() => unknown> = [];

    beforeAll(async () => {
      registry = await options.setup();
    });
    afterAll(async () => {
      await options.teardown();
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function registered(servicePath: string, address: string, metadata: string) {
      const plugin = registry.plugin(address);
      await plugin.start?.([address]);
      await plugin.register(servicePath, metadata);
      cleanups.push(async () => {
        await plugin.unregister(servicePath);
        await plugin.stop?.();
      });
      return plugin;
    }

    function discover(servicePath: string) {
      const discovery = registry.discovery(servicePath);
      const followed = follow(discovery);
      cleanups.push(async () => {
        followed.stop();
        await discovery.close();
      });
      return { discovery, followed };
    }

    test('register, then discover: key and metadata as registered', async () => {
      const path = servicePathOf('Arith');
      await registered(path, 'tcp@127.0.0.1:7001', 'weight=5&group=blue');
      const { discovery } = discover(path);
      // The first list read from the registry already has it.
      expect(keysOf(await discovery.ready())).toEqual(['tcp@127.0.0.1:7001']);
      const list = await eventually(
        () => discovery.getServices(),
        (l) => l.length === 1,
        wait,
        'the registered server listed',
      );
      expect(list[0]!.key).toBe('tcp@127.0.0.1:7001');
      expect(new URLSearchParams(list[0]!.metadata).get('weight')).toBe('5');
      expect(new URLSearchParams(list[0]!.metadata).get('group')).toBe('blue');
    });

    test('watch sees a server added, its metadata edited, and it unregistered', async () => {
      const path = servicePathOf('Arith');
      await registered(path, 'tcp@127.0.0.1:7001', 'weight=1');
      const { followed } = discover(path);
      await eventually(followed.latest, (l) => l.length === 1, wait, 'the first server');
      const second = await registered(path, 'tcp@127.0.0.1:7002', 'weight=1');
      await eventually(
        followed.latest,
        (l) => keysOf(l).join() === 'tcp@127.0.0.1:7001,tcp@127.0.0.1:7002',
        wait,
        'the second server added',
      );
      await registry.editMetadata(path, 'tcp@127.0.0.1:7002', 'weight=9&state=inactive');
      await eventually(
        followed.latest,
        (l) =>
          l.some(
            (e) =>
              e.key === 'tcp@127.0.0.1:7002' &&
              new URLSearchParams(e.metadata).get('state') === 'inactive',
          ),
        wait,
        'the metadata edit seen',
      );
      await second.unregister(path);
      await eventually(
        followed.latest,
        (l) => keysOf(l).join() === 'tcp@127.0.0.1:7001',
        wait,
        'the second server removed',
      );
    });

    test('a service path never matches a longer one (Arith vs ArithX)', async () => {
      const path = servicePathOf('Arith');
      await registered(`${path}X`, 'tcp@127.0.0.1:7003', '');
      await registered(path, 'tcp@127.0.0.1:7004', '');
      const { followed } = discover(path);
      const list = await eventually(followed.latest, (l) => l.length > 0, wait, 'the server');
      // Give a wrong match time to show up too.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(keysOf(followed.latest())).toEqual(['tcp@127.0.0.1:7004']);
      expect(keysOf(list)).toEqual(['tcp@127.0.0.1:7004']);
    });

    test('a service with no servers yet is an empty list that fills in later', async () => {
      const path = servicePathOf('Late');
      const { discovery, followed } = discover(path);
      expect(await discovery.ready()).toEqual([]);
      expect(discovery.getServices()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(followed.latest()).toEqual([]);
      await registered(path, 'tcp@127.0.0.1:7005', '');
      await eventually(followed.latest, (l) => l.length === 1, wait, 'the late server');
    });

    test("a crashed server's node expires; clients stop selecting it", async () => {
      const path = servicePathOf('Crash');
      const child = await registry.spawnRegistrant(path, 'tcp@127.0.0.1:7006');
      cleanups.push(() => child.kill());
      const { followed } = discover(path);
      await eventually(followed.latest, (l) => l.length === 1, wait, 'the registrant listed');
      await child.kill();
      await eventually(
        followed.latest,
        (l) => l.length === 0,
        registry.expiryMs + wait,
        'the crashed registrant gone',
      );
    });

    test('registry restart with clients calling throughout: no failed call, registration back', async () => {
      const path = servicePathOf('Restart');
      const server = await options.rpc.startServer('r1', path, [registry.plugin()]);
      cleanups.push(() => server.stop());
      const { discovery, followed } = discover(path);
      await eventually(followed.latest, (l) => l.length === 1, wait, 'the server registered');
      const client = options.rpc.xclient(path, discovery);
      cleanups.push(() => client.close());
      const calling = keepCalling(() => client.who(5_000));
      await registry.restart();
      await eventually(
        followed.latest,
        (l) => keysOf(l).join() === server.address,
        registry.expiryMs + 3 * wait,
        'the server registered again after the restart',
      );
      await calling.stop();
      const { made, failed } = calling.tally;
      options.report?.(`[registry ${name}] restart under load: calls=${made} failed=${failed}`);
      expect(made).toBeGreaterThan(0);
      expect(failed).toBe(0);
    });

    test('registry back without its data: the empty registry is not believed, no failed call, registration back', async () => {
      const path = servicePathOf('Wiped');
      const server = await options.rpc.startServer('w1', path, [registry.plugin()]);
      cleanups.push(() => server.stop());
      const { discovery, followed } = discover(path);
      await eventually(followed.latest, (l) => l.length === 1, wait, 'the server registered');
      const lengths: number[] = [];
      const watching = new AbortController();
      cleanups.push(() => watching.abort());
      void (async () => {
        for await (const list of discovery.watch(watching.signal)) lengths.push(list.length);
      })();
      const client = options.rpc.xclient(path, discovery);
      cleanups.push(() => client.close());
      const calling = keepCalling(() => client.who(5_000));
      await registry.restart({ wipe: true });
      // A discovery made now has no list to keep: it lists the server once it registered again.
      const { followed: fresh } = discover(path);
      await eventually(
        fresh.latest,
        (l) => keysOf(l).join() === server.address,
        registry.expiryMs + 3 * wait,
        'the server registered again in the emptied registry',
      );
      await calling.stop();
      const { made, failed } = calling.tally;
      options.report?.(
        `[registry ${name}] restart without data under load: calls=${made} failed=${failed}; lists seen: ${lengths.join(',') || 'none'}`,
      );
      expect(lengths).not.toContain(0);
      expect(keysOf(followed.latest())).toEqual([server.address]);
      expect(made).toBeGreaterThan(0);
      expect(failed).toBe(0);
    });
  });
}
