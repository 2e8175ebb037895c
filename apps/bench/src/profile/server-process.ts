/**
 * The profiled server: the load run's rpcx server (servers.ts) in a child process that speaks
 * server-child.ts's protocol (`LISTENING <address>`, `cpu` → `CPU <µs>`), with a CPU profiler
 * (node:inspector) around the measured load: the first `cpu` query, which comes just before the
 * slice, starts it; the second, just after, stops it and writes the profile to
 * `$RPCX_PROFILE_FILE` before answering. `$RPCX_PROFILE_SERVER=grpc` makes it the peers run's
 * grpc-js server instead. `$RPCX_PROFILE_INTERVAL_US` sets the sampling interval,
 * `$RPCX_PROFILE_INLINING=1` keeps V8's inlining on.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { startServer } from '../load/servers.js';
import { startGrpcServer } from '../peers/grpc-peer.js';
import { BENCH_PROTO } from '../peers/peer-servers.js';

// V8's profiler charges an inlined function's time to its caller, so small functions (the
// codecs' int64 checks) vanish into theirs. Off before any function is optimized, unless asked.
if (process.env.RPCX_PROFILE_INLINING !== '1') v8.setFlagsFromString('--no-turbo-inlining');

const file = process.env.RPCX_PROFILE_FILE;
if (!file) {
  console.error('server-process.js: set RPCX_PROFILE_FILE');
  process.exit(2);
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', {
  interval: Number(process.env.RPCX_PROFILE_INTERVAL_US ?? 250),
});

/** Which server the profile is of: ours, or grpc-js's (the peers run's). */
export type ProfiledServer = 'rpcx' | 'grpc';
const kind = (process.env.RPCX_PROFILE_SERVER ?? 'rpcx') as ProfiledServer;
const address =
  kind === 'grpc'
    ? `tcp@${(await startGrpcServer(BENCH_PROTO)).address}`
    : await startServer('rpcx');
console.log(`LISTENING ${address}`);
let queries = 0;
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (line.trim() !== 'cpu') return;
  queries++;
  if (queries === 1) await session.post('Profiler.start');
  if (queries === 2) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
  }
  const usage = process.cpuUsage();
  console.log(`CPU ${usage.user + usage.system}`);
});
lines.on('close', () => process.exit(0));
