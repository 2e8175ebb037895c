/**
 * One multicast-dns socket with promise-shaped open, send and close, and the small DNS record
 * shapes this package reads and writes (kept here so no multicast-dns or dns-packet type leaks
 * into the public API).
 */
import makeMdns from 'multicast-dns';

/**
 * Options of the multicast socket (multicast-dns's). The defaults are multicast-dns's: every IPv4
 * interface, port 5353, group 224.0.0.251, SO_REUSEADDR, multicast loopback on. Inside a network
 * namespace whose only multicast interface is `lo`, use
 * `{ interface: '127.0.0.1', bind: '0.0.0.0', multicast: true, loopback: true, reuseAddr: true }`.
 */
export interface MdnsSocketOptions {
  /** The interface address to send from and join the group on. Default: all IPv4 interfaces. */
  interface?: string;
  /** The address to bind, or `false` not to bind. Default: `interface`, else all addresses. */
  bind?: string | false;
  /** UDP port. Default 5353. */
  port?: number;
  /** Multicast group. Default 224.0.0.251. */
  ip?: string;
  /** Multicast TTL. Default 255. */
  ttl?: number;
  /** Receive this host's own packets (needed when servers and clients share a host). Default true. */
  loopback?: boolean;
  /** SO_REUSEADDR, so several sockets of one host share the port. Default true. */
  reuseAddr?: boolean;
  /** Join the multicast group. Default true. */
  multicast?: boolean;
}

/** A DNS record as multicast-dns decodes and encodes it. */
export interface DnsRecord {
  name: string;
  type: string;
  ttl?: number;
  class?: string;
  flush?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: record data differs per type (string, Buffer[], {port,target})
  data?: any;
}

export interface DnsQuestion {
  name: string;
  type: string;
  class?: string;
}

export interface DnsPacket {
  id?: number;
  type?: 'query' | 'response';
  flags?: number;
  questions?: DnsQuestion[];
  answers?: DnsRecord[];
  authorities?: DnsRecord[];
  additionals?: DnsRecord[];
}

export interface Sender {
  address: string;
  port: number;
}

export interface MdnsSocketHandlers {
  onQuery?(packet: DnsPacket, from: Sender): void;
  onResponse?(packet: DnsPacket, from: Sender): void;
  /** The socket failed after it was open; its owner should close it and open another. */
  onError(error: Error): void;
  /** Something worth a debug line (a membership that could not be added, a bad packet). */
  onWarning?(error: Error): void;
}

/** How long opening (binding) may take before it counts as failed. */
const OPEN_TIMEOUT_MS = 5_000;

type Mdns = ReturnType<typeof makeMdns>;

export class MdnsSocket {
  #mdns: Mdns;
  #closed = false;

  private constructor(mdns: Mdns) {
    this.#mdns = mdns;
  }

  /** Binds a socket; rejects if it cannot (e.g. `EADDRINUSE`, `EACCES`), within a bound. */
  static open(options: MdnsSocketOptions, handlers: MdnsSocketHandlers): Promise<MdnsSocket> {
    return new Promise((resolve, reject) => {
      let mdns: Mdns;
      try {
        mdns = makeMdns({ ...options });
      } catch (error) {
        reject(error);
        return;
      }
      const socket = new MdnsSocket(mdns);
      let opened = false;
      const fail = (error: Error) => {
        clearTimeout(timer);
        void socket.close();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`mDNS socket not bound within ${OPEN_TIMEOUT_MS} ms`)),
        OPEN_TIMEOUT_MS,
      );
      mdns.on('error', (error: Error) => {
        if (!opened) fail(error);
        else if (!socket.#closed) handlers.onError(error);
      });
      mdns.on('warning', (error: Error) => handlers.onWarning?.(error));
      mdns.on('query', (packet, from) => {
        if (!socket.#closed) handlers.onQuery?.(packet as DnsPacket, from);
      });
      mdns.on('response', (packet, from) => {
        if (!socket.#closed) handlers.onResponse?.(packet as DnsPacket, from);
      });
      mdns.once('ready', () => {
        opened = true;
        clearTimeout(timer);
        resolve(socket);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a query to the group (or to `to`); rejects with the send error. */
  query(packet: DnsPacket, to?: Sender): Promise<void> {
    return this.#send((done) =>
      // biome-ignore lint/suspicious/noExplicitAny: our record shapes are multicast-dns's, loosely typed
      this.#mdns.query(packet as any, to, done),
    );
  }

  /** Sends a response to the group (or to `to`); rejects with the send error. */
  respond(packet: DnsPacket, to?: Sender): Promise<void> {
    return this.#send((done) =>
      // biome-ignore lint/suspicious/noExplicitAny: our record shapes are multicast-dns's, loosely typed
      this.#mdns.respond(packet as any, to, done),
    );
  }

  #send(send: (done: (error: Error | null) => void) => void): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('mDNS socket is closed'));
    return new Promise((resolve, reject) => {
      try {
        // Encoding errors are thrown synchronously (the socket is bound by now).
        send((error) => (error ? reject(error) : resolve()));
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Leaves the group and closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      try {
        this.#mdns.destroy(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** `name` without a trailing dot, lower case (DNS names compare case-insensitively). */
export function normalizeName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}
