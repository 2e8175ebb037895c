/**
 * The `inprocess` network (Go's `memu`): a server of this process listens on a name, and dialling
 * `inprocess@name` hands it one end of an `InProcessSocket` pair — no socket, no port, the same
 * framing, codecs and plugins above. The names live in one registry per process (on `globalThis`
 * under a registered symbol, so that two copies of this package, ESM and CJS, share it).
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { InProcessSocket } from './in-process-socket.js';

type Accept = (socket: InProcessSocket) => void;

const registryKey = Symbol.for('@rpcx/transport/in-process-listeners');

function listeners(): Map<string, InProcessListener> {
  const holder = globalThis as { [registryKey]?: Map<string, InProcessListener> };
  holder[registryKey] ??= new Map();
  return holder[registryKey];
}

/** Numbers the dialled ends, as ephemeral ports tell TCP connections apart. */
let nextDial = 1;

/** A name taken until `close()`; a `Listener` (listen.ts) by its shape. */
export class InProcessListener {
  readonly address: string;

  constructor(
    readonly name: string,
    readonly accept: Accept,
  ) {
    this.address = `inprocess@${name}`;
  }

  /** Frees the name (unless another listener has it by now); open connections stay. */
  close(): Promise<void> {
    const registry = listeners();
    if (registry.get(this.name) === this) registry.delete(this.name);
    return Promise.resolve();
  }
}

/**
 * Listens on `name` until the listener closes; `onConnection` gets the server end of each dial.
 * Throws `InvalidArgument` when the name is taken, as a taken TCP port does.
 */
export function listenInProcess(name: string, onConnection: Accept): InProcessListener {
  const registry = listeners();
  const address = `inprocess@${name}`;
  if (registry.has(name)) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `listen ${address}: address already in use (another listener of this process has it)`,
    );
  }
  const listener = new InProcessListener(name, onConnection);
  registry.set(name, listener);
  return listener;
}

/**
 * Connects to the listener on `name` and returns the client end; the listener has the other
 * before this returns. Throws `Unavailable` when nothing listens, as a refused TCP connect does.
 */
export function dialInProcess(name: string): InProcessSocket {
  const address = `inprocess@${name}`;
  const listener = listeners().get(name);
  if (listener === undefined) {
    throw new RpcxError(
      ErrorCode.Unavailable,
      `dial ${address}: connection refused (nothing listens on ${address} in this process)`,
    );
  }
  const [client, server] = InProcessSocket.pair(`${address}#${nextDial++}`, address);
  try {
    listener.accept(server);
  } catch (error) {
    client.destroy();
    server.destroy();
    throw new RpcxError(ErrorCode.Unavailable, `dial ${address}: the listener failed to accept`, {
      cause: error,
    });
  }
  return client;
}
