/**
 * Accepting connections and keeping track of them (spec §3.3): the connection limit, the
 * `postConnAccept` plugins (which may refuse), and what plugins hear when a connection closes.
 */
import { ErrorCode, messageOf, RpcxError, type WarningLimiter } from '@rpcx/core';
import { describeRemote, type TransportSocket } from '@rpcx/transport';
import { Connection, type ConnectionHost, type ConnectionSettings } from './connection.js';
import { isThenable } from './interceptor.js';
import type { PluginAdapter } from './plugin-adapter.js';
import type { RequestPipeline } from './request-pipeline.js';

export class Acceptor {
  private readonly conns = new Map<number, Connection>();
  private emptyWaiters: Array<() => void> = [];
  private readonly host: ConnectionHost;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly plugins: PluginAdapter,
    pipeline: RequestPipeline,
    private readonly warnings: WarningLimiter,
    private readonly maxConnections: number,
    /** Counts a request in (the server's in-flight count). */
    requestStarted: () => void,
  ) {
    this.host = {
      warnings,
      handleFrame: (conn, bytes, start, end) => {
        requestStarted();
        pipeline.handleFrame(conn, bytes, start, end);
      },
      connectionClosed: (conn, error) => this.closed(conn, error),
    };
  }

  get size(): number {
    return this.conns.size;
  }

  /** A live connection by id. */
  get(id: number): Connection | undefined {
    return this.conns.get(id);
  }

  /** The accepted, open connections. */
  open(): Connection[] {
    const list: Connection[] = [];
    for (const conn of this.conns.values()) if (conn.accepted && !conn.closed) list.push(conn);
    return list;
  }

  /** Every tracked connection (accepted or not). */
  all(): Connection[] {
    return [...this.conns.values()];
  }

  /** Resolves once no connection is left (at once if none is). */
  whenEmpty(): Promise<void> {
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Stops whoever waits in `whenEmpty` (the server closes at once). */
  releaseWaiters(): void {
    for (const wake of this.emptyWaiters.splice(0)) wake();
  }

  accept(socket: TransportSocket, network: string): void {
    if (this.conns.size >= this.maxConnections) {
      const remote = describeRemote(socket);
      this.warnings.warn(
        `rpcx: too many connections (max ${this.maxConnections}); closing ${remote}`,
        { remoteAddress: remote },
      );
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, network, this.host, this.settings);
    this.conns.set(conn.id, conn);
    if (this.plugins.postConnAccept.length === 0) {
      conn.accept();
    } else {
      void this.runAcceptHooks(conn);
    }
  }

  /** Go's `DoPostConnAccept`: the first `false` (or throw) closes the connection. */
  private async runAcceptHooks(conn: Connection): Promise<void> {
    let refusal: string | undefined;
    for (const plugin of this.plugins.postConnAccept) {
      const name = plugin.name ?? '(unnamed)';
      try {
        let verdict = plugin.postConnAccept(conn.view);
        if (isThenable(verdict)) verdict = await verdict;
        if (verdict === false) {
          refusal = `refused by postConnAccept plugin ${name}`;
          break;
        }
      } catch (error) {
        refusal = `refused by postConnAccept plugin ${name}: ${messageOf(error)}`;
        break;
      }
    }
    if (conn.closed) return;
    if (refusal !== undefined) {
      conn.destroy(new RpcxError(ErrorCode.Unavailable, refusal));
      return;
    }
    conn.accept();
  }

  private closed(conn: Connection, error: RpcxError | undefined): void {
    this.conns.delete(conn.id);
    const plugins = this.plugins;
    const view = conn.view;
    // Framing errors happen before a request exists; Go's PostReadRequest sees them too.
    if (
      conn.accepted &&
      !conn.readFailureReported &&
      error !== undefined &&
      (error.code === ErrorCode.Protocol || error.code === ErrorCode.MessageTooLarge) &&
      plugins.postReadRequest.length > 0
    ) {
      void plugins.runIgnoring('postReadRequest', plugins.postReadRequest, (p) =>
        p.postReadRequest(view, undefined, error),
      );
    }
    if (conn.accepted && plugins.postConnClose.length > 0) {
      void plugins.runIgnoring('postConnClose', plugins.postConnClose, (p) =>
        p.postConnClose(view),
      );
    }
    if (this.conns.size === 0) this.releaseWaiters();
  }
}
