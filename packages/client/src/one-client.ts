/**
 * `OneClient` (Go's `OneClient`): one object for calls to many services found through one
 * registry. It makes an XClient per service on first use, with `discovery.clone(servicePath)`,
 * and shares the options (fail mode, selector choice, plugins, auth) among them.
 */
import { type CallOptions, ErrorCode, RpcxError, type ServiceDiscovery } from '@rpcx/core';
import type { CallResult } from './call.js';
import type { Receipt } from './fan-out.js';
import { ServiceProxies, type ServiceProxy } from './service-proxy.js';
import { XClient } from './xclient.js';
import type { XClientOptions } from './xclient-options.js';

export interface OneClientOptions extends Omit<XClientOptions, 'servicePath' | 'selector'> {
  /** A discovery of any one service of the registry; cloned for each service called. */
  discovery: ServiceDiscovery;
}

export class OneClient {
  private readonly clients = new Map<string, XClient>();
  private readonly discoveries: ServiceDiscovery[] = [];
  private readonly proxies = new ServiceProxies(this);
  private closing: Promise<void> | undefined = undefined;

  constructor(private readonly options: OneClientOptions) {
    if (typeof options?.discovery?.clone !== 'function') {
      throw new RpcxError(ErrorCode.InvalidArgument, 'new OneClient: `discovery` is required');
    }
  }

  /** The XClient of one service, made on first use. */
  xclient(servicePath: string): XClient {
    let client = this.clients.get(servicePath);
    if (client === undefined) {
      if (this.closing !== undefined) {
        throw new RpcxError(ErrorCode.Shutdown, 'xClient is shut down');
      }
      const discovery = this.options.discovery.clone(servicePath);
      if (discovery !== this.options.discovery) this.discoveries.push(discovery);
      client = new XClient({ ...this.options, servicePath, discovery });
      this.clients.set(servicePath, client);
    }
    return client;
  }

  call<Reply = unknown>(
    servicePath: string,
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Reply> {
    return this.with(servicePath, (client) => client.call<Reply>(method, args, options));
  }

  invoke<Reply = unknown>(
    servicePath: string,
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<CallResult<Reply>> {
    return this.with(servicePath, (client) => client.invoke<Reply>(method, args, options));
  }

  send(servicePath: string, method: string, args?: unknown, options?: CallOptions): Promise<void> {
    return this.with(servicePath, (client) => client.send(method, args, options));
  }

  broadcast<Reply = unknown>(
    servicePath: string,
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Reply> {
    return this.with(servicePath, (client) => client.broadcast<Reply>(method, args, options));
  }

  fork<Reply = unknown>(
    servicePath: string,
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Reply> {
    return this.with(servicePath, (client) => client.fork<Reply>(method, args, options));
  }

  inform<Reply = unknown>(
    servicePath: string,
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Receipt<Reply>[]> {
    return this.with(servicePath, (client) => client.inform<Reply>(method, args, options));
  }

  /** A typed proxy of one service: `one.service<Arith>('Arith').Mul(...)`. */
  service<S>(servicePath: string): ServiceProxy<S> {
    return this.proxies.get<S>(servicePath);
  }

  /** Closes every XClient and the discoveries cloned for them (not the one given). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.clients.values()].map((client) => client.close()));
      await Promise.all(this.discoveries.map((discovery) => discovery.close()));
    })();
    return this.closing;
  }

  private with<T>(servicePath: string, use: (client: XClient) => Promise<T>): Promise<T> {
    try {
      return use(this.xclient(servicePath));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
