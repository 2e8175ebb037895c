/**
 * The grpc-js row: a unary `bench.Hello/Say` with the BenchmarkMessage of
 * conformance/proto/bench.proto, loaded with protobufjs. The server sets field1 = "OK" and
 * field2 = 100, like every Say here; the client checks field1.
 *
 * Both sides encode and decode with protobufjs's reflected type — the codec work of our protobuf
 * row — so the row measures grpc-js itself, not a slower conversion layered on top
 * (@grpc/proto-loader's default `toObject`).
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { benchmarkFields } from '../bench-message.js';

const SAY_PATH = '/bench.Hello/Say';

/**
 * grpc-js as its own performance advice tunes it: channelz (per-call bookkeeping for its debug
 * service) off on both sides.
 */
const CHANNEL_OPTIONS = { 'grpc.enable_channelz': 0 };

/** `bench.BenchmarkMessage` from bench.proto at `protoFile`. */
export function loadBenchmarkType(protoFile: string): protobuf.Type {
  return protobuf.loadSync(protoFile).lookupType('bench.BenchmarkMessage');
}

const codec = (type: protobuf.Type) => ({
  serialize: (message: protobuf.Message) => type.encode(message).finish() as Buffer,
  deserialize: (bytes: Buffer) => type.decode(bytes),
});

export interface GrpcServer {
  /** `127.0.0.1:<port>` */
  address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(protoFile: string): Promise<GrpcServer> {
  const { serialize, deserialize } = codec(loadBenchmarkType(protoFile));
  const say: grpc.MethodDefinition<protobuf.Message, protobuf.Message> = {
    path: SAY_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  };
  const server = new grpc.Server(CHANNEL_OPTIONS);
  server.addService(
    { say },
    {
      say: (
        call: grpc.ServerUnaryCall<{ field1: string; field2: number }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const message = call.request;
        message.field1 = 'OK';
        message.field2 = 100;
        callback(null, message);
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

export interface GrpcCaller {
  say(): Promise<void>;
  close(): void;
}

/** One channel to `address` (`127.0.0.1:<port>`), connected before it returns. */
export async function connectGrpc(address: string, protoFile: string): Promise<GrpcCaller> {
  const type = loadBenchmarkType(protoFile);
  const { serialize, deserialize } = codec(type);
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())),
  );
  const request = type.create(benchmarkFields());
  return {
    say: () =>
      new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(
          SAY_PATH,
          serialize,
          deserialize,
          request,
          (error?: grpc.ServiceError | null, reply?: protobuf.Message) => {
            if (error) reject(error);
            else if ((reply as { field1?: string } | undefined)?.field1 !== 'OK') {
              reject(new Error('bad reply'));
            } else resolve();
          },
        );
      }),
    close: () => client.close(),
  };
}
