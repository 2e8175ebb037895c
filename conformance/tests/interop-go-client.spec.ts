/**
 * A real Go rpcx client (conformance/go/cmd/refclient) calls our server: every codec with and
 * without gzip, metadata both ways, oneway, heartbeat, auth, errors, timeouts, 1 MiB payloads and
 * server push — over tcp, unix sockets and TLS.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '@rpcx/server';
import { createTlsFixture, type TlsFixture } from '@rpcx/testing';
import { type GoClientRun, goClientCases, runGoClient } from './support/go-peer.js';
import { protobufCodec, registerReferenceServices } from './support/reference-services.js';

jest.setTimeout(180_000);

const TOKEN = 'interop-secret';

function expectAllPassed(run: GoClientRun, expectedCases: string[]): void {
  const failed = run.results.filter((r) => !r.ok);
  expect(failed).toEqual([]);
  expect(run.results.map((r) => r.case).sort()).toEqual([...expectedCases].sort());
  expect(run.summary).toEqual({ passed: expectedCases.length, failed: 0 });
  expect(run.code).toBe(0);
}

function startServer(auth?: string): Server {
  const server = new Server({
    codecs: [protobufCodec],
    auth:
      auth === undefined
        ? undefined
        : (token) => {
            if (token !== auth) throw new Error('invalid token');
          },
  });
  registerReferenceServices(server);
  return server;
}

describe('Go rpcx client → TS server', () => {
  let allCases: string[];
  let tls: TlsFixture;

  beforeAll(async () => {
    allCases = await goClientCases();
    tls = createTlsFixture();
  });
  afterAll(() => tls.dispose());

  it('passes every case over tcp with auth', async () => {
    const server = startServer(TOKEN);
    try {
      const address = await server.listen('tcp@127.0.0.1:0');
      expectAllPassed(await runGoClient(address, { token: TOKEN }), allCases);
    } finally {
      await server.close();
    }
  });

  it('passes every case but auth over tcp without auth', async () => {
    const server = startServer();
    try {
      const address = await server.listen('tcp@127.0.0.1:0');
      expectAllPassed(
        await runGoClient(address),
        allCases.filter((c) => !c.startsWith('auth/')),
      );
    } finally {
      await server.close();
    }
  });

  it('passes over a unix socket', async () => {
    const server = startServer(TOKEN);
    try {
      const address = await server.listen(
        `unix@${join(tmpdir(), `rpcx-interop-${process.pid}.sock`)}`,
      );
      expectAllPassed(await runGoClient(address, { token: TOKEN }), allCases);
    } finally {
      await server.close();
    }
  });

  it('passes over TLS', async () => {
    const server = startServer(TOKEN);
    try {
      const address = await server.listen('tcp@127.0.0.1:0', {
        tls: { key: tls.key, cert: tls.cert },
      });
      expectAllPassed(await runGoClient(address, { token: TOKEN, tlsCa: tls.files.ca }), allCases);
    } finally {
      await server.close();
    }
  });
});
