import fc from 'fast-check';
import { DeadlineQueue, monotonicNow } from './deadline-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineQueue', () => {
  it('fires items in deadline order, each once', async () => {
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>((item) => fired.push(item));
    const now = monotonicNow();
    queue.add(now + 40, 'c');
    queue.add(now + 10, 'a');
    queue.add(now + 25, 'b');
    await sleep(80);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
  });

  it('never fires a cancelled item and forgets it at once', async () => {
    const fired: number[] = [];
    const queue = new DeadlineQueue<number>((item) => fired.push(item));
    const now = monotonicNow();
    const entries = [1, 2, 3, 4].map((n) => queue.add(now + 10 * n, n));
    queue.cancel(entries[1]!);
    queue.cancel(entries[3]!);
    queue.cancel(entries[3]!); // twice is harmless
    expect(queue.size).toBe(2);
    await sleep(70);
    expect(fired).toEqual([1, 3]);
  });

  it('re-arms for an earlier deadline added later', async () => {
    const fired: string[] = [];
    const queue = new DeadlineQueue<string>((item) => fired.push(item));
    const now = monotonicNow();
    queue.add(now + 5_000, 'late');
    queue.add(now + 10, 'early');
    await sleep(40);
    expect(fired).toEqual(['early']);
    queue.clear();
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
