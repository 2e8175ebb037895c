/**
 * Consistent hash against Go (spec §5.6): for the same key bytes and the same server list (and
 * the same sequence of updates), our ConsistentHashSelector picks the server that Go rpcx's
 * ConsistentHashSelector picks — rpcx's own HashString and the edwingeng/doublejump library it
 * pins, run by conformance/go/cmd/hashgen. Servers are given in sorted order, as the TS selector
 * inserts them (Go inserts in map order, so a Go client is only comparable for a fixed order).
 */
import type { SelectContext } from '@rpcx/core';
import { ConsistentHashSelector, hashBytes } from '@rpcx/selectors';
import { runGo } from './support/go-tools.js';

interface HashCase {
  servers: string[];
  remove?: string[];
  updates?: string[][];
  keys: Uint8Array[];
}

interface GoResult {
  picks: string[];
  hashes: string[];
}

/** Deterministic generator (xorshift32), so a failure reproduces. */
function generator(seed: number): { int(n: number): number; chance(p: number): boolean } {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return { int: (n) => next() % n, chance: (p) => next() / 2 ** 32 < p };
}

const random = generator(0x5eed_c0de);

function serverKey(i: number): string {
  switch (i % 4) {
    case 0:
      return `tcp@127.0.0.1:${8000 + i}`;
    case 1:
      return `tcp@[::1]:${9000 + i}`;
    case 2:
      return `unix@/tmp/rpcx-${i}.sock`;
    default:
      return `tcp@10.0.${i % 7}.${i}:8972`;
  }
}

const texts = ['', 'a', '/Arith/Mul/&{10 20}', 'user:42', 'é', '中文キー', '𝄞🎵', 'Ünïcödé ✓'];

function randomKey(): Uint8Array {
  switch (random.int(4)) {
    case 0: // one of the fixed texts, as UTF-8
      return Buffer.from(texts[random.int(texts.length)]!, 'utf8');
    case 1: {
      // random ASCII
      const length = random.int(40);
      return Buffer.from(Array.from({ length }, () => 32 + random.int(95)));
    }
    case 2: {
      // random code points, as UTF-8
      const length = 1 + random.int(12);
      const points = Array.from({ length }, () => {
        const p = random.chance(0.5) ? random.int(0x800) : random.int(0x10ffff);
        return p >= 0xd800 && p <= 0xdfff ? 0x41 : p;
      });
      return Buffer.from(String.fromCodePoint(...points), 'utf8');
    }
    default: {
      // raw bytes, often not UTF-8
      const length = random.int(64);
      return Uint8Array.from({ length }, () => random.int(256));
    }
  }
}

function sortedSample(pool: string[], count: number): string[] {
  const copy = [...pool];
  const out: string[] = [];
  while (out.length < count && copy.length > 0)
    out.push(copy.splice(random.int(copy.length), 1)[0]!);
  return out.sort();
}

function makeCases(): HashCase[] {
  const cases: HashCase[] = [];
  for (let c = 0; c < 360; c++) {
    const n = 1 + (c % 20);
    const servers = Array.from({ length: n }, (_, i) => serverKey(i + 37 * c)).sort();
    const keys = Array.from({ length: 24 }, randomKey);
    const kind = c % 3;
    if (kind === 0) {
      cases.push({ servers, keys });
    } else if (kind === 1) {
      // some removed: they leave holes in the loose array
      const remove = n > 1 ? sortedSample(servers, 1 + random.int(n - 1)) : [];
      cases.push({ servers, remove, keys });
    } else {
      // further updates as rpcx applies them: new servers fill the holes (last freed first)
      const updates: string[][] = [];
      let current = servers;
      for (let u = 0; u < 3; u++) {
        const kept = sortedSample(current, Math.max(1, current.length - 1 - random.int(3)));
        const added = Array.from({ length: random.int(3) }, (_, i) =>
          serverKey(10_000 + 50 * c + 10 * u + i),
        );
        current = [...new Set([...kept, ...added])].sort();
        updates.push(current);
      }
      cases.push({ servers, updates, keys });
    }
  }
  return cases;
}

/** The TS selector driven through the same steps; the call's args carry the key bytes. */
function tsPicks(test: HashCase): (string | undefined)[] {
  const selector = new ConsistentHashSelector({ key: (ctx) => ctx.args as Uint8Array });
  selector.update(test.servers.map((key) => ({ key, metadata: '' })));
  if (test.remove !== undefined) {
    const gone = new Set(test.remove);
    selector.update(
      test.servers.filter((key) => !gone.has(key)).map((key) => ({ key, metadata: '' })),
    );
  }
  for (const update of test.updates ?? []) {
    selector.update(update.map((key) => ({ key, metadata: '' })));
  }
  return test.keys.map((bytes) => {
    const ctx: SelectContext = { servicePath: 'S', serviceMethod: 'M', args: bytes, metadata: {} };
    return selector.select(ctx);
  });
}

describe('consistent hash: TS picks the server Go rpcx picks', () => {
  const cases = makeCases();
  let results: GoResult[];

  beforeAll(async () => {
    const input = JSON.stringify(
      cases.map((test) => ({
        ...test,
        keys: test.keys.map((bytes) => Buffer.from(bytes).toString('base64')),
      })),
    );
    const run = await runGo('hashgen', [], Buffer.from(input), 120_000);
    if (run.code !== 0) throw new Error(`hashgen exited with ${run.code}: ${run.stderr}`);
    results = JSON.parse(run.stdout.toString('utf8')) as GoResult[];
  }, 600_000);

  it('covers 1 to 20 servers, removals and updates', () => {
    expect(results).toHaveLength(cases.length);
    expect(new Set(cases.map((test) => test.servers.length)).size).toBe(20);
    expect(cases.filter((test) => test.remove !== undefined).length).toBeGreaterThan(100);
    expect(cases.filter((test) => test.updates !== undefined).length).toBeGreaterThan(100);
  });

  it('FNV-1a 64 of every key equals rpcx HashString', () => {
    const mismatches: string[] = [];
    cases.forEach((test, c) => {
      test.keys.forEach((bytes, k) => {
        const ours = hashBytes(bytes).toString();
        if (ours !== results[c]!.hashes[k]) {
          mismatches.push(`case ${c} key ${Buffer.from(bytes).toString('hex')}: ${ours}`);
        }
      });
    });
    expect(mismatches).toEqual([]);
  });

  it('every key goes to the same server as in Go', () => {
    const mismatches: string[] = [];
    let compared = 0;
    cases.forEach((test, c) => {
      const ours = tsPicks(test);
      ours.forEach((pick, k) => {
        compared++;
        const theirs = results[c]!.picks[k] || undefined;
        if (pick !== theirs) {
          mismatches.push(
            `case ${c} key ${Buffer.from(test.keys[k]!).toString('hex')}: TS ${pick}, Go ${theirs}`,
          );
        }
      });
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBe(cases.length * 24);
  });

  it('a string key hashes as its UTF-8 bytes: same picks as the bytes', () => {
    const test = cases.find((t) => t.updates !== undefined && t.servers.length > 8)!;
    const byString = new ConsistentHashSelector({ key: (ctx) => ctx.args as string });
    const byBytes = new ConsistentHashSelector({ key: (ctx) => Buffer.from(ctx.args as string) });
    const list = test.servers.map((key) => ({ key, metadata: '' }));
    byString.update(list);
    byBytes.update(list);
    for (const text of texts) {
      const ctx: SelectContext = { servicePath: 'S', serviceMethod: 'M', args: text, metadata: {} };
      expect(byString.select(ctx)).toBe(byBytes.select(ctx));
    }
  });
});
