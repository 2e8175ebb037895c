/**
 * The loopback load run: TS Client → TS server, beside the raw TCP echo ceiling, in one run.
 *
 *   node dist/load/main.js [--duration ms] [--warmup ms] [--rounds n] [--concurrency 1,100]
 *                          [--rows echo,say,xclient] [--xclient-call say|echo]
 *                          [--ops-rows metrics+access-log,...]
 *                          [--baseline dir] [--json file]
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
 *
 * The `xclient` rows (governance-loads.ts) make the Say call (or, with `--xclient-call echo`, the
 * echo call) through XClients (RoundRobin, Failover): two over three more server processes (one
 * with an explicit breaker and a counting plugin), beside three plain Clients to the same servers
 * picked in turn; and one over the server of our one-server row of that call. The run prints each
 * XClient row ÷ its plain Client row. They have no baseline twins.
 *
 * The `ops` rows (ops-loads.ts, not run by default: `--rows say,ops`) make the Say call with
 * tracing, the access log and metrics on, each ÷ the plain Say row; with `--baseline`, each
 * beside its baseline twin too.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BenchmarkMessage, createBenchmarkMessage } from '../bench-message.js';
import { loadBaseline } from './baseline.js';
import {
  GOVERNANCE_ROWS,
  type GovernanceRows,
  startGovernanceRows,
  xclientReferences,
} from './governance-loads.js';
import { type InterleavePlan, type Load, measureInterleaved } from './interleave.js';
import { printBaselineRatios, printClientRatios, printTable } from './load-table.js';
import {
  OPS_ROWS,
  type OpsRow,
  type OpsRows,
  opsRowsFrom,
  printOpsRatios,
  startOpsRows,
} from './ops-loads.js';
import { RawEchoClient, rawFrame } from './raw-echo.js';
import { CEILING_ROW, type Row, toRows } from './rows.js';
import { RPCX_ROWS, type RpcxRow, rpcxLoads, type Workload } from './rpcx-loads.js';
import { ourSide, type RpcxSide } from './rpcx-side.js';
import { fromInvocationDir, PLAN_OPTIONS, planFrom } from './run-options.js';
import { type ServerProcess, startServerProcess } from './server-child.js';

const port = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...PLAN_OPTIONS,
      concurrency: { type: 'string', default: '1,100' },
      rows: { type: 'string', default: [...RPCX_ROWS, GOVERNANCE_ROWS].join(',') },
      // What the governance rows call: 'say' (protobuf) or 'echo' (raw payload).
      'xclient-call': { type: 'string', default: 'say' },
      // Which ops rows, by their features joined with '+' (`metrics+access-log`); default all.
      'ops-rows': { type: 'string' },
      baseline: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const plan = planFrom(values);
  const levels = values.concurrency.split(',').map(Number);
  const names = values.rows.split(',');
  const known: readonly string[] = [...RPCX_ROWS, GOVERNANCE_ROWS, OPS_ROWS];
  const unknown = names.filter((row) => !known.includes(row));
  if (unknown.length > 0) throw new Error(`--rows: no row ${unknown} (rows: ${known})`);
  const selected = names.filter((row): row is RpcxRow =>
    (RPCX_ROWS as readonly string[]).includes(row),
  );
  const governance = names.includes(GOVERNANCE_ROWS);
  const xclientCall = values['xclient-call'] as RpcxRow;
  if (!RPCX_ROWS.includes(xclientCall)) {
    throw new Error(`--xclient-call: ${xclientCall}? (one of ${RPCX_ROWS})`);
  }
  const references = xclientReferences(xclientCall);
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
  if (names.includes(GOVERNANCE_ROWS)) {
    console.log(
      `xclient rows: ${xclientCall === 'say' ? 'Say (protobuf)' : 'echo (raw payload)'} ` +
        'through XClients, each ÷ a plain Client row with the same servers',
    );
  }
  if (baseline) {
    console.log(
      `baseline: ${baseline.dir}${baseline.commit ? ` at ${baseline.commit.slice(0, 12)}` : ''}` +
        ' (its Client and server: the rows marked [baseline])',
    );
  }

  const sides = baseline ? [ourSide, baseline] : [ourSide];
  const rows: Row[] = [];
  for (const concurrency of levels) {
    const { measured, plugin } = await measureLevel(
      sides,
      selected,
      governance ? xclientCall : undefined,
      work,
      { ...plan, concurrency },
      names.includes(OPS_ROWS) ? opsRowsFrom(values['ops-rows']) : undefined,
    );
    const level = toRows(measured, concurrency, references);
    rows.push(...level);
    printTable(level);
    printBaselineRatios(level);
    printClientRatios(level);
    printOpsRatios(level);
    if (plugin) {
      console.log(
        `(the counting plugin saw ${plugin.started} preCall, ${plugin.finished} postCall, ` +
          `${plugin.failed} failed)`,
      );
    }
  }
  if (values.json) {
    writeFileSync(fromInvocationDir(values.json), `${JSON.stringify(rows, null, 2)}\n`);
  }
}

/**
 * Starts the servers and connects the clients of one concurrency level, then measures the ceiling
 * and, for each selected row, every side's variant of it next to each other, then (with
 * `governance`) the Client ×3 and XClient rows — all interleaved.
 */
async function measureLevel(
  sides: RpcxSide[],
  selected: RpcxRow[],
  /** What the governance rows call; undefined: no governance rows. */
  governance: RpcxRow | undefined,
  work: Workload,
  plan: InterleavePlan,
  /** The ops rows to measure too (ops-loads.ts `opsRowsFrom`); undefined: none. */
  ops?: OpsRow[],
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
    let ourServer: ServerProcess | undefined;
    for (const side of sides) {
      const server = await startServerProcess('rpcx', side.serverEntry);
      cleanups.push(server.stop);
      if (side === ourSide) ourServer = server;
      const client = new side.Client({
        address: server.address,
        codecs: [side.createProtobufCodec()],
      });
      cleanups.push(() => client.close());
      await client.connect();
      sideLoads.push(rpcxLoads(client, server.cpu, work, side.suffix));
    }
    const loads = [ceiling, ...selected.flatMap((row) => sideLoads.map((loads) => loads[row]))];
    let governed: GovernanceRows | undefined;
    if (governance) {
      // XClient ×1 shares the server of our row of the same call, its reference.
      const single = selected.includes(governance) ? ourServer : undefined;
      governed = await startGovernanceRows(ourSide, work, governance, single);
      cleanups.push(governed.close);
      loads.push(...governed.loads);
    }
    if (ops) {
      const opsRows: OpsRows = await startOpsRows(work, sides, ops);
      cleanups.push(opsRows.close);
      loads.push(...opsRows.loads);
    }
    const measured = await measureInterleaved(loads, plan);
    return { measured, plugin: governed?.plugin };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
