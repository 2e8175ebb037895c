/**
 * Go's `ReqRateLimitingPlugin(fillInterval, capacity, block)` (spec §3.14): a token bucket on
 * requests, checked in `postReadRequest`. Without `block` a request with no token is answered with
 * Go's exact `request reached rate limit` and the connection stays open; with `block` it waits for
 * its token without holding the event loop — other requests and connections keep being served —
 * in a bounded queue (`maxWaiting`, default 1000, and `maxWaitMs`; beyond them a request is
 * refused as without `block`; see RequestLimiter in @rpcx/core).
 *
 * Go limits the whole server only. Here the top-level fields are that server-wide limit
 * (optional), and `methods` adds limits per `"Service.Method"`; a request for such a method takes
 * a token from its method's bucket first, then from the server's. Heartbeats are never limited
 * (Go counts them; a refused heartbeat would cost the client its connection here). The plugin
 * sees the names the plugins added before it left: add an AliasPlugin first to limit by real
 * names.
 *
 *   new ReqRateLimitingPlugin({ fillIntervalMs: 1, capacity: 1000 });               // server
 *   new ReqRateLimitingPlugin({
 *     methods: { 'Arith.Mul': { fillIntervalMs: 100, capacity: 10, block: true } },
 *   });
 */
import {
  type ConnectionInfo,
  type RequestLimiter,
  RequestLimits,
  type RequestLimitsOptions,
  type RpcxMessage,
  type ServerPlugin,
} from '@rpcx/core';

export type ReqRateLimitingOptions = RequestLimitsOptions;

export class ReqRateLimitingPlugin implements ServerPlugin {
  readonly name = 'ReqRateLimitingPlugin';
  readonly limits: RequestLimits;

  constructor(options: ReqRateLimitingOptions) {
    this.limits = new RequestLimits(options, 'ReqRateLimitingPlugin');
  }

  /** The server-wide limiter, if the options set one. */
  get server(): RequestLimiter | undefined {
    return this.limits.overall;
  }

  /** The limiter of one method, if `methods` named it. */
  method(servicePath: string, serviceMethod: string): RequestLimiter | undefined {
    return this.limits.method(servicePath, serviceMethod);
  }

  postReadRequest(
    _conn: ConnectionInfo,
    request: RpcxMessage | undefined,
  ): Promise<void> | undefined {
    if (request === undefined || request.heartbeat) return undefined;
    return this.limits.acquire(request.servicePath, request.serviceMethod);
  }
}
