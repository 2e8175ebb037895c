/**
 * Server pushes as an async iterator with a bounded buffer. When the consumer falls behind and
 * the buffer is full, the oldest buffered message is dropped (and counted, with one logger
 * warning per overflow episode), so a fast server can never grow the client's memory — like Go,
 * which drops a push when the server-message channel is full.
 *
 * The stream ends (after yielding what it holds) when the connection it watches closes, when the
 * client is closed, when its signal aborts, or when the consumer stops iterating; `closeReason`
 * then says why.
 */
import type { Logger, RpcxError, RpcxMessage } from '@rpcx/core';

export interface PushStreamOptions {
  /** Most messages held for a slow consumer; beyond it the oldest is dropped. Default 1024. */
  bufferSize?: number;
  /** Aborting ends the stream. */
  signal?: AbortSignal;
}

export const DEFAULT_PUSH_BUFFER_SIZE = 1024;

type Waiter = (result: IteratorResult<RpcxMessage, undefined>) => void;

const DONE: IteratorResult<RpcxMessage, undefined> = Object.freeze({
  done: true,
  value: undefined,
});

export class PushStream implements AsyncIterableIterator<RpcxMessage, undefined> {
  private readonly ring: (RpcxMessage | undefined)[];
  private head = 0;
  private count = 0;
  private waiters: Waiter[] = [];
  private ended = false;
  private overflowing = false;
  private droppedCount = 0;
  private reason: RpcxError | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.end(undefined);

  /** Streams are made by `client.pushes()`; there is no reason to make one yourself. */
  constructor(
    options: PushStreamOptions,
    private readonly logger: Logger,
    private readonly onEnd: (stream: PushStream) => void,
  ) {
    const size = options.bufferSize ?? DEFAULT_PUSH_BUFFER_SIZE;
    this.ring = new Array(Number.isInteger(size) && size > 0 ? size : DEFAULT_PUSH_BUFFER_SIZE);
    this.signal = options.signal;
    if (this.signal?.aborted) this.end(undefined);
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Messages dropped because the buffer was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Why the stream ended: the connection's close reason; undefined while open or if stopped. */
  get closeReason(): RpcxError | undefined {
    return this.reason;
  }

  get closed(): boolean {
    return this.ended;
  }

  next(): Promise<IteratorResult<RpcxMessage, undefined>> {
    if (this.count > 0) {
      const value = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      this.overflowing = false;
      return Promise.resolve({ done: false, value });
    }
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops the stream (what `break` in a `for await` does); buffered messages are discarded. */
  return(): Promise<IteratorResult<RpcxMessage, undefined>> {
    this.ring.fill(undefined);
    this.count = 0;
    this.end(undefined);
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** @internal Delivers one push. */
  deliver(message: RpcxMessage): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter({ done: false, value: message });
      return;
    }
    const capacity = this.ring.length;
    if (this.count === capacity) {
      // Full: the oldest goes.
      this.head = (this.head + 1) % capacity;
      this.count--;
      this.droppedCount++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.logger.warn('rpcx client: push buffer full, dropping the oldest server messages', {
          bufferSize: capacity,
        });
      }
    }
    this.ring[(this.head + this.count) % capacity] = message;
    this.count++;
  }

  /** @internal Ends the stream; buffered messages are still yielded. */
  end(reason: RpcxError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.reason = reason;
    this.signal?.removeEventListener('abort', this.onAbort);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter(DONE);
    this.onEnd(this);
  }
}
