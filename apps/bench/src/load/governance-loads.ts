/**
 * The governance rows of the load run: a call (Say by default, what rpcx-benchmark measures; or
 * the raw-payload Echo) through `XClient`s, each beside a plain `Client` row offered the same
 * servers and connections.
 *
 * - `Client ×3 (round robin)`: three `Client`s, one per server of a fleet of three server
 *   processes; the bench picks them in turn. No governance: what the ×3 XClient rows are
 *   compared with.
 * - `XClient RoundRobin ×3`: an XClient over the same three servers (MultipleServersDiscovery),
 *   Failover + RoundRobin, default options (a breaker per server, retry budget on).
 * - `XClient +breaker +plugin`: the same with an explicit breaker config and a client plugin
 *   whose `preCall`/`postCall` count calls.
 * - `XClient RoundRobin ×1` (only beside the one-server row of the same call, its reference):
 *   an XClient with default options over that row's server, so a single Client and a single
 *   XClient meet on equal terms.
 *
 * The fleet's servers are shared by the ×3 rows, so each is offered the same server capacity;
 * their server CPU is the three processes' added up.
 */
import {
  type Client,
  FailMode,
  MultipleServersDiscovery,
  SelectMode,
  SerializeType,
  XClient,
  type XClientOptions,
} from '@rpcx/client';
import type { ClientPlugin } from '@rpcx/core';
import { BenchmarkMessage } from '../bench-message.js';
import type { Load } from './interleave.js';
import { ECHO_ROW, type RpcxRow, SAY_ROW, type Workload } from './rpcx-loads.js';
import type { RpcxSide } from './rpcx-side.js';
import { type ServerProcess, startServerProcess } from './server-child.js';

/** `--rows` name of the governance group. */
export const GOVERNANCE_ROWS = 'xclient';

export const CLIENT_X3_ROW = 'Client ×3 (round robin)';
export const XCLIENT_ROW = 'XClient RoundRobin ×3';
export const XCLIENT_PLUGIN_ROW = 'XClient +breaker +plugin';
export const XCLIENT_X1_ROW = 'XClient RoundRobin ×1';

/**
 * Each XClient row and the plain Client row it is compared with, when the rows make `call`: the
 * same servers and the same number of connections, only the client differs.
 */
export function xclientReferences(call: RpcxRow): ReadonlyMap<string, string> {
  return new Map([
    [XCLIENT_ROW, CLIENT_X3_ROW],
    [XCLIENT_PLUGIN_ROW, CLIENT_X3_ROW],
    [XCLIENT_X1_ROW, call === 'say' ? SAY_ROW : ECHO_ROW],
  ]);
}

const FLEET = 3;

/** Counts calls in `preCall` and `postCall`: a plugin that does trivial work per attempt. */
export class CountingPlugin implements ClientPlugin {
  readonly name = 'counting';
  started = 0;
  finished = 0;
  failed = 0;

  preCall(): void {
    this.started++;
  }

  postCall(_call: unknown, _args: unknown, _reply: unknown, error?: Error): void {
    this.finished++;
    if (error !== undefined) this.failed++;
  }
}

export interface GovernanceRows {
  loads: Load[];
  plugin: CountingPlugin;
  /** Closes the clients, then stops the servers. */
  close(): Promise<void>;
}

/**
 * Starts the fleet and the clients of the governance rows (our side only), which make `call`.
 * `single`: the server of our one-server row of that call, for the `XClient RoundRobin ×1` row
 * (left out without it).
 */
export async function startGovernanceRows(
  side: RpcxSide,
  work: Workload,
  call: RpcxRow,
  single: ServerProcess | undefined,
): Promise<GovernanceRows> {
  const [clientCall, xclientCall] =
    call === 'say' ? [clientSay, xclientSay] : [clientEcho, xclientEcho];
  const cleanups: Array<() => unknown> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const fleet: ServerProcess[] = [];
    for (let i = 0; i < FLEET; i++) {
      const server = await startServerProcess('rpcx', side.serverEntry);
      cleanups.push(server.stop);
      fleet.push(server);
    }
    const fleetCpu = async () => {
      const times = await Promise.all(fleet.map((server) => server.cpu()));
      return times.reduce((sum, time) => sum + time, 0);
    };

    const clients = fleet.map(
      (server) =>
        new side.Client({ address: server.address, codecs: [side.createProtobufCodec()] }),
    );
    for (const client of clients) {
      cleanups.push(() => client.close());
      await client.connect();
    }
    let next = 0;
    const nextClient = () => {
      const client = clients[next]!;
      next = next === FLEET - 1 ? 0 : next + 1;
      return client;
    };

    const xclient = (servers: ServerProcess[], options: Partial<XClientOptions> = {}) => {
      const discovery = new MultipleServersDiscovery(
        servers.map((server) => ({ key: server.address, metadata: '' })),
      );
      const client = new XClient({
        servicePath: 'Hello',
        discovery,
        failMode: FailMode.Failover,
        selectMode: SelectMode.RoundRobin,
        codecs: [side.createProtobufCodec()],
        ...options,
      });
      cleanups.push(
        () => client.close(),
        () => discovery.close(),
      );
      return client;
    };
    const plugin = new CountingPlugin();
    const plain = xclient(fleet);
    const governed = xclient(fleet, {
      breaker: { failureThreshold: 5, openMs: 1_000 },
      plugins: [plugin],
    });
    // Dial every server before the warm-up (RoundRobin: one call each).
    for (const client of [plain, governed]) {
      for (let i = 0; i < FLEET; i++) await xclientCall(client, work);
    }

    // Client ×3 goes last: the last row of the run's list runs two slices in a row at each turn
    // of direction (interleave.ts), so it pays for no other row's garbage. If that favours
    // anyone, let it favour the reference, not the XClients.
    const loads: Load[] = [];
    if (single !== undefined) {
      const one = xclient([single]);
      await xclientCall(one, work);
      loads.push({
        name: XCLIENT_X1_ROW,
        serverCpu: single.cpu,
        call: () => xclientCall(one, work),
      });
    }
    loads.push(
      { name: XCLIENT_ROW, serverCpu: fleetCpu, call: () => xclientCall(plain, work) },
      { name: XCLIENT_PLUGIN_ROW, serverCpu: fleetCpu, call: () => xclientCall(governed, work) },
      { name: CLIENT_X3_ROW, serverCpu: fleetCpu, call: () => clientCall(nextClient(), work) },
    );
    return { loads, plugin, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Say through a plain Client, as the `rpcx Say (protobuf)` row calls it. */
async function clientSay(client: Client, work: Workload): Promise<void> {
  const reply = await client.call<{ field1: string }>('Hello', 'Say', work.message, {
    serializeType: SerializeType.ProtoBuffer,
    replyType: BenchmarkMessage,
  });
  if (reply.field1 !== 'OK') throw new Error('bad reply');
}

/** Say through an XClient of service `Hello`. */
async function xclientSay(client: XClient, work: Workload): Promise<void> {
  const reply = await client.call<{ field1: string }>('Say', work.message, {
    serializeType: SerializeType.ProtoBuffer,
    replyType: BenchmarkMessage,
  });
  if (reply.field1 !== 'OK') throw new Error('bad reply');
}

/** Echo through a plain Client, as the `rpcx echo (raw payload)` row calls it. */
function clientEcho(client: Client, work: Workload): Promise<unknown> {
  return client.call('Hello', 'Echo', work.payload, { serializeType: SerializeType.None });
}

/** Echo through an XClient of service `Hello`. */
function xclientEcho(client: XClient, work: Workload): Promise<unknown> {
  return client.call('Echo', work.payload, { serializeType: SerializeType.None });
}
