/**
 * Least loaded (not in Go rpcx): the power of two random choices over a peak-EWMA latency, as
 * Finagle's and Linkerd's balancers do. Each select draws two distinct servers at random and
 * takes the one with the lower cost `(outstanding + 1) × latency`, where `outstanding` counts
 * calls started and not yet finished and `latency` is the server's estimate:
 *
 * - A sample above the estimate replaces it at once (peak: a slow server is avoided at once).
 * - A sample below it is blended in by time, with weight 1 − e^(−Δt/τ) where Δt is the time since
 *   the last sample and τ is `decayMs` (default 10 s): recovery is gradual.
 * - With no samples the estimate drifts back toward `initialLatencyMs` the same way, so a server
 *   that was slow once is tried again after a while instead of being starved forever.
 * - A server never seen starts at `initialLatencyMs` (default 1 ms): new servers get tried.
 * - A failed call counts as a sample of max(elapsed, min(2 × estimate, `maxPenaltyMs`)), the cap
 *   defaulting to 30 s. A server that fails fast must not look fast: each failure in a row
 *   doubles its estimate (up to the cap), and the drift brings it back.
 *
 * It needs the XClient's `callStarted`/`callFinished` feedback; without it every cost is equal
 * and it degenerates to random. One server: always that one. Nothing here is from Go.
 */
import { monotonicNow, type SelectContext, type Selector, type ServiceEndpoint } from '@rpcx/core';
import { uniqueKeys } from './endpoint-list.js';
import { randomIndex } from './random.js';

export interface LeastLoadedSelectorOptions {
  /** A number in [0, 1) (default `Math.random`). */
  random?: () => number;
  /** A monotonic clock in ms (default `performance.now`). */
  now?: () => number;
  /** Time constant τ of the latency average, in ms (default 10 000). */
  decayMs?: number;
  /** The latency of a server without samples, in ms (default 1). */
  initialLatencyMs?: number;
  /** The largest latency a failure's penalty claims, in ms (default 30 000); see above. */
  maxPenaltyMs?: number;
}

export class LeastLoadedSelector implements Selector {
  private keys: string[] = [];
  /** Load per server; kept for removed servers until their calls finish. */
  private readonly loads = new Map<string, Load>();
  private readonly current = new Set<string>();
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly decayMs: number;
  private readonly initialLatencyMs: number;
  private readonly maxPenaltyMs: number;

  constructor(options: LeastLoadedSelectorOptions = {}) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? monotonicNow;
    this.decayMs = options.decayMs ?? 10_000;
    this.initialLatencyMs = options.initialLatencyMs ?? 1;
    this.maxPenaltyMs = options.maxPenaltyMs ?? 30_000;
  }

  select(_ctx?: SelectContext): string | undefined {
    const keys = this.keys;
    const n = keys.length;
    if (n <= 1) return keys[0];
    const i = randomIndex(this.random, n);
    let j = randomIndex(this.random, n - 1);
    if (j >= i) j++;
    const now = this.now();
    return this.cost(keys[j]!, now) < this.cost(keys[i]!, now) ? keys[j] : keys[i];
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    this.keys = uniqueKeys(endpoints);
    this.current.clear();
    for (const key of this.keys) this.current.add(key);
    for (const [key, load] of this.loads) {
      if (load.outstanding === 0 && !this.current.has(key)) this.loads.delete(key);
    }
  }

  callStarted(key: string): void {
    this.load(key).outstanding++;
  }

  callFinished(key: string, elapsedMs: number, failed: boolean): void {
    const load = this.loads.get(key);
    if (load === undefined) return;
    load.outstanding = Math.max(0, load.outstanding - 1);
    const now = this.now();
    const elapsed = Number.isFinite(elapsedMs) && elapsedMs > 0 ? elapsedMs : 0;
    const estimate = this.latency(load, now);
    const sample = failed ? Math.max(elapsed, Math.min(2 * estimate, this.maxPenaltyMs)) : elapsed;
    load.latencyMs =
      sample > estimate
        ? sample
        : blend(load.latencyMs, sample, now - load.sampledAt, this.decayMs);
    load.sampledAt = now;
    if (load.outstanding === 0 && !this.current.has(key)) this.loads.delete(key);
  }

  /** The current latency estimate of `key` in ms (for metrics and tests). */
  latencyMs(key: string): number {
    const load = this.loads.get(key);
    return load === undefined ? this.initialLatencyMs : this.latency(load, this.now());
  }

  /** Calls started on `key` and not finished yet. */
  outstanding(key: string): number {
    return this.loads.get(key)?.outstanding ?? 0;
  }

  private cost(key: string, now: number): number {
    const load = this.loads.get(key);
    if (load === undefined) return this.initialLatencyMs;
    return (load.outstanding + 1) * this.latency(load, now);
  }

  /** The estimate as of `now`: the last one drifted toward the initial latency. */
  private latency(load: Load, now: number): number {
    return blend(load.latencyMs, this.initialLatencyMs, now - load.sampledAt, this.decayMs);
  }

  private load(key: string): Load {
    let load = this.loads.get(key);
    if (load === undefined) {
      load = { outstanding: 0, latencyMs: this.initialLatencyMs, sampledAt: this.now() };
      this.loads.set(key, load);
    }
    return load;
  }
}

// ---------------------------------------------------------------------------------------------
// Internal

interface Load {
  outstanding: number;
  /** The estimate at `sampledAt`. */
  latencyMs: number;
  sampledAt: number;
}

/** `from` moved toward `to` by 1 − e^(−elapsed/τ). */
function blend(from: number, to: number, elapsedMs: number, decayMs: number): number {
  if (!(elapsedMs > 0)) return from;
  const keep = Math.exp(-elapsedMs / decayMs);
  return from * keep + to * (1 - keep);
}
