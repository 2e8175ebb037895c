/**
 * What plugins see of connections and calls. The plugin contracts themselves are in
 * server-plugin.ts and client-plugin.ts: one interface each whose hooks are all optional,
 * mirroring Go rpcx's hook points (spec §3.8, §4.9, §6.4). A hook that throws (or rejects) stops
 * the chain where Go's would return an error; where Go ignores a hook's error, so do we.
 */
import type { Metadata } from './message.js';

/** A connection as plugins see it. */
export interface ConnectionInfo {
  readonly id: number;
  /** `host:port` of the peer, or the socket path. */
  readonly remoteAddress: string;
  readonly localAddress: string;
}

/** One call as plugins see it. */
export interface CallInfo {
  readonly connection: ConnectionInfo | undefined;
  readonly servicePath: string;
  readonly serviceMethod: string;
  readonly metadata: Readonly<Metadata>;
}

export type Awaitable<T> = T | Promise<T>;
