import type { ServiceEndpoint } from './discovery.js';
import type { Metadata } from './message.js';

/** What a selector may look at to pick a server for one call. */
export interface SelectContext {
  readonly servicePath: string;
  readonly serviceMethod: string;
  readonly args: unknown;
  readonly metadata: Readonly<Metadata>;
}

/**
 * Picks one server key for a call. Pure and synchronous, so it can be swapped whole whenever the
 * server list changes. The XClient has filtered the list already (`state=inactive`, `group`).
 */
export interface Selector {
  /** The key of the chosen server, or `undefined` when there is none. */
  select(ctx: SelectContext): string | undefined;
  /** Replaces the server list. */
  update(endpoints: readonly ServiceEndpoint[]): void;
  /**
   * Optional load feedback, for selectors that balance on it: a call was sent to `key`.
   * Every `callStarted` is followed by exactly one `callFinished` for the same key.
   */
  callStarted?(key: string): void;
  /** Optional load feedback: a call to `key` ended after `elapsedMs`; `failed` when it erred. */
  callFinished?(key: string, elapsedMs: number, failed: boolean): void;
  /** Releases timers or probes the selector holds; the XClient calls it when it closes. */
  close?(): void;
}
