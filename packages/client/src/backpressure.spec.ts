import { ErrorCode, SerializeType } from '@rpcx/core';
import { Client } from './client.js';
import { TestServer, until } from './test-support/test-server.js';

const raw = { serializeType: SerializeType.None };
const FRAME_PAYLOAD = 512 * 1024;
const COUNT = 48; // 24 MiB in all: more than loopback socket buffers hold

describe('backpressure', () => {
  let server: TestServer;
  let client: Client;
  let written: number;

  beforeEach(async () => {
    server = await TestServer.start();
    written = 0;
    client = new Client({
      address: server.address,
      plugins: [{ postWriteRequest: () => void written++ }],
    });
    await client.connect();
    await until(() => server.connections.length === 1);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('stops handing frames to the socket while the server does not read, then resumes', async () => {
    server.lastConnection.pauseReading();
    const payload = Buffer.alloc(FRAME_PAYLOAD, 1);
    let sent = 0;
    const sends = Array.from({ length: COUNT }, () =>
      client.send('Echo', 'Echo', payload, raw).then(() => void sent++),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Only what the kernel could take was written; the rest waits in the client, unwritten.
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(COUNT);
    expect(sent).toBe(written);
    const stalledAt = written;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).toBe(stalledAt);

    server.lastConnection.resumeReading();
    await Promise.all(sends);
    expect(sent).toBe(COUNT);
    await until(() => server.calls.length === COUNT);
    // In order, nothing lost or duplicated.
    expect(server.calls.map((request) => Number(request.header.seq))).toEqual(
      Array.from({ length: COUNT }, (_, i) => i),
    );
  });

  it('never writes a call that timed out while queued, and fails queued calls on close', async () => {
    server.lastConnection.pauseReading();
    const payload = Buffer.alloc(FRAME_PAYLOAD, 2);
    const fillers = Array.from({ length: COUNT }, () =>
      client.send('Echo', 'Echo', payload, raw).catch((error: Error) => error),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queuedAt = written;
    const late = client.send('Echo', 'Late', payload, { ...raw, timeoutMs: 50 });
    await expect(late).rejects.toMatchObject({ code: ErrorCode.Timeout });

    // Closing fails everything still queued, at once.
    await client.close();
    const outcomes = await Promise.all(fillers);
    const failed = outcomes.filter((outcome) => outcome instanceof Error);
    expect(failed.length).toBe(COUNT - queuedAt);
    expect(failed.every((error) => (error as { code?: string }).code === ErrorCode.Shutdown)).toBe(
      true,
    );
    server.lastConnection.resumeReading();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls.some((request) => request.serviceMethod === 'Late')).toBe(false);
  });
});
