/**
 * A server of the load run in its own child process (server-process.ts), so that client and
 * server get a core each. It is started from our build or from a baseline checkout's, asked for
 * its CPU time around each slice, and stopped by closing its stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './servers.js';

/** Our server entry: server-process.js next to this file. */
export const OUR_SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

/** A running server process: its address, its CPU time so far (µs), and a way to stop it. */
export interface ServerProcess {
  address: string;
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServerProcess(
  kind: ServerKind,
  entry = OUR_SERVER_ENTRY,
): Promise<ServerProcess> {
  // Optional pinning to one core (RPCX_BENCH_SERVER_CPU), for steadier comparisons.
  const pin = process.env.RPCX_BENCH_SERVER_CPU;
  const command = pin ? ['taskset', '-c', pin, process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), entry, kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let exited: Error | undefined;
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  child.once('exit', (code) => {
    exited = new Error(`${kind} server ${entry} exited with ${code}`);
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift();
      if (line !== undefined) return resolve(line);
      if (exited) return reject(exited);
      waiters.push({ resolve, reject });
    });
  try {
    const listening = /^LISTENING (\S+)$/.exec(await nextLine());
    if (!listening) throw new Error(`${kind} server ${entry} did not say where it listens`);
    const cpu = async () => {
      child.stdin!.write('cpu\n');
      return Number(/^CPU (\d+)$/.exec(await nextLine())?.[1]);
    };
    return { address: listening[1]!, cpu, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
}
