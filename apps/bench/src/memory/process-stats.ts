/**
 * What the memory runs read of a server process: its `STATS` reply (server-process.ts, and Go's
 * benchserver: `STATS {"cpuUs":N,"rssBytes":N}`), its resident set from /proc (the same reading
 * for a Node and a Go process), and the open-file limit a process needs to hold many sockets.
 */
import { existsSync, readFileSync } from 'node:fs';

/** A `STATS` reply; the Node fields are absent in Go's. */
export interface ServerStats {
  cpuUs: number;
  rssBytes: number;
  heapUsedBytes?: number;
  externalBytes?: number;
  arrayBuffersBytes?: number;
  /** Connections the server has open, when it says. */
  connections?: number;
}

export const STATS_LINE = /^STATS (\{.*\})\s*$/;

/** Reads a `STATS {json}` line; throws when it is not one or lacks `cpuUs` / `rssBytes`. */
export function parseStatsLine(line: string): ServerStats {
  const json = STATS_LINE.exec(line)?.[1];
  if (json === undefined) throw new Error(`not a STATS line: ${line}`);
  const fields = JSON.parse(json) as Record<string, unknown>;
  const stats: Partial<Record<keyof ServerStats, number>> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'number' && Number.isFinite(value)) {
      stats[key as keyof ServerStats] = value;
    }
  }
  if (stats.cpuUs === undefined || stats.rssBytes === undefined) {
    throw new Error(`STATS without cpuUs and rssBytes: ${line}`);
  }
  return stats as ServerStats;
}

/**
 * The resident set of process `pid` in bytes (`VmRSS` of /proc/<pid>/status), or undefined where
 * there is no /proc. Read from outside, so a Node and a Go server are measured alike.
 */
export function residentBytes(pid: number): number | undefined {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return undefined;
  return statusKilobytes(readFileSync(file, 'utf8'), 'VmRSS');
}

/** A `<field>:   123 kB` line of a /proc status file, in bytes. */
export function statusKilobytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The hard limit on open files of this process (/proc/self/limits), or undefined. */
export function hardFileLimit(): number | undefined {
  if (!existsSync('/proc/self/limits')) return undefined;
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!match) return undefined;
  return match[2] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[2]);
}

/**
 * What to run a process under so that it may open `files` files: nothing when the hard limit
 * allows it (Node and Go raise their soft limit to the hard one themselves), else `prlimit`
 * (root, or CAP_SYS_RESOURCE).
 */
export function fileLimitLauncher(files: number): string[] {
  const hard = hardFileLimit();
  if (hard === undefined || hard >= files) return [];
  return ['prlimit', `--nofile=${files}:${files}`, '--'];
}
