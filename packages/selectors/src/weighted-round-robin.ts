/**
 * Go's `WeightedRoundRobin` (spec §5.4): smooth weighted round robin over a precomputed ring.
 * The weight comes from the endpoint metadata `weight`, read as Go's `strconv.Atoi`; a missing,
 * invalid or unparsable value counts as 1.
 *
 * Where Go breaks, this does not: a negative weight counts as 0, and when every weight is 0 the
 * servers take turns as with weight 1 each (Go builds an empty ring and panics). A server with
 * weight 0 beside positive ones is never picked, as in Go. See `smooth-ring.ts` for the rest.
 *
 * The list keeps the order it is given (sorted by key from the XClient), so the sequence is
 * deterministic; in Go it depends on map order.
 */
import { parseQuery, type SelectContext, type Selector, type ServiceEndpoint } from '@rpcx/core';
import { uniqueEndpoints } from './endpoint-list.js';
import { SmoothRing } from './smooth-ring.js';

export class WeightedRoundRobinSelector implements Selector {
  private readonly ring = new SmoothRing();

  select(_ctx?: SelectContext): string | undefined {
    return this.ring.next();
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    const unique = uniqueEndpoints(endpoints);
    this.ring.reset(
      unique.map((endpoint) => endpoint.key),
      unique.map((endpoint) => endpointWeight(endpoint.metadata)),
    );
  }
}

/** The `weight` of an endpoint's metadata as Go reads it: 1 unless it is a valid integer. */
export function endpointWeight(metadata: string): number {
  const text = parseQuery(metadata)?.get('weight');
  if (text === undefined || text === null || text === '') return 1;
  return goAtoi(text) ?? 1;
}

// ---------------------------------------------------------------------------------------------
// Internal

const INTEGER = /^[+-]?[0-9]+$/;
const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/**
 * Go's `strconv.Atoi` on a 64-bit platform: an optional sign and decimal digits that fit an
 * int64, else `undefined`. No spaces, no underscores. Values past 2^53 lose precision, which
 * does not matter here (weights are clamped far below).
 */
export function goAtoi(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]?0*/, '');
  const limit = negative ? INT64_MIN_ABS : INT64_MAX;
  if (digits.length > limit.length || (digits.length === limit.length && digits > limit)) {
    return undefined;
  }
  const value = Number(digits === '' ? '0' : digits);
  return negative && value !== 0 ? -value : value;
}
