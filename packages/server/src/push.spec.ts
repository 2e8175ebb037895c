import { ErrorCode, isRpcxError } from '@rpcx/core';
import { cleanup, connect, eventually, startServer } from './test-support/harness.js';
import { jsonRequest } from './test-support/raw-client.js';
import type { CallContext } from './types.js';

afterEach(cleanup);

describe('server push (spec §1.15)', () => {
  test('the frame of spec example 4, then seq 2, 3 from one server-wide counter', async () => {
    const { address, server } = await startServer();
    const first = await connect(address);
    const second = await connect(address);
    await eventually(() => server.connections().length === 2);
    const [a, b] = server.connections().sort((x, y) => x.id - y.id);
    const mine = a!.remoteAddress === first.framed.localAddress ? [a!, b!] : [b!, a!];

    await server.sendMessage(mine[0]!, 'Notify', 'Event', Buffer.from('hello'));
    expect((await first.nextFrame()).toString('hex')).toBe(
      '080020000000000000000001000000200000000' +
        '64e6f74696679000000054576656e74000000000000000568656c6c6f',
    );
    await server.sendMessage(mine[1]!, 'Notify', 'Event', Buffer.from('x'), { k: 'v' });
    const pushed = await second.next();
    expect(pushed.seq).toBe(2n);
    expect(pushed.oneway).toBe(true);
    expect(pushed.messageType).toBe(0);
    expect(pushed.serializeType).toBe(0);
    expect({ ...pushed.metadata }).toEqual({ k: 'v' });
    await server.sendMessage(mine[0]!, 'N', 'E', new Uint8Array(5000));
    const big = await first.next();
    expect(big.seq).toBe(3n);
    expect(big.compressType).toBe(0);
    expect(big.payload.length).toBe(5000);
  });

  test('a handler pushes to its caller through ctx before answering', async () => {
    const { address } = await startServer({}, (s) =>
      s.registerFunction('Chat', 'Join', async (name: string, ctx: CallContext) => {
        await ctx.server.sendMessage(ctx.connection, 'Chat', 'Welcome', Buffer.from(`hi ${name}`));
        return 'joined';
      }),
    );
    const client = await connect(address);
    client.send(jsonRequest('Chat', 'Join', 'ann', { seq: 10 }));
    const push = await client.next();
    expect(push.oneway).toBe(true);
    expect(Buffer.from(push.payload).toString()).toBe('hi ann');
    const reply = await client.next();
    expect(reply.seq).toBe(10n);
    expect(Buffer.from(reply.payload).toString()).toBe('"joined"');
  });

  test('pushing to a closed connection or with bad data rejects', async () => {
    const { address, server } = await startServer();
    const client = await connect(address);
    await eventually(() => server.connections().length === 1);
    const conn = server.connections()[0]!;
    await expect(server.sendMessage(conn, 'a', 'b', 'text' as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    client.destroy();
    await eventually(() => conn.closed);
    const error = await server.sendMessage(conn, 'a', 'b', new Uint8Array(1)).catch((e) => e);
    expect(isRpcxError(error, ErrorCode.Unavailable)).toBe(true);
  });
});

describe('connections()', () => {
  test('lists connected clients with id, addresses and network; forgets closed ones', async () => {
    const { address, server } = await startServer();
    const a = await connect(address);
    const b = await connect(address);
    await eventually(() => server.connections().length === 2);
    const remotes = server
      .connections()
      .map((c) => c.remoteAddress)
      .sort();
    expect(remotes).toEqual([a.framed.localAddress, b.framed.localAddress].sort());
    for (const conn of server.connections()) {
      expect(conn.network).toBe('tcp');
      expect(conn.localAddress).toBe(address.slice('tcp@'.length));
      expect(typeof conn.id).toBe('number');
      expect(conn.closed).toBe(false);
    }
    a.close();
    await eventually(() => server.connections().length === 1);
    expect(server.connections()[0]!.remoteAddress).toBe(b.framed.localAddress);
    server.connections()[0]!.close();
    await b.closed;
    await eventually(() => server.connections().length === 0);
  });
});
