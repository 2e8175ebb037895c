/**
 * Where a server spends its CPU: a workload through a real server (the load run's rpcx server,
 * or the peers run's grpc-js server, in a child process CPU-profiled through node:inspector for
 * the measured slice, see server-process.ts) and client on loopback, then the share of the
 * server's CPU samples by owner (package, Node, V8, GC), in each @rpcx/codecs function, and in the
 * codecs' exact-int64 work.
 *
 *   node dist/profile/main.js [--duration ms] [--warmup ms] [--concurrency n] [--inlining]
 *                             [--workloads json,protobuf] [--interval µs] [--keep dir]
 *
 * - json: `Hello.Echo` with serialize type 1 and the Go struct of the BenchmarkMessage (JSON
 *   decode of the request, JSON encode of the same object as the reply);
 * - protobuf: `Hello.Say` with the 581-byte BenchmarkMessage (decode, set field1 and field2,
 *   encode), what rpcx-benchmark measures;
 * - json-say, msgpack-say: `Hello.Say` with the Go struct, as the peers run's JSON and MsgPack
 *   rows call it;
 * - grpc: the peers run's grpc-js unary Say, its server profiled.
 *
 * The int64 functions are those of the codecs' int64 modules: `json-int64`, `protobuf/longs`
 * and `msgpack/int64`. Self time of a builtin (JSON.parse, a regular expression) is its caller's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@rpcx/client';
import { SerializeType } from '@rpcx/core';
import { BENCH_STRING, createGoBenchmarkStruct, type GoBenchmarkStruct } from '../bench-message.js';
import { LoadRecorder, type LoadResult, measureSlice, warmUp } from '../load/load-generator.js';
import { startServerProcess } from '../load/server-child.js';
import { connectGrpc } from '../peers/grpc-peer.js';
import { BENCH_PROTO } from '../peers/peer-servers.js';
import { connectRpcxClient, rpcxCall } from '../peers/rpcx-calls.js';
import { type CpuProfile, type FunctionSamples, ownerSamples, selfSamples } from './cpu-profile.js';
import type { ProfiledServer } from './server-process.js';

/** What a workload calls on the server it profiles; `close` ends the connection. */
interface Caller {
  call(): Promise<void>;
  close(): Promise<void> | void;
}

/** A connected rpcx Client making `call` with the argument the workload makes. */
async function rpcxCaller(
  address: string,
  call: (client: Client) => () => Promise<void>,
): Promise<Caller> {
  const client = await connectRpcxClient(address);
  return { call: call(client), close: () => client.close() };
}

const WORKLOADS: Record<
  string,
  { title: string; server: ProfiledServer; connect(address: string): Promise<Caller> }
> = {
  json: {
    title: 'JSON echo (Hello.Echo, serialize type 1, the Go struct)',
    server: 'rpcx',
    connect: (address) => {
      const struct = createGoBenchmarkStruct();
      return rpcxCaller(address, (client) => async () => {
        const reply = await client.call<GoBenchmarkStruct>('Hello', 'Echo', struct, {
          serializeType: SerializeType.JSON,
        });
        if (reply.Field1 !== BENCH_STRING) throw new Error('bad reply');
      });
    },
  },
  // The peers run's own calls (rpcx-calls.ts).
  protobuf: {
    title: 'Protobuf echo (Hello.Say, the 581 B BenchmarkMessage)',
    server: 'rpcx',
    connect: (address) => rpcxCaller(address, (client) => rpcxCall(client, 'protobuf')),
  },
  'json-say': {
    title: "JSON Say (Hello.Say, the Go struct: the peers run's JSON rows)",
    server: 'rpcx',
    connect: (address) => rpcxCaller(address, (client) => rpcxCall(client, 'json')),
  },
  'msgpack-say': {
    title: "MsgPack Say (Hello.Say, the Go struct: the peers run's MsgPack rows)",
    server: 'rpcx',
    connect: (address) => rpcxCaller(address, (client) => rpcxCall(client, 'msgpack')),
  },
  grpc: {
    title: "grpc-js Say (unary, protobufjs: the peers run's grpc-js row; its server profiled)",
    server: 'grpc',
    connect: async (address) => {
      const caller = await connectGrpc(address.replace(/^tcp@/, ''), BENCH_PROTO);
      return { call: () => caller.say(), close: () => caller.close() };
    },
  },
};
/** The workloads run when none are named: the codec profile of the int64 target. */
const DEFAULT_WORKLOADS = ['json', 'protobuf'];
type Workload = keyof typeof WORKLOADS;

/** The functions of @rpcx/codecs, built or not. */
const CODECS_FILE = /\/codecs\/(?:dist\/(?:esm|cjs)|src)\/(.+)\.[jt]s$/;
/** The codecs' int64 modules, as CODECS_FILE names them. */
const INT64_MODULES = new Set(['json-int64', 'protobuf/longs', 'msgpack/int64']);
const TOP_FUNCTIONS = 12;
const PROFILE_SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

const USAGE = `usage: node dist/profile/main.js [options]

options:
  --duration <ms>     profiled load per workload, after the warm-up (default 5000)
  --warmup <ms>       load before it, not profiled (default 1000)
  --concurrency <n>   calls in flight (default 100)
  --workloads <list>  ${Object.keys(WORKLOADS).join(',')}
                      (default: ${DEFAULT_WORKLOADS.join(',')})
  --interval <µs>     sampling interval of the profiler (default 250)
  --inlining          keep V8's inlining on in the server (default off: the profiler charges
                      an inlined function to its caller, hiding the small int64 checks)
  --keep <dir>        keep the .cpuprofile files there (open them in Chrome DevTools)
  --help              show this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5000' },
      warmup: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '100' },
      workloads: { type: 'string', default: DEFAULT_WORKLOADS.join(',') },
      interval: { type: 'string', default: '250' },
      inlining: { type: 'boolean', default: false },
      keep: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const workloads = values.workloads.split(',') as Workload[];
  for (const name of workloads) {
    if (!(name in WORKLOADS)) throw new Error(`--workloads: no workload ${name}`);
  }
  const keep = values.keep === undefined ? undefined : resolve(values.keep);
  const options = {
    durationMs: Number(values.duration),
    warmupMs: Number(values.warmup),
    concurrency: Number(values.concurrency),
    intervalUs: Number(values.interval),
    inlining: values.inlining,
  };
  console.log(
    `Node ${process.version}; ${options.concurrency} calls in flight, ` +
      `${options.warmupMs} ms warm-up + ${options.durationMs} ms per workload, ` +
      `sampled every ${options.intervalUs} µs, ` +
      `server ${options.inlining ? 'with' : 'without'} V8's inlining`,
  );
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'rpcx-profile-'));
  try {
    mkdirSync(dir, { recursive: true });
    for (const workload of workloads) {
      const file = join(dir, `${workload}.cpuprofile`);
      const load = await profileServer(workload, file, options);
      report(workload, load, JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
      if (keep !== undefined) console.log(`\n   profile: ${file}`);
    }
  } finally {
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the workload against a profiled server, which writes the profile of the slice to `file`. */
async function profileServer(
  workload: Workload,
  file: string,
  options: {
    durationMs: number;
    warmupMs: number;
    concurrency: number;
    intervalUs: number;
    inlining: boolean;
  },
): Promise<LoadResult> {
  // Read by the server process (server-process.ts), which inherits the environment.
  process.env.RPCX_PROFILE_FILE = file;
  process.env.RPCX_PROFILE_INTERVAL_US = String(options.intervalUs);
  process.env.RPCX_PROFILE_INLINING = options.inlining ? '1' : '0';
  process.env.RPCX_PROFILE_SERVER = WORKLOADS[workload]!.server;
  const server = await startServerProcess('rpcx', PROFILE_SERVER_ENTRY);
  let caller: Caller | undefined;
  try {
    caller = await WORKLOADS[workload]!.connect(server.address);
    const call = caller.call;
    await warmUp({ concurrency: options.concurrency, durationMs: options.warmupMs, call });
    const recorder = new LoadRecorder();
    // The server profiles from the CPU query before the slice to the one after it.
    await measureSlice(
      {
        concurrency: options.concurrency,
        durationMs: options.durationMs,
        call,
        serverCpu: server.cpu,
      },
      recorder,
    );
    if (recorder.errors > 0) throw new Error(`${workload}: ${recorder.errors} calls failed`);
    return recorder.result();
  } finally {
    await caller?.close();
    await server.stop();
  }
}

function report(workload: Workload, load: LoadResult, profile: CpuProfile): void {
  const { total, functions } = selfSamples(profile);
  const share = (samples: number) => `${((100 * samples) / total).toFixed(2)} %`;
  const sum = (list: FunctionSamples[]) => list.reduce((samples, f) => samples + f.samples, 0);
  const codecs = functions.filter((f) => CODECS_FILE.test(f.url));
  console.log(`\n== ${WORKLOADS[workload]!.title}`);
  console.log(
    `   ${Math.round(load.requestsPerSecond).toLocaleString('en-US')} req/s, ` +
      `server ${load.serverCpuUs.toFixed(1)} µs CPU per call; ` +
      `${total.toLocaleString('en-US')} samples of the server at work (idle left out)`,
  );
  console.log(`   int64 functions: ${share(sum(codecs.filter(isInt64Function)))} of server CPU`);
  console.log(`   codec functions: ${share(sum(codecs))}`);
  console.log('\n   by owner (a builtin such as JSON.parse counts for the function calling it)');
  for (const { owner, samples } of ownerSamples(functions).slice(0, TOP_FUNCTIONS)) {
    console.log(`     ${owner.padEnd(34)} ${share(samples).padStart(8)}`);
  }
  if (codecs.length > 0) printFunctions('@rpcx/codecs functions (* int64)', codecs, share);
  printFunctions(`top ${TOP_FUNCTIONS} server functions`, functions.slice(0, TOP_FUNCTIONS), share);
}

function isInt64Function(f: FunctionSamples): boolean {
  return INT64_MODULES.has(CODECS_FILE.exec(f.url)?.[1] ?? '');
}

function printFunctions(
  title: string,
  functions: FunctionSamples[],
  share: (samples: number) => string,
): void {
  console.log(`\n   ${title}`);
  for (const f of functions) {
    const file =
      f.url === '' ? '' : `${CODECS_FILE.exec(f.url)?.[1] ?? f.url.replace(/^.*\//, '')}:${f.line}`;
    const mark = isInt64Function(f) ? '*' : ' ';
    console.log(
      `   ${mark} ${f.functionName.padEnd(32)} ${file.padEnd(36)} ${share(f.samples).padStart(8)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
