/**
 * Go's `BlacklistPlugin` (spec §3.14): peers whose IP is on the list — an address or a CIDR
 * range, IPv4 or IPv6 — are closed right after accept; everyone else is served. A peer whose
 * address is not an IP (a unix socket, an in-process client) is served, as Go accepts an address
 * it cannot parse.
 *
 *   new Server({ plugins: [new IpDenyListPlugin(['192.0.2.0/24', '2001:db8::/32'])] });
 */
import { IpListPlugin } from './ip-list.js';

export class IpDenyListPlugin extends IpListPlugin {
  readonly name = 'IpDenyListPlugin';

  protected admits(ip: string | undefined): boolean {
    return ip === undefined || !this.list.has(ip);
  }
}
