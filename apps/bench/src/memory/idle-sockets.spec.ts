/**
 * The memory run's idle connections against our server, small: 200 connections, each answered
 * heartbeat, counted by the server, then every one closed. No timing is asserted.
 */
import { type StartedServer, startCountedServer } from '../load/servers.js';
import { hostPort, IdleSockets } from './idle-sockets.js';

/** Polls `read` until it gives `want` (10 s at most: connections close asynchronously). */
async function eventually(read: () => number | undefined, want: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (read() !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(read()).toBe(want);
}

describe('IdleSockets against our server', () => {
  let server: StartedServer;

  beforeAll(async () => {
    server = await startCountedServer('rpcx');
  });
  afterAll(() => server.close());

  it.each([
    ['after one heartbeat each', true],
    ['connected only', false],
  ])(
    'opens 200 idle connections %s, which the server counts, and closes them all',
    async (_, heartbeat) => {
      const sockets = new IdleSockets();
      const opened = await sockets.open({ ...hostPort(server.address), count: 200, heartbeat });
      expect(opened).toMatchObject({ opened: 200, failed: 0 });
      expect(sockets.size).toBe(200);
      await eventually(() => server.connections!(), 200);

      const closed = await sockets.close();
      expect(closed).toMatchObject({ closed: 200, forced: 0 });
      expect(sockets.size).toBe(0);
      expect(sockets.closedByPeer).toBe(0);
      await eventually(() => server.connections!(), 0);
    },
  );

  it('spreads connections over loopback source addresses', async () => {
    const sockets = new IdleSockets();
    const opened = await sockets.open({
      ...hostPort(server.address),
      count: 20,
      sources: ['127.0.0.2', '127.0.0.3'],
    });
    expect(opened).toMatchObject({ opened: 20, failed: 0 });
    await eventually(() => server.connections!(), 20);
    await sockets.close();
    await eventually(() => server.connections!(), 0);
  });

  it('counts the connections that fail', async () => {
    const sockets = new IdleSockets();
    // Nothing listens on the port of a closed server.
    const gone = await startCountedServer('rpcx');
    const target = hostPort(gone.address);
    await gone.close();
    const opened = await sockets.open({ ...target, count: 3 });
    expect(opened).toMatchObject({ opened: 0, failed: 3 });
    expect(opened.firstError).toMatch(/ECONNREFUSED/);
    expect(sockets.size).toBe(0);
  });
});
