/**
 * `EndpointFeed`: the list a registry discovery publishes, and everything the four registry
 * packages decide alike about it — the current list (sorted by key, frozen), its watchers, "only
 * when it changed", and what an empty registry after an outage means.
 *
 *   readonly #feed = new EndpointFeed({ name: 'etcd discovery of Arith', logger });
 *   getServices() { return this.#feed.list; }
 *   watch(signal) { return this.#feed.watch(signal); }
 *   // registry unreachable:       this.#feed.outage();
 *   // a list read from it:        this.#feed.publish(endpoints);
 *
 * A registry that comes back empty after an outage — a restarted etcd, ZooKeeper or Consul that
 * lost its data, whose servers have not registered again yet — is not believed at once: the last
 * list stays until the registry lists a server again or `outageGraceMs` has passed. Calls keep
 * going to servers that are almost always still there; they re-register within their refresh
 * interval. An empty list without an outage before it (every server unregistered, an operator
 * deleted the nodes) is published at once. Go's discoveries publish the empty list.
 */
import type { ServiceEndpoint } from './discovery.js';
import { DiscoveryWatcher } from './discovery-watcher.js';
import { type Logger, silentLogger } from './logger.js';

type EndpointList = readonly ServiceEndpoint[];

export interface EndpointFeedOptions {
  /**
   * After an outage, how long an empty list is not believed while the last one was not empty
   * (ms). Default 20 000 (about one registration TTL); 0 believes it at once.
   */
  outageGraceMs?: number;
  /** Says when an empty list is held back and when the grace runs out. Default silent. */
  logger?: Logger;
  /** What the log lines call this list, e.g. `etcd discovery of /rpcx/Arith`. */
  name?: string;
}

export const DEFAULT_OUTAGE_GRACE_MS = 20_000;

const EMPTY: EndpointList = Object.freeze([]);

export class EndpointFeed {
  readonly #graceMs: number;
  readonly #logger: Logger;
  readonly #name: string;
  readonly #watchers = new Set<DiscoveryWatcher>();
  #list: EndpointList = EMPTY;
  /** Set by `outage()`, cleared by the next list. */
  #afterOutage = false;
  /** While an empty list is held back: the timer that publishes it when the grace is over. */
  #graceTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: EndpointFeedOptions = {}) {
    const grace = options.outageGraceMs ?? DEFAULT_OUTAGE_GRACE_MS;
    if (!(grace >= 0))
      throw new RangeError(`EndpointFeed: outageGraceMs must be >= 0, got ${grace}`);
    this.#graceMs = grace;
    this.#logger = options.logger ?? silentLogger;
    this.#name = options.name ?? 'discovery';
  }

  /** The list published last (frozen, sorted by key); empty at first. */
  get list(): EndpointList {
    return this.#list;
  }

  /** Whether an empty list is being held back now. */
  get holding(): boolean {
    return this.#graceTimer !== undefined;
  }

  /**
   * Every later change of the list, starting now; a watcher that falls behind gets only the
   * latest. Ends when `signal` aborts, on `return()`, or on `close()`.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<EndpointList, undefined> {
    if (this.#closed || signal?.aborted) return DiscoveryWatcher.ended();
    const watcher = new DiscoveryWatcher(signal, (ended) => this.#watchers.delete(ended));
    this.#watchers.add(watcher);
    return watcher;
  }

  /** The registry could not be reached: the next list may come from one that lost its data. */
  outage(): void {
    this.#afterOutage = true;
  }

  /**
   * A list as the registry has it now (any order; copied): published if it differs from the
   * last one, or held back while it may be an emptied registry (see above).
   */
  publish(endpoints: Iterable<ServiceEndpoint>): void {
    if (this.#closed) return;
    const list = sortedCopy(endpoints);
    const afterOutage = this.#afterOutage;
    this.#afterOutage = false;
    const suspicious =
      list.length === 0 &&
      this.#list.length > 0 &&
      this.#graceMs > 0 &&
      (afterOutage || this.#graceTimer !== undefined);
    if (suspicious) {
      this.#holdBack();
      return;
    }
    this.#stopHolding();
    this.#offer(list);
  }

  /** Ends every watch and stops a grace timer; later lists are ignored. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHolding();
    for (const watcher of [...this.#watchers]) watcher.end();
  }

  #holdBack(): void {
    if (this.#graceTimer !== undefined) return;
    this.#logger.warn(
      `rpcx: ${this.#name} lists no server after an outage; keeping the last ${this.#list.length} for up to ${this.#graceMs} ms`,
      { kept: this.#list.length, graceMs: this.#graceMs },
    );
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      this.#logger.warn(`rpcx: ${this.#name} still lists no server; the list is now empty`);
      this.#offer(EMPTY);
    }, this.#graceMs);
    this.#graceTimer.unref?.();
  }

  #stopHolding(): void {
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  #offer(list: EndpointList): void {
    if (sameList(this.#list, list)) return;
    this.#list = list;
    for (const watcher of this.#watchers) watcher.offer(list);
  }
}

function sortedCopy(endpoints: Iterable<ServiceEndpoint>): EndpointList {
  const list: ServiceEndpoint[] = [];
  for (const { key, metadata } of endpoints) list.push(Object.freeze({ key, metadata }));
  if (list.length === 0) return EMPTY;
  list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return Object.freeze(list);
}

function sameList(a: EndpointList, b: EndpointList): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.key !== b[i]!.key || a[i]!.metadata !== b[i]!.metadata) return false;
  }
  return true;
}
