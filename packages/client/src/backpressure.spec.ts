import { ErrorCode, SerializeType } from '@rpcx/core';
import { nextTurn, resolved, settle, useFakeClock } from '@rpcx/testing';
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
    jest.useRealTimers();
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
    // Only what the kernel could take was written (it may keep taking a little while its buffers
    // grow); the rest waits in the client, unwritten.
    const stalledAt = await settledValue(() => written);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(COUNT);
    expect(sent).toBe(stalledAt);

    server.lastConnection.resumeReading();
    await Promise.all(sends);
    expect(sent).toBe(COUNT);
    await until(() => server.calls.length === COUNT);
    // In order, nothing lost or duplicated.
    expect(server.calls.map((request) => Number(request.seq))).toEqual(
      Array.from({ length: COUNT }, (_, i) => i),
    );
  });

  it('never writes a call that timed out while queued, and fails queued calls on close', async () => {
    useFakeClock(); // the deadline of the queued call runs on the fake clock
    server.lastConnection.pauseReading();
    const payload = Buffer.alloc(FRAME_PAYLOAD, 2);
    const fillers = Array.from({ length: COUNT }, () =>
      client.send('Echo', 'Echo', payload, raw).catch((error: Error) => error),
    );
    let lateError: unknown;
    const late = client
      .send('Echo', 'Late', payload, { ...raw, timeoutMs: 50 })
      .catch((error: unknown) => {
        lateError = error;
      });
    await nextTurn();
    jest.advanceTimersByTime(49);
    await nextTurn();
    expect(lateError).toBeUndefined();
    jest.advanceTimersByTime(1);
    await resolved(late, 'the queued call to time out');
    expect(lateError).toMatchObject({ code: ErrorCode.Timeout });

    // Closing fails everything still queued, at once. The kernel may have taken a few more frames
    // while we waited, so count what was written right before closing.
    const writtenBeforeClose = written;
    expect(writtenBeforeClose).toBeLessThan(COUNT);
    await client.close();
    const outcomes = await Promise.all(fillers);
    const failed = outcomes.filter((outcome) => outcome instanceof Error);
    expect(failed.length).toBe(COUNT - writtenBeforeClose);
    expect(failed.every((error) => (error as { code?: string }).code === ErrorCode.Shutdown)).toBe(
      true,
    );
    // The server reads all that reached it, up to the close: the late call is not in it.
    server.lastConnection.resumeReading();
    await settle(() => server.lastConnection.framed.closed, 'the server to read up to the close');
    expect(server.calls.some((request) => request.serviceMethod === 'Late')).toBe(false);
  });
});

/** Waits until `read()` has not changed for 100 ms (at most 3 s) and returns it. */
async function settledValue(read: () => number): Promise<number> {
  const deadline = Date.now() + 3_000;
  let last = read();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = read();
    if (now === last) return now;
    last = now;
  }
  throw new Error(`value still changing after 3 s (last ${last})`);
}
