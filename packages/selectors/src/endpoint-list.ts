/**
 * The server list as Go's selectors see it: a map, so one entry per key (the last metadata wins).
 * Lists change rarely, so clarity beats saving the copy here.
 */
import type { ServiceEndpoint } from '@rpcx/core';

/** The endpoints with unique keys, in first-seen order; a repeated key keeps its last metadata. */
export function uniqueEndpoints(endpoints: readonly ServiceEndpoint[]): ServiceEndpoint[] {
  const at = new Map<string, number>();
  const result: ServiceEndpoint[] = [];
  for (const endpoint of endpoints) {
    const index = at.get(endpoint.key);
    if (index === undefined) {
      at.set(endpoint.key, result.length);
      result.push(endpoint);
    } else {
      result[index] = endpoint;
    }
  }
  return result;
}

/** The unique keys, in first-seen order. */
export function uniqueKeys(endpoints: readonly ServiceEndpoint[]): string[] {
  return uniqueEndpoints(endpoints).map((endpoint) => endpoint.key);
}
