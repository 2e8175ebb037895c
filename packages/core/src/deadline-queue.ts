/**
 * Deadlines for many calls on one timer. Calls register a deadline and cancel it when they
 * complete; a binary heap keeps the earliest on top and a single timer is armed for it. This keeps
 * `setTimeout` off the per-call hot path (ARCHITECTURE.md §4).
 */

/** A registered deadline; pass it to `cancel`. */
export interface DeadlineEntry<T> {
  readonly deadline: number;
  readonly item: T;
  /** Position in the heap; -1 once fired or cancelled. */
  index: number;
}

/** Milliseconds on a monotonic clock: what deadlines are measured in. */
export function monotonicNow(): number {
  return performance.now();
}

export class DeadlineQueue<T> {
  private readonly heap: Array<DeadlineEntry<T>> = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  /** `onExpire` runs for each item whose deadline passed; it must not throw. */
  constructor(private readonly onExpire: (item: T) => void) {}

  get size(): number {
    return this.heap.length;
  }

  /** Registers `item` to expire at `deadline` (see `monotonicNow`). */
  add(deadline: number, item: T): DeadlineEntry<T> {
    const entry: DeadlineEntry<T> = { deadline, item, index: this.heap.length };
    this.heap.push(entry);
    this.siftUp(entry.index);
    if (deadline < this.armedFor) this.arm();
    return entry;
  }

  /** Forgets an entry whose call completed; harmless if it already fired. */
  cancel(entry: DeadlineEntry<T>): void {
    const at = entry.index;
    if (at < 0) return;
    entry.index = -1;
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[at] = last;
      last.index = at;
      this.siftDown(at);
      this.siftUp(last.index);
    }
    // The timer stays armed when the queue empties: sequential calls then share one timer
    // instead of arming and clearing one each. Firing on an empty queue is a no-op.
  }

  /** Cancels everything without firing. */
  clear(): void {
    for (const entry of this.heap) entry.index = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) {
      this.disarm();
      return;
    }
    clearTimeout(this.timer);
    this.armedFor = first.deadline;
    this.timer = setTimeout(
      () => this.fire(),
      Math.max(0, Math.ceil(first.deadline - monotonicNow())),
    );
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = monotonicNow();
    let first = this.heap[0];
    while (first !== undefined && first.deadline <= now) {
      this.cancel(first);
      this.onExpire(first.item);
      first = this.heap[0];
    }
    this.arm();
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let at = index;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.deadline <= heap[at]!.deadline) break;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let at = index;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < heap.length && heap[left]!.deadline < heap[smallest]!.deadline) smallest = left;
      if (right < heap.length && heap[right]!.deadline < heap[smallest]!.deadline) smallest = right;
      if (smallest === at) return;
      this.swap(at, smallest);
      at = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const entryA = heap[a]!;
    const entryB = heap[b]!;
    heap[a] = entryB;
    heap[b] = entryA;
    entryA.index = b;
    entryB.index = a;
  }
}
