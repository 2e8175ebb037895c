/** Opens a client socket to an rpcx address. */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { ErrorCode, RpcxError } from '@rpcx/core';
import { formatAddress, parseAddress, type RpcxAddress } from './address.js';
import { dialInProcess } from './in-process.js';
import { noteClientCertificate } from './peer-certificate.js';
import { toRpcxError } from './socket-errors.js';
import type { TransportSocket } from './transport-socket.js';

export interface DialOptions {
  /** Fails the dial with `unavailable` after this long. Default 10 s (Go: 1 s ConnectTimeout). */
  connectTimeoutMs?: number;
  /**
   * TLS for `tls@` addresses; with it, `tcp@` addresses are dialled with TLS too, as in Go.
   * Ignored for `unix@` and `inprocess@` addresses.
   */
  tls?: ConnectionOptions;
  /** TCP keep-alive probe delay; 0 disables. Default 60 s, as Go's client. */
  keepAliveMs?: number;
  signal?: AbortSignal;
}

/**
 * Connects to `target`: a `net.Socket` (tcp, tls, unix) or, for `inprocess@name`, one end of an
 * in-memory pair whose other end the listener of that name has already accepted.
 */
export function dial(
  target: string | RpcxAddress,
  options: DialOptions = {},
): Promise<TransportSocket> {
  const address = typeof target === 'string' ? parseAddress(target) : target;
  const key = formatAddress(address);
  const context = `dial ${key}`;
  if (options.signal?.aborted) {
    return Promise.reject(new RpcxError(ErrorCode.Canceled, `${context}: canceled`));
  }
  if (address.network === 'inprocess') {
    try {
      return Promise.resolve(dialInProcess(address.name));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return new Promise<Socket>((resolve, reject) => {
    const useTls =
      address.network === 'tls' || (address.network !== 'unix' && options.tls !== undefined);
    const endpoint =
      address.network === 'unix'
        ? { path: address.path }
        : { host: address.host, port: address.port };
    const family = address.network === 'tcp4' ? 4 : address.network === 'tcp6' ? 6 : undefined;
    const socket = useTls
      ? tlsConnect({
          ...options.tls,
          ...endpoint,
          ...(family ? { family } : {}),
          servername: tlsServerName(address, options.tls),
        })
      : netConnect({ ...endpoint, ...(family ? { family } : {}) });
    const readyEvent = useTls ? 'secureConnect' : 'connect';

    const fail = (error: unknown) => {
      cleanup();
      socket.destroy();
      reject(toRpcxError(error, context));
    };
    const timer = setTimeout(
      () =>
        fail(
          new RpcxError(
            ErrorCode.Unavailable,
            `${context}: connect timed out after ${options.connectTimeoutMs ?? 10_000} ms`,
          ),
        ),
      options.connectTimeoutMs ?? 10_000,
    );
    const onAbort = () => fail(new RpcxError(ErrorCode.Canceled, `${context}: canceled`));
    const onReady = () => {
      cleanup();
      if (useTls) noteClientCertificate(socket as TLSSocket);
      if (address.network !== 'unix') {
        socket.setNoDelay(true);
        const keepAlive = options.keepAliveMs ?? 60_000;
        if (keepAlive > 0) socket.setKeepAlive(true, keepAlive);
      }
      resolve(socket);
    };
    function cleanup() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
      socket.off(readyEvent, onReady);
    }
    socket.once('error', fail);
    socket.once(readyEvent, onReady);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** SNI and certificate checks use the host, unless the caller named a server. */
function tlsServerName(
  address: RpcxAddress,
  tls: ConnectionOptions | undefined,
): string | undefined {
  if (tls?.servername !== undefined) return tls.servername;
  if (address.network === 'unix' || address.network === 'inprocess') return undefined;
  // SNI must not be an IP address; certificate checks still use the host.
  return /^[\d.]+$|:/.test(address.host) ? undefined : address.host;
}
