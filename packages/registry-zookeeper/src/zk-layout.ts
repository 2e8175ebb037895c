/**
 * The znode layout of Go rpcx's ZooKeeper plugin (rpcxio/rpcx-zookeeper, spec §6.4 and §6.6), and
 * the few pieces of Go's `net/url` its refresh loop relies on.
 *
 *   /<base>                      "rpcx_path"       persistent
 *   /<base>/<service>            "<service>"       persistent
 *   /<base>/<service>/<address>  "<metadata>"      ephemeral (one per server instance)
 */
import { parseQuery } from '@rpcx/core';

/** The data Go writes on the base path's znode. */
export const BASE_PATH_DATA = 'rpcx_path';

/** `servers` as a ZooKeeper connection string (`host:port,host:port`). */
export function connectStringOf(servers: readonly string[] | string, what: string): string {
  const list = (typeof servers === 'string' ? servers.split(',') : [...servers])
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (list.length === 0) throw new TypeError(`${what}: \`servers\` names no ZooKeeper server`);
  return list.join(',');
}

/**
 * The segments of a base path or service path: Go strips the leading `/` (and the store adds
 * it back), splits on `/` and creates every level; empty segments are dropped here (ZooKeeper
 * rejects `//`).
 */
export function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

/** `/a/b` from `['a', 'b']`. */
export function znodePath(segments: readonly string[]): string {
  return `/${segments.join('/')}`;
}

/**
 * Checks a server key (`tcp@127.0.0.1:8972`) can be one znode name: Go joins it into the path as
 * is, so a key with `/` (`unix@/run/x.sock`) would become nested znodes no discovery can read.
 */
export function checkServiceAddress(address: string, what: string): string {
  if (address === '' || address.includes('/') || address === '.' || address === '..') {
    throw new TypeError(
      `${what}: the service address ${JSON.stringify(address)} cannot be a znode name` +
        " (ZooKeeper registers one znode per server, named by its key; a key with '/', such as a unix socket path, cannot be one)",
    );
  }
  return address;
}

/** Go's `url.QueryEscape`: only `A-Za-z0-9-_.~` stay, a space is `+`, the rest `%XX`. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Go's `url.Values.Encode`: keys sorted (bytewise), every value of a key in order, escaped. */
export function encodeQuery(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort(byBytes);
  return keys
    .flatMap((key) =>
      params.getAll(key).map((value) => `${queryEscape(key)}=${queryEscape(value)}`),
    )
    .join('&');
}

/**
 * The refresh loop's value (spec §6.4): the stored metadata parsed, `extra` set over it, encoded
 * as Go's `url.Values.Encode` (keys sorted). `undefined` when the stored value does not parse
 * (Go would drop the bad pairs; we leave an operator's value alone instead).
 */
export function mergedMetadata(
  stored: string,
  extra: Readonly<Record<string, string>>,
): string | undefined {
  const params = parseQuery(stored);
  if (params === undefined) return undefined;
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  try {
    return encodeQuery(params);
  } catch {
    return undefined; // a lone surrogate cannot be percent-encoded
  }
}
