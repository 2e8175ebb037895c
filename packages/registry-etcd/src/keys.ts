/**
 * The key layout of Go's rpcx-etcd (spec §6.4, §6.5), used verbatim as Go does (a leading `/` in
 * the base path is kept, nothing is normalised), so that Go and TS read each other's keys:
 *
 *   <basePath>                           "rpcx_path"      (directory marker)
 *   <basePath>/<servicePath>             "<servicePath>"  (directory marker)
 *   <basePath>/<servicePath>/<address>   "<metadata>"     (one per server, e.g. tcp@10.0.0.5:8972)
 */

/** The node of one server: `<basePath>/<servicePath>/<serviceAddress>`. */
export function etcdNodeKey(basePath: string, servicePath: string, serviceAddress: string): string {
  return `${basePath}/${servicePath}/${serviceAddress}`;
}

/** The directory marker of a service: `<basePath>/<servicePath>`. */
export function etcdServiceKey(basePath: string, servicePath: string): string {
  return `${basePath}/${servicePath}`;
}

/**
 * What a discovery of `servicePath` lists: the keys under `<basePath>/<servicePath>/` (so `Arith`
 * never matches `ArithX`). As Go's `NewEtcdV3Discovery`, one trailing `/` of
 * `<basePath>/<servicePath>` is dropped first.
 */
export function etcdServicePrefix(basePath: string, servicePath: string): string {
  let path = `${basePath}/${servicePath}`;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return `${path}/`;
}

/** The end of the key range of all keys starting with `prefix` (etcd's `WithPrefix`). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all keys
}
