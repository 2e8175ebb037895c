/**
 * The peers run: rpcx for TypeScript beside grpc-js, Moleculer and Go rpcx, with real payloads,
 * every row in the same interleaved run, on loopback.
 *
 *   node dist/peers/main.js [--duration ms] [--warmup ms] [--rounds n]
 *                           [--concurrency 1,100,1000] [--rows rpcx,peers,go]
 *                           [--gomaxprocs n] [--json file]
 *
 * Rows (peer-rows.ts): rpcx TS → TS with JSON, MsgPack and Protobuf payloads of the benchmark
 * message and the codec-free echo (the transport ceiling); grpc-js unary Protobuf; Moleculer TCP
 * JSON; Go rpcx client → Go server, Go client → TS server and TS client → Go server with each
 * codec. Every row warms up, then the rows take turns in slices (load/interleave.ts), so a slow
 * spell of the machine hits them all alike. Each is divided by the rpcx TS → TS row of its codec.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { MOLECULER_VERSION } from 'moleculer';
import { measureInterleaved } from '../load/interleave.js';
import { fromInvocationDir, PLAN_OPTIONS, planFrom } from '../load/run-options.js';
import { findGoPrograms, type GoPrograms } from './go-programs.js';
import { startPeerLoads } from './peer-loads.js';
import { type PeerRow, type PeerRowSpec, ROW_GROUPS, selectRows, toPeerRows } from './peer-rows.js';
import { formatPeerTable, formatTargets } from './peer-table.js';
import { checkTargets } from './peer-targets.js';

const USAGE = `usage: node dist/peers/main.js [options]

options:
  --duration <ms>        measured time per row, in --rounds slices (default 6000)
  --warmup <ms>          load per row before the slices, not measured (default 3000)
  --rounds <n>           slices per row (default 6)
  --concurrency <list>   calls in flight, one table each (default 1,100,1000)
  --rows <list>          row ids or groups: ${Object.keys(ROW_GROUPS).join(', ')}, or a kind
                         (ts-ts, go-go, go-ts, ts-go, grpc, moleculer); default all. The rpcx
                         TS row each is divided by is always added.
  --gomaxprocs <n>       GOMAXPROCS of every Go process (default 1)
  --json <file>          also write everything measured
  --help                 show this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...PLAN_OPTIONS,
      concurrency: { type: 'string', default: '1,100,1000' },
      rows: { type: 'string', default: Object.keys(ROW_GROUPS).join(',') },
      gomaxprocs: { type: 'string', default: '1' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const plan = planFrom(values);
  const levels = values.concurrency.split(',').map(Number);
  const gomaxprocs = Number(values.gomaxprocs);
  let specs = selectRows(values.rows.split(','));
  const skipped: Array<{ rows: string[]; why: string }> = [];
  let go: GoPrograms | undefined;
  if (specs.some((spec) => spec.kind.includes('go'))) {
    try {
      go = await findGoPrograms();
    } catch (error) {
      const isGo = (spec: PeerRowSpec) => spec.kind.includes('go');
      skipped.push({ rows: specs.filter(isGo).map((spec) => spec.id), why: String(error) });
      specs = specs.filter((spec) => !isGo(spec));
    }
  }
  const versions = {
    node: process.versions.node,
    grpcJs: packageVersion('@grpc/grpc-js'),
    moleculer: MOLECULER_VERSION,
    goRpcx: go?.version,
  };
  const environment = {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    gomaxprocs: go ? gomaxprocs : undefined,
  };

  console.log(`Node ${versions.node}, ${environment.cpu} × ${environment.cores}`);
  console.log(
    `grpc-js ${versions.grpcJs}, Moleculer ${versions.moleculer}` +
      (go ? `, Go rpcx: ${go.version}, GOMAXPROCS=${gomaxprocs} per Go process` : ''),
  );
  console.log(
    `peers: ${plan.durationMs} ms per row in ${plan.rounds} interleaved slices, after ` +
      `${plan.warmupMs} ms warm-up; closed loop on 127.0.0.1; ${specs.length} rows`,
  );
  for (const skip of skipped) console.log(`left out: ${skip.rows.join(', ')} — ${skip.why}`);

  const rows: PeerRow[] = [];
  for (const concurrency of levels) {
    const level = await startPeerLoads(specs, { concurrency, go, gomaxprocs });
    try {
      if (level.goClientGomaxprocs.some((n) => n !== gomaxprocs)) {
        throw new Error(`a Go client runs with GOMAXPROCS ${level.goClientGomaxprocs}`);
      }
      const measured = await measureInterleaved(level.loads, { ...plan, concurrency });
      const levelRows = toPeerRows(specs, measured, concurrency);
      rows.push(...levelRows);
      console.log(`\n${formatPeerTable(levelRows).join('\n')}`);
    } finally {
      await level.close();
    }
  }
  console.log(
    '\nclient/server µs: CPU time per request of each process; client/server MB: RSS after the ' +
      "row's last slice (every TS client, grpc-js's and Moleculer's shares the bench process; " +
      'a Go client row is its own process). ÷ rpcx TS: req/s ÷ the rpcx TS→TS row of the same ' +
      'codec (grpc-js ÷ Protobuf, Moleculer ÷ JSON); rpcx TS ÷: the inverse.',
  );
  const targets = checkTargets(rows);
  const targetLines = formatTargets(targets);
  if (targetLines.length > 0) console.log(`\n${targetLines.join('\n')}`);

  if (values.json) {
    const report = { environment, versions, options: plan, levels, skipped, rows, targets };
    writeFileSync(fromInvocationDir(values.json), `${JSON.stringify(report, null, 2)}\n`);
  }
}

/** The installed version of a package whose exports hide its package.json. */
function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    try {
      const manifest = require(join(dir, 'package.json')) as { name?: string; version: string };
      if (manifest.name === name) return manifest.version;
    } catch {
      // not here: one directory up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
