/**
 * What ends calls from outside, for one client: deadlines on one timer (a heap of them, never a
 * `setTimeout` per call) and abort signals with one listener each, however many calls share a
 * signal (no per-call listener, no MaxListeners warning).
 */
import { DeadlineQueue } from '@rpcx/core';

/** What can be ended from outside: a call. */
export interface Watched {
  /** Its deadline passed. */
  expire(): void;
  /** Its signal aborted, with this reason. */
  abort(reason: unknown): void;
}

export class CallWatch<T extends Watched = Watched> {
  readonly deadlines = new DeadlineQueue<T>((call) => call.expire());
  private readonly bySignal = new WeakMap<AbortSignal, Set<T>>();

  watchSignal(signal: AbortSignal, call: T): void {
    let calls = this.bySignal.get(signal);
    if (calls === undefined) {
      const watching = new Set<T>();
      calls = watching;
      this.bySignal.set(signal, watching);
      signal.addEventListener(
        'abort',
        () => {
          this.bySignal.delete(signal);
          for (const watcher of watching) watcher.abort(signal.reason);
          watching.clear();
        },
        { once: true },
      );
    }
    calls.add(call);
  }

  unwatchSignal(signal: AbortSignal, call: T): void {
    this.bySignal.get(signal)?.delete(call);
  }

  /** Forgets every deadline (the client closed). */
  clear(): void {
    this.deadlines.clear();
  }
}
