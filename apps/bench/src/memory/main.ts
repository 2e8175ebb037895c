/**
 * The memory runs (`pnpm bench:memory`):
 *
 *   node dist/memory/main.js [idle|long-run|all] [options] [--json file]
 *
 * - `idle` (idle-connections.ts): 10,000 idle connections held by our server and by Go rpcx
 *   v1.9.4's, RSS per connection of each and ours ÷ Go;
 * - `long-run` (long-run.ts): 5,000,000 calls from one Client to our server, heap and RSS of
 *   both sampled, the slope per 1,000,000 calls;
 * - `all` (the default): both, one after the other.
 *
 * `--json file` writes what was measured (a relative path resolves against the directory `pnpm`
 * was run from): `{ environment, idle?, longRun? }`.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  IDLE_OPTIONS,
  IDLE_USAGE,
  type IdleReport,
  runIdleConnections,
} from './idle-connections.js';
import { LONG_RUN_OPTIONS, LONG_RUN_USAGE, runLongRun } from './long-run.js';
import type { LongRunReport } from './trends.js';

const COMMANDS = ['idle', 'long-run', 'all'] as const;

const USAGE = `usage: node dist/memory/main.js [${COMMANDS.join('|')}] [options] [--json file]

${IDLE_USAGE}

${LONG_RUN_USAGE}

all (default): idle, then long-run, each with its default options and those given`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const command = (COMMANDS as readonly string[]).includes(args[0] ?? '') ? args.shift()! : 'all';
  // Our own options first; the rest go to the runs, each taking the ones it knows.
  const { values, tokens } = parseArgs({
    args,
    options: {
      json: { type: 'string' },
      help: { type: 'boolean' },
      ...IDLE_OPTIONS,
      ...LONG_RUN_OPTIONS,
    },
    strict: true,
    tokens: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const given = (names: object) => optionArgs(tokens, Object.keys(names));
  const environment = {
    node: process.versions.node,
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg(),
    date: new Date().toISOString(),
  };
  console.log(`Node ${environment.node}, ${environment.cpu} × ${environment.cores}`);
  const result: { environment: typeof environment; idle?: IdleReport; longRun?: LongRunReport } = {
    environment,
  };
  if (command !== 'long-run') result.idle = await runIdleConnections(given(IDLE_OPTIONS));
  if (command === 'all') console.log('');
  if (command !== 'idle') result.longRun = await runLongRun(given(LONG_RUN_OPTIONS));
  if (values.json) {
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), values.json);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  }
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** The command-line words of the options named `names`, in their order. */
function optionArgs(tokens: readonly Token[] | undefined, names: readonly string[]): string[] {
  const words: string[] = [];
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || !names.includes(token.name)) continue;
    words.push(`--${token.name}`);
    if (token.value !== undefined) words.push(token.value);
  }
  return words;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
