/**
 * The Go programs of the Go rows, conformance/go's benchserver and benchclient, built by
 * conformance/build.sh into `${RPCX_CACHE_DIR:-~/.cache/rpcx-ts}/bin` (the memory run finds its
 * benchserver the same way), and the Go rpcx version they were built with.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { goBenchServer } from '../memory/servers-under-test.js';

export interface GoPrograms {
  server: string;
  client: string;
  /** `github.com/smallnest/rpcx v1.9.4, go1.26.0`, or why it is not known. */
  version: string;
}

/** Builds them if need be; rejects when there is no Go or no binary. */
export async function findGoPrograms(): Promise<GoPrograms> {
  const server = await goBenchServer(undefined);
  const client = join(dirname(server), 'benchclient');
  if (!existsSync(client))
    throw new Error(`no Go benchclient at ${client}: run bash conformance/build.sh`);
  return { server, client, version: buildVersion(server) };
}

/** From the binary's build information (`go version -m`). */
function buildVersion(binary: string): string {
  for (const go of ['go', '/usr/local/go/bin/go']) {
    try {
      const info = execFileSync(go, ['version', '-m', binary], { encoding: 'utf8' });
      const toolchain = /^\S+: (go\S+)/.exec(info)?.[1] ?? 'go ?';
      const rpcx = /^\s*dep\s+github\.com\/smallnest\/rpcx\s+(\S+)/m.exec(info)?.[1] ?? '?';
      return `github.com/smallnest/rpcx ${rpcx}, ${toolchain}`;
    } catch {
      // try the next place Go may be
    }
  }
  return 'unknown (no go to read the build information)';
}
