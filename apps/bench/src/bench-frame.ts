/**
 * The request the protocol and frame-decoder suites work on: `Hello.Say` carrying the 581-byte
 * protobuf BenchmarkMessage (what rpcx-benchmark's client sends), with two metadata pairs as an
 * authenticated, traced call would have.
 */
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { MetadataKey, SerializeType } from '@rpcx/core';
import { Message, readMessage } from '@rpcx/protocol';
import { BENCH_PROTOBUF_SIZE, createBenchmarkMessage } from './bench-message.js';
import { check } from './suite.js';

export const BENCH_SERVICE_PATH = 'Hello';
export const BENCH_SERVICE_METHOD = 'Say';

export const BENCH_METADATA: Readonly<Record<string, string>> = Object.freeze({
  [MetadataKey.Auth]: 'bearer 8d5e957f297893487bd98fa830fa6413',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
});

/** The protobuf payload, encoded once. */
export function benchPayload(): Uint8Array {
  const payload = createProtobufCodec().encode(createBenchmarkMessage());
  check(
    payload.length === BENCH_PROTOBUF_SIZE,
    `protobuf payload is ${payload.length} bytes, expected ${BENCH_PROTOBUF_SIZE}`,
  );
  return payload;
}

/** The message in an uncompressed frame at `bytes[start, end)`, read in place. */
export function readPlainFrame(bytes: Buffer, start = 0, end = bytes.length): Message {
  const message = readMessage(bytes, start, end);
  check(message instanceof Message, 'an uncompressed frame reads synchronously');
  return message as Message;
}

/** A `Hello.Say` request with sequence number `seq`. */
export function createBenchRequest(seq: number, payload: Uint8Array): Message {
  const request = new Message({
    servicePath: BENCH_SERVICE_PATH,
    serviceMethod: BENCH_SERVICE_METHOD,
    metadata: { ...BENCH_METADATA },
    payload,
  });
  request.serializeType = SerializeType.ProtoBuffer;
  request.seqNumber = seq;
  return request;
}
