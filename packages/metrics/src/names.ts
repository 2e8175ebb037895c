/**
 * Metric and label names: OpenTelemetry's RPC semantic conventions in their Prometheus form
 * (dots become underscores, the unit becomes a suffix, counters end in `_total`), plus what the
 * conventions do not cover (started calls, active calls, connections, XClient picks, retries and
 * breakers), named in the same style. The package README maps each one to its convention.
 */
import { isRpcxError } from '@rpcx/core';

/** `rpc.system.name`. */
export const RPC_SYSTEM = 'rpcx';

/** Prometheus label names of the OTel attributes. */
export const Label = {
  System: 'rpc_system_name',
  /** The service path: the pre-v1.38 `rpc.service`, kept for `sum by (rpc_service)`. */
  Service: 'rpc_service',
  /** `Service/Method`, as the stable `rpc.method`; `_OTHER` for a method the server lacks. */
  Method: 'rpc_method',
  /** `OK`, or the `RpcxError` code of a failure (`service_error`, `timeout`, ...). */
  StatusCode: 'rpc_response_status_code',
  /** Set on failures only: the same code. */
  ErrorType: 'error_type',
  ServerAddress: 'server_address',
  ServerPort: 'server_port',
  /** An XClient's server key as its discovery lists it (`tcp@host:port`). */
  Server: 'rpcx_server',
  /** A circuit breaker state: `closed`, `open`, `half-open`. */
  State: 'state',
} as const;

export const MetricName = {
  ServerCallStarted: 'rpc_server_call_started_total',
  ServerCallDuration: 'rpc_server_call_duration_seconds',
  ServerActiveCalls: 'rpc_server_active_calls',
  ServerRequestSize: 'rpc_server_request_size_bytes',
  ServerResponseSize: 'rpc_server_response_size_bytes',
  ServerConnectionsOpen: 'rpc_server_connections_open',
  ServerConnectionsAccepted: 'rpc_server_connections_accepted_total',
  ClientCallStarted: 'rpc_client_call_started_total',
  ClientCallDuration: 'rpc_client_call_duration_seconds',
  ClientActiveCalls: 'rpc_client_active_calls',
  ClientPicks: 'rpc_client_picks_total',
  ClientRetries: 'rpc_client_retries_total',
  ClientBreakerState: 'rpc_client_breaker_state',
  ClientBreakerTransitions: 'rpc_client_breaker_transitions_total',
} as const;

/** `rpc.method` for a method the server does not have (and `rpc_service` with it). */
export const OTHER = '_OTHER';
export const OK = 'OK';

/**
 * Seconds. The conventions' advisory boundaries (0.005 … 10 s), with five below 5 ms: an rpcx
 * call on a LAN often takes well under a millisecond.
 */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1,
  2.5, 5, 7.5, 10,
]);

/** Bytes: 0, then powers of four from 64 B to 16 MiB. */
export const DEFAULT_SIZE_BUCKETS: readonly number[] = Object.freeze([
  0, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
]);

/**
 * The status of a failed call: its `RpcxError` code; `otherwise` for any other error (a server
 * answers those as service errors; on a client they come from an interceptor).
 */
export function statusOf(error: unknown, otherwise: string): string {
  return isRpcxError(error) ? error.code : otherwise;
}

/** `given` boundaries, checked, or the default. */
export function bucketsOption(
  what: 'durationBuckets' | 'sizeBuckets',
  given: readonly number[] | undefined,
): readonly number[] {
  if (given === undefined) {
    return what === 'durationBuckets' ? DEFAULT_DURATION_BUCKETS : DEFAULT_SIZE_BUCKETS;
  }
  return checkBuckets(what, given);
}

/** Checks histogram boundaries: finite, strictly increasing, at least one. */
function checkBuckets(what: string, buckets: readonly number[]): readonly number[] {
  if (buckets.length === 0) throw new RangeError(`${what}: at least one bucket boundary`);
  for (let i = 0; i < buckets.length; i++) {
    const bound = buckets[i]!;
    if (!Number.isFinite(bound) || (i > 0 && bound <= buckets[i - 1]!)) {
      throw new RangeError(`${what}: boundaries must be finite and increasing, got ${buckets}`);
    }
  }
  return Object.freeze([...buckets]);
}

/** `host:port` (or `[v6]:port`) split as `server.address` and `server.port`; no port: '' . */
export function splitAddress(end: string): { address: string; port: string } {
  const colon = end.lastIndexOf(':');
  const port = colon < 0 ? '' : end.slice(colon + 1);
  if (colon < 0 || !/^\d+$/.test(port)) return { address: end, port: '' };
  let host = end.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { address: host, port };
}
