import { PendingTable } from './pending-table.js';

const entry = (seq: number) => ({ seq });

describe('PendingTable', () => {
  it('finds, removes and counts entries by seq', () => {
    const table = new PendingTable<{ seq: number }>();
    const a = entry(0);
    const b = entry(1);
    table.add(a);
    table.add(b);
    expect(table.size).toBe(2);
    expect(table.get(0)).toBe(a);
    expect(table.get(1)).toBe(b);
    expect(table.get(2)).toBeUndefined();
    table.delete(0);
    table.delete(0); // twice is harmless
    expect(table.get(0)).toBeUndefined();
    expect(table.size).toBe(1);
  });

  it('does not mistake a seq for another that shares its slot', () => {
    const table = new PendingTable<{ seq: number }>();
    const old = entry(5);
    table.add(old);
    // Far enough ahead to land on the same slot of any ring the table may have.
    expect(table.get(5 + 2 ** 20)).toBeUndefined();
    table.delete(5 + 2 ** 20);
    expect(table.get(5)).toBe(old);
  });

  it('keeps a long-pending entry while later seqs come and go through its slot', () => {
    const table = new PendingTable<{ seq: number }>();
    const stuck = entry(0);
    table.add(stuck);
    for (let seq = 1; seq < 10_000; seq++) {
      const e = entry(seq);
      table.add(e);
      expect(table.get(seq)).toBe(e);
      table.delete(seq);
      expect(table.get(seq)).toBeUndefined();
    }
    expect(table.get(0)).toBe(stuck);
    expect(table.size).toBe(1);
  });

  it('grows to hold many entries at once, in or out of their slots', () => {
    const table = new PendingTable<{ seq: number }>();
    const stuck = entry(3);
    table.add(stuck);
    const entries = Array.from({ length: 5000 }, (_, i) => entry(i + 100));
    for (const e of entries) table.add(e);
    expect(table.size).toBe(5001);
    for (const e of entries) expect(table.get(e.seq)).toBe(e);
    expect(table.get(3)).toBe(stuck);
  });

  it('works with seqs past 2^32', () => {
    const table = new PendingTable<{ seq: number }>();
    const big = entry(2 ** 40 + 7);
    table.add(big);
    expect(table.get(2 ** 40 + 7)).toBe(big);
    expect(table.get(7)).toBeUndefined();
  });

  it('drains every entry and starts empty', () => {
    const table = new PendingTable<{ seq: number }>();
    const entries = [entry(1), entry(2), entry(1 + 256), entry(9)];
    for (const e of entries) table.add(e);
    expect(table.drain().sort((x, y) => x.seq - y.seq)).toEqual(
      [...entries].sort((x, y) => x.seq - y.seq),
    );
    expect(table.size).toBe(0);
    expect(table.get(1)).toBeUndefined();
  });
});
