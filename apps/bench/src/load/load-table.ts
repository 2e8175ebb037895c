/** The load run's tables: one per concurrency, and the new ÷ baseline ratios when there are any. */
import type { Row } from './rows.js';

export function printTable(rows: Row[]): void {
  const nameWidth = Math.max(26, ...rows.map((row) => row.name.length + 2));
  console.log(`\nconcurrency ${rows[0]?.concurrency}`);
  console.log(
    `${'row'.padEnd(nameWidth)}${'req/s'.padStart(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}${'× ceiling'.padStart(11)}` +
      `${'client µs'.padStart(11)}${'server µs'.padStart(11)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(nameWidth)}${Math.round(row.requestsPerSecond).toLocaleString('en-US').padStart(12)}` +
        `${row.p50Ms.toFixed(3).padStart(10)}${row.p99Ms.toFixed(3).padStart(10)}${String(row.errors).padStart(8)}` +
        `${row.ratio.toFixed(2).padStart(11)}${row.clientCpuUs.toFixed(2).padStart(11)}` +
        `${row.serverCpuUs.toFixed(2).padStart(11)}`,
    );
  }
}

/**
 * new ÷ baseline per pair: req/s above 1, client/server µs below 1 mean the new code does better.
 * `by round` is the median and range of the req/s ratios of each round's pair of slices.
 */
export function printBaselineRatios(rows: Row[]): void {
  const compared = rows.filter((row) => row.vsBaseline);
  if (compared.length === 0) return;
  const nameWidth = Math.max(26, ...compared.map((row) => row.name.length + 2));
  console.log(
    `\n${'new ÷ baseline'.padEnd(nameWidth)}${'req/s'.padStart(12)}${'by round'.padStart(20)}` +
      `${'client µs'.padStart(11)}${'server µs'.padStart(11)}`,
  );
  for (const row of compared) {
    const ratios = row.vsBaseline!;
    const byRound = [...ratios.requestsPerSecondByRound].sort((a, b) => a - b);
    const spread =
      `${median(byRound).toFixed(2)} (${byRound[0]!.toFixed(2)}–` +
      `${byRound[byRound.length - 1]!.toFixed(2)})`;
    console.log(
      `${row.name.padEnd(nameWidth)}${ratios.requestsPerSecond.toFixed(3).padStart(12)}` +
        `${spread.padStart(20)}${ratios.clientCpuUs.toFixed(3).padStart(11)}` +
        `${ratios.serverCpuUs.toFixed(3).padStart(11)}`,
    );
  }
}

/** Of sorted values. */
function median(sorted: number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
