/**
 * The rpcx rows of the load run, for one side's client: echo (the ceiling's bytes as a raw
 * payload: the whole stack, no codec work) and Say (what rpcx-benchmark measures: protobuf, the
 * server sets field1 = "OK", field2 = 100, the client checks field1).
 */
import type { Client } from '@rpcx/client';
import { SerializeType } from '@rpcx/core';
import { BenchmarkMessage } from '../bench-message.js';
import type { Load } from './interleave.js';

export const RPCX_ROWS = ['echo', 'say'] as const;
export type RpcxRow = (typeof RPCX_ROWS)[number];

/** Our side's one-Client, one-server rows (the XClient rows are compared with them too). */
export const ECHO_ROW = 'rpcx echo (raw payload)';
export const SAY_ROW = 'rpcx Say (protobuf)';

/** What the rows send: the filled BenchmarkMessage and its 581 protobuf bytes. */
export interface Workload {
  message: object;
  payload: Uint8Array;
}

export function rpcxLoads(
  client: Pick<Client, 'call'>,
  serverCpu: () => Promise<number>,
  work: Workload,
  suffix: string,
): Record<RpcxRow, Load> {
  return {
    echo: {
      name: `${ECHO_ROW}${suffix}`,
      serverCpu,
      call: () => client.call('Hello', 'Echo', work.payload, { serializeType: SerializeType.None }),
    },
    say: {
      name: `${SAY_ROW}${suffix}`,
      serverCpu,
      call: async () => {
        const reply = await client.call<{ field1: string }>('Hello', 'Say', work.message, {
          serializeType: SerializeType.ProtoBuffer,
          replyType: BenchmarkMessage,
        });
        if (reply.field1 !== 'OK') throw new Error('bad reply');
      },
    },
  };
}
