/**
 * The calls of one connection whose frames wait for the socket to drain, in order. While fewer
 * than `highWater` bytes wait for the kernel (this turn's batch included), frames go straight to
 * the transport; past that they queue here, framed, and leave as the socket drains. A call that
 * ends meanwhile (timeout, abort) is never sent.
 */
import type { RpcxError } from '@rpcx/core';
import type { FramedConnection } from '@rpcx/transport';
import type { Call } from './call.js';

export class WriteQueue {
  private queue: (Call | undefined)[] = [];
  private head = 0;
  private flushScheduled = false;

  constructor(
    private readonly framed: FramedConnection,
    /** Most bytes handed to the transport and not yet taken by the kernel before frames queue. */
    private readonly highWater: number,
    /** Writes a queued call's frame (`call.frame`). */
    private readonly write: (call: Call) => void,
  ) {}

  /** Whether a frame may go to the transport now: nothing waits before it, and there is room. */
  get open(): boolean {
    return this.head === this.queue.length && this.hasRoom();
  }

  /** Queues a call whose `frame` is set. */
  push(call: Call): void {
    this.queue.push(call);
    this.scheduleFlush();
  }

  /** Fails every queued call (the connection closed). */
  failAll(reason: RpcxError): void {
    const queue = this.queue;
    for (let i = this.head; i < queue.length; i++) queue[i]?.fail(reason);
    this.queue = [];
    this.head = 0;
  }

  /**
   * Past the socket's own high-water mark the socket asks for a drain, so a full queue always
   * waits for 'drain' and never polls.
   */
  private hasRoom(): boolean {
    return this.framed.pendingWriteBytes < this.highWater;
  }

  /**
   * Looks at the queue again once this turn's writes have left (a later `setImmediate` than the
   * transport's own), waiting for 'drain' first if the socket asks for it.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.afterTurn);
  }

  private readonly afterTurn = (): void => {
    if (this.framed.closed) {
      this.flushScheduled = false;
      return; // the connection's close fails what is queued
    }
    if (this.framed.backpressured) this.framed.drained().then(this.flush);
    else this.flush();
  };

  /** Writes queued frames in order while the transport takes them. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const queue = this.queue;
    while (this.head < queue.length) {
      if (this.framed.closed) return;
      const call = queue[this.head]!;
      if (call.done || call.frame === undefined) {
        queue[this.head++] = undefined;
        continue;
      }
      if (!this.hasRoom()) {
        this.scheduleFlush();
        return;
      }
      queue[this.head++] = undefined;
      this.write(call);
    }
    this.queue = [];
    this.head = 0;
  };
}
