/**
 * The frames written in one event-loop turn, laid end to end in one buffer so that they reach the
 * socket as one chunk: no per-frame stream bookkeeping, one iovec per `write`. Encoders can ask
 * for room (`reserve`), encode in place at the offset they get and `commit`; other frames are
 * copied in (`add`). Room is an offset, not a view: a Buffer view per frame costs more than
 * encoding a small frame's header.
 *
 * A handed-out region is reused only once its owner says the bytes were consumed (`recycle`):
 * `take` moves past it, and a full arena is replaced, not rewound, because the socket may still
 * hold the bytes it was given.
 *
 * The arena is sized to what the connection writes: none until the first frame, then a small one
 * that doubles whenever a batch does not fit, up to `ARENA_SIZE` (larger only for a batch that
 * needs it). A connection that answers a heartbeat now and then holds 256 bytes, not a busy
 * connection's arena: ten thousand idle connections would otherwise keep 2.4 GiB of arenas
 * (external memory to V8, which collects more often for it) and a few touched pages of each.
 */

/** Size of the first arena: room for a few small frames. */
const FIRST_ARENA_SIZE = 256;
/** Largest arena the doubling reaches. */
const ARENA_SIZE = 256 * 1024;
const NO_ARENA = Buffer.allocUnsafeSlow(0);

export class WriteBatch {
  private buffer: Buffer = NO_ARENA;
  private start = 0;
  private end = 0;

  /** The buffer `reserve` hands out room in; replaced when full. */
  get arena(): Buffer {
    return this.buffer;
  }

  /** Bytes batched and not yet taken. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /**
   * Room for a frame of `length` bytes right after the batched ones: the offset in `arena` to
   * write it at, then `commit` it. Unwritten, it leaves nothing.
   */
  reserve(length: number): number {
    const arena = this.buffer;
    if (arena.length - this.end < length) {
      // A fresh arena, twice the size of the old one; bytes batched at its end move along.
      const pending = this.end - this.start;
      const size = Math.min(arena.length * 2, ARENA_SIZE);
      const fresh = Buffer.allocUnsafeSlow(Math.max(size, FIRST_ARENA_SIZE, pending + length));
      if (pending > 0) arena.copy(fresh, 0, this.start, this.end);
      this.buffer = fresh;
      this.start = 0;
      this.end = pending;
    }
    return this.end;
  }

  /** Adds the `length` bytes written at the offset `reserve` just gave. */
  commit(length: number): void {
    this.end += length;
  }

  /** Appends a copy of `frame`. */
  add(frame: Uint8Array): void {
    const at = this.reserve(frame.length);
    this.buffer.set(frame, at);
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
    const bytes = this.buffer.subarray(this.start, this.end);
    this.start = this.end;
    return bytes;
  }
}
