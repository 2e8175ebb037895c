/**
 * Faults between real processes: a Go rpcx server killed with calls in flight. Our client must
 * fail every pending call at once with a clear error — no hang — and reconnect when a server is
 * back on the same address.
 */
import { Client } from '@rpcx/client';
import { ErrorCode, RpcxError } from '@rpcx/core';
import { startGoServer } from './support/go-peer.js';

jest.setTimeout(60_000);

describe('a Go server killed with calls in flight', () => {
  it('fails the pending calls at once with a clear error, then reconnects to a new server', async () => {
    const server = await startGoServer();
    const client = new Client({
      address: server.address,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    try {
      expect(await client.call('Arith', 'Mul', { A: 3, B: 3 })).toEqual({ C: 9 });
      let failed = 0;
      let failedByTurnEnd = -1;
      client.onClose(() => {
        // "At once": every pending call has failed by the end of the turn in which the client
        // saw the connection go, with no timer in between (no wall-clock bound to race).
        setImmediate(() => {
          failedByTurnEnd = failed;
        });
      });
      const pending = Array.from({ length: 20 }, () =>
        client.call('Slow', 'Sleep', { Ms: 30_000 }).then(
          () => undefined,
          (error: unknown) => {
            failed++;
            return error;
          },
        ),
      );
      // Let the server start handling them (what follows holds either way).
      await new Promise((resolve) => setTimeout(resolve, 100));
      await server.kill();
      const errors = await Promise.all(pending);
      for (const error of errors) {
        expect(error).toBeInstanceOf(RpcxError);
        expect((error as RpcxError).code).toBe(ErrorCode.Unavailable);
        expect((error as RpcxError).message).toContain(server.address);
      }
      while (failedByTurnEnd < 0) await new Promise((resolve) => setImmediate(resolve));
      expect(failedByTurnEnd).toBe(20);

      // Same address, new process: connect() waits out any backoff, then dials it.
      const port = server.address.slice(server.address.lastIndexOf(':') + 1);
      const again = await startGoServer({ addr: `127.0.0.1:${port}` });
      try {
        await client.connect();
        expect(await client.call('Arith', 'Mul', { A: 4, B: 5 })).toEqual({ C: 20 });
      } finally {
        await again.stop();
      }
    } finally {
      await client.close();
    }
  });
});
