import type { RegistryPlugin } from '@rpcx/core';
import { nextTurn, resolved, settle, useFakeClock } from '@rpcx/testing';
import { Server } from './server.js';
import { cleanup, connect, startServer, tracked } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, RawClient, request } from './test-support/raw-client.js';

// Shutdown timeouts (and handlers that take time) run on the fake clock: it moves only when a
// test says so, so no timer fires early on a slow machine. Sockets stay real.
beforeEach(() => useFakeClock());
afterEach(async () => {
  jest.useRealTimers();
  await cleanup();
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('graceful shutdown', () => {
  test('in-flight call completes, new requests are refused, registry unregistered, then connections close', async () => {
    const log: string[] = [];
    const registry: RegistryPlugin = {
      register: (path) => void log.push(`register ${path}`),
      unregister: (path) => void log.push(`unregister ${path}`),
    };
    const slow = gate();
    const started = gate();
    const { address, server } = await startServer({ plugins: [registry] }, (s) => {
      s.registerFunction('Svc', 'Slow', async () => {
        started.open();
        await slow.opened;
        log.push('slow done');
        return 'finished';
      });
      s.registerFunction('Svc', 'Fast', () => 'fast');
    });
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Slow', null, { seq: 1 }));
    await started.opened;

    let shutDown = false;
    const shutdown = server.shutdown({ timeoutMs: 5000 }).then(() => {
      shutDown = true;
    });
    await settle(() => log.includes('unregister Svc'), 'the registry to be told');
    expect(server.inFlight).toBe(1);

    // New work on the open connection is refused with a clear error.
    const refused = await client.call(jsonRequest('Svc', 'Fast', null, { seq: 2 }));
    expect(refused.flags).toBe(0x81);
    expect(refused.metadata.__rpcx_error__).toBe('rpcx: server is shutting down');
    // Heartbeats are still answered.
    expect((await client.call(request({ heartbeat: true, seq: 3 }))).heartbeat).toBe(true);
    // No new connections.
    await expect(RawClient.connect(address)).rejects.toThrow();
    expect(shutDown).toBe(false);

    slow.open();
    const done = await client.waitFor((m) => m.seq === 1n);
    expect(Buffer.from(done.payload).toString()).toBe('"finished"');
    await resolved(client.closed, 'the connection to close');
    await resolved(shutdown, 'the shutdown');
    expect(log).toEqual(['register Svc', 'unregister Svc', 'slow done']);
    expect(server.connections()).toEqual([]);
    await expect(server.listen('tcp@127.0.0.1:0')).rejects.toMatchObject({ code: 'shutdown' });
  });

  test('the timeout closes connections even if calls are still running', async () => {
    const logger = new MemoryLogger();
    const { address, server } = await startServer({ logger }, (s) =>
      s.registerFunction('Svc', 'Never', () => new Promise(() => {})),
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Never', null, { seq: 1 }));
    await settle(() => server.inFlight === 1, 'the call to start');
    let shutDown = false;
    const shutdown = server.shutdown({ timeoutMs: 80 }).then(() => {
      shutDown = true;
    });
    await nextTurn(); // the listener is closed and the registry told: the wait has begun
    jest.advanceTimersByTime(79);
    await nextTurn();
    expect(shutDown).toBe(false);
    expect(client.isOpen).toBe(true);
    expect(logger.messages('warn')).toEqual([]);
    jest.advanceTimersByTime(1); // no more time passes from here on
    await resolved(shutdown, 'the shutdown');
    await resolved(client.closed, 'the connection to close');
    expect(client.queued).toBe(0);
    expect(logger.messages('warn')).toContain(
      'rpcx: shutdown timeout of 80 ms passed with 1 requests in flight',
    );
  });

  test('shutdown with no connections resolves at once; shutdown is idempotent', async () => {
    const server = tracked(new Server());
    await server.listen('tcp@127.0.0.1:0');
    const first = server.shutdown();
    expect(server.shutdown()).toBe(first);
    await first;
  });
});

describe('close()', () => {
  test('closes listeners and connections at once; in-flight responses are lost', async () => {
    const { address, server } = await startServer({}, (s) =>
      s.registerFunction(
        'Svc',
        'Slow',
        () => new Promise((resolve) => setTimeout(() => resolve('late'), 50)),
      ),
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Slow', null, { seq: 1 }));
    await settle(() => server.inFlight === 1, 'the call to start');
    await server.close();
    await resolved(client.closed, 'the connection to close');
    await expect(RawClient.connect(address)).rejects.toThrow();
    jest.advanceTimersByTime(50); // the handler finishes, after the close
    await settle(() => server.inFlight === 0, 'the handler to finish');
    await nextTurn();
    expect(client.queued).toBe(0);
  });

  test('close() during a shutdown ends the wait', async () => {
    const { address, server } = await startServer({}, (s) =>
      s.registerFunction('Svc', 'Never', () => new Promise(() => {})),
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Never', null, { seq: 1 }));
    await settle(() => server.inFlight === 1, 'the call to start');
    const shutdown = server.shutdown({ timeoutMs: 60_000 }); // never reached: time stands still
    await server.close();
    await resolved(shutdown, 'the shutdown');
    await resolved(client.closed, 'the connection to close');
  });
});
