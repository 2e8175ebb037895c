/**
 * `ConsulDiscovery`: the servers of one service as Go rpcx's Consul plugin registers them (spec
 * §6.7, rpcx-consul v0.1.1 `NewConsulDiscovery`): the KV entries under `<base>/<service>/`, each
 * key's last segment the server (`tcp@10.0.0.5:8972`), its value the metadata.
 *
 *   const discovery = new ConsulDiscovery({
 *     address: '127.0.0.1:8500', basePath: '/rpcx_test', servicePath: 'Arith',
 *   });
 *   const xclient = new XClient({ servicePath: 'Arith', discovery });
 *
 * It lists the prefix once, then follows it with Consul blocking queries (`?index=` the last
 * `X-Consul-Index`), so additions, removals and metadata edits made by hand reach its watchers
 * as soon as Consul has them. `Arith` never matches `ArithX` (only keys under `Arith/` count); a
 * service with no servers yet is an empty list, not an error.
 *
 * Outages: a failed request is retried with jittered exponential backoff (one request at a time),
 * and the last known list stays in place meanwhile (an XClient keeps calling those servers). When
 * Consul answers again, the list is fetched afresh (the index may have gone backwards). A registry
 * that comes back empty after an outage — a `-dev` agent or a rebuilt cluster lost its data, and
 * its servers have not re-registered yet — is not believed at once: the last known list is kept
 * until Consul lists a server again or `outageGraceMs` has passed (default 20 s, the longest a
 * crashed server's session-bound key may outlive it anyway).
 *
 * Differences from Go, on purpose: a watch yields whole lists and only when the list changed
 * (Go pushes on every index change); the outage grace above (Go publishes the empty list);
 * `clone` opens its own connection (Go shares the store).
 */
import {
  Backoff,
  type BackoffOptions,
  DiscoveryWatcher,
  type Logger,
  messageOf,
  type ServiceDiscovery,
  type ServiceEndpoint,
  silentLogger,
} from '@rpcx/core';
import { type ConsulConnectionOptions, ConsulKv, type KvEntry } from './consul-kv.js';
import { servicePrefix } from './layout.js';

export interface ConsulDiscoveryOptions extends ConsulConnectionOptions {
  /** Go's `basePath`, e.g. `/rpcx_test` (a leading or trailing `/` does not matter). */
  basePath: string;
  /** The service whose servers to follow, e.g. `Arith`. */
  servicePath: string;
  /** How long one blocking query waits for a change (ms). Default 15 000, as Go. */
  waitMs?: number;
  /** Retry timing after a failed request. Default 250 ms doubling to 10 s, ±20 % jitter. */
  backoff?: BackoffOptions;
  /**
   * After an outage, how long an empty answer is not believed while the list was not empty (ms).
   * Default 20 000; 0 believes it at once.
   */
  outageGraceMs?: number;
  /** Keeps only the servers it returns true for (Go's `SetFilter`). */
  filter?: (endpoint: ServiceEndpoint) => boolean;
  /** Where outages and recoveries are reported. Default silent. */
  logger?: Logger;
}

/** What the discovery has done so far (for tests and dashboards). */
export interface ConsulDiscoveryStats {
  /** Requests made to Consul (initial lists and blocking queries). */
  readonly requests: number;
  /** Requests that failed (no answer, or an error answer). */
  readonly failures: number;
}

const EMPTY: readonly ServiceEndpoint[] = Object.freeze([]);

export class ConsulDiscovery implements ServiceDiscovery {
  /**
   * A discovery whose first list is in: resolves once Consul has answered, rejects (closing the
   * discovery) when the first request fails, as Go's `NewConsulDiscovery` returns its error.
   */
  static async create(options: ConsulDiscoveryOptions): Promise<ConsulDiscovery> {
    const discovery = new ConsulDiscovery(options);
    try {
      await discovery.#first.promise;
    } catch (error) {
      await discovery.close();
      throw error;
    }
    return discovery;
  }

  readonly #options: ConsulDiscoveryOptions;
  readonly #kv: ConsulKv;
  /** `<base>/<service>/`: only keys below it are servers of this service. */
  readonly #prefix: string;
  readonly #waitMs: number;
  readonly #backoff: Backoff;
  readonly #graceMs: number;
  readonly #logger: Logger;
  readonly #watchers = new Set<DiscoveryWatcher>();
  readonly #stop = new AbortController();
  readonly #first = deferred();
  readonly #loop: Promise<void>;

  #endpoints: readonly ServiceEndpoint[] = EMPTY;
  /** Set by a failed request, cleared by the next answer. */
  #outage = false;
  /** While an empty answer after an outage is held back: Consul's latest list, and the timer. */
  #heldBack: readonly ServiceEndpoint[] = EMPTY;
  #graceTimer: NodeJS.Timeout | undefined;
  #requests = 0;
  #failures = 0;
  #closed = false;

  constructor(options: ConsulDiscoveryOptions) {
    if (options.servicePath === '') throw new TypeError('ConsulDiscovery: servicePath is empty');
    this.#options = { ...options };
    this.#kv = new ConsulKv(options);
    this.#prefix = `${servicePrefix(options.basePath, options.servicePath)}/`;
    this.#waitMs = options.waitMs ?? 15_000;
    this.#backoff = new Backoff({ initialDelayMs: 250, maxDelayMs: 10_000, ...options.backoff });
    this.#graceMs = options.outageGraceMs ?? 20_000;
    this.#logger = options.logger ?? silentLogger;
    this.#first.promise.catch(() => {}); // awaited only by create()
    this.#loop = this.#run();
  }

  /** The current list (frozen); empty until Consul first answered. */
  getServices(): readonly ServiceEndpoint[] {
    return this.#endpoints;
  }

  /**
   * Every later change of the list, starting now: iterate to follow them. A watcher that falls
   * behind gets only the latest list. Ends when `signal` aborts, on `return()`, or on `close()`.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    if (this.#closed || signal?.aborted) return DiscoveryWatcher.ended();
    const watcher = new DiscoveryWatcher(signal, (ended) => this.#watchers.delete(ended));
    this.#watchers.add(watcher);
    return watcher;
  }

  /** The same Consul and base path, another service (its own connection; close it on its own). */
  clone(servicePath: string): ConsulDiscovery {
    return new ConsulDiscovery({ ...this.#options, servicePath });
  }

  get stats(): ConsulDiscoveryStats {
    return { requests: this.#requests, failures: this.#failures };
  }

  /** Stops following Consul and ends every watch. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stop.abort();
      clearTimeout(this.#graceTimer);
      for (const watcher of [...this.#watchers]) watcher.end();
      this.#first.reject(new Error('ConsulDiscovery closed'));
    }
    await this.#loop;
    this.#kv.close();
  }

  // -------------------------------------------------------------------------------------------
  // internal

  /** List, then block on the index, forever; one request at a time; back off after failures. */
  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let index = 0;
    while (!this.#closed) {
      let entries: KvEntry[];
      let answered: number;
      try {
        this.#requests++;
        ({ entries, index: answered } = await this.#kv.list(this.#prefix, {
          index,
          waitMs: this.#waitMs,
          signal,
        }));
      } catch (error) {
        if (this.#closed) break;
        this.#failures++;
        this.#outage = true;
        // Whatever Consul is when it answers again, start from a fresh list.
        index = 0;
        this.#first.reject(error);
        const delay = this.#backoff.fail();
        const attempt = this.#backoff.attempts;
        const log = attempt === 1 ? this.#logger.warn : this.#logger.debug;
        log.call(
          this.#logger,
          `rpcx: consul discovery of ${this.#prefix} failed (attempt ${attempt}), retrying in ${delay} ms: ${messageOf(error)}`,
          { prefix: this.#prefix, attempt, error },
        );
        await sleep(delay, signal);
        continue;
      }
      if (this.#closed) break;
      if (this.#backoff.attempts > 0) {
        this.#logger.info(`rpcx: consul discovery of ${this.#prefix} reconnected`, {
          prefix: this.#prefix,
          failures: this.#backoff.attempts,
        });
        this.#backoff.reset();
      }
      // The same index: the wait ended without a change.
      if (index > 0 && answered === index) continue;
      // An index that went backwards means Consul's state was reset (restored, rebuilt).
      if (answered < index) this.#outage = true;
      // Never 0: that would make the next query non-blocking, a busy loop.
      index = Math.max(answered, 1);
      this.#received(this.#endpointsOf(entries));
      this.#first.resolve();
    }
  }

  #endpointsOf(entries: readonly KvEntry[]): readonly ServiceEndpoint[] {
    const list: ServiceEndpoint[] = [];
    const filter = this.#options.filter;
    for (const entry of entries) {
      // Consul lists by key prefix; the trailing `/` keeps `ArithX` out, this keeps out anything odd.
      if (!entry.key.startsWith(this.#prefix)) continue;
      const key = entry.key.slice(this.#prefix.length);
      if (key === '') continue;
      const endpoint: ServiceEndpoint = Object.freeze({ key, metadata: entry.value });
      if (filter !== undefined && !filter(endpoint)) continue;
      list.push(endpoint);
    }
    return Object.freeze(list);
  }

  /** A list from Consul: published, or held back while it may be a registry that lost its data. */
  #received(list: readonly ServiceEndpoint[]): void {
    const afterOutage = this.#outage;
    this.#outage = false;
    const suspicious =
      list.length === 0 &&
      this.#endpoints.length > 0 &&
      this.#graceMs > 0 &&
      (afterOutage || this.#graceTimer !== undefined);
    if (suspicious) {
      this.#heldBack = list;
      if (this.#graceTimer === undefined) {
        this.#logger.warn(
          `rpcx: consul lists no server of ${this.#prefix} after an outage; keeping the last ${this.#endpoints.length} for up to ${this.#graceMs} ms`,
          { prefix: this.#prefix },
        );
        this.#graceTimer = setTimeout(() => {
          this.#graceTimer = undefined;
          this.#publish(this.#heldBack);
        }, this.#graceMs);
      }
      return;
    }
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#publish(list);
  }

  #publish(list: readonly ServiceEndpoint[]): void {
    if (this.#closed || sameList(this.#endpoints, list)) return;
    this.#endpoints = list;
    for (const watcher of this.#watchers) watcher.offer(list);
  }
}

function sameList(a: readonly ServiceEndpoint[], b: readonly ServiceEndpoint[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (endpoint, i) => endpoint.key === b[i]!.key && endpoint.metadata === b[i]!.metadata,
  );
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** A promise settled once, from outside. */
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}
