/**
 * The servers the memory run measures, each a child process that speaks the load run's line
 * protocol (`LISTENING <address>`, `stats` → `STATS {...}`, exit on stdin EOF):
 *
 * - ours: apps/bench's server-process.js `rpcx`, the load run's server (Hello.Echo, Hello.Say);
 *   with `forceGc`, started with `--expose-gc` and sent `gc` before each reading;
 * - Go rpcx v1.9.4: conformance/go/cmd/benchserver, built by conformance/build.sh into
 *   `${RPCX_CACHE_DIR:-~/.cache/rpcx-ts}/bin`. It has no `gc` command (an unknown command ends
 *   it), so its readings are never forced.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LineChild, startLineChild } from '../line-child.js';
import { startServerProcess } from '../load/server-child.js';
import {
  fileLimitLauncher,
  parseStatsLine,
  residentBytes,
  type ServerStats,
  STATS_LINE,
} from './process-stats.js';

export interface ServerUnderTest {
  label: string;
  pid: number;
  /** `tcp@127.0.0.1:<port>` */
  address: string;
  /** Whether readings come after a forced full GC. */
  forcedGc: boolean;
  /** Its `STATS`, with `rssBytes` read from /proc/<pid>/status where there is one. */
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

export const GO_LABEL = 'Go rpcx v1.9.4';
export const TS_LABEL = 'rpcx-ts';

/** Ours; `files`: the open files it must be able to hold. */
export async function startOurServer(files: number, forceGc: boolean): Promise<ServerUnderTest> {
  const server = await startServerProcess('rpcx', undefined, {
    launcher: fileLimitLauncher(files),
    nodeFlags: forceGc ? ['--expose-gc'] : [],
  });
  const label = forceGc ? `${TS_LABEL} (GC forced)` : TS_LABEL;
  return underTest(label, server.child, forceGc);
}

export async function startGoServer(binary: string, files: number): Promise<ServerUnderTest> {
  const child = await startLineChild(
    [...fileLimitLauncher(files), binary, '-addr', '127.0.0.1:0'],
    {
      name: `Go benchserver ${binary}`,
    },
  );
  return underTest(GO_LABEL, child, false);
}

function underTest(label: string, child: LineChild, forcedGc: boolean): ServerUnderTest {
  return {
    label,
    pid: child.pid,
    address: child.ready[1]!,
    forcedGc,
    stats: async () => {
      if (forcedGc) await child.ask('gc', /^GC done$/);
      const stats = parseStatsLine((await child.ask('stats', STATS_LINE))[0]);
      return { ...stats, rssBytes: residentBytes(child.pid) ?? stats.rssBytes };
    },
    stop: () => child.stop(),
  };
}

// ---------------------------------------------------------------------------------------------
// Finding Go's benchserver

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BUILD_SCRIPT = join(REPO_ROOT, 'conformance', 'build.sh');

export function defaultGoBenchServer(): string {
  return join(
    process.env.RPCX_CACHE_DIR ?? join(homedir(), '.cache', 'rpcx-ts'),
    'bin',
    'benchserver',
  );
}

/**
 * The benchserver binary: `explicit` as given, else conformance/build.sh is run (Go's build cache
 * makes that quick; 10 minutes at most) and its output taken — or, when the build fails, a binary
 * already built. Rejects when there is none.
 */
export async function goBenchServer(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new Error(`--go-server: no ${explicit}`);
    return explicit;
  }
  const binary = defaultGoBenchServer();
  if (existsSync(BUILD_SCRIPT)) {
    const built = await new Promise<Error | undefined>((resolve) =>
      execFile('bash', [BUILD_SCRIPT], { timeout: 600_000 }, (error) =>
        resolve(error ?? undefined),
      ),
    );
    if (built !== undefined) {
      if (!existsSync(binary)) throw new Error(`conformance/build.sh failed: ${built.message}`);
      console.warn(
        `conformance/build.sh failed (${built.message.split('\n')[0]}); using ${binary} as built before`,
      );
    }
  }
  if (!existsSync(binary)) {
    throw new Error(
      `no Go benchserver at ${binary}: run bash conformance/build.sh, or pass --go-server`,
    );
  }
  return binary;
}
