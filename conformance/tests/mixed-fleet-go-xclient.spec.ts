/**
 * A real Go rpcx XClient (conformance/go/cmd/goxclient: `client.NewXClient` over
 * `client.NewMultipleServersDiscovery`) in front of a fleet of TS servers, and of a mixed fleet of
 * TS servers and a Go refserver. Every server answers the `Fleet` service with its own id
 * (support/fleet.ts), so each reply shows which server answered. Spec §4.3–4.5, §7.2.
 *
 * The assertions lean on what Go's XClient makes deterministic — RoundRobin advances once per
 * selection, Broadcast waits for every server when all succeed, Fork returns the only success —
 * and not on timing. The number of calls made and failed per scenario is printed at the end.
 */

import { type FleetServer, fleetFailText, startFleetServer } from './support/fleet.js';
import {
  type GoServer,
  type GoXClient,
  type GoXClientOp,
  type GoXClientOptions,
  type GoXClientResult,
  startGoServer,
  startGoXClient,
} from './support/go-peer.js';

jest.setTimeout(120_000);

// ---------------------------------------------------------------------------------------------
// Bookkeeping: calls made and failed per scenario.

const FANOUT_OPS = new Set(['call', 'broadcast', 'fork', 'inform']);
const tally = new Map<string, { calls: number; failed: number }>();

function record(scenario: string, results: GoXClientResult[]): GoXClientResult[] {
  const entry = tally.get(scenario) ?? { calls: 0, failed: 0 };
  for (const result of results) {
    if (!FANOUT_OPS.has(result.op)) continue;
    entry.calls++;
    if (!result.ok) entry.failed++;
  }
  tally.set(scenario, entry);
  return results;
}

afterAll(() => {
  const rows = [...tally].map(
    ([scenario, { calls, failed }]) =>
      `${scenario.padEnd(58)} ${String(calls).padStart(5)} ${String(failed).padStart(6)}`,
  );
  console.log(
    [
      'Go XClient mixed fleet — calls per scenario (failed includes expected failures)',
      `${'scenario'.padEnd(58)} ${'calls'.padStart(5)} ${'failed'.padStart(6)}`,
      ...rows,
      `${'total'.padEnd(58)} ${String([...tally.values()].reduce((n, t) => n + t.calls, 0)).padStart(5)} ${String([...tally.values()].reduce((n, t) => n + t.failed, 0)).padStart(6)}`,
    ].join('\n'),
  );
});

// ---------------------------------------------------------------------------------------------
// Helpers

const who: GoXClientOp = { op: 'call', method: 'Who' };
const times = (n: number, op: GoXClientOp): GoXClientOp[] => Array.from({ length: n }, () => op);

/** The `Id` in a Fleet reply (`undefined` if there is none). */
function idOf(reply: unknown): string | undefined {
  const id = (reply as { Id?: unknown } | null | undefined)?.Id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
const replyId = (result: GoXClientResult) => idOf(result.reply);

function countBy(values: Array<string | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

function expectAllOk(results: GoXClientResult[]): void {
  expect(results.filter((r) => !r.ok)).toEqual([]);
}

/** Every reply of `results` names a server, in a fixed rotation of `ids`: returns that rotation. */
function expectRotation(results: GoXClientResult[], ids: string[]): string[] {
  const answered = results.map(replyId);
  const cycle = answered.slice(0, ids.length) as string[];
  expect([...cycle].sort()).toEqual([...ids].sort());
  expect(answered).toEqual(answered.map((_, i) => cycle[i % ids.length]));
  return cycle;
}

/**
 * A Broadcast that failed on server `id` only. [Go quirk] Broadcast returns at the first failure
 * and cancels the calls still in flight, which then add `context canceled` to the MultiError it
 * returned: besides `id`'s error there may be up to two of those (how many depends on timing).
 */
function expectBroadcastFailure(result: GoXClientResult, id: string): void {
  expect(result).toMatchObject({ ok: false, serviceError: false });
  const errors = result.errors ?? [];
  expect(errors.filter((e) => e !== 'context canceled')).toEqual([fleetFailText(id)]);
  expect(errors.length).toBeLessThanOrEqual(3);
  // Go prints a MultiError as `[e1 e2 ...]` in the order of the failures.
  expect(result.error).toMatch(/^\[.*\]$/);
  expect(result.error).toContain(fleetFailText(id));
}

/** Runs `op` until `done` holds for the results so far (at most `max` times). */
async function runUntil(
  xc: GoXClient,
  op: GoXClientOp,
  done: (results: GoXClientResult[]) => boolean,
  max: number,
): Promise<GoXClientResult[]> {
  const results: GoXClientResult[] = [];
  while (results.length < max && !done(results)) results.push(await xc.run(op));
  expect(done(results)).toBe(true);
  return results;
}

// ---------------------------------------------------------------------------------------------

describe('Go XClient → 3 TS servers', () => {
  let servers: FleetServer[];
  let a: FleetServer;
  let b: FleetServer;
  let c: FleetServer;
  let clients: GoXClient[];

  const xclient = (options: Partial<GoXClientOptions> = {}): GoXClient => {
    const xc = startGoXClient({
      servers: servers.map((s) => s.key),
      failMode: 'failover',
      selectMode: 'roundrobin',
      ...options,
    });
    clients.push(xc);
    return xc;
  };
  const ids = () => servers.map((s) => s.id);

  beforeEach(async () => {
    clients = [];
    servers = await Promise.all(['ts-a', 'ts-b', 'ts-c'].map(startFleetServer));
    [a, b, c] = servers as [FleetServer, FleetServer, FleetServer];
  });

  afterEach(async () => {
    const codes = await Promise.all(clients.map((xc) => xc.close()));
    await Promise.all(servers.map((s) => s.close()));
    expect(codes.every((code) => code === 0)).toBe(true);
  });

  it.each(['json', 'msgpack'] as const)(
    'RoundRobin (%s): the servers answer in a fixed rotation, 10 calls each over 30',
    async (codec) => {
      const xc = xclient({ codec });
      const results = record(
        `roundrobin ${codec}: 30×Who + 3×Mul`,
        await xc.runAll(times(30, who)),
      );
      expectAllOk(results);
      const cycle = expectRotation(results, ids());
      expect(countBy(results.map(replyId))).toEqual({ 'ts-a': 10, 'ts-b': 10, 'ts-c': 10 });
      for (const s of servers) expect(s.received('Who')).toBe(10);

      // The rotation goes on, and each server computes.
      const muls = record(
        `roundrobin ${codec}: 30×Who + 3×Mul`,
        await xc.runAll(
          [0, 1, 2].map((i) => ({ op: 'call', method: 'Mul', args: { A: i + 2, B: 7 } })),
        ),
      );
      expect(muls.map((r) => r.reply)).toEqual(
        [0, 1, 2].map((i) => ({ Id: cycle[i], C: (i + 2) * 7 })),
      );
    },
  );

  it('Failover: a closed server is skipped with zero failed calls', async () => {
    const xc = xclient({ failMode: 'failover' });
    const scenario = 'failover, ts-b closed: 3 warm-up + 30×Who';
    const warm = record(scenario, await xc.runAll(times(3, who)));
    expectAllOk(warm);
    expect(warm.map(replyId).sort()).toEqual(['ts-a', 'ts-b', 'ts-c']);

    // ts-b goes away with the XClient's connection to it open.
    await b.close();
    const whoAtClose = b.received('Who');
    const results = record(scenario, await xc.runAll(times(30, who)));
    expectAllOk(results);
    const answered = countBy(results.map(replyId));
    expect(Object.keys(answered).sort()).toEqual(['ts-a', 'ts-c']);
    expect(b.received('Who')).toBe(whoAtClose);
    expect(a.received('Who') + c.received('Who')).toBe(32);
  });

  it('Failover does not retry a service error', async () => {
    const xc = xclient({ failMode: 'failover', retries: 3 });
    const [result] = record('failover: Fail (service error, no retry)', [
      await xc.run({ op: 'call', method: 'Fail' }),
    ]);
    expect(result).toMatchObject({ ok: false, serviceError: true });
    expect(ids().map(fleetFailText)).toContain(result!.error);
    expect(servers.reduce((n, s) => n + s.received('Fail'), 0)).toBe(1);
  });

  it('Failfast: calls to a closed server fail, the others still answer in turn', async () => {
    const xc = xclient({ failMode: 'failfast' });
    const scenario = 'failfast, ts-b closed: 3 warm-up + 30×Who';
    const warm = record(scenario, await xc.runAll(times(3, who)));
    expectAllOk(warm);
    const cycle = expectRotation(warm, ids());

    await b.close();
    const results = record(scenario, await xc.runAll(times(30, who)));
    // One selection per call: exactly every call whose turn is ts-b fails, nothing is retried.
    results.forEach((result, i) => {
      if (cycle[i % 3] === 'ts-b') {
        expect(result).toMatchObject({ ok: false, serviceError: false });
        expect(result.error).toMatch(
          /connection refused|unexpected EOF|connection is shut down|reset/,
        );
      } else {
        expect(result).toMatchObject({ ok: true, reply: { Id: cycle[i % 3] } });
      }
    });
    expect(results.filter((r) => !r.ok)).toHaveLength(10);
    // Once the dead connection is gone, every attempt is a refused dial to ts-b's address.
    const dialErrors = results.filter((r) => !r.ok && r.error!.includes(b.hostPort));
    expect(dialErrors.length).toBeGreaterThanOrEqual(9);

    // The rotation goes on (33 selections so far): a service error surfaces as such, from the
    // server whose turn it is, and ts-b's turn is still a dial error.
    const fails = record(
      'failfast: 3×Fail (service errors, ts-b closed)',
      await xc.runAll(times(3, { op: 'call', method: 'Fail' })),
    );
    fails.forEach((result, i) => {
      const id = cycle[i]!;
      if (id === 'ts-b') {
        expect(result).toMatchObject({ ok: false, serviceError: false });
        expect(result.error).toContain(b.hostPort);
      } else {
        expect(result).toMatchObject({ ok: false, serviceError: true, error: fleetFailText(id) });
      }
    });
  });

  it('Broadcast: every server answers; one failing server fails the broadcast', async () => {
    const xc = xclient();
    const scenario = 'broadcast: Who, Mul, Fail on ts-b, Who with ts-b closed';
    const [all] = record(scenario, [await xc.run({ op: 'broadcast', method: 'Who' })]);
    expect(all!.ok).toBe(true);
    expect(ids()).toContain(replyId(all!));
    // Broadcast returns only after every server succeeded.
    for (const s of servers) expect(s.received('Who')).toBe(1);

    const [mul] = record(scenario, [
      await xc.run({ op: 'broadcast', method: 'Mul', args: { A: -3, B: 11 } }),
    ]);
    expect(mul).toMatchObject({ ok: true, reply: { C: -33 } });
    for (const s of servers) expect(s.received('Mul')).toBe(1);

    const [failed] = record(scenario, [
      await xc.run({ op: 'broadcast', method: 'Fail', args: { Ids: ['ts-b'] } }),
    ]);
    expectBroadcastFailure(failed!, 'ts-b');

    // Servers whose connection cannot be established are skipped silently (spec §7.2). A fresh
    // XClient, so that it has to dial ts-b: an XClient still holding a connection to ts-b that
    // it has not yet seen close would send on it and fail the broadcast with that error.
    await b.close();
    const fresh = xclient();
    const [skipped] = record(scenario, [await fresh.run({ op: 'broadcast', method: 'Who' })]);
    expect(skipped!.ok).toBe(true);
    expect(['ts-a', 'ts-c']).toContain(replyId(skipped!));
    expect(a.received('Who')).toBe(2);
    expect(c.received('Who')).toBe(2);
  });

  it('Fork: the first success wins; all failing is a MultiError', async () => {
    const xc = xclient();
    const scenario = 'fork: Who, Fail on two of three ×3, Fail on all';
    const [any] = record(scenario, [await xc.run({ op: 'fork', method: 'Who' })]);
    expect(any!.ok).toBe(true);
    expect(ids()).toContain(replyId(any!));

    // With two servers failing, the only success is the reply, whatever the timing.
    for (const survivor of servers) {
      const failing = ids().filter((id) => id !== survivor.id);
      const [result] = record(scenario, [
        await xc.run({ op: 'fork', method: 'Fail', args: { Ids: failing } }),
      ]);
      expect(result).toMatchObject({ ok: true, reply: { Id: survivor.id } });
    }

    const [none] = record(scenario, [await xc.run({ op: 'fork', method: 'Fail' })]);
    expect(none).toMatchObject({ ok: false, errors: ids().map(fleetFailText).sort() });
  });

  it('Inform: a receipt from every server, each with its own reply', async () => {
    const xc = xclient();
    const scenario = 'inform: Who, Fail on ts-b';
    const byAddress = Object.fromEntries(servers.map((s) => [s.hostPort, s.id]));
    const [all] = record(scenario, [await xc.run({ op: 'inform', method: 'Who' })]);
    expect(all!.ok).toBe(true);
    expect(all!.receipts).toHaveLength(3);
    expect(all!.receipts!.map((r) => [r.address, (r.reply as { Id: string }).Id])).toEqual(
      Object.entries(byAddress).sort(([x], [y]) => (x < y ? -1 : 1)),
    );
    expect(all!.receipts!.every((r) => r.error === undefined)).toBe(true);

    const [oneFails] = record(scenario, [
      await xc.run({ op: 'inform', method: 'Fail', args: { Ids: ['ts-b'] } }),
    ]);
    expect(oneFails).toMatchObject({ ok: false, errors: [fleetFailText('ts-b')] });
    expect(oneFails!.receipts).toHaveLength(3);
    for (const receipt of oneFails!.receipts!) {
      const id = byAddress[receipt.address];
      // The failed call decoded no reply (a Go server would send its zero value, Id "").
      if (id === 'ts-b') expect(idOf(receipt.reply)).toBeUndefined();
      else expect(receipt.reply).toEqual({ Id: id });
      // [Go quirk, spec §4.3] Every receipt carries the shared aggregate error.
      expect(receipt.error).toBe(`[${fleetFailText('ts-b')}]`);
    }
  });

  it('MultipleServersDiscovery.Update: an added server joins the rotation, removed ones leave', async () => {
    const xc = xclient({ servers: [a.key, b.key] });
    const scenario = 'update: [a,b] → [a,b,c] → [c]';
    const two = record(scenario, await xc.runAll(times(20, who)));
    expectAllOk(two);
    expect(countBy(two.map(replyId))).toEqual({ 'ts-a': 10, 'ts-b': 10 });

    // The XClient applies an update asynchronously (watch goroutine): call until it shows.
    expect(await xc.run({ op: 'update', servers: [a.key, b.key, c.key] })).toMatchObject({
      ok: true,
    });
    const joining = record(
      scenario,
      await runUntil(xc, who, (rs) => rs.some((r) => replyId(r) === 'ts-c'), 20),
    );
    expectAllOk(joining);
    const three = record(scenario, await xc.runAll(times(30, who)));
    expectAllOk(three);
    expect(countBy(three.map(replyId))).toEqual({ 'ts-a': 10, 'ts-b': 10, 'ts-c': 10 });

    // Two ts-c in a row cannot happen in a rotation over three: the update has landed.
    expect(await xc.run({ op: 'update', servers: [c.key] })).toMatchObject({ ok: true });
    const leaving = record(
      scenario,
      await runUntil(
        xc,
        who,
        (rs) => rs.length >= 2 && rs.slice(-2).every((r) => replyId(r) === 'ts-c'),
        20,
      ),
    );
    expectAllOk(leaving);
    const one = record(scenario, await xc.runAll(times(10, who)));
    expect(one.map(replyId)).toEqual(Array(10).fill('ts-c'));
  });

  it('Failbackup: a slow server is backed up by a fast one', async () => {
    // ts-a (weight 2) sleeps 1.5 s, ts-c (weight 1) answers at once. The smooth weighted ring is
    // a, c, a whatever the list order. [Go quirk] Call makes an initial selection even in
    // Failbackup and does not use it; Go() then selects again for the first request and again
    // for the backup. So: call 1 = (unused a) c → c answers; calls 2 and 3 = (unused a) a, then
    // the backup to c 10 ms later → c answers while a sleeps. Whatever the timing, c answers.
    const xc = xclient({
      servers: [`${a.key}?weight=2`, `${c.key}?weight=1`],
      failMode: 'failbackup',
      selectMode: 'weighted',
      backupLatencyMs: 10,
    });
    const slow: GoXClientOp = {
      op: 'call',
      method: 'Slow',
      args: { Ms: 1500, Ids: ['ts-a'] },
      timeoutMs: 10_000,
    };
    const results = record(
      'failbackup, weighted: 3×Slow (ts-a slow)',
      await xc.runAll(times(3, slow)),
    );
    expect(results.map((r) => r.reply)).toEqual(
      times(3, slow).map(() => ({ Id: 'ts-c', Slept: false })),
    );
    expect(c.received('Slow')).toBe(3);
    // ts-a was asked too (it got the first request of call 2 and 3, or the backup of call 1 if
    // ts-c was slower than 10 ms); a request on a fresh connection may be read a little after
    // ts-c's reply went out, so give it a moment.
    for (let waited = 0; a.received('Slow') === 0 && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(a.received('Slow')).toBeGreaterThanOrEqual(1);
  });
});

describe('Go XClient → mixed fleet: 2 TS servers + 1 Go refserver', () => {
  let tsA: FleetServer;
  let tsB: FleetServer;
  let go: GoServer;
  let goKilled: boolean;
  let clients: GoXClient[];

  const keys = () => [tsA.key, tsB.key, go.address];
  const xclient = (options: Partial<GoXClientOptions> = {}): GoXClient => {
    const xc = startGoXClient({
      servers: keys(),
      failMode: 'failover',
      selectMode: 'roundrobin',
      ...options,
    });
    clients.push(xc);
    return xc;
  };

  beforeEach(async () => {
    clients = [];
    goKilled = false;
    [tsA, tsB, go] = await Promise.all([
      startFleetServer('ts-a'),
      startFleetServer('ts-b'),
      startGoServer({ id: 'go-1' }),
    ]);
  });

  afterEach(async () => {
    const codes = await Promise.all(clients.map((xc) => xc.close()));
    await Promise.all([tsA.close(), tsB.close(), goKilled ? undefined : go.stop()]);
    expect(codes.every((code) => code === 0)).toBe(true);
  });

  it.each(['json', 'msgpack'] as const)(
    'RoundRobin, Mul, Broadcast, Fork and Inform across Go and TS servers (%s)',
    async (codec) => {
      const xc = xclient({ codec });
      const scenario = `mixed ${codec}: 30×Who, 3×Mul, broadcast, fork×2, inform`;
      const results = record(scenario, await xc.runAll(times(30, who)));
      expectAllOk(results);
      const cycle = expectRotation(results, ['ts-a', 'ts-b', 'go-1']);
      expect(countBy(results.map(replyId))).toEqual({ 'ts-a': 10, 'ts-b': 10, 'go-1': 10 });

      const muls = record(
        scenario,
        await xc.runAll(
          [0, 1, 2].map((i) => ({ op: 'call', method: 'Mul', args: { A: 6, B: i - 4 } })),
        ),
      );
      expect(muls.map((r) => r.reply)).toEqual(
        [0, 1, 2].map((i) => ({ Id: cycle[i], C: 6 * (i - 4) })),
      );

      const [broadcast] = record(scenario, [
        await xc.run({ op: 'broadcast', method: 'Fail', args: { Ids: ['go-1'] } }),
      ]);
      expectBroadcastFailure(broadcast!, 'go-1');

      const forks = record(
        scenario,
        await xc.runAll([
          { op: 'fork', method: 'Fail', args: { Ids: ['ts-a', 'go-1'] } },
          { op: 'fork', method: 'Fail', args: { Ids: ['ts-a', 'ts-b'] } },
        ]),
      );
      expect(forks.map((r) => r.reply)).toEqual([{ Id: 'ts-b' }, { Id: 'go-1' }]);

      const [inform] = record(scenario, [await xc.run({ op: 'inform', method: 'Who' })]);
      const goHostPort = go.address.slice(go.address.indexOf('@') + 1);
      const expected = [
        [tsA.hostPort, 'ts-a'],
        [tsB.hostPort, 'ts-b'],
        [goHostPort, 'go-1'],
      ].sort(([x], [y]) => (x! < y! ? -1 : 1));
      expect(inform!.ok).toBe(true);
      expect(inform!.receipts!.map((r) => [r.address, (r.reply as { Id: string }).Id])).toEqual(
        expected,
      );
    },
  );

  it('Failover: the Go server crashes (SIGKILL), the TS servers take over with zero failures', async () => {
    const xc = xclient({ failMode: 'failover' });
    const scenario = 'mixed failover, go-1 killed: 3 warm-up + 30×Who';
    const warm = record(scenario, await xc.runAll(times(3, who)));
    expectAllOk(warm);
    expect(warm.map(replyId).sort()).toEqual(['go-1', 'ts-a', 'ts-b']);

    goKilled = true;
    await go.kill();
    const results = record(scenario, await xc.runAll(times(30, who)));
    expectAllOk(results);
    expect(Object.keys(countBy(results.map(replyId))).sort()).toEqual(['ts-a', 'ts-b']);
    expect(tsA.received('Who') + tsB.received('Who')).toBe(32);
  });
});
