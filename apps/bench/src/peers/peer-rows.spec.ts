import type { InterleavedResult } from '../load/interleave.js';
import { parseSliceLine } from './go-client-lines.js';
import { PEER_ROWS, referenceOf, selectRows, toPeerRows } from './peer-rows.js';
import { formatPeerTable, formatTargets } from './peer-table.js';
import { checkTargets } from './peer-targets.js';

/** A measured row with `rates` req/s per round (the whole-run rate is their mean). */
function measured(name: string, rates: number[], cpuUs = 10): InterleavedResult {
  const requestsPerSecond = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
  return {
    name,
    requests: requestsPerSecond,
    errors: 0,
    seconds: 1,
    requestsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    p999Ms: 3,
    clientCpuUs: cpuUs,
    serverCpuUs: cpuUs,
    clientRssBytes: 100 * 2 ** 20,
    serverRssBytes: Number.NaN,
    roundRequestsPerSecond: rates,
  };
}

const ids = (specs: { id: string }[]) => specs.map((spec) => spec.id);

describe('selectRows', () => {
  it('adds the rpcx TS row each picked row is divided by', () => {
    expect(ids(selectRows(['grpc', 'moleculer']))).toEqual([
      'ts-ts-json',
      'ts-ts-protobuf',
      'grpc',
      'moleculer',
    ]);
    expect(ids(selectRows(['go-ts-msgpack']))).toEqual(['ts-ts-msgpack', 'go-ts-msgpack']);
  });

  it('takes groups and kinds, and keeps the run order', () => {
    expect(ids(selectRows(['rpcx']))).toEqual([
      'ts-ts-json',
      'ts-ts-msgpack',
      'ts-ts-protobuf',
      'ts-ts-echo',
    ]);
    expect(ids(selectRows(['ts-go']))).toEqual([
      'ts-ts-json',
      'ts-ts-msgpack',
      'ts-ts-protobuf',
      'ts-go-json',
      'ts-go-msgpack',
      'ts-go-protobuf',
    ]);
    expect(selectRows(['rpcx', 'peers', 'go'])).toEqual(PEER_ROWS);
  });

  it('refuses an unknown name', () => {
    expect(() => selectRows(['rpcx', 'thrift'])).toThrow(/no row thrift/);
  });
});

describe('toPeerRows', () => {
  const specs = selectRows(['rpcx', 'peers']);
  const rates: Record<string, number[]> = {
    'ts-ts-json': [30_000, 34_000],
    'ts-ts-msgpack': [20_000, 20_000],
    'ts-ts-protobuf': [40_000, 40_000],
    'ts-ts-echo': [90_000, 90_000],
    grpc: [4_000, 4_000],
    moleculer: [10_000, 10_000],
  };
  const rows = toPeerRows(
    specs,
    specs.map((spec) => measured(spec.name, rates[spec.id]!, spec.id === 'grpc' ? 80 : 20)),
    100,
  );
  const row = (id: string) => rows.find((r) => r.id === id)!;

  it('divides each peer by the rpcx TS row of its codec, and keeps the inverse', () => {
    expect(row('grpc').reference).toBe('rpcx TS→TS Protobuf');
    expect(row('grpc').vsReference!.requestsPerSecond).toBeCloseTo(0.1, 10);
    expect(row('grpc').referenceOverRow).toBeCloseTo(10, 10);
    expect(row('grpc').vsReference!.clientCpuUs).toBeCloseTo(4, 10);
    expect(row('moleculer').reference).toBe('rpcx TS→TS JSON');
    expect(row('moleculer').vsReference!.requestsPerSecondByRound).toEqual([1 / 3, 1 / 3.4]);
    expect(row('moleculer').referenceOverRow).toBeCloseTo(3.2, 10);
  });

  it('gives the rpcx TS rows and the echo ceiling no reference', () => {
    for (const id of ['ts-ts-json', 'ts-ts-msgpack', 'ts-ts-protobuf', 'ts-ts-echo']) {
      expect(row(id).reference).toBeUndefined();
      expect(referenceOf(row(id))).toBeUndefined();
    }
    expect(row('ts-ts-echo').name).toMatch(/transport ceiling/);
  });

  it('prints every row, a dash where nothing was measured', () => {
    const table = formatPeerTable(rows);
    expect(table[0]).toBe('concurrency 100');
    expect(table).toHaveLength(2 + 1 + rows.length);
    expect(table.find((line) => line.startsWith('grpc-js'))).toMatch(/0\.100\s+10\.00$/);
    expect(table.find((line) => line.startsWith('rpcx TS→TS JSON'))).toMatch(/100\s+—\s*$/);
  });
});

describe('checkTargets', () => {
  const specs = selectRows(['peers', 'go-go', 'go-ts']);
  const rates: Record<string, number[]> = {
    'ts-ts-json': [30_000, 30_000],
    'ts-ts-protobuf': [40_000, 40_000],
    'ts-ts-msgpack': [20_000, 20_000],
    grpc: [1_000, 3_000],
    moleculer: [9_000, 11_000],
    'go-go-json': [10_000, 10_000],
    'go-ts-json': [16_000, 14_000],
    'go-go-msgpack': [20_000, 20_000],
    'go-ts-msgpack': [20_000, 20_000],
    'go-go-protobuf': [1, 1],
    'go-ts-protobuf': [1, 1],
  };
  const at = (concurrency: number) =>
    toPeerRows(
      specs,
      specs.map((spec) => measured(spec.name, rates[spec.id]!)),
      concurrency,
    );

  it('checks each target at concurrency 100 only', () => {
    expect(checkTargets(at(1000))).toEqual([]);
    const results = checkTargets([...at(1), ...at(100)]);
    const result = (row: string, over: string) =>
      results.find((r) => r.row === row && r.over === over)!;
    expect(results).toHaveLength(5);
    // 30 000 ÷ 10 000 = 3: met, exactly at the target.
    expect(result('ts-ts-json', 'moleculer')).toMatchObject({ ratio: 3, met: true, ofTarget: 1 });
    // 30 000 ÷ 2 000 = 15 < 25; rounds 30 and 10, median 20.
    expect(result('ts-ts-json', 'grpc')).toMatchObject({
      ratio: 15,
      met: false,
      byRoundMedian: 20,
    });
    expect(result('ts-ts-protobuf', 'grpc')).toMatchObject({ ratio: 20, met: true });
    expect(result('go-ts-json', 'go-go-json')).toMatchObject({ ratio: 1.5, met: true });
    expect(result('go-ts-msgpack', 'go-go-msgpack')).toMatchObject({ ratio: 1, met: false });
    expect(formatTargets(results)[2]).toMatch(
      /≥ 25 × grpc-js: 15\.00× .* MISSED, 60 % of the target/,
    );
  });

  it('leaves out a target whose rows did not run', () => {
    const rows = at(100).filter((row) => row.id !== 'moleculer');
    expect(checkTargets(rows).map((r) => r.over)).not.toContain('moleculer');
  });
});

describe('parseSliceLine', () => {
  it('reads a Go client slice', () => {
    const line =
      'SLICE {"requests":3,"errors":1,"seconds":0.5,"cpuUs":1200,"rssBytes":9000000,' +
      '"latencyUs":{"95":2,"120":1}}';
    expect(parseSliceLine(line)).toEqual({
      requests: 3,
      errors: 1,
      seconds: 0.5,
      cpuUs: 1200,
      rssBytes: 9_000_000,
      latencyUs: { '95': 2, '120': 1 },
    });
  });

  it('refuses other lines, missing fields, and latencies that do not add up to the requests', () => {
    expect(() => parseSliceLine('DONE')).toThrow(/not a SLICE line/);
    expect(() => parseSliceLine('SLICE {"requests":0,"errors":0,"seconds":1,"cpuUs":1}')).toThrow(
      /without rssBytes/,
    );
    expect(() =>
      parseSliceLine(
        'SLICE {"requests":5,"errors":0,"seconds":1,"cpuUs":1,"rssBytes":1,"latencyUs":{"7":4}}',
      ),
    ).toThrow(/4 latencies for 5 requests/);
    expect(() =>
      parseSliceLine(
        'SLICE {"requests":1,"errors":0,"seconds":1,"cpuUs":1,"rssBytes":1,"latencyUs":{"x":1}}',
      ),
    ).toThrow(/is not/);
  });
});
