/**
 * `ZookeeperDiscovery`: the servers of one service as Go rpcx's ZooKeeper plugin registers them
 * (spec §6.6): the children of `/<basePath>/<servicePath>`, each child's name the server key
 * (`tcp@host:port`) and its data the metadata (`weight=10&state=inactive`).
 *
 *   const discovery = new ZookeeperDiscovery({ servers: ['127.0.0.1:2181'], servicePath: 'Arith' });
 *   await discovery.ready();                    // optional: the first list has been read
 *   const xclient = new XClient({ servicePath: 'Arith', discovery });
 *
 * It reads the list at once and then follows it: a child watch on the service node and a data
 * watch on every server node, so metadata edits (`state=inactive`, `weight`, `group`) reach
 * clients as fast as servers coming and going. Watchers always get the whole list, sorted by key.
 *
 * Differences from Go, on purpose: a service node that does not exist yet is an empty list that
 * fills in when servers register (Go fails to create the discovery); data changes of the children
 * are watched (Go sees only membership changes); a watcher subscribes when `watch()` is called and
 * holds only the latest list it has not taken. While ZooKeeper is unreachable the last list stays
 * (calls keep going to the last known servers); the client reconnects with jittered, capped
 * backoff, one attempt at a time, re-reads the list and re-arms its watches. A ZooKeeper that
 * comes back empty (it lost its data) is not believed until a server registers again or
 * `outageGraceMs` has passed — the rule of every registry package (core's `EndpointFeed`; Go
 * publishes the empty list). `clone()` shares the ZooKeeper session (as Go shares its store);
 * the last one closed closes it.
 */
import {
  type BackoffOptions,
  EndpointFeed,
  type Logger,
  type ServiceDiscovery,
  type ServiceEndpoint,
  silentLogger,
} from '@rpcx/core';
import { connectStringOf, segmentsOf, znodePath } from './zk-layout.js';
import { isZkError, NO_NODE, ZkSession, type ZkWatcher } from './zk-session.js';

export interface ZookeeperDiscoveryOptions {
  /** ZooKeeper servers, `host:port` each (or one connection string `h1:p1,h2:p2`). */
  servers: readonly string[] | string;
  /** The service to follow (`Arith`). */
  servicePath: string;
  /** Where services are registered. Default `/rpcx` (Go's usual; leading/trailing `/` optional). */
  basePath?: string;
  /** The ZooKeeper session timeout to ask for (ms). Default 10 000 (Go's store default). */
  sessionTimeoutMs?: number;
  /** Reconnection pacing while ZooKeeper is unreachable. */
  backoff?: BackoffOptions;
  /**
   * After an outage, how long an empty list is not believed while the last one was not empty
   * (ms). Default 20 000; 0 believes it at once.
   */
  outageGraceMs?: number;
  /** Keeps an endpoint iff it returns true (Go's `SetFilter`). */
  filter?: (endpoint: ServiceEndpoint) => boolean;
  /** Where connection losses and failures are told. Default: silent. */
  logger?: Logger;
}

/** A session handed from `clone()` to the constructor (kept out of the public signature). */
let sharedSession: ZkSession | undefined;

export class ZookeeperDiscovery implements ServiceDiscovery {
  /** The service followed. */
  readonly servicePath: string;
  /** Its znode: `/<basePath>/<servicePath>`. */
  readonly path: string;
  readonly #options: ZookeeperDiscoveryOptions;
  readonly #session: ZkSession;
  readonly #logger: Logger;
  readonly #feed: EndpointFeed;
  readonly #unsubscribe: () => void;
  #loaded = false;
  #loadWaiters: Array<() => void> = [];
  #closed = false;
  #refreshing = false;
  #again = false;
  #reads = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: ZookeeperDiscoveryOptions) {
    const shared = sharedSession;
    sharedSession = undefined;
    if (typeof options?.servicePath !== 'string' || segmentsOf(options.servicePath).length === 0) {
      throw new TypeError('ZookeeperDiscovery: `servicePath` is required');
    }
    this.#options = options;
    this.servicePath = options.servicePath;
    this.path = znodePath([
      ...segmentsOf(options.basePath ?? '/rpcx'),
      ...segmentsOf(options.servicePath),
    ]);
    this.#logger = options.logger ?? silentLogger;
    this.#feed = new EndpointFeed({
      outageGraceMs: options.outageGraceMs,
      logger: this.#logger,
      name: `zookeeper discovery of ${this.path}`,
    });
    this.#session =
      shared ??
      new ZkSession({
        connectString: connectStringOf(options.servers, 'ZookeeperDiscovery'),
        sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
        backoff: options.backoff,
        logger: this.#logger,
        name: 'rpcx ZookeeperDiscovery',
      });
    // Every (re)connection re-reads the list: a new session lost its watches, and a resumed one
    // may have missed nothing, but reading is cheap and the watches are re-armed either way.
    this.#unsubscribe = this.#session.onConnected(() => {
      // Connected again after the first list: ZooKeeper was out of reach, maybe lost its data.
      if (this.#loaded) this.#feed.outage();
      this.#refresh();
    });
    if (this.#session.connected) this.#refresh();
  }

  /** The current list (frozen): empty until the first read, then the last one read. */
  getServices(): readonly ServiceEndpoint[] {
    return this.#feed.list;
  }

  /**
   * Resolves with the list once it has been read from ZooKeeper the first time (at once if it
   * has been); rejects when the discovery is closed first.
   */
  ready(): Promise<readonly ServiceEndpoint[]> {
    if (this.#loaded) return Promise.resolve(this.#feed.list);
    if (this.#closed) return Promise.reject(new Error('ZookeeperDiscovery: closed'));
    return new Promise((resolve, reject) => {
      this.#loadWaiters.push(() => {
        if (this.#loaded) resolve(this.#feed.list);
        else reject(new Error('ZookeeperDiscovery: closed'));
      });
    });
  }

  /**
   * Every list from now on (whole lists, sorted by key, only when it changed). Ends when
   * `signal` aborts, on `return()` (`break` in `for await`), or on `close()`.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    return this.#feed.watch(signal);
  }

  /** The same ZooKeeper (and session), another service. */
  clone(servicePath: string): ZookeeperDiscovery {
    if (this.#closed) throw new Error('ZookeeperDiscovery: closed');
    sharedSession = this.#session.retain();
    try {
      return new ZookeeperDiscovery({ ...this.#options, servicePath });
    } finally {
      sharedSession = undefined;
    }
  }

  /** Whether the ZooKeeper session is up now. */
  get connected(): boolean {
    return this.#session.connected;
  }

  /** Connection attempts of its session so far (one at a time; the first one included). */
  get connectAttempts(): number {
    return this.#session.connectAttempts;
  }

  /** How many times the list was read (initial read, watch events, reconnections). */
  get reads(): number {
    return this.#reads;
  }

  /** Ends the watchers; the session closes with the last discovery sharing it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearTimeout(this.#retry);
    this.#feed.close();
    for (const waiter of this.#loadWaiters.splice(0)) waiter();
    await this.#session.release();
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Any watch event: the list is read again (watches fire once; the read re-arms them). */
  readonly #onEvent: ZkWatcher = () => {
    if (!this.#closed) this.#refresh();
  };

  /** Reads the list; one read at a time, and one more if asked for during it. */
  #refresh(): void {
    if (this.#closed) return;
    if (this.#refreshing) {
      this.#again = true;
      return;
    }
    this.#refreshing = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          const list = await this.#read();
          if (list !== undefined && !this.#closed) this.#publish(list);
        } while (this.#again && !this.#closed);
      } finally {
        this.#refreshing = false;
      }
    })();
  }

  /** The list now, or `undefined` when it could not be read (the last one stays). */
  async #read(): Promise<ServiceEndpoint[] | undefined> {
    this.#reads++;
    const session = this.#session;
    let children: string[];
    try {
      children = await session.getChildren(this.path, this.#onEvent);
    } catch (error) {
      if (!isZkError(error, NO_NODE)) return this.#failed(error);
      // No server registered yet: an empty list, and a watch for the node's creation.
      try {
        if ((await session.exists(this.path, this.#onEvent)) !== undefined) this.#again = true;
      } catch (existsError) {
        return this.#failed(existsError);
      }
      return [];
    }
    try {
      const read = await Promise.all(
        children.map(async (key): Promise<ServiceEndpoint | undefined> => {
          try {
            const { data } = await session.getData(`${this.path}/${key}`, this.#onEvent);
            return { key, metadata: data };
          } catch (error) {
            // Gone since the children were listed: the child watch brings the next list.
            if (isZkError(error, NO_NODE)) return undefined;
            throw error;
          }
        }),
      );
      const filter = this.#options.filter;
      return read
        .filter((endpoint): endpoint is ServiceEndpoint => endpoint !== undefined)
        .filter((endpoint) => filter === undefined || filter(endpoint));
    } catch (error) {
      return this.#failed(error);
    }
  }

  /**
   * A read failed: the last list stays. A lost connection brings a new read when it is back; a
   * failure on a live connection (a timeout) is retried after a second.
   */
  #failed(error: unknown): undefined {
    this.#logger.warn(`rpcx ZookeeperDiscovery: cannot read ${this.path}; keeping the last list`, {
      error: (error as Error)?.message,
    });
    this.#feed.outage();
    if (this.#session.connected && this.#retry === undefined) {
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.#refresh();
      }, 1_000);
      this.#retry.unref();
    }
    return undefined;
  }

  #publish(list: ServiceEndpoint[]): void {
    const first = !this.#loaded;
    this.#loaded = true;
    this.#feed.publish(list);
    if (first) for (const waiter of this.#loadWaiters.splice(0)) waiter();
  }
}
