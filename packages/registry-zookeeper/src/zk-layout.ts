/**
 * The znode layout of Go rpcx's ZooKeeper plugin (rpcxio/rpcx-zookeeper, spec §6.4 and §6.6).
 *
 *   /<base>                      "rpcx_path"       persistent
 *   /<base>/<service>            "<service>"       persistent
 *   /<base>/<service>/<address>  "<metadata>"      ephemeral (one per server instance)
 */

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
