/**
 * `InProcessDiscovery`: the server of this process that listens on `inprocess@<name>` (Go's
 * `memu` network; Go's own InProcess discovery was removed in 1.6). One fixed endpoint, as
 * `PeerDiscovery`.
 *
 *   await server.listen('inprocess@arith');
 *   const arith = new XClient({ servicePath: 'Arith', discovery: new InProcessDiscovery('arith') });
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { PeerDiscovery } from './peer-discovery.js';

export class InProcessDiscovery extends PeerDiscovery {
  /** `name` is what the server listens on (`inprocess@<name>`); `metadata` as in `PeerDiscovery`. */
  constructor(
    readonly name: string,
    metadata = '',
  ) {
    super(inProcessKey(name), metadata);
  }
}

function inProcessKey(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `InProcessDiscovery: the name must be a non-empty string (the server listens on inprocess@<name>), got ${typeof name === 'string' ? '""' : typeof name}`,
    );
  }
  return `inprocess@${name}`;
}
