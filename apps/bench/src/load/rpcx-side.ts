/**
 * One side of the rpcx rows: a Client class, the protobuf codec and the server entry of one
 * build. Ours is this checkout; a baseline (baseline.ts) is another checkout's, so one run can
 * put the code before a change beside the code after it.
 */
import { Client } from '@rpcx/client';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { OUR_SERVER_ENTRY } from './server-child.js';

export interface RpcxSide {
  /** Appended to the side's row names: '' for ours, ' [baseline]' for the baseline's. */
  suffix: string;
  Client: typeof Client;
  createProtobufCodec: typeof createProtobufCodec;
  /** server-process.js of the same build, started with `rpcx`. */
  serverEntry: string;
}

export const ourSide: RpcxSide = {
  suffix: '',
  Client,
  createProtobufCodec,
  serverEntry: OUR_SERVER_ENTRY,
};
