/**
 * `MultipleServersDiscovery`: a list of servers the application keeps itself (Go's
 * `MultipleServersDiscovery`, spec §6.3). `update(list)` replaces the list and delivers it to
 * every watcher.
 *
 *   const discovery = new MultipleServersDiscovery([{ key: 'tcp@127.0.0.1:8972', metadata: '' }]);
 *   discovery.update([{ key: 'tcp@127.0.0.1:8973', metadata: 'weight=2' }]);
 *
 * Differences from Go, on purpose: a watcher subscribes when `watch()` is called (so
 * `getServices()` then `watch()` misses nothing); a slow watcher holds only the latest list it
 * has not taken (Go parks a goroutine per update for up to a minute); `clone()` returns a
 * discovery sharing the list — updates through either reach the watchers of both — that closes
 * on its own, so a client closing its clone leaves the original working (Go returns itself).
 */
import type { ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { DiscoveryWatcher } from '@rpcx/core';
import { toEndpointList } from './discovery-list.js';

/** The list a discovery and its clones share, and every watcher following it. */
interface SharedList {
  endpoints: readonly ServiceEndpoint[];
  readonly watchers: Set<DiscoveryWatcher>;
}

export class MultipleServersDiscovery implements ServiceDiscovery {
  #shared: SharedList;
  /** This discovery's own watchers (not its clones'): the ones `close()` ends. */
  readonly #watchers = new Set<DiscoveryWatcher>();
  #closed = false;

  /** `endpoints`: `{ key: 'tcp@host:port', metadata: 'weight=10' }` each; copied. */
  constructor(endpoints: Iterable<ServiceEndpoint>) {
    this.#shared = {
      endpoints: toEndpointList(endpoints, 'MultipleServersDiscovery'),
      watchers: new Set(),
    };
  }

  /** The current list (frozen). */
  getServices(): readonly ServiceEndpoint[] {
    return this.#shared.endpoints;
  }

  /** Replaces the list (copied) and delivers it to every watcher, clones' included. */
  update(endpoints: Iterable<ServiceEndpoint>): void {
    const shared = this.#shared;
    const list = toEndpointList(endpoints, 'MultipleServersDiscovery.update');
    shared.endpoints = list;
    for (const watcher of shared.watchers) watcher.offer(list);
  }

  /**
   * Every later `update`, starting now: iterate to follow them. A watcher that falls behind gets
   * only the latest list. Ends when `signal` aborts, on `return()` (`break` in `for await`), or
   * on `close()`; at once if the discovery is closed or the signal already aborted.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    if (this.#closed || signal?.aborted) return DiscoveryWatcher.ended();
    const shared = this.#shared;
    const own = this.#watchers;
    const watcher = new DiscoveryWatcher(signal, (ended) => {
      shared.watchers.delete(ended);
      own.delete(ended);
    });
    shared.watchers.add(watcher);
    own.add(watcher);
    return watcher;
  }

  /** Watchers of this discovery still following it (clones' not counted). */
  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** A discovery sharing this one's list, closed on its own (any service path: the list is fixed). */
  clone(_servicePath: string): MultipleServersDiscovery {
    const clone = new MultipleServersDiscovery([]);
    clone.#shared = this.#shared;
    return clone;
  }

  /** Ends this discovery's watchers; later `watch()` calls end at once. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const watcher of [...this.#watchers]) watcher.end();
  }
}
