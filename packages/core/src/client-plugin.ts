import type { RpcxMessage } from './message.js';
import type { Awaitable, CallInfo, ConnectionInfo } from './plugins.js';

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
