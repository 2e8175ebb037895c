/**
 * One concurrency level of the peers run: the servers its rows need (one process each, shared by
 * the rows that call it) and one client per row, as loads for the interleaved measurement.
 *
 * In-process clients (every TS client, grpc-js, the calling Moleculer broker) live in the bench
 * process; each Go client row is a benchclient process of its own.
 */
import type { Load } from '../load/interleave.js';
import type { LoadSource } from '../load/load-generator.js';
import { startGoClient } from './go-client.js';
import type { GoPrograms } from './go-programs.js';
import { connectGrpc } from './grpc-peer.js';
import { connectMoleculer, freeMoleculerPorts } from './moleculer-peer.js';
import type { PeerRowSpec } from './peer-rows.js';
import {
  BENCH_PROTO,
  type PeerServer,
  startGoServer,
  startGrpcServerProcess,
  startMoleculerServerProcess,
  startTsServer,
} from './peer-servers.js';
import { connectRpcxClient, rpcxCall } from './rpcx-calls.js';

export interface PeerLoads {
  /** One per spec, in the same order. */
  loads: Load[];
  /** GOMAXPROCS each Go client reported. */
  goClientGomaxprocs: number[];
  /** Closes the clients, then stops the servers. */
  close(): Promise<void>;
}

export interface PeerLoadOptions {
  concurrency: number;
  go: GoPrograms | undefined;
  gomaxprocs: number;
}

export async function startPeerLoads(
  specs: readonly PeerRowSpec[],
  options: PeerLoadOptions,
): Promise<PeerLoads> {
  const { concurrency, gomaxprocs } = options;
  const cleanups: Array<() => unknown> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  const servers = new Map<string, Promise<PeerServer>>();
  /** The server named `key`, started once and stopped last. */
  const server = (key: string, start: () => Promise<PeerServer>) => {
    let started = servers.get(key);
    if (!started) {
      started = start().then((child) => {
        cleanups.push(child.stop);
        return child;
      });
      servers.set(key, started);
    }
    return started;
  };
  const go = () => {
    if (!options.go) throw new Error('the Go rows need the Go programs');
    return options.go;
  };
  const tsServer = () => server('ts', startTsServer);
  const goServer = () => server('go', () => startGoServer(go().server, gomaxprocs));
  const goClientGomaxprocs: number[] = [];

  /** Where the row's calls come from, and which server answers them. */
  const source = async (spec: PeerRowSpec): Promise<[LoadSource, PeerServer]> => {
    switch (spec.kind) {
      case 'ts-ts':
      case 'ts-go': {
        const target = await (spec.kind === 'ts-ts' ? tsServer() : goServer());
        const client = await connectRpcxClient(target.address);
        cleanups.push(() => client.close());
        return [{ call: rpcxCall(client, spec.codec) }, target];
      }
      case 'go-go':
      case 'go-ts': {
        const target = await (spec.kind === 'go-ts' ? tsServer() : goServer());
        const client = await startGoClient(
          go().client,
          target.address,
          spec.codec,
          concurrency,
          gomaxprocs,
        );
        cleanups.push(client.stop);
        goClientGomaxprocs.push(client.gomaxprocs);
        return [{ external: client }, target];
      }
      case 'grpc': {
        const target = await server('grpc', startGrpcServerProcess);
        const caller = await connectGrpc(target.address.replace(/^tcp@/, ''), BENCH_PROTO);
        cleanups.push(caller.close);
        return [{ call: caller.say }, target];
      }
      case 'moleculer': {
        const ports = await freeMoleculerPorts();
        const target = await server('moleculer', () => startMoleculerServerProcess(ports));
        const caller = await connectMoleculer(ports);
        cleanups.push(caller.close);
        return [{ call: caller.say }, target];
      }
    }
  };

  try {
    const loads: Load[] = [];
    for (const spec of specs) {
      const [from, target] = await source(spec);
      loads.push({
        ...from,
        name: spec.name,
        serverCpu: async () => (await target.stats()).cpuUs,
        serverRss: async () => (await target.stats()).rssBytes,
      });
    }
    return { loads, goClientGomaxprocs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
