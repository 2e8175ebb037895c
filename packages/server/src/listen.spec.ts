import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@rpcx/core';
import { createTlsFixture, type TlsFixture } from '@rpcx/testing';
import { Server } from './server.js';
import { cleanup, connect, eventually, tracked } from './test-support/harness.js';
import { jsonRequest, RawClient } from './test-support/raw-client.js';

afterEach(cleanup);

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

function echoServer(): Server {
  const server = tracked(new Server());
  server.registerFunction('Svc', 'Echo', (args: unknown) => args);
  return server;
}

describe('listen', () => {
  test('tcp: resolves with the bound address; several listeners serve at once', async () => {
    const server = echoServer();
    const first = await server.listen('tcp@127.0.0.1:0');
    const second = await server.listen('127.0.0.1:0');
    expect(first).toMatch(/^tcp@127\.0\.0\.1:\d+$/);
    expect(first).not.toBe(second);
    expect(server.addresses()).toEqual([first, second]);
    for (const [seq, address] of [first, second].entries()) {
      const client = await connect(address);
      expect(
        text((await client.call(jsonRequest('Svc', 'Echo', seq, { seq: seq + 1 }))).payload),
      ).toBe(`${seq}`);
    }
  });

  test('unix socket', async () => {
    const path = join(tmpdir(), `rpcx-server-${process.pid}-${Date.now()}.sock`);
    try {
      const server = echoServer();
      const address = await server.listen(`unix@${path}`);
      expect(address).toBe(`unix@${path}`);
      const client = await connect(address);
      expect(
        text((await client.call(jsonRequest('Svc', 'Echo', 'unix', { seq: 1 }))).payload),
      ).toBe('"unix"');
      await eventually(() => server.connections().length === 1);
      expect(server.connections()[0]!.network).toBe('unix');
    } finally {
      rmSync(path, { force: true });
    }
  });

  describe('tls', () => {
    let fixture: TlsFixture;
    beforeAll(() => {
      fixture = createTlsFixture();
    });
    afterAll(() => fixture.dispose());

    test('tls@ address with key and cert', async () => {
      const server = echoServer();
      const address = await server.listen('tls@127.0.0.1:0', {
        tls: { key: fixture.key, cert: fixture.cert },
      });
      expect(address).toMatch(/^tls@127\.0\.0\.1:\d+$/);
      const client = await RawClient.connect(address, { tls: { ca: fixture.ca } });
      try {
        expect(
          text((await client.call(jsonRequest('Svc', 'Echo', 'secure', { seq: 1 }))).payload),
        ).toBe('"secure"');
        await eventually(() => server.connections().length === 1);
        expect(server.connections()[0]!.network).toBe('tls');
      } finally {
        client.destroy();
      }
    });
  });

  test('a taken port or a bad address rejects', async () => {
    const server = echoServer();
    const address = await server.listen('tcp@127.0.0.1:0');
    await expect(echoServer().listen(address)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    await expect(server.listen('udp@127.0.0.1:0')).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    await expect(server.listen('tls@127.0.0.1:0')).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
  });
});
