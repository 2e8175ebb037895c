/**
 * The calls of the rpcx rows, through one `Client` per row, to our TS server or Go's benchserver:
 *
 * - JSON and MsgPack: `Hello.Say` with the Go struct of the BenchmarkMessage (keys `Field1`,
 *   `Field9`, ...), what a Go client sends; the reply must have `Field1 = "OK"`.
 * - Protobuf: `Hello.Say` with the 581-byte message; the reply must have `field1 = "OK"`.
 * - raw: `Hello.Echo` of the 581 protobuf bytes with serialize type 0: no codec on either side,
 *   the transport's ceiling.
 */
import { Client } from '@rpcx/client';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { SerializeType } from '@rpcx/core';
import {
  BenchmarkMessage,
  createBenchmarkMessage,
  createGoBenchmarkStruct,
  type GoBenchmarkStruct,
} from '../bench-message.js';
import type { PeerCodec } from './peer-rows.js';

const SERIALIZE_TYPE = {
  json: SerializeType.JSON,
  msgpack: SerializeType.MsgPack,
} as const;

/** A connected Client that can make every codec's call. */
export async function connectRpcxClient(address: string): Promise<Client> {
  const client = new Client({ address, codecs: [createProtobufCodec(), msgpackCodec] });
  await client.connect();
  return client;
}

/** The row's call with `codec`; it throws on a wrong reply. */
export function rpcxCall(client: Client, codec: PeerCodec): () => Promise<void> {
  switch (codec) {
    case 'json':
    case 'msgpack': {
      const struct = createGoBenchmarkStruct();
      const serializeType = SERIALIZE_TYPE[codec];
      return async () => {
        const reply = await client.call<GoBenchmarkStruct>('Hello', 'Say', struct, {
          serializeType,
        });
        if (reply.Field1 !== 'OK') throw new Error('bad reply');
      };
    }
    case 'protobuf': {
      const message = createBenchmarkMessage();
      return async () => {
        const reply = await client.call<{ field1: string }>('Hello', 'Say', message, {
          serializeType: SerializeType.ProtoBuffer,
          replyType: BenchmarkMessage,
        });
        if (reply.field1 !== 'OK') throw new Error('bad reply');
      };
    }
    case 'raw': {
      const payload = BenchmarkMessage.encode(createBenchmarkMessage()).finish();
      return async () => {
        const reply = await client.call<Uint8Array>('Hello', 'Echo', payload, {
          serializeType: SerializeType.None,
        });
        if (reply.length !== payload.length) throw new Error('bad reply');
      };
    }
  }
}
