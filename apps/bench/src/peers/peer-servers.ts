/**
 * The servers of the peers run, each in its own child process like the load run's, each asked
 * with `stats` for its CPU time around every slice and for its RSS after it:
 *
 * - ours: the load run's server-process.js `rpcx` (Hello.Say with every codec, Hello.Echo);
 * - grpc-js and Moleculer: peer-server-process.js `grpc` | `moleculer <port> <client port>`;
 * - Go rpcx: conformance/go's benchserver, with GOMAXPROCS set.
 */
import { fileURLToPath } from 'node:url';
import { type LineChild, startLineChild } from '../line-child.js';
import { startServerProcess } from '../load/server-child.js';
import { parseStatsLine, type ServerStats, STATS_LINE } from '../memory/process-stats.js';
import type { MoleculerPorts } from './moleculer-peer.js';

/** conformance/proto/bench.proto, from src/peers or dist/peers. */
export const BENCH_PROTO = fileURLToPath(
  new URL('../../../../conformance/proto/bench.proto', import.meta.url),
);
const PEER_SERVER_ENTRY = fileURLToPath(new URL('./peer-server-process.js', import.meta.url));

export interface PeerServer {
  /** `tcp@127.0.0.1:<port>` */
  address: string;
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

function asked(child: LineChild): PeerServer {
  return {
    address: child.ready[1]!,
    stats: async () => parseStatsLine((await child.ask('stats', STATS_LINE))[0]),
    stop: () => child.stop(),
  };
}

/** Optional pinning to one core (RPCX_BENCH_SERVER_CPU), as the load run's servers have it. */
function pinned(command: readonly string[]): string[] {
  const pin = process.env.RPCX_BENCH_SERVER_CPU;
  return pin ? ['taskset', '-c', pin, ...command] : [...command];
}

export async function startTsServer(): Promise<PeerServer> {
  return asked((await startServerProcess('rpcx')).child);
}

export async function startGrpcServerProcess(): Promise<PeerServer> {
  const command = pinned([process.execPath, PEER_SERVER_ENTRY, 'grpc']);
  return asked(await startLineChild(command, { name: 'grpc-js server' }));
}

export async function startMoleculerServerProcess(ports: MoleculerPorts): Promise<PeerServer> {
  const command = pinned([
    process.execPath,
    PEER_SERVER_ENTRY,
    'moleculer',
    String(ports.server),
    String(ports.client),
  ]);
  return asked(await startLineChild(command, { name: 'Moleculer server' }));
}

/** Go's benchserver at `binary`, run with `GOMAXPROCS=gomaxprocs`. */
export async function startGoServer(binary: string, gomaxprocs: number): Promise<PeerServer> {
  const command = pinned(['env', `GOMAXPROCS=${gomaxprocs}`, binary, '-addr', '127.0.0.1:0']);
  return asked(await startLineChild(command, { name: `Go benchserver ${binary}` }));
}
