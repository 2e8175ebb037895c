/**
 * The smooth weighted round robin of nginx, as Go rpcx runs it (spec §5.4), shared by the
 * weighted round robin and network quality selectors. Go precomputes one period of the sequence
 * (Σ weights entries) into a ring and walks it; so does this, with two guards Go lacks:
 *
 * - Weights are first divided by their greatest common divisor. The sequence for weights k·w is
 *   the one for w repeated k times (every period ends with all current weights back at 0), so
 *   the picks are identical and the ring is k times smaller.
 * - Past `MAX_RING_ENTRIES` the ring is not built: each `next()` runs one step of the algorithm
 *   instead (O(servers) instead of O(1)), which yields the very same sequence.
 *
 * Weights are clamped to integers in [0, 2^31 − 1]. A weight of 0 is never picked while any
 * weight is positive; when every weight is 0 each server counts as weight 1, i.e. plain round
 * robin (Go builds an empty ring and panics on the next select).
 */

/** The largest ring precomputed (entries); larger periods are stepped on demand. */
export const MAX_RING_ENTRIES = 1 << 16;
/** Weights above this count as this, so sums stay exact in a double for millions of servers. */
export const MAX_WEIGHT = 0x7fff_ffff;

export class SmoothRing {
  private keys: readonly string[] = [];
  /** One period of picks (indices into `keys`), or `undefined` when stepped on demand. */
  private ring: Uint32Array | undefined;
  private position = 0;
  private weights: number[] = [];
  private current: number[] = [];
  private total = 0;

  /** The number of servers. */
  get size(): number {
    return this.keys.length;
  }

  /** Replaces the servers and their weights (same order) and restarts the sequence, as Go does. */
  reset(keys: readonly string[], weights: readonly number[]): void {
    const n = keys.length;
    this.keys = keys;
    this.position = 0;
    this.weights = normalise(weights, n);
    this.total = this.weights.reduce((sum, w) => sum + w, 0);
    this.current = new Array<number>(n).fill(0);
    this.ring = undefined;
    if (n === 0 || this.total > MAX_RING_ENTRIES) return;
    const ring = new Uint32Array(this.total);
    for (let i = 0; i < ring.length; i++) ring[i] = this.step();
    this.ring = ring;
  }

  /** The next server of the sequence, or `undefined` when there is none. */
  next(): string | undefined {
    if (this.keys.length === 0) return undefined;
    const ring = this.ring;
    if (ring === undefined) return this.keys[this.step()];
    const index = ring[this.position]!;
    this.position = this.position + 1 === ring.length ? 0 : this.position + 1;
    return this.keys[index];
  }

  /**
   * One step of Go's `next()`: every current weight grows by its weight; the strictly greatest
   * (first in list order on ties; index 0 if none is positive) wins and loses the total.
   */
  private step(): number {
    const { weights, current } = this;
    if (weights.length === 1) return 0;
    let best = 0;
    let max = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > max) {
        max = current[i]!;
        best = i;
      }
    }
    current[best]! -= this.total;
    return best;
  }
}

// ---------------------------------------------------------------------------------------------
// Internal

/** Integer weights in [0, MAX_WEIGHT], all 1 if none is positive, divided by their GCD. */
function normalise(weights: readonly number[], n: number): number[] {
  const result = new Array<number>(n);
  let divisor = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    const clamped = w !== undefined && w > 0 ? Math.min(Math.floor(w), MAX_WEIGHT) : 0;
    result[i] = clamped;
    if (clamped > 0) divisor = gcd(divisor, clamped);
  }
  if (divisor === 0) return result.fill(1);
  if (divisor > 1) for (let i = 0; i < n; i++) result[i]! /= divisor;
  return result;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
