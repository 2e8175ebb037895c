/** The real rpcx server and XClient the registry contract suite calls through (`ContractRpc`). */

import { FailMode, SelectMode, XClient } from '@rpcx/client';
import type { RegistryPlugin, ServiceDiscovery } from '@rpcx/core';
import { Server } from '@rpcx/server';
import type { ContractRpc } from '@rpcx/testing';

export const contractRpc: ContractRpc = {
  async startServer(id: string, servicePath: string, plugins: readonly RegistryPlugin[]) {
    const server = new Server({ plugins: [...plugins] });
    server.registerName(servicePath, { Who: () => id });
    const address = await server.listen('tcp@127.0.0.1:0');
    return { address, stop: () => server.shutdown({ timeoutMs: 2_000 }) };
  },
  xclient(servicePath: string, discovery: ServiceDiscovery) {
    const xclient = new XClient({
      servicePath,
      discovery,
      failMode: FailMode.Failover,
      selectMode: SelectMode.RoundRobin,
    });
    return {
      who: (timeoutMs: number) => xclient.call<string>('Who', {}, { timeoutMs }),
      close: () => xclient.close(),
    };
  },
};
