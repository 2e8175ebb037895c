/**
 * The `InteropRig` of a registry served on loopback beside the tests (etcd, ZooKeeper, Consul):
 * regserver and regxclient run as children of this process with `-registry <name> -addr <the
 * registry's addresses>`, TS servers and XClients run in it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FailMode, SelectMode, SerializeType, XClient } from '@rpcx/client';
import type { RegistryPlugin } from '@rpcx/core';
import { Server } from '@rpcx/server';
import { registerFleet } from './fleet.js';
import { runGo, startGo } from './go-tools.js';
import {
  type CallsOptions,
  type CallsResult,
  type GoCallsResult,
  type GoServerHandle,
  type GoServerOptions,
  type InteropRig,
  RigBase,
  type ServerHandle,
  type TsDiscovery,
  type TsServerOptions,
} from './registry-interop.js';

export interface LocalRigOptions {
  registry: 'etcd' | 'zookeeper' | 'consul';
  /** The registry's addresses, `host:port`. */
  addrs: readonly string[];
  base: string;
  /** The codec of both XClients (the Go one's `-codec`). */
  codec: 'json' | 'msgpack';
  /** regserver flags of this registry (its interval, its session timeout), before the test's. */
  goServerFlags?: readonly string[];
  /** A TS register plugin writing under `base`. */
  plugin(base: string): RegistryPlugin;
  /** A TS discovery of `service` under the rig's base. */
  discovery(service: string): TsDiscovery;
  checkGoWrites?: InteropRig['checkGoWrites'];
  /** Stops the registry. */
  close(): Promise<void>;
}

export class LocalRig extends RigBase implements InteropRig {
  readonly base: string;
  readonly checkGoWrites?: InteropRig['checkGoWrites'];
  constructor(private readonly options: LocalRigOptions) {
    super();
    this.base = options.base;
    this.checkGoWrites = options.checkGoWrites;
  }

  async goServer(
    id: string,
    service: string,
    { metadata = '', interval, base = this.base }: GoServerOptions = {},
  ): Promise<GoServerHandle> {
    const args = [...this.#registryFlags(base), ...(this.options.goServerFlags ?? [])];
    args.push('-service', service, '-id', id, '-metadata', metadata);
    if (interval !== undefined) args.push('-interval', interval);
    const go = await startGo('regserver', args, /^READY (\S+)$/);
    // After a test a crash is enough: every test registers services of its own.
    this.track(() => go.kill());
    return { address: go.ready[1]!, stop: () => go.stop(), kill: () => go.kill() };
  }

  async tsServer(
    id: string,
    service: string,
    { metadata, base = this.base }: TsServerOptions = {},
  ): Promise<ServerHandle> {
    const server = new Server({ plugins: [this.options.plugin(base)] });
    registerFleet(server, service, id, metadata);
    const address = await server.listen('tcp@127.0.0.1:0');
    this.track(() => server.close());
    return { address, stop: () => server.shutdown({ timeoutMs: 2_000 }) };
  }

  async goCalls(
    service: string,
    { expect, n, waitMs = 15_000 }: CallsOptions,
  ): Promise<GoCallsResult> {
    const args = [...this.#registryFlags(this.base), '-service', service];
    args.push('-expect', String(expect), '-n', String(n), '-wait', `${waitMs}ms`);
    args.push('-codec', this.options.codec);
    const run = await runGo('regxclient', args, Buffer.alloc(0), waitMs + 30_000);
    const line = run.stdout.toString().trim().split('\n').pop() ?? '';
    try {
      return { ...(JSON.parse(line) as CallsResult), code: run.code };
    } catch {
      throw new Error(`regxclient printed no result (exit ${run.code}):\n${line}\n${run.stderr}`);
    }
  }

  async tsCalls(
    service: string,
    { expect, n, waitMs = 15_000 }: CallsOptions,
  ): Promise<CallsResult> {
    const discovery = this.options.discovery(service);
    const xclient = new XClient({
      servicePath: service,
      discovery,
      failMode: FailMode.Failover,
      selectMode: SelectMode.RoundRobin,
      serializeType: this.options.codec === 'json' ? SerializeType.JSON : SerializeType.MsgPack,
    });
    try {
      const giveUp = Date.now() + waitMs;
      while (xclient.servers.length < expect && Date.now() < giveUp) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const discovered = discovery
        .getServices()
        .map((endpoint) => ({ key: endpoint.key, value: endpoint.metadata }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const result: CallsResult = { discovered, calls: 0, failed: 0, servers: {}, errors: [] };
      for (let i = 0; i < n; i++) {
        result.calls++;
        try {
          const reply = await xclient.call<{ Id: string }>('Who', {}, { timeoutMs: 5_000 });
          result.servers[reply.Id] = (result.servers[reply.Id] ?? 0) + 1;
        } catch (error) {
          result.failed++;
          result.errors.push((error as Error).message);
        }
      }
      return result;
    } finally {
      await xclient.close();
      await discovery.close();
    }
  }

  tsDiscovery(service: string): TsDiscovery {
    const discovery = this.options.discovery(service);
    this.track(() => discovery.close());
    return discovery;
  }

  protected stopRegistry(): Promise<void> {
    return this.options.close();
  }

  #registryFlags(base: string): string[] {
    return [
      '-registry',
      this.options.registry,
      '-addr',
      this.options.addrs.join(','),
      '-base',
      base,
    ];
  }
}

/**
 * Runs scripts/registries/<script>.sh: installs or builds the registry server when it is missing
 * (minutes, once; cached outside the repo), else only checks it.
 */
export function ensureRegistry(script: 'etcd' | 'zookeeper', args: string[] = []): void {
  const path = join(__dirname, '..', '..', '..', 'scripts', 'registries', `${script}.sh`);
  execFileSync('bash', [path, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 15 * 60_000,
  });
}
