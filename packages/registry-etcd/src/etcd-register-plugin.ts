/**
 * `EtcdRegisterPlugin`: makes a server's services findable in etcd the way Go's rpcx-etcd
 * `EtcdV3RegisterPlugin` does (spec §6.4, §6.5), so Go and TS clients find TS servers:
 *
 *   <basePath>                             "rpcx_path"
 *   <basePath>/<servicePath>               "<servicePath>"
 *   <basePath>/<servicePath>/<address>     "<metadata>"      (e.g. /rpcx/Arith/tcp@10.0.0.5:8972)
 *
 * every key attached to one etcd lease per plugin, kept alive every third of its TTL, so a
 * crashed server's keys vanish a TTL after its last keep-alive.
 *
 *   const server = new Server({
 *     plugins: [new EtcdRegisterPlugin({ endpoints: ['127.0.0.1:2379'], basePath: '/rpcx' })],
 *   });
 *   server.register(new Arith(), { metadata: 'weight=10' });
 *   await server.listen('tcp@127.0.0.1:8972');   // keys written (the address is the bound one)
 *   await server.shutdown();                      // keys deleted, lease revoked
 *
 * Every `updateIntervalMs` it reads each of its nodes, as Go's refresh loop does: a vanished node
 * is written again, and with a `metrics` source `calls` / `connections` are merged into the
 * metadata (re-encoded as Go's `url.Values.Encode`). Metadata edited in etcd by hand is kept.
 *
 * When etcd cannot be reached the server keeps serving: registrations are kept and written once
 * etcd answers again — one attempt at a time, after a jittered delay that doubles up to
 * `backoff.maxDelayMs`; a lease that expired meanwhile is replaced and every key written anew.
 * `register`, `unregister` and `start` wait for one attempt at most (each etcd request is bounded
 * by `requestTimeoutMs`), never for etcd to come back.
 *
 * Differences from Go, on purpose: the keys are written at `register` (Go writes the server's
 * key only at the first refresh tick, never when `UpdateInterval` is 0, and the service marker
 * only at the next `Register`); a refresh that changes nothing writes nothing (Go writes every
 * node back every tick); `stop()` revokes the lease (Go leaves the markers to the TTL).
 */
import type { Logger, RegistryMetricsSource, RegistryPlugin } from '@rpcx/core';
import {
  asError,
  Backoff,
  type BackoffOptions,
  mergeMetadata,
  registryMetricsValues,
  silentLogger,
} from '@rpcx/core';
import {
  EtcdLeaseInvalidError,
  type IDuplexStream,
  type ILeaseKeepAliveRequest,
  type ILeaseKeepAliveResponse,
} from 'etcd3';
import { bounded, type EtcdConnectionOptions, SharedClient } from './etcd-client.js';
import type { EtcdRetryEvent } from './etcd-discovery.js';
import { etcdNodeKey, etcdServiceKey } from './keys.js';

/** Waits between attempts to reach etcd: 250 ms, doubling, at most 10 s, ±20 %. */
const RETRY_DEFAULTS: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 10_000 };

export interface EtcdRegisterPluginOptions extends EtcdConnectionOptions {
  /** The registry's base path (e.g. `/rpcx`); used verbatim, as Go does. */
  basePath: string;
  /**
   * This server's key, `network@host:port` (e.g. `tcp@10.0.0.5:8972`). Default: the first
   * address the server is listening on when it starts the plugin — give it when that address is
   * not the one clients reach (`0.0.0.0`, NAT, containers).
   */
  serviceAddress?: string;
  /** TTL of the lease the keys are attached to (seconds, ≥ 1). Default 30, as Go's store. */
  ttlSeconds?: number;
  /** How often each node is read back (re-created if gone, metrics merged); 0 = never. Default 10 000 ms. */
  updateIntervalMs?: number;
  /**
   * Rates written as `calls` / `connections` into every node at each refresh (Go's `Metrics`,
   * spec §6.9): e.g. a `RegistryMeters` of @rpcx/core, also given to the server as a plugin.
   */
  metrics?: RegistryMetricsSource;
  /** Waits between failed attempts to reach etcd. Default 250 ms doubling to 10 s, ±20 %. */
  backoff?: BackoffOptions;
  /** Told when etcd cannot be reached (warn) and when it can again (info). Default silent. */
  logger?: Logger;
  /** Called after each failed attempt, before its wait: for monitoring. */
  onRetry?: (event: EtcdRetryEvent) => void;
}

export const DEFAULT_TTL_SECONDS = 30;
export const DEFAULT_UPDATE_INTERVAL_MS = 10_000;

interface Registration {
  readonly metadata: string;
  /** Bumped by every `register` of the path, so a write of older metadata is not taken as current. */
  readonly version: number;
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

/** The long-lived lease keep-alive stream, and the answer awaited on it. */
interface KeepAliveChannel {
  readonly stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
  answer: { resolve(ttl: number): void; reject(error: Error): void } | undefined;
}

export class EtcdRegisterPlugin implements RegistryPlugin {
  readonly name = 'etcd';
  readonly basePath: string;
  readonly #options: EtcdRegisterPluginOptions;
  readonly #shared: SharedClient;
  readonly #ttlSeconds: number;
  readonly #updateIntervalMs: number;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #serviceAddress: string | undefined;
  #state: State = 'new';
  #versions = 0;
  /** What should be in etcd: service path → metadata. */
  readonly #services = new Map<string, Registration>();
  /** Which registration version of each path is in etcd under the current lease. */
  readonly #written = new Map<string, number>();
  /** Unregistered paths whose node may still be in etcd. */
  readonly #deletes = new Set<string>();
  #lease: string | undefined;
  #keepAliveChannel: KeepAliveChannel | undefined;
  #markerWritten = false;
  #keepAliveAt = 0;
  #refreshAt = 0;
  #healthy = true;
  /** A change came in: run another pass at once. */
  #dirty = false;
  #wake: (() => void) | undefined;
  /** Waiting for the end of the next pass (resolved whether it succeeded or not). */
  #passWaiters: Array<() => void> = [];
  readonly #stopping = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  constructor(options: EtcdRegisterPluginOptions) {
    if (typeof options.basePath !== 'string') {
      throw new TypeError('EtcdRegisterPlugin: basePath is required');
    }
    const ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new RangeError(
        `EtcdRegisterPlugin: ttlSeconds must be an integer ≥ 1, got ${ttlSeconds}`,
      );
    }
    const updateIntervalMs = options.updateIntervalMs ?? DEFAULT_UPDATE_INTERVAL_MS;
    if (!(updateIntervalMs >= 0)) {
      throw new RangeError(
        `EtcdRegisterPlugin: updateIntervalMs must be ≥ 0, got ${updateIntervalMs}`,
      );
    }
    this.#options = options;
    this.basePath = options.basePath;
    this.#serviceAddress = options.serviceAddress;
    this.#ttlSeconds = ttlSeconds;
    this.#updateIntervalMs = updateIntervalMs;
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = new Backoff({ ...RETRY_DEFAULTS, ...options.backoff });
    this.#shared = SharedClient.from(options, 'EtcdRegisterPlugin');
  }

  /** This server's key (known once started). */
  get serviceAddress(): string | undefined {
    return this.#serviceAddress;
  }

  /** Whether the last attempt to reach etcd succeeded. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** The etcd lease the keys are attached to now (a decimal string), if any. */
  get leaseId(): string | undefined {
    return this.#lease;
  }

  /**
   * Connects: grants the lease and writes the base path marker, then every service registered so
   * far. Called by the server once it listens, with its bound addresses.
   */
  async start(serviceAddresses: readonly string[] = []): Promise<void> {
    if (this.#state !== 'new') return;
    this.#serviceAddress ??= serviceAddresses[0];
    if (this.#serviceAddress === undefined) {
      throw new Error(
        'EtcdRegisterPlugin: no service address: give serviceAddress, or add the plugin to a server',
      );
    }
    this.#state = 'running';
    this.#loop = this.#run();
    await this.#nextPass();
  }

  /** Writes the node of `servicePath` with `metadata` (and its directory marker). */
  async register(servicePath: string, metadata: string): Promise<void> {
    if (servicePath.trim() === '') {
      throw new Error("EtcdRegisterPlugin: Register service `name` can't be empty");
    }
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#services.set(servicePath, { metadata, version: ++this.#versions });
    this.#deletes.delete(servicePath);
    await this.#changed();
  }

  /** Deletes the node of `servicePath`. */
  async unregister(servicePath: string): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    if (!this.#services.delete(servicePath)) return;
    this.#written.delete(servicePath);
    this.#deletes.add(servicePath);
    await this.#changed();
  }

  /** Deletes this server's nodes, revokes the lease and closes the connection. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /** A registration changed: once running, the next pass writes it; waits for that pass if etcd is reachable. */
  async #changed(): Promise<void> {
    if (this.#state !== 'running') return;
    const pass = this.#nextPass();
    if (this.#healthy) await pass;
  }

  /** Asks for a pass and resolves at its end (one starting after this call). */
  #nextPass(): Promise<void> {
    this.#dirty = true;
    const done = new Promise<void>((resolve) => this.#passWaiters.push(resolve));
    this.#wake?.();
    return done;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      this.#shared.release();
      return;
    }
    this.#state = 'stopping';
    this.#stopping.abort();
    this.#wake?.();
    await this.#loop;
    this.#closeKeepAlive();
    // Best effort, each request bounded; etcd unreachable → the lease's TTL removes the keys.
    const { client, requestTimeoutMs } = this.#shared;
    try {
      for (const path of new Set([...this.#services.keys(), ...this.#deletes])) {
        const key = etcdNodeKey(this.basePath, path, this.#serviceAddress!);
        await bounded(client.kv.deleteRange({ key: Buffer.from(key) }), requestTimeoutMs);
      }
      if (this.#lease !== undefined) {
        await bounded(client.leaseClient.leaseRevoke({ ID: this.#lease }), requestTimeoutMs);
      }
    } catch (error) {
      this.#logger.warn(
        `rpcx: etcd register plugin could not remove its keys: ${asError(error).message}; they expire with the lease (${this.#ttlSeconds} s)`,
        { error },
      );
    }
    this.#lease = undefined;
    this.#state = 'stopped';
    this.#shared.release();
  }

  /** Passes until stopped: after a success when something is due or changed, after a failure after a wait. */
  async #run(): Promise<void> {
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      const waiters = this.#passWaiters.splice(0);
      this.#dirty = false;
      try {
        await this.#pass();
        if (!this.#healthy) this.#logger.info('rpcx: etcd register plugin reaches etcd again');
        this.#healthy = true;
        this.#backoff.reset();
        for (const resolve of waiters) resolve();
        if (this.#dirty) continue;
        await this.#idle(this.#nextDue() - Date.now());
      } catch (thrown) {
        this.#healthy = false;
        // The next pass starts with a keep-alive: a lease that expired meanwhile, or an etcd that
        // came back without its data, is found (and the keys written again) as soon as etcd answers.
        this.#keepAliveAt = 0;
        for (const resolve of waiters) resolve();
        if (stopping.aborted) break;
        const error = asError(thrown);
        const delayMs = this.#backoff.fail();
        const failures = this.#backoff.attempts;
        this.#logger.warn(
          `rpcx: etcd register plugin: ${error.message}; the server keeps serving, trying again in ${delayMs} ms`,
          { failures, delayMs, error },
        );
        try {
          this.#options.onRetry?.({ failures, delayMs, error });
        } catch {
          // an observer's mistake is not ours
        }
        await this.#idle(delayMs, false);
      }
    }
    for (const resolve of this.#passWaiters.splice(0)) resolve();
  }

  /** When the keep-alive or the refresh is due next. */
  #nextDue(): number {
    return this.#updateIntervalMs > 0
      ? Math.min(this.#keepAliveAt, this.#refreshAt)
      : this.#keepAliveAt;
  }

  /** Waits `ms`, or until stopped — or, when `wakeable`, until a change comes in. */
  #idle(ms: number, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const stopping = this.#stopping.signal;
      if (stopping.aborted || (wakeable && this.#dirty)) return resolve();
      const done = () => {
        clearTimeout(timer);
        stopping.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      stopping.addEventListener('abort', done, { once: true });
      if (wakeable) this.#wake = done;
    });
  }

  /** One round of work: lease, keep-alive, markers, deletions, writes, refresh — what is due. */
  async #pass(): Promise<void> {
    const now = Date.now();
    const keepAliveEveryMs = (this.#ttlSeconds * 1000) / 3;
    if (this.#lease === undefined) {
      const granted = await this.#call(
        this.#shared.client.leaseClient.leaseGrant({ TTL: this.#ttlSeconds }),
      );
      this.#lease = granted.ID;
      this.#written.clear();
      this.#markerWritten = false;
      this.#keepAliveAt = now + keepAliveEveryMs;
      this.#refreshAt = now + this.#updateIntervalMs;
    } else if (now >= this.#keepAliveAt) {
      const ttl = await this.#keepAlive(this.#lease);
      if (ttl <= 0) {
        this.#logger.warn('rpcx: etcd register plugin: its lease expired; registering again');
        this.#leaseLost();
        return this.#pass();
      }
      this.#keepAliveAt = now + keepAliveEveryMs;
    }
    if (!this.#markerWritten) {
      await this.#put(this.basePath, 'rpcx_path');
      this.#markerWritten = true;
    }
    for (const path of [...this.#deletes]) {
      await this.#call(
        this.#shared.client.kv.deleteRange({ key: Buffer.from(this.#nodeKey(path)) }),
      );
      if (!this.#services.has(path)) this.#deletes.delete(path);
    }
    for (const [path, registration] of [...this.#services]) {
      if (this.#written.get(path) === registration.version) continue;
      await this.#put(etcdServiceKey(this.basePath, path), path);
      await this.#put(this.#nodeKey(path), registration.metadata);
      this.#written.set(path, registration.version);
    }
    if (this.#updateIntervalMs > 0 && now >= this.#refreshAt) {
      await this.#refresh();
      this.#refreshAt = now + this.#updateIntervalMs;
    }
  }

  /** Go's refresh tick: each node read back; re-created if gone, metrics merged, lease re-attached. */
  async #refresh(): Promise<void> {
    const metrics = this.#options.metrics;
    const extra = metrics === undefined ? undefined : registryMetricsValues(metrics);
    for (const [path, registration] of [...this.#services]) {
      if (this.#written.get(path) !== registration.version) continue; // written next pass
      const key = this.#nodeKey(path);
      const found = await this.#call(this.#shared.client.kv.range({ key: Buffer.from(key) }));
      const kv = found.kvs[0];
      if (kv === undefined) {
        this.#logger.info(`rpcx: etcd register plugin: ${key} was gone; writing it again`);
        await this.#put(key, registration.metadata);
        continue;
      }
      const current = kv.value.toString();
      const value = extra === undefined ? current : (mergeMetadata(current, extra) ?? current);
      // A hand edit put without the lease (etcdctl put) detaches the key: attach it again.
      if (value !== current || kv.lease !== this.#lease) await this.#put(key, value);
    }
  }

  /**
   * One keep-alive of `lease` on the keep-alive stream (opened on first use and kept, as etcd's
   * own clients do: a stream already open goes on working while etcd shuts down gracefully, when
   * new ones are refused); resolves with the remaining TTL (≤ 0: the lease is gone).
   */
  async #keepAlive(lease: string): Promise<number> {
    let channel = this.#keepAliveChannel;
    if (channel === undefined) {
      const stream = await this.#call(this.#shared.client.leaseClient.leaseKeepAlive());
      const opened: KeepAliveChannel = { stream, answer: undefined };
      const broken = (error: Error) => {
        if (this.#keepAliveChannel === opened) this.#keepAliveChannel = undefined;
        opened.answer?.reject(error);
        opened.answer = undefined;
      };
      stream.on('data', (response) => {
        opened.answer?.resolve(Number(response.TTL));
        opened.answer = undefined;
      });
      stream.on('error', broken);
      stream.on('end', () => broken(new Error('etcd keep-alive stream ended')));
      this.#keepAliveChannel = channel = opened;
    }
    const open = channel;
    const answer = new Promise<number>((resolve, reject) => {
      open.answer = { resolve, reject };
    });
    answer.catch(() => {});
    try {
      open.stream.write({ ID: lease });
      return await this.#call(answer);
    } catch (error) {
      this.#closeKeepAlive();
      throw error;
    }
  }

  #closeKeepAlive(): void {
    const channel = this.#keepAliveChannel;
    this.#keepAliveChannel = undefined;
    if (channel === undefined) return;
    channel.answer?.reject(new Error('closed'));
    channel.answer = undefined;
    try {
      channel.stream.cancel();
    } catch {
      // already gone
    }
  }

  /** Puts `key` = `value` attached to the lease; a lease etcd no longer knows is replaced next pass. */
  async #put(key: string, value: string): Promise<void> {
    try {
      await this.#call(
        this.#shared.client.kv.put({
          key: Buffer.from(key),
          value: Buffer.from(value),
          lease: this.#lease,
        }),
      );
    } catch (error) {
      if (error instanceof EtcdLeaseInvalidError) this.#leaseLost();
      throw error;
    }
  }

  #leaseLost(): void {
    this.#lease = undefined;
    this.#written.clear();
    this.#markerWritten = false;
  }

  #nodeKey(path: string): string {
    return etcdNodeKey(this.basePath, path, this.#serviceAddress!);
  }

  /** An etcd request, bounded by `requestTimeoutMs` and by `stop()`. */
  #call<T>(operation: Promise<T>): Promise<T> {
    return bounded(operation, this.#shared.requestTimeoutMs, this.#stopping.signal);
  }
}
