/**
 * Nothing mutable is shared between two Servers or two Clients in one process: two servers with
 * different settings (error text, interceptors) and four clients with different settings (codec,
 * compression, interceptors) run side by side under load, each client calling its own server;
 * every reply must be the one for its own request, every error must carry its own server's
 * prefix, and nothing else may fail.
 */
import { CompressType, isRpcxError, SerializeType } from '@rpcx/core';
import { compressTypeOf } from '@rpcx/protocol';
import { Client, type ClientOptions } from '../../client/src/index.js';
import { cleanup, startServer } from './test-support/harness.js';
import type { CallContext } from './types.js';

afterEach(cleanup);

const CALLS_PER_CLIENT = 2000;
const CONCURRENCY = 100;

interface EchoArgs {
  nonce: string;
  size: number;
  via?: string;
  /** Makes the request large too: only a compressed request gets a compressed reply (Go's rule). */
  ballast?: string;
}

interface EchoReply {
  who: string;
  nonce: string;
  via: string;
  pad: string;
}

/** A server whose replies and errors say which server it is. */
async function namedServer(name: 'A' | 'B') {
  const letter = name.toLowerCase();
  return startServer(
    {
      errorText: (error) => `${name}:${(error as Error).message}`,
      interceptors: [
        (next) => (call) => {
          call.responseMetadata.server = name;
          return next(call);
        },
      ],
    },
    (s) => {
      s.registerFunction('Svc', 'Echo', (args: EchoArgs, ctx: CallContext) => ({
        who: name,
        nonce: args.nonce,
        via: args.via ?? '(none)',
        pad: letter.repeat(args.size),
        server: ctx.responseMetadata.server,
      }));
      s.registerFunction('Svc', 'Fail', (args: EchoArgs) => {
        throw new Error(`failed ${args.nonce}`);
      });
    },
  );
}

interface Load {
  name: string;
  server: 'A' | 'B';
  client: Client;
  serializeType: number;
  compressType: number;
  /** Compress types and serialize types seen in this client's responses. */
  compressTypes: Set<number>;
  serializeTypes: Set<number>;
  /** The most calls this client had awaiting a response at once. */
  maxPending: number;
}

function loadClient(
  name: string,
  server: 'A' | 'B',
  address: string,
  serializeType: number,
  compressType: number,
): Load {
  const compressTypes = new Set<number>();
  const serializeTypes = new Set<number>();
  let client: Client | undefined;
  const load = { maxPending: 0 } as Load;
  const options: ClientOptions = {
    address,
    serializeType,
    compressType,
    // Stamps the client's name on its own calls' args.
    interceptors: [
      (next) => (call) => {
        call.args = { ...(call.args as EchoArgs), via: name };
        load.maxPending = Math.max(load.maxPending, client?.pendingCalls ?? 0);
        return next(call);
      },
    ],
    plugins: [
      {
        name: `watch-${name}`,
        postReadResponseHeader: (header) => {
          compressTypes.add(compressTypeOf(header[2]!));
          serializeTypes.add(header[3]! >> 4);
        },
      },
    ],
  };
  client = new Client(options);
  return Object.assign(load, {
    name,
    server,
    client,
    serializeType,
    compressType,
    compressTypes,
    serializeTypes,
  });
}

/** Runs every call of one client, `CONCURRENCY` at a time; returns what went wrong. */
async function run(load: Load): Promise<{ ok: number; failed: number; wrong: string[] }> {
  const wrong: string[] = [];
  let ok = 0;
  let failed = 0;
  let next = 0;
  const one = async (i: number) => {
    const nonce = `${load.name}#${i}#${Math.random().toString(36).slice(2)}`;
    const fails = i % 5 === 0;
    // Every third call has a large request and reply (over the 1024-byte compression threshold).
    const large = i % 3 === 0;
    const size = large ? 1500 + (i % 1000) : i % 50;
    const args: EchoArgs = large ? { nonce, size, ballast: 'z'.repeat(1100) } : { nonce, size };
    if (fails) {
      try {
        await load.client.call('Svc', 'Fail', args);
        wrong.push(`${nonce}: Fail succeeded`);
      } catch (error) {
        const expected = `${load.server}:failed ${nonce}`;
        if (!isRpcxError(error, 'service_error') || error.message !== expected) {
          wrong.push(`${nonce}: expected service error "${expected}", got ${String(error)}`);
        } else {
          failed++;
        }
      }
      return;
    }
    try {
      const { reply, metadata } = await load.client.invoke<EchoReply & { server: string }>(
        'Svc',
        'Echo',
        args,
      );
      const letter = load.server.toLowerCase();
      if (
        reply.who !== load.server ||
        reply.nonce !== nonce ||
        reply.via !== load.name ||
        reply.pad !== letter.repeat(size) ||
        reply.server !== load.server ||
        metadata.server !== load.server
      ) {
        wrong.push(
          `${nonce}: wrong reply ${JSON.stringify({ ...reply, pad: reply.pad?.length })} ${metadata.server}`,
        );
      } else {
        ok++;
      }
    } catch (error) {
      wrong.push(`${nonce}: Echo failed: ${String(error)}`);
    }
  };
  const worker = async () => {
    while (next < CALLS_PER_CLIENT) await one(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ok, failed, wrong };
}

test('two servers and four clients with different settings, side by side under load', async () => {
  const [a, b] = await Promise.all([namedServer('A'), namedServer('B')]);
  const loads = [
    loadClient('A-json', 'A', a.address, SerializeType.JSON, CompressType.None),
    loadClient('A-msgpack-gzip', 'A', a.address, SerializeType.MsgPack, CompressType.Gzip),
    loadClient('B-msgpack-gzip', 'B', b.address, SerializeType.MsgPack, CompressType.Gzip),
    loadClient('B-json', 'B', b.address, SerializeType.JSON, CompressType.None),
  ];
  try {
    const results = await Promise.all(loads.map(run));
    const expectedFailures = Math.ceil(CALLS_PER_CLIENT / 5);
    for (const [i, result] of results.entries()) {
      const load = loads[i]!;
      expect({ client: load.name, wrong: result.wrong.slice(0, 5) }).toEqual({
        client: load.name,
        wrong: [],
      });
      expect(result.failed).toBe(expectedFailures);
      expect(result.ok).toBe(CALLS_PER_CLIENT - expectedFailures);
      // The calls really overlapped.
      expect(load.maxPending).toBeGreaterThan(10);
      // Each client got its own codec back, and compressed replies only if it compresses.
      expect([...load.serializeTypes]).toEqual([load.serializeType]);
      expect([...load.compressTypes].sort()).toEqual(
        load.compressType === CompressType.Gzip
          ? [CompressType.None, CompressType.Gzip]
          : [CompressType.None],
      );
    }
  } finally {
    await Promise.all(loads.map((load) => load.client.close()));
  }
});
