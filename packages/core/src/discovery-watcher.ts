/**
 * One `watch()` of a discovery (the built-in ones and the registry packages'): an async iterator
 * over endpoint lists that keeps only the latest list not yet taken. Lists are whole, never deltas, so a slow consumer loses nothing
 * by skipping the ones in between, and holds one list at most however far behind it is. It ends
 * on `return()` (a `for await` loop's `break`), when its signal aborts, or when the discovery
 * ends it (`close()`); it then lets go of its signal and tells its discovery, once.
 */
import type { ServiceEndpoint } from './discovery.js';

type EndpointList = readonly ServiceEndpoint[];
type Result = IteratorResult<EndpointList, undefined>;

const DONE: Result = Object.freeze({ done: true, value: undefined });

export class DiscoveryWatcher implements AsyncIterableIterator<EndpointList, undefined> {
  private latest: EndpointList | undefined = undefined;
  private waiters: Array<(result: Result) => void> = [];
  private ended = false;

  /** `signal` must not be aborted yet; `onEnd` is called once, when the watch ends. */
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly onEnd: (watcher: DiscoveryWatcher) => void,
  ) {
    signal?.addEventListener('abort', this.end, { once: true });
  }

  /** A watch that has already ended (static discoveries, closed ones, aborted signals). */
  static ended(): DiscoveryWatcher {
    const watcher = new DiscoveryWatcher(undefined, () => {});
    watcher.end();
    return watcher;
  }

  get done(): boolean {
    return this.ended;
  }

  /** A new list: to the consumer waiting for one, else kept in place of any untaken one. */
  offer(list: EndpointList): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter === undefined) this.latest = list;
    else waiter({ done: false, value: list });
  }

  /** Ends the watch: waiting consumers get `done`, an untaken list is dropped. */
  readonly end = (): void => {
    if (this.ended) return;
    this.ended = true;
    this.latest = undefined;
    this.signal?.removeEventListener('abort', this.end);
    this.onEnd(this);
    for (const wake of this.waiters.splice(0)) wake(DONE);
  };

  next(): Promise<Result> {
    const list = this.latest;
    if (list !== undefined) {
      this.latest = undefined;
      return Promise.resolve({ done: false, value: list });
    }
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  return(): Promise<Result> {
    this.end();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
