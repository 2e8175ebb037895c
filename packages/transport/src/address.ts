/**
 * Server addresses written the rpcx way (spec §6.2): `network@address`, e.g. `tcp@127.0.0.1:8972`,
 * `tcp@[::1]:8972`, `tls@example.com:8973`, `unix@/run/rpcx.sock`. A key without `@` is tcp.
 * `tls` is our name for tcp with TLS (Go configures TLS on the client instead). `inprocess@name`
 * is a server in this process, reached without a socket (Go's `memu` network).
 */
import { ErrorCode, RpcxError } from '@rpcx/core';

export type Network = 'tcp' | 'tcp4' | 'tcp6' | 'tls' | 'unix' | 'inprocess';

const networks: ReadonlySet<string> = new Set<Network>([
  'tcp',
  'tcp4',
  'tcp6',
  'tls',
  'unix',
  'inprocess',
]);

export type RpcxAddress =
  | { network: Exclude<Network, 'unix' | 'inprocess'>; host: string; port: number }
  | { network: 'unix'; path: string }
  | { network: 'inprocess'; name: string };

export function parseAddress(key: string): RpcxAddress {
  const at = key.indexOf('@');
  const network = at < 0 ? 'tcp' : key.slice(0, at);
  const rest = at < 0 ? key : key.slice(at + 1);
  if (!networks.has(network)) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `unsupported network "${network}" in ${key}: use tcp, tcp4, tcp6, tls, unix or inprocess`,
    );
  }
  if (network === 'unix') {
    if (rest === '') throw invalid(key, 'a unix address needs a socket path');
    return { network, path: rest };
  }
  if (network === 'inprocess') {
    if (rest === '') throw invalid(key, 'an inprocess address needs a name');
    return { network, name: rest };
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) throw invalid(key, 'expected host:port');
  let host = rest.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = rest.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw invalid(key, `bad port "${portText}"`);
  return {
    network: network as Exclude<Network, 'unix' | 'inprocess'>,
    host: host === '' ? '127.0.0.1' : host,
    port,
  };
}

export function formatAddress(address: RpcxAddress): string {
  if (address.network === 'unix') return `unix@${address.path}`;
  if (address.network === 'inprocess') return `inprocess@${address.name}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.network}@${host}:${address.port}`;
}

function invalid(key: string, why: string): RpcxError {
  return new RpcxError(ErrorCode.InvalidArgument, `bad rpcx address "${key}": ${why}`);
}
