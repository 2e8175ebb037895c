/**
 * A server of the load run in its own child process (server-process.ts), so that client and
 * server get a core each. It is started from our build or from a baseline checkout's, asked for
 * its CPU time around each slice, and stopped by closing its stdin.
 */
import { fileURLToPath } from 'node:url';
import { type LineChild, startLineChild } from '../line-child.js';
import type { ServerKind } from './servers.js';

/** Our server entry: server-process.js next to this file. */
export const OUR_SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

/** A running server process: its address, its CPU time so far (µs), and a way to stop it. */
export interface ServerProcess {
  address: string;
  cpu(): Promise<number>;
  stop(): Promise<void>;
  /** The process, for its other commands (server-process.ts: `stats`, `gc`). */
  child: LineChild;
}

export interface ServerProcessOptions {
  /** Node's own flags, before the entry (e.g. `--expose-gc`). */
  nodeFlags?: readonly string[];
  /** A command that runs the process for us (e.g. `prlimit --nofile=…:… --`), prepended. */
  launcher?: readonly string[];
  /** Our entry only: the operations features the server runs with (ops-features.ts). */
  ops?: readonly string[];
}

export async function startServerProcess(
  kind: ServerKind,
  entry = OUR_SERVER_ENTRY,
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  // Optional pinning to one core (RPCX_BENCH_SERVER_CPU), for steadier comparisons.
  const pin = process.env.RPCX_BENCH_SERVER_CPU;
  const command = [
    ...(options.launcher ?? []),
    ...(pin ? ['taskset', '-c', pin] : []),
    process.execPath,
    ...(options.nodeFlags ?? []),
    entry,
    kind,
    ...(options.ops?.length ? [options.ops.join(',')] : []),
  ];
  const child = await startLineChild(command, { name: `${kind} server ${entry}` });
  const cpu = async () => Number((await child.ask('cpu', /^CPU (\d+)$/))[1]);
  return { address: child.ready[1]!, cpu, stop: () => child.stop(), child };
}
