/**
 * A list of IP addresses and CIDR ranges, IPv4 and IPv6, for the allow and deny list plugins —
 * node:net's `BlockList` underneath. An IPv4 entry also matches the IPv4-mapped IPv6 form a
 * dual-stack listener reports (`::ffff:127.0.0.1`), as Go's `net.IPNet.Contains` does.
 *
 *   new IpList(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'])
 */
import { BlockList, isIP } from 'node:net';
import { type ConnectionInfo, ErrorCode, RpcxError, type ServerPlugin } from '@rpcx/core';

export class IpList {
  private readonly list = new BlockList();

  constructor(entries: readonly string[] = []) {
    for (const entry of entries) this.add(entry);
  }

  /** Adds an address (`10.1.2.3`, `::1`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
  add(entry: string): this {
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const version = isIP(address);
    if (version === 0) throw invalidEntry(entry);
    const type = version === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) {
      this.list.addAddress(address, type);
      return this;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (version === 4 ? 32 : 128)) {
      throw invalidEntry(entry);
    }
    this.list.addSubnet(address, prefix, type);
    return this;
  }

  /** Whether `ip` (an address, not `host:port`) is on the list. */
  has(ip: string): boolean {
    const version = isIP(ip);
    if (version === 0) return false;
    return this.list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The peer's IP from a connection's `remoteAddress` (`127.0.0.1:8972`, `[::1]:8972`), as Go's
 * `net.SplitHostPort` + `net.ParseIP` read it; `undefined` when it is not an IP address (a unix
 * socket, an in-process peer). An IPv6 zone (`%eth0`) is dropped.
 */
export function remoteIp(remoteAddress: string): string | undefined {
  let host: string;
  if (remoteAddress.startsWith('[')) {
    const close = remoteAddress.indexOf(']');
    if (close < 0 || remoteAddress[close + 1] !== ':') return undefined;
    host = remoteAddress.slice(1, close);
  } else {
    const colon = remoteAddress.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = remoteAddress.slice(0, colon);
    if (host.includes(':')) return undefined; // an IPv6 address needs brackets before a port
  }
  const zone = host.indexOf('%');
  if (zone >= 0) host = host.slice(0, zone);
  return isIP(host) === 0 ? undefined : host;
}

/** An allow or deny list plugin: a list, and whether a peer's IP (if it has one) gets in. */
export abstract class IpListPlugin implements ServerPlugin {
  abstract readonly name: string;
  readonly list: IpList;

  constructor(entries: readonly string[]) {
    this.list = new IpList(entries);
  }

  postConnAccept(conn: ConnectionInfo): boolean {
    return this.admits(remoteIp(conn.remoteAddress));
  }

  /** `ip`: the peer's IP, undefined when its address is not one (a unix socket). */
  protected abstract admits(ip: string | undefined): boolean;
}

function invalidEntry(entry: string): RpcxError {
  return new RpcxError(
    ErrorCode.InvalidArgument,
    `IP list: "${entry}" is neither an IP address nor a CIDR range`,
  );
}
