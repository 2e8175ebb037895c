/**
 * A Go client row's load: conformance/go's benchclient in its own process, one rpcx Client (one
 * connection) and `concurrency` goroutines in a closed loop, driven slice by slice in the run's
 * interleaving order. Its latencies join the row's LatencyLog; its CPU time and RSS are the row's
 * client columns.
 */
import { startLineChild } from '../line-child.js';
import type { ExternalLoad } from '../load/load-generator.js';
import { DONE_LINE, parseSliceLine, READY_LINE, SLICE_LINE } from './go-client-lines.js';
import type { PeerCodec } from './peer-rows.js';

export interface GoClient extends ExternalLoad {
  /** GOMAXPROCS as the client reports it. */
  gomaxprocs: number;
  stop(): Promise<void>;
}

/** A slice's answer may take its own length plus this. */
const ANSWER_MARGIN_MS = 30_000;

export async function startGoClient(
  binary: string,
  /** The server's `tcp@127.0.0.1:<port>`. */
  address: string,
  codec: PeerCodec,
  concurrency: number,
  gomaxprocs: number,
): Promise<GoClient> {
  const command = [
    'env',
    `GOMAXPROCS=${gomaxprocs}`,
    binary,
    '-addr',
    address,
    '-codec',
    codec,
    '-method',
    codec === 'raw' ? 'Echo' : 'Say',
    '-concurrency',
    String(concurrency),
  ];
  const child = await startLineChild(command, {
    name: `Go benchclient (${codec}, concurrency ${concurrency})`,
    ready: READY_LINE,
  });
  return {
    gomaxprocs: Number(child.ready[1]),
    warmUp: async (durationMs) => {
      await child.ask(`warmup ${Math.round(durationMs)}`, DONE_LINE, durationMs + ANSWER_MARGIN_MS);
    },
    slice: async (durationMs) => {
      const line = `slice ${Math.round(durationMs)}`;
      return parseSliceLine((await child.ask(line, SLICE_LINE, durationMs + ANSWER_MARGIN_MS))[0]);
    },
    stop: () => child.stop(),
  };
}
