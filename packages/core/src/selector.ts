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
 * server list changes.
 */
export interface Selector {
  /** The key of the chosen server, or `undefined` when there is none. */
  select(ctx: SelectContext): string | undefined;
  /** Replaces the server list. */
  update(endpoints: readonly ServiceEndpoint[]): void;
}
