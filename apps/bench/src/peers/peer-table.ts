/**
 * The peers run's output: one table per concurrency, then the targets.
 */
import { textTable } from '../text-table.js';
import type { PeerRow } from './peer-rows.js';
import { TARGET_CONCURRENCY, type TargetResult } from './peer-targets.js';

const HEADERS = [
  'row',
  'req/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'errors',
  'client µs',
  'server µs',
  'client MB',
  'server MB',
  '÷ rpcx TS',
  'rpcx TS ÷',
] as const;
const RIGHT_ALIGNED = HEADERS.map((_, column) => column > 0);

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '—';
const megabytes = (bytes: number) => fixed(bytes / 2 ** 20, 0);

export function formatPeerTable(rows: readonly PeerRow[]): string[] {
  const cells = rows.map((row) => [
    row.name,
    Math.round(row.requestsPerSecond).toLocaleString('en-US'),
    fixed(row.p50Ms, 3),
    fixed(row.p99Ms, 3),
    fixed(row.p999Ms, 3),
    String(row.errors),
    fixed(row.clientCpuUs, 1),
    fixed(row.serverCpuUs, 1),
    megabytes(row.clientRssBytes),
    megabytes(row.serverRssBytes),
    row.vsReference ? fixed(row.vsReference.requestsPerSecond, 3) : '',
    row.referenceOverRow === undefined ? '' : fixed(row.referenceOverRow, 2),
  ]);
  return [`concurrency ${rows[0]?.concurrency}`, ...textTable(HEADERS, cells, RIGHT_ALIGNED)];
}

/** Met or missed, and by how much. */
export function formatTargets(results: readonly TargetResult[]): string[] {
  if (results.length === 0) return [];
  return [
    `targets (req/s ratios at concurrency ${TARGET_CONCURRENCY}):`,
    ...results.map(
      (result) =>
        `  ${result.label}: ${result.ratio.toFixed(2)}× (by-round median ` +
        `${result.byRoundMedian.toFixed(2)}×) — ${result.met ? 'met' : 'MISSED'}, ` +
        `${Math.round(result.ofTarget * 100)} % of the target`,
    ),
  ];
}
