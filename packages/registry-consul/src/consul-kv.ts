/**
 * The few Consul HTTP calls the discovery and the register plugin make, over the `consul` client
 * library: KV list (blocking, with the `X-Consul-Index`), get, put (optionally acquiring a key for
 * a session), delete, and session create / renew / destroy. Every call has a timeout; a list can
 * be cancelled with an `AbortSignal`. This is the only module that knows the library.
 */
import { EventEmitter } from 'node:events';
import { isErrorLike } from '@rpcx/core';
import Consul from 'consul';

/**
 * The KV flags Go's libkv writes on every key: `api.LockFlagValue` (0x2ddccbc058a50c18) of the
 * Consul Go API. Above 2^53, so it travels as a decimal string.
 */
export const LOCK_FLAG_VALUE = '3304740253564472344';

/** Where the Consul agent's HTTP API is, and how to talk to it. */
export interface ConsulConnectionOptions {
  /**
   * The agent's HTTP address: `host:port` (Go's `ConsulServers[0]`), `[::1]:8500`, or a URL
   * `http://host:port` / `https://host:port`. Default `127.0.0.1:8500`.
   */
  address?: string;
  /** An ACL token, sent as `X-Consul-Token`. */
  token?: string;
  /** How long one request other than a blocking list may take (ms). Default 5000. */
  requestTimeoutMs?: number;
}

/** One KV entry as Consul returns it. */
export interface KvEntry {
  readonly key: string;
  /** The value as UTF-8 text ('' for an empty or null value). */
  readonly value: string;
  /** The session holding the key's lock, if any. */
  readonly session: string | undefined;
  readonly modifyIndex: number;
}

/** A KV list and the index to block on for the next change. */
export interface KvList {
  readonly entries: KvEntry[];
  /** `X-Consul-Index` of the answer (0 when Consul did not send one). */
  readonly index: number;
}

/** What the library hands back for a KV item (its typings leave out Session). */
interface RawItem {
  Key: string;
  Value: string | null;
  Session?: string;
  ModifyIndex: number;
}

/** A response as the library returns it with `ctx.includeResponse`. */
interface RawResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
}

type Ctx = EventEmitter & { includeResponse?: boolean };

type Options = Record<string, unknown>;

/**
 * The part of the library used here, with the options it takes (its typings leave out `timeout`,
 * `ctx`, `index`, `wait` and the session fields of KV items).
 */
interface ConsulApi {
  kv: {
    get(options: Options): Promise<unknown>;
    set(options: Options): Promise<unknown>;
    del(options: Options): Promise<unknown>;
  };
  session: {
    create(options: Options): Promise<{ ID: string }>;
    renew(options: Options): Promise<unknown>;
    destroy(options: Options): Promise<unknown>;
  };
  destroy(): void;
}

const DEFAULT_ADDRESS = '127.0.0.1:8500';

/** `host:port` or a URL → the library's `baseUrl` (`http://host:port/v1`). */
export function consulBaseUrl(address: string = DEFAULT_ADDRESS): string {
  const withScheme = /^https?:\/\//i.test(address) ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`Consul address ${JSON.stringify(address)} is not host:port or a URL`);
  }
  if (url.port === '' && !/^https?:\/\//i.test(address)) url.port = '8500';
  return `${url.protocol}//${url.host}/v1`;
}

/** The HTTP status of a failed library call, if it got an answer. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export class ConsulKv {
  readonly #consul: ConsulApi;
  readonly #timeoutMs: number;

  constructor(options: ConsulConnectionOptions = {}) {
    const baseUrl = consulBaseUrl(options.address);
    // The typings leave out `baseUrl`, which the library takes over host/port/secure.
    const settings: Options = { baseUrl };
    if (options.token !== undefined) settings.defaults = { token: options.token };
    this.#consul = new Consul(settings) as unknown as ConsulApi;
    this.#timeoutMs = options.requestTimeoutMs ?? 5_000;
  }

  /**
   * The entries whose key starts with `prefix`. With `index` > 0 this is a blocking query: Consul
   * answers when the prefix changed past `index`, or after `waitMs` with the same index.
   */
  async list(
    prefix: string,
    options: { index?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<KvList> {
    const blocking = options.index !== undefined && options.index > 0;
    const waitMs = options.waitMs ?? 15_000;
    const query: Record<string, unknown> = { key: prefix, recurse: true };
    if (blocking) {
      query.index = String(options.index);
      query.wait = `${Math.ceil(waitMs / 1000)}s`;
    }
    // Consul adds up to wait/16 of jitter to a blocking query; then the network.
    const timeout = blocking ? waitMs + waitMs / 16 + this.#timeoutMs : this.#timeoutMs;
    const [response, body] = await this.#withResponse<[RawResponse, unknown]>(
      (ctx) => this.#consul.kv.get({ ...query, ctx, timeout }),
      options.signal,
    );
    const items = Array.isArray(body) ? (body as RawItem[]) : [];
    const header = response.headers['x-consul-index'];
    const index = Number(Array.isArray(header) ? header[0] : header);
    return { entries: items.map(toEntry), index: Number.isSafeInteger(index) ? index : 0 };
  }

  /** One key, or undefined when it does not exist. */
  async get(key: string): Promise<KvEntry | undefined> {
    const item = (await this.#consul.kv.get({ key, timeout: this.#timeoutMs })) as
      | RawItem
      | null
      | undefined;
    return item ? toEntry(item) : undefined;
  }

  /**
   * Writes `value` at `key` with Go's lock flags. With `acquire` the key is locked by that session
   * (created if missing); false when another session holds it.
   */
  async put(key: string, value: string, options: { acquire?: string } = {}): Promise<boolean> {
    const result = await settled(
      this.#consul.kv.set({
        key,
        value,
        flags: LOCK_FLAG_VALUE,
        ...(options.acquire === undefined ? {} : { acquire: options.acquire }),
        timeout: this.#timeoutMs,
      }),
    );
    return result === true;
  }

  async delete(key: string): Promise<void> {
    await settled(this.#consul.kv.del({ key, timeout: this.#timeoutMs }));
  }

  /** A session that deletes the keys it holds when it ends; its TTL in whole seconds. */
  async createSession(name: string, ttlSeconds: number): Promise<string> {
    const created = await settled(
      this.#consul.session.create({
        name,
        ttl: `${ttlSeconds}s`,
        behavior: 'delete',
        // Go's libkv: "virtually disable lock delay", so a key can be re-acquired at once.
        lockdelay: '1ms',
        timeout: this.#timeoutMs,
      }),
    );
    return created.ID;
  }

  /** Renews a session; false when Consul does not know it (expired, destroyed, state lost). */
  async renewSession(id: string): Promise<boolean> {
    try {
      const renewed = await settled(this.#consul.session.renew({ id, timeout: this.#timeoutMs }));
      return Array.isArray(renewed) && renewed.length > 0;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async destroySession(id: string): Promise<void> {
    await settled(this.#consul.session.destroy({ id, timeout: this.#timeoutMs }));
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#consul.destroy();
  }

  /** Runs a call with a cancellable context that asks the library for the response too. */
  async #withResponse<T>(run: (ctx: Ctx) => Promise<unknown>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const ctx: Ctx = new EventEmitter();
    ctx.includeResponse = true;
    const cancel = () => ctx.emit('cancel');
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return (await run(ctx)) as T;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }
}

/**
 * The library's calls answered by its `body`/`empty` helpers resolve with a transport error
 * (connection refused, reset) instead of rejecting when that error is not `instanceof Error` in
 * the library's realm (a test sandbox): reject with it in every realm.
 */
async function settled<T>(call: Promise<T>): Promise<T> {
  const result = await call;
  if (isErrorLike(result)) throw result;
  return result;
}

function toEntry(item: RawItem): KvEntry {
  return {
    key: item.Key,
    value: item.Value ?? '',
    session: item.Session || undefined,
    modifyIndex: item.ModifyIndex,
  };
}
