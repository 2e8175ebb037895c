/**
 * Go's `RoundRobin` (spec §5.3): returns `servers[i % len]` and sets `i = (i % len) + 1`. The index
 * survives updates, so a new list continues at the same position rather than restarting at 0.
 *
 * The list keeps the order it is given. The XClient passes endpoints sorted by key, so the TS
 * order is deterministic; Go iterates a map and its order is random (and changes on each update).
 */
import type { SelectContext, Selector, ServiceEndpoint } from '@rpcx/core';
import { uniqueKeys } from './endpoint-list.js';

export class RoundRobinSelector implements Selector {
  private keys: string[] = [];
  private i = 0;

  select(_ctx?: SelectContext): string | undefined {
    const keys = this.keys;
    if (keys.length === 0) return undefined;
    const i = this.i % keys.length;
    this.i = i + 1;
    return keys[i];
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    this.keys = uniqueKeys(endpoints);
  }
}
