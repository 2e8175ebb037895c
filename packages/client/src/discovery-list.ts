/**
 * Endpoint lists as the built-in discoveries keep them: checked once (a key is a non-empty
 * string, metadata a string), copied and frozen — so neither the caller who passed a list nor a
 * watcher who received one can change what others see.
 */
import { ErrorCode, RpcxError, type ServiceEndpoint } from '@rpcx/core';

/** One checked, frozen endpoint. `context` starts the error message, e.g. `PeerDiscovery`. */
export function toEndpoint(key: unknown, metadata: unknown, context: string): ServiceEndpoint {
  if (typeof key !== 'string' || key === '') {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `${context}: a server key must be a non-empty string such as "tcp@127.0.0.1:8972", got ${describe(key)}`,
    );
  }
  if (metadata !== undefined && typeof metadata !== 'string') {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `${context}: the metadata of ${key} must be a string (a URL query such as "weight=10"), got ${describe(metadata)}`,
    );
  }
  return Object.freeze({ key, metadata: metadata ?? '' });
}

/** A checked, frozen copy of `endpoints` (any iterable of `{ key, metadata }`). */
export function toEndpointList(
  endpoints: Iterable<ServiceEndpoint>,
  context: string,
): readonly ServiceEndpoint[] {
  if (
    endpoints === null ||
    typeof endpoints !== 'object' ||
    typeof (endpoints as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function'
  ) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `${context}: expected a list of { key, metadata } endpoints, got ${describe(endpoints)}`,
    );
  }
  const list: ServiceEndpoint[] = [];
  for (const endpoint of endpoints as Iterable<unknown>) {
    if (endpoint === null || typeof endpoint !== 'object') {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `${context}: endpoint ${list.length} must be an object { key, metadata }, got ${describe(endpoint)}`,
      );
    }
    const { key, metadata } = endpoint as Partial<Record<keyof ServiceEndpoint, unknown>>;
    list.push(toEndpoint(key, metadata, `${context}: endpoint ${list.length}`));
  }
  return Object.freeze(list);
}

/** `value` in an error message: strings quoted and cut short, objects by their kind. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}
