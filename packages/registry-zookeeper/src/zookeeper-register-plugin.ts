/**
 * `ZookeeperRegisterPlugin`: makes a server's services findable in ZooKeeper with the layout of Go
 * rpcx's `ZooKeeperRegisterPlugin` (rpcxio/rpcx-zookeeper, spec §6.4, §6.6), so Go and TS clients
 * find Go and TS servers alike:
 *
 *   /rpcx                              "rpcx_path"   persistent
 *   /rpcx/Arith                        "Arith"       persistent
 *   /rpcx/Arith/tcp@127.0.0.1:8972     "weight=10"   EPHEMERAL, owned by this server's session
 *
 *   const server = new Server({
 *     plugins: [new ZookeeperRegisterPlugin({ servers: ['127.0.0.1:2181'] })],
 *   });
 *   server.register(new Arith(), { metadata: 'weight=10' });
 *   await server.listen('tcp@127.0.0.1:8972');   // registers /rpcx/Arith/tcp@127.0.0.1:8972
 *
 * Liveness: the server nodes are always ephemeral, so a crashed or frozen server's nodes vanish
 * when its ZooKeeper session expires (the session timeout, default 10 s). [Go differs: with
 * `UpdateInterval` 0 its nodes are persistent and outlive a crash.]
 *
 * While ZooKeeper is unreachable the server keeps serving; the plugin reconnects with jittered,
 * capped backoff (one attempt at a time) and, once back, makes every registration true again: a
 * resumed session still has its nodes; a new one (after expiry) creates them again, replacing a
 * node left by an old session of ours. Every `updateIntervalMs` the refresh loop does what Go's
 * does: a missing node is created again with the registered metadata; otherwise, with `metrics`,
 * `calls` and `connections` are merged into the stored value (Go's `url.Values.Encode`: keys
 * sorted) and written back. `unregister` deletes the node; `stop` deletes them all and closes the
 * session.
 */
import {
  asError,
  type BackoffOptions,
  type Logger,
  mergeMetadata,
  type RegistryMetricsSource,
  type RegistryPlugin,
  registryMetricsValues,
  silentLogger,
} from '@rpcx/core';
import {
  BASE_PATH_DATA,
  checkServiceAddress,
  connectStringOf,
  segmentsOf,
  znodePath,
} from './zk-layout.js';
import { BAD_VERSION, isZkError, NO_NODE, NODE_EXISTS, ZkSession } from './zk-session.js';

export interface ZookeeperRegisterPluginOptions {
  /** ZooKeeper servers, `host:port` each (or one connection string `h1:p1,h2:p2`). */
  servers: readonly string[] | string;
  /** Where services are registered. Default `/rpcx` (Go's usual; leading/trailing `/` optional). */
  basePath?: string;
  /**
   * This server's key as clients dial it (`tcp@10.0.0.5:8972`). Default: the first address the
   * server listens on (what `start` is given), which is right unless clients reach it another way.
   */
  serviceAddress?: string;
  /** The refresh loop's period (ms); 0 turns it off (the nodes stay ephemeral). Default 10 000. */
  updateIntervalMs?: number;
  /** The ZooKeeper session timeout to ask for (ms). Default 10 000 (Go's store default). */
  sessionTimeoutMs?: number;
  /** Reconnection pacing while ZooKeeper is unreachable. */
  backoff?: BackoffOptions;
  /**
   * How long `start` waits for the first session (ms), so that the first registrations are
   * written before the server announces itself. Default 3 000; after that the server starts
   * anyway and registers as soon as ZooKeeper is reachable.
   */
  startTimeoutMs?: number;
  /**
   * Rates written as `calls` / `connections` into every node at each refresh (Go's `Metrics`,
   * spec §6.9): e.g. a `RegistryMeters` of @rpcx/core, also given to the server as a plugin.
   */
  metrics?: RegistryMetricsSource;
  /** Where connection losses and failed writes are told. Default: silent. */
  logger?: Logger;
}

export class ZookeeperRegisterPlugin implements RegistryPlugin {
  readonly name = 'zookeeper';
  readonly #options: ZookeeperRegisterPluginOptions;
  readonly #connectString: string;
  readonly #base: readonly string[];
  readonly #logger: Logger;
  readonly #updateIntervalMs: number;
  #serviceAddress: string | undefined;
  #session: ZkSession | undefined;
  #unsubscribe: (() => void) | undefined;
  /** servicePath → metadata as registered: what must be in ZooKeeper. */
  readonly #services = new Map<string, string>();
  /** Unregistered while disconnected: deleted when the connection is back. */
  readonly #removed = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  /** The wait for the first session (bounded by `startTimeoutMs`), shared by start and register. */
  #firstConnection: Promise<boolean> = Promise.resolve(false);
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #writes = 0;

  constructor(options: ZookeeperRegisterPluginOptions) {
    this.#options = options;
    this.#connectString = connectStringOf(options?.servers, 'ZookeeperRegisterPlugin');
    this.#base = segmentsOf(options.basePath ?? '/rpcx');
    this.#logger = options.logger ?? silentLogger;
    this.#updateIntervalMs = options.updateIntervalMs ?? 10_000;
    if (options.serviceAddress !== undefined) {
      this.#serviceAddress = checkServiceAddress(options.serviceAddress, 'ZookeeperRegisterPlugin');
    }
  }

  /** The key this server is registered under (known once started). */
  get serviceAddress(): string | undefined {
    return this.#serviceAddress;
  }

  /** Whether the ZooKeeper session is up now. */
  get connected(): boolean {
    return this.#session?.connected ?? false;
  }

  /** The current ZooKeeper session id (hex): the owner of this server's nodes. */
  get sessionId(): string | undefined {
    return this.#session?.sessionId;
  }

  /** Connection attempts so far (one at a time; the first one included). */
  get connectAttempts(): number {
    return this.#session?.connectAttempts ?? 0;
  }

  /** Server nodes written so far (created, re-created or refreshed). */
  get writes(): number {
    return this.#writes;
  }

  /** The znode of one service of this server: `/<base>/<servicePath>/<serviceAddress>`. */
  nodePath(servicePath: string): string {
    if (this.#serviceAddress === undefined) {
      throw new Error('ZookeeperRegisterPlugin: no service address yet (call start first)');
    }
    return znodePath([...this.#base, ...segmentsOf(servicePath), this.#serviceAddress]);
  }

  /**
   * Connects (waiting up to `startTimeoutMs` for the session) and starts the refresh loop.
   * `serviceAddresses` are the server's bound addresses; the first is used when no
   * `serviceAddress` was given.
   */
  async start(serviceAddresses: readonly string[] = []): Promise<void> {
    if (this.#stopped) throw new Error('ZookeeperRegisterPlugin: stopped');
    if (this.#serviceAddress === undefined) {
      const first = serviceAddresses[0];
      if (first === undefined) {
        throw new Error('ZookeeperRegisterPlugin: no `serviceAddress` given and no address bound');
      }
      this.#serviceAddress = checkServiceAddress(first, 'ZookeeperRegisterPlugin');
    }
    this.#connect();
    await this.#firstConnection;
    if (this.#updateIntervalMs > 0 && this.#timer === undefined) this.#scheduleRefresh();
    await this.#queue;
  }

  /**
   * Registers `servicePath`: deletes this server's node (a stale one of an old session or another
   * process would otherwise stay or vanish later) and creates it, ephemeral, with `metadata` —
   * Go's Register. Resolves when written; while ZooKeeper is unreachable it resolves (at once,
   * or when the first connection's `startTimeoutMs` is over) and the node is written when it is
   * back.
   */
  register(servicePath: string, metadata: string): Promise<void> {
    if (typeof servicePath !== 'string' || servicePath.trim() === '') {
      return Promise.reject(new Error("Register service `name` can't be empty"));
    }
    if (this.#stopped) return Promise.reject(new Error('ZookeeperRegisterPlugin: stopped'));
    this.nodePath(servicePath); // throws before start
    this.#services.set(servicePath, metadata);
    this.#removed.delete(servicePath);
    this.#connect();
    return this.#firstConnection.then(() =>
      this.#enqueue(async (session) => {
        const current = this.#services.get(servicePath);
        if (current === undefined) return;
        await this.#ensureDirectories(session, servicePath);
        await this.#replaceNode(session, servicePath, current);
      }),
    );
  }

  /** Deletes this server's node of `servicePath` (at once, or when ZooKeeper is back). */
  unregister(servicePath: string): Promise<void> {
    if (!this.#services.delete(servicePath) || this.#serviceAddress === undefined) {
      return Promise.resolve();
    }
    this.#removed.add(servicePath);
    return this.#enqueue(async (session) => {
      if (this.#services.has(servicePath)) return; // registered again meanwhile
      await this.#removeNode(session, servicePath);
      this.#removed.delete(servicePath);
    });
  }

  /** Deletes every node of this server, stops the refresh loop and closes the session. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const servicePath of this.#services.keys()) this.#removed.add(servicePath);
    this.#services.clear();
    const session = this.#session;
    if (session === undefined) return;
    await this.#enqueue(async (live) => {
      for (const servicePath of [...this.#removed]) {
        await this.#removeNode(live, servicePath);
        this.#removed.delete(servicePath);
      }
    });
    this.#unsubscribe?.();
    this.#session = undefined;
    await session.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  #connect(): ZkSession {
    if (this.#session !== undefined) return this.#session;
    const session = new ZkSession({
      connectString: this.#connectString,
      sessionTimeoutMs: this.#options.sessionTimeoutMs ?? 10_000,
      backoff: this.#options.backoff,
      logger: this.#logger,
      name: 'rpcx ZookeeperRegisterPlugin',
    });
    this.#session = session;
    this.#firstConnection = session.waitConnected(this.#options.startTimeoutMs ?? 3_000);
    this.#unsubscribe = session.onConnected(() => {
      this.#enqueue((live) => this.#sync(live));
    });
    return session;
  }

  /**
   * Runs `work` after everything queued before it, if connected (else it is skipped: the
   * reconnection's sync does it). Failures are logged: the next sync or refresh repairs them.
   */
  #enqueue(work: (session: ZkSession) => Promise<void>): Promise<void> {
    const run = async () => {
      const session = this.#session;
      if (session === undefined || !session.connected) return;
      try {
        await work(session);
      } catch (error) {
        this.#logger.warn(`rpcx ZookeeperRegisterPlugin: ${asError(error).message}`);
      }
    };
    this.#queue = this.#queue.then(run, run);
    return this.#queue;
  }

  /** After every (re)connection: each registration true in ZooKeeper, unregistrations done. */
  async #sync(session: ZkSession): Promise<void> {
    for (const servicePath of [...this.#removed]) {
      await this.#removeNode(session, servicePath);
      this.#removed.delete(servicePath);
    }
    for (const [servicePath, metadata] of [...this.#services]) {
      const node = this.nodePath(servicePath);
      const stat = await session.exists(node);
      if (stat !== undefined && stat.ephemeralOwner === session.sessionId) continue;
      await this.#ensureDirectories(session, servicePath);
      await this.#replaceNode(session, servicePath, metadata);
    }
  }

  /** Go's refresh tick (spec §6.4), for every registered service. */
  async #refresh(session: ZkSession): Promise<void> {
    const metrics = this.#options.metrics;
    const extra = metrics === undefined ? {} : registryMetricsValues(metrics);
    for (const [servicePath, metadata] of [...this.#services]) {
      const node = this.nodePath(servicePath);
      let stored: { data: string; stat: { version: number; ephemeralOwner: string } };
      try {
        stored = await session.getData(node);
      } catch (error) {
        if (!isZkError(error, NO_NODE)) throw error;
        this.#logger.info(`rpcx ZookeeperRegisterPlugin: ${node} is gone; creating it again`);
        await this.#ensureDirectories(session, servicePath);
        await this.#replaceNode(session, servicePath, metadata);
        continue;
      }
      const value = mergeMetadata(stored.data, extra) ?? stored.data;
      if (stored.stat.ephemeralOwner !== session.sessionId) {
        // Left by an old session (ours, or another process at this address): it would vanish
        // when that session ends. Ours from now on, with the value it holds.
        await this.#replaceNode(session, servicePath, value);
      } else if (value !== stored.data) {
        await session.setData(node, value, stored.stat.version).catch((error: unknown) => {
          // Edited or deleted meanwhile: the next tick merges into the edit or re-creates it.
          if (!isZkError(error, BAD_VERSION) && !isZkError(error, NO_NODE)) throw error;
        });
        this.#writes++;
      }
    }
  }

  #scheduleRefresh(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      void this.#enqueue((session) => this.#refresh(session)).then(() => {
        if (!this.#stopped) this.#scheduleRefresh();
      });
    }, this.#updateIntervalMs);
    this.#timer.unref();
  }

  /** `/<base>` ("rpcx_path") and `/<base>/<servicePath>` ("<servicePath>"), as Go's Put(IsDir). */
  async #ensureDirectories(session: ZkSession, servicePath: string): Promise<void> {
    const base = this.#base;
    const service = segmentsOf(servicePath);
    const levels = [...base, ...service];
    // Go's store creates missing levels with no data, then sets the data of the last one.
    for (let depth = 1; depth <= levels.length; depth++) {
      const data =
        depth === base.length ? BASE_PATH_DATA : depth === levels.length ? servicePath : '';
      const own = depth === base.length || depth === levels.length;
      await this.#put(session, znodePath(levels.slice(0, depth)), data, own);
    }
  }

  /** Creates a persistent node with `data`; an existing one gets `data` only when `overwrite`. */
  async #put(session: ZkSession, path: string, data: string, overwrite: boolean): Promise<void> {
    try {
      await session.create(path, data, false);
    } catch (error) {
      if (!isZkError(error, NODE_EXISTS)) throw error;
      if (overwrite) await session.setData(path, data);
    }
  }

  /**
   * Go's Register: delete the node, then create it (ephemeral) — here in one transaction, so that
   * watchers never see the server missing while a node left by an old session is taken over.
   */
  async #replaceNode(session: ZkSession, servicePath: string, metadata: string): Promise<void> {
    const node = this.nodePath(servicePath);
    // The node may come or go meanwhile (an old session expiring): then try again.
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await session.exists(node)) === undefined) await session.create(node, metadata, true);
        else await session.replaceEphemeral(node, metadata);
        this.#writes++;
        return;
      } catch (error) {
        const raced = isZkError(error, NO_NODE) || isZkError(error, NODE_EXISTS);
        if (!raced || attempt >= 3) throw error;
      }
    }
  }

  async #removeNode(session: ZkSession, servicePath: string): Promise<void> {
    try {
      await session.remove(this.nodePath(servicePath));
    } catch (error) {
      if (!isZkError(error, NO_NODE)) throw error;
    }
  }
}
