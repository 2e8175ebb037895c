/**
 * Go's `RandomSelect`: a uniform choice over the server list (spec §5.2).
 */
import type { SelectContext, Selector, ServiceEndpoint } from '@rpcx/core';
import { uniqueKeys } from './endpoint-list.js';

export interface RandomSelectorOptions {
  /** A number in [0, 1), as `Math.random` (the default); inject one for repeatable tests. */
  random?: () => number;
}

export class RandomSelector implements Selector {
  private keys: string[] = [];
  private readonly random: () => number;

  constructor(options: RandomSelectorOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  select(_ctx?: SelectContext): string | undefined {
    const keys = this.keys;
    if (keys.length === 0) return undefined;
    return keys[randomIndex(this.random, keys.length)];
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    this.keys = uniqueKeys(endpoints);
  }
}

// ---------------------------------------------------------------------------------------------
// Internal

/** An index in [0, n): a `random` that returns 1 or more (or NaN) cannot push it out of range. */
export function randomIndex(random: () => number, n: number): number {
  const i = Math.floor(random() * n);
  return i >= 0 && i < n ? i : i >= n ? n - 1 : 0;
}
