/**
 * The loopback load run: TS Client → TS server, beside the raw TCP echo ceiling, in one run.
 *
 *   node dist/load/main.js [--duration ms] [--warmup ms] [--rounds n] [--concurrency 1,100]
 *                          [--json file]
 *
 * Each server runs in its own child process (one core for the server, one for the client).
 * Rows: the ceiling (length-prefixed raw echo of the 581-byte benchmark message), rpcx echo
 * (the same bytes as a raw-codec payload), and rpcx Say (protobuf: decode, set field1 = "OK",
 * encode — what rpcx-benchmark measures). The rows are measured in interleaved slices and their
 * ratios are against the ceiling at the same concurrency; `client µs` / `server µs` are the CPU time each process spent per request, which varies less
 * than throughput on a noisy machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@rpcx/client';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { SerializeType } from '@rpcx/core';
import { BenchmarkMessage, createBenchmarkMessage } from '../bench-message.js';
import { LoadRecorder, type LoadResult, measureSlice, warmUp } from './load-generator.js';
import { RawEchoClient, rawFrame } from './raw-echo.js';
import type { ServerKind } from './servers.js';

interface Row extends LoadResult {
  name: string;
  concurrency: number;
  ratio: number;
}

/** A running server process: its address, and its CPU time so far (µs). */
interface ServerProcess {
  address: string;
  cpu(): Promise<number>;
}

async function withServer<T>(
  kind: ServerKind,
  use: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const entry = fileURLToPath(new URL('./server-process.js', import.meta.url));
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
    exited = new Error(`${kind} server exited with ${code}`);
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
    if (!listening) throw new Error(`${kind} server did not say where it listens`);
    const cpu = async () => {
      child.stdin!.write('cpu\n');
      return Number(/^CPU (\d+)$/.exec(await nextLine())?.[1]);
    };
    return await use({ address: listening[1]!, cpu });
  } finally {
    await stop(child);
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
}

const port = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '6000' },
      // A fresh process needs a few seconds to reach its steady speed (JIT, V8 growing its young
      // generation, socket buffers): measure after that, for the ceiling and rpcx alike.
      warmup: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '6' },
      concurrency: { type: 'string', default: '1,100' },
      json: { type: 'string' },
    },
  });
  const durationMs = Number(values.duration);
  const warmupMs = Number(values.warmup);
  const rounds = Math.max(1, Number(values.rounds));
  const levels = values.concurrency.split(',').map(Number);
  const message = createBenchmarkMessage();
  const payload = BenchmarkMessage.encode(message).finish();

  console.log(
    `Node ${process.versions.node}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}`,
  );
  console.log(
    `load: ${durationMs} ms per row in ${rounds} interleaved slices, after ${warmupMs} ms ` +
      `warm-up; payload ${payload.length} B`,
  );

  const rows: Row[] = [];
  for (const concurrency of levels) {
    const measured = await withServer('raw', (raw) =>
      withServer('rpcx', async (rpcx) => {
        const rawClient = await RawEchoClient.connect(port(raw.address));
        const client = new Client({ address: rpcx.address, codecs: [createProtobufCodec()] });
        try {
          await client.connect();
          const frame = rawFrame(payload);
          const loads: Load[] = [
            {
              name: 'raw TCP echo (ceiling)',
              serverCpu: raw.cpu,
              call: () => rawClient.call(frame),
            },
            {
              name: 'rpcx echo (raw payload)',
              serverCpu: rpcx.cpu,
              call: () =>
                client.call('Hello', 'Echo', payload, { serializeType: SerializeType.None }),
            },
            {
              name: 'rpcx Say (protobuf)',
              serverCpu: rpcx.cpu,
              call: async () => {
                const reply = await client.call<{ field1: string }>('Hello', 'Say', message, {
                  serializeType: SerializeType.ProtoBuffer,
                  replyType: BenchmarkMessage,
                });
                if (reply.field1 !== 'OK') throw new Error('bad reply');
              },
            },
          ];
          return await measureInterleaved(loads, { concurrency, durationMs, warmupMs, rounds });
        } finally {
          rawClient.close();
          await client.close();
        }
      }),
    );
    const ceiling = measured[0]!.requestsPerSecond;
    for (const row of measured) {
      rows.push({ ...row, concurrency, ratio: row.requestsPerSecond / ceiling });
    }
    printTable(rows.filter((row) => row.concurrency === concurrency));
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
}

/** One row of the table: what to call and which server answers. */
interface Load {
  name: string;
  call: () => Promise<unknown>;
  serverCpu: () => Promise<number>;
}

/**
 * Warms every load up, then measures them in turn, a slice each per round: the rows share the
 * machine's good and bad moments, which is what makes their ratio meaningful here.
 */
async function measureInterleaved(
  loads: Load[],
  plan: { concurrency: number; durationMs: number; warmupMs: number; rounds: number },
): Promise<Array<LoadResult & { name: string }>> {
  const { concurrency, rounds } = plan;
  for (const load of loads) {
    await warmUp({ concurrency, durationMs: plan.warmupMs, call: load.call });
  }
  const recorders = loads.map(() => new LoadRecorder());
  const sliceMs = plan.durationMs / rounds;
  for (let round = 0; round < rounds; round++) {
    for (const [i, load] of loads.entries()) {
      const slice = {
        concurrency,
        durationMs: sliceMs,
        call: load.call,
        serverCpu: load.serverCpu,
      };
      await measureSlice(slice, recorders[i]!);
    }
  }
  return loads.map((load, i) => ({ name: load.name, ...recorders[i]!.result() }));
}

function printTable(rows: Row[]): void {
  console.log(`\nconcurrency ${rows[0]?.concurrency}`);
  console.log(
    `${'row'.padEnd(26)}${'req/s'.padStart(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}${'× ceiling'.padStart(11)}` +
      `${'client µs'.padStart(11)}${'server µs'.padStart(11)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(26)}${Math.round(row.requestsPerSecond).toLocaleString('en-US').padStart(12)}` +
        `${row.p50Ms.toFixed(3).padStart(10)}${row.p99Ms.toFixed(3).padStart(10)}${String(row.errors).padStart(8)}` +
        `${row.ratio.toFixed(2).padStart(11)}${row.clientCpuUs.toFixed(2).padStart(11)}` +
        `${row.serverCpuUs.toFixed(2).padStart(11)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
