/**
 * MsgPack (serialize type 3) is Go's default and the client's: neither the client nor the server
 * needs it passed in, both load `@rpcx/codecs/msgpack` on first use. When `@msgpack/msgpack`
 * cannot be loaded, the client fails MsgPack calls with a `codec` error naming the package, keeps
 * working with JSON, and the server answers MsgPack requests with Go's `can not find codec for 3`.
 *
 * The server is @rpcx/server's (reached through its entry point; the client package does not
 * depend on it at run time).
 */
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { type Codec, ErrorCode, isRpcxError, SerializeType } from '@rpcx/core';
import * as serverPackage from '../../server/src/index.js';
import * as clientPackage from './index.js';

type ServerModule = typeof serverPackage;
type ClientModule = typeof clientPackage;

const PEER = '@msgpack/msgpack';

function arith(server: InstanceType<ServerModule['Server']>, seen: number[]): void {
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }, ctx) => {
    seen.push(ctx.request.serializeType);
    return { C: args.A * args.B };
  });
}

test('client and server load MsgPack on first use, without a codecs option', async () => {
  const seen: number[] = [];
  const server = new serverPackage.Server();
  arith(server, seen);
  const address = await server.listen('tcp@127.0.0.1:0');
  const client = new clientPackage.Client({ address });
  try {
    // Two calls at once: both wait for the one load.
    await expect(
      Promise.all([
        client.call('Arith', 'Mul', { A: 6, B: 7 }),
        client.call('Arith', 'Mul', { A: 2, B: 5 }),
      ]),
    ).resolves.toEqual([{ C: 42 }, { C: 10 }]);
    await expect(client.call('Arith', 'Mul', { A: 3, B: 3 })).resolves.toEqual({ C: 9 });
    expect(seen).toEqual([SerializeType.MsgPack, SerializeType.MsgPack, SerializeType.MsgPack]);
  } finally {
    await client.close();
    await server.close();
  }
});

describe(`without ${PEER}`, () => {
  /** Runs `use` with fresh copies of the client and server modules that cannot load msgpack. */
  async function withoutMsgpack(
    use: (modules: { client: ClientModule; server: ServerModule }) => Promise<void>,
  ): Promise<void> {
    try {
      await jest.isolateModulesAsync(async () => {
        jest.doMock(PEER, () => {
          const error = new Error(`Cannot find module '${PEER}'`);
          (error as NodeJS.ErrnoException).code = 'MODULE_NOT_FOUND';
          throw error;
        });
        const isolated = {
          client: require('./index.js') as ClientModule,
          server: require('../../server/src/index.js') as ServerModule,
        };
        // Fresh copies, not the ones this file imported.
        expect(isolated.client.Client).not.toBe(clientPackage.Client);
        expect(isolated.server.Server).not.toBe(serverPackage.Server);
        await use(isolated);
      });
    } finally {
      jest.dontMock(PEER);
    }
  }

  test('a MsgPack call fails with code codec naming the package; JSON still works; the server answers Go’s error', async () => {
    await withoutMsgpack(async ({ client: clientModule, server: serverModule }) => {
      const seen: number[] = [];
      const warnings: string[] = [];
      const logger = {
        debug: () => {},
        info: () => {},
        error: () => {},
        warn: (message: string) => void warnings.push(message),
      };
      const server = new serverModule.Server({ logger });
      arith(server, seen);
      const address = await server.listen('tcp@127.0.0.1:0');
      const client = new clientModule.Client({ address });
      // A client of this file's registry, given MsgPack, to send MsgPack requests to the server.
      const packer = new clientPackage.Client({ address, codecs: [msgpackCodec] });
      try {
        for (let attempt = 0; attempt < 2; attempt++) {
          const error = (await client
            .call('Arith', 'Mul', { A: 1, B: 2 })
            .catch((e: unknown) => e)) as Error & { code?: string };
          expect(error).toBeInstanceOf(Error);
          expect(error.code).toBe(ErrorCode.Codec);
          expect(error.message).toContain(PEER);
          expect(error.message).toContain(`npm install ${PEER}`);
        }
        // Nothing was sent: the client failed before dialling.
        expect(client.connected).toBe(false);

        await expect(
          client.call('Arith', 'Mul', { A: 4, B: 5 }, { serializeType: SerializeType.JSON }),
        ).resolves.toEqual({ C: 20 });
        expect(seen).toEqual([SerializeType.JSON]);

        // A MsgPack request from a client that has the codec: Go's text, and the log says what
        // to install.
        const refused = await packer.call('Arith', 'Mul', { A: 1, B: 2 }).catch((e: unknown) => e);
        expect(isRpcxError(refused, ErrorCode.ServiceError)).toBe(true);
        expect((refused as Error).message).toBe('can not find codec for 3');
        expect(seen).toEqual([SerializeType.JSON]);
        expect(warnings.some((w) => w.includes(PEER) && w.includes('npm install'))).toBe(true);
        // The connection stays usable for JSON.
        await expect(
          packer.call('Arith', 'Mul', { A: 3, B: 3 }, { serializeType: SerializeType.JSON }),
        ).resolves.toEqual({ C: 9 });
        expect(packer.connected).toBe(true);
      } finally {
        await packer.close();
        await client.close();
        await server.close();
      }
    });
  });

  test('a codec passed in needs no loading, even without the package', async () => {
    await withoutMsgpack(async ({ client: clientModule, server: serverModule }) => {
      // A stand-in for MsgPack (JSON bytes under serialize type 3): what `codecs` gives wins.
      const standIn: Codec = {
        serializeType: SerializeType.MsgPack,
        name: 'stand-in',
        encode: (value) => Buffer.from(JSON.stringify(value)),
        decode: (bytes) => JSON.parse(Buffer.from(bytes).toString()),
      };
      const seen: number[] = [];
      const server = new serverModule.Server({ codecs: [standIn] });
      arith(server, seen);
      const address = await server.listen('tcp@127.0.0.1:0');
      const client = new clientModule.Client({ address, codecs: [standIn] });
      try {
        await expect(client.call('Arith', 'Mul', { A: 7, B: 3 })).resolves.toEqual({ C: 21 });
        expect(seen).toEqual([SerializeType.MsgPack]);
      } finally {
        await client.close();
        await server.close();
      }
    });
  });
});
