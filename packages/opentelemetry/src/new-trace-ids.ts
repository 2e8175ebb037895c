/**
 * Random numbers for the calls `rootSampleRatio` leaves out: a sampling draw and the ids of the
 * trace they start, drawn from one pool of crypto-random bytes refilled when used up — a few
 * hundred nanoseconds per call, where asking the SDK for a span it will not record costs
 * microseconds.
 */
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { INVALID_SPANID, INVALID_TRACEID, type SpanContext, TraceFlags } from '@opentelemetry/api';

// Large enough that the refills (a native call and the hex of the pool) are rare: each costs
// tens of microseconds in a busy process, a few in a loop.
const POOL_BYTES = 32 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
/** The pool as hex, made once per fill: an id is then a slice of it, not a conversion. */
let poolHex = '';
let used = POOL_BYTES;

/** The offset of the next `length` random bytes in the pool. */
function take(length: number): number {
  if (used + length > POOL_BYTES) {
    randomFillSync(pool);
    poolHex = pool.toString('hex');
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

/** The span context of a new trace that is not sampled: random ids, trace flags 00. */
export function unsampledRootSpanContext(): SpanContext {
  const at = 2 * take(24);
  const traceId = poolHex.slice(at, at + 32);
  const spanId = poolHex.slice(at + 32, at + 48);
  // All zeros is the invalid id, one draw in 2^64 at most: drawn again.
  if (traceId === INVALID_TRACEID || spanId === INVALID_SPANID) return unsampledRootSpanContext();
  return { traceId, spanId, traceFlags: TraceFlags.NONE, isRemote: false };
}
