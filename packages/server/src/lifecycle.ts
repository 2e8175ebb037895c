/**
 * A server's life: idle → serving (first listener) → draining (`shutdown`) → closed. Graceful
 * shutdown (spec §3.12): stop accepting, unregister from the registries, let in-flight calls
 * finish for up to the timeout, then close every connection. `close` does it all at once.
 */
import { ErrorCode, type Logger, monotonicNow, RpcxError } from '@rpcx/core';
import type { Acceptor } from './acceptor.js';
import type { RegistryAnnouncer } from './registry-announcer.js';
import type { RequestPipeline } from './request-pipeline.js';

type State = 'idle' | 'serving' | 'draining' | 'closed';

export interface LifecycleParts {
  readonly logger: Logger;
  readonly acceptor: Acceptor;
  readonly pipeline: RequestPipeline;
  readonly registry: RegistryAnnouncer;
  /** Stops every listener. */
  closeListeners(): Promise<void>;
}

export class ServerLifecycle {
  private state: State = 'idle';
  private inFlightCount = 0;
  private idleWaiters: Array<() => void> = [];
  private shutdownPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;

  constructor(private readonly parts: LifecycleParts) {}

  /** Requests being handled now, over all connections. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** From `shutdown()` or `close()` on. */
  get stopping(): boolean {
    return this.state === 'draining' || this.state === 'closed';
  }

  serving(): void {
    if (this.state === 'idle') this.state = 'serving';
  }

  requestStarted(): void {
    this.inFlightCount++;
  }

  requestFinished(): void {
    this.inFlightCount--;
    if (this.inFlightCount === 0 && this.idleWaiters.length > 0) release(this.idleWaiters);
  }

  /** Idempotent: later calls return the same promise (or `close`'s, if that came first). */
  shutdown(timeoutMs: number): Promise<void> {
    this.shutdownPromise ??= this.closePromise ?? this.drainAndClose(timeoutMs);
    return this.shutdownPromise;
  }

  close(): Promise<void> {
    this.closePromise ??= this.closeNow();
    return this.closePromise;
  }

  private async drainAndClose(timeoutMs: number): Promise<void> {
    const { logger, acceptor, pipeline, registry } = this.parts;
    const deadline = monotonicNow() + timeoutMs;
    this.state = 'draining';
    pipeline.draining = true;
    logger.info('rpcx: shutdown begins', { inFlight: this.inFlightCount });
    await this.parts.closeListeners();
    await registry.unregisterAll();

    if (!(await settledBy(this.whenIdle(), deadline))) {
      logger.warn(
        `rpcx: shutdown timeout of ${timeoutMs} ms passed with ${this.inFlightCount} requests in flight`,
      );
    }
    const reason = new RpcxError(ErrorCode.Shutdown, 'server shut down');
    for (const conn of acceptor.all()) conn.closeFor(reason);
    if (!(await settledBy(acceptor.whenEmpty(), deadline)))
      for (const conn of acceptor.all()) conn.destroy(reason);
    await this.finish();
    logger.info('rpcx: shutdown complete');
  }

  private async closeNow(): Promise<void> {
    const { acceptor, pipeline, registry } = this.parts;
    this.state = 'closed';
    pipeline.draining = true;
    await this.parts.closeListeners();
    const reason = new RpcxError(ErrorCode.Shutdown, 'server closed');
    for (const conn of acceptor.all()) conn.destroy(reason);
    // A shutdown in progress stops waiting.
    release(this.idleWaiters);
    acceptor.releaseWaiters();
    await registry.unregisterAll();
    await this.finish();
  }

  /** Resolves once no request is in flight (or `close` cut the wait short). */
  private whenIdle(): Promise<void> {
    if (this.inFlightCount === 0 || this.closePromise !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async finish(): Promise<void> {
    this.state = 'closed';
    this.parts.pipeline.deadlines.clear();
    await this.parts.registry.stop();
  }
}

function release(waiters: Array<() => void>): void {
  for (const wake of waiters.splice(0)) wake();
}

/** Resolves true once `promise` settles, false if `deadline` (monotonic ms) passes first. */
function settledBy(promise: Promise<void>, deadline: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - monotonicNow()));
    promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
