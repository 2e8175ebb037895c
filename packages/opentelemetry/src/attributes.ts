/**
 * The span attributes of the OpenTelemetry RPC semantic conventions, in the two versions in use:
 * the experimental ones (v1.37 and before, what Go's rpcx-plugins emits with semconv v1.26:
 * `rpc.system`, `rpc.service`, `rpc.method` = the method alone) and the stable ones
 * (`rpc.system.name`, `rpc.method` = `Service/Method`, `rpc.response.status_code`). As the
 * conventions ask of existing instrumentations, the old ones are the default and
 * `OTEL_SEMCONV_STABILITY_OPT_IN=rpc` (stable) or `rpc/dup` (both) switches.
 */
import { type Attributes, type Span, SpanStatusCode } from '@opentelemetry/api';
import { type ConnectionInfo, isRpcxError, peerText } from '@rpcx/core';

/** Which RPC conventions spans follow: `legacy` (default), `stable`, or `both`. */
export type Semconv = 'legacy' | 'stable' | 'both';

export const RPC_SYSTEM = 'rpcx';

/** The flavour `OTEL_SEMCONV_STABILITY_OPT_IN` asks for (`rpc/dup` wins over `rpc`). */
export function semconvFromEnv(
  value: string | undefined = process.env.OTEL_SEMCONV_STABILITY_OPT_IN,
): Semconv {
  const wanted = (value ?? '').split(',').map((item) => item.trim());
  if (wanted.includes('rpc/dup')) return 'both';
  if (wanted.includes('rpc')) return 'stable';
  return 'legacy';
}

/**
 * The attributes known when a call starts. `name` is the span name, `Service/Method`, which is
 * also the stable `rpc.method`. With `both`, the stable `rpc.method` wins over the old one (one
 * key, two meanings).
 */
export function callAttributes(
  semconv: Semconv,
  servicePath: string,
  serviceMethod: string,
  name: string,
): Attributes {
  switch (semconv) {
    case 'legacy':
      return { 'rpc.system': RPC_SYSTEM, 'rpc.service': servicePath, 'rpc.method': serviceMethod };
    case 'stable':
      return { 'rpc.system.name': RPC_SYSTEM, 'rpc.method': name };
    default:
      return {
        'rpc.system': RPC_SYSTEM,
        'rpc.system.name': RPC_SYSTEM,
        'rpc.service': servicePath,
        'rpc.method': name,
      };
  }
}

/**
 * `<prefix>.address` and `<prefix>.port` of an rpcx connection end: `host:port`, `[v6]:port`, or
 * something without a port (`unix socket`, an in-process name).
 */
export function endpointAttributes(prefix: 'server' | 'client', end: string): Attributes {
  const colon = end.lastIndexOf(':');
  const port = colon < 0 ? Number.NaN : Number(end.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || colon === end.length - 1) {
    return { [`${prefix}.address`]: end };
  }
  let host = end.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { [`${prefix}.address`]: host, [`${prefix}.port`]: port };
}

/** The endpoint attributes of each connection seen, worked out once per connection. */
const serverEnds = new WeakMap<ConnectionInfo, Attributes>();
const clientAndServerEnds = new WeakMap<ConnectionInfo, Attributes>();

/** A client's span: `server.*` of the connection the call went out on. */
export function clientSideEndpoint(connection: ConnectionInfo): Attributes {
  let attributes = serverEnds.get(connection);
  if (attributes === undefined) {
    attributes = endpointAttributes('server', connection.remoteAddress);
    serverEnds.set(connection, attributes);
  }
  return attributes;
}

/** A server's span: `server.*` of the local end, `client.*` of the peer. */
export function serverSideEndpoints(connection: ConnectionInfo): Attributes {
  let attributes = clientAndServerEnds.get(connection);
  if (attributes === undefined) {
    attributes = {
      ...endpointAttributes('server', connection.localAddress),
      ...endpointAttributes('client', connection.remoteAddress),
    };
    clientAndServerEnds.set(connection, attributes);
  }
  return attributes;
}

/**
 * The `error.type` of a failed call: the `RpcxError` code (`service_error`, `timeout`,
 * `unavailable`, ...); on the server, any other error a handler throws is answered as a service
 * error, so it is `service_error` there; elsewhere `_OTHER`.
 */
export function errorType(error: unknown, otherwise: string): string {
  return isRpcxError(error) ? error.code : otherwise;
}

/** Ends a span with the outcome of its call. */
export function endSpan(
  span: Span,
  semconv: Semconv,
  error: unknown,
  failed: boolean,
  otherwise: string,
): void {
  if (span.isRecording()) {
    if (failed) {
      const type = errorType(error, otherwise);
      span.setAttribute('error.type', type);
      if (semconv !== 'legacy') span.setAttribute('rpc.response.status_code', type);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: peerText(error instanceof Error ? error.message : String(error)),
      });
    } else if (semconv !== 'legacy') {
      span.setAttribute('rpc.response.status_code', 'OK');
    }
  }
  span.end();
}
