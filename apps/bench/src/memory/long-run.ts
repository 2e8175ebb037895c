/**
 * Memory over a long run: one Client → our server (a child process) making 5,000,000 calls, with
 * the heap and the resident set of both sampled as it goes.
 *
 *   node dist/memory/main.js long-run [--calls 5000000] [--concurrency 100] [--samples 50]
 *                                     [--warmup-calls 1000000] [--no-gc] [--max-seconds 1800]
 *                                     [--json file]
 *
 * The call is the load run's rpcx echo: `Hello.Echo` with the 581-byte BenchmarkMessage bytes as
 * a raw payload (serialize type 0), `concurrency` calls in flight. Every `calls ÷ samples` calls
 * each process is sampled: heapUsed after a full GC (the client's own `gc`, the server's `gc`
 * command; `--no-gc`: as it is) and RSS. A least-squares line through the samples taken after
 * `warmup-calls` gives each reading's slope in bytes per 1,000,000 calls: flat memory is a slope
 * near 0 (within its standard error). The slope of the second half of the run alone is shown
 * too: a leak keeps it, a one-time step (an allocator settling after the warm-up) does not. The
 * run stops by itself after `calls`, or `max-seconds`.
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '@rpcx/client';
import { BenchmarkMessage, createBenchmarkMessage } from '../bench-message.js';
import { rpcxLoads } from '../load/rpcx-loads.js';
import { startServerProcess } from '../load/server-child.js';
import { formatInteger } from '../report.js';
import { textTable } from '../text-table.js';
import { parseStatsLine, residentBytes, STATS_LINE } from './process-stats.js';
import { type LongRunReport, type MemorySample, SAMPLE_READINGS, trends } from './trends.js';

export const LONG_RUN_USAGE = `long-run [options]: one Client → our server, memory sampled over many calls
  --calls <n>          calls in all (default 5000000)
  --concurrency <n>    calls in flight (default 100)
  --samples <n>        samples after the first (default 50)
  --warmup-calls <n>   samples before this many calls are left out of the fit (default 1000000)
  --no-gc              sample heapUsed without a full GC first
  --max-seconds <s>    stop then even if the calls are not done (default 1800)`;

export const LONG_RUN_OPTIONS = {
  calls: { type: 'string', default: '5000000' },
  concurrency: { type: 'string', default: '100' },
  samples: { type: 'string', default: '50' },
  'warmup-calls': { type: 'string', default: '1000000' },
  'no-gc': { type: 'boolean', default: false },
  'max-seconds': { type: 'string', default: '1800' },
} as const;

/** This process's `gc`, exposed now if Node was not started with `--expose-gc`. */
function clientGc(): () => void {
  if (globalThis.gc) return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function runLongRun(args: string[]): Promise<LongRunReport> {
  const { values } = parseArgs({ args, options: LONG_RUN_OPTIONS, strict: true });
  const total = Number(values.calls);
  const concurrency = Number(values.concurrency);
  const every = Math.max(1, Math.floor(total / Number(values.samples)));
  const warmupCalls = Number(values['warmup-calls']);
  const forcedGc = !values['no-gc'];
  const deadline = performance.now() + Number(values['max-seconds']) * 1000;
  const gc = forcedGc ? clientGc() : () => {};
  const message = createBenchmarkMessage();
  const payload = BenchmarkMessage.encode(message).finish();

  console.log(
    `long run: ${formatInteger(total)} rpcx echo calls (${payload.length} B raw payload), ` +
      `concurrency ${concurrency}, one Client → our server (child process); a sample every ` +
      `${formatInteger(every)} calls${forcedGc ? ', heapUsed after a full GC' : ''}; ` +
      `the fit leaves out the samples before ${formatInteger(warmupCalls)} calls`,
  );
  const server = await startServerProcess('rpcx', undefined, {
    nodeFlags: forcedGc ? ['--expose-gc'] : [],
  });
  const client = new Client({ address: server.address });
  const samples: MemorySample[] = [];
  const started = performance.now();
  let issued = 0;
  let done = 0;
  let errors = 0;
  try {
    await client.connect();
    const echo = rpcxLoads(client, server.cpu, { message, payload }, '').echo;
    if (!('call' in echo)) throw new Error('the echo row has no call');
    const call = echo.call;
    const sample = async (calls: number) => {
      const seconds = (performance.now() - started) / 1000;
      gc();
      const own = process.memoryUsage();
      if (forcedGc) await server.child.ask('gc', /^GC done$/);
      const stats = parseStatsLine((await server.child.ask('stats', STATS_LINE))[0]);
      samples.push({
        calls,
        seconds,
        clientHeapUsed: own.heapUsed,
        clientRss: own.rss,
        serverHeapUsed: stats.heapUsedBytes ?? Number.NaN,
        serverRss: residentBytes(server.child.pid) ?? stats.rssBytes,
      });
    };
    await sample(0);
    // Samples are taken in order while the calls go on.
    let sampling = Promise.resolve();
    const worker = async () => {
      while (issued < total && performance.now() < deadline && errors < 1000) {
        issued++;
        try {
          await call();
        } catch {
          errors++;
        }
        done++;
        if (done % every === 0) {
          const calls = done;
          sampling = sampling.then(() => sample(calls));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await sampling;
    if (done % every !== 0) await sample(done);
  } finally {
    await client.close();
    await server.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const report: LongRunReport = {
    plan: {
      calls: total,
      concurrency,
      samples: samples.length,
      warmupCalls,
      forcedGc,
      payloadBytes: payload.length,
    },
    calls: done,
    errors,
    seconds,
    samples,
    trends: trends(samples, warmupCalls),
  };
  printLongRunTable(report);
  return report;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** A change in bytes: KiB below a MiB, MiB above, with its sign. */
const change = (bytes: number) => {
  const sign = bytes < 0 ? '−' : '+';
  const size = Math.abs(bytes);
  return size < 1024 * 1024 ? `${sign}${(size / 1024).toFixed(1)} KiB` : `${sign}${mib(size)}`;
};

export function printLongRunTable(report: LongRunReport): void {
  const rows = SAMPLE_READINGS.map(([process, reading, key]) => {
    const trend = report.trends[key];
    return [
      process,
      reading,
      mib(trend.first),
      mib(trend.last),
      mib(trend.max),
      change(trend.slopePerMillion),
      `±${change(trend.slopeErrorPerMillion).slice(1)}`,
      change(trend.lateSlopePerMillion),
    ];
  });
  const headers = [
    'process',
    'reading',
    'first',
    'last',
    'max',
    'slope / 1M calls',
    's.e.',
    '2nd half',
  ];
  console.log(
    [
      '',
      ...textTable(
        headers,
        rows,
        headers.map((_, i) => i > 1),
      ),
    ].join('\n'),
  );
  console.log(
    `\n${formatInteger(report.calls)} calls in ${report.seconds.toFixed(0)} s ` +
      `(${formatInteger(report.calls / report.seconds)} calls/s), ${report.errors} errors, ` +
      `${report.samples.length} samples`,
  );
  if (report.calls < report.plan.calls) {
    console.log(
      `stopped early: ${formatInteger(report.calls)} of ${formatInteger(report.plan.calls)} calls`,
    );
  }
}
