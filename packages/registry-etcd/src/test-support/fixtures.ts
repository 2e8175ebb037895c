/**
 * Shared pieces of this package's specs: a `Fleet`-like service that names the server that
 * answered, servers registered through `EtcdRegisterPlugin`, a caller that keeps calling and
 * counts, and a bounded poll.
 */

import { FailMode, SerializeType, XClient } from '@rpcx/client';
import type { ServiceDiscovery } from '@rpcx/core';
import { Server } from '@rpcx/server';
import type { Etcd3 } from 'etcd3';
import { EtcdRegisterPlugin, type EtcdRegisterPluginOptions } from '../etcd-register-plugin.js';

/** Answers `Who` with its id and `Mul` with `{ Id, C: A×B }`. */
export class Fleet {
  constructor(readonly id: string) {}
  Who() {
    return { Id: this.id };
  }
  Mul(args: { A?: number; B?: number }) {
    return { Id: this.id, C: (args.A ?? 0) * (args.B ?? 0) };
  }
}

export interface FleetServer {
  readonly id: string;
  /** `tcp@127.0.0.1:PORT`. */
  readonly key: string;
  readonly server: Server;
  readonly plugin: EtcdRegisterPlugin;
  /** Graceful shutdown (unregisters). */
  shutdown(): Promise<void>;
  /** Closes at once, without unregistering: as a crash does, but the lease is kept alive no more. */
  close(): Promise<void>;
}

/** A TS server on a free loopback port serving `servicePath` (Fleet), registered in etcd. */
export async function startFleetServer(
  id: string,
  servicePath: string,
  plugin: Omit<EtcdRegisterPluginOptions, 'serviceAddress'>,
  metadata = '',
): Promise<FleetServer> {
  const registry = new EtcdRegisterPlugin(plugin);
  const server = new Server({ plugins: [registry] });
  server.registerName(servicePath, new Fleet(id), { methods: ['Who', 'Mul'], metadata });
  const key = await server.listen('tcp@127.0.0.1:0');
  let ended: Promise<void> | undefined;
  return {
    id,
    key,
    server,
    plugin: registry,
    shutdown: () => {
      ended ??= server.shutdown({ timeoutMs: 1_000 });
      return ended;
    },
    close: () => {
      ended ??= server.close();
      return ended;
    },
  };
}

/** An XClient (Failover, RoundRobin, JSON) over `discovery`. */
export function fleetClient(servicePath: string, discovery: ServiceDiscovery): XClient {
  return new XClient({
    servicePath,
    discovery,
    failMode: FailMode.Failover,
    serializeType: SerializeType.JSON,
  });
}

export interface CallTally {
  made: number;
  failed: number;
  /** Replies per server id. */
  readonly by: Map<string, number>;
  readonly errors: string[];
}

/** Calls `Who` one after another (a short pause between) until `stop()`; counts. */
export function keepCalling(
  client: XClient,
  pauseMs = 5,
): { tally: CallTally; stop(): Promise<CallTally> } {
  const tally: CallTally = { made: 0, failed: 0, by: new Map(), errors: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      tally.made++;
      try {
        const reply = await client.call<{ Id: string }>('Who', {}, { timeoutMs: 3_000 });
        tally.by.set(reply.Id, (tally.by.get(reply.Id) ?? 0) + 1);
      } catch (error) {
        tally.failed++;
        tally.errors.push((error as Error).message);
        if (tally.errors.length > 10) tally.errors.shift();
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    tally,
    stop: async () => {
      running = false;
      await loop;
      return tally;
    },
  };
}

/** Every key under `prefix` with its value and lease, as etcd has them. */
export async function dump(
  client: Etcd3,
  prefix: string,
): Promise<Array<{ key: string; value: string; lease: string }>> {
  const response = await client.getAll().prefix(prefix).exec();
  return response.kvs.map((kv) => ({
    key: kv.key.toString(),
    value: kv.value.toString(),
    lease: kv.lease,
  }));
}

let unique = 0;
/** A service path no other test uses (tests share one etcd). */
export const uniquePath = (name: string) => `${name}${process.pid}n${++unique}`;
