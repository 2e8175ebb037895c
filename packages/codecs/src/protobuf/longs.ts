/**
 * Internal: bigint in int64 fields. protobufjs writes 64-bit fields from a number or a Long-like
 * `{ low, high }`; a bigint would be written as 0 without a word. This turns every bigint into the
 * Long-like form (two's-complement bits, exact) before encoding, copying only what changes.
 *
 * With a reflected type, a plan made once per type names the fields that can hold one: its 64-bit
 * fields, whose values are only checked for being a bigint (a Long is left alone), and its message
 * fields whose type has such fields, followed with that type. The benchmark message has 40 fields
 * and two of them are 64-bit; a type without any (nor messages with any) is not looked at. A
 * static class carries no field list: its own keys are walked, nested objects too.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';

const INT64_MIN = -(2n ** 63n);
const INT64_END = 2n ** 63n;
const UINT64_END = 2n ** 64n;
const LOW_32 = 0xffffffffn;

/** The protobufjs Long-like shape (what `Long.fromBits` would hold). */
export interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
}

export function bigintToLongBits(value: bigint): LongBits {
  if (value < INT64_MIN || value >= UINT64_END) {
    throw new RpcxError(ErrorCode.Codec, `protobuf: ${value} does not fit a 64-bit field`);
  }
  const bits = BigInt.asUintN(64, value);
  return {
    low: Number(bits & LOW_32) | 0,
    high: Number(bits >> 32n) | 0,
    unsigned: value >= INT64_END,
  };
}

/**
 * `value` with every bigint replaced by LongBits; the same reference when there is none. `type`
 * is the value's message type when known (its own `$type` is used otherwise).
 */
export function replaceBigInts(value: unknown, type?: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return bigintToLongBits(value);
  // Messages nest only as deep as their schema; 100 levels is protobufjs' own recursion limit.
  if (typeof value !== 'object' || value === null || depth > 100) return value;
  const plan = planOf(type ?? (value as { $type?: unknown }).$type);
  if (plan === undefined) {
    return ArrayBuffer.isView(value) ? value : replaceEach(value, UNKNOWN, depth);
  }
  let copy: Record<string, unknown> | undefined;
  // Run once per message encoded: an index loop, and an empty repeated field costs no call.
  for (let i = 0; i < plan.length; i++) {
    const field = plan[i]!;
    const item = (value as Record<string, unknown>)[field.name];
    let replaced = item;
    if (typeof item !== 'object' || item === null || field.shape === 'single') {
      replaced = replaceItem(item, field.message, depth);
    } else if (!Array.isArray(item) || item.length > 0) {
      replaced = replaceEach(item, field.message, depth);
    }
    if (replaced !== item) {
      copy ??= copyOf(value) as Record<string, unknown>;
      copy[field.name] = replaced;
    }
  }
  return copy ?? value;
}

/** Where a bigint can sit in one field of a reflected type. */
interface FieldPlan {
  name: string;
  /** A single value, each element of a repeated field, or each value of a map field. */
  shape: 'single' | 'repeated' | 'map';
  /** The type of a message field; undefined for a 64-bit scalar, whose bigint is replaced. */
  message: object | undefined;
}

/** The type of values no plan knows about: followed wherever they lead. */
const UNKNOWN = null;

/**
 * One value of a field: a 64-bit scalar (`message` undefined) is only checked for a bigint; a
 * message is followed with its type, or with its own `$type` or every key if UNKNOWN.
 */
function replaceItem(item: unknown, message: object | null | undefined, depth: number): unknown {
  if (typeof item === 'bigint') return bigintToLongBits(item);
  if (message === undefined || typeof item !== 'object' || item === null) return item;
  return replaceBigInts(item, message ?? undefined, depth + 1);
}

/** Each element of an array, or each own value of an object, through `replaceItem`. */
function replaceEach(items: object, message: object | null | undefined, depth: number): object {
  // Indexes for an array: no key list to make for each repeated field.
  const keys = Array.isArray(items) ? undefined : Object.keys(items);
  const count = keys === undefined ? (items as unknown[]).length : keys.length;
  let copy: Record<string | number, unknown> | undefined;
  for (let i = 0; i < count; i++) {
    const key = keys === undefined ? i : keys[i]!;
    const item = (items as Record<string | number, unknown>)[key];
    const replaced = replaceItem(item, message, depth);
    if (replaced !== item) {
      copy ??= copyOf(items) as Record<string | number, unknown>;
      copy[key] = replaced;
    }
  }
  return copy ?? items;
}

/** A shallow copy; an object keeps its prototype, so a message instance stays one of its type. */
function copyOf(value: object): object {
  if (Array.isArray(value)) return value.slice();
  return Object.assign(Object.create(Object.getPrototypeOf(value)), value);
}

/** The scalar types protobufjs writes from a 64-bit value (a number, a Long or LongBits). */
const LONG_SCALARS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
/** The other scalars: never written from a 64-bit value, so a bigint there is left to fail. */
const NARROW_SCALARS = new Set([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'bool',
  'string',
  'bytes',
]);

/** A field as a reflected `protobuf.Type` lists it. */
interface ReflectedField {
  name: string;
  type: string;
  repeated: boolean;
  map?: boolean;
  /** The message type or enum of a field that is not a scalar, once resolved. */
  resolvedType?: object | null;
  resolve?(): unknown;
}

const plans = new WeakMap<object, readonly FieldPlan[]>();
let lastType: object | undefined;
let lastPlan: readonly FieldPlan[] | undefined;
/** Types whose plan is being made: a message field of one of them may hold a bigint. */
const planning = new Set<object>();

/**
 * The fields of a reflected type that can hold a bigint: 64-bit scalars, and message fields whose
 * type has such fields (an empty plan: nothing to look at), made once per type; undefined for
 * anything else (a static class carries no field list).
 */
function planOf(type: unknown): readonly FieldPlan[] | undefined {
  if (typeof type !== 'object' || type === null) return undefined;
  // A server answers with the same few types over and over: the last one first (kept alive by
  // this, the one type not held weakly).
  if (type === lastType) return lastPlan;
  const known = plans.get(type);
  if (known !== undefined) {
    lastType = type;
    lastPlan = known;
    return known;
  }
  const fields = (type as { fieldsArray?: unknown }).fieldsArray;
  if (!Array.isArray(fields)) return undefined;
  planning.add(type);
  try {
    const plan: FieldPlan[] = [];
    for (const field of fields as ReflectedField[]) {
      const shape = field.map ? 'map' : field.repeated ? 'repeated' : 'single';
      if (LONG_SCALARS.has(field.type)) {
        plan.push({ name: field.name, shape, message: undefined });
      } else if (!NARROW_SCALARS.has(field.type)) {
        // A message or an enum (no bigint there): protobufjs resolves the name on first use.
        if (!field.resolvedType) field.resolve?.();
        const message = field.resolvedType ?? undefined;
        if (message !== undefined && (planning.has(message) || planOf(message)?.length)) {
          plan.push({ name: field.name, shape, message });
        }
      }
    }
    plans.set(type, plan);
    return plan;
  } finally {
    planning.delete(type);
  }
}
