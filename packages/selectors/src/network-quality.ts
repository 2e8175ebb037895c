/**
 * Go's `WeightedICMP` (spec §5.5), renamed for what it does: servers with a shorter round trip
 * get a larger share, through the same smooth weighted ring as `WeightedRoundRobin`. Weight per
 * RTT (whole ms, as Go's ping): 191 for 0–10 ms, 201 − rtt up to 200 ms, 1 below 1000 ms, 0 from
 * 1000 ms on; an unknown RTT counts as a failed ping (1000 ms, weight 0).
 *
 * Go pings with ICMP (privileged) and only when the list changes; here RTTs come from an
 * `RttSource`, by default a `TcpRttProber` timing TCP connects every 30 s. The ring is rebuilt
 * on update and whenever the source's RTTs change the weights. When every weight is 0 (nothing
 * measured yet, everything unreachable) the servers take turns, so a select with servers present
 * always returns one (Go panics on an empty ring).
 */
import type { SelectContext, Selector, ServiceEndpoint } from '@rpcx/core';
import { uniqueKeys } from './endpoint-list.js';
import type { RttSource } from './rtt-source.js';
import { SmoothRing } from './smooth-ring.js';
import { FAILED_RTT_MS, TcpRttProber, type TcpRttProberOptions } from './tcp-rtt-prober.js';

export interface NetworkQualitySelectorOptions {
  /** Where RTTs come from; default a `TcpRttProber` that the selector owns and closes. */
  rttSource?: RttSource;
  /** Options for the default prober (ignored with `rttSource`). */
  prober?: TcpRttProberOptions;
}

export class NetworkQualitySelector implements Selector {
  private readonly ring = new SmoothRing();
  private readonly source: RttSource;
  private readonly ownsSource: boolean;
  private keys: string[] = [];
  private weights: number[] = [];
  private seenVersion: number | undefined;

  constructor(options: NetworkQualitySelectorOptions = {}) {
    this.ownsSource = options.rttSource === undefined;
    this.source = options.rttSource ?? new TcpRttProber(options.prober);
  }

  select(_ctx?: SelectContext): string | undefined {
    if (this.source.version !== this.seenVersion) this.refresh(false);
    return this.ring.next();
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    this.keys = uniqueKeys(endpoints);
    this.source.track?.(this.keys);
    this.refresh(true);
  }

  close(): void {
    if (this.ownsSource) this.source.close?.();
  }

  /** Re-reads the RTTs; the ring restarts only when a weight changed (or on update). */
  private refresh(force: boolean): void {
    this.seenVersion = this.source.version;
    const weights = this.keys.map((key) => rttToWeight(this.source.rttMs(key)));
    if (!force && sameNumbers(weights, this.weights)) return;
    this.weights = weights;
    this.ring.reset(this.keys, weights);
  }
}

/** Go's `CalculateWeight` for an RTT in ms (fractions dropped, as Go's integer ms). */
export function rttToWeight(rttMs: number | undefined): number {
  const rtt = rttMs === undefined || Number.isNaN(rttMs) ? FAILED_RTT_MS : Math.floor(rttMs);
  if (rtt >= 0 && rtt <= 10) return 191;
  if (rtt > 10 && rtt <= 200) return 201 - rtt;
  if (rtt > 200 && rtt < 1000) return 1;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Internal

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
