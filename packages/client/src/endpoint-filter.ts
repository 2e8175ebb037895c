/**
 * Which endpoints a discovery reports an XClient may use (spec §5.1): not `state=inactive`, and
 * in the client's `group` when it has one. Metadata that does not parse keeps its endpoint, as
 * in Go. The result is sorted by key, so selectors see one order in every process (Go's map
 * order is random).
 */
import { parseQuery, type ServiceEndpoint } from '@rpcx/core';

export function usableEndpoints(
  endpoints: readonly ServiceEndpoint[],
  group: string | undefined,
): ServiceEndpoint[] {
  const kept: ServiceEndpoint[] = [];
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    if (seen.has(endpoint.key)) continue;
    seen.add(endpoint.key);
    if (isUsable(endpoint.metadata, group)) kept.push(endpoint);
  }
  return kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function isUsable(metadata: string, group: string | undefined): boolean {
  if (metadata === '') return group === undefined || group === '';
  const params = parseQuery(metadata);
  if (params === undefined) return true;
  if (params.get('state') === 'inactive') return false;
  if (group === undefined || group === '') return true;
  return params.getAll('group').includes(group);
}
