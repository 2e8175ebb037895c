/** Listens on an rpcx address and hands over each accepted socket. */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { ErrorCode, RpcxError } from '@rpcx/core';
import { formatAddress, parseAddress, type RpcxAddress } from './address.js';
import { listenInProcess } from './in-process.js';
import { toRpcxError } from './socket-errors.js';
import { describeRemote, type TransportSocket } from './transport-socket.js';

export interface ListenOptions {
  /** Serve TLS (required for `tls@` addresses; turns `tcp@` into TLS too; ignored for `inprocess@`). */
  tls?: TlsOptions;
  backlog?: number;
  /** Told about TLS handshakes that failed (the connection never reaches `onConnection`). */
  onHandshakeError?: (error: RpcxError) => void;
}

export interface Listener {
  /** The bound address, with the real port when port 0 was asked for. */
  readonly address: string;
  /** Stops accepting; open connections are not touched. */
  close(): Promise<void>;
}

/**
 * Listens on `target`; `onConnection` gets each accepted socket — a `net.Socket`, or for
 * `inprocess@name` the server end of an in-memory pair (a taken name is refused as a taken port).
 */
export function listen(
  target: string | RpcxAddress,
  onConnection: (socket: TransportSocket) => void,
  options: ListenOptions = {},
): Promise<Listener> {
  const address = typeof target === 'string' ? parseAddress(target) : target;
  if (address.network === 'inprocess') {
    try {
      return Promise.resolve(listenInProcess(address.name, onConnection));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const context = `listen ${formatAddress(address)}`;
  const useTls =
    address.network === 'tls' || (address.network !== 'unix' && options.tls !== undefined);
  if (useTls && options.tls === undefined) {
    return Promise.reject(
      new RpcxError(
        ErrorCode.InvalidArgument,
        `${context}: a tls address needs tls options (key and cert)`,
      ),
    );
  }

  let server: Server;
  if (useTls) {
    const tlsServer = createTlsServer(options.tls!, onConnection);
    tlsServer.on('tlsClientError', (error, socket) =>
      options.onHandshakeError?.(handshakeError(error, socket)),
    );
    server = tlsServer;
  } else {
    server = createServer({ noDelay: true }, onConnection);
  }

  return new Promise<Listener>((resolve, reject) => {
    server.once('error', (error) => reject(toRpcxError(error, context)));
    const ready = () => resolve(new NodeListener(server, boundAddress(server, address)));
    if (address.network === 'unix')
      server.listen({ path: address.path, backlog: options.backlog }, ready);
    else
      server.listen(
        {
          host: address.host,
          port: address.port,
          backlog: options.backlog,
          ipv6Only: address.network === 'tcp6',
        },
        ready,
      );
  });
}

/**
 * Why a TLS handshake failed, with the client's address when Node still knows it. Node closes
 * the socket of a client whose certificate does not verify without saying why, to the client (no
 * TLS alert) or in the error (`socket hang up`): the reason is the socket's `authorizationError`.
 */
function handshakeError(error: Error, socket: TLSSocket): RpcxError {
  const context =
    socket.remoteAddress === undefined
      ? 'tls handshake'
      : `tls handshake with ${describeRemote(socket)}`;
  const refusal = socket.authorizationError as unknown;
  if (refusal === undefined || refusal === null) return toRpcxError(error, context);
  const why = refusal instanceof Error ? refusal.message : String(refusal);
  return new RpcxError(ErrorCode.Unauthenticated, `${context}: certificate refused: ${why}`, {
    cause: error,
  });
}

function boundAddress(server: Server, requested: RpcxAddress): string {
  if (requested.network === 'unix' || requested.network === 'inprocess') {
    return formatAddress(requested);
  }
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : requested.port;
  return formatAddress({ ...requested, port });
}

class NodeListener implements Listener {
  constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  close(): Promise<void> {
    // net.Server#close calls back only once every connection has ended; the listening socket
    // itself is released at once, which is all this promises.
    if (this.server.listening) this.server.close(() => {});
    return Promise.resolve();
  }
}
