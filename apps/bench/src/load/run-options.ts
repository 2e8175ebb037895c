/**
 * The command-line options the interleaved runs share (the load run, the peers run): how long
 * each row is measured and warmed up, in how many slices, and where relative paths point.
 */
import { resolve } from 'node:path';
import type { InterleavePlan } from './interleave.js';

/** `parseArgs` options, with their defaults. */
export const PLAN_OPTIONS = {
  duration: { type: 'string', default: '6000' },
  // A fresh process needs a few seconds to reach its steady speed (JIT, V8 growing its young
  // generation, socket buffers): measure after that, for every row alike.
  warmup: { type: 'string', default: '3000' },
  rounds: { type: 'string', default: '6' },
} as const;

export function planFrom(values: {
  duration: string;
  warmup: string;
  rounds: string;
}): Omit<InterleavePlan, 'concurrency'> {
  return {
    durationMs: Number(values.duration),
    warmupMs: Number(values.warmup),
    rounds: Math.max(1, Number(values.rounds)),
  };
}

/** A path given on the command line, relative to where `pnpm` was run (it runs us in apps/bench). */
export const fromInvocationDir = (path: string) =>
  resolve(process.env.INIT_CWD ?? process.cwd(), path);
