/**
 * The operations rows of the load run (`--rows say,ops`): the Say call of the `rpcx Say
 * (protobuf)` row, each row with its own server process and Client with operations features on
 * (ops-features.ts), printed ÷ that plain row measured in the same interleaved slices.
 *
 * - `+tracing`: both sides traced by an SDK, every span sampled and batched (exporter drops them);
 * - `+tracing 10%`: the same SDK sampling one trace in ten (parent-based trace id ratio);
 * - `+tracing 10% root`: the SDK's default sampler (parent-based, always on), the interceptors
 *   drawing one new trace in ten themselves (`rootSampleRatio: 0.1`);
 * - `+tracing (no SDK)`: the interceptors with the API's no-op tracer;
 * - `+access log`: one JSON line per call to /dev/null;
 * - `+metrics`: @rpcx/metrics on both sides (a registry of their own, never scraped);
 * - `+metrics +tracing +access log`: all three on (every span sampled, every call logged);
 * - `+metrics +tracing 10% +access log`: the same with one trace in ten sampled by the SDK, and
 *   `... 10% root ...` by the interceptors;
 * - `+metrics +access log` and `+metrics +tracing 0% root +access log`: what all-on costs
 *   without tracing, and with tracing that records nothing (every call's context drawn out,
 *   propagated in metadata and run in a context, no span) — the part an SDK's spans do not explain;
 * - `installed, off`: the tracing interceptors with no SDK registered and the access log with
 *   `sampleRatio: 0` (metrics have no off switch: a ServerMetrics counts what it sees).
 *
 * With `--baseline`, each row has a `[baseline]` twin with that build's server and client side
 * (when it has the row's features): before and after a change to an ops feature, in one run.
 */
import { SerializeType } from '@rpcx/client';
import { BenchmarkMessage } from '../bench-message.js';
import type { Load } from './interleave.js';
import { byRoundSpread } from './load-table.js';
import type { OpsFeature } from './ops-features.js';
import { pairRatios, type Row } from './rows.js';
import { SAY_ROW, type Workload } from './rpcx-loads.js';
import type { RpcxSide } from './rpcx-side.js';
import { startServerProcess } from './server-child.js';

/** `--rows` name of the group. */
export const OPS_ROWS = 'ops';

/** The row with every feature installed and switched off. */
const INSTALLED_OFF_ROW = `${SAY_ROW} installed, off`;
/** All on with tracing that records nothing: a floor, not a setting the target is for. */
const NOTHING_RECORDED_ROW = `${SAY_ROW} +metrics +tracing 0% root +access log`;

/** An ops row: its name and the features its server and client have on. */
export type OpsRow = readonly [name: string, features: readonly OpsFeature[]];

const ROWS: readonly OpsRow[] = [
  [`${SAY_ROW} +tracing`, ['tracing']],
  [`${SAY_ROW} +tracing 10%`, ['tracing-10%']],
  [`${SAY_ROW} +tracing 10% root`, ['tracing-root-10%']],
  [`${SAY_ROW} +tracing (no SDK)`, ['tracing-api']],
  [`${SAY_ROW} +access log`, ['access-log']],
  [`${SAY_ROW} +metrics`, ['metrics']],
  [`${SAY_ROW} +metrics +tracing +access log`, ['metrics', 'tracing', 'access-log']],
  [`${SAY_ROW} +metrics +tracing 10% +access log`, ['metrics', 'tracing-10%', 'access-log']],
  [
    `${SAY_ROW} +metrics +tracing 10% root +access log`,
    ['metrics', 'tracing-root-10%', 'access-log'],
  ],
  [`${SAY_ROW} +metrics +access log`, ['metrics', 'access-log']],
  [NOTHING_RECORDED_ROW, ['metrics', 'tracing-root-0%', 'access-log']],
  [INSTALLED_OFF_ROW, ['tracing-api', 'access-log-off']],
];

/**
 * The rows `--ops-rows` names by their features joined with '+' (`metrics+access-log`), in
 * the table's order; all of them when it names none.
 */
export function opsRowsFrom(text: string | undefined): OpsRow[] {
  if (text === undefined || text === '') return [...ROWS];
  const keys = text.split(',');
  const keyOf = ([, features]: OpsRow) => features.join('+');
  const unknown = keys.filter((key) => !ROWS.some((row) => keyOf(row) === key));
  if (unknown.length > 0) {
    throw new Error(`--ops-rows: no row ${unknown} (rows: ${ROWS.map(keyOf).join(', ')})`);
  }
  return ROWS.filter((row) => keys.includes(keyOf(row)));
}

/** The issue's targets: all of them on ≥ 0.85 × the plain row's req/s; installed, off ≥ 0.98. */
export const OPS_TARGET = 0.85;
export const INSTALLED_OFF_TARGET = 0.98;

export interface OpsRows {
  loads: Load[];
  close(): Promise<void>;
}

/**
 * Each row's server process and Client, for each side that has ops rows (ours, and a baseline
 * built with them): the baseline's twin follows each row, as `<row> [baseline]`.
 */
export async function startOpsRows(
  work: Workload,
  sides: readonly RpcxSide[],
  rows: readonly OpsRow[] = ROWS,
): Promise<OpsRows> {
  const cleanups: Array<() => unknown> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const loads: Load[] = [];
    for (const [name, features] of rows) {
      for (const side of sides) {
        const ops = side.ops;
        if (ops === undefined || !features.every((feature) => ops.features.includes(feature))) {
          continue;
        }
        const server = await startServerProcess('rpcx', side.serverEntry, { ops: features });
        cleanups.push(server.stop);
        const client = new side.Client({
          address: server.address,
          codecs: [side.createProtobufCodec()],
          interceptors: ops.clientInterceptors(features),
        });
        cleanups.push(() => client.close());
        await client.connect();
        const call = async () => {
          const reply = await client.call<{ field1: string }>('Hello', 'Say', work.message, {
            serializeType: SerializeType.ProtoBuffer,
            replyType: BenchmarkMessage,
          });
          if (reply.field1 !== 'OK') throw new Error('bad reply');
        };
        await call();
        loads.push({ name: name + side.suffix, serverCpu: server.cpu, call });
      }
    }
    return { loads, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Each ops row ÷ the plain Say row of the same run. */
export function printOpsRatios(rows: Row[]): void {
  const plain = rows.find((row) => row.name === SAY_ROW);
  const ops = rows.filter((row) => ROWS.some(([name]) => name === row.name));
  if (plain === undefined || ops.length === 0) return;
  const nameWidth = Math.max(26, ...ops.map((row) => row.name.length + 2));
  console.log(
    `\n${`÷ ${SAY_ROW}`.padEnd(nameWidth)}${'req/s'.padStart(8)}${'by round'.padStart(20)}` +
      `${'client µs'.padStart(11)}${'server µs'.padStart(11)}`,
  );
  for (const row of ops) {
    const ratios = pairRatios(row, plain);
    console.log(
      `${row.name.padEnd(nameWidth)}${ratios.requestsPerSecond.toFixed(3).padStart(8)}` +
        `${byRoundSpread(ratios.requestsPerSecondByRound).padStart(20)}` +
        `${ratios.clientCpuUs.toFixed(3).padStart(11)}${ratios.serverCpuUs.toFixed(3).padStart(11)}`,
    );
  }
  for (const row of ops) {
    const target = row.name === INSTALLED_OFF_ROW ? INSTALLED_OFF_TARGET : OPS_TARGET;
    const allOn = row.name.includes('+metrics +tracing') && row.name !== NOTHING_RECORDED_ROW;
    if (row.name !== INSTALLED_OFF_ROW && !allOn) continue;
    const ratio = row.requestsPerSecond / plain.requestsPerSecond;
    console.log(
      `(target ≥ ${target} × plain; ${row.name}: ${ratio.toFixed(2)}, ` +
        `${ratio >= target ? 'met' : 'NOT met'})`,
    );
  }
}
