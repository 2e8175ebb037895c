/**
 * Idle connections held by one server: our server against Go rpcx v1.9.4's, in the same run.
 *
 *   node dist/memory/main.js idle [--connections 10000] [--idle ms] [--warmup n] [--sources n]
 *                                 [--servers go,ts,ts-gc] [--rounds n] [--go-server path]
 *                                 [--json file]
 *
 * Each server runs in its own child process; a connector process (connector-process.ts) opens
 * the connections, each with one heartbeat round trip (idle-sockets.ts), and holds them idle.
 * For each server: `warmup` connections open and close first (code and pools that do not grow
 * with connections are made then), then the server's resident set is read (before), the
 * connections open, sit idle for `idle` ms, and it is read again (idle); per connection is
 * (idle − before) ÷ connections. Then they close and it is read once more (after close).
 *
 * `ts` is our server exactly as users run it; `ts-gc` is the same started with `--expose-gc` and
 * sent `gc` before each reading (a full GC: the memory the connections keep, no garbage). Go's
 * benchserver has no `gc` command, so `go` is never forced, like `ts`: the target compares
 * `ts` with `go`.
 */
import { parseArgs } from 'node:util';
import { formatInteger } from '../report.js';
import { textTable } from '../text-table.js';
import { Connector } from './connector.js';
import { median } from './fit.js';
import { loopbackSources } from './idle-sockets.js';
import type { ServerStats } from './process-stats.js';
import {
  GO_LABEL,
  goBenchServer,
  type ServerUnderTest,
  startGoServer,
  startOurServer,
  TS_LABEL,
} from './servers-under-test.js';

export const IDLE_VARIANTS = ['go', 'ts', 'ts-gc'] as const;
export type IdleVariant = (typeof IDLE_VARIANTS)[number];

export interface IdlePlan {
  connections: number;
  idleMs: number;
  warmup: number;
  sources: string[];
  /** One heartbeat round trip per connection (default); false: connect only (`--bare`). */
  heartbeat: boolean;
  /** Pause after the warm-up and after the close, before reading (ms). */
  settleMs: number;
}

export interface IdleMeasurement {
  variant: IdleVariant;
  server: string;
  forcedGc: boolean;
  opened: number;
  openMs: number;
  before: ServerStats;
  idle: ServerStats;
  afterClose: ServerStats;
  /** (idle − before) RSS ÷ connections. */
  rssPerConnection: number;
  /** The same for Node's heapUsed (ours only). */
  heapPerConnection?: number;
}

/** Opens, holds and closes `plan.connections` on one server; readings as the header says. */
export async function measureIdle(
  server: ServerUnderTest,
  variant: IdleVariant,
  connector: Connector,
  plan: IdlePlan,
): Promise<IdleMeasurement> {
  if (plan.warmup > 0) {
    await openAll(connector, server, plan.warmup, plan);
    await closeAll(connector, server);
  }
  await sleep(plan.settleMs);
  const before = await server.stats();
  const opened = await openAll(connector, server, plan.connections, plan);
  await sleep(plan.idleMs);
  const idle = await server.stats();
  const held = await connector.count();
  if (held.open !== plan.connections) {
    throw new Error(`${server.label} closed ${held.closedByPeer} of the idle connections`);
  }
  if (idle.connections !== undefined && idle.connections !== plan.connections) {
    throw new Error(
      `${server.label} counts ${idle.connections} connections, not ${plan.connections}`,
    );
  }
  await closeAll(connector, server);
  await sleep(plan.settleMs);
  const afterClose = await server.stats();
  const per = (field: 'rssBytes' | 'heapUsedBytes') =>
    idle[field] === undefined || before[field] === undefined
      ? undefined
      : (idle[field] - before[field]) / plan.connections;
  return {
    variant,
    server: server.label,
    forcedGc: server.forcedGc,
    opened: plan.connections,
    openMs: opened.ms,
    before,
    idle,
    afterClose,
    rssPerConnection: per('rssBytes')!,
    heapPerConnection: per('heapUsedBytes'),
  };
}

async function openAll(
  connector: Connector,
  server: ServerUnderTest,
  count: number,
  plan: IdlePlan,
) {
  const { sources, heartbeat } = plan;
  const result = await connector.open(server.address, count, { sources, heartbeat });
  if (result.failed > 0) {
    throw new Error(
      `${server.label}: ${result.failed} of ${count} connections failed (${result.firstError})`,
    );
  }
  return result;
}

/** Closes the connector's connections; waits (10 s at most) until a counting server has none. */
async function closeAll(connector: Connector, server: ServerUnderTest): Promise<void> {
  await connector.close();
  const deadline = performance.now() + 10_000;
  for (;;) {
    const left = (await server.stats()).connections;
    if (left === undefined || left === 0) return;
    if (performance.now() > deadline)
      throw new Error(`${server.label} still has ${left} connections`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The run

export interface IdleReport {
  plan: Omit<IdlePlan, 'sources'> & { sources: number; rounds: number };
  /** One list per round, in the order measured. */
  rounds: IdleMeasurement[][];
  /** Median RSS per connection over the rounds, by variant. */
  rssPerConnection: Partial<Record<IdleVariant, number>>;
  /** ts ÷ go of the medians, when both ran. */
  ratio?: number;
  /** The issue's target: ours ≤ Go's per connection. */
  targetMet?: boolean;
}

export const IDLE_USAGE = `idle [options]: idle connections held by one server, ours and Go's
  --connections <n>   idle connections per server (default 10000)
  --idle <ms>         how long they sit idle before the reading (default 5000)
  --warmup <n>        connections opened and closed before the first reading (default 200)
  --sources <n>       spread connections over 127.0.0.2 .. (n of them; default 0: 127.0.0.1)
  --servers <list>    of ${IDLE_VARIANTS.join(',')} (default all)
  --rounds <n>        measure every server n times, order reversed every other round (default 1)
  --bare              connect only, no heartbeat (the server never writes)
  --go-server <path>  Go's benchserver (default: conformance/build.sh's)`;

export const IDLE_OPTIONS = {
  connections: { type: 'string', default: '10000' },
  idle: { type: 'string', default: '5000' },
  warmup: { type: 'string', default: '200' },
  sources: { type: 'string', default: '0' },
  servers: { type: 'string', default: IDLE_VARIANTS.join(',') },
  rounds: { type: 'string', default: '1' },
  'go-server': { type: 'string' },
  bare: { type: 'boolean', default: false },
} as const;

export async function runIdleConnections(args: string[]): Promise<IdleReport> {
  const { values } = parseArgs({ args, options: IDLE_OPTIONS, strict: true });
  const variants = values.servers.split(',') as IdleVariant[];
  const unknown = variants.filter((variant) => !IDLE_VARIANTS.includes(variant));
  if (unknown.length > 0) throw new Error(`--servers: no ${unknown} (${IDLE_VARIANTS})`);
  const plan: IdlePlan = {
    connections: Number(values.connections),
    idleMs: Number(values.idle),
    warmup: Number(values.warmup),
    sources: loopbackSources(Number(values.sources)),
    heartbeat: !values.bare,
    settleMs: 1_000,
  };
  const roundCount = Math.max(1, Number(values.rounds));
  const goBinary = variants.includes('go') ? await goBenchServer(values['go-server']) : undefined;
  // A server holds the connections, its listener and a few files of its own.
  const files = plan.connections + plan.warmup + 1_000;
  console.log(
    `idle connections: ${formatInteger(plan.connections)} per server, each ` +
      `${plan.heartbeat ? 'after one heartbeat round trip' : 'connected only (--bare)'}; read ${plan.idleMs} ms after the last one opened, ${plan.warmup} opened and ` +
      `closed first; source addresses: ${plan.sources.length > 0 ? plan.sources.join(' ') : '127.0.0.1'}`,
  );
  const connector = await Connector.start(files);
  const rounds: IdleMeasurement[][] = [];
  try {
    for (let round = 0; round < roundCount; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      const measured: IdleMeasurement[] = [];
      for (const variant of order) {
        const server =
          variant === 'go'
            ? await startGoServer(goBinary!, files)
            : await startOurServer(files, variant === 'ts-gc');
        try {
          measured.push(await measureIdle(server, variant, connector, plan));
        } finally {
          await server.stop();
        }
      }
      rounds.push(measured);
      if (roundCount > 1) console.log(`\nround ${round + 1}`);
      printIdleTable(measured);
    }
  } finally {
    await connector.close().catch(() => undefined);
    await connector.stop();
  }
  const rssPerConnection: IdleReport['rssPerConnection'] = {};
  for (const variant of variants) {
    rssPerConnection[variant] = median(
      rounds
        .flat()
        .filter((m) => m.variant === variant)
        .map((m) => m.rssPerConnection),
    );
  }
  const report: IdleReport = {
    plan: { ...plan, sources: plan.sources.length, rounds: roundCount },
    rounds,
    rssPerConnection,
  };
  const { ts, go } = rssPerConnection;
  if (ts !== undefined && go !== undefined) {
    report.ratio = ts / go;
    report.targetMet = ts <= go;
    console.log(
      `\n${roundCount > 1 ? `median of ${roundCount} rounds: ` : ''}${TS_LABEL} ` +
        `${formatInteger(ts)} B per connection, ${GO_LABEL} ${formatInteger(go)} B: ours ÷ Go ` +
        `${report.ratio.toFixed(2)}; target (ours ≤ Go's, neither GC forced): ` +
        `${report.targetMet ? 'met' : 'NOT met'}`,
    );
  }
  return report;
}

const mib = (bytes: number | undefined) =>
  bytes === undefined ? '' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const bytes = (value: number | undefined) =>
  value === undefined ? '' : `${formatInteger(value)} B`;

export function printIdleTable(measured: readonly IdleMeasurement[]): void {
  const go = measured.find((m) => m.variant === 'go')?.rssPerConnection;
  const rows = measured.map((m) => [
    m.server,
    mib(m.before.rssBytes),
    mib(m.idle.rssBytes),
    bytes(m.rssPerConnection),
    go === undefined ? '' : (m.rssPerConnection / go).toFixed(2),
    mib(m.afterClose.rssBytes),
    bytes(m.heapPerConnection),
    `${(m.openMs / 1000).toFixed(1)} s`,
  ]);
  const headers = [
    'server',
    'RSS before',
    `RSS, ${formatInteger(measured[0]?.opened ?? 0)} idle`,
    'RSS per conn',
    '÷ Go',
    'RSS after close',
    'heap per conn',
    'opened in',
  ];
  console.log(
    [
      '',
      ...textTable(
        headers,
        rows,
        headers.map((_, i) => i > 0),
      ),
    ].join('\n'),
  );
}
