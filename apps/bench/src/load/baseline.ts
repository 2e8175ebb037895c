/**
 * The baseline side: another checkout of this repository, installed and built (see
 * scripts/baseline.sh), whose Client and server run beside ours in the same interleaved run —
 * "before" and "after" a change share the machine's good and bad moments.
 *
 * Its Client and protobuf codec are imported from its own dist files, so they resolve its own
 * @rpcx/* packages; its server is its own server-process.js. The public API is the same on both
 * sides, so the rows call them alike (the BenchmarkMessage type stays ours: same bytes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ClientPackage from '@rpcx/client';
import type * as ProtobufCodecs from '@rpcx/codecs/protobuf';
import type * as OpsFeatures from './ops-features.js';
import type { RpcxSide } from './rpcx-side.js';

export const BASELINE_SUFFIX = ' [baseline]';

export interface Baseline extends RpcxSide {
  dir: string;
  /** The commit scripts/baseline.sh exported, when it made the checkout. */
  commit: string | undefined;
}

export async function loadBaseline(dir: string): Promise<Baseline> {
  const clientEntry = join(dir, 'packages/client/dist/esm/index.js');
  const codecEntry = join(dir, 'packages/codecs/dist/esm/protobuf/index.js');
  const serverEntry = join(dir, 'apps/bench/dist/load/server-process.js');
  for (const file of [clientEntry, codecEntry, serverEntry]) {
    if (!existsSync(file)) {
      throw new Error(
        `baseline: no ${file}; install and build that checkout first ` +
          '(apps/bench/scripts/baseline.sh <git-rev> <dir> does both)',
      );
    }
  }
  const clientPackage = (await import(pathToFileURL(clientEntry).href)) as typeof ClientPackage;
  const codecs = (await import(pathToFileURL(codecEntry).href)) as typeof ProtobufCodecs;
  // Its ops rows' client side, when it has them (a checkout from before them has not).
  const opsEntry = join(dir, 'apps/bench/dist/load/ops-features.js');
  const ops = existsSync(opsEntry)
    ? ((await import(pathToFileURL(opsEntry).href)) as typeof OpsFeatures)
    : undefined;
  const commitFile = join(dir, '.baseline-commit');
  return {
    dir,
    commit: existsSync(commitFile) ? readFileSync(commitFile, 'utf8').trim() : undefined,
    suffix: BASELINE_SUFFIX,
    Client: clientPackage.Client,
    createProtobufCodec: codecs.createProtobufCodec,
    serverEntry,
    ...(ops && {
      ops: {
        features: ops.OPS_FEATURES,
        clientInterceptors: (features) => ops.clientOps(features as OpsFeatures.OpsFeature[]),
      },
    }),
  };
}
