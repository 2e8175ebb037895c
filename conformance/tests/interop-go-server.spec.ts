/**
 * Our client calls a real Go rpcx server (conformance/go/cmd/refserver): every case of the
 * interop contract over tcp with auth, a unix socket and TLS.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTlsFixture, type TlsFixture } from '@rpcx/testing';
import { describeClientCases, type InteropTarget } from './support/client-cases.js';
import { type GoServer, startGoServer } from './support/go-peer.js';

jest.setTimeout(60_000);

function describeAgainstGo(
  title: string,
  start: () => Promise<{ server: GoServer; target: Omit<InteropTarget, 'address' | 'heartbeats'> }>,
) {
  describe(title, () => {
    let server: GoServer;
    let target: InteropTarget;
    beforeAll(async () => {
      const started = await start();
      server = started.server;
      target = { ...started.target, address: server.address, heartbeats: server.heartbeats };
    });
    afterAll(() => server?.stop());
    describeClientCases(() => target);
  });
}

const TOKEN = 'go-interop-token';
let tls: TlsFixture | undefined;
afterAll(() => tls?.dispose());

describeAgainstGo('TS client → Go rpcx server over tcp, with auth', async () => ({
  server: await startGoServer({ authToken: TOKEN }),
  target: { token: TOKEN },
}));

describeAgainstGo('TS client → Go rpcx server over a unix socket', async () => ({
  server: await startGoServer({
    network: 'unix',
    addr: join(tmpdir(), `rpcx-go-${process.pid}.sock`),
  }),
  target: {},
}));

describeAgainstGo('TS client → Go rpcx server over TLS', async () => {
  tls = createTlsFixture();
  return {
    server: await startGoServer({ tls: { cert: tls.files.cert, key: tls.files.key } }),
    target: { tls: { ca: tls.ca } },
  };
});
