/**
 * Payload codecs on the benchmark message: encode and decode with protobuf (the 581-byte form),
 * JSON and MsgPack (the Go struct keyed by Go field names, as a Go client sends it).
 */
import { jsonCodec } from '@rpcx/codecs';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import {
  BENCH_PROTOBUF_SIZE,
  BENCH_STRING,
  BenchmarkMessage,
  benchmarkFields,
  createBenchmarkMessage,
  createGoBenchmarkStruct,
  type GoBenchmarkStruct,
} from '../bench-message.js';
import { type BenchTask, check, type SuiteDefinition, sink } from '../suite.js';

/** Codec calls take about a microsecond: 100 per sample keeps timer reads out of the numbers. */
const OPS_PER_RUN = 100;

export const codecsSuite: SuiteDefinition = {
  name: 'codecs',
  title: 'Codecs: BenchmarkMessage encode / decode',
  create() {
    const protobufCodec = createProtobufCodec();
    const message = createBenchmarkMessage();
    const fields = benchmarkFields();
    const struct = createGoBenchmarkStruct();

    const protobufBytes = protobufCodec.encode(message);
    const jsonBytes = jsonCodec.encode(struct);
    const msgpackBytes = msgpackCodec.encode(struct);
    check(protobufBytes.length === BENCH_PROTOBUF_SIZE, 'protobuf payload is not 581 bytes');
    check(
      protobufCodec.decode(protobufBytes, BenchmarkMessage).field1 === BENCH_STRING,
      'protobuf does not decode back',
    );
    check(
      (jsonCodec.decode(jsonBytes) as GoBenchmarkStruct).Field131 === struct.Field131,
      'JSON does not decode back',
    );
    check(
      (msgpackCodec.decode(msgpackBytes) as GoBenchmarkStruct).Field129 === struct.Field129,
      'MsgPack does not decode back',
    );

    const task = (name: string, operation: () => Uint8Array | object): BenchTask => ({
      name,
      unit: 'op',
      opsPerRun: OPS_PER_RUN,
      run() {
        for (let i = 0; i < OPS_PER_RUN; i++) {
          const result = operation();
          sink(result instanceof Uint8Array ? result.length : 1);
        }
      },
    });

    return {
      notes: [
        `payload sizes: protobuf ${protobufBytes.length} B, JSON ${jsonBytes.length} B, ` +
          `MsgPack ${msgpackBytes.length} B`,
        `${OPS_PER_RUN} operations per sample; mean is per operation`,
      ],
      tasks: [
        task('protobuf encode', () => protobufCodec.encode(message)),
        task('protobuf decode', () => protobufCodec.decode(protobufBytes, BenchmarkMessage)),
        task('json encode', () => jsonCodec.encode(struct)),
        task('json decode', () => jsonCodec.decode(jsonBytes) as object),
        task('msgpack encode', () => msgpackCodec.encode(struct)),
        task('msgpack decode', () => msgpackCodec.decode(msgpackBytes) as object),
        // For comparison: a plain object needs verify() first; bare protobufjs has no codec layer.
        task('protobuf encode (plain object, verified)', () =>
          protobufCodec.encode(fields, BenchmarkMessage),
        ),
        task('protobufjs Type.encode (bare, no codec)', () =>
          BenchmarkMessage.encode(message).finish(),
        ),
      ],
    };
  },
};
