/**
 * The frames written in one event-loop turn, laid end to end in one buffer so that they reach the
 * socket as one chunk: no per-frame stream bookkeeping, one iovec per `write`. Encoders can ask
 * for room (`reserve`) and encode in place; other frames are copied in (`add`).
 *
 * A handed-out region is reused only once its owner says the bytes were consumed (`recycle`):
 * `take` moves past it, and a full arena is replaced, not rewound, because the socket may still
 * hold the bytes it was given.
 */

/** Size of each arena. */
const ARENA_SIZE = 256 * 1024;

export class WriteBatch {
  private arena: Buffer | undefined;
  private start = 0;
  private end = 0;
  /** The region `reserve` last handed out, until it is added. */
  private reserved: Buffer | undefined;

  /** Bytes batched and not yet taken. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /**
   * Room for a frame of `length` bytes right after the batched ones; `add` it once encoded.
   */
  reserve(length: number): Buffer {
    let arena = this.arena;
    if (arena === undefined || arena.length - this.end < length) {
      // A fresh arena; bytes batched at the end of the old one move along.
      const pending = this.end - this.start;
      const fresh = Buffer.allocUnsafeSlow(Math.max(ARENA_SIZE, pending + length));
      if (pending > 0) arena!.copy(fresh, 0, this.start, this.end);
      arena = this.arena = fresh;
      this.start = 0;
      this.end = pending;
    }
    const region = arena.subarray(this.end, this.end + length);
    this.reserved = region;
    return region;
  }

  /** Appends `frame`: no copy if it is the region `reserve` just handed out. */
  add(frame: Uint8Array): void {
    if (frame !== this.reserved) this.reserve(frame.length).set(frame);
    this.reserved = undefined;
    this.end += frame.length;
  }

  /**
   * Says that every byte taken so far has been consumed (the kernel has a copy), so the arena is
   * filled again from its start. Ignored while bytes are batched.
   */
  recycle(): void {
    if (this.end === this.start) this.start = this.end = 0;
  }

  /** The batched bytes (a view), leaving the batch empty; undefined when it already is. */
  take(): Uint8Array | undefined {
    if (this.end === this.start) return undefined;
    const bytes = this.arena!.subarray(this.start, this.end);
    this.start = this.end;
    this.reserved = undefined;
    return bytes;
  }
}
