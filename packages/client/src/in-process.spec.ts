/**
 * Client and server in one process over `inprocess@name` (Go's `memu` network): a real
 * @rpcx/server Server (reached through its entry point, as the other cross-package specs do) and
 * a real Client, no socket in between — the same codecs, plugins, push, oneway and shutdown as
 * over TCP.
 */
import {
  type ClientPlugin,
  ErrorCode,
  type RpcxMessage,
  SerializeType,
  type ServerPlugin,
} from '@rpcx/core';
import { resolved, rpcxRejectionOf, settle } from '@rpcx/testing';
import { type CallContext, Server } from '../../server/src/index.js';
import { Client } from './client.js';
import { InProcessDiscovery } from './in-process-discovery.js';
import { XClient } from './xclient.js';

let names = 0;
const uniqueAddress = () => `inprocess@client-spec-${process.pid}-${++names}`;

const servers: Server[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function track<T extends Server | Client>(thing: T): T {
  if (thing instanceof Server) servers.push(thing);
  else clients.push(thing as Client);
  return thing;
}

/** An Arith server on a fresh in-process name; `setup` may add to it before it listens. */
async function arithServer(
  setup: (server: Server) => void = () => {},
  options: ConstructorParameters<typeof Server>[0] = {},
  address = uniqueAddress(),
) {
  const server = track(new Server(options));
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
    C: args.A * args.B,
  }));
  server.registerFunction('Echo', 'Echo', (args: unknown) => args);
  setup(server);
  await server.listen(address);
  return { server, address };
}

describe('calls over inprocess@name', () => {
  test.each([
    ['MsgPack', SerializeType.MsgPack],
    ['JSON', SerializeType.JSON],
  ])('with %s', async (_name, serializeType) => {
    const seen: number[] = [];
    const { address } = await arithServer((s) =>
      s.registerFunction('Arith', 'Seen', (_args: unknown, ctx: CallContext) => {
        seen.push(ctx.request.serializeType);
        return ctx.connection.network;
      }),
    );
    const client = track(new Client({ address, serializeType }));
    await expect(client.call('Arith', 'Mul', { A: 6, B: 7 })).resolves.toEqual({ C: 42 });
    await expect(client.call('Arith', 'Seen', null)).resolves.toBe('inprocess');
    expect(seen).toEqual([serializeType]);
    expect(client.connected).toBe(true);
  });

  test('many concurrent calls, each with its own reply', async () => {
    const { address } = await arithServer();
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) => client.call('Arith', 'Mul', { A: i, B: 3 })),
    );
    expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => ({ C: i * 3 })));
  });

  test('several-MB payloads both ways, several at once (backpressure)', async () => {
    const { address } = await arithServer();
    const client = track(new Client({ address, serializeType: SerializeType.None }));
    const payloads = [3, 5, 8].map((mb, i) => Buffer.alloc(mb * 1024 * 1024, i + 1));
    const replies = await Promise.all(
      payloads.map((payload) =>
        client.call<Uint8Array>('Echo', 'Echo', payload, { serializeType: SerializeType.None }),
      ),
    );
    for (const [i, reply] of replies.entries())
      expect(Buffer.from(reply).equals(payloads[i]!)).toBe(true);
  });

  test('oneway: sent, handled, no reply', async () => {
    const got: unknown[] = [];
    const { address } = await arithServer((s) =>
      s.registerFunction('Log', 'Write', (args: unknown) => {
        got.push(args);
      }),
    );
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    await client.send('Log', 'Write', { line: 1 });
    await client.send('Log', 'Write', { line: 2 });
    await settle(() => got.length === 2, 'the oneway calls to be handled');
    expect(got).toEqual([{ line: 1 }, { line: 2 }]);
    expect(client.pendingCalls).toBe(0);
  });

  test('server push reaches the client', async () => {
    const { address } = await arithServer((s) =>
      s.registerFunction('Chat', 'Join', async (name: string, ctx: CallContext) => {
        await ctx.server.sendMessage(ctx.connection, 'Chat', 'Welcome', Buffer.from(`hi ${name}`));
        return 'joined';
      }),
    );
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    const pushes: RpcxMessage[] = [];
    client.onPush((message) => pushes.push(message));
    await expect(client.call('Chat', 'Join', 'ann')).resolves.toBe('joined');
    await settle(() => pushes.length === 1, 'the push');
    expect([pushes[0]!.servicePath, pushes[0]!.serviceMethod]).toEqual(['Chat', 'Welcome']);
    expect(Buffer.from(pushes[0]!.payload).toString()).toBe('hi ann');
  });

  test('server and client plugins fire, with in-process addresses', async () => {
    const serverLog: string[] = [];
    const serverPlugin: ServerPlugin = {
      name: 'server-recorder',
      postConnAccept: (conn) => void serverLog.push(`accept ${conn.remoteAddress}`),
      preCall: (call, args) => {
        serverLog.push(`preCall ${call.serviceMethod}`);
        return args;
      },
      postWriteResponse: () => void serverLog.push('postWriteResponse'),
      postConnClose: (conn) => void serverLog.push(`close ${conn.remoteAddress}`),
    };
    const clientLog: string[] = [];
    const clientPlugin: ClientPlugin = {
      name: 'client-recorder',
      connCreated: (conn) => void clientLog.push(`connCreated ${conn.remoteAddress}`),
      preCall: (call) => void clientLog.push(`preCall ${call.serviceMethod}`),
      postCall: (call, _args, reply) =>
        void clientLog.push(`postCall ${call.serviceMethod} ${JSON.stringify(reply)}`),
      clientConnectionClose: () => void clientLog.push('clientConnectionClose'),
    };
    const { address } = await arithServer(() => {}, { plugins: [serverPlugin] });
    const client = new Client({
      address,
      serializeType: SerializeType.JSON,
      plugins: [clientPlugin],
    });
    await client.call('Arith', 'Mul', { A: 2, B: 21 });
    await client.close();
    await settle(() => serverLog.length === 4, 'the server to see the close');
    const peer = serverLog[0]!.slice('accept '.length);
    expect(peer).toMatch(new RegExp(`^${address}#\\d+$`));
    expect(serverLog).toEqual([
      `accept ${peer}`,
      'preCall Mul',
      'postWriteResponse',
      `close ${peer}`,
    ]);
    await settle(() => clientLog.length === 4, 'the client hooks');
    expect(clientLog).toEqual([
      'preCall Mul', // before the dial, as over tcp
      `connCreated ${address}`,
      'postCall Mul {"C":42}',
      'clientConnectionClose',
    ]);
  });

  test('a discovery pointing at the server: InProcessDiscovery gives the key to dial', async () => {
    const name = `client-spec-discovery-${process.pid}`;
    const discovery = new InProcessDiscovery(name, 'weight=1');
    const [endpoint] = discovery.getServices();
    await arithServer(() => {}, {}, endpoint!.key);
    const client = track(new Client({ address: endpoint!.key, serializeType: SerializeType.JSON }));
    await expect(client.call('Arith', 'Mul', { A: 3, B: 3 })).resolves.toEqual({ C: 9 });
  });
});

describe('failures over inprocess@name', () => {
  test('nothing listens on the name: unavailable, naming the address', async () => {
    const address = uniqueAddress();
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    const error = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toContain(`dial ${address}: connection refused`);
  });

  test('graceful shutdown: the in-flight call finishes, later calls fail, the connection closes', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let started = false;
    const { server, address } = await arithServer((s) =>
      s.registerFunction('Slow', 'Wait', async () => {
        started = true;
        await finished;
        return 'done';
      }),
    );
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    const closes: string[] = [];
    client.onClose((reason) => closes.push(reason.code));
    const slow = client.call('Slow', 'Wait', null);
    await settle(() => started, 'the slow call to start');
    const shutdown = server.shutdown({ timeoutMs: 10_000 });
    await settle(() => server.inFlight === 1 && !client.closed, 'the shutdown to begin');

    const refused = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 2 }));
    expect(refused).toMatchObject({
      code: ErrorCode.Shutdown,
      message: 'rpcx: server is shutting down',
    });
    finish();
    await expect(slow).resolves.toBe('done');
    await resolved(shutdown, 'the shutdown');
    await settle(() => closes.length === 1, 'the client to see the close');
    expect(closes).toEqual([ErrorCode.Unavailable]);
    // The name is free: calls fail as a refused connect would.
    const after = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 2 }));
    expect(after.code).toBe(ErrorCode.Unavailable);
  });

  test('close(): in-flight calls fail with unavailable', async () => {
    let started = false;
    const { server, address } = await arithServer((s) =>
      s.registerFunction('Slow', 'Never', () => {
        started = true;
        return new Promise(() => {});
      }),
    );
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    const never = rpcxRejectionOf(client.call('Slow', 'Never', null));
    await settle(() => started, 'the call to start');
    await server.close();
    expect((await never).code).toBe(ErrorCode.Unavailable);
  });

  test('the name is reusable after close: the client reaches the new server', async () => {
    const address = uniqueAddress();
    const first = await arithServer(
      (s) => s.registerFunction('Who', 'Am', () => 'first'),
      {},
      address,
    );
    const client = track(new Client({ address, serializeType: SerializeType.JSON }));
    await expect(client.call('Who', 'Am', null)).resolves.toBe('first');
    await first.server.close();
    await settle(() => !client.connected, 'the client to see the close');
    await arithServer((s) => s.registerFunction('Who', 'Am', () => 'second'), {}, address);
    await expect(client.call('Who', 'Am', null)).resolves.toBe('second');
  });
});

describe('XClient over InProcessDiscovery', () => {
  test('calls, broadcast and plugins run as over TCP, with no socket', async () => {
    const name = `client-spec-x-${process.pid}-${++names}`;
    await arithServer(() => {}, {}, `inprocess@${name}`);
    const seen: string[] = [];
    const client = new XClient({
      servicePath: 'Arith',
      discovery: new InProcessDiscovery(name),
      serializeType: SerializeType.JSON,
      plugins: [{ preCall: (call) => void seen.push(call.connection?.remoteAddress ?? 'none') }],
    });
    try {
      expect(client.servers.map((endpoint) => endpoint.key)).toEqual([`inprocess@${name}`]);
      expect(await client.call('Mul', { A: 4, B: 5 })).toEqual({ C: 20 });
      expect(await client.broadcast('Mul', { A: 2, B: 2 })).toEqual({ C: 4 });
      expect(seen).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});
