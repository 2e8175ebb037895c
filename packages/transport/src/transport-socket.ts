/**
 * What a framed connection needs of its byte stream: the part of `net.Socket` it uses. TCP, TLS
 * and unix sockets are `net.Socket`s and fit as they are (no wrapper, no extra work per write);
 * the in-process transport's `InProcessSocket` is a `Duplex` that fits too. So one
 * `FramedConnection`, and one client and server connection above it, run over both.
 */
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

/** Events used: `data`, `drain`, `error`, `close` (and `end`/`finish` by the streams themselves). */
export interface TransportSocket
  extends EventEmitter,
    Pick<
      Duplex,
      | 'write'
      | 'end'
      | 'destroy'
      | 'pause'
      | 'resume'
      | 'isPaused'
      | 'destroyed'
      | 'writableNeedDrain'
      | 'writableLength'
      | 'writableHighWaterMark'
    > {
  /** The peer: an IP address (with `remotePort`), undefined for a unix socket, or a name. */
  readonly remoteAddress?: string | undefined;
  /** Undefined when `remoteAddress` is not an IP address. */
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/**
 * One end of a socket as text: `127.0.0.1:8972`, `[::1]:8972`, `unix socket`, or the name an
 * in-process end gives itself.
 */
export function describeEnd(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unix socket'; // unix sockets have no address
  if (port === undefined) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The peer of `socket` as text (see `describeEnd`). */
export function describeRemote(socket: TransportSocket): string {
  return describeEnd(socket.remoteAddress, socket.remotePort);
}
