/**
 * `PeerDiscovery`: one fixed server (Go's `Peer2PeerDiscovery`, spec §6.3). Its list never
 * changes: `watch()` ends at once and `clone()` returns the discovery itself.
 *
 *   const discovery = new PeerDiscovery('tcp@127.0.0.1:8972');
 */
import type { ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { DiscoveryWatcher } from '@rpcx/core';
import { toEndpoint } from './discovery-list.js';

export class PeerDiscovery implements ServiceDiscovery {
  readonly #services: readonly ServiceEndpoint[];

  /** `key` is the server, `tcp@127.0.0.1:8972`; `metadata` its URL-query metadata. */
  constructor(key: string, metadata = '') {
    this.#services = Object.freeze([toEndpoint(key, metadata, new.target.name)]);
  }

  getServices(): readonly ServiceEndpoint[] {
    return this.#services;
  }

  /** Ends at once: the list never changes. */
  watch(_signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    return DiscoveryWatcher.ended();
  }

  /** The same server for any service: the discovery itself (as Go). */
  clone(_servicePath: string): this {
    return this;
  }

  close(): void {}
}
