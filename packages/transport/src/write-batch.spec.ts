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

  it('adds a reserved region without copying it, and copies anything else', () => {
    const batch = new WriteBatch();
    const region = batch.reserve(4);
    region.fill(7);
    batch.add(region);
    const other = bytes(4, 9);
    batch.add(other);
    other.fill(0); // the batch holds its own copy of frames it did not hand out
    const taken = batch.take()!;
    expect(Buffer.from(taken)).toEqual(Buffer.from([7, 7, 7, 7, 9, 9, 9, 9]));
    expect(taken.buffer).toBe(region.buffer);
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
    const region = batch.reserve(frame);
    region.fill(6);
    batch.add(region);
    const taken = Buffer.from(batch.take()!);
    expect(taken.length).toBe(10 + frame);
    expect(taken.subarray(0, 10)).toEqual(bytes(10, 5));
    expect(taken.subarray(10).every((byte) => byte === 6)).toBe(true);
  });

  it('drops a reserved region that is never added', () => {
    const batch = new WriteBatch();
    batch.reserve(16).fill(3);
    batch.add(bytes(2, 4));
    expect(Buffer.from(batch.take()!)).toEqual(Buffer.from([4, 4]));
  });
});
