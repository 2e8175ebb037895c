/**
 * Go's `ConsistentHash` (spec §5.6): FNV-1a 64 of a key, then edwingeng/doublejump v1.0.1 over the
 * server keys (Lamping–Veach jump hash that tolerates removals). For the same key bytes and the
 * same insertions and removals the bucket is Go's exactly (conformance/tests/consistent-hash.spec.ts
 * checks it against the Go library).
 *
 * Differences from Go, on purpose:
 * - Servers are inserted in sorted key order, so every TS process maps a key to the same server;
 *   Go inserts in map order (random), so two Go processes may disagree. Later updates add the new
 *   keys (sorted) and then remove the vanished ones (in sorted order), as Go does; no compaction.
 * - The default key is `"/" + servicePath + "/" + serviceMethod + "/" + fmt("%v", args)` with Go's
 *   `%v` approximated for JS values (see `formatGoValue`). Go formats by static type, which JS
 *   values do not carry, so a cross-language deployment that needs TS and Go clients to agree
 *   must pass `key` (for example a user id as a string) on both sides.
 *
 * 64-bit arithmetic runs on two 32-bit halves: about 10× faster than BigInt for the hash, and
 * the jump loop needs no allocation. BigInt appears only at the public helpers.
 */
import type { SelectContext, Selector, ServiceEndpoint } from '@rpcx/core';
import { uniqueKeys } from './endpoint-list.js';

/** The bytes (or a string, hashed as UTF-8) that decide the server for one call. */
export type HashKeyFunction = (ctx: SelectContext) => string | Uint8Array;

export interface ConsistentHashOptions {
  /** The call's hash key; default `consistentHashKey` (Go's, with `%v` approximated). */
  key?: HashKeyFunction;
}

export class ConsistentHashSelector implements Selector {
  private readonly table = new DoubleJump();
  /** The current keys, sorted. */
  private servers: string[] = [];
  private readonly key: HashKeyFunction;

  constructor(options: ConsistentHashOptions = {}) {
    this.key = options.key ?? consistentHashKey;
  }

  select(ctx: SelectContext): string | undefined {
    if (this.servers.length === 0) return undefined;
    const key = this.key(ctx);
    if (typeof key === 'string') fnvString(key);
    else fnvBytes(key);
    return this.table.get(outHi, outLo);
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    const keys = uniqueKeys(endpoints).sort();
    const current = new Set(keys);
    for (const key of keys) this.table.add(key);
    for (const key of this.servers) if (!current.has(key)) this.table.remove(key);
    this.servers = keys;
  }
}

/** Go's key string: `/servicePath/serviceMethod/` + `%v` of the args (approximated). */
export function consistentHashKey(ctx: SelectContext): string {
  return `/${ctx.servicePath}/${ctx.serviceMethod}/${formatGoValue(ctx.args)}`;
}

/** FNV-1a 64 of the string's UTF-8 bytes, as rpcx's `HashString`. */
export function hashString(text: string): bigint {
  fnvString(text);
  return toBigInt(outHi, outLo);
}

/** FNV-1a 64 of the bytes. */
export function hashBytes(bytes: Uint8Array): bigint {
  fnvBytes(bytes);
  return toBigInt(outHi, outLo);
}

/**
 * Jump consistent hash: the bucket in [0, buckets) for `key` (taken mod 2^64), as rpcx's
 * `Hash(key, buckets)`; `buckets` below 1 counts as 1.
 */
export function jumpHash(key: bigint, buckets: number): number {
  const k = BigInt.asUintN(64, key);
  const n = buckets >= 1 ? Math.floor(buckets) : 1;
  return jump(Number(k >> 32n), Number(k & 0xffff_ffffn), n);
}

/**
 * Go's `fmt.Sprintf("%v", value)`, approximated: strings as they are; integers in decimal (Go
 * ints), other numbers as Go's `%g` of a float64; bigint in decimal; booleans; `null` and
 * `undefined` as `<nil>`; bytes and arrays as `[1 2 3]`; a `Map` as `map[k:v]` with sorted keys;
 * a `Date` as Go's `time.Time` in UTC; an `Error` as its message; an object with its own
 * `toString` as its result (Go's `Stringer`); any other object as a struct, its property values
 * in order, `&{10 20}` at the top (Go's args are pointers to structs) and `{10 20}` inside.
 * Never throws.
 */
export function formatGoValue(value: unknown): string {
  try {
    return format(value, 0, new Set());
  } catch {
    // A throwing getter, toString or proxy trap; Go prints a panic this way.
    return '%!v(PANIC)';
  }
}

// ---------------------------------------------------------------------------------------------
// Internal

// The result of the last hash, as two unsigned 32-bit halves (no allocation per call).
let outHi = 0;
let outLo = 0;

const OFFSET_HI = 0xcbf2_9ce4;
const OFFSET_LO = 0x8422_2325;
// The FNV prime is 2^40 + 0x1b3: h·prime = h·0x1b3 + (h << 40).
const PRIME_LOW = 0x1b3;
// Lamping–Veach multiplier 2862933555777941757 and doublejump's second-array multiplier.
const JUMP_HI = 0x27bb_2ee6;
const JUMP_LO = 0x87b0_b0fd;
const MIX_HI = 0xc6a4_a793;
const MIX_LO = 0x5bd1_e995;

function fnvBytes(bytes: Uint8Array): void {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    const low = lo * PRIME_LOW;
    hi = (Math.imul(hi, PRIME_LOW) + Math.floor(low / 0x1_0000_0000) + (lo << 8)) >>> 0;
    lo = low >>> 0;
  }
  outHi = hi;
  outLo = lo;
}

/** FNV-1a over the UTF-8 encoding, without encoding to a buffer (lone surrogates as U+FFFD). */
function fnvString(text: string): void {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  const mix = (byte: number): void => {
    lo = (lo ^ byte) >>> 0;
    const low = lo * PRIME_LOW;
    hi = (Math.imul(hi, PRIME_LOW) + Math.floor(low / 0x1_0000_0000) + (lo << 8)) >>> 0;
    lo = low >>> 0;
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      mix(c);
      continue;
    }
    if (c < 0x800) {
      mix(0xc0 | (c >> 6));
      mix(0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        mix(0xf0 | (c >> 18));
        mix(0x80 | ((c >> 12) & 0x3f));
        mix(0x80 | ((c >> 6) & 0x3f));
        mix(0x80 | (c & 0x3f));
        continue;
      }
      c = 0xfffd;
    }
    mix(0xe0 | (c >> 12));
    mix(0x80 | ((c >> 6) & 0x3f));
    mix(0x80 | (c & 0x3f));
  }
  outHi = hi;
  outLo = lo;
}

// The product of the last `mul64`.
let mulHi = 0;
let mulLo = 0;

/** (ah·2^32 + al) · (bh·2^32 + bl) mod 2^64, into mulHi/mulLo; every partial sum exact. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + (p00 >>> 16);
  mulLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  mulHi = (a1 * b1 + Math.floor(mid / 0x1_0000) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/**
 * Lamping–Veach with Go's arithmetic: `key = key·2862933555777941757 + 1 (mod 2^64)`,
 * `j = int64(float64(b+1) · (2^31 / float64(key>>33 + 1)))`; the same IEEE double operations
 * in the same order, so the same result. `n` ≥ 1.
 */
function jump(hi: number, lo: number, n: number): number {
  let b = -1;
  let j = 0;
  while (j < n) {
    b = j;
    mul64(hi, lo, JUMP_HI, JUMP_LO);
    lo = (mulLo + 1) >>> 0;
    hi = lo === 0 ? (mulHi + 1) >>> 0 : mulHi;
    j = Math.floor((b + 1) * (2147483648 / ((hi >>> 1) + 1)));
  }
  return b;
}

function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * edwingeng/doublejump v1.0.1: a *loose* array where removal leaves a hole (reused, last freed
 * first, by the next add) and a *compact* array where the last element fills the hole. A key
 * that jumps to a hole in the loose array jumps again over the compact one with a mixed key.
 */
class DoubleJump {
  private readonly loose: (string | undefined)[] = [];
  private readonly looseAt = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly compact: string[] = [];
  private readonly compactAt = new Map<string, number>();

  add(key: string): void {
    if (!this.looseAt.has(key)) {
      const slot = this.free.pop();
      if (slot === undefined) {
        this.looseAt.set(key, this.loose.length);
        this.loose.push(key);
      } else {
        this.loose[slot] = key;
        this.looseAt.set(key, slot);
      }
    }
    if (!this.compactAt.has(key)) {
      this.compactAt.set(key, this.compact.length);
      this.compact.push(key);
    }
  }

  remove(key: string): void {
    const slot = this.looseAt.get(key);
    if (slot !== undefined) {
      this.free.push(slot);
      this.loose[slot] = undefined;
      this.looseAt.delete(key);
    }
    const index = this.compactAt.get(key);
    if (index !== undefined) {
      const last = this.compact.pop()!;
      if (index < this.compact.length) {
        this.compact[index] = last;
        this.compactAt.set(last, index);
      }
      this.compactAt.delete(key);
    }
  }

  /** The server for the 64-bit key `hi·2^32 + lo`, or `undefined` when there is none. */
  get(hi: number, lo: number): string | undefined {
    const loose = this.loose;
    if (loose.length === 0) return undefined;
    const found = loose[jump(hi, lo, loose.length)];
    if (found !== undefined) return found;
    const compact = this.compact;
    if (compact.length === 0) return undefined;
    mul64(hi, lo, MIX_HI, MIX_LO);
    return compact[jump(mulHi, mulLo, compact.length)];
  }
}

const MAX_DEPTH = 32;

function format(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatNumber(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return '<nil>';
    case 'symbol':
      return value.toString();
    case 'function':
      return '<func>';
  }
  if (value === null) return '<nil>';
  const object = value as object;
  // Go prints a pointer met again (or deep down) as an address; any fixed text will do here.
  if (seen.has(object) || depth > MAX_DEPTH) return '<cycle>';
  seen.add(object);
  try {
    return formatObject(object, depth, seen);
  } finally {
    seen.delete(object);
  }
}

function formatObject(object: object, depth: number, seen: Set<object>): string {
  const inner = (item: unknown): string => format(item, depth + 1, seen);
  // By internal tag, not instanceof: values may come from another realm (vm, jest).
  const tag = Object.prototype.toString.call(object);
  if (ArrayBuffer.isView(object)) {
    if (tag === '[object Uint8Array]' || tag === '[object DataView]') {
      return `[${new Uint8Array(object.buffer, object.byteOffset, object.byteLength).join(' ')}]`;
    }
    return `[${Array.from(object as unknown as ArrayLike<unknown>, inner).join(' ')}]`;
  }
  if (tag === '[object ArrayBuffer]') return `[${new Uint8Array(object as ArrayBuffer).join(' ')}]`;
  if (Array.isArray(object)) return `[${object.map(inner).join(' ')}]`;
  if (tag === '[object Map]') {
    return `map[${formatEntries([...(object as Map<unknown, unknown>).entries()], inner)}]`;
  }
  if (tag === '[object Set]') return `[${Array.from(object as Set<unknown>, inner).join(' ')}]`;
  if (tag === '[object Date]') return formatTime(object as Date);
  if (tag === '[object Error]') return String((object as Error).message);
  const stringer: unknown = (object as { toString?: unknown }).toString;
  if (typeof stringer === 'function' && stringer !== Object.prototype.toString) {
    return String(stringer.call(object));
  }
  const fields = Object.values(object).map(inner).join(' ');
  return depth === 0 ? `&{${fields}}` : `{${fields}}`;
}

/** Go's map printing: entries sorted by key (numerically when every key is a number). */
function formatEntries(entries: [unknown, unknown][], inner: (item: unknown) => string): string {
  const numeric = entries.every(([key]) => typeof key === 'number' || typeof key === 'bigint');
  const items = entries.map(([key, item]) => ({ key, keyText: inner(key), text: inner(item) }));
  items.sort((a, b) => {
    if (numeric) return Number(a.key) - Number(b.key);
    return a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0;
  });
  return items.map((item) => `${item.keyText}:${item.text}`).join(' ');
}

/** Integers as Go ints; anything else as Go's `%v` of a float64 (shortest `%g`, exponent ≥ 6). */
function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const [mantissa = '', exponentText = '0'] = n.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const exponent = Number(exponentText);
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

/** Go's `time.Time.String()` in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
function formatTime(date: Date): string {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) return '<nil>';
  const iso = date.toISOString(); // 2024-03-05T07:08:09.120Z
  if (year < 0 || year > 9999) return iso; // toISOString widens the year; rare enough
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}
