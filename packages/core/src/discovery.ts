/** One server of a service, as discoveries report it (spec §6.2). */
export interface ServiceEndpoint {
  /** `network@address`, e.g. `tcp@127.0.0.1:8972` or `unix@/run/rpcx.sock`. */
  readonly key: string;
  /** URL-query metadata such as `weight=10&group=a&state=inactive`; may be empty. */
  readonly metadata: string;
}

/** Finds the servers of one service path; always reports whole lists, never deltas. */
export interface ServiceDiscovery {
  getServices(): readonly ServiceEndpoint[];
  /**
   * Every list the discovery learns of, starting with none: iterate to follow changes. Ends when
   * `signal` aborts or the discovery closes. Static discoveries end at once.
   */
  watch(signal?: AbortSignal): AsyncIterable<readonly ServiceEndpoint[]>;
  /** The same registry, another service path. */
  clone(servicePath: string): ServiceDiscovery;
  close(): void | Promise<void>;
}
