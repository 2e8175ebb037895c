/**
 * Broadcast, fork and inform (spec §4.3, §7.2): one call per usable server, bypassing the
 * selector and the fail mode. Servers that cannot be connected to are skipped by broadcast and
 * fork, as in Go; inform reports them as failed receipts, so every server is accounted for.
 */
import { asRpcxError, ErrorCode, RpcxError } from '@rpcx/core';

/** One server's outcome of `inform`. */
export interface Receipt<Reply = unknown> {
  /** The server key, `tcp@127.0.0.1:8972`. */
  readonly key: string;
  /** The address without the network, `127.0.0.1:8972`, as Go's `Receipt.Address`. */
  readonly address: string;
  readonly reply?: Reply;
  readonly error?: RpcxError;
}

/** What fan-out needs of the XClient. */
export interface FanOutHost {
  /** Why no call can be made (the client closed), if so. */
  readonly refused: RpcxError | undefined;
  /** The usable server keys now. */
  servers(): readonly string[];
  /** Connects to a server, or throws why it cannot. */
  connect(key: string): Promise<void>;
  /** Calls the method on that server only, through the call path. */
  callOn(key: string): Promise<unknown>;
  /** `Service.Method`, for messages. */
  readonly name: string;
}

/** Every server must answer; resolves with the first reply, rejects at the first failure. */
export async function broadcast(host: FanOutHost): Promise<unknown> {
  const keys = await reachable(host, 'broadcast');
  return new Promise((resolve, reject) => {
    let left = keys.length;
    let first: { reply: unknown } | undefined;
    for (const key of keys) {
      host.callOn(key).then(
        (reply) => {
          first ??= { reply };
          if (--left === 0) resolve(first.reply);
        },
        (error: unknown) => reject(failure('broadcast', host.name, [[key, error]], keys.length)),
      );
    }
  });
}

/** The first server to answer wins; rejects only when every server failed. */
export async function fork(host: FanOutHost): Promise<unknown> {
  const keys = await reachable(host, 'fork');
  return new Promise((resolve, reject) => {
    const errors: [string, unknown][] = [];
    for (const key of keys) {
      host.callOn(key).then(resolve, (error: unknown) => {
        errors.push([key, error]);
        if (errors.length === keys.length) reject(failure('fork', host.name, errors, keys.length));
      });
    }
  });
}

/** Every server's reply or error, in server key order. */
export async function inform(host: FanOutHost): Promise<Receipt[]> {
  if (host.refused !== undefined) throw host.refused;
  const keys = host.servers();
  if (keys.length === 0) throw noServer('inform', host.name);
  return Promise.all(
    keys.map(async (key): Promise<Receipt> => {
      const address = key.slice(key.indexOf('@') + 1);
      try {
        await host.connect(key);
        return { key, address, reply: await host.callOn(key) };
      } catch (error) {
        return { key, address, error: asError(error) };
      }
    }),
  );
}

/** The servers that can be connected to; none is an error. */
async function reachable(host: FanOutHost, what: string): Promise<string[]> {
  if (host.refused !== undefined) throw host.refused;
  const keys = host.servers();
  const connected = await Promise.all(
    keys.map((key) =>
      host.connect(key).then(
        () => key,
        () => undefined,
      ),
    ),
  );
  const usable = connected.filter((key): key is string => key !== undefined);
  if (usable.length === 0) throw noServer(what, host.name);
  return usable;
}

function noServer(what: string, name: string): RpcxError {
  return new RpcxError(ErrorCode.NoServer, `${what} ${name}: can not found any server`);
}

/** One error for the failures of a fan-out; its cause holds each server's error. */
function failure(
  what: string,
  name: string,
  errors: readonly (readonly [string, unknown])[],
  total: number,
): RpcxError {
  const first = asError(errors[0]![1]);
  const list = errors.map(([key, error]) => `${key}: ${asError(error).message}`).join('; ');
  return new RpcxError(
    first.code,
    `${what} ${name}: ${errors.length} of ${total} servers failed: ${list}`,
    {
      cause: new AggregateError(
        errors.map(([, error]) => error),
        list,
      ),
      metadata: first.metadata,
    },
  );
}

function asError(error: unknown): RpcxError {
  return asRpcxError(error, ErrorCode.Internal);
}
