/**
 * The servers of the load run, each started in a child process so that client and server get a
 * core each: `node dist/load/server-process.js raw|rpcx` prints `LISTENING <address>` and serves
 * until its stdin closes.
 */
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { SerializeType } from '@rpcx/core';
import { Server } from '@rpcx/server';
import { BenchmarkMessage } from '../bench-message.js';
import { type OpsFeature, serverOps } from './ops-features.js';
import { startRawEchoServer } from './raw-echo.js';

export type ServerKind = 'raw' | 'rpcx';

/** A server started in this process. */
export interface StartedServer {
  address: string;
  /** Connections open now, when the server counts them (rpcx: `server.connections()`). */
  connections?: () => number;
  /** Stops it (tests run it in their own process). */
  close(): Promise<void>;
}

/** Say's argument with protobuf: the message. */
interface ProtoFields {
  field1: string;
  field2: number;
}

/** Say's argument with JSON and MsgPack: the Go struct, keyed by Go field names. */
interface GoFields {
  Field1: string;
  Field2: number;
}

export async function startServer(kind: ServerKind): Promise<string> {
  return (await startCountedServer(kind)).address;
}

/** `ops`: the operations features the rpcx server runs with (ops-features.ts). */
export async function startCountedServer(
  kind: ServerKind,
  ops: readonly OpsFeature[] = [],
): Promise<StartedServer> {
  if (kind === 'raw') {
    const server = await startRawEchoServer();
    return {
      address: `tcp@127.0.0.1:${(server.address() as { port: number }).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  // JSON is built in; MsgPack is named here so that the first call does not load it.
  const server = new Server({ codecs: [createProtobufCodec(), msgpackCodec], ...serverOps(ops) });
  // Echo: the payload comes back as it came (serialize type 0, no codec work).
  server.registerFunction('Hello', 'Echo', (payload: Uint8Array) => payload);
  // What rpcx-benchmark's server does: decode, set field1 and field2, encode. The message types
  // are for protobuf; JSON and MsgPack decode without them into the Go struct's shape.
  server.registerFunction(
    'Hello',
    'Say',
    (message: ProtoFields | GoFields, ctx) => {
      if (ctx.request.serializeType === SerializeType.ProtoBuffer) {
        const fields = message as ProtoFields;
        fields.field1 = 'OK';
        fields.field2 = 100;
      } else {
        const fields = message as GoFields;
        fields.Field1 = 'OK';
        fields.Field2 = 100;
      }
      return message;
    },
    { types: { args: BenchmarkMessage, reply: BenchmarkMessage } },
  );
  const address = await server.listen('tcp@127.0.0.1:0');
  return { address, connections: () => server.connections().length, close: () => server.close() };
}
