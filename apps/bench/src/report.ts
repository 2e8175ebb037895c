/** Plain-text tables of suite results. */
import type { SuiteReport } from './runner.js';

const HEADERS = ['Task', 'Rate', 'Mean', '±RME', 'Samples'] as const;
/** Columns after the first are numbers: right-aligned. */
const RIGHT_ALIGNED = [false, true, true, true, true] as const;

export function formatSuite(report: SuiteReport): string {
  const rows = report.tasks.map((task) => [
    task.name,
    `${formatInteger(task.opsPerSecond)} ${task.unit}s/s`,
    formatDuration(task.meanNs),
    `±${task.rme.toFixed(2)}%`,
    formatInteger(task.samples),
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        RIGHT_ALIGNED[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();

  return [
    `== ${report.title} [${report.name}]`,
    ...report.notes.map((note) => `   ${note}`),
    '',
    line(HEADERS),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ].join('\n');
}

export function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Always nanoseconds, so one column compares at a glance: `1,234.5 ns`. */
export function formatDuration(ns: number): string {
  return `${ns.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ns`;
}
