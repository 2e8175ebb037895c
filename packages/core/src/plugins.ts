/**
 * Plugin contracts. Each is one interface whose hooks are all optional, mirroring Go rpcx's hook
 * points (spec §3.8, §4.9, §6.4). A hook that throws (or rejects) stops the chain where Go's would
 * return an error; where Go ignores a hook's error, so do we.
 */
import type { Metadata, RpcxMessage } from './message.js';

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

type Awaitable<T> = T | Promise<T>;

/** Server-side registry plugin: makes this server's services findable (spec §6.4). */
export interface RegistryPlugin {
  readonly name?: string;
  start?(): Awaitable<void>;
  /** `metadata` is the URL-query string given at registration (weight, group, state, ...). */
  register(servicePath: string, metadata: string): Awaitable<void>;
  unregister(servicePath: string): Awaitable<void>;
  stop?(): Awaitable<void>;
}

export interface ServerPlugin {
  readonly name?: string;
  /** Returning `false` closes the connection. */
  postConnAccept?(conn: ConnectionInfo): Awaitable<boolean | undefined>;
  postConnClose?(conn: ConnectionInfo): Awaitable<void>;
  preReadRequest?(conn: ConnectionInfo): Awaitable<void>;
  /** Sees every decoded request, and decode failures; throwing rejects the request. */
  postReadRequest?(
    conn: ConnectionInfo,
    request: RpcxMessage | undefined,
    error?: Error,
  ): Awaitable<void>;
  preHandleRequest?(conn: ConnectionInfo, request: RpcxMessage): Awaitable<void>;
  /** May return replacement arguments; throwing fails the call without running it. */
  preCall?(call: CallInfo, args: unknown): Awaitable<unknown>;
  /** May return a replacement reply; throwing replaces the outcome with that error. */
  postCall?(call: CallInfo, args: unknown, reply: unknown, error?: Error): Awaitable<unknown>;
  preWriteResponse?(
    conn: ConnectionInfo,
    request: RpcxMessage,
    response: RpcxMessage | undefined,
    error?: Error,
  ): Awaitable<void>;
  postWriteResponse?(
    conn: ConnectionInfo,
    request: RpcxMessage,
    response: RpcxMessage | undefined,
    error?: Error,
  ): Awaitable<void>;
  /** Server push: before and after the message is written. */
  preWriteRequest?(conn: ConnectionInfo, message: RpcxMessage): Awaitable<void>;
  postWriteRequest?(conn: ConnectionInfo, message: RpcxMessage, error?: Error): Awaitable<void>;
  heartbeatRequest?(conn: ConnectionInfo, request: RpcxMessage): Awaitable<void>;
}

export interface ClientPlugin {
  readonly name?: string;
  /** Before each attempt; throwing aborts the attempt. */
  preCall?(call: CallInfo, args: unknown): Awaitable<void>;
  postCall?(call: CallInfo, args: unknown, reply: unknown, error?: Error): Awaitable<void>;
  connCreated?(conn: ConnectionInfo): Awaitable<void>;
  connCreateFailed?(address: string, error: Error): Awaitable<void>;
  clientConnected?(conn: ConnectionInfo): Awaitable<void>;
  clientConnectionClose?(conn: ConnectionInfo): Awaitable<void>;
  /** Before a request is encoded and written; may change its header fields or metadata. */
  preWriteRequest?(message: RpcxMessage): void;
  postWriteRequest?(message: RpcxMessage, error?: Error): void;
  /** Around reading an incoming frame: its 16 header bytes, then its body. */
  preReadResponseHeader?(): void;
  postReadResponseHeader?(header: Uint8Array): void;
  preReadResponseBody?(header: Uint8Array): void;
  postReadResponseBody?(message: RpcxMessage): void;
}
