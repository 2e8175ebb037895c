import type { RpcxMessage } from './message.js';
import type { Awaitable, CallInfo, ConnectionInfo } from './plugins.js';

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
