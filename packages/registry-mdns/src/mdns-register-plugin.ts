/**
 * `MdnsRegisterPlugin`: makes a server's services findable over mDNS / DNS-SD the way Go rpcx's
 * `serverplugin.MDNSRegisterPlugin` does (spec §6.8), so that Go's `MDNSDiscovery` and ours
 * both find it.
 *
 *   const server = new Server({ plugins: [new MdnsRegisterPlugin()] });
 *   server.register(new Arith(), { metadata: 'weight=2' });
 *   await server.listen('tcp@192.168.1.10:8972');   // announced as tcp@192.168.1.10:8972
 *
 * It answers queries for `_rpcxservices.<domain>` (PTR, SRV, TXT, A/AAAA, and the DNS-SD type
 * enumeration) with one instance whose TXT string is Go's: the URL-escaped JSON array of
 * `{service, meta, service_address}`. It announces on every change (and once more a second
 * later) and says goodbye (TTL 0) for what it no longer serves, on `unregister` and `stop`.
 * With a `metrics` source, every `updateIntervalMs` the rates are merged as `calls` /
 * `connections` into each element's `meta` (re-encoded as Go's `url.Values.Encode`, spec §6.9)
 * and the TXT announced again, as Go's refresh loop does.
 *
 * Differences from Go, on purpose (Go's behaviour in brackets):
 * - The instance name is `<host>-<port>` [the host name, so two servers of one host collide and
 *   a browser sees only one of them].
 * - Registering a known path again replaces its metadata [Go appends a second element].
 * - A TXT string holds at most 255 bytes; when the array does not fit, the services are spread
 *   over several instances (`<name>`, `<name>-2`, ...), each a valid array that Go reads
 *   [Go's DNS library then fails to pack every answer, silently: the server vanishes]. One
 *   element that alone exceeds 255 bytes is refused by `register`.
 * - When the last service is unregistered the instance says goodbye [Go keeps answering with
 *   an empty array]; `stop` works whatever the update interval [Go's `Stop` blocks forever when
 *   `UpdateInterval` is 0 and panics if nothing was registered].
 * - A socket that fails, or announcements that cannot be sent (network down), are retried with
 *   jittered, capped backoff until they go out; the server keeps serving meanwhile.
 * - The refresh announces only a TXT that changed, and runs only with `metrics` [Go's rewrites
 *   and announces the TXT every `UpdateInterval`, with or without `Metrics`]. An element that
 *   would outgrow its 255-byte string with the rates merged in is announced without them.
 */
import { networkInterfaces, hostname as osHostname } from 'node:os';
import type { BackoffOptions, Logger, RegistryMetricsSource, RegistryPlugin } from '@rpcx/core';
import { Backoff, mergeMetadata, messageOf, registryMetricsValues, silentLogger } from '@rpcx/core';
import { RPCX_SERVICE_TYPE } from './mdns-discovery.js';
import {
  type DnsPacket,
  type DnsQuestion,
  type DnsRecord,
  MdnsSocket,
  type MdnsSocketOptions,
  normalizeName,
  type Sender,
} from './mdns-socket.js';
import { encodeServicesTxt, MAX_TXT_STRING_BYTES, type ServiceMeta } from './txt-record.js';

export interface MdnsRegisterPluginOptions {
  /**
   * The address clients dial, `tcp@192.168.1.10:8972` (the discovery key). Default: the first
   * address the server listens on (given to `start`).
   */
  serviceAddress?: string;
  /** DNS-SD domain. Default `local.`. */
  domain?: string;
  /** DNS-SD instance name (one DNS label). Default `<host name>-<port>`. */
  instance?: string;
  /** Host name of the SRV target, `<hostName>.<domain>`. Default this machine's host name. */
  hostName?: string;
  /**
   * Addresses for the A/AAAA records (Go's browser needs one). Default: the host of
   * `serviceAddress` when it is an IP address, else this machine's non-internal addresses.
   */
  addresses?: string[];
  /** TTL of the records (s). Default 120. */
  ttlSeconds?: number;
  /** The multicast socket (see `MdnsSocketOptions`). */
  socket?: MdnsSocketOptions;
  /**
   * Rates written as `calls` / `connections` into every TXT element at each refresh (Go's
   * `Metrics`, spec §6.9): e.g. a `RegistryMeters` of @rpcx/core, also given to the server as a
   * plugin.
   */
  metrics?: RegistryMetricsSource;
  /** With `metrics`, how often the rates are merged in and a changed TXT announced (ms); 0 = never. Default 10 000. */
  updateIntervalMs?: number;
  /** Waits after a failed socket or announcement. Default 500 ms doubling to 30 s, ±20 %. */
  backoff?: BackoffOptions;
  logger?: Logger;
}

export interface MdnsRegisterPluginStats {
  /** Announcements sent (including goodbyes). */
  readonly announcements: number;
  /** Announcements or socket openings that failed (each retried later). */
  readonly failures: number;
  /** Queries answered. */
  readonly answered: number;
  readonly socketsOpened: number;
}

const DEFAULT_TTL_SECONDS = 120;
const DEFAULT_UPDATE_INTERVAL_MS = 10_000;
const BACKOFF_DEFAULTS: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000 };
/** RFC 6762 §8.3: a second announcement one second after the first. */
const REPEAT_ANNOUNCEMENT_MS = 1_000;
const MAX_LABEL_BYTES = 63;
const MDNS_PORT = 5353;

/** One instance: its DNS name and the services its TXT carries. */
interface Instance {
  readonly name: string;
  readonly txt: string;
}

export class MdnsRegisterPlugin implements RegistryPlugin {
  readonly name = 'mdns';
  readonly #options: MdnsRegisterPluginOptions;
  readonly #logger: Logger;
  readonly #domain: string;
  readonly #serviceName: string;
  readonly #typeEnumName: string;
  readonly #ttl: number;
  readonly #updateIntervalMs: number;
  readonly #backoff: Backoff;

  #serviceAddress: string | undefined;
  #hostName = '';
  #addresses: string[] = [];
  #instanceBase = '';
  /** Registered services, in registration order, with their metadata as registered. */
  readonly #services: ServiceMeta[] = [];
  /** With `metrics`: `calls` / `connections` of the last refresh, merged into what is announced. */
  #rates: Readonly<Record<string, string>> | undefined;
  /** What is announced now. */
  #instances: Instance[] = [];
  /** Instances that went away and still need a goodbye (sent with the next announcement). */
  #goodbyes: Instance[] = [];

  #socket: MdnsSocket | undefined;
  #opening: Promise<MdnsSocket> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #repeatTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;
  #stats = { announcements: 0, failures: 0, answered: 0, socketsOpened: 0 };

  constructor(options: MdnsRegisterPluginOptions = {}) {
    this.#options = { ...options };
    this.#logger = options.logger ?? silentLogger;
    this.#domain = normalizeName(options.domain ?? 'local.') || 'local';
    this.#serviceName = `${RPCX_SERVICE_TYPE}.${this.#domain}`;
    this.#typeEnumName = `_services._dns-sd._udp.${this.#domain}`;
    this.#ttl = Math.max(1, Math.round(options.ttlSeconds ?? DEFAULT_TTL_SECONDS));
    this.#updateIntervalMs = options.updateIntervalMs ?? DEFAULT_UPDATE_INTERVAL_MS;
    if (!(this.#updateIntervalMs >= 0)) {
      throw new RangeError(
        `MdnsRegisterPlugin: updateIntervalMs must be ≥ 0, got ${this.#updateIntervalMs}`,
      );
    }
    this.#backoff = new Backoff({ ...BACKOFF_DEFAULTS, ...options.backoff });
    if (options.serviceAddress !== undefined) this.#setAddress(options.serviceAddress);
  }

  /** The address announced (`tcp@host:port`), once known. */
  get serviceAddress(): string | undefined {
    return this.#serviceAddress;
  }

  /** The DNS-SD instance names announced now (`host-8972._rpcxservices.local`). */
  get instanceNames(): string[] {
    return this.#instances.map((instance) => instance.name);
  }

  stats(): MdnsRegisterPluginStats {
    return { ...this.#stats };
  }

  /** Opens the socket (a failure is retried in the background: the server keeps starting). */
  async start(serviceAddresses: readonly string[] = []): Promise<void> {
    if (this.#stopped) throw new Error('MdnsRegisterPlugin: stopped');
    if (this.#serviceAddress === undefined && serviceAddresses[0] !== undefined) {
      this.#setAddress(serviceAddresses[0]);
    }
    if (this.#started) return;
    this.#started = true;
    this.#startRefresh();
    await this.#announce();
  }

  /** Adds `servicePath` (or replaces its metadata) and announces it. */
  async register(servicePath: string, metadata: string): Promise<void> {
    if (typeof servicePath !== 'string' || servicePath.trim() === '') {
      throw new Error('MdnsRegisterPlugin: service path is required');
    }
    if (this.#stopped) throw new Error('MdnsRegisterPlugin: stopped');
    const address = this.#serviceAddress;
    if (address === undefined) {
      throw new Error('MdnsRegisterPlugin: serviceAddress unknown (pass it, or start() first)');
    }
    const element: ServiceMeta = {
      service: servicePath,
      meta: metadata ?? '',
      serviceAddress: address,
    };
    const size = Buffer.byteLength(encodeServicesTxt([element]));
    if (size > MAX_TXT_STRING_BYTES) {
      throw new Error(
        `MdnsRegisterPlugin: ${servicePath}: its TXT element takes ${size} bytes, over the ${MAX_TXT_STRING_BYTES} a DNS string holds (shorten the metadata)`,
      );
    }
    const at = this.#services.findIndex((s) => s.service === servicePath);
    if (at >= 0) this.#services[at] = element;
    else this.#services.push(element);
    this.#started = true;
    this.#startRefresh();
    this.#relayout();
    await this.#announce();
  }

  /** Removes `servicePath`; announces the change (a goodbye when nothing is left). */
  async unregister(servicePath: string): Promise<void> {
    const at = this.#services.findIndex((s) => s.service === servicePath);
    if (at < 0 || this.#stopped) return;
    this.#services.splice(at, 1);
    this.#relayout();
    await this.#announce();
  }

  /** Says goodbye for everything and closes the socket. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#repeatTimer);
    clearInterval(this.#refreshTimer);
    this.#goodbyes.push(...this.#instances);
    this.#instances = [];
    const socket = this.#socket ?? (await this.#opening?.catch(() => undefined));
    if (socket !== undefined && !socket.closed && this.#goodbyes.length > 0) {
      try {
        await socket.respond(this.#announcement());
        this.#stats.announcements++;
      } catch (error) {
        this.#logger.warn(`rpcx mdns: goodbye not sent: ${messageOf(error)}`);
      }
    }
    this.#goodbyes = [];
    this.#socket = undefined;
    await socket?.close();
  }

  // -------------------------------------------------------------------------------------------
  // State

  #setAddress(serviceAddress: string): void {
    this.#serviceAddress = serviceAddress;
    const { host, port } = splitAddress(serviceAddress);
    this.#hostName = normalizeName(
      `${labelOf(this.#options.hostName ?? osHostname().split('.')[0] ?? 'rpcx')}.${this.#domain}`,
    );
    this.#addresses = this.#options.addresses ?? addressesFor(host);
    this.#instanceBase = labelOf(
      this.#options.instance ?? `${osHostname().split('.')[0] || 'rpcx'}-${port || process.pid}`,
      MAX_LABEL_BYTES - 4,
    );
  }

  /** Spreads the services over instances whose TXT strings fit; old ones get goodbyes. */
  #relayout(): void {
    const chunks: ServiceMeta[][] = [];
    let current: ServiceMeta[] = [];
    for (const service of this.#services.map((s) => this.#withRates(s))) {
      const candidate = [...current, service];
      if (
        current.length > 0 &&
        Buffer.byteLength(encodeServicesTxt(candidate)) > MAX_TXT_STRING_BYTES
      ) {
        chunks.push(current);
        current = [service];
      } else current = candidate;
    }
    if (current.length > 0) chunks.push(current);
    const next = chunks.map((services, i) => ({
      name: `${this.#instanceBase}${i === 0 ? '' : `-${i + 1}`}.${this.#serviceName}`,
      txt: encodeServicesTxt(services),
    }));
    const kept = new Set(next.map((instance) => instance.name));
    this.#goodbyes = [
      ...this.#goodbyes.filter((instance) => !kept.has(instance.name)),
      ...this.#instances.filter((instance) => !kept.has(instance.name)),
    ];
    this.#instances = next;
  }

  /** `service` as announced: the last rates merged into its meta, if it still fits a string. */
  #withRates(service: ServiceMeta): ServiceMeta {
    if (this.#rates === undefined) return service;
    const meta = mergeMetadata(service.meta, this.#rates);
    if (meta === undefined) return service;
    const merged = { ...service, meta };
    const size = Buffer.byteLength(encodeServicesTxt([merged]));
    return size <= MAX_TXT_STRING_BYTES ? merged : service;
  }

  /** With `metrics`, Go's refresh tick every `updateIntervalMs` (one timer per plugin). */
  #startRefresh(): void {
    const metrics = this.#options.metrics;
    if (metrics === undefined || this.#updateIntervalMs === 0) return;
    if (this.#refreshTimer !== undefined) return;
    this.#refreshTimer = setInterval(() => {
      if (this.#stopped) return;
      this.#rates = registryMetricsValues(metrics);
      const before = this.#instances;
      this.#relayout();
      if (sameInstances(before, this.#instances) && this.#goodbyes.length === 0) return;
      void this.#announce();
    }, this.#updateIntervalMs);
    this.#refreshTimer.unref?.();
  }

  // -------------------------------------------------------------------------------------------
  // Socket and announcements

  async #ensureSocket(): Promise<MdnsSocket> {
    if (this.#socket !== undefined && !this.#socket.closed) return this.#socket;
    this.#opening ??= MdnsSocket.open(this.#options.socket ?? {}, {
      onQuery: (packet, from) => this.#onQuery(packet, from),
      onError: (error) => this.#onSocketError(error),
      onWarning: (error) => this.#logger.debug(`rpcx mdns: ${error.message}`),
    }).finally(() => {
      this.#opening = undefined;
    });
    const socket = await this.#opening;
    if (this.#stopped) {
      await socket.close();
      throw new Error('stopped');
    }
    this.#socket = socket;
    this.#stats.socketsOpened++;
    return socket;
  }

  #onSocketError(error: Error): void {
    this.#logger.warn(`rpcx mdns: socket failed, reopening: ${error.message}`);
    const socket = this.#socket;
    this.#socket = undefined;
    void socket?.close();
    this.#scheduleRetry();
  }

  /**
   * Sends the current state (records with TTL, goodbyes for what went away). A failure is
   * retried with backoff; never throws.
   */
  async #announce(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#repeatTimer);
    if (this.#instances.length === 0 && this.#goodbyes.length === 0) {
      // Nothing to say yet; still open the socket, to answer queries once there is.
      try {
        await this.#ensureSocket();
      } catch (error) {
        this.#failed(error);
      }
      return;
    }
    try {
      const socket = await this.#ensureSocket();
      const goodbyes = this.#goodbyes;
      await socket.respond(this.#announcement());
      this.#goodbyes = this.#goodbyes.filter((instance) => !goodbyes.includes(instance));
      this.#stats.announcements++;
      this.#backoff.reset();
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      if (this.#instances.length > 0) {
        this.#repeatTimer = setTimeout(() => {
          void this.#repeat();
        }, REPEAT_ANNOUNCEMENT_MS);
        this.#repeatTimer.unref?.();
      }
    } catch (error) {
      this.#failed(error);
    }
  }

  async #repeat(): Promise<void> {
    const socket = this.#socket;
    if (this.#stopped || socket === undefined || this.#instances.length === 0) return;
    try {
      await socket.respond(this.#announcement());
      this.#stats.announcements++;
    } catch {
      // the next change or query will do
    }
  }

  #failed(error: unknown): void {
    if (this.#stopped) return;
    this.#stats.failures++;
    this.#logger.warn(`rpcx mdns: announcement failed, retrying: ${messageOf(error)}`, {
      serviceAddress: this.#serviceAddress,
    });
    this.#scheduleRetry();
  }

  /** One retry pending at a time, after a jittered, growing wait. */
  #scheduleRetry(): void {
    if (this.#stopped || this.#retryTimer !== undefined) return;
    const delay = this.#backoff.fail();
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#announce();
    }, delay);
  }

  // -------------------------------------------------------------------------------------------
  // Records

  #announcement(): DnsPacket {
    const answers: DnsRecord[] = [];
    for (const instance of this.#instances) {
      answers.push(this.#ptr(instance, this.#ttl), ...this.#srvTxt(instance, this.#ttl, true));
    }
    for (const instance of this.#goodbyes) {
      answers.push(this.#ptr(instance, 0), ...this.#srvTxt(instance, 0, true));
    }
    if (this.#instances.length > 0) answers.push(...this.#addressRecords(true));
    return { answers };
  }

  #ptr(instance: Instance, ttl: number): DnsRecord {
    return { name: this.#serviceName, type: 'PTR', ttl, data: instance.name };
  }

  #srvTxt(instance: Instance, ttl: number, flush: boolean): DnsRecord[] {
    const { port } = splitAddress(this.#serviceAddress ?? '');
    return [
      {
        name: instance.name,
        type: 'SRV',
        ttl,
        flush,
        data: { priority: 0, weight: 0, port, target: this.#hostName },
      },
      { name: instance.name, type: 'TXT', ttl, flush, data: [Buffer.from(instance.txt)] },
    ];
  }

  #addressRecords(flush: boolean): DnsRecord[] {
    return this.#addresses.map((address) => ({
      name: this.#hostName,
      type: address.includes(':') ? 'AAAA' : 'A',
      ttl: this.#ttl,
      flush,
      data: address,
    }));
  }

  #onQuery(packet: DnsPacket, from: Sender): void {
    if (this.#stopped || this.#instances.length === 0) return;
    const answers: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    let unicast = from.port !== MDNS_PORT;
    for (const question of packet.questions ?? []) {
      const name = normalizeName(question.name);
      const type = question.type;
      // dns-packet reports a question with the unicast-response bit as class UNKNOWN_32769.
      if (question.class === 'UNKNOWN_32769') unicast = true;
      if (name === this.#serviceName && (type === 'PTR' || type === 'ANY')) {
        for (const instance of this.#instances) {
          if (knownAnswer(packet, this.#serviceName, instance.name, this.#ttl)) continue;
          answers.push(this.#ptr(instance, this.#ttl));
          additionals.push(...this.#srvTxt(instance, this.#ttl, false));
        }
      } else if (name === this.#typeEnumName && (type === 'PTR' || type === 'ANY')) {
        answers.push({
          name: this.#typeEnumName,
          type: 'PTR',
          ttl: this.#ttl,
          data: this.#serviceName,
        });
      } else if (type === 'A' || type === 'AAAA' || type === 'ANY') {
        if (name === this.#hostName) {
          answers.push(
            ...this.#addressRecords(true).filter((r) => type === 'ANY' || r.type === type),
          );
        }
      }
      const instance = this.#instances.find((i) => i.name === name);
      if (instance !== undefined && ['SRV', 'TXT', 'ANY'].includes(type)) {
        answers.push(
          ...this.#srvTxt(instance, this.#ttl, true).filter((r) => answersType(r, type)),
        );
      }
    }
    if (answers.length === 0) return;
    if (answers.some((r) => r.type === 'PTR' || r.type === 'SRV')) {
      additionals.push(...this.#addressRecords(true));
    }
    const response: DnsPacket = { answers, additionals };
    if (unicast) {
      // Legacy unicast (RFC 6762 §6.7): echo the id and the questions.
      response.id = packet.id ?? 0;
      response.questions = (packet.questions ?? []).map((q: DnsQuestion) => ({
        name: q.name,
        type: q.type,
      }));
    }
    const socket = this.#socket;
    if (socket === undefined) return;
    socket.respond(response, unicast ? from : undefined).then(
      () => this.#stats.answered++,
      (error) => this.#logger.debug(`rpcx mdns: answer not sent: ${messageOf(error)}`),
    );
  }
}

/** The same instances with the same TXT strings: nothing to announce. */
function sameInstances(a: readonly Instance[], b: readonly Instance[]): boolean {
  return a.length === b.length && a.every((x, i) => x.name === b[i]!.name && x.txt === b[i]!.txt);
}

function answersType(record: DnsRecord, type: string): boolean {
  return type === 'ANY' || record.type === type;
}

/** Known-answer suppression (RFC 6762 §7.1): the asker already has this PTR with half its TTL. */
function knownAnswer(packet: DnsPacket, name: string, target: string, ttl: number): boolean {
  return (packet.answers ?? []).some(
    (r) =>
      r.type === 'PTR' &&
      normalizeName(r.name) === name &&
      typeof r.data === 'string' &&
      normalizeName(r.data) === target &&
      (r.ttl ?? 0) >= ttl / 2,
  );
}

/** `tcp@host:port` → host and port (port 0 when there is none, e.g. `unix@/path`). */
function splitAddress(serviceAddress: string): { host: string; port: number } {
  const at = serviceAddress.indexOf('@');
  const address = at >= 0 ? serviceAddress.slice(at + 1) : serviceAddress;
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (match === null) return { host: '', port: 0 };
  return { host: match[1]!, port: Number(match[2]) };
}

/** A/AAAA addresses for a server at `host`. */
function addressesFor(host: string): string[] {
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
  const ipv6 = host.includes(':');
  if ((ipv4 && host !== '0.0.0.0') || (ipv6 && host !== '::')) return [host];
  const found: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) {
      if (!iface.internal && iface.family === 'IPv4') found.push(iface.address);
    }
  }
  return found.length > 0 ? found : ['127.0.0.1'];
}

/** One DNS label: no dots, at most `max` bytes. */
function labelOf(text: string, max = MAX_LABEL_BYTES): string {
  let label = text.replace(/\./g, '-').trim() || 'rpcx';
  while (Buffer.byteLength(label) > max) label = label.slice(0, -1);
  return label;
}
