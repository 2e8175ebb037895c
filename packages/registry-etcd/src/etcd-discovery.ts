/**
 * `EtcdDiscovery`: the servers of one service as Go's rpcx-etcd registers them (spec §6.5): the
 * keys under `<basePath>/<servicePath>/`, each a server (`Key` = the rest of the key, e.g.
 * `tcp@10.0.0.5:8972`; metadata = its value).
 *
 *   const discovery = new EtcdDiscovery({ endpoints: ['127.0.0.1:2379'], basePath: '/rpcx', servicePath: 'Arith' });
 *   await discovery.ready();   // the first list is in
 *   const arith = new XClient({ servicePath: 'Arith', discovery });
 *
 * It lists the prefix once, then follows it with an etcd watch from the revision of that list, so
 * no change is missed and every change — a server added or removed, metadata edited by hand
 * (`weight`, `state=inactive`, `group`) — reaches the watchers at once, as a whole list.
 *
 * When etcd cannot be reached (or the watch breaks), the last list stays as it is, so calls keep
 * flowing to the servers known last; the discovery tries again — one attempt at a time, after a
 * jittered delay that doubles up to `backoff.maxDelayMs` — and each attempt lists the prefix anew
 * and watches from there: what changed meanwhile is reported, then followed again. An etcd that
 * comes back empty (it lost its data) is not believed until a server registers again or
 * `outageGraceMs` has passed — the rule of every registry package (core's `EndpointFeed`).
 *
 * Differences from Go, on purpose: a service with no servers yet is an empty list that fills in
 * later, never an error (Go needs `allowKeyNotFound`); Go re-lists the whole prefix on every watch
 * event, this applies the event itself; the list is sorted by key and reported only when it
 * changed; the outage grace above (Go publishes the empty list); a watcher subscribes when
 * `watch()` is called and holds only the latest list it has not taken (Go drops lists for a full
 * channel).
 */
import type { Logger, ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { asError, Backoff, type BackoffOptions, EndpointFeed, silentLogger } from '@rpcx/core';
import type { IWatchResponse, Watcher } from 'etcd3';
import { bounded, type EtcdConnectionOptions, SharedClient } from './etcd-client.js';
import { etcdServicePrefix, prefixRangeEnd } from './keys.js';

/** Waits between attempts to reach etcd: 250 ms, doubling, at most 10 s, ±20 %. */
const RETRY_DEFAULTS: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 10_000 };

export interface EtcdDiscoveryOptions extends EtcdConnectionOptions {
  /** The registry's base path, as the servers' plugin has it (e.g. `/rpcx`); used verbatim. */
  basePath: string;
  /** The service to find (e.g. `Arith`). */
  servicePath: string;
  /** Keeps an endpoint iff it returns true (Go's `SetFilter`). */
  filter?: (endpoint: ServiceEndpoint) => boolean;
  /** Waits between failed attempts to reach etcd. Default 250 ms doubling to 10 s, ±20 %. */
  backoff?: BackoffOptions;
  /**
   * After an outage, how long an empty list is not believed while the last one was not empty
   * (ms). Default 20 000; 0 believes it at once.
   */
  outageGraceMs?: number;
  /** Told when etcd cannot be reached (warn) and when it can again (info). Default silent. */
  logger?: Logger;
  /** Called after each failed attempt, before its wait: for monitoring. */
  onRetry?: (event: EtcdRetryEvent) => void;
}

/** One failed attempt to reach etcd. */
export interface EtcdRetryEvent {
  /** Attempts since the last success (1 for the first failure). */
  readonly failures: number;
  /** How long until the next attempt (ms). */
  readonly delayMs: number;
  readonly error: Error;
}

/** A clone's connection, handed from `clone()` to the constructor. */
let adopted: SharedClient | undefined;

export class EtcdDiscovery implements ServiceDiscovery {
  readonly basePath: string;
  readonly servicePath: string;
  readonly #options: EtcdDiscoveryOptions;
  readonly #shared: SharedClient;
  readonly #prefix: Buffer;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  /** Key (after the prefix) → metadata, as etcd has them. */
  #entries = new Map<string, string>();
  readonly #feed: EndpointFeed;
  readonly #closing = new AbortController();
  #attempts = 0;
  #connected = false;
  #listed = false;
  readonly #ready: Promise<void>;
  #settleReady: (error?: Error) => void = () => {};
  readonly #loop: Promise<void>;

  constructor(options: EtcdDiscoveryOptions) {
    const shared = adopted;
    adopted = undefined;
    if (typeof options.basePath !== 'string' || typeof options.servicePath !== 'string') {
      shared?.release();
      throw new TypeError('EtcdDiscovery: basePath and servicePath are required');
    }
    this.#shared = shared ?? SharedClient.from(options, 'EtcdDiscovery');
    this.#options = options;
    this.basePath = options.basePath;
    this.servicePath = options.servicePath;
    this.#prefix = Buffer.from(etcdServicePrefix(options.basePath, options.servicePath));
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = new Backoff({ ...RETRY_DEFAULTS, ...options.backoff });
    this.#feed = new EndpointFeed({
      outageGraceMs: options.outageGraceMs,
      logger: this.#logger,
      name: `etcd discovery of ${this.#prefix.toString()}`,
    });
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.#ready.catch(() => {}); // a discovery closed before its first list: only ready() reports it
    this.#loop = this.#run();
  }

  /** Resolves with the first list once it is in (rejects if the discovery is closed first). */
  async ready(): Promise<readonly ServiceEndpoint[]> {
    await this.#ready;
    return this.#feed.list;
  }

  /** The current list (frozen), sorted by key; empty until the first list is in. */
  getServices(): readonly ServiceEndpoint[] {
    return this.#feed.list;
  }

  /**
   * Every later change of the list, as a whole list: iterate to follow them. A watcher that falls
   * behind gets only the latest list. Ends when `signal` aborts, on `return()`, or on `close()`.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    return this.#feed.watch(signal);
  }

  /**
   * The same registry (and etcd connection), another service: Go's `Clone`. Closes on its own;
   * the connection closes with the last discovery using it.
   */
  clone(servicePath: string): EtcdDiscovery {
    if (this.#closing.signal.aborted) throw new Error('EtcdDiscovery: clone of a closed discovery');
    adopted = this.#shared.retain();
    return new EtcdDiscovery({ ...this.#options, servicePath });
  }

  /** Attempts to reach etcd so far (lists with their watch), the first included. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Whether the watch is established now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Stops following etcd and ends the watchers. Idempotent; resolves once the watch is gone. */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort();
      this.#feed.close();
      this.#settleReady(new Error('EtcdDiscovery closed before its first list'));
      await this.#loop;
      this.#shared.release();
    }
    await this.#loop;
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /** List, watch, and again after a wait whenever that fails; until closed. */
  async #run(): Promise<void> {
    const closing = this.#closing.signal;
    while (!closing.aborted) {
      this.#attempts++;
      let watcher: Watcher | undefined;
      let error: Error;
      try {
        watcher = await this.#listAndWatch();
        if (this.#backoff.attempts > 0) {
          this.#logger.info(`rpcx: etcd discovery of ${this.servicePath} is following etcd again`);
        }
        this.#backoff.reset();
        this.#connected = true;
        error = await this.#untilBroken(watcher);
      } catch (thrown) {
        error = asError(thrown);
      }
      this.#connected = false;
      if (watcher !== undefined) await watcher.cancel().catch(() => {});
      if (closing.aborted) return;
      this.#feed.outage();
      const delayMs = this.#backoff.fail();
      const failures = this.#backoff.attempts;
      this.#logger.warn(
        `rpcx: etcd discovery of ${this.servicePath}: ${error.message}; keeping the last ${this.#feed.list.length} servers, trying again in ${delayMs} ms`,
        { servicePath: this.servicePath, failures, delayMs, error },
      );
      try {
        this.#options.onRetry?.({ failures, delayMs, error });
      } catch {
        // an observer's mistake is not ours
      }
      await sleep(delayMs, closing);
    }
  }

  /** Lists the prefix, reports the list, and watches from the next revision. */
  async #listAndWatch(): Promise<Watcher> {
    const { client, requestTimeoutMs } = this.#shared;
    const prefix = this.#prefix;
    const response = await bounded(
      client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix) }),
      requestTimeoutMs,
      this.#closing.signal,
    );
    const entries = new Map<string, string>();
    for (const kv of response.kvs) {
      entries.set(kv.key.subarray(prefix.length).toString(), kv.value.toString());
    }
    this.#entries = entries;
    this.#publish();
    if (!this.#listed) {
      this.#listed = true;
      this.#settleReady();
    }

    const watcher = client
      .watch()
      .prefix(prefix)
      .startRevision((BigInt(response.header.revision) + 1n).toString())
      .watcher();
    watcher.on('data', (res: IWatchResponse) => this.#apply(res));
    // An 'error' with no listener would throw: the waits below listen while they wait, this
    // one for the moments between (the watch is cancelled and tried again either way).
    watcher.on('error', () => {});
    // Resolves when the watch is established; a watch that cannot be (etcd went away again) is
    // cancelled by the caller, which tries again after a wait.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`etcd watch not established within ${requestTimeoutMs} ms`)),
        requestTimeoutMs,
      );
      const onConnected = () => done();
      const onBroken = (error: Error) => done(error);
      const onClose = () => done(new Error('closed'));
      const done = (error?: Error) => {
        clearTimeout(timer);
        watcher.off('connected', onConnected);
        watcher.off('disconnected', onBroken);
        watcher.off('error', onBroken);
        this.#closing.signal.removeEventListener('abort', onClose);
        if (error === undefined) resolve();
        else {
          watcher.cancel().catch(() => {});
          reject(error);
        }
      };
      watcher.once('connected', onConnected);
      watcher.once('disconnected', onBroken);
      watcher.once('error', onBroken);
      this.#closing.signal.addEventListener('abort', onClose, { once: true });
    });
    return watcher;
  }

  /** Resolves with the reason the watch broke (or with `closed`). */
  #untilBroken(watcher: Watcher): Promise<Error> {
    return new Promise<Error>((resolve) => {
      const closing = this.#closing.signal;
      const done = (error: Error) => {
        watcher.off('disconnected', done);
        watcher.off('error', done);
        watcher.off('end', ended);
        closing.removeEventListener('abort', onClose);
        resolve(asError(error));
      };
      const ended = () => done(new Error('etcd watch ended'));
      const onClose = () => done(new Error('closed'));
      watcher.on('disconnected', done);
      watcher.on('error', done);
      watcher.on('end', ended);
      closing.addEventListener('abort', onClose, { once: true });
    });
  }

  /** One watch response: its events applied in order, then the list reported if it changed. */
  #apply(response: IWatchResponse): void {
    const prefix = this.#prefix;
    let changed = false;
    for (const event of response.events) {
      const key = event.kv.key;
      if (key.length < prefix.length || !key.subarray(0, prefix.length).equals(prefix)) continue;
      const rest = key.subarray(prefix.length).toString();
      if (String(event.type).toLowerCase() === 'delete') {
        changed = this.#entries.delete(rest) || changed;
      } else {
        this.#entries.set(rest, event.kv.value.toString());
        changed = true;
      }
    }
    if (changed) this.#publish();
  }

  /** The entries as a list, to the feed (which reports it if it differs). */
  #publish(): void {
    const filter = this.#options.filter;
    const list: ServiceEndpoint[] = [];
    for (const [key, metadata] of this.#entries) {
      if (key === '') continue; // `<basePath>/<servicePath>/` itself is no server
      const endpoint = { key, metadata };
      if (filter === undefined || filter(endpoint)) list.push(endpoint);
    }
    this.#feed.publish(list);
  }
}

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
