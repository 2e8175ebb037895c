/**
 * The payloads Go encoded, through our codecs: each vector's payload decodes to the value the Go
 * generator encoded, and for plain values our encoders write Go's very bytes.
 */
import { join } from 'node:path';
import { jsonCodec, rawCodec } from '@rpcx/codecs';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { decodeMessage } from '@rpcx/protocol';
import protobuf from 'protobufjs';
import { loadVectors, type Vector } from './support/vectors.js';

const protoDir = join(__dirname, '..', 'proto');
const root = protobuf.loadSync([join(protoDir, 'arith.proto'), join(protoDir, 'bench.proto')]);
const protobufCodec = createProtobufCodec();
const protobufTypes: Record<string, protobuf.Type> = {
  'request-protobuf': root.lookupType('arith.ArithArgs'),
  'request-protobuf-bench': root.lookupType('bench.BenchmarkMessage'),
};

/** The generator's JSON convention: unsafe integers as strings, bytes as {"$hex": ...}. */
function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return { $hex: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}

function decodePayload(vector: Vector, payload: Uint8Array): unknown {
  switch (vector.expect.serializeType) {
    case 0:
      return rawCodec.decode(payload);
    case 1:
      return jsonCodec.decode(payload);
    case 2: {
      const type = protobufTypes[vector.name]!;
      return type.toObject(protobufCodec.decode(payload, type), { longs: Number, defaults: true });
    }
    case 3:
      return msgpackCodec.decode(payload);
    default:
      throw new Error(`no codec for serialize type ${vector.expect.serializeType}`);
  }
}

const withValues = loadVectors().filter((v) => v.value !== undefined && v.value !== null);

describe('Go payloads through our codecs', () => {
  it('include every serialize type', () => {
    expect(new Set(withValues.map((v) => v.expect.serializeType))).toEqual(new Set([0, 1, 2, 3]));
  });

  it.each(withValues.map((v) => [v.name, v] as const))(
    '%s decodes to the Go value',
    async (_name, vector) => {
      const { payload } = await decodeMessage(Buffer.from(vector.hex, 'hex'));
      expect(normalise(decodePayload(vector, payload))).toEqual(vector.value);
    },
  );

  it.each([
    ['request-json', () => jsonCodec.encode({ A: 10, B: 20 })],
    ['request-msgpack', () => msgpackCodec.encode({ A: 10, B: 20 })],
    ['response-msgpack', () => msgpackCodec.encode({ C: 200 })],
    [
      'request-protobuf',
      () => protobufCodec.encode({ a: 10, b: 20 }, protobufTypes['request-protobuf']),
    ],
    [
      'request-protobuf-bench',
      () => {
        const vector = withValues.find((v) => v.name === 'request-protobuf-bench')!;
        const type = protobufTypes['request-protobuf-bench']!;
        return protobufCodec.encode(type.fromObject(vector.value as object));
      },
    ],
  ])('%s: our encoder writes the payload Go wrote', (name, encode) => {
    const vector = withValues.find((v) => v.name === name)!;
    expect(Buffer.from(encode()).toString('hex')).toBe(vector.expect.payloadHex);
  });

  it('the benchmark message is 581 bytes', () => {
    const vector = withValues.find((v) => v.name === 'request-protobuf-bench')!;
    expect(vector.expect.payloadHex.length / 2).toBe(581);
  });
});
