/**
 * Go rpcx's KV layout in Consul (spec §6.4, §6.7; rpcx-consul v0.1.1 + libkv v0.5.1):
 *
 *   <base>                          "rpcx_path"      directory marker, permanent
 *   <base>/<service>                "<service>"      directory marker, permanent
 *   <base>/<service>/<address>      "<metadata>"     one per server, held by its session
 *
 * Consul keys carry no leading slash: Go strips one from the base path (and the discovery a
 * trailing one too); so does this module.
 */

/** `/rpcx_test/` → `rpcx_test`; '' stays '' (then keys start at the service). */
export function normalizeBasePath(basePath: string): string {
  return basePath.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** `<base>/<servicePath>` without a leading slash (Go: `basePath + "/" + servicePath`). */
export function servicePrefix(basePath: string, servicePath: string): string {
  const base = normalizeBasePath(basePath);
  return base === '' ? servicePath : `${base}/${servicePath}`;
}

/** The key of one server of a service. */
export function nodeKey(basePath: string, servicePath: string, serviceAddress: string): string {
  return `${servicePrefix(basePath, servicePath)}/${serviceAddress}`;
}

/** The value Go writes at the base path marker. */
export const BASE_PATH_VALUE = 'rpcx_path';
