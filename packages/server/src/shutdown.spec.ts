import type { RegistryPlugin } from '@rpcx/core';
import { Server } from './server.js';
import { cleanup, connect, eventually, startServer, tracked } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, RawClient, request } from './test-support/raw-client.js';

afterEach(cleanup);

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
    await eventually(() => log.includes('unregister Svc'));
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
    await client.closed;
    await shutdown;
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
    await eventually(() => server.inFlight === 1);
    const before = Date.now();
    await server.shutdown({ timeoutMs: 80 });
    expect(Date.now() - before).toBeGreaterThanOrEqual(70);
    await client.closed;
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
    await eventually(() => server.inFlight === 1);
    await server.close();
    await client.closed;
    expect(client.queued).toBe(0);
    await expect(RawClient.connect(address)).rejects.toThrow();
    await eventually(() => server.inFlight === 0);
  });

  test('close() during a shutdown ends the wait', async () => {
    const { address, server } = await startServer({}, (s) =>
      s.registerFunction('Svc', 'Never', () => new Promise(() => {})),
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Never', null, { seq: 1 }));
    await eventually(() => server.inFlight === 1);
    const shutdown = server.shutdown({ timeoutMs: 60_000 });
    await server.close();
    await shutdown;
    await client.closed;
  });
});
