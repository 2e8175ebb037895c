/**
 * `RegistryMeters`: the `calls` and `connections` rates Go's registry plugins write into every
 * node of a server when they are given a metrics registry (spec §6.9): a server plugin counting
 * the calls (Go's PreCall) and accepted connections (Go's PostConnAccept), each reported as its
 * mean rate per second since the meters were made (go-metrics `Meter.RateMean()`).
 *
 *   const meters = new RegistryMeters();
 *   const server = new Server({
 *     plugins: [meters, new EtcdRegisterPlugin({ endpoints, basePath: '/rpcx', metrics: meters })],
 *   });
 */
import type { ServerPlugin } from '@rpcx/core';

/** Where a register plugin reads the rates it writes as `calls` / `connections` (per second). */
export interface RegistryMetricsSource {
  calls(): number;
  connections(): number;
}

export class RegistryMeters implements ServerPlugin, RegistryMetricsSource {
  readonly name = 'registry-meters';
  #calls = 0;
  #connections = 0;
  readonly #since: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.#since = now();
  }

  postConnAccept(): undefined {
    this.#connections++;
    return undefined;
  }

  preCall(): undefined {
    this.#calls++;
    return undefined;
  }

  /** Calls per second since the meters were made. */
  calls(): number {
    return this.#rate(this.#calls);
  }

  /** Accepted connections per second since the meters were made. */
  connections(): number {
    return this.#rate(this.#connections);
  }

  #rate(count: number): number {
    const seconds = (this.now() - this.#since) / 1000;
    return seconds > 0 ? count / seconds : 0;
  }
}
