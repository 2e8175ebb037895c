/**
 * `RegistryMeters`: the default `RegistryMetricsSource` — a server plugin counting calls (Go's
 * PreCall) and accepted connections (Go's PostConnAccept), each reported as its mean rate per
 * second since the meters were made, as go-metrics `Meter.RateMean()` (spec §6.9). Give it to
 * the server as a plugin and to the register plugin as its `metrics`:
 *
 *   const meters = new RegistryMeters();
 *   const server = new Server({
 *     plugins: [meters, new EtcdRegisterPlugin({ endpoints, basePath: '/rpcx', metrics: meters })],
 *   });
 */
import { monotonicNow } from './deadline-queue.js';
import type { RegistryMetricsSource } from './registry-metrics.js';
import type { ServerPlugin } from './server-plugin.js';

export class RegistryMeters implements ServerPlugin, RegistryMetricsSource {
  readonly name = 'registry-meters';
  #calls = 0;
  #connections = 0;
  readonly #now: () => number;
  readonly #since: number;

  /** `now` is a clock in milliseconds (tests inject one); default `performance.now()`. */
  constructor(now: () => number = monotonicNow) {
    this.#now = now;
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
    const seconds = (this.#now() - this.#since) / 1000;
    return seconds > 0 ? count / seconds : 0;
  }
}
