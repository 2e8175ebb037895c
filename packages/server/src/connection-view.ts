/**
 * What plugins, handlers and `server.connections()` get of a connection: its addresses, the
 * verified client certificate, its state, and `close()`. The object that owns the socket stays
 * out of reach (a private field), so nothing outside the server can write to it.
 */
import type { VerifiedCertificate } from '@rpcx/core';
import type { ServerConnection } from './types.js';

export class ConnectionView implements ServerConnection {
  readonly #conn: ServerConnection;
  readonly id: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly network: string;
  readonly peerCertificate: VerifiedCertificate | undefined;

  /** `conn` is the connection that owns the socket; the view never hands it out. */
  constructor(conn: ServerConnection) {
    this.#conn = conn;
    this.id = conn.id;
    this.remoteAddress = conn.remoteAddress;
    this.localAddress = conn.localAddress;
    this.network = conn.network;
    this.peerCertificate = conn.peerCertificate;
  }

  get closed(): boolean {
    return this.#conn.closed;
  }

  get inFlight(): number {
    return this.#conn.inFlight;
  }

  get pendingWriteBytes(): number {
    return this.#conn.pendingWriteBytes;
  }

  get readingPaused(): boolean {
    return this.#conn.readingPaused;
  }

  close(): void {
    this.#conn.close();
  }
}
