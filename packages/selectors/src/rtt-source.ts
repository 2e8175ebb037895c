/**
 * Where the network quality selector reads round-trip times. The selector stays synchronous:
 * measuring is the source's business (a `TcpRttProber`, or your own table or metrics feed).
 */
export interface RttSource {
  /** The last RTT to the server `key` in ms, or `undefined` when not (yet) known. */
  rttMs(key: string): number | undefined;
  /**
   * Grows whenever an RTT changes. The selector compares it on each select (one property read)
   * and re-reads the RTTs when it moved. Leave it out for RTTs that never change.
   */
  readonly version?: number;
  /** The servers to measure from now on; the selector calls it on every update. */
  track?(keys: readonly string[]): void;
  /** Stops measuring; called by a selector that created the source itself. */
  close?(): void;
}
