/**
 * Payload codecs on the benchmark message: encode and decode with protobuf (the 581-byte form),
 * JSON and MsgPack (the Go struct keyed by Go field names, as a Go client sends it), each beside
 * its bare library doing the same work without a codec: protobufjs `Type.encode` / `decode`,
 * `JSON.stringify` / `JSON.parse` with the UTF-8 step a byte payload needs either way, and
 * @msgpack/msgpack's `Encoder` / `Decoder` with their defaults. The ratio of each of our rows is
 * its rate ÷ the bare row's: what the codec layer (exact int64 included) costs.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
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
  title: 'Codecs: BenchmarkMessage encode / decode, ours beside the bare library',
  create() {
    const protobufCodec = createProtobufCodec();
    const message = createBenchmarkMessage();
    const fields = benchmarkFields();
    const struct = createGoBenchmarkStruct();
    const textDecoder = new TextDecoder();
    const msgpackEncoder = new Encoder();
    const msgpackDecoder = new Decoder();

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
    // The bare rows must do the same work: the same bytes out of the same value.
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
    check(same(BenchmarkMessage.encode(message).finish(), protobufBytes), 'bare protobuf bytes');
    check(same(Buffer.from(JSON.stringify(struct)), jsonBytes), 'bare JSON bytes');
    check(same(msgpackEncoder.encode(struct), msgpackBytes), 'bare MsgPack bytes');

    const task = (
      name: string,
      operation: () => Uint8Array | object,
      reference?: string,
    ): BenchTask => ({
      name,
      unit: 'op',
      opsPerRun: OPS_PER_RUN,
      reference,
      run() {
        for (let i = 0; i < OPS_PER_RUN; i++) {
          const result = operation();
          sink(result instanceof Uint8Array ? result.length : 1);
        }
      },
    });
    /** The bare row, then ours with the bare one as its reference (the Ratio column). */
    const pair = (
      bare: string,
      bareOperation: () => Uint8Array | object,
      ours: string,
      operation: () => Uint8Array | object,
    ): BenchTask[] => [task(bare, bareOperation), task(ours, operation, bare)];

    return {
      notes: [
        `payload sizes: protobuf ${protobufBytes.length} B, JSON ${jsonBytes.length} B, ` +
          `MsgPack ${msgpackBytes.length} B`,
        `${OPS_PER_RUN} operations per sample; mean is per operation`,
        'Ratio: our codec ÷ the bare library row above it (rate), from the two run in turn: ' +
          'the median of the rounds; 1.00 is no codec overhead',
      ],
      tasks: [
        ...pair(
          'protobufjs Type.encode (bare)',
          () => BenchmarkMessage.encode(message).finish(),
          'protobuf encode',
          () => protobufCodec.encode(message),
        ),
        ...pair(
          'protobufjs Type.decode (bare)',
          () => BenchmarkMessage.decode(protobufBytes),
          'protobuf decode',
          () => protobufCodec.decode(protobufBytes, BenchmarkMessage),
        ),
        ...pair(
          'JSON.stringify + Buffer.from (bare)',
          () => Buffer.from(JSON.stringify(struct), 'utf8'),
          'json encode',
          () => jsonCodec.encode(struct),
        ),
        ...pair(
          'TextDecoder + JSON.parse (bare)',
          () => JSON.parse(textDecoder.decode(jsonBytes)) as object,
          'json decode',
          () => jsonCodec.decode(jsonBytes) as object,
        ),
        ...pair(
          '@msgpack/msgpack Encoder (bare)',
          () => msgpackEncoder.encode(struct),
          'msgpack encode',
          () => msgpackCodec.encode(struct),
        ),
        ...pair(
          '@msgpack/msgpack Decoder (bare)',
          () => msgpackDecoder.decode(msgpackBytes) as object,
          'msgpack decode',
          () => msgpackCodec.decode(msgpackBytes) as object,
        ),
        // A plain object needs verify() before protobufjs may encode it.
        task('protobuf encode (plain object, verified)', () =>
          protobufCodec.encode(fields, BenchmarkMessage),
        ),
      ],
    };
  },
};
