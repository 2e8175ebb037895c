/**
 * The Client's connection over time: the one open connection, the dial under way (shared by the
 * calls that wait for it), and the backoff after failed dials — calls fail fast while it runs
 * (an XClient may try elsewhere), while `connect()` waits it out.
 */
import type { ConnectionOptions } from 'node:tls';
import { asRpcxError, type Backoff, ErrorCode, monotonicNow, RpcxError } from '@rpcx/core';
import { dial, type TransportSocket } from '@rpcx/transport';
import type { Call } from './call.js';
import type { ClientContext } from './client-options.js';
import type { Connection } from './connection.js';

export interface DialSettings {
  readonly tls: ConnectionOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
}

export class Dialer {
  private conn: Connection | undefined = undefined;
  private dialing: Promise<Connection> | undefined = undefined;
  private dialAbort: AbortController | undefined = undefined;
  /** No dial before this (monotonic ms) after a failed one. */
  private retryAt = 0;
  private lastDialError: RpcxError | undefined = undefined;
  private closeReason: RpcxError | undefined = undefined;
  /** Aborted by `close()`: ends `connect()`'s backoff wait. */
  private readonly lifetime = new AbortController();

  constructor(
    private readonly ctx: ClientContext,
    private readonly backoff: Backoff,
    private readonly settings: DialSettings,
    /** Wraps a dialled socket. */
    private readonly open: (socket: TransportSocket) => Connection,
  ) {}

  /** The connection, unless it is closing. */
  get current(): Connection | undefined {
    const conn = this.conn;
    return conn !== undefined && !conn.closed ? conn : undefined;
  }

  /** The open connection, the dial under way, or a new dial — unless a backoff is running. */
  obtain(): Promise<Connection> {
    if (this.closeReason !== undefined) return Promise.reject(this.closeReason);
    const conn = this.current;
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.dialing === undefined) {
      const wait = this.retryAt - monotonicNow();
      if (wait > 0) {
        const last = this.lastDialError;
        return Promise.reject(
          new RpcxError(
            ErrorCode.Unavailable,
            `${last?.message ?? `dial ${this.ctx.address} failed`}; next dial in ${Math.ceil(wait)} ms`,
            { cause: last },
          ),
        );
      }
    }
    return this.ensureDial();
  }

  /** Sends `call` on the connection, dialling first when there is none (a failed dial fails it). */
  transmit(call: Call): void {
    const conn = this.current;
    if (conn !== undefined) {
      conn.transmit(call);
      return;
    }
    this.obtain().then(
      (opened) => {
        if (!call.done) opened.transmit(call);
      },
      (error: RpcxError) => call.fail(error),
    );
  }

  /** Connects now, waiting out a running backoff first. */
  async connect(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (this.closeReason !== undefined) throw this.closeReason;
      if (this.current !== undefined) return;
      const wait = this.retryAt - monotonicNow();
      if (this.dialing === undefined && wait > 0) {
        await this.sleep(wait, signal);
        continue;
      }
      await this.ensureDial();
      return;
    }
  }

  /** A connection closed: the next call dials again. */
  closed(conn: Connection): void {
    if (this.conn === conn) this.conn = undefined;
  }

  /** The client is closing: no more dials, the one under way is aborted. */
  close(reason: RpcxError): Connection | undefined {
    this.closeReason = reason;
    this.lifetime.abort(reason);
    this.dialAbort?.abort(reason);
    return this.conn;
  }

  private ensureDial(): Promise<Connection> {
    const conn = this.current;
    if (conn !== undefined) return Promise.resolve(conn);
    this.dialing ??= this.dial().finally(() => {
      this.dialing = undefined;
      this.dialAbort = undefined;
    });
    return this.dialing;
  }

  private async dial(): Promise<Connection> {
    const abort = new AbortController();
    this.dialAbort = abort;
    const plugins = this.ctx.plugins;
    let conn: Connection;
    try {
      const socket = await dial(this.ctx.address, {
        connectTimeoutMs: this.settings.connectTimeoutMs,
        tls: this.settings.tls,
        keepAliveMs: this.settings.keepAliveMs,
        signal: abort.signal,
      });
      if (this.closeReason !== undefined) {
        socket.destroy();
        throw this.closeReason;
      }
      conn = this.open(socket);
      try {
        await plugins.connCreated(conn.info);
        await plugins.clientConnected(conn.info);
      } catch (error) {
        conn.destroy(asRpcxError(error, ErrorCode.Internal));
        throw error;
      }
      if (this.closeReason !== undefined) {
        conn.destroy(this.closeReason);
        throw this.closeReason;
      }
      if (conn.closeReason !== undefined) throw conn.closeReason;
    } catch (error) {
      throw this.dialFailed(error);
    }
    this.conn = conn;
    this.backoff.reset();
    this.retryAt = 0;
    this.lastDialError = undefined;
    conn.startHeartbeat();
    return conn;
  }

  /** Starts the backoff and tells plugins; returns the error calls see. */
  private dialFailed(thrown: unknown): RpcxError {
    if (this.closeReason !== undefined) return this.closeReason;
    const error = asRpcxError(thrown, ErrorCode.Unavailable);
    const delay = this.backoff.fail();
    this.retryAt = monotonicNow() + delay;
    this.lastDialError = error;
    this.ctx.logger.warn('rpcx client: dial failed', {
      address: this.ctx.address,
      error: error.message,
      retryInMs: delay,
    });
    void this.ctx.plugins.connCreateFailed(this.ctx.address, error);
    return error;
  }

  /** Waits `ms`, unless `signal` aborts or the client closes first. */
  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const signals =
        signal === undefined ? [this.lifetime.signal] : [this.lifetime.signal, signal];
      const onAbort = () => {
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener('abort', onAbort);
        reject(
          this.closeReason ??
            new RpcxError(ErrorCode.Canceled, `connect ${this.ctx.address}: canceled`),
        );
      };
      const timer = setTimeout(() => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      for (const s of signals) {
        if (s.aborted) {
          onAbort();
          return;
        }
        s.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}
