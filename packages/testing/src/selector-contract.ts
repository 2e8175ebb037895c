/// <reference types="jest" />
/**
 * The contract every selector passes, declared as jest tests. Call it at the top level of a spec
 * with a factory that makes a fresh selector:
 *
 *   describeSelectorContract('round robin', () => new RoundRobinSelector());
 *
 * The endpoints it uses carry `weight`, `latitude` and `longitude` metadata, so selectors that
 * read them (weighted, closest) see every server as eligible.
 */
import type { SelectContext, Selector, ServiceEndpoint } from '@rpcx/core';

/** `n` endpoints `tcp@127.0.0.1:<9000+i>` with weight, latitude and longitude metadata. */
export function contractEndpoints(n: number, from = 0): ServiceEndpoint[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      key: `tcp@127.0.0.1:${9000 + i}`,
      metadata: `weight=${1 + (i % 4)}&latitude=${(i % 7) * 10}&longitude=${(i % 5) * 20}`,
    };
  });
}

/** Call contexts with ordinary and odd arguments. */
function contexts(): SelectContext[] {
  const cyclic: Record<string, unknown> = { name: 'cyclic' };
  cyclic.self = cyclic;
  const args: unknown[] = [
    undefined,
    null,
    0,
    -1.5,
    Number.NaN,
    2n ** 70n,
    true,
    '',
    'text ✓ 𝄞',
    '\ud800',
    new Uint8Array([1, 2, 3]),
    Buffer.from('buffer'),
    new Float64Array([1.5]),
    new ArrayBuffer(2),
    [1, [2, [3]], { a: null }],
    { A: 10, B: 20 },
    { nested: { deeper: { list: [1n, 'x'], at: new Date(0) } } },
    new Map<unknown, unknown>([
      ['b', 2],
      [1, 'a'],
    ]),
    new Set([1, 2]),
    new Date(Number.NaN),
    new Error('boom'),
    Object.create(null),
    cyclic,
    Symbol('s'),
    () => 1,
    {
      get bad(): never {
        throw new Error('getter');
      },
    },
  ];
  return args.map((value, i) => ({
    servicePath: 'Arith',
    serviceMethod: i % 2 === 0 ? 'Mul' : 'Add',
    args: value,
    metadata: {},
  }));
}

/** Selects `times` times over every context, reporting each pick's key (and load feedback). */
function pickAll(selector: Selector, times: number): (string | undefined)[] {
  const picks: (string | undefined)[] = [];
  const ctxs = contexts();
  for (let round = 0; round < times; round++) {
    for (const ctx of ctxs) {
      const key = selector.select(ctx);
      picks.push(key);
      if (key !== undefined) {
        selector.callStarted?.(key);
        selector.callFinished?.(key, round % 3, round % 5 === 0);
      }
    }
  }
  return picks;
}

export function describeSelectorContract(name: string, factory: () => Selector): void {
  describe(`selector contract: ${name}`, () => {
    let selector: Selector;
    beforeEach(() => {
      selector = factory();
    });
    afterEach(() => {
      selector.close?.();
    });

    it('returns undefined before any update and for an empty list', () => {
      expect(pickAll(selector, 1).every((key) => key === undefined)).toBe(true);
      selector.update([]);
      expect(pickAll(selector, 1).every((key) => key === undefined)).toBe(true);
    });

    it('returns only keys of the current list, and some key whenever there are servers', () => {
      const endpoints = contractEndpoints(5);
      selector.update(endpoints);
      const keys = new Set(endpoints.map((endpoint) => endpoint.key));
      for (const key of pickAll(selector, 4)) expect(keys.has(key!)).toBe(true);
    });

    it('never returns a key after an update removed it', () => {
      selector.update(contractEndpoints(6));
      pickAll(selector, 2);
      const remaining = contractEndpoints(6).filter((_, i) => i % 2 === 0);
      selector.update(remaining);
      const keys = new Set(remaining.map((endpoint) => endpoint.key));
      for (const key of pickAll(selector, 4)) expect(keys.has(key!)).toBe(true);
    });

    it('goes to an empty list and back', () => {
      selector.update(contractEndpoints(3));
      pickAll(selector, 1);
      selector.update([]);
      expect(pickAll(selector, 1).every((key) => key === undefined)).toBe(true);
      const back = contractEndpoints(2, 10);
      selector.update(back);
      const keys = new Set(back.map((endpoint) => endpoint.key));
      for (const key of pickAll(selector, 2)) expect(keys.has(key!)).toBe(true);
    });

    it('always returns the only server of a one-server list', () => {
      const [only] = contractEndpoints(1, 3);
      selector.update([only!]);
      expect(new Set(pickAll(selector, 3))).toEqual(new Set([only!.key]));
    });

    it('treats a repeated key as one server', () => {
      const [a, b] = contractEndpoints(2);
      selector.update([a!, b!, a!, { key: a!.key, metadata: b!.metadata }]);
      const keys = new Set([a!.key, b!.key]);
      for (const key of pickAll(selector, 2)) expect(keys.has(key!)).toBe(true);
    });

    it('does not throw for any args value, including cyclic and throwing ones', () => {
      selector.update(contractEndpoints(4));
      expect(() => pickAll(selector, 2)).not.toThrow();
    });

    it('takes load feedback for unknown keys without effect', () => {
      selector.update(contractEndpoints(2));
      expect(() => {
        selector.callStarted?.('tcp@127.0.0.1:1');
        selector.callFinished?.('tcp@127.0.0.1:1', 5, true);
        selector.callFinished?.('tcp@127.0.0.1:2', 5, false);
      }).not.toThrow();
      const keys = new Set(contractEndpoints(2).map((endpoint) => endpoint.key));
      for (const key of pickAll(selector, 2)) expect(keys.has(key!)).toBe(true);
    });
  });
}
