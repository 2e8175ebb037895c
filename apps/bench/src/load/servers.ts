/**
 * The servers of the load run, each started in a child process so that client and server get a
 * core each: `node dist/load/server-process.js raw|rpcx` prints `LISTENING <address>` and serves
 * until its stdin closes.
 */
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { Server } from '@rpcx/server';
import { BenchmarkMessage } from '../bench-message.js';
import { startRawEchoServer } from './raw-echo.js';

export type ServerKind = 'raw' | 'rpcx';

interface BenchFields {
  field1: string;
  field2: number;
}

export async function startServer(kind: ServerKind): Promise<string> {
  if (kind === 'raw') {
    const server = await startRawEchoServer();
    return `tcp@127.0.0.1:${(server.address() as { port: number }).port}`;
  }
  const server = new Server({ codecs: [createProtobufCodec()] });
  // Echo: the payload comes back as it came (serialize type 0, no codec work).
  server.registerFunction('Hello', 'Echo', (payload: Uint8Array) => payload);
  // What rpcx-benchmark's server does: decode, set field1 and field2, encode.
  server.registerFunction(
    'Hello',
    'Say',
    (message: BenchFields) => {
      message.field1 = 'OK';
      message.field2 = 100;
      return message;
    },
    { types: { args: BenchmarkMessage, reply: BenchmarkMessage } },
  );
  return server.listen('tcp@127.0.0.1:0');
}
