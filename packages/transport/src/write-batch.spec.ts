import { WriteBatch } from './write-batch.js';

const bytes = (length: number, fill: number) => Buffer.alloc(length, fill);

describe('WriteBatch', () => {
  it('lays added frames end to end and takes them as one view', () => {
    const batch = new WriteBatch();
    batch.add(bytes(3, 1));
    batch.add(bytes(2, 2));
    expect(batch.pendingBytes).toBe(5);
    expect(Buffer.from(batch.take()!)).toEqual(Buffer.from([1, 1, 1, 2, 2]));
    expect(batch.pendingBytes).toBe(0);
    expect(batch.take()).toBeUndefined();
  });

  it('commits bytes written at a reserved offset in place, and copies added frames', () => {
    const batch = new WriteBatch();
    batch.add(bytes(2, 1));
    const at = batch.reserve(4);
    expect(at).toBe(2);
    batch.arena.fill(7, at, at + 4);
    batch.commit(4);
    const other = bytes(4, 9);
    batch.add(other);
    other.fill(0); // the batch holds its own copy of frames it did not hand out
    const taken = batch.take()!;
    expect(Buffer.from(taken)).toEqual(Buffer.from([1, 1, 7, 7, 7, 7, 9, 9, 9, 9]));
    expect(taken.buffer).toBe(batch.arena.buffer);
  });

  it('never reuses bytes it has handed to the socket until told they were consumed', () => {
    const batch = new WriteBatch();
    batch.add(bytes(8, 1));
    const first = batch.take()!;
    batch.add(bytes(8, 2));
    expect(Buffer.from(first)).toEqual(bytes(8, 1));
    const second = batch.take()!;
    expect(second.byteOffset).toBe(first.byteOffset + 8);

    batch.recycle();
    batch.add(bytes(8, 3));
    const third = batch.take()!;
    expect(third.buffer).toBe(first.buffer);
    expect(third.byteOffset).toBe(first.byteOffset);
    expect(Buffer.from(third)).toEqual(bytes(8, 3));
  });

  it('ignores recycle while bytes are batched', () => {
    const batch = new WriteBatch();
    batch.add(bytes(4, 1));
    batch.take();
    batch.add(bytes(4, 2));
    batch.recycle();
    expect(Buffer.from(batch.take()!)).toEqual(bytes(4, 2));
    batch.add(bytes(4, 3));
    expect(Buffer.from(batch.take()!)).toEqual(bytes(4, 3));
  });

  it('keeps batched bytes when a frame does not fit in the arena any more', () => {
    const batch = new WriteBatch();
    const frame = 60 * 1024;
    // Use the first arena, taking as a socket would...
    batch.add(bytes(100, 1));
    batch.take();
    // ...then batch a small frame and reserve one that needs a fresh arena.
    batch.add(bytes(10, 5));
    const arenaBefore = batch.arena;
    expect(arenaBefore.length).toBeLessThan(frame);
    const at = batch.reserve(frame);
    expect(batch.arena).not.toBe(arenaBefore);
    expect(at).toBe(10);
    batch.arena.fill(6, at, at + frame);
    batch.commit(frame);
    const taken = Buffer.from(batch.take()!);
    expect(taken.length).toBe(10 + frame);
    expect(taken.subarray(0, 10)).toEqual(bytes(10, 5));
    expect(taken.subarray(10).every((byte) => byte === 6)).toBe(true);
  });

  it('holds no arena until the first frame, then a small one for small frames', () => {
    const batch = new WriteBatch();
    expect(batch.arena.length).toBe(0);
    // A heartbeat's answer, recycled after each write as the socket takes it at once.
    for (let i = 0; i < 100; i++) {
      batch.add(bytes(32, i));
      batch.take();
      batch.recycle();
    }
    expect(batch.arena.length).toBe(256);
  });

  it('doubles the arena when a batch does not fit, up to 256 KiB', () => {
    const batch = new WriteBatch();
    const sizes: number[] = [];
    for (let i = 0; i < 40; i++) {
      // Never recycled: the socket holds every byte, so each full arena is replaced.
      batch.add(bytes(1000, i));
      batch.take();
      if (sizes.at(-1) !== batch.arena.length) sizes.push(batch.arena.length);
    }
    expect(sizes).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
    for (let i = 0; i < 1000; i++) {
      batch.add(bytes(1000, i));
      batch.take();
    }
    expect(batch.arena.length).toBe(256 * 1024);
    // A batch larger than that gets an arena of its size.
    batch.add(bytes(300 * 1024, 1));
    expect(batch.arena.length).toBe(300 * 1024);
  });

  it('drops a reserved region that is never committed', () => {
    const batch = new WriteBatch();
    const at = batch.reserve(16);
    batch.arena.fill(3, at, at + 16);
    batch.add(bytes(2, 4));
    expect(Buffer.from(batch.take()!)).toEqual(Buffer.from([4, 4]));
  });
});
