/**
 * The `BenchmarkMessage` of Go rpcx's benchmarks and of rpcx-benchmark (shared/bench-message.md),
 * defined here from its field table so that the numbers sit next to theirs:
 *
 * - `BenchmarkMessage`: a reflected protobufjs `Type` (proto3) built from `FIELD_TABLE`;
 * - `createBenchmarkMessage()`: the message filled the way rpcx-benchmark fills it (every
 *   int32/int64 100000, every bool true, every string the 18-character Chinese sentence, field5
 *   empty), which protobuf encodes in exactly 581 bytes;
 * - `createGoBenchmarkStruct()`: the same values keyed by Go field names (`Field1`, `Field9`, ...),
 *   the object a Go client sends with the JSON or MsgPack codec.
 */
import protobuf from 'protobufjs';

/** The string rpcx-benchmark puts in every string field: 18 characters, 54 bytes of UTF-8. */
export const BENCH_STRING = '许多往事在眼前一幕一幕，变的那麼模糊';
/** The value of every int32 and int64 field. */
export const BENCH_INT = 100000;
/** Size of the filled message encoded with protobuf, as Go encodes it. */
export const BENCH_PROTOBUF_SIZE = 581;

type ScalarType = 'string' | 'bool' | 'int32' | 'int64' | 'fixed64';

/** Name, field number, type, and `repeated` where it applies; in declaration order. */
export const FIELD_TABLE = [
  ['field1', 1, 'string'],
  ['field9', 9, 'string'],
  ['field18', 18, 'string'],
  ['field80', 80, 'bool'],
  ['field81', 81, 'bool'],
  ['field2', 2, 'int32'],
  ['field3', 3, 'int32'],
  ['field280', 280, 'int32'],
  ['field6', 6, 'int32'],
  ['field22', 22, 'int64'],
  ['field4', 4, 'string'],
  ['field5', 5, 'fixed64', 'repeated'],
  ['field59', 59, 'bool'],
  ['field7', 7, 'string'],
  ['field16', 16, 'int32'],
  ['field130', 130, 'int32'],
  ['field12', 12, 'bool'],
  ['field17', 17, 'bool'],
  ['field13', 13, 'bool'],
  ['field14', 14, 'bool'],
  ['field104', 104, 'int32'],
  ['field100', 100, 'int32'],
  ['field101', 101, 'int32'],
  ['field102', 102, 'string'],
  ['field103', 103, 'string'],
  ['field29', 29, 'int32'],
  ['field30', 30, 'bool'],
  ['field60', 60, 'int32'],
  ['field271', 271, 'int32'],
  ['field272', 272, 'int32'],
  ['field150', 150, 'int32'],
  ['field23', 23, 'int32'],
  ['field24', 24, 'bool'],
  ['field25', 25, 'int32'],
  ['field78', 78, 'bool'],
  ['field67', 67, 'int32'],
  ['field68', 68, 'int32'],
  ['field128', 128, 'int32'],
  ['field129', 129, 'string'],
  ['field131', 131, 'int32'],
] as const satisfies readonly (
  | readonly [string, number, ScalarType]
  | readonly [string, number, ScalarType, 'repeated']
)[];

type FieldRow = (typeof FIELD_TABLE)[number];

type ScalarValue<T extends ScalarType> = T extends 'string'
  ? string
  : T extends 'bool'
    ? boolean
    : number;

/** The message's fields as a plain object, keyed by their proto names. */
export type BenchmarkFields = {
  [R in FieldRow as R[0]]: R extends readonly [
    string,
    number,
    infer T extends ScalarType,
    'repeated',
  ]
    ? ScalarValue<T>[]
    : ScalarValue<R[2]>;
};

/**
 * The Go struct as the JSON and MsgPack codecs carry it: Go field names, and a repeated field
 * that was never set is a nil slice (`null` in JSON, `nil` in MsgPack).
 */
export type GoBenchmarkStruct = {
  [R in FieldRow as Capitalize<R[0]>]: R extends readonly [
    string,
    number,
    infer T extends ScalarType,
    'repeated',
  ]
    ? ScalarValue<T>[] | null
    : ScalarValue<R[2]>;
};

/** The reflected type, proto3 (package `bench`, like conformance/proto/bench.proto). */
export const BenchmarkMessage: protobuf.Type = buildType();

function buildType(): protobuf.Type {
  const fields: Record<string, protobuf.IField> = {};
  for (const row of FIELD_TABLE) {
    const [name, id, type] = row;
    fields[name] = row.length === 4 ? { id, type, rule: row[3] } : { id, type };
  }
  // Types read from JSON descriptors default to proto3: implicit presence, packed repeated fields.
  const root = protobuf.Root.fromJSON({
    nested: { bench: { nested: { BenchmarkMessage: { fields } } } },
  });
  return root.lookupType('bench.BenchmarkMessage');
}

/** The filled message as a plain object with proto field names. */
export function benchmarkFields(): BenchmarkFields {
  const fields: Record<string, unknown> = {};
  for (const row of FIELD_TABLE) {
    const [name, , type] = row;
    fields[name] = row.length === 4 ? [] : fillValue(type);
  }
  return fields as BenchmarkFields;
}

/** The filled message as a protobufjs message instance of `BenchmarkMessage`. */
export function createBenchmarkMessage(): protobuf.Message & BenchmarkFields {
  return BenchmarkMessage.create(benchmarkFields()) as protobuf.Message & BenchmarkFields;
}

/** The filled message keyed by Go field names, as a Go client sends it with JSON or MsgPack. */
export function createGoBenchmarkStruct(): GoBenchmarkStruct {
  const struct: Record<string, unknown> = {};
  for (const row of FIELD_TABLE) {
    const [name, , type] = row;
    // rpcx-benchmark never sets Field5, so Go sends a nil slice.
    struct[goFieldName(name)] = row.length === 4 ? null : fillValue(type);
  }
  return struct as GoBenchmarkStruct;
}

/** `field22` → `Field22`, the name protoc-gen-go gives the struct field. */
export function goFieldName(protoName: string): string {
  return protoName.charAt(0).toUpperCase() + protoName.slice(1);
}

function fillValue(type: ScalarType): string | boolean | number {
  switch (type) {
    case 'string':
      return BENCH_STRING;
    case 'bool':
      return true;
    default:
      return BENCH_INT;
  }
}
