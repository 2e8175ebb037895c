/**
 * The loopback load run: TS Client → TS server, beside the raw TCP echo ceiling, in one run.
 *
 *   node dist/load/main.js [--duration ms] [--warmup ms] [--rounds n] [--concurrency 1,100]
 *                          [--rows echo,say] [--baseline dir] [--json file]
 *
 * Each server runs in its own child process (one core for the server, one for the client).
 * Rows: the ceiling (length-prefixed raw echo of the 581-byte benchmark message), rpcx echo
 * (the same bytes as a raw-codec payload), and rpcx Say (protobuf: decode, set field1 = "OK",
 * encode — what rpcx-benchmark measures). The rows are measured in interleaved slices and their
 * ratios are against the ceiling at the same concurrency; `client µs` / `server µs` are the CPU
 * time each process spent per request, which varies less than throughput on a noisy machine.
 *
 * `--baseline dir` adds, beside each rpcx row, the same row with another built checkout's Client
 * and server (`[baseline]`), and prints new ÷ baseline for each pair: before and after a change,
 * measured in the same interleaved slices.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchmarkMessage, createBenchmarkMessage } from '../bench-message.js';
import { loadBaseline } from './baseline.js';
import { type InterleavePlan, type Load, measureInterleaved } from './interleave.js';
import { printBaselineRatios, printTable } from './load-table.js';
import { RawEchoClient, rawFrame } from './raw-echo.js';
import { CEILING_ROW, type Row, toRows } from './rows.js';
import { RPCX_ROWS, type RpcxRow, rpcxLoads, type Workload } from './rpcx-loads.js';
import { ourSide, type RpcxSide } from './rpcx-side.js';
import { startServerProcess } from './server-child.js';

const port = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

/** A path given on the command line, relative to where `pnpm` was run (it runs us in apps/bench). */
const fromInvocationDir = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '6000' },
      // A fresh process needs a few seconds to reach its steady speed (JIT, V8 growing its young
      // generation, socket buffers): measure after that, for the ceiling and rpcx alike.
      warmup: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '6' },
      concurrency: { type: 'string', default: '1,100' },
      rows: { type: 'string', default: RPCX_ROWS.join(',') },
      baseline: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const plan = {
    durationMs: Number(values.duration),
    warmupMs: Number(values.warmup),
    rounds: Math.max(1, Number(values.rounds)),
  };
  const levels = values.concurrency.split(',').map(Number);
  const selected = values.rows.split(',') as RpcxRow[];
  const unknown = selected.filter((row) => !RPCX_ROWS.includes(row));
  if (unknown.length > 0) throw new Error(`--rows: no row ${unknown} (rows: ${RPCX_ROWS})`);
  const baseline = values.baseline
    ? await loadBaseline(fromInvocationDir(values.baseline))
    : undefined;
  const message = createBenchmarkMessage();
  const work: Workload = { message, payload: BenchmarkMessage.encode(message).finish() };

  console.log(
    `Node ${process.versions.node}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}`,
  );
  console.log(
    `load: ${plan.durationMs} ms per row in ${plan.rounds} interleaved slices, after ` +
      `${plan.warmupMs} ms warm-up; payload ${work.payload.length} B`,
  );
  if (baseline) {
    console.log(
      `baseline: ${baseline.dir}${baseline.commit ? ` at ${baseline.commit.slice(0, 12)}` : ''}` +
        ' (its Client and server: the rows marked [baseline])',
    );
  }

  const sides = baseline ? [ourSide, baseline] : [ourSide];
  const rows: Row[] = [];
  for (const concurrency of levels) {
    const measured = await measureLevel(sides, selected, work, { ...plan, concurrency });
    const level = toRows(measured, concurrency);
    rows.push(...level);
    printTable(level);
    printBaselineRatios(level);
  }
  if (values.json) {
    writeFileSync(fromInvocationDir(values.json), `${JSON.stringify(rows, null, 2)}\n`);
  }
}

/**
 * Starts the servers and connects the clients of one concurrency level, then measures the ceiling
 * and, for each selected row, every side's variant of it next to each other.
 */
async function measureLevel(
  sides: RpcxSide[],
  selected: RpcxRow[],
  work: Workload,
  plan: InterleavePlan,
) {
  // Undone in reverse: clients close before their servers stop.
  const cleanups: Array<() => unknown> = [];
  try {
    const raw = await startServerProcess('raw');
    cleanups.push(raw.stop);
    const rawClient = await RawEchoClient.connect(port(raw.address));
    cleanups.push(() => rawClient.close());
    const frame = rawFrame(work.payload);
    const ceiling: Load = {
      name: CEILING_ROW,
      serverCpu: raw.cpu,
      call: () => rawClient.call(frame),
    };
    const sideLoads: Array<Record<RpcxRow, Load>> = [];
    for (const side of sides) {
      const server = await startServerProcess('rpcx', side.serverEntry);
      cleanups.push(server.stop);
      const client = new side.Client({
        address: server.address,
        codecs: [side.createProtobufCodec()],
      });
      cleanups.push(() => client.close());
      await client.connect();
      sideLoads.push(rpcxLoads(client, server.cpu, work, side.suffix));
    }
    const loads = [ceiling, ...selected.flatMap((row) => sideLoads.map((loads) => loads[row]))];
    return await measureInterleaved(loads, plan);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
