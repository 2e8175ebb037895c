/**
 * Go's `AliasPlugin` (spec §3.14): `alias(aliasPath, aliasMethod, realPath, realMethod)` makes a
 * request for `aliasPath.aliasMethod` run `realPath.realMethod`. In `postReadRequest`, before
 * dispatch, the request's service path and method are rewritten and `__aliasAppliedKey=true` is
 * set in its metadata (the handler sees both).
 *
 * Responses carry the **real** names, as Go's do: Go's plugin has a reverse mapping for
 * `PreWriteResponse`, but its signature is outdated, so Go never calls it. We copy that on
 * purpose — a TS server answers byte for byte as a Go server with the same aliases — and it costs
 * clients nothing: Go's client and ours match a response to its call by seq alone and never read
 * the names in it.
 *
 * Add it before plugins that look at names (ReqRateLimitingPlugin's `methods`), so they see the
 * real ones.
 *
 *   const aliases = new AliasPlugin().alias('Calc', 'Times', 'Arith', 'Mul');
 *   new Server({ plugins: [aliases] });
 */
import type { ConnectionInfo, RpcxMessage, ServerPlugin } from '@rpcx/core';

/** The request metadata key Go's AliasPlugin sets on a rewritten request. */
export const ALIAS_APPLIED_KEY = '__aliasAppliedKey';

interface Target {
  readonly servicePath: string;
  readonly serviceMethod: string;
}

export class AliasPlugin implements ServerPlugin {
  readonly name = 'AliasPlugin';
  /** aliasPath → aliasMethod → real names: looked up without building a key per request. */
  private readonly aliases = new Map<string, Map<string, Target>>();

  /** Go's `Alias`: requests for `aliasPath.aliasMethod` run `realPath.realMethod`. */
  alias(aliasPath: string, aliasMethod: string, realPath: string, realMethod: string): this {
    let byMethod = this.aliases.get(aliasPath);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.aliases.set(aliasPath, byMethod);
    }
    byMethod.set(aliasMethod, { servicePath: realPath, serviceMethod: realMethod });
    return this;
  }

  postReadRequest(_conn: ConnectionInfo, request: RpcxMessage | undefined): void {
    if (request === undefined || request.heartbeat) return;
    const target = this.aliases.get(request.servicePath)?.get(request.serviceMethod);
    if (target === undefined) return;
    request.servicePath = target.servicePath;
    request.serviceMethod = target.serviceMethod;
    request.metadata[ALIAS_APPLIED_KEY] = 'true';
  }
}
