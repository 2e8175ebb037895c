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
 * Consul answers again, the list is fetched afresh (the index may have gone backwards). A Consul
 * that comes back empty (a `-dev` agent or a rebuilt cluster lost its data) is not believed until
 * a server registers again or `outageGraceMs` has passed — the rule of every registry package
 * (core's `EndpointFeed`).
 *
 * Differences from Go, on purpose: a watch yields whole lists and only when the list changed
 * (Go pushes on every index change); the outage grace above (Go publishes the empty list);
 * `clone` opens its own connection (Go shares the store).
 */
import {
  Backoff,
  type BackoffOptions,
  EndpointFeed,
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

export class ConsulDiscovery implements ServiceDiscovery {
  /**
   * A discovery whose first list is in: resolves once Consul has answered, rejects (closing the
   * discovery) when the first request fails, as Go's `NewConsulDiscovery` returns its error.
   */
  static async create(options: ConsulDiscoveryOptions): Promise<ConsulDiscovery> {
    const discovery = new ConsulDiscovery(options);
    try {
      await discovery.#firstAnswer.promise;
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
  readonly #logger: Logger;
  readonly #feed: EndpointFeed;
  readonly #stop = new AbortController();
  /** Settled by Consul's first answer or first failure (for `create`). */
  readonly #firstAnswer = deferred();
  /** Resolved by the first list, rejected only by `close()` (for `ready`). */
  readonly #firstList = deferred();
  readonly #loop: Promise<void>;

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
    this.#logger = options.logger ?? silentLogger;
    this.#feed = new EndpointFeed({
      outageGraceMs: options.outageGraceMs,
      logger: this.#logger,
      name: `consul discovery of ${this.#prefix}`,
    });
    this.#firstAnswer.promise.catch(() => {}); // awaited only by create()
    this.#firstList.promise.catch(() => {}); // awaited only by ready()
    this.#loop = this.#run();
  }

  /**
   * Resolves with the first list once Consul has answered (however long Consul is out of reach
   * first); rejects if the discovery is closed before.
   */
  async ready(): Promise<readonly ServiceEndpoint[]> {
    await this.#firstList.promise;
    return this.#feed.list;
  }

  /** The current list (frozen); empty until Consul first answered. */
  getServices(): readonly ServiceEndpoint[] {
    return this.#feed.list;
  }

  /**
   * Every later change of the list, starting now: iterate to follow them. A watcher that falls
   * behind gets only the latest list. Ends when `signal` aborts, on `return()`, or on `close()`.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    return this.#feed.watch(signal);
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
      this.#feed.close();
      this.#firstAnswer.reject(new Error('ConsulDiscovery closed'));
      this.#firstList.reject(new Error('ConsulDiscovery closed before its first list'));
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
        this.#feed.outage();
        // Whatever Consul is when it answers again, start from a fresh list.
        index = 0;
        this.#firstAnswer.reject(error);
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
      if (answered < index) this.#feed.outage();
      // Never 0: that would make the next query non-blocking, a busy loop.
      index = Math.max(answered, 1);
      this.#feed.publish(this.#endpointsOf(entries));
      this.#firstAnswer.resolve();
      this.#firstList.resolve();
    }
  }

  #endpointsOf(entries: readonly KvEntry[]): ServiceEndpoint[] {
    const list: ServiceEndpoint[] = [];
    const filter = this.#options.filter;
    for (const entry of entries) {
      // Consul lists by key prefix; the trailing `/` keeps `ArithX` out, this keeps out anything odd.
      if (!entry.key.startsWith(this.#prefix)) continue;
      const key = entry.key.slice(this.#prefix.length);
      if (key === '') continue;
      const endpoint: ServiceEndpoint = { key, metadata: entry.value };
      if (filter !== undefined && !filter(endpoint)) continue;
      list.push(endpoint);
    }
    return list;
  }
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
