import { createServer, type Server, type Socket } from 'node:net';
import { nextTurn, settle, useFakeClock } from '@rpcx/testing';
import { FAILED_RTT_MS, TcpRttProber } from './tcp-rtt-prober.js';

/** A loopback TCP server that counts accepted connections. */
async function listen(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, accepted: () => accepted };
}

/** A loopback port nothing listens on (a server's port after it closed). */
async function closedPort(): Promise<number> {
  const { server, port } = await listen();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('TcpRttProber', () => {
  let prober: TcpRttProber | undefined;
  const servers: Server[] = [];

  beforeEach(() => {
    useFakeClock();
  });
  afterEach(async () => {
    prober?.close();
    prober = undefined;
    jest.useRealTimers();
    await Promise.all(servers.splice(0).map(close));
  });

  it('measures a listening server, and a closed port as a failure (1000 ms)', async () => {
    const open = await listen();
    servers.push(open.server);
    const down = await closedPort();
    // The clock reads 100 when the probe starts and 107 when it connects.
    const times = [100, 107];
    const openKey = `tcp@127.0.0.1:${open.port}`;
    const downKey = `tcp@127.0.0.1:${down}`;
    prober = new TcpRttProber({ now: () => times.shift() ?? 200 });
    prober.track([openKey]);
    await settle(() => prober!.rttMs(openKey) !== undefined, 'the open port measured');
    expect(prober.rttMs(openKey)).toBe(7);
    prober.track([openKey, downKey]);
    await settle(() => prober!.rttMs(downKey) !== undefined, 'the closed port measured');
    expect(prober.rttMs(downKey)).toBe(FAILED_RTT_MS);
    expect(open.accepted()).toBe(1); // the open server was not probed again by the second track
  });

  it('gives unix sockets a fixed RTT and leaves unknown networks unmeasured', () => {
    prober = new TcpRttProber({ unixRttMs: 2 });
    const version = prober.version;
    prober.track(['unix@/tmp/rpcx.sock', 'quic@127.0.0.1:1', 'nonsense', 'tcp@127.0.0.1']);
    expect(prober.rttMs('unix@/tmp/rpcx.sock')).toBe(2);
    expect(prober.rttMs('quic@127.0.0.1:1')).toBeUndefined();
    expect(prober.rttMs('nonsense')).toBeUndefined();
    expect(prober.rttMs('tcp@127.0.0.1')).toBeUndefined(); // no port
    expect(prober.version).toBe(version + 1);
  });

  it('probes again every intervalMs, driven by the (fake) clock', async () => {
    const open = await listen();
    servers.push(open.server);
    const key = `tcp@127.0.0.1:${open.port}`;
    prober = new TcpRttProber({ intervalMs: 5_000 });
    prober.track([key]);
    await settle(() => open.accepted() === 1, 'the first probe');
    jest.advanceTimersByTime(4_999);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(open.accepted()).toBe(1);
    jest.advanceTimersByTime(1);
    await settle(() => open.accepted() === 2, 'the second probe');
    jest.advanceTimersByTime(5_000);
    await settle(() => open.accepted() === 3, 'the third probe');
  });

  it('runs one probe per server at a time', async () => {
    const open = await listen();
    servers.push(open.server);
    const key = `tcp@127.0.0.1:${open.port}`;
    prober = new TcpRttProber();
    prober.track([key]);
    prober.probeAll();
    prober.probeAll();
    await settle(() => prober!.rttMs(key) !== undefined, 'the probe');
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(open.accepted()).toBe(1);
  });

  it('counts a connect that takes longer than timeoutMs as a failure', async () => {
    const open = await listen();
    servers.push(open.server);
    const key = `tcp@127.0.0.1:${open.port}`;
    prober = new TcpRttProber({ timeoutMs: 3_000 });
    prober.track([key]);
    // Before the event loop can deliver the connect, the timeout fires.
    jest.advanceTimersByTime(3_000);
    expect(prober.rttMs(key)).toBe(FAILED_RTT_MS);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(prober.rttMs(key)).toBe(FAILED_RTT_MS); // the late connect is not recorded
  });

  it('forgets servers no longer tracked, and bumps the version when an RTT changes', async () => {
    prober = new TcpRttProber({ unixRttMs: 0 });
    prober.track(['unix@/a', 'unix@/b']);
    const version = prober.version;
    prober.track(['unix@/a']);
    expect(prober.rttMs('unix@/b')).toBeUndefined();
    expect(prober.version).toBe(version + 1);
  });

  it('close() stops the timer and the probes', async () => {
    const open = await listen();
    servers.push(open.server);
    const key = `tcp@127.0.0.1:${open.port}`;
    prober = new TcpRttProber({ intervalMs: 1_000 });
    prober.track([key]);
    await settle(() => prober!.rttMs(key) !== undefined, 'the first probe');
    prober.close();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(open.accepted()).toBe(1);
    prober.track([key, 'unix@/x']); // ignored after close
    expect(prober.rttMs('unix@/x')).toBeUndefined();
  });
});
