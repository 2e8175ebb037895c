/**
 * `MdnsDiscovery`: the servers of one service, found by browsing DNS-SD type `_rpcxservices` in
 * `local.` (Go's `client.NewMDNSDiscovery`, spec §6.8).
 *
 *   const discovery = new MdnsDiscovery('Arith', { watchIntervalMs: 5_000 });
 *   await discovery.ready();            // the first browse is over
 *   const xclient = new XClient({ servicePath: 'Arith', discovery });
 *
 * Every `watchIntervalMs` it sends a PTR query for `_rpcxservices.<domain>` and listens for
 * `browseTimeoutMs`; the list is every element of the TXT arrays (Go's format, see txt-record.ts)
 * of the instances that answered. Between browses it keeps listening: an announcement (a changed
 * TXT) and a goodbye (TTL 0) apply at once, so a metadata change or a graceful shutdown reaches
 * watchers without waiting for the next browse. An instance that does not answer a browse is gone
 * (that is how a crashed server leaves: mDNS has no server-side expiry).
 *
 * Differences from Go, on purpose: only elements whose `service` is this discovery's service path
 * are listed (Go lists every rpcx service on the network, so `Arith` would get `ArithX`'s
 * servers); a key listed by several instances is listed once; watchers get a list when it changed
 * (Go pushes after every browse); a browse that could not be sent (network down, socket error)
 * keeps the last list and is retried with jittered, capped backoff, one attempt at a time (Go
 * empties the list on its next successful browse and retries only at the interval). A browse
 * that was sent but answered by nobody is an empty list, as in Go: on mDNS that is what "no
 * servers" looks like — except right after failed browses, where it is not believed until an
 * instance answers again or `outageGraceMs` has passed (the rule of every registry package,
 * core's `EndpointFeed`: the answers of a network that just came back may be lost).
 */
import type { BackoffOptions, Logger, ServiceDiscovery, ServiceEndpoint } from '@rpcx/core';
import { Backoff, EndpointFeed, messageOf, silentLogger } from '@rpcx/core';
import {
  type DnsPacket,
  type DnsRecord,
  MdnsSocket,
  type MdnsSocketOptions,
  normalizeName,
} from './mdns-socket.js';
import { decodeServicesTxt, type ServiceMeta } from './txt-record.js';

/** DNS-SD service type of Go rpcx (no `._tcp` label). */
export const RPCX_SERVICE_TYPE = '_rpcxservices';

export interface MdnsDiscoveryOptions {
  /** DNS-SD domain. Default `local.` (Go's default). */
  domain?: string;
  /** How long one browse listens for answers (Go's `timeout`). Default 1 000 ms. */
  browseTimeoutMs?: number;
  /** How often to browse, start to start (Go's `watchInterval`). Default 10 000 ms. */
  watchIntervalMs?: number;
  /** The multicast socket (see `MdnsSocketOptions`). */
  socket?: MdnsSocketOptions;
  /** Keep an endpoint only if this returns true (Go's `SetFilter`). */
  filter?: (endpoint: ServiceEndpoint) => boolean;
  /** Waits after failed browses. Default 500 ms doubling to 30 s, ±20 %. */
  backoff?: BackoffOptions;
  /**
   * After failed browses, how long an empty list is not believed while the last one was not
   * empty (ms). Default 20 000; 0 believes it at once.
   */
  outageGraceMs?: number;
  logger?: Logger;
}

export interface MdnsDiscoveryStats {
  /** Browses started (successful or not). */
  readonly browses: number;
  /** Browses that failed (socket could not be opened, query could not be sent). */
  readonly failures: number;
  /** Failures since the last successful browse. */
  readonly consecutiveFailures: number;
  /** Sockets opened so far (a failed socket is replaced by a new one). */
  readonly socketsOpened: number;
}

const DEFAULT_BROWSE_TIMEOUT_MS = 1_000;
const DEFAULT_WATCH_INTERVAL_MS = 10_000;
const BACKOFF_DEFAULTS: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000 };

export class MdnsDiscovery implements ServiceDiscovery {
  readonly servicePath: string;
  readonly #options: MdnsDiscoveryOptions;
  readonly #serviceName: string;
  readonly #browseTimeoutMs: number;
  readonly #watchIntervalMs: number;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #feed: EndpointFeed;

  /** Instance name (normalized) → its services, from the latest TXT record heard. */
  readonly #instances = new Map<string, ServiceMeta[]>();
  /** The instances heard during the browse now running. */
  #round: Set<string> | undefined;

  #socket: MdnsSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #firstBrowse: Promise<void>;
  #stats = { browses: 0, failures: 0, socketsOpened: 0 };

  /** Starts browsing at once; `ready()` resolves when the first browse is over. */
  constructor(servicePath: string, options: MdnsDiscoveryOptions = {}) {
    if (typeof servicePath !== 'string' || servicePath.trim() === '') {
      throw new TypeError('MdnsDiscovery: servicePath is required');
    }
    this.servicePath = servicePath;
    this.#options = { ...options };
    const domain = normalizeName(options.domain ?? 'local.') || 'local';
    this.#serviceName = `${RPCX_SERVICE_TYPE}.${domain}`;
    this.#browseTimeoutMs = positive(options.browseTimeoutMs, DEFAULT_BROWSE_TIMEOUT_MS);
    this.#watchIntervalMs = positive(options.watchIntervalMs, DEFAULT_WATCH_INTERVAL_MS);
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = new Backoff({ ...BACKOFF_DEFAULTS, ...options.backoff });
    this.#feed = new EndpointFeed({
      outageGraceMs: options.outageGraceMs,
      logger: this.#logger,
      name: `mdns discovery of ${servicePath}`,
    });
    this.#firstBrowse = this.#browseAndSchedule();
  }

  /** Resolves with the list once the first browse is over (whether or not anything answered). */
  async ready(): Promise<readonly ServiceEndpoint[]> {
    await this.#firstBrowse;
    return this.#feed.list;
  }

  /** The current list (frozen), sorted by key. */
  getServices(): readonly ServiceEndpoint[] {
    return this.#feed.list;
  }

  /**
   * Every later change of the list, starting now. A watcher that falls behind gets only the
   * latest list. Ends when `signal` aborts, on `return()`, or on `close()`.
   */
  watch(signal?: AbortSignal): AsyncIterableIterator<readonly ServiceEndpoint[], undefined> {
    return this.#feed.watch(signal);
  }

  /** A new discovery of `servicePath` with the same options (its own socket and browses). */
  clone(servicePath: string): MdnsDiscovery {
    return new MdnsDiscovery(servicePath, this.#options);
  }

  stats(): MdnsDiscoveryStats {
    return { ...this.#stats, consecutiveFailures: this.#backoff.attempts };
  }

  /** Stops browsing, closes the socket and ends every watcher. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    this.#feed.close();
    const socket = this.#socket;
    this.#socket = undefined;
    await socket?.close();
  }

  // -------------------------------------------------------------------------------------------

  /** One browse, then a timer for the next: browses run one at a time. */
  async #browseAndSchedule(): Promise<void> {
    if (this.#closed) return;
    const started = Date.now();
    const ok = await this.#browse();
    if (this.#closed) return;
    let delay: number;
    if (ok) {
      this.#backoff.reset();
      delay = Math.max(0, this.#watchIntervalMs - (Date.now() - started));
    } else {
      this.#stats.failures++;
      this.#feed.outage();
      delay = this.#backoff.fail();
    }
    this.#timer = setTimeout(() => void this.#browseAndSchedule(), delay);
  }

  /** One browse; false if it could not be sent (the list is then kept). */
  async #browse(): Promise<boolean> {
    this.#stats.browses++;
    let socket: MdnsSocket;
    try {
      socket = await this.#ensureSocket();
    } catch (error) {
      this.#logger.warn(`rpcx mdns discovery: cannot open the mDNS socket: ${messageOf(error)}`, {
        servicePath: this.servicePath,
      });
      return false;
    }
    const round = new Set<string>();
    this.#round = round;
    try {
      await socket.query({ questions: [{ name: this.#serviceName, type: 'PTR' }] });
    } catch (error) {
      this.#round = undefined;
      this.#logger.warn(`rpcx mdns discovery: browse not sent: ${messageOf(error)}`, {
        servicePath: this.servicePath,
      });
      return false;
    }
    await this.#sleep(this.#browseTimeoutMs);
    this.#round = undefined;
    if (this.#closed) return true;
    for (const name of [...this.#instances.keys()]) {
      if (!round.has(name)) this.#instances.delete(name);
    }
    this.#publish();
    return true;
  }

  async #ensureSocket(): Promise<MdnsSocket> {
    if (this.#socket !== undefined && !this.#socket.closed) return this.#socket;
    const socket = await MdnsSocket.open(this.#options.socket ?? {}, {
      onResponse: (packet) => this.#onResponse(packet),
      onError: (error) => {
        this.#logger.warn(`rpcx mdns discovery: socket failed: ${error.message}`, {
          servicePath: this.servicePath,
        });
        if (this.#socket === socket) this.#socket = undefined;
        void socket.close();
      },
      onWarning: (error) =>
        this.#logger.debug(`rpcx mdns discovery: ${error.message}`, {
          servicePath: this.servicePath,
        }),
    });
    if (this.#closed) {
      await socket.close();
      throw new Error('discovery closed');
    }
    this.#stats.socketsOpened++;
    this.#socket = socket;
    return socket;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** TXT records of `_rpcxservices` instances: answers, announcements and goodbyes alike. */
  #onResponse(packet: DnsPacket): void {
    const records: DnsRecord[] = [
      ...(packet.answers ?? []),
      ...(packet.authorities ?? []),
      ...(packet.additionals ?? []),
    ];
    const suffix = `.${this.#serviceName}`;
    let changed = false;
    for (const record of records) {
      if (record.type !== 'TXT') continue;
      const name = normalizeName(record.name);
      if (!name.endsWith(suffix) || name.length === suffix.length) continue;
      if (record.ttl === 0) {
        this.#round?.delete(name);
        changed = this.#instances.delete(name) || changed;
        continue;
      }
      const first = Array.isArray(record.data) ? record.data[0] : undefined;
      // Go reads Text[0] only (and crashes on an empty TXT); other strings are ignored.
      if (first === undefined) continue;
      const services = decodeServicesTxt(Buffer.isBuffer(first) ? first.toString() : `${first}`);
      if (services === undefined) {
        this.#logger.debug(`rpcx mdns discovery: ${name}: TXT is not rpcx's format`);
        continue;
      }
      this.#round?.add(name);
      this.#instances.set(name, services);
      changed = true;
    }
    if (changed) this.#publish();
  }

  /** The instances' elements of this service, to the feed (which tells watchers of a change). */
  #publish(): void {
    if (this.#closed) return;
    const byKey = new Map<string, ServiceEndpoint>();
    const filter = this.#options.filter;
    for (const name of [...this.#instances.keys()].sort()) {
      for (const meta of this.#instances.get(name)!) {
        if (meta.service !== this.servicePath || meta.serviceAddress === '') continue;
        if (byKey.has(meta.serviceAddress)) continue;
        const endpoint = { key: meta.serviceAddress, metadata: meta.meta };
        if (filter !== undefined && !filter(endpoint)) continue;
        byKey.set(endpoint.key, endpoint);
      }
    }
    this.#feed.publish(byKey.values());
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
