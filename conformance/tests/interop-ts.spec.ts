/** The same client cases, TS client ↔ TS server: over tcp with auth, and a unix socket. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '@rpcx/server';
import { describeClientCases, type InteropTarget } from './support/client-cases.js';
import { protobufCodec, registerReferenceServices } from './support/reference-services.js';

jest.setTimeout(60_000);

function describeAgainstTs(title: string, listenOn: string, token?: string) {
  describe(title, () => {
    let server: Server;
    let target: InteropTarget;
    let heartbeats = 0;
    beforeAll(async () => {
      server = new Server({
        codecs: [protobufCodec],
        plugins: [{ heartbeatRequest: () => void heartbeats++ }],
        auth:
          token === undefined
            ? undefined
            : (given) => {
                if (given !== token) throw new Error('invalid token');
              },
      });
      registerReferenceServices(server);
      target = { address: await server.listen(listenOn), token, heartbeats: () => heartbeats };
    });
    afterAll(() => server?.close());
    describeClientCases(() => target);
  });
}

describeAgainstTs('TS client → TS server over tcp, with auth', 'tcp@127.0.0.1:0', 'ts-token');
describeAgainstTs(
  'TS client → TS server over a unix socket',
  `unix@${join(tmpdir(), `rpcx-ts-${process.pid}.sock`)}`,
);
