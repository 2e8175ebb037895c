import fc from 'fast-check';
import { DeadlineQueue, monotonicNow } from './deadline-queue.js';

// Time is driven, never awaited: the queue's timer and its clock (`performance.now()`) are fake.
beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('DeadlineQueue', () => {
  it('fires items in deadline order, each once, not before its deadline', () => {
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>((item) => fired.push(item));
    const now = monotonicNow();
    queue.add(now + 40, 'c');
    queue.add(now + 10, 'a');
    queue.add(now + 25, 'b');
    jest.advanceTimersByTime(9);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1); // 10
    expect(fired).toEqual(['a']);
    jest.advanceTimersByTime(14); // 24
    expect(fired).toEqual(['a']);
    jest.advanceTimersByTime(1); // 25
    expect(fired).toEqual(['a', 'b']);
    jest.advanceTimersByTime(15); // 40
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
    jest.advanceTimersByTime(1_000);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('never fires a cancelled item and forgets it at once', () => {
    const fired: number[] = [];
    const queue = new DeadlineQueue<number>((item) => fired.push(item));
    const now = monotonicNow();
    const entries = [1, 2, 3, 4].map((n) => queue.add(now + 10 * n, n));
    queue.cancel(entries[1]!);
    queue.cancel(entries[3]!);
    queue.cancel(entries[3]!); // twice is harmless
    expect(queue.size).toBe(2);
    jest.advanceTimersByTime(40);
    expect(fired).toEqual([1, 3]);
  });

  it('re-arms for an earlier deadline added later', () => {
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>((item) => fired.push(item));
    const now = monotonicNow();
    queue.add(now + 5_000, 'late');
    queue.add(now + 10, 'early');
    jest.advanceTimersByTime(10);
    expect(fired).toEqual(['early']);
    jest.advanceTimersByTime(4_989);
    expect(fired).toEqual(['early']);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['early', 'late']);
  });

  it('fires nothing after clear()', () => {
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>((item) => fired.push(item));
    queue.add(monotonicNow() + 10, 'cleared');
    queue.clear();
    expect(queue.size).toBe(0);
    jest.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps heap order under any mix of adds and cancels (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxLength: 200 }),
        (ops) => {
          const queue = new DeadlineQueue<number>(() => {});
          const base = monotonicNow() + 60_000;
          const live = new Set<number>();
          const entries = ops.map(([offset], i) => {
            live.add(i);
            return queue.add(base + offset, i);
          });
          ops.forEach(([, cancel], i) => {
            if (cancel) {
              queue.cancel(entries[i]!);
              live.delete(i);
            }
          });
          expect(queue.size).toBe(live.size);
          // Every remaining entry's index points at itself, and parents are never later.
          const heap = (queue as unknown as { heap: Array<{ deadline: number; index: number }> })
            .heap;
          heap.forEach((entry, at) => {
            expect(entry.index).toBe(at);
            if (at > 0) expect(heap[(at - 1) >> 1]!.deadline).toBeLessThanOrEqual(entry.deadline);
          });
          queue.clear();
        },
      ),
    );
  });
});
