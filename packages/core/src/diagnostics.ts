/**
 * The `node:diagnostics_channel` channels rpcx publishes on, the way undici does: a message is
 * built and published only while someone subscribes (`channel.hasSubscribers`), so an
 * application that does not listen pays one property read per event site.
 *
 *   import { subscribe } from 'node:diagnostics_channel';
 *   import { DiagnosticsChannel, type ClientCallMessage } from '@rpcx/core';
 *   subscribe(DiagnosticsChannel.ClientCallEnd, (message) => {
 *     const call = message as ClientCallMessage;
 *     console.log(call.servicePath, call.serviceMethod, call.durationMs);
 *   });
 *
 * A call publishes one object on `…:start` and the same object again on `…:end` or `…:error`
 * (with `durationMs`, and `error` on failure), so subscribers can correlate by identity (a
 * WeakMap) or by reading what the start left on it. Payloads are for reading: changing them
 * changes nothing on the wire. A subscriber that throws does not disturb the call (Node reports
 * its error as an uncaught exception).
 *
 * The named debug tracers (`RPCX_TRACE`, `enableTrace` in `diagnostics-trace.ts`) are
 * subscribers of these channels.
 */
import { type Channel, channel } from 'node:diagnostics_channel';
import type { Metadata } from './message.js';

export const DiagnosticsChannel = {
  /** A client call begins (before its interceptors, fail mode and plugins). `ClientCallMessage`. */
  ClientCallStart: 'rpcx:client:call:start',
  /** It succeeded. Same object, `durationMs` set. */
  ClientCallEnd: 'rpcx:client:call:end',
  /** It failed (after its retries). Same object, `durationMs` and `error` set. */
  ClientCallError: 'rpcx:client:call:error',
  /** An XClient picked a server for one attempt. `ClientPickMessage`. */
  ClientPick: 'rpcx:client:pick',
  /** A fail mode tries again after a failed attempt. `ClientRetryMessage`. */
  ClientRetry: 'rpcx:client:retry',
  /** A server's circuit breaker changed state. `BreakerStateMessage`. */
  BreakerState: 'rpcx:client:breaker:state',
  /** A discovery delivered a new list to an XClient. `DiscoveryChangeMessage`. */
  DiscoveryChange: 'rpcx:client:discovery:change',
  /** A request reached a server's handler chain. `ServerRequestMessage`. */
  ServerRequestStart: 'rpcx:server:request:start',
  /** Its response was handed to the connection. Same object, `durationMs` set. */
  ServerRequestEnd: 'rpcx:server:request:end',
  /** It was answered with an error. Same object, `durationMs` and `error` set. */
  ServerRequestError: 'rpcx:server:request:error',
  /** A connection opened, client side (dialed) or server side (accepted). `ConnectionMessage`. */
  ConnectionOpen: 'rpcx:connection:open',
  /** A connection closed. Same shape as open; `error` when it closed because of one. */
  ConnectionClose: 'rpcx:connection:close',
} as const;

export type DiagnosticsChannelName = (typeof DiagnosticsChannel)[keyof typeof DiagnosticsChannel];

/** One client call (Client or XClient), published on start and again on end or error. */
export interface ClientCallMessage {
  readonly servicePath: string;
  readonly serviceMethod: string;
  /**
   * The request metadata when the call starts: the caller's, with the client's auth token and
   * propagated keys (interceptors may send other metadata later). It may hold `__AUTH`: do not
   * log it as it is.
   */
  readonly metadata: Readonly<Metadata> | undefined;
  /** `performance.now()` at the start. */
  readonly startTime: number;
  /**
   * The server (`tcp@host:port`): a `Client`'s from the start; for an XClient the last
   * attempt's, set at the end (undefined when no server was picked).
   */
  serverAddress?: string;
  /** Set on end and error. */
  durationMs?: number;
  /** Set on error: the call's final error (an `RpcxError` for rpcx failures). */
  error?: Error;
}

export interface ClientPickMessage {
  readonly servicePath: string;
  readonly serviceMethod: string;
  readonly serverAddress: string;
  /** 1 for the first attempt of a call. */
  readonly attempt: number;
}

export interface ClientRetryMessage {
  readonly servicePath: string;
  readonly serviceMethod: string;
  /** The server whose attempt failed, when known. */
  readonly serverAddress: string | undefined;
  /** The attempt that failed (1 = the first), or that has not answered yet (a backup). */
  readonly attempt: number;
  /**
   * Why: the failed attempt's error — or undefined for a Failbackup backup request, sent because
   * the attempt had not answered within `backupLatencyMs`.
   */
  readonly error: Error | undefined;
}

export type BreakerStateName = 'closed' | 'open' | 'half-open';

export interface BreakerStateMessage {
  readonly serverAddress: string;
  readonly from: BreakerStateName;
  readonly to: BreakerStateName;
}

export interface DiscoveryChangeMessage {
  readonly servicePath: string;
  /**
   * The server keys calls may go to now (`tcp@host:port`): the discovery's list without inactive
   * servers and those of another group, sorted.
   */
  readonly servers: readonly string[];
}

/** One request on a server, published on start and again on end or error. */
export interface ServerRequestMessage {
  readonly servicePath: string;
  readonly serviceMethod: string;
  readonly metadata: Readonly<Metadata>;
  /** `host:port` of the client. */
  readonly remoteAddress: string;
  /** `performance.now()` at the start. */
  readonly startTime: number;
  durationMs?: number;
  error?: Error;
}

export interface ConnectionMessage {
  readonly side: 'client' | 'server';
  /** The connection's id (`ConnectionInfo.id`, `ServerConnection.id`): the same on open and close. */
  readonly id: number;
  readonly localAddress: string;
  readonly remoteAddress: string;
  /**
   * On close: why, when this side closed it for a reason (an `RpcxError`: Shutdown when its client
   * closed, a bad frame, an idle timeout, a refusing plugin) or a socket error ended it;
   * undefined for an orderly close (the peer hung up, a server closing gracefully).
   */
  readonly error?: Error;
}

/** The channel objects, made once (looking one up by name on every event would cost a map read). */
export const diagnostics: { readonly [K in keyof typeof DiagnosticsChannel]: Channel } = {
  ClientCallStart: channel(DiagnosticsChannel.ClientCallStart),
  ClientCallEnd: channel(DiagnosticsChannel.ClientCallEnd),
  ClientCallError: channel(DiagnosticsChannel.ClientCallError),
  ClientPick: channel(DiagnosticsChannel.ClientPick),
  ClientRetry: channel(DiagnosticsChannel.ClientRetry),
  BreakerState: channel(DiagnosticsChannel.BreakerState),
  DiscoveryChange: channel(DiagnosticsChannel.DiscoveryChange),
  ServerRequestStart: channel(DiagnosticsChannel.ServerRequestStart),
  ServerRequestEnd: channel(DiagnosticsChannel.ServerRequestEnd),
  ServerRequestError: channel(DiagnosticsChannel.ServerRequestError),
  ConnectionOpen: channel(DiagnosticsChannel.ConnectionOpen),
  ConnectionClose: channel(DiagnosticsChannel.ConnectionClose),
};
