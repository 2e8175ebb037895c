/**
 * The calls awaiting a response, by seq. Seqs are handed out in order, so a ring of slots indexed
 * by the seq's low bits finds a call in one step and takes no allocation per call; the rare call
 * whose slot is still held by a much older one (a slow method, a push stream) goes to an overflow
 * map instead of growing the ring without bound.
 *
 * Why not just a Map: a Map that gains and loses an entry per call rehashes every few hundred
 * calls, and V8 links each retired table to its successor. Once one table sits in old space, every
 * later table — and the calls it held — is kept alive through young collections and promoted;
 * after the first full GC the load run saw a full GC every ~50 ms and twice the CPU per call.
 */

/** What the table holds: anything that knows its own seq. */
export interface HasSeq {
  seq: number;
}

const INITIAL_SLOTS = 256;

export class PendingTable<T extends HasSeq> {
  private slots: (T | undefined)[] = new Array(INITIAL_SLOTS).fill(undefined);
  private mask = INITIAL_SLOTS - 1;
  private inSlots = 0;
  private readonly overflow = new Map<number, T>();

  get size(): number {
    return this.inSlots + this.overflow.size;
  }

  /** Adds `entry` under `entry.seq`, which must not be in the table. */
  add(entry: T): void {
    // Keep the ring at most half full, so that a slot is nearly always free.
    if (this.inSlots * 2 >= this.slots.length) this.grow();
    const index = entry.seq & this.mask;
    if (this.slots[index] === undefined) {
      this.slots[index] = entry;
      this.inSlots++;
    } else {
      this.overflow.set(entry.seq, entry);
    }
  }

  get(seq: number): T | undefined {
    const entry = this.slots[seq & this.mask];
    if (entry !== undefined && entry.seq === seq) return entry;
    return this.overflow.size > 0 ? this.overflow.get(seq) : undefined;
  }

  /** Removes the entry under `seq`, if there is one. */
  delete(seq: number): void {
    const index = seq & this.mask;
    const entry = this.slots[index];
    if (entry !== undefined && entry.seq === seq) {
      this.slots[index] = undefined;
      this.inSlots--;
    } else if (this.overflow.size > 0) {
      this.overflow.delete(seq);
    }
  }

  /** Every entry, then an empty table. */
  drain(): T[] {
    const entries: T[] = [];
    for (const entry of this.slots) if (entry !== undefined) entries.push(entry);
    for (const entry of this.overflow.values()) entries.push(entry);
    this.slots = new Array(INITIAL_SLOTS).fill(undefined);
    this.mask = INITIAL_SLOTS - 1;
    this.inSlots = 0;
    this.overflow.clear();
    return entries;
  }

  /** Doubles the ring; overflowed entries move in where their new slot is free. */
  private grow(): void {
    const old = this.slots;
    const slots: (T | undefined)[] = new Array(old.length * 2).fill(undefined);
    const mask = slots.length - 1;
    for (const entry of old) if (entry !== undefined) slots[entry.seq & mask] = entry;
    for (const [seq, entry] of this.overflow) {
      if (slots[seq & mask] === undefined) {
        slots[seq & mask] = entry;
        this.overflow.delete(seq);
        this.inSlots++;
      }
    }
    this.slots = slots;
    this.mask = mask;
  }
}
