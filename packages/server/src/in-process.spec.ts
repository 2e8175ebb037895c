/**
 * A server listening on `inprocess@name` (Go's `memu` network): the same acceptor, connections,
 * plugins, push and shutdown as over TCP, with no socket. Clients here are raw (dial +
 * FramedConnection), so the tests see the server's own frames.
 */
import { ErrorCode, type ServerPlugin } from '@rpcx/core';
import { nextTurn, resolved, settle, useFakeClock } from '@rpcx/testing';
import { Server } from './server.js';
import { cleanup, connect, startServer, tracked } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, RawClient, request } from './test-support/raw-client.js';

afterEach(async () => {
  jest.useRealTimers();
  await cleanup();
});

const text = (payload: Uint8Array) => Buffer.from(payload).toString();
let names = 0;
const uniqueAddress = () => `inprocess@server-spec-${process.pid}-${++names}`;

function echo(server: Server): void {
  server.registerFunction('Svc', 'Echo', (args: unknown) => args);
}

describe('listen on inprocess@name', () => {
  test('serves calls; the connection is network inprocess, its peer numbered', async () => {
    const wanted = uniqueAddress();
    const { server, address } = await startServer({}, echo, wanted);
    expect(address).toBe(wanted);
    expect(server.addresses()).toEqual([wanted]);
    const client = await connect(address);
    const reply = await client.call(jsonRequest('Svc', 'Echo', { hi: 1 }, { seq: 7 }));
    expect(reply.seq).toBe(7n);
    expect(text(reply.payload)).toBe('{"hi":1}');

    const [view] = server.connections();
    expect(view!.network).toBe('inprocess');
    expect(view!.localAddress).toBe(wanted);
    expect(view!.remoteAddress).toMatch(new RegExp(`^${wanted}#\\d+$`));
    expect(view!.remoteAddress).toBe(client.framed.localAddress);
    expect(client.framed.remoteAddress).toBe(wanted);
  });

  test('serves tcp and inprocess side by side', async () => {
    const server = tracked(new Server());
    echo(server);
    const tcp = await server.listen('tcp@127.0.0.1:0');
    const inprocess = await server.listen(uniqueAddress());
    for (const [seq, address] of [tcp, inprocess].entries()) {
      const client = await connect(address);
      const reply = await client.call(jsonRequest('Svc', 'Echo', address, { seq: seq + 1 }));
      expect(text(reply.payload)).toBe(JSON.stringify(address));
    }
    expect(server.connections().map((view) => view.network)).toEqual(['tcp', 'inprocess']);
  });

  test('a taken name is refused; close() and shutdown() give the name back', async () => {
    const address = uniqueAddress();
    const first = tracked(new Server());
    await first.listen(address);
    await expect(tracked(new Server()).listen(address)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: `listen ${address}: address already in use (another listener of this process has it)`,
    });
    await first.close();
    await expect(RawClient.connect(address)).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });

    const second = tracked(new Server());
    echo(second);
    expect(await second.listen(address)).toBe(address);
    const client = await connect(address);
    expect(text((await client.call(jsonRequest('Svc', 'Echo', 2, { seq: 1 }))).payload)).toBe('2');
    await second.shutdown({ timeoutMs: 1000 });
    await resolved(client.closed, 'the client to see the close');

    const third = tracked(new Server());
    expect(await third.listen(address)).toBe(address);
  });

  test('connection plugins fire as over tcp; a refusing postConnAccept closes the client', async () => {
    const log: string[] = [];
    let admit = true;
    const plugin: ServerPlugin = {
      name: 'watcher',
      postConnAccept: (conn) => {
        log.push(`accept ${conn.remoteAddress}`);
        return admit;
      },
      postConnClose: (conn) => void log.push(`close ${conn.remoteAddress}`),
      preCall: (call, args) => {
        log.push(`preCall ${call.servicePath}.${call.serviceMethod}`);
        return args;
      },
    };
    const { address, server } = await startServer({ plugins: [plugin] }, echo, uniqueAddress());
    const client = await connect(address);
    await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
    const peer = client.framed.localAddress;
    client.close();
    await resolved(client.closed, 'the close');
    await settle(() => log.length === 3, 'postConnClose');
    expect(log.splice(0)).toEqual([`accept ${peer}`, 'preCall Svc.Echo', `close ${peer}`]);

    admit = false;
    const refused = await connect(address);
    await resolved(refused.closed, 'the refused client to be closed');
    expect(log).toEqual([`accept ${refused.framed.localAddress}`]);
    expect(server.connections()).toEqual([]);
  });

  test('maxConnections closes the extra connection, with the peer named in the warning', async () => {
    const logger = new MemoryLogger();
    const { address } = await startServer({ logger, maxConnections: 1 }, echo, uniqueAddress());
    await connect(address);
    const extra = await connect(address);
    await resolved(extra.closed, 'the extra connection to close');
    expect(logger.messages('warn')).toContain(
      `rpcx: too many connections (max 1); closing ${extra.framed.localAddress}`,
    );
  });

  test('server push reaches the client', async () => {
    const { address, server } = await startServer({}, echo, uniqueAddress());
    const client = await connect(address);
    await settle(() => server.connections().length === 1, 'the server to accept');
    await server.sendMessage(server.connections()[0]!, 'Notify', 'Event', Buffer.from('hello'));
    const pushed = await client.next();
    expect(pushed.oneway).toBe(true);
    expect([pushed.servicePath, pushed.serviceMethod]).toEqual(['Notify', 'Event']);
    expect(text(pushed.payload)).toBe('hello');
  });

  test('a client that does not read: the server stops reading it, and catches up after', async () => {
    const { address, server } = await startServer({}, echo, uniqueAddress());
    const client = await connect(address);
    client.framed.socket.pause(); // never read
    const big = 'x'.repeat(256 * 1024);
    for (let seq = 1; seq <= 40; seq++) client.send(jsonRequest('Svc', 'Echo', big, { seq }));
    await settle(() => server.connections()[0]?.readingPaused === true, 'reads to pause');
    const view = server.connections()[0]!;
    // Bounded: about one response waits in the server, the rest is not read yet.
    expect(view.pendingWriteBytes).toBeLessThan(2 * 1024 * 1024);
    client.framed.socket.resume();
    for (let seq = 1; seq <= 40; seq++) {
      const reply = await client.waitFor((m) => m.seq === BigInt(seq));
      expect(reply.payload.length).toBe(big.length + 2);
    }
  });
});

describe('shutdown over inprocess', () => {
  beforeEach(() => useFakeClock());

  test('in-flight call completes, new requests are refused, then the connection closes', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let started = false;
    const { address, server } = await startServer(
      {},
      (s) => {
        s.registerFunction('Svc', 'Slow', async () => {
          started = true;
          await finished;
          return 'finished';
        });
        echo(s);
      },
      uniqueAddress(),
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Slow', null, { seq: 1 }));
    await settle(() => started, 'the slow call to start');
    const shutdown = server.shutdown({ timeoutMs: 5000 });
    await nextTurn();

    const refused = await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 2 }));
    expect(refused.metadata.__rpcx_error__).toBe('rpcx: server is shutting down');
    expect((await client.call(request({ heartbeat: true, seq: 3 }))).heartbeat).toBe(true);
    // The name is released at once: no new connections.
    await expect(RawClient.connect(address)).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });

    finish();
    const done = await client.waitFor((m) => m.seq === 1n);
    expect(text(done.payload)).toBe('"finished"');
    await resolved(client.closed, 'the connection to close');
    await resolved(shutdown, 'the shutdown');
    expect(server.connections()).toEqual([]);
  });

  test('close(): connections close at once, in-flight responses are lost', async () => {
    const { address, server } = await startServer(
      {},
      (s) => s.registerFunction('Svc', 'Never', () => new Promise(() => {})),
      uniqueAddress(),
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Never', null, { seq: 1 }));
    await settle(() => server.inFlight === 1, 'the call to start');
    await server.close();
    await resolved(client.closed, 'the connection to close');
    expect(client.queued).toBe(0);
  });
});
