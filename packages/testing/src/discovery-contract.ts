/// <reference types="jest" />
/**
 * The contract every discovery passes while its servers stay put, declared as jest tests. Call it
 * at the top level of a spec:
 *
 *   describeStaticDiscoveryContract('PeerDiscovery', {
 *     create: () => new PeerDiscovery('tcp@127.0.0.1:8972'),
 *     expected: [{ key: 'tcp@127.0.0.1:8972', metadata: '' }],
 *     watchEndsAtOnce: true,
 *   });
 *
 * It checks what the `ServiceDiscovery` interface promises: `getServices()` reports whole
 * endpoints that callers cannot change, every `watch()` ends — on its signal, on `return()`, on
 * `close()` — and `clone(servicePath)` gives a discovery that works and closes on its own. Waits
 * are for real events, one event-loop turn at a time, never for wall-clock time.
 */
import type { ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { nextTurn, resolved } from './fake-clock.js';

export interface StaticDiscoveryContractOptions {
  /** A fresh discovery that reports `expected`; the suite closes it. */
  create(): ServiceDiscovery | Promise<ServiceDiscovery>;
  /** What `getServices()` reports, in order. */
  expected: readonly ServiceEndpoint[];
  /**
   * True for discoveries whose list never changes (`watch()` ends at once); false for those that
   * follow changes (`watch()` stays open until aborted, returned or closed).
   */
  watchEndsAtOnce: boolean;
  /** The service path given to `clone`. Default `Other`. */
  cloneServicePath?: string;
  /** What the clone reports. Default `expected`. */
  expectedFromClone?: readonly ServiceEndpoint[];
}

type Lists = AsyncIterator<readonly ServiceEndpoint[]>;

/** Turns to wait before concluding that a watch stays open. */
const QUIET_TURNS = 5;

export function describeStaticDiscoveryContract(
  name: string,
  options: StaticDiscoveryContractOptions,
): void {
  describe(`${name} satisfies the static discovery contract`, () => {
    const opened: ServiceDiscovery[] = [];
    const create = async (): Promise<ServiceDiscovery> => {
      const discovery = await options.create();
      opened.push(discovery);
      return discovery;
    };
    afterEach(async () => {
      for (const discovery of opened.splice(0)) await discovery.close();
    });

    const lists = (discovery: ServiceDiscovery, signal?: AbortSignal): Lists =>
      discovery.watch(signal)[Symbol.asyncIterator]();

    /** The watch ends: its pending `next()` and a later one both report done. */
    async function expectEnded(iterator: Lists, pending: Promise<IteratorResult<unknown>>) {
      // Lists delivered before the end are allowed (a registry may report one); then done.
      let result = await resolved(pending, `${name}: the watch to end`);
      for (let i = 0; !result.done && i < 100; i++) {
        result = await resolved(iterator.next(), `${name}: the watch to end`);
      }
      expect(result.done).toBe(true);
      await expect(iterator.next()).resolves.toMatchObject({ done: true });
    }

    /** The watch is open: `pending` stays unsettled for a few event-loop turns. */
    async function expectOpen(pending: Promise<IteratorResult<unknown>>) {
      let settled = false;
      void pending.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      for (let i = 0; i < QUIET_TURNS; i++) await nextTurn();
      expect(settled).toBe(false);
    }

    test('getServices() reports whole endpoints: key and metadata strings', async () => {
      const discovery = await create();
      const services = discovery.getServices();
      expect(services).toEqual(options.expected);
      for (const endpoint of services) {
        expect(typeof endpoint.key).toBe('string');
        expect(endpoint.key).not.toBe('');
        expect(typeof endpoint.metadata).toBe('string');
      }
    });

    test('what getServices() returns cannot change the discovery', async () => {
      const discovery = await create();
      const services = discovery.getServices() as ServiceEndpoint[];
      try {
        services.push({ key: 'tcp@127.0.0.1:1', metadata: '' });
      } catch {
        // frozen: fine
      }
      try {
        (services[0] as { key: string } | undefined)!.key = 'tcp@127.0.0.1:2';
      } catch {
        // frozen: fine
      }
      expect(discovery.getServices()).toEqual(options.expected);
    });

    test('watch() with an aborted signal ends at once', async () => {
      const discovery = await create();
      const controller = new AbortController();
      controller.abort();
      const iterator = lists(discovery, controller.signal);
      await expectEnded(iterator, iterator.next());
    });

    if (options.watchEndsAtOnce) {
      test('watch() ends at once: the list never changes', async () => {
        const discovery = await create();
        const iterator = lists(discovery);
        await expectEnded(iterator, iterator.next());
      });
    } else {
      test('watch() stays open while nothing changes', async () => {
        const discovery = await create();
        const controller = new AbortController();
        const iterator = lists(discovery, controller.signal);
        const pending = iterator.next();
        await expectOpen(pending);
        controller.abort();
        await expectEnded(iterator, pending);
      });
    }

    test('watch() ends when its signal aborts, also inside for await', async () => {
      const discovery = await create();
      const controller = new AbortController();
      const iterator = lists(discovery, controller.signal);
      const pending = iterator.next();
      controller.abort();
      await expectEnded(iterator, pending);

      const loopController = new AbortController();
      const seen: unknown[] = [];
      const loop = (async () => {
        for await (const list of discovery.watch(loopController.signal)) seen.push(list);
      })();
      await nextTurn();
      loopController.abort();
      await resolved(loop, `${name}: the for await loop to end`);
      for (const list of seen) expect(Array.isArray(list)).toBe(true);
    });

    test('watch() ends on return()', async () => {
      const discovery = await create();
      const iterator = lists(discovery);
      const pending = iterator.next();
      await iterator.return?.();
      await expectEnded(iterator, pending);
    });

    test('watch() ends when the discovery closes; close() may be called twice', async () => {
      const discovery = await create();
      const iterator = lists(discovery);
      const pending = iterator.next();
      await discovery.close();
      await expectEnded(iterator, pending);
      await discovery.close();
    });

    test('clone(servicePath) works, and closing it leaves the original working', async () => {
      const discovery = await create();
      const clone = discovery.clone(options.cloneServicePath ?? 'Other');
      if (clone !== discovery) opened.push(clone);
      expect(clone.getServices()).toEqual(options.expectedFromClone ?? options.expected);
      const controller = new AbortController();
      const fromClone = lists(clone, controller.signal);
      const pending = fromClone.next();
      controller.abort();
      await expectEnded(fromClone, pending);

      await clone.close();
      expect(discovery.getServices()).toEqual(options.expected);
      if (!options.watchEndsAtOnce && clone !== discovery) {
        const stillOpen = new AbortController();
        const fromOriginal = lists(discovery, stillOpen.signal);
        const next = fromOriginal.next();
        await expectOpen(next);
        stillOpen.abort();
        await expectEnded(fromOriginal, next);
      }
    });
  });
}
