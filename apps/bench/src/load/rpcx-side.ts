/**
 * One side of the rpcx rows: a Client class, the protobuf codec and the server entry of one
 * build. Ours is this checkout; a baseline (baseline.ts) is another checkout's, so one run can
 * put the code before a change beside the code after it.
 */
import { Client, type ClientInterceptor } from '@rpcx/client';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { clientOps, OPS_FEATURES, type OpsFeature } from './ops-features.js';
import { OUR_SERVER_ENTRY } from './server-child.js';

export interface RpcxSide {
  /** Appended to the side's row names: '' for ours, ' [baseline]' for the baseline's. */
  suffix: string;
  Client: typeof Client;
  createProtobufCodec: typeof createProtobufCodec;
  /** server-process.js of the same build, started with `rpcx`. */
  serverEntry: string;
  /**
   * The ops rows' client side of the same build (ops-features.ts) and the features it knows;
   * undefined for a baseline from before the ops rows.
   */
  ops?: {
    features: readonly string[];
    clientInterceptors(features: readonly string[]): ClientInterceptor[];
  };
}

export const ourSide: RpcxSide = {
  suffix: '',
  Client,
  createProtobufCodec,
  serverEntry: OUR_SERVER_ENTRY,
  ops: {
    features: OPS_FEATURES,
    clientInterceptors: (features) => clientOps(features as OpsFeature[]),
  },
};
