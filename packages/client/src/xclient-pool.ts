/**
 * `XClientPool` (Go's `XClientPool`): `size` XClients of one service, so calls spread over
 * `size` connections per server instead of one; `get()` hands them out in turn.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { XClient } from './xclient.js';
import type { XClientOptions } from './xclient-options.js';

export class XClientPool {
  private readonly clients: readonly XClient[];
  private next = 0;

  constructor(size: number, options: XClientOptions) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RpcxError(ErrorCode.InvalidArgument, `XClientPool size must be >= 1, got ${size}`);
    }
    // Each XClient follows the discovery on its own; a discovery serves any number of watchers.
    this.clients = Array.from({ length: size }, () => new XClient(options));
  }

  /** The next XClient, round robin. */
  get(): XClient {
    const client = this.clients[this.next]!;
    this.next = (this.next + 1) % this.clients.length;
    return client;
  }

  /** Closes every XClient of the pool. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}
