import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonCodec } from '@rpcx/codecs';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import protobuf from 'protobufjs';
import {
  BENCH_PROTOBUF_SIZE,
  BENCH_STRING,
  BenchmarkMessage,
  benchmarkFields,
  createBenchmarkMessage,
  createGoBenchmarkStruct,
  FIELD_TABLE,
  goFieldName,
} from './bench-message.js';

// Go's encoding of the same message, written by conformance/go/cmd/vectorgen. Read as data only.
const vectorPath = join(
  __dirname,
  '..',
  '..',
  '..',
  'conformance',
  'vectors',
  'request-protobuf-bench.json',
);
const vector = JSON.parse(readFileSync(vectorPath, 'utf8')) as {
  expect: { payloadHex: string; wirePayloadLength: number };
  value: Record<string, unknown>;
};
const goPayload = Buffer.from(vector.expect.payloadHex, 'hex');

const codec = createProtobufCodec();

describe('BenchmarkMessage', () => {
  it('has the 40 fields of the table, in declaration order', () => {
    expect(FIELD_TABLE).toHaveLength(40);
    expect(BenchmarkMessage.fullName).toBe('.bench.BenchmarkMessage');
    expect(BenchmarkMessage.fieldsArray.map((field) => [field.name, field.id, field.type])).toEqual(
      FIELD_TABLE.map(([name, id, type]) => [name, id, type]),
    );
    const field5 = BenchmarkMessage.fields.field5!;
    expect(field5.repeated).toBe(true);
    expect(field5.packed).toBe(true); // proto3
  });

  it('fills every string with the 54-byte sentence', () => {
    expect([...BENCH_STRING]).toHaveLength(18);
    expect(Buffer.byteLength(BENCH_STRING)).toBe(54);
  });

  it('encodes in exactly 581 bytes, byte-equal to Go (vector request-protobuf-bench)', () => {
    expect(goPayload).toHaveLength(BENCH_PROTOBUF_SIZE);
    expect(vector.expect.wirePayloadLength).toBe(BENCH_PROTOBUF_SIZE);

    const fromInstance = codec.encode(createBenchmarkMessage());
    expect(fromInstance).toHaveLength(BENCH_PROTOBUF_SIZE);
    expect(Buffer.from(fromInstance).equals(goPayload)).toBe(true);

    const fromPlainObject = codec.encode(benchmarkFields(), BenchmarkMessage);
    expect(Buffer.from(fromPlainObject).equals(goPayload)).toBe(true);
  });

  it('holds the values the vector was generated from', () => {
    expect(benchmarkFields()).toEqual(vector.value);
  });

  it('decodes Go bytes back to the same values', () => {
    const decoded = codec.decode(goPayload, BenchmarkMessage);
    const plain = BenchmarkMessage.toObject(decoded, { longs: Number, arrays: true });
    expect(plain).toEqual(benchmarkFields());
    expect(decoded.field22).toBeInstanceOf(protobuf.util.Long);
  });
});

describe('Go struct variant (JSON and MsgPack)', () => {
  const struct = createGoBenchmarkStruct();

  it('carries the same values under Go field names; the unset Field5 is a nil slice', () => {
    const fields = benchmarkFields() as unknown as Record<string, unknown>;
    const expected: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      expected[goFieldName(name)] = name === 'field5' ? null : value;
    }
    expect(struct).toEqual(expected);
    expect(Object.keys(struct)).toHaveLength(40);
    expect(struct.Field1).toBe(BENCH_STRING);
    expect(struct.Field22).toBe(100000);
    expect(struct.Field80).toBe(true);
    expect(struct.Field5).toBeNull();
  });

  it('round-trips through jsonCodec', () => {
    const bytes = jsonCodec.encode(struct);
    expect(jsonCodec.decode(bytes)).toEqual(struct);
    expect(Buffer.from(bytes).toString('utf8')).toContain('"Field5":null');
  });

  it('round-trips through msgpackCodec', () => {
    const bytes = msgpackCodec.encode(struct);
    expect(msgpackCodec.decode(bytes)).toEqual(struct);
    // A map of 40 entries: map16 (0xde) with a big-endian count.
    expect([...bytes.subarray(0, 3)]).toEqual([0xde, 0x00, 40]);
  });
});
