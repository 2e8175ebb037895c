import type { MdnsSocketOptions } from '../mdns-socket.js';

/**
 * multicast-dns options inside a test namespace, where `lo` is the only multicast interface
 * (registry-rig.md: with the default bind it never receives).
 */
export const NETNS_SOCKET: MdnsSocketOptions = {
  interface: '127.0.0.1',
  bind: '0.0.0.0',
  multicast: true,
  loopback: true,
  reuseAddr: true,
};
