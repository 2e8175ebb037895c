/**
 * AliasPlugin (Go's serverplugin.AliasPlugin) on a TS server, called by name through the alias
 * from a TS client and from a real Go rpcx XClient (conformance/go/cmd/goxclient, JSON and
 * MsgPack). The response carries the real names — Go's quirk, kept — and neither client minds:
 * both match responses by seq.
 */
import { Client } from '@rpcx/client';
import { SerializeType } from '@rpcx/core';
import { AliasPlugin } from '@rpcx/server';
import { type FleetServer, startFleetServer } from './support/fleet.js';
import { startGoXClient } from './support/go-peer.js';

jest.setTimeout(120_000);

let fleet: FleetServer;

beforeAll(async () => {
  fleet = await startFleetServer('ts');
  fleet.server.addPlugin(
    new AliasPlugin().alias('Calc', 'Times', 'Fleet', 'Mul').alias('Calc', 'Name', 'Fleet', 'Who'),
  );
});
afterAll(async () => {
  await fleet?.close();
});

test('a TS client calls the aliases; the response names the real method', async () => {
  const names: string[] = [];
  const client = new Client({
    address: fleet.key,
    serializeType: SerializeType.JSON,
    plugins: [
      {
        postReadResponseBody: (message) =>
          void names.push(`${message.servicePath}.${message.serviceMethod}`),
      },
    ],
  });
  try {
    await expect(client.call('Calc', 'Times', { A: 6, B: 7 })).resolves.toEqual({
      Id: 'ts',
      C: 42,
    });
    await expect(client.call('Calc', 'Name', {})).resolves.toEqual({ Id: 'ts' });
    await expect(client.call('Calc', 'Mul', {})).rejects.toThrow("rpcx: can't find service Calc");
    expect(names).toEqual(['Fleet.Mul', 'Fleet.Who', 'Calc.Mul']);
  } finally {
    await client.close();
  }
});

test.each(['json', 'msgpack'] as const)('a Go XClient calls the aliases (%s)', async (codec) => {
  const before = fleet.received('Mul');
  const go = startGoXClient({ servers: [fleet.key], service: 'Calc', failMode: 'failfast', codec });
  try {
    const results = await go.runAll([
      { op: 'call', method: 'Times', args: { A: 6, B: 7 } },
      { op: 'call', method: 'Name', args: {} },
      { op: 'call', method: 'Mul', args: {} },
    ]);
    expect(results.map(({ ok, reply, error }) => ({ ok, reply, error }))).toEqual([
      { ok: true, reply: { Id: 'ts', C: 42 }, error: undefined },
      { ok: true, reply: { Id: 'ts' }, error: undefined },
      { ok: false, reply: undefined, error: "rpcx: can't find service Calc" },
    ]);
    expect(fleet.received('Mul')).toBe(before + 1);
  } finally {
    expect(await go.close()).toBe(0);
  }
});
