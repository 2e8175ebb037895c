/**
 * The jest side of the mDNS tests: starts netns-agent.ts in a network namespace of its own
 * (@rpcx/testing `startInNetns`) and talks to it over its stdin/stdout. `registry()` is a
 * `RegistryUnderTest` for the registry contract whose plugins and discoveries are proxies: the
 * real `MdnsRegisterPlugin`s and `MdnsDiscovery`s, and every multicast socket, live in the
 * namespace; the jest process keeps a mirror of each discovery's list (pushed on every change).
 * Servers the contract starts in the jest process listen on this namespace's 127.0.0.1; only
 * their addresses travel through mDNS, so the XClients here reach them directly.
 *
 * `restart()` — the contract's registry restart — has no registry server to restart on mDNS: it
 * is a network outage inside the namespace (`lo` down for a second, then up), with or without
 * `wipe` (there is no stored data to lose: every instance answers for itself).
 */
import { join } from 'node:path';
import type { RegistryPlugin, ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { EndpointFeed } from '@rpcx/core';
import type { NetnsProcess, RegistryUnderTest } from '@rpcx/testing';
import { startInNetns } from '@rpcx/testing';

export interface AgentOptions {
  /** Add br0 (Go's zeroconf needs it). */
  bridge?: boolean;
  /** Where regserver and regxclient are (conformance/build.sh; interop tests). */
  goBin?: string;
  browseTimeoutMs?: number;
  watchIntervalMs?: number;
}

interface Reply {
  rid?: number;
  ok?: boolean;
  result?: unknown;
  error?: string;
  event?: string;
  handle?: number;
  list?: ServiceEndpoint[];
}

export class MdnsAgent {
  readonly browseTimeoutMs: number;
  readonly watchIntervalMs: number;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly #lists = new Map<number, (list: ServiceEndpoint[]) => void>();
  /** Lists pushed before their discovery's handle was known here. */
  readonly #early = new Map<number, ServiceEndpoint[]>();

  private constructor(
    readonly process: NetnsProcess,
    options: AgentOptions,
  ) {
    this.browseTimeoutMs = options.browseTimeoutMs ?? 300;
    this.watchIntervalMs = options.watchIntervalMs ?? 1_000;
    process.onLine((line) => this.#onLine(line));
    void process.exited.then((exit) => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error(`mDNS agent exited (${exit.code}, ${exit.signal})`));
      }
      this.#pending.clear();
    });
  }

  static async start(options: AgentOptions = {}): Promise<MdnsAgent> {
    const args = [
      '--browse-timeout-ms',
      String(options.browseTimeoutMs ?? 300),
      '--watch-interval-ms',
      String(options.watchIntervalMs ?? 1_000),
    ];
    if (options.goBin !== undefined) args.push('--go-bin', options.goBin);
    const child = await startInNetns(join(__dirname, 'netns-agent.ts'), args, {
      bridge: options.bridge,
      readyLine: /^READY (\S+)$/,
      name: 'mdns agent',
    });
    return new MdnsAgent(child, options);
  }

  /** Sends one request; rejects with the agent's error, or after `timeoutMs`. */
  request<T = Record<string, unknown>>(
    op: string,
    args: Record<string, unknown> = {},
    timeoutMs = 20_000,
  ): Promise<T> {
    const id = this.#nextId++;
    if (!this.process.running) return Promise.reject(new Error(`mDNS agent: ${op}: agent is gone`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        const { stderr } = this.process.output();
        reject(
          new Error(
            `mDNS agent: ${op} not answered within ${timeoutMs} ms (running: ${this.process.running})\n--- agent stderr ---\n${stderr.slice(-4_000)}`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send(JSON.stringify({ ...args, rid: id, op }));
    });
  }

  #onLine(line: string): void {
    if (!line.startsWith('MSG ')) return;
    const message = JSON.parse(line.slice(4)) as Reply;
    if (message.event === 'list' && message.handle !== undefined) {
      const deliver = this.#lists.get(message.handle);
      if (deliver === undefined) this.#early.set(message.handle, message.list ?? []);
      else deliver(message.list ?? []);
      return;
    }
    if (message.rid === undefined) return;
    const pending = this.#pending.get(message.rid);
    if (pending === undefined) return;
    this.#pending.delete(message.rid);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(`mDNS agent: ${message.error}`));
  }

  /** Follows the pushed lists of discovery `handle`. */
  subscribe(handle: number, deliver: (list: ServiceEndpoint[]) => void): () => void {
    this.#lists.set(handle, deliver);
    const early = this.#early.get(handle);
    if (early !== undefined) {
      this.#early.delete(handle);
      deliver(early);
    }
    return () => this.#lists.delete(handle);
  }

  /** A register plugin whose real counterpart lives in the namespace. */
  plugin(serviceAddress?: string): RemotePlugin {
    return new RemotePlugin(this, serviceAddress);
  }

  /** A discovery whose real counterpart lives in the namespace (own interval if given). */
  discovery(servicePath: string, watchIntervalMs?: number): RemoteDiscovery {
    return new RemoteDiscovery(this, servicePath, watchIntervalMs);
  }

  /** The registry contract's view of this agent. */
  registry(): RegistryUnderTest {
    return {
      plugin: (serviceAddress) => this.plugin(serviceAddress),
      discovery: (servicePath) => this.discovery(servicePath),
      editMetadata: async (servicePath, serviceAddress, metadata) => {
        await this.request('edit', { path: servicePath, address: serviceAddress, metadata });
      },
      spawnRegistrant: async (servicePath, serviceAddress) => {
        const { handle } = await this.request<{ handle: number }>(
          'registrant.spawn',
          { path: servicePath, address: serviceAddress },
          40_000,
        );
        let killed: Promise<void> | undefined;
        return {
          kill: () => {
            killed ??= this.request('registrant.kill', { handle }).then(() => undefined);
            return killed;
          },
        };
      },
      // A crashed server is gone when it does not answer a browse: at most one interval plus
      // one browse after the crash.
      expiryMs: this.watchIntervalMs + this.browseTimeoutMs + 500,
      restart: async () => {
        await this.request('net.outage', { ms: 1_000 });
      },
    };
  }

  /**
   * Ends the agent (SIGTERM); its children read their stdin from it and exit with it. Resolves
   * once it has exited.
   */
  async stop(): Promise<void> {
    const timer = setTimeout(() => void this.process.kill('SIGKILL'), 5_000);
    await this.process.kill('SIGTERM');
    clearTimeout(timer);
  }
}

/** A `RegistryPlugin` forwarding every call to a real `MdnsRegisterPlugin` in the namespace. */
export class RemotePlugin implements RegistryPlugin {
  readonly name = 'mdns (in the test namespace)';
  readonly #handle: Promise<number>;

  constructor(
    private readonly agent: MdnsAgent,
    serviceAddress?: string,
  ) {
    this.#handle = agent
      .request<{ handle: number }>('plugin.new', { serviceAddress })
      .then((r) => r.handle);
    this.#handle.catch(() => {});
  }

  async handle(): Promise<number> {
    return this.#handle;
  }

  async start(serviceAddresses: readonly string[] = []): Promise<void> {
    await this.agent.request('plugin.start', {
      handle: await this.#handle,
      addresses: [...serviceAddresses],
    });
  }

  async register(servicePath: string, metadata: string): Promise<void> {
    await this.agent.request('plugin.register', {
      handle: await this.#handle,
      path: servicePath,
      metadata,
    });
  }

  async unregister(servicePath: string): Promise<void> {
    await this.agent.request('plugin.unregister', {
      handle: await this.#handle,
      path: servicePath,
    });
  }

  async stop(): Promise<void> {
    await this.agent.request('plugin.stop', { handle: await this.#handle });
  }

  async stats(): Promise<{ announcements: number; failures: number; answered: number }> {
    return this.agent.request('plugin.stats', { handle: await this.#handle });
  }
}

/**
 * A `ServiceDiscovery` mirroring a real `MdnsDiscovery` in the namespace: `getServices()` is the
 * latest list the agent pushed, `watch()` follows the pushes.
 */
export class RemoteDiscovery implements ServiceDiscovery {
  /** A mirror: the real discovery has applied its outage grace already. */
  readonly #feed = new EndpointFeed({ outageGraceMs: 0 });
  readonly #handle: Promise<number>;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(
    private readonly agent: MdnsAgent,
    readonly servicePath: string,
    watchIntervalMs?: number,
  ) {
    this.#handle = agent
      .request<{ handle: number; list: ServiceEndpoint[] }>('discovery.new', {
        path: servicePath,
        watchIntervalMs,
      })
      .then(({ handle, list }) => {
        this.#apply(list);
        this.#unsubscribe = agent.subscribe(handle, (l) => this.#apply(l));
        return handle;
      });
    this.#handle.catch(() => {});
  }

  #apply(list: ServiceEndpoint[]): void {
    this.#feed.publish(list);
  }

  /** Resolves with the list when the real discovery's first browse is over. */
  async ready(): Promise<readonly ServiceEndpoint[]> {
    const { list } = await this.agent.request<{ list: ServiceEndpoint[] }>('discovery.ready', {
      handle: await this.#handle,
    });
    this.#apply(list);
    return this.#feed.list;
  }

  async stats(): Promise<{ browses: number; failures: number; consecutiveFailures: number }> {
    return this.agent.request('discovery.stats', { handle: await this.#handle });
  }

  getServices(): readonly ServiceEndpoint[] {
    return this.#feed.list;
  }

  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    return this.#feed.watch(signal);
  }

  clone(servicePath: string): RemoteDiscovery {
    return new RemoteDiscovery(this.agent, servicePath);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#feed.close();
    this.#unsubscribe?.();
    const handle = await this.#handle.catch(() => undefined);
    if (handle !== undefined && this.agent.process.running) {
      await this.agent.request('discovery.close', { handle }).catch(() => {});
    }
  }
}
