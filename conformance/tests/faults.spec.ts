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
  it('fails the pending calls fast with a clear error, then reconnects to a new server', async () => {
    const server = await startGoServer();
    const client = new Client({
      address: server.address,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    try {
      expect(await client.call('Arith', 'Mul', { A: 3, B: 3 })).toEqual({ C: 9 });
      const pending = Array.from({ length: 20 }, () =>
        client.call('Slow', 'Sleep', { Ms: 30_000 }).then(
          () => undefined,
          (error: unknown) => ({ error, at: performance.now() }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const killedAt = performance.now();
      await server.kill();
      const outcomes = await Promise.all(pending);
      for (const outcome of outcomes) {
        expect(outcome?.error).toBeInstanceOf(RpcxError);
        expect((outcome!.error as RpcxError).code).toBe(ErrorCode.Unavailable);
        expect((outcome!.error as RpcxError).message).toContain(server.address);
        expect(outcome!.at - killedAt).toBeLessThan(1000);
      }

      // Same address, new process: the next call dials again.
      const port = server.address.slice(server.address.lastIndexOf(':') + 1);
      const again = await startGoServer({ addr: `127.0.0.1:${port}` });
      try {
        let reply: unknown;
        for (let attempt = 0; attempt < 50 && reply === undefined; attempt++) {
          reply = await client.call('Arith', 'Mul', { A: 4, B: 5 }).catch(async () => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return undefined;
          });
        }
        expect(reply).toEqual({ C: 20 });
      } finally {
        await again.stop();
      }
    } finally {
      await client.close();
    }
  });
});
