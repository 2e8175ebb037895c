/**
 * Latencies in ms, counted per microsecond: p50 and p99 are exact to the µs whatever the number
 * of calls, in a fixed 400 KiB. (A log of every value grew with the run — a 6 s row at 700 k/s
 * needs 34 MB — and large buffers allocated while measuring trigger full GCs.)
 */
export class LatencyLog {
  /** `counts[i]`: calls that took [i, i + 1) µs, below `SPAN_US`. */
  private readonly counts = new Uint32Array(SPAN_US);
  /** The rare calls past the span, in ms, kept as they are. */
  private readonly slow: number[] = [];
  count = 0;

  add(ms: number): void {
    const micros = Math.floor(ms * 1000);
    if (micros < SPAN_US) this.counts[micros] = this.counts[micros]! + 1;
    else this.slow.push(ms);
    this.count++;
  }

  /**
   * `calls` calls that each took `micros` µs (whole µs), as another process counted them (a Go
   * client reports its latencies that way).
   */
  addCount(micros: number, calls: number): void {
    if (micros < SPAN_US) this.counts[micros] = this.counts[micros]! + calls;
    else for (let i = 0; i < calls; i++) this.slow.push(micros / 1000);
    this.count += calls;
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.min(this.count - 1, Math.floor(p * this.count));
    let seen = 0;
    for (let micros = 0; micros < SPAN_US; micros++) {
      seen += this.counts[micros]!;
      // The middle of the bucket: within half a microsecond of the true value.
      if (seen > rank) return (micros + 0.5) / 1000;
    }
    return this.slow.sort((a, b) => a - b)[rank - seen]!;
  }
}

/** Latencies up to 100 ms are counted per µs. */
const SPAN_US = 100_000;
