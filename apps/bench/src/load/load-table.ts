/**
 * The load run's tables: one per concurrency, then the new ÷ baseline ratios and the XClient ÷
 * Client ratios when there are any.
 */
import { CLIENT_X3_ROW, XCLIENT_X1_ROW } from './governance-loads.js';
import type { Row } from './rows.js';

/** The target: XClient ≥ 0.9 × plain Client req/s at concurrency 100. */
export const XCLIENT_TARGET = { ratio: 0.9, concurrency: 100 };

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
    console.log(
      `${row.name.padEnd(nameWidth)}${ratios.requestsPerSecond.toFixed(3).padStart(12)}` +
        `${byRoundSpread(ratios.requestsPerSecondByRound).padStart(20)}` +
        `${ratios.clientCpuUs.toFixed(3).padStart(11)}${ratios.serverCpuUs.toFixed(3).padStart(11)}`,
    );
  }
}

/**
 * XClient ÷ Client per XClient row, each against the plain Client row offered the same servers
 * and connections: req/s with its by-round median and range, client and server CPU µs per
 * request. Then Client ×3 ÷ the one-server Client row, what spreading the calls over three
 * server processes costs whatever the client; and at the target's concurrency, whether it is met.
 */
export function printClientRatios(rows: Row[]): void {
  const compared = rows.filter((row) => row.vsClient);
  if (compared.length === 0) return;
  const nameWidth = Math.max(26, ...compared.map((row) => row.name.length + 2));
  const referenceWidth = Math.max(12, ...compared.map((row) => row.vsClient!.reference.length + 2));
  console.log(
    `\n${'XClient ÷ Client'.padEnd(nameWidth)}${'plain Client row'.padEnd(referenceWidth)}` +
      `${'req/s'.padStart(8)}${'by round'.padStart(20)}${'client µs'.padStart(11)}` +
      `${'server µs'.padStart(11)}`,
  );
  for (const row of compared) {
    const ratios = row.vsClient!;
    console.log(
      `${row.name.padEnd(nameWidth)}${ratios.reference.padEnd(referenceWidth)}` +
        `${ratios.requestsPerSecond.toFixed(3).padStart(8)}` +
        `${byRoundSpread(ratios.requestsPerSecondByRound).padStart(20)}` +
        `${ratios.clientCpuUs.toFixed(3).padStart(11)}${ratios.serverCpuUs.toFixed(3).padStart(11)}`,
    );
  }
  const client3 = rows.find((row) => row.name === CLIENT_X3_ROW);
  const oneServer = rows.find((row) => row.name === XCLIENT_X1_ROW)?.vsClient?.reference;
  const client1 = rows.find((row) => row.name === oneServer);
  if (client3 && client1) {
    console.log(
      `(${CLIENT_X3_ROW} ÷ ${client1.name}: ` +
        `${(client3.requestsPerSecond / client1.requestsPerSecond).toFixed(3)} req/s — three ` +
        'server processes instead of one, whatever the client)',
    );
  }
  if (compared[0]!.concurrency !== XCLIENT_TARGET.concurrency) return;
  // On a busy machine one run's req/s ratio can be off by more than the margin: beside it, the
  // lowest per-round median, and the lowest ratio of CPU per request (Client µs ÷ XClient µs, what
  // req/s would be if the client's CPU were the limit), which other work on the machine moves less.
  const lowest = (ratio: (row: Row) => number) => Math.min(...compared.map(ratio)).toFixed(3);
  const worst = Math.min(...compared.map((row) => row.vsClient!.requestsPerSecond));
  console.log(
    `target: XClient ≥ ${XCLIENT_TARGET.ratio} × its plain Client row's req/s at concurrency ` +
      `${XCLIENT_TARGET.concurrency}: ${worst >= XCLIENT_TARGET.ratio ? 'met' : 'NOT met'} ` +
      `(lowest ${worst.toFixed(3)}; lowest by-round median ` +
      `${lowest((row) => median([...row.vsClient!.requestsPerSecondByRound].sort((a, b) => a - b)))}, ` +
      `lowest client CPU ratio ${lowest((row) => 1 / row.vsClient!.clientCpuUs)})`,
  );
}

/** `median (min–max)` of per-round ratios. */
export function byRoundSpread(ratios: number[]): string {
  const sorted = [...ratios].sort((a, b) => a - b);
  return (
    `${median(sorted).toFixed(2)} (${sorted[0]!.toFixed(2)}–` +
    `${sorted[sorted.length - 1]!.toFixed(2)})`
  );
}

/** Of sorted values. */
export function median(sorted: number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
