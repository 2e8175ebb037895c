/**
 * The targets, each a req/s ratio of two rows of the same interleaved run at concurrency
 * 100: rpcx TS ↔ TS against Moleculer and grpc-js, and a Go client calling our TS server against
 * it calling Go's.
 */
import { median } from '../load/load-table.js';
import { pairRatios } from '../load/rows.js';
import type { PeerRow } from './peer-rows.js';

export interface Target {
  label: string;
  /** Row id whose req/s is divided ... */
  row: string;
  /** ... by this row's. */
  over: string;
  min: number;
}

export const TARGET_CONCURRENCY = 100;

export const TARGETS: readonly Target[] = [
  { label: 'rpcx TS→TS JSON ≥ 3 × Moleculer JSON', row: 'ts-ts-json', over: 'moleculer', min: 3 },
  { label: 'rpcx TS→TS JSON ≥ 25 × grpc-js', row: 'ts-ts-json', over: 'grpc', min: 25 },
  { label: 'rpcx TS→TS Protobuf ≥ 20 × grpc-js', row: 'ts-ts-protobuf', over: 'grpc', min: 20 },
  {
    label: 'Go client → TS server ≥ 1.5 × Go → Go, JSON',
    row: 'go-ts-json',
    over: 'go-go-json',
    min: 1.5,
  },
  {
    label: 'Go client → TS server ≥ 1.2 × Go → Go, MsgPack',
    row: 'go-ts-msgpack',
    over: 'go-go-msgpack',
    min: 1.2,
  },
];

export interface TargetResult extends Target {
  /** Whole-run req/s ratio. */
  ratio: number;
  /** Median of the per-round ratios (slices of a round ran next to each other). */
  byRoundMedian: number;
  met: boolean;
  /** ratio ÷ min: 1.10 is 10 % above the target, 0.50 half of it. */
  ofTarget: number;
}

/** The targets whose two rows were measured at the target's concurrency. */
export function checkTargets(rows: readonly PeerRow[]): TargetResult[] {
  const at = rows.filter((row) => row.concurrency === TARGET_CONCURRENCY);
  const results: TargetResult[] = [];
  for (const target of TARGETS) {
    const row = at.find((r) => r.id === target.row);
    const over = at.find((r) => r.id === target.over);
    if (!row || !over) continue;
    const ratios = pairRatios(row, over);
    const ratio = ratios.requestsPerSecond;
    results.push({
      ...target,
      ratio,
      byRoundMedian: median(ratios.requestsPerSecondByRound.sort((a, b) => a - b)),
      met: ratio >= target.min,
      ofTarget: ratio / target.min,
    });
  }
  return results;
}
