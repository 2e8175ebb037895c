import { once } from 'node:events';
import { createServer } from 'node:net';
import { Backoff, ErrorCode, type RpcxError } from '@rpcx/core';
import { createTlsFixture, nextTurn, resolved, rpcxRejectionOf, useFakeClock } from '@rpcx/testing';
import { Client } from './client.js';
import { withServerAndClient } from './test-support/server-and-client.js';
import { TestServer, until } from './test-support/test-server.js';

/** A loopback port nobody listens on (for now). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('connection loss and reconnection', () => {
  let server: TestServer;
  let client: Client;

  withServerAndClient((s, c) => {
    server = s;
    client = c;
  });
  afterEach(() => jest.useRealTimers());

  it('fails every call in flight at once when the server drops the connection', async () => {
    const reasons: RpcxError[] = [];
    let failed = 0;
    let failedByTurnEnd = -1;
    client.onClose((reason) => {
      reasons.push(reason);
      // "At once": every call has failed by the end of the turn in which the loss was seen,
      // with no timer in between.
      setImmediate(() => {
        failedByTurnEnd = failed;
      });
    });
    const calls = Array.from({ length: 10 }, () =>
      rpcxRejectionOf(client.call('Echo', 'Silent', {})).then((error) => {
        failed++;
        return error;
      }),
    );
    await until(() => server.calls.length === 10);
    server.dropConnections();
    const errors = await Promise.all(calls);
    await until(() => failedByTurnEnd >= 0);
    expect(failedByTurnEnd).toBe(10);
    for (const error of errors) {
      expect(error.code).toBe(ErrorCode.Unavailable);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(
        /^connection to tcp@127\.0\.0\.1:\d+ closed: (unexpected EOF|read ECONNRESET)$/,
      );
    }
    expect(reasons).toHaveLength(1);
    expect(reasons[0]!.message).toBe(errors[0]!.message);
    expect(client.connected).toBe(false);
    expect(client.pendingCalls).toBe(0);

    // The next call dials again; the new connection numbers from 0 again.
    await expect(client.call('Arith', 'Mul', { A: 2, B: 2 })).resolves.toEqual({ C: 4 });
    expect(server.connections).toHaveLength(2);
    expect(server.connections[1]!.requests[0]!.seq).toBe(0n);
  });

  it('reports an orderly close by the server as unexpected EOF', async () => {
    const call = rpcxRejectionOf(client.call('Echo', 'Close', {}));
    const error = await call;
    expect(error.message).toBe(`connection to ${client.address} closed: unexpected EOF`);
  });

  it('shares one dial among concurrent calls', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.call('Arith', 'Mul', { A: i, B: 1 })),
    );
    expect(replies[19]).toEqual({ C: 19 });
    expect(server.connections).toHaveLength(1);
  });

  it('closes: pending and later calls fail with Shutdown, close handlers hear it', async () => {
    const reasons: RpcxError[] = [];
    client.onClose((reason) => reasons.push(reason));
    const pending = rpcxRejectionOf(client.call('Echo', 'Silent', {}));
    await until(() => server.calls.length === 1);
    const closing = client.close();
    expect(client.close()).toBe(closing);
    const error = await pending;
    expect(error.code).toBe(ErrorCode.Shutdown);
    expect(error.message).toBe('connection is shut down');
    await closing;
    expect(client.closed).toBe(true);
    const later = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
    expect(later.code).toBe(ErrorCode.Shutdown);
    expect(later.message).toBe('connection is shut down');
    await expect(client.connect()).rejects.toThrow('connection is shut down');
    expect(reasons.map((reason) => reason.code)).toEqual([ErrorCode.Shutdown]);
    await until(() => server.lastConnection.framed.closed);
  });

  it('closes the connection after idleTimeoutMs without traffic, and reconnects', async () => {
    useFakeClock();
    const idle = new Client({ address: server.address, idleTimeoutMs: 80 });
    try {
      const closed = new Promise<RpcxError>((resolve) => idle.onClose(resolve));
      await idle.connect();
      jest.advanceTimersByTime(79);
      await nextTurn();
      expect(idle.connected).toBe(true);
      jest.advanceTimersByTime(1);
      const reason = await resolved(closed, 'the idle connection to close');
      expect(reason.code).toBe(ErrorCode.Unavailable);
      expect(reason.message).toMatch(/idle for 80 ms/);
      await expect(idle.call('Arith', 'Mul', { A: 3, B: 1 })).resolves.toEqual({ C: 3 });
      expect(server.connections).toHaveLength(2);
    } finally {
      await idle.close();
    }
  });

  it('drops a connection whose connCreated plugin fails', async () => {
    const picky = new Client({
      address: server.address,
      plugins: [
        {
          name: 'picky',
          connCreated: () => {
            throw new Error('not this one');
          },
        },
      ],
    });
    try {
      const error = await rpcxRejectionOf(picky.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(error.message).toBe('plugin picky connCreated: not this one');
      expect(picky.connected).toBe(false);
    } finally {
      await picky.close();
    }
  });
});

describe('dialling', () => {
  // Backoff delays are measured on the fake clock, and connect() sleeps on a fake timer.
  beforeEach(() => useFakeClock());
  afterEach(() => jest.useRealTimers());

  it('backs off exponentially between failed dials; calls fail fast meanwhile', async () => {
    const port = await freePort();
    const failedDials: string[] = [];
    const client = new Client({
      address: `tcp@127.0.0.1:${port}`,
      reconnect: { initialDelayMs: 60, maxDelayMs: 1_000, jitter: 0 },
      plugins: [{ connCreateFailed: (address) => void failedDials.push(address) }],
    });
    let server: TestServer | undefined;
    try {
      const first = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(first.code).toBe(ErrorCode.Unavailable);
      expect(first.message).toMatch(/^dial tcp@127\.0\.0\.1:\d+: (Error: )?connect ECONNREFUSED/);
      expect(failedDials).toEqual([`tcp@127.0.0.1:${port}`]);

      // Within the 60 ms backoff: no dial, an immediate error saying when the next one is.
      const fast = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(fast.code).toBe(ErrorCode.Unavailable);
      expect(fast.message).toMatch(/ECONNREFUSED.*; next dial in 60 ms$/);
      expect(failedDials).toHaveLength(1);
      jest.advanceTimersByTime(59);
      const last = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(last.message).toMatch(/; next dial in 1 ms$/);
      expect(failedDials).toHaveLength(1);

      jest.advanceTimersByTime(1); // 60 ms: the next call dials
      await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(failedDials).toHaveLength(2);
      // Now 120 ms: still backing off 119 ms later.
      const doubled = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(doubled.message).toMatch(/; next dial in 120 ms$/);
      jest.advanceTimersByTime(119);
      await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
      expect(failedDials).toHaveLength(2);

      // connect() waits the backoff out instead of failing fast: it dials only when the 120 ms
      // are over, so it reaches a server that started in the meantime.
      let connected = false;
      const connecting = client.connect().then(() => {
        connected = true;
      });
      server = await TestServer.start({ address: `tcp@127.0.0.1:${port}` });
      await nextTurn();
      expect(connected).toBe(false);
      expect(failedDials).toHaveLength(2);
      jest.advanceTimersByTime(1); // 120 ms: its sleep ends, it dials
      await resolved(connecting, 'connect() to dial once the backoff is over');
      expect(client.connected).toBe(true);
      await expect(client.call('Arith', 'Mul', { A: 5, B: 5 })).resolves.toEqual({ C: 25 });
      expect(failedDials).toHaveLength(2);
    } finally {
      await client.close();
      await server?.close();
    }
  });

  it('lets connect() be aborted while it waits, and close() end a dial', async () => {
    const port = await freePort();
    const client = new Client({
      address: `tcp@127.0.0.1:${port}`,
      reconnect: { initialDelayMs: 5_000, jitter: 0 },
    });
    await rpcxRejectionOf(client.connect());
    const controller = new AbortController();
    const abortable = rpcxRejectionOf(client.connect({ signal: controller.signal }));
    jest.advanceTimersByTime(4_999); // still waiting out the backoff
    controller.abort();
    const aborted = await abortable;
    expect(aborted.code).toBe(ErrorCode.Canceled);
    expect(aborted.message).toBe(`connect tcp@127.0.0.1:${port}: canceled`);
    const waiting = rpcxRejectionOf(client.connect());
    await client.close();
    expect((await waiting).code).toBe(ErrorCode.Shutdown);
  });

  it('grows delays by the multiplier up to the cap, with jitter around them', () => {
    const exact = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => exact.fail())).toEqual([100, 200, 400, 800, 1000, 1000]);
    exact.reset();
    expect(exact.fail()).toBe(100);

    const low = new Backoff({ initialDelayMs: 100, jitter: 0.2 }, () => 0);
    const high = new Backoff({ initialDelayMs: 100, jitter: 0.2 }, () => 0.999_999);
    expect(low.fail()).toBe(80);
    expect(high.fail()).toBe(120);
    const defaults = new Backoff({ jitter: 0 });
    expect(Array.from({ length: 8 }, () => defaults.fail()).at(-1)).toBe(5_000);
  });
});

describe('TLS', () => {
  it('calls over TLS with the given options', async () => {
    const fixture = createTlsFixture();
    const server = await TestServer.start({
      address: 'tls@127.0.0.1:0',
      tls: { key: fixture.key, cert: fixture.cert },
    });
    const client = new Client({ address: server.address, tls: { ca: fixture.ca } });
    try {
      await expect(client.call('Arith', 'Mul', { A: 7, B: 6 })).resolves.toEqual({ C: 42 });
    } finally {
      await client.close();
      await server.close();
      fixture.dispose();
    }
  });
});
