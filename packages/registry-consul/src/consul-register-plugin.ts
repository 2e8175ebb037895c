/**
 * `ConsulRegisterPlugin`: registers a server's services in Consul's KV store in Go rpcx's layout
 * (spec §6.4, §6.7; rpcx-consul v0.1.1), so Go and TS clients find it.
 *
 *   const server = new Server({
 *     plugins: [new ConsulRegisterPlugin({ address: '127.0.0.1:8500', basePath: '/rpcx_test' })],
 *   });
 *   server.register(new Arith(), { metadata: 'weight=10' });
 *   await server.listen('tcp@0.0.0.0:8972');
 *
 * Keys (no leading slash), all with Go's KV flags `0x2ddccbc058a50c18`:
 *
 *   <base>                       "rpcx_path"      permanent directory marker
 *   <base>/<service>             "<service>"      permanent directory marker
 *   <base>/<service>/<address>   "<metadata>"     locked by this server's Consul session
 *
 * Liveness: one Consul session per plugin (behavior `delete`, lock delay ~0, TTL
 * `(updateIntervalMs + expiredMs) / 2` as in Go, 10 s at least — Consul accepts 10 s to 24 h)
 * holds every node key of this server. Consul invalidates a session between TTL and 2×TTL after
 * its last renewal and then deletes the keys it holds: a crashed server disappears within
 * `2 × sessionTtlMs` (see `expiryMs`).
 *
 * Every `updateIntervalMs` the plugin renews its session, re-creates a node key that vanished
 * (Consul restarted without its data, the session expired while this process was paused, an
 * operator deleted it) and, with a `metrics` source, merges `calls` / `connections` into each
 * node's metadata (re-encoded as Go's `url.Values.Encode`), keeping whatever else is there (an
 * operator's `state=inactive` stays). A failed refresh is retried with jittered backoff, so a server whose
 * Consul was down re-registers soon after it is back; the server keeps serving meanwhile.
 * `unregister` deletes the node key (retried later if Consul is down); `stop` deletes every node
 * key of this server and destroys the session.
 *
 * Differences from Go, on purpose (Go's behaviour in brackets): one session for all keys [one per
 * key]; the base marker is never bound to a session [Go's `Start` binds it to one, so it vanishes
 * when that server dies]; a refresh without metrics changes nothing in Consul but the session
 * renewal [Go rewrites every node each tick, re-encoding the metadata]; a node key held by a
 * stale session (a crashed predecessor at the same address) is taken over [Go renews the
 * predecessor's session]; a session TTL under 10 s is raised to 10 s [Go's `Start` fails].
 */
import {
  Backoff,
  type BackoffOptions,
  type Logger,
  mergeMetadata,
  messageOf,
  type RegistryMetricsSource,
  type RegistryPlugin,
  registryMetricsValues,
  silentLogger,
} from '@rpcx/core';
import { type ConsulConnectionOptions, ConsulKv } from './consul-kv.js';
import { BASE_PATH_VALUE, nodeKey, normalizeBasePath, servicePrefix } from './layout.js';

export interface ConsulRegisterPluginOptions extends ConsulConnectionOptions {
  /** Go's `BasePath`, e.g. `/rpcx_test` (stored without the leading `/`). */
  basePath: string;
  /**
   * The key clients dial, e.g. `tcp@10.0.0.5:8972` (Go's `ServiceAddress`). Default: the first
   * address the server listens on (what `start` is given).
   */
  serviceAddress?: string;
  /** How often the session is renewed and the keys checked (ms). Default 10 000. */
  updateIntervalMs?: number;
  /** Go's `Expired` (ms); default `updateIntervalMs`. The session TTL is their mean. */
  expiredMs?: number;
  /**
   * The session TTL (ms), whole seconds, 10 s to 24 h. Default `(updateIntervalMs + expiredMs) / 2`
   * rounded up to a second, at least 10 s. Must be more than half the update interval.
   */
  sessionTtlMs?: number;
  /**
   * Rates written as `calls` / `connections` into every node at each refresh (Go's `Metrics`,
   * spec §6.9): e.g. a `RegistryMeters` of @rpcx/core, also given to the server as a plugin.
   */
  metrics?: RegistryMetricsSource;
  /**
   * Retry timing after a failed refresh or registration. Default 250 ms doubling to the update
   * interval (never more), ±20 % jitter.
   */
  backoff?: BackoffOptions;
  /** Where failures and recoveries are reported. Default silent. */
  logger?: Logger;
}

const MIN_TTL_MS = 10_000;
const MAX_TTL_MS = 24 * 60 * 60 * 1000;

export class ConsulRegisterPlugin implements RegistryPlugin {
  readonly name = 'consul';
  /** The session TTL in use (ms). */
  readonly sessionTtlMs: number;
  /** The longest a crashed server's keys stay in Consul: 2 × the session TTL (ms). */
  readonly expiryMs: number;

  readonly #kv: ConsulKv;
  readonly #basePath: string;
  readonly #updateIntervalMs: number;
  readonly #backoff: Backoff;
  readonly #logger: Logger;
  readonly #metrics: RegistryMetricsSource | undefined;
  #serviceAddress: string | undefined;
  /** servicePath → metadata given at registration. */
  readonly #services = new Map<string, string>();
  /** Node keys unregistered while Consul could not be told. */
  readonly #pendingDeletes = new Set<string>();
  #session: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ConsulRegisterPluginOptions) {
    const updateIntervalMs = options.updateIntervalMs ?? 10_000;
    if (!(updateIntervalMs > 0)) {
      throw new RangeError('ConsulRegisterPlugin: updateIntervalMs must be > 0');
    }
    const expiredMs = options.expiredMs ?? updateIntervalMs;
    const ttlMs =
      options.sessionTtlMs ??
      Math.max(MIN_TTL_MS, Math.ceil((updateIntervalMs + expiredMs) / 2 / 1000) * 1000);
    if (!(ttlMs >= MIN_TTL_MS && ttlMs <= MAX_TTL_MS) || ttlMs % 1000 !== 0) {
      throw new RangeError(
        `ConsulRegisterPlugin: session TTL ${ttlMs} ms: Consul accepts whole seconds from 10 s to 24 h`,
      );
    }
    if (updateIntervalMs >= 2 * ttlMs) {
      throw new RangeError(
        `ConsulRegisterPlugin: updateIntervalMs ${updateIntervalMs} lets the ${ttlMs} ms session expire between renewals`,
      );
    }
    this.sessionTtlMs = ttlMs;
    this.expiryMs = 2 * ttlMs;
    this.#kv = new ConsulKv(options);
    this.#basePath = normalizeBasePath(options.basePath);
    this.#serviceAddress = options.serviceAddress;
    this.#updateIntervalMs = updateIntervalMs;
    this.#backoff = new Backoff({
      initialDelayMs: 250,
      ...options.backoff,
      maxDelayMs: Math.min(options.backoff?.maxDelayMs ?? updateIntervalMs, updateIntervalMs),
    });
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics;
  }

  /** The key this server is registered under (once known). */
  get serviceAddress(): string | undefined {
    return this.#serviceAddress;
  }

  /** The server listens: learns its address (unless given) and starts the refresh loop. */
  start(serviceAddresses: readonly string[] = []): void {
    if (this.#stopped) return;
    this.#serviceAddress ??= serviceAddresses[0];
    if (this.#serviceAddress === undefined) {
      throw new Error('ConsulRegisterPlugin: no serviceAddress given and none to start with');
    }
    this.#schedule(this.#updateIntervalMs);
  }

  /**
   * Writes `<base>`, `<base>/<servicePath>` and this server's node with `metadata`. When Consul
   * cannot be reached this rejects, and the registration is retried in the background.
   */
  async register(servicePath: string, metadata: string): Promise<void> {
    if (servicePath.trim() === '') throw new TypeError('Register service `name` can not be empty');
    if (this.#stopped) throw new Error('ConsulRegisterPlugin: stopped');
    const address = this.#address();
    this.#services.set(servicePath, metadata);
    this.#pendingDeletes.delete(nodeKey(this.#basePath, servicePath, address));
    await this.#attempt(async () => {
      await this.#ensureSession();
      await this.#writeMarkers(servicePath);
      await this.#acquire(nodeKey(this.#basePath, servicePath, address), metadata);
    });
  }

  /** Deletes this server's node of `servicePath` (retried in the background if Consul is down). */
  async unregister(servicePath: string): Promise<void> {
    if (!this.#services.delete(servicePath) || this.#serviceAddress === undefined) return;
    const key = nodeKey(this.#basePath, servicePath, this.#serviceAddress);
    this.#pendingDeletes.add(key);
    if (this.#stopped) return;
    await this.#attempt(async () => {
      await this.#kv.delete(key);
      this.#pendingDeletes.delete(key);
    });
  }

  /**
   * Stops the refresh loop, deletes every node of this server and destroys its session (until
   * the first failure: if Consul is down, the session TTL removes them).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#enqueue(async () => {
      const keys = new Set(this.#pendingDeletes);
      if (this.#serviceAddress !== undefined) {
        for (const path of this.#services.keys()) {
          keys.add(nodeKey(this.#basePath, path, this.#serviceAddress));
        }
      }
      try {
        for (const key of keys) await this.#kv.delete(key);
        if (this.#session !== undefined) await this.#kv.destroySession(this.#session);
      } catch (error) {
        // Not one request more to a Consul that does not answer: the session TTL cleans up.
        this.#warn('stop: Consul did not answer; the session TTL will remove the keys', error);
      }
      this.#services.clear();
      this.#pendingDeletes.clear();
      this.#session = undefined;
    });
    this.#kv.close();
  }

  // -------------------------------------------------------------------------------------------
  // internal

  #address(): string {
    if (this.#serviceAddress === undefined) {
      throw new Error('ConsulRegisterPlugin: no serviceAddress (give one, or start the plugin)');
    }
    return this.#serviceAddress;
  }

  /** Runs one Consul operation in turn; on failure schedules a refresh soon, and rethrows. */
  async #attempt(operation: () => Promise<void>): Promise<void> {
    try {
      await this.#enqueue(operation);
    } catch (error) {
      this.#failed(error);
      throw error;
    }
    // Registered before `start` (a plugin used on its own): keep the session alive anyway.
    if (this.#timer === undefined && !this.#stopped) this.#schedule(this.#updateIntervalMs);
  }

  /** Consul operations of this plugin run one after another, never side by side. */
  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => {});
    return run;
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#enqueue(() => this.#refresh()).then(
        () => {
          if (this.#backoff.attempts > 0) {
            this.#logger.info('rpcx: consul registration refreshed again', {
              failures: this.#backoff.attempts,
            });
            this.#backoff.reset();
          }
          this.#schedule(this.#updateIntervalMs);
        },
        (error: unknown) => this.#failed(error),
      );
    }, delayMs);
    this.#timer.unref();
  }

  #failed(error: unknown): void {
    const delay = this.#backoff.fail();
    if (this.#backoff.attempts === 1) this.#warn(`refresh failed, retrying in ${delay} ms`, error);
    this.#schedule(delay);
  }

  #warn(what: string, error: unknown): void {
    this.#logger.warn(`rpcx: consul registry plugin: ${what}: ${messageOf(error)}`, { error });
  }

  /** Renews the session (or makes a new one); true when a new one had to be made. */
  async #ensureSession(): Promise<boolean> {
    if (this.#session !== undefined && (await this.#kv.renewSession(this.#session))) return false;
    this.#session = await this.#kv.createSession(
      `rpcx ${this.#address()}`,
      this.sessionTtlMs / 1000,
    );
    return true;
  }

  /** Go's directory markers: `<base>` = "rpcx_path", `<base>/<service>` = "<service>". */
  async #writeMarkers(servicePath: string): Promise<void> {
    if (this.#basePath !== '') await this.#kv.put(this.#basePath, BASE_PATH_VALUE);
    await this.#kv.put(servicePrefix(this.#basePath, servicePath), servicePath);
  }

  /** Writes a node key locked by this plugin's session, taking it over from a stale holder. */
  async #acquire(key: string, value: string): Promise<void> {
    const session = this.#session!;
    if (await this.#kv.put(key, value, { acquire: session })) return;
    // Held by another session: a crashed predecessor at this address whose session has not
    // expired yet. The address is ours now.
    await this.#kv.delete(key);
    if (!(await this.#kv.put(key, value, { acquire: session }))) {
      throw new Error(`consul key ${key} is locked by another session`);
    }
  }

  /** One refresh: session, pending deletes, every node (re-created if gone), metrics. */
  async #refresh(): Promise<void> {
    if (this.#stopped || this.#serviceAddress === undefined) return;
    if (this.#services.size === 0 && this.#pendingDeletes.size === 0 && !this.#session) return;
    await this.#ensureSession();
    for (const key of [...this.#pendingDeletes]) {
      await this.#kv.delete(key);
      this.#pendingDeletes.delete(key);
    }
    const extra = this.#metrics === undefined ? undefined : registryMetricsValues(this.#metrics);
    for (const [servicePath, metadata] of [...this.#services]) {
      const key = nodeKey(this.#basePath, servicePath, this.#serviceAddress);
      const current = await this.#kv.get(key);
      if (current === undefined || current.session !== this.#session) {
        if (current === undefined) {
          this.#logger.info(`rpcx: consul node ${key} is gone; registering it again`, { key });
        }
        await this.#writeMarkers(servicePath);
        await this.#acquire(key, current?.value ?? metadata);
        continue;
      }
      if (extra === undefined) continue;
      const merged = mergeMetadata(current.value, extra);
      if (merged !== undefined && merged !== current.value) {
        await this.#acquire(key, merged);
      }
    }
  }
}
