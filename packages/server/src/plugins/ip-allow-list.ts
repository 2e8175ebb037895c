/**
 * Go's `WhitelistPlugin` (spec §3.14): only peers whose IP is on the list — an address or a CIDR
 * range, IPv4 or IPv6 — are served; every other connection is closed right after accept. A peer
 * whose address is not an IP (a unix socket, an in-process client) is refused, as Go refuses an
 * address it cannot parse.
 *
 *   new Server({ plugins: [new IpAllowListPlugin(['127.0.0.1', '10.0.0.0/8', '::1'])] });
 */
import { IpListPlugin } from './ip-list.js';

export class IpAllowListPlugin extends IpListPlugin {
  readonly name = 'IpAllowListPlugin';

  protected admits(ip: string | undefined): boolean {
    return ip !== undefined && this.list.has(ip);
  }
}
