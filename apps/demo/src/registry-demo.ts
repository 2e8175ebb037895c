/**
 * The registry examples: the same service, servers and client code for every registry. Three
 * servers of `Greeter` register themselves through the registry's plugin; one XClient finds them
 * through the registry's discovery and calls them in turn, printing which server answered. Each
 * registry's `registry-<name>-main.ts` starts its registry, runs this, and stops it.
 */
import { FailMode, SelectMode, SerializeType, XClient } from '@rpcx/client';
import type { RegistryPlugin, ServiceDiscovery } from '@rpcx/core';
import { Server } from '@rpcx/server';

/** What the demo needs of a registry: a plugin per server, a discovery per client. */
export interface DemoRegistry {
  readonly name: string;
  /** A register plugin for one server; it registers the address the server listens on. */
  plugin(): RegistryPlugin;
  discovery(servicePath: string): ServiceDiscovery;
}

export interface RegistryDemoSummary {
  servers: string[];
  answers: string[];
  failed: number;
}

const SERVICE = 'Greeter';

export async function runRegistryDemo(
  registry: DemoRegistry,
  options: { log?: (line: string) => void; calls?: number; waitMs?: number } = {},
): Promise<RegistryDemoSummary> {
  const log = options.log ?? console.log;
  const servers: Server[] = [];
  const names = new Map<string, string>();
  let client: XClient | undefined;
  let discovery: ServiceDiscovery | undefined;
  try {
    for (let i = 1; i <= 3; i++) {
      const name = `server-${i}`;
      const server = new Server({ plugins: [registry.plugin()] });
      server.registerFunction(SERVICE, 'Hello', () => name);
      const address = await server.listen('tcp@127.0.0.1:0');
      names.set(address, name);
      servers.push(server);
      log(`${name} listens on ${address}, registered in ${registry.name}`);
    }
    discovery = registry.discovery(SERVICE);
    client = new XClient({
      servicePath: SERVICE,
      discovery,
      failMode: FailMode.Failover,
      selectMode: SelectMode.RoundRobin,
      serializeType: SerializeType.JSON,
    });
    // Registration and discovery are asynchronous: wait until the client knows all three.
    const giveUp = Date.now() + (options.waitMs ?? 10_000);
    while (client.servers.length < 3) {
      if (Date.now() > giveUp)
        throw new Error(`${registry.name}: the three servers never showed up`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    log(`the client found ${client.servers.length} servers of ${SERVICE} in ${registry.name}`);
    const answers: string[] = [];
    let failed = 0;
    for (let i = 0; i < (options.calls ?? 6); i++) {
      try {
        answers.push(await client.call<string>('Hello', {}, { timeoutMs: 2_000 }));
      } catch (error) {
        failed++;
        log(`call ${i + 1} failed: ${(error as Error).message}`);
      }
    }
    log(`RoundRobin  ${answers.join(' ')}`);
    log(`summary: ${answers.length + failed} calls, ${failed} failed`);
    return { servers: [...names.values()], answers, failed };
  } finally {
    await client?.close();
    await discovery?.close();
    // Graceful: each server unregisters itself before it closes.
    await Promise.all(servers.map((server) => server.shutdown()));
  }
}
