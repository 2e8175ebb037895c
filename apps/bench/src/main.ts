/**
 * rpcx for TypeScript micro-benchmarks.
 *
 *   node dist/main.js [suite ...] [--time ms] [--warmup-time ms] [--json file] [--list]
 *
 * Runs every suite, or the ones named, and prints a table per suite. `--json` also writes the
 * raw results (tinybench statistics included) to a file.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSuite } from './report.js';
import { type RunOptions, runSuite, type SuiteReport } from './runner.js';
import type { SuiteDefinition } from './suite.js';
import { codecsSuite } from './suites/codecs.js';
import { frameDecoderSuite } from './suites/frame-decoder.js';
import { protocolSuite } from './suites/protocol.js';

const SUITES: readonly SuiteDefinition[] = [codecsSuite, protocolSuite, frameDecoderSuite];

const DEFAULT_TIME_MS = 1000;
const DEFAULT_WARMUP_MS = 250;

const USAGE = `usage: node dist/main.js [suite ...] [options]

suites: ${SUITES.map((suite) => suite.name).join(', ')} (default: all)

options:
  --time <ms>         time budget per task (default ${DEFAULT_TIME_MS})
  --warmup-time <ms>  warmup budget per task (default ${DEFAULT_WARMUP_MS})
  --json <file>       also write the raw results as JSON
  --list              list the suites and exit
  --help              show this text`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      time: { type: 'string' },
      'warmup-time': { type: 'string' },
      json: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.list) {
    for (const suite of SUITES) console.log(`${suite.name.padEnd(14)} ${suite.title}`);
    return;
  }

  const selected = selectSuites(positionals);
  const options: RunOptions = {
    time: milliseconds(values.time, '--time', DEFAULT_TIME_MS),
    warmupTime: milliseconds(values['warmup-time'], '--warmup-time', DEFAULT_WARMUP_MS),
  };
  const environment = describeEnvironment();
  console.log(`Node ${environment.node} (V8 ${environment.v8}), ${environment.platform}`);
  console.log(`CPU: ${environment.cpu} × ${environment.cores}`);
  console.log(
    `tinybench: ${options.time} ms per task after ${options.warmupTime} ms warmup; ` +
      `suites: ${selected.map((suite) => suite.name).join(', ')}`,
  );

  const reports: SuiteReport[] = [];
  for (const suite of selected) {
    const report = await runSuite(suite, options);
    reports.push(report);
    console.log(`\n${formatSuite(report)}`);
  }

  if (values.json !== undefined) {
    const file = outputPath(values.json);
    const raw = { date: new Date().toISOString(), environment, options, suites: reports };
    writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
    console.log(`\nraw results written to ${file}`);
  }
}

function selectSuites(names: string[]): SuiteDefinition[] {
  if (names.length === 0) return [...SUITES];
  return names.map((name) => {
    const suite = SUITES.find((candidate) => candidate.name === name);
    if (suite === undefined) {
      throw new UsageError(
        `unknown suite "${name}"; one of: ${SUITES.map((s) => s.name).join(', ')}`,
      );
    }
    return suite;
  });
}

function milliseconds(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new UsageError(`${option} takes a number of milliseconds, got "${value}"`);
  }
  return parsed;
}

/** Relative to where `pnpm bench` was started (pnpm runs the script in apps/bench). */
function outputPath(file: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), file);
}

function describeEnvironment() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
  };
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE')) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
});
