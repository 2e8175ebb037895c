/**
 * The shapes of the TS ↔ Go registry interop tests (registry-interop.spec.ts): one entry per
 * registry (`RegistryInterop`, in registry-interop-<name>.ts) starts the registry and returns an
 * `InteropRig`, through which the spec's cases run the same way on every registry:
 *
 * - Go side: `regserver` (a Go rpcx server registered by the Go plugin) and `regxclient` (a Go
 *   XClient over the Go discovery), conformance/go cmd/regserver and cmd/regxclient with
 *   `-registry <name>`;
 * - TS side: a TS server registered by the TS plugin, and a TS XClient over the TS discovery.
 *
 * Every server serves `Fleet`, whose `Who` answers with the server's id: each reply names the
 * server that answered.
 */
import type { ServiceDiscovery } from '@rpcx/core';

/** What an XClient saw and did: regxclient's JSON line, and the TS XClient's the same way. */
export interface CallsResult {
  /** What the discovery listed when calling started, sorted by key. */
  discovered: Array<{ key: string; value: string }>;
  calls: number;
  failed: number;
  /** Answers per server id. */
  servers: Record<string, number>;
  errors: string[];
}

/** regxclient's result: with `error` (and exit code 1) when the discovery cannot be created. */
export interface GoCallsResult extends CallsResult {
  error?: string;
  code: number | null;
}

export interface CallsOptions {
  /** Wait until the discovery lists at least this many servers (then call anyway). */
  expect: number;
  /** `Who` calls to make, one after another. */
  n: number;
  /** The longest to wait for `expect` servers (default 15 s). */
  waitMs?: number;
}

export interface GoServerOptions {
  /** Registered with the service (a URL query). */
  metadata?: string;
  /** The plugin's UpdateInterval (a Go duration); default the rig's. */
  interval?: string;
  /** The plugin's BasePath; default the rig's. */
  base?: string;
}

export interface TsServerOptions {
  metadata?: string;
  /** The plugin's base path; default the rig's. */
  base?: string;
}

export interface ServerHandle {
  /** `tcp@127.0.0.1:PORT`: the key it is registered under. */
  address: string;
  /** Graceful: the server unregisters, then stops its plugin; resolves when it is done. */
  stop(): Promise<void>;
}

export interface GoServerHandle extends ServerHandle {
  /** SIGKILL: no unregistration, the registry expires the server (or not). */
  kill(): Promise<void>;
}

/** A TS discovery the test holds (closed after the test). */
export type TsDiscovery = ServiceDiscovery & { ready(): Promise<unknown> };

/** One registry, ready for the cases. Everything a test starts is stopped by `cleanup()`. */
export interface InteropRig {
  /** The base path every server and discovery uses unless told otherwise. */
  readonly base: string;
  goServer(id: string, service: string, options?: GoServerOptions): Promise<GoServerHandle>;
  tsServer(id: string, service: string, options?: TsServerOptions): Promise<ServerHandle>;
  /** regxclient: waits for `expect` servers, then makes `n` `Who` calls. */
  goCalls(service: string, options: CallsOptions): Promise<GoCallsResult>;
  /** A TS XClient over a new TS discovery: the same. */
  tsCalls(service: string, options: CallsOptions): Promise<CallsResult>;
  tsDiscovery(service: string): TsDiscovery;
  /**
   * Checks what the Go plugin wrote into the registry for the server at `address` (registered
   * with `metadata`), where the layout is worth checking byte for byte.
   */
  checkGoWrites?(service: string, address: string, metadata: string): Promise<void>;
  /** Stops what the last test started (after each test). */
  cleanup(): Promise<void>;
  /** Stops the registry (after the last test). */
  close(): Promise<void>;
}

/**
 * How evenly a RoundRobin XClient spreads 20 calls over the two servers of a mixed fleet:
 * `even` 10/10, `roughly` at least 5 each, `both` at least one each.
 */
export type Split = 'even' | 'roughly' | 'both';

export interface QuirkCase<R extends InteropRig> {
  name: string;
  /** `note` adds a line to the registry's summary, printed after its last test. */
  run(rig: R, note: (line: string) => void): Promise<void>;
}

export interface RegistryInterop<R extends InteropRig = InteropRig> {
  name: string;
  /** Installs or checks what is missing, starts the registry; the rig over it. */
  start(): Promise<R>;
  /** The metadata a TS discovery lists for a Go server registered with `weight=3&group=g`. */
  goMetadataListed: string;
  /** The split of a mixed fleet (one Go, one TS server) by each XClient. */
  mixedSplit: { goXClient: Split; tsXClient: Split };
  /** This registry's own cases: its quirks, and the layouts the two plugins share. */
  quirks: ReadonlyArray<QuirkCase<R>>;
}

/**
 * What every rig shares: what a test starts is stopped after it (the last started first), the
 * registry after the last test.
 */
export abstract class RigBase {
  readonly #cleanups: Array<() => unknown> = [];

  /** Stops `cleanup` after the current test. */
  protected track(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  /** Stops the registry (after the last test). */
  protected abstract stopRegistry(): Promise<void>;

  async cleanup(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
  }

  async close(): Promise<void> {
    await this.cleanup();
    await this.stopRegistry();
  }
}

/** The keys a discovery lists, sorted. */
export const listedKeys = (discovery: ServiceDiscovery): string[] =>
  discovery
    .getServices()
    .map((endpoint) => endpoint.key)
    .sort();
