/**
 * AliasPlugin (Go's Alias) on a real socket: a request for the alias runs the real method, the
 * handler sees the real names and `__aliasAppliedKey=true`, and the response carries the real
 * names (Go's quirk, kept: clients match responses by seq). Other names are untouched; a plugin
 * added after the alias plugin sees the real names.
 */
import type { Server } from '../server.js';
import { cleanup, connect, startServer } from '../test-support/harness.js';
import { jsonRequest } from '../test-support/raw-client.js';
import { ALIAS_APPLIED_KEY, AliasPlugin } from './alias.js';

afterEach(cleanup);

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

test('the alias runs the real method; the response carries the real names', async () => {
  const seen: Array<{ path: string; method: string; applied: string | undefined }> = [];
  const arith = (s: Server) =>
    s.registerFunction('Arith', 'Mul', (args: { A: number; B: number }, ctx) => {
      seen.push({
        path: ctx.servicePath,
        method: ctx.serviceMethod,
        applied: ctx.metadata[ALIAS_APPLIED_KEY],
      });
      return { C: args.A * args.B };
    });
  const later: string[] = [];
  const aliases = new AliasPlugin().alias('Calc', 'Times', 'Arith', 'Mul');
  const { address } = await startServer(
    {
      plugins: [
        aliases,
        {
          postReadRequest: (_c, req) =>
            void later.push(`${req?.servicePath}.${req?.serviceMethod}`),
        },
      ],
    },
    arith,
  );
  const client = await connect(address);
  const viaAlias = await client.call(
    jsonRequest('Calc', 'Times', { A: 6, B: 7 }, { seq: 1, metadata: { k: 'v' } }),
  );
  expect(text(viaAlias.payload)).toBe('{"C":42}');
  expect(viaAlias.servicePath).toBe('Arith');
  expect(viaAlias.serviceMethod).toBe('Mul');
  expect(viaAlias.metadata[ALIAS_APPLIED_KEY]).toBeUndefined(); // request metadata only
  const direct = await client.call(jsonRequest('Arith', 'Mul', { A: 2, B: 3 }, { seq: 2 }));
  expect(text(direct.payload)).toBe('{"C":6}');
  expect(seen).toEqual([
    { path: 'Arith', method: 'Mul', applied: 'true' },
    { path: 'Arith', method: 'Mul', applied: undefined },
  ]);
  expect(later).toEqual(['Arith.Mul', 'Arith.Mul']);
  // Only the exact alias pair is rewritten.
  const other = await client.call(jsonRequest('Calc', 'Mul', { A: 1, B: 1 }, { seq: 3 }));
  expect(other.metadata.__rpcx_error__).toBe("rpcx: can't find service Calc");
});
