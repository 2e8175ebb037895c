/**
 * Our XClient (@rpcx/client) in front of a mixed fleet: two TS servers and one Go refserver, all
 * with the `Fleet` service (support/fleet.ts), whose replies name the server that answered.
 * The mirror image of mixed-fleet-go-xclient.spec.ts: RoundRobin, Failover with a closed server,
 * Broadcast, Fork and Inform (spec §4.3–4.5, §7.2). The number of calls made and failed per
 * scenario is printed at the end.
 */
import {
  FailMode,
  isRpcxError,
  MultipleServersDiscovery,
  type RpcxError,
  SelectMode,
  SerializeType,
  XClient,
} from '@rpcx/client';
import { type FleetServer, fleetFailText, startFleetServer } from './support/fleet.js';
import { type GoServer, startGoServer } from './support/go-peer.js';

jest.setTimeout(60_000);

// ---------------------------------------------------------------------------------------------
// Bookkeeping: calls made and failed per scenario.

const tally = new Map<string, { calls: number; failed: number }>();

/** Runs one XClient operation, counting it under `scenario`; settles like the operation. */
async function counted<T>(scenario: string, operation: () => Promise<T>): Promise<T> {
  const entry = tally.get(scenario) ?? { calls: 0, failed: 0 };
  tally.set(scenario, entry);
  entry.calls++;
  try {
    return await operation();
  } catch (error) {
    entry.failed++;
    throw error;
  }
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<RpcxError> {
  const outcome = await promise.then(
    (reply) => ({ reply }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome))
    throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  expect(isRpcxError(outcome.error)).toBe(true);
  return outcome.error as RpcxError;
}

afterAll(() => {
  const rows = [...tally].map(
    ([scenario, { calls, failed }]) =>
      `${scenario.padEnd(52)} ${String(calls).padStart(5)} ${String(failed).padStart(6)}`,
  );
  console.log(
    [
      'TS XClient mixed fleet — calls per scenario (failed includes expected failures)',
      `${'scenario'.padEnd(52)} ${'calls'.padStart(5)} ${'failed'.padStart(6)}`,
      ...rows,
    ].join('\n'),
  );
});

interface Who {
  Id: string;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

const ALL = ['ts-a', 'ts-b', 'go-1'];

describe('TS XClient → mixed fleet: 2 TS servers + 1 Go refserver', () => {
  let tsA: FleetServer;
  let tsB: FleetServer;
  let go: GoServer;
  let clients: XClient[];

  const goHostPort = () => go.address.slice(go.address.indexOf('@') + 1);
  const xclient = (options: { failMode?: FailMode; serializeType?: number }): XClient => {
    const discovery = new MultipleServersDiscovery(
      [tsA.key, tsB.key, go.address].map((key) => ({ key, metadata: '' })),
    );
    const xc = new XClient({
      servicePath: 'Fleet',
      discovery,
      failMode: options.failMode ?? FailMode.Failover,
      selectMode: SelectMode.RoundRobin,
      serializeType: options.serializeType ?? SerializeType.JSON,
    });
    clients.push(xc);
    return xc;
  };

  beforeEach(async () => {
    clients = [];
    [tsA, tsB, go] = await Promise.all([
      startFleetServer('ts-a'),
      startFleetServer('ts-b'),
      startGoServer({ id: 'go-1' }),
    ]);
  });

  afterEach(async () => {
    await Promise.all(clients.map((xc) => xc.close()));
    await Promise.all([tsA.close(), tsB.close(), go.stop()]);
  });

  it.each([
    ['JSON', SerializeType.JSON],
    ['MsgPack', SerializeType.MsgPack],
  ])(
    'RoundRobin (%s): each of the 3 servers answers in turn, 10 calls each over 30',
    async (name, serializeType) => {
      const xc = xclient({ serializeType });
      const scenario = `roundrobin ${name}: 30×Who + 3×Mul`;
      const answered: string[] = [];
      for (let i = 0; i < 30; i++) {
        const reply = await counted(scenario, () => xc.call<Who>('Who', {}, { timeoutMs: 2000 }));
        answered.push(reply.Id);
      }
      expect(countBy(answered)).toEqual({ 'ts-a': 10, 'ts-b': 10, 'go-1': 10 });
      const cycle = answered.slice(0, 3);
      expect([...cycle].sort()).toEqual([...ALL].sort());
      expect(answered).toEqual(answered.map((_, i) => cycle[i % 3]));
      expect(tsA.received('Who')).toBe(10);
      expect(tsB.received('Who')).toBe(10);

      // Every server computes, Go and TS alike.
      const muls: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        muls.push(
          await counted(scenario, () => xc.call('Mul', { A: 6, B: i - 4 }, { timeoutMs: 2000 })),
        );
      }
      expect(muls).toEqual([0, 1, 2].map((i) => ({ Id: cycle[i], C: 6 * (i - 4) })));
    },
  );

  it('Failover: a closed TS server is skipped with zero failed calls', async () => {
    const xc = xclient({ failMode: FailMode.Failover });
    const scenario = 'failover, ts-b closed: 3 warm-up + 30×Who';
    const warm: string[] = [];
    for (let i = 0; i < 3; i++) {
      warm.push((await counted(scenario, () => xc.call<Who>('Who', {}, { timeoutMs: 2000 }))).Id);
    }
    expect([...warm].sort()).toEqual([...ALL].sort());

    await tsB.close();
    const atClose = tsB.received('Who');
    const answered: string[] = [];
    for (let i = 0; i < 30; i++) {
      answered.push(
        (await counted(scenario, () => xc.call<Who>('Who', {}, { timeoutMs: 2000 }))).Id,
      );
    }
    expect(tally.get(scenario)!.failed).toBe(0);
    expect(Object.keys(countBy(answered)).sort()).toEqual(['go-1', 'ts-a']);
    expect(tsB.received('Who')).toBe(atClose);
  });

  it('Broadcast: every server answers; one failing server rejects the broadcast', async () => {
    const xc = xclient({});
    const scenario = 'broadcast: Who, Fail on go-1';
    const reply = await counted(scenario, () => xc.broadcast<Who>('Who', {}));
    expect(ALL).toContain(reply.Id);
    // A broadcast resolves only after every server succeeded.
    expect(tsA.received('Who')).toBe(1);
    expect(tsB.received('Who')).toBe(1);

    const error = await rejection(counted(scenario, () => xc.broadcast('Fail', { Ids: ['go-1'] })));
    expect(error.message).toContain(fleetFailText('go-1'));
  });

  it('Fork: the first success wins; all failing rejects', async () => {
    const xc = xclient({});
    const scenario = 'fork: Who, Fail on two of three ×3, Fail on all';
    expect(ALL).toContain((await counted(scenario, () => xc.fork<Who>('Who', {}))).Id);

    // With two servers failing, the only success is the reply, whatever the timing.
    for (const survivor of ALL) {
      const failing = ALL.filter((id) => id !== survivor);
      const reply = await counted(scenario, () => xc.fork<Who>('Fail', { Ids: failing }));
      expect(reply).toEqual({ Id: survivor });
    }

    const error = await rejection(counted(scenario, () => xc.fork('Fail', {})));
    for (const id of ALL) expect(error.message).toContain(fleetFailText(id));
  });

  it('Inform: one receipt per server, each with its own reply or error', async () => {
    const xc = xclient({});
    const scenario = 'inform: Fail on ts-b';
    const receipts = await counted(scenario, () => xc.inform<Who>('Fail', { Ids: ['ts-b'] }));
    const byAddress: Record<string, string> = {
      [tsA.hostPort]: 'ts-a',
      [tsB.hostPort]: 'ts-b',
      [goHostPort()]: 'go-1',
    };
    expect(receipts.map((r) => r.address).sort()).toEqual(Object.keys(byAddress).sort());
    for (const receipt of receipts) {
      const id = byAddress[receipt.address]!;
      if (id === 'ts-b') {
        expect(receipt.error?.message).toContain(fleetFailText('ts-b'));
      } else {
        expect(receipt.error).toBeUndefined();
        expect(receipt.reply).toEqual({ Id: id });
      }
    }
  });
});
