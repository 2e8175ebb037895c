/**
 * Random numbers for the calls `rootSampleRatio` leaves out: a sampling draw and the new trace
 * they start, drawn from one pool of crypto-random bytes refilled when used up — a few hundred
 * nanoseconds per call, where asking the SDK for a span it will not record costs microseconds.
 *
 * A new trace comes as its whole `traceparent` value, cut from a string of a few hundred made at
 * once: a slice of one flat string, which the frame writer measures and copies on V8's quick
 * path, where a value put together per call (`00-` + ids + `-00`, a rope) takes the slow one.
 */
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { type SpanContext, TraceFlags } from '@opentelemetry/api';

// Large enough that the refills (a native call) are rare: each costs tens of microseconds in a
// busy process, a few in a loop.
const POOL_BYTES = 32 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** The offset of the next `length` random bytes in the pool. */
function take(length: number): number {
  if (used + length > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const offset = used;
  used += length;
  return offset;
}

/** A uniform draw in [0, 1), 32 bits of it. */
export function randomFraction(): number {
  return pool.readUInt32LE(take(4)) / 0x1_0000_0000;
}

/** `00-<32 hex>-<16 hex>-00` */
const TRACEPARENT_LENGTH = 55;
/** Trace ids and span ids made at once. */
const BATCH = 256;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;
const ZERO = 0x30;

let batch = '';
let next = BATCH;

/**
 * The `traceparent` of a new trace that is not sampled: a random trace id and span id, trace
 * flags `00`.
 */
export function newUnsampledTraceparent(): string {
  if (next === BATCH) {
    batch = makeBatch();
    next = 0;
  }
  const at = next++ * TRACEPARENT_LENGTH;
  return batch.slice(at, at + TRACEPARENT_LENGTH);
}

/** The span context a `traceparent` of `newUnsampledTraceparent` names. */
export function unsampledSpanContextOf(traceparent: string): SpanContext {
  return {
    traceId: traceparent.slice(3, 35),
    spanId: traceparent.slice(36, 52),
    traceFlags: TraceFlags.NONE,
    isRemote: false,
  };
}

/** `BATCH` traceparents end to end, as one flat string. */
function makeBatch(): string {
  const text = Buffer.allocUnsafe(BATCH * TRACEPARENT_LENGTH);
  let at = 0;
  for (let i = 0; i < BATCH; i++) {
    text[at++] = ZERO;
    text[at++] = ZERO;
    text[at++] = DASH;
    at = writeId(text, at, 16);
    text[at++] = DASH;
    at = writeId(text, at, 8);
    text[at++] = DASH;
    text[at++] = ZERO;
    text[at++] = ZERO;
  }
  return text.toString('latin1');
}

/** `bytes` random bytes as hex at `text[at]`; returns the offset after them. */
function writeId(text: Buffer, at: number, bytes: number): number {
  const from = take(bytes);
  let any = 0;
  for (let i = 0; i < bytes; i++) {
    const byte = pool[from + i]!;
    any |= byte;
    text[at++] = HEX_DIGITS[byte >>> 4]!;
    text[at++] = HEX_DIGITS[byte & 0x0f]!;
  }
  // All zeros is the invalid id (one draw in 2^64 at most): its last digit becomes 1.
  if (any === 0) text[at - 1] = ZERO + 1;
  return at;
}
