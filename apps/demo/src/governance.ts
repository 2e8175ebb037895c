/**
 * Service governance with `XClient`: three servers of one service, found through a
 * `MultipleServersDiscovery`; calls spread by RoundRobin, then by WeightedRoundRobin (metadata
 * `weight=5`, `weight=1`, `weight=1`); then one server is killed and Failover carries the calls
 * to the others, with no error reaching the caller.
 *
 * `runGovernanceDemo()` prints which server answered each call and returns the summary
 * (governance-main.ts runs it; governance.spec.ts checks it).
 */
import {
  FailMode,
  MultipleServersDiscovery,
  SelectMode,
  SerializeType,
  XClient,
} from '@rpcx/client';
import type { ClientPlugin } from '@rpcx/core';
import { Server } from '@rpcx/server';

/** The demo service: `Greeter.Hello` says which server answered. */
interface Greeting {
  from: string;
  greeting: string;
}

export interface GovernanceSummary {
  /** Server names, in the order selectors see them (sorted by address), and their weights. */
  servers: { name: string; address: string; weight: number }[];
  /** Which server answered each call of each phase. */
  roundRobin: string[];
  weighted: string[];
  /** The server closed before the last phase. */
  killed: string;
  afterKill: string[];
  /** Calls made and calls that failed (the caller saw an error). */
  calls: number;
  failed: number;
  /** Attempts that failed and were retried on another server (Failover). */
  failedOver: number;
}

export interface GovernanceDemoOptions {
  /** Where the lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** Calls per phase. Default 6 for RoundRobin and Failover, 7 (a whole 5:1:1 cycle) weighted. */
  calls?: number;
}

const WEIGHTS = [5, 1, 1];

export async function runGovernanceDemo(
  options: GovernanceDemoOptions = {},
): Promise<GovernanceSummary> {
  const log = options.log ?? console.log;
  const servers: Server[] = [];
  const clients: XClient[] = [];
  try {
    // Three servers of the service Greeter, each on a free port of 127.0.0.1.
    const started: { server: Server; address: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const server = new Server();
      servers.push(server);
      started.push({ server, address: await server.listen('tcp@127.0.0.1:0') });
    }
    // Named in the order the selectors see them (the XClient sorts servers by address).
    started.sort((a, b) => (a.address < b.address ? -1 : 1));
    const fleet = started.map(({ server, address }, i) => {
      const name = `server-${i + 1}`;
      server.registerFunction(
        'Greeter',
        'Hello',
        (args: { name: string }): Greeting => ({ from: name, greeting: `hello, ${args.name}` }),
      );
      return { name, address, weight: WEIGHTS[i]!, server };
    });
    log(`3 servers: ${fleet.map((s) => `${s.name} ${s.address} (weight=${s.weight})`).join(', ')}`);

    // What a registry would hand out; the weights matter only to WeightedRoundRobin.
    const discovery = new MultipleServersDiscovery(
      fleet.map((s) => ({ key: s.address, metadata: `weight=${s.weight}` })),
    );
    // Counts the attempts that failed: Failover retries them on another server.
    let failedAttempts = 0;
    const counting: ClientPlugin = {
      name: 'count-failed-attempts',
      postCall: (_call, _args, _reply, error) => {
        if (error !== undefined) failedAttempts++;
      },
    };
    const xclient = (selectMode: SelectMode) => {
      const client = new XClient({
        servicePath: 'Greeter',
        discovery,
        failMode: FailMode.Failover,
        selectMode,
        serializeType: SerializeType.JSON,
        plugins: [counting],
      });
      clients.push(client);
      return client;
    };

    let calls = 0;
    let failed = 0;
    const phase = async (title: string, client: XClient, count: number) => {
      const answered: string[] = [];
      for (let i = 0; i < count; i++) {
        calls++;
        try {
          const reply = await client.call<Greeting>(
            'Hello',
            { name: `call ${calls}` },
            { timeoutMs: 1000 },
          );
          answered.push(reply.from);
        } catch (error) {
          failed++;
          answered.push(`error (${(error as Error).message})`);
        }
      }
      log(`${title.padEnd(20)}${answered.join(' ')}`);
      return answered;
    };

    const roundRobinClient = xclient(SelectMode.RoundRobin);
    const roundRobin = await phase('RoundRobin', roundRobinClient, options.calls ?? 6);
    const weighted = await phase(
      'WeightedRoundRobin',
      xclient(SelectMode.WeightedRoundRobin),
      options.calls ?? 7,
    );

    // Kill one server; discovery still lists it, so Failover (and then its breaker) must route
    // around it.
    const victim = fleet[1]!;
    await victim.server.close();
    log(`${victim.name} closed (still listed by discovery)`);
    const attemptsBefore = failedAttempts;
    const afterKill = await phase('RoundRobin+Failover', roundRobinClient, options.calls ?? 6);
    const failedOver = failedAttempts - attemptsBefore;

    const summary: GovernanceSummary = {
      servers: fleet.map(({ name, address, weight }) => ({ name, address, weight })),
      roundRobin,
      weighted,
      killed: victim.name,
      afterKill,
      calls,
      failed,
      failedOver,
    };
    log(
      `summary: ${calls} calls, ${failed} failed; after closing ${victim.name}: ` +
        `${countBy(afterKill)} (${failedOver} attempts on ${victim.name} failed over)`,
    );
    return summary;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
  }
}

/** `server-1 ×3, server-3 ×3` */
function countBy(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, count]) => `${name} ×${count}`)
    .join(', ');
}
