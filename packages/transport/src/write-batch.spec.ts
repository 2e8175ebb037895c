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
    // Fill most of the 256 KiB arena, taking as a socket would...
    for (let i = 0; i < 4; i++) {
      batch.add(bytes(frame, i));
      batch.take();
    }
    // ...then batch a small frame and reserve one that needs a fresh arena.
    batch.add(bytes(10, 5));
    const arenaBefore = batch.arena;
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

  it('drops a reserved region that is never committed', () => {
    const batch = new WriteBatch();
    const at = batch.reserve(16);
    batch.arena.fill(3, at, at + 16);
    batch.add(bytes(2, 4));
    expect(Buffer.from(batch.take()!)).toEqual(Buffer.from([4, 4]));
  });
});
