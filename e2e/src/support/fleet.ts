/**
 * A fleet of fleet-server.ts processes, a static discovery over them and XClients for the specs.
 */
import { join } from 'node:path';
import {
  type CircuitBreaker,
  ConsecutiveBreaker,
  type ConsecutiveBreakerOptions,
  MultipleServersDiscovery,
  SerializeType,
  XClient,
  type XClientOptions,
} from '@rpcx/client';
import { type NodeProcess, startProcess } from '@rpcx/testing';

export const FLEET_SERVER = join(__dirname, '..', 'fleet-server.ts');

export interface FleetServerOptions {
  /** What `Who` answers. */
  id: string;
  /** 0 (default) picks a free port; give a dead server's port to bring it back. */
  port?: number;
  /** Every answer of Who and Mul waits this long (ms). */
  delayMs?: number;
  /** How long `Slow` waits (ms). */
  slowMs?: number;
  /** ok (default), fail (Who and Mul fail) or stall (they never answer). */
  role?: 'ok' | 'fail' | 'stall';
}

export interface FleetServer {
  readonly id: string;
  /** `tcp@127.0.0.1:<port>`: the server key in discovery. */
  readonly address: string;
  readonly port: number;
  readonly process: NodeProcess;
}

export async function startFleetServer(options: FleetServerOptions): Promise<FleetServer> {
  const args = ['--id', options.id, '--port', String(options.port ?? 0)];
  if (options.delayMs !== undefined) args.push('--delay-ms', String(options.delayMs));
  if (options.slowMs !== undefined) args.push('--slow-ms', String(options.slowMs));
  if (options.role !== undefined) args.push('--role', options.role);
  const child = await startProcess(FLEET_SERVER, args, { name: `fleet server ${options.id}` });
  const address = child.ready[1]!;
  return { id: options.id, address, port: Number(address.split(':').pop()), process: child };
}

/**
 * A server on a port it can come back to: outside Linux's ephemeral range (32768–60999 by
 * default), so that while it is dead no outgoing socket — the client's redials of it included,
 * which could even connect to themselves — takes its port. Tries random ports until one is free.
 */
export async function startRestartableServer(options: FleetServerOptions): Promise<FleetServer> {
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      return await startFleetServer({ ...options, port });
    } catch (error) {
      if (attempt === 10 || !/listen failed/.test(String(error))) throw error;
    }
  }
}

/** Starts the servers side by side. */
export function startFleet(servers: readonly FleetServerOptions[]): Promise<FleetServer[]> {
  return Promise.all(servers.map(startFleetServer));
}

/** Stops every server still running (SIGKILL: nothing to wait for at the end of a test). */
export async function stopFleet(servers: readonly FleetServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.process.kill('SIGKILL')));
}

/**
 * An XClient of service `Fleet` over `servers`, JSON-encoded. The list stays as it is: a killed
 * server keeps its place (and its address when it comes back), as a registry's stale entry would.
 */
export function fleetClient(
  servers: readonly { address: string }[],
  options: Partial<XClientOptions> = {},
): XClient {
  return new XClient({
    servicePath: 'Fleet',
    discovery: new MultipleServersDiscovery(
      servers.map((server) => ({ key: server.address, metadata: '' })),
    ),
    serializeType: SerializeType.JSON,
    ...options,
  });
}

/**
 * Consecutive breakers that also count, per server, the attempts they let through: the attempts
 * that actually went to that server (the pool asks a server's breaker before using it).
 */
export class CountingBreakers {
  private readonly admitted = new Map<string, number>();

  constructor(private readonly options: ConsecutiveBreakerOptions) {}

  readonly factory = (key: string): CircuitBreaker => {
    const inner = new ConsecutiveBreaker(this.options);
    const admitted = this.admitted;
    return {
      allow: () => {
        const allowed = inner.allow();
        if (allowed) admitted.set(key, (admitted.get(key) ?? 0) + 1);
        return allowed;
      },
      success: () => inner.success(),
      failure: () => inner.failure(),
      get state() {
        return inner.state;
      },
    };
  };

  /** Attempts let through to `key` so far. */
  attempts(key: string): number {
    return this.admitted.get(key) ?? 0;
  }
}
