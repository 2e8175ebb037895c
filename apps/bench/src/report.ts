/** Plain-text tables of suite results. */
import type { SuiteReport } from './runner.js';
import { textTable } from './text-table.js';

/** `Ratio` (rate ÷ the reference task's) only in suites whose tasks have references. */
const HEADERS = ['Task', 'Rate', 'Mean', '±RME', 'Samples', 'Ratio'] as const;
/** Columns after the first are numbers: right-aligned. */
const RIGHT_ALIGNED = [false, true, true, true, true, true] as const;

export function formatSuite(report: SuiteReport): string {
  const withRatio = report.tasks.some((task) => task.reference !== undefined);
  const rows = report.tasks.map((task) => [
    task.name,
    `${formatInteger(task.opsPerSecond)} ${task.unit}s/s`,
    formatDuration(task.meanNs),
    `±${task.rme.toFixed(2)}%`,
    formatInteger(task.samples),
    ...(withRatio ? [task.reference?.ratio.toFixed(3) ?? ''] : []),
  ]);
  const headers = withRatio ? HEADERS : HEADERS.slice(0, -1);
  return [
    `== ${report.title} [${report.name}]`,
    ...report.notes.map((note) => `   ${note}`),
    '',
    ...textTable(headers, rows, RIGHT_ALIGNED),
  ].join('\n');
}

export function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Always nanoseconds, so one column compares at a glance: `1,234.5 ns`. */
export function formatDuration(ns: number): string {
  return `${ns.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ns`;
}
