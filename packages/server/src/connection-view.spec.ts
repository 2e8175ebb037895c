/**
 * The connection as plugins, handlers and `server.connections()` see it: a read-only view with
 * the connection's addresses and state and `close()`, and no way to the socket-owning object.
 */
import type { ServerPlugin } from '@rpcx/core';
import type { Server } from './server.js';
import { cleanup, connect, eventually, startServer } from './test-support/harness.js';
import { jsonRequest } from './test-support/raw-client.js';
import type { CallContext, ServerConnection } from './types.js';

afterEach(cleanup);

const FORBIDDEN = ['socket', 'framed', 'write', 'writeMessage', 'writer'] as const;

/** Every property name of `value` and of each object on its prototype chain. */
function allPropertyNames(value: object): Set<string | symbol> {
  const names = new Set<string | symbol>();
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o)) {
    for (const key of Reflect.ownKeys(o)) names.add(key);
  }
  return names;
}

/** Fails the test if `view` offers any way to the socket. */
function expectNoWayToTheSocket(view: object): void {
  const names = allPropertyNames(view);
  for (const name of FORBIDDEN) {
    expect(name in view).toBe(false);
    expect(names.has(name)).toBe(false);
  }
  // Nothing socket-like hides under a symbol either.
  expect(Object.getOwnPropertySymbols(view)).toEqual([]);
  // Serializable (a socket or FramedConnection inside would be circular or huge) and clean.
  const json = JSON.stringify(view);
  for (const name of FORBIDDEN) expect(json).not.toContain(`"${name}"`);
  // Every own property holds a primitive: no object to walk from.
  for (const key of Object.keys(view)) {
    const value = (view as Record<string, unknown>)[key];
    expect(value === null || typeof value !== 'object').toBe(true);
  }
}

interface Captured {
  accepted: ServerConnection[];
  closed: ServerConnection[];
  handler: ServerConnection[];
  inFlightInHandler: number[];
}

async function viewServer(): Promise<{ server: Server; address: string; captured: Captured }> {
  const captured: Captured = { accepted: [], closed: [], handler: [], inFlightInHandler: [] };
  const watcher: ServerPlugin = {
    name: 'watcher',
    postConnAccept: (conn) => {
      captured.accepted.push(conn as ServerConnection);
      return true;
    },
    postConnClose: (conn) => void captured.closed.push(conn as ServerConnection),
  };
  const { server, address } = await startServer({ plugins: [watcher] }, (s) =>
    s.registerFunction('Svc', 'Who', (_args: unknown, ctx: CallContext) => {
      captured.handler.push(ctx.connection);
      captured.inFlightInHandler.push(ctx.connection.inFlight);
      return ctx.connection.id;
    }),
  );
  return { server, address, captured };
}

describe('the connection view', () => {
  test('plugins, handlers and server.connections() get the same view, with the connection’s state', async () => {
    const { server, address, captured } = await viewServer();
    const client = await connect(address);
    await eventually(() => server.connections().length === 1);
    const res = await client.call(jsonRequest('Svc', 'Who', null, { seq: 1 }));
    await client.call(jsonRequest('Svc', 'Who', null, { seq: 2 }));

    const listed = server.connections()[0]!;
    expect(captured.accepted).toHaveLength(1);
    expect(captured.handler).toHaveLength(2);
    // One view per connection, handed out each time.
    expect(captured.accepted[0]).toBe(listed);
    expect(captured.handler[0]).toBe(listed);
    expect(captured.handler[1]).toBe(listed);
    expect(server.connections()[0]).toBe(listed);

    expect(typeof listed.id).toBe('number');
    expect(Buffer.from(res.payload).toString()).toBe(String(listed.id));
    expect(listed.remoteAddress).toBe(client.framed.localAddress);
    expect(listed.localAddress).toBe(client.framed.remoteAddress);
    expect(listed.network).toBe('tcp');
    expect(listed.closed).toBe(false);
    // The request being handled counts; none does once it is answered.
    expect(captured.inFlightInHandler).toEqual([1, 1]);
    await eventually(() => listed.inFlight === 0);
    expect(listed.pendingWriteBytes).toBe(0);
    expect(listed.readingPaused).toBe(false);
    expect(typeof listed.close).toBe('function');
  });

  test('gives no way to the socket: no socket/framed/write/writeMessage/writer anywhere on it', async () => {
    const { server, address, captured } = await viewServer();
    const client = await connect(address);
    await client.call(jsonRequest('Svc', 'Who', null, { seq: 1 }));
    const views = [captured.accepted[0]!, captured.handler[0]!, server.connections()[0]!];
    for (const view of views) expectNoWayToTheSocket(view);
    // What JSON shows is the plain data of the connection.
    expect(JSON.parse(JSON.stringify(views[0]))).toEqual({
      id: views[0]!.id,
      remoteAddress: views[0]!.remoteAddress,
      localAddress: views[0]!.localAddress,
      network: 'tcp',
    });
  });

  test('close() closes the client’s connection; the view then reports closed', async () => {
    const { server, address, captured } = await viewServer();
    const client = await connect(address);
    const other = await connect(address);
    await eventually(() => server.connections().length === 2);
    await client.call(jsonRequest('Svc', 'Who', null, { seq: 1 }));
    const view = captured.handler[0]!;
    expect(view.remoteAddress).toBe(client.framed.localAddress);

    view.close();
    await client.closed;
    expect(client.isOpen).toBe(false);
    expect(view.closed).toBe(true);
    await eventually(() => captured.closed.length === 1);
    // postConnClose gets the same view; the connection is gone from the list.
    expect(captured.closed[0]).toBe(view);
    expect(server.connections().map((c) => c.id)).not.toContain(view.id);

    // The other client is untouched and has a view of its own.
    const res = await other.call(jsonRequest('Svc', 'Who', null, { seq: 2 }));
    const otherView = captured.handler[1]!;
    expect(otherView).not.toBe(view);
    expect(otherView.id).not.toBe(view.id);
    expect(Buffer.from(res.payload).toString()).toBe(String(otherView.id));
    expect(otherView.closed).toBe(false);
  });

  test('the handler’s ctx and an interceptor’s call carry the view, and no socket property', async () => {
    const checked: boolean[] = [];
    const { address } = await startServer(
      {
        interceptors: [
          (next) => (call) => {
            checked.push(FORBIDDEN.every((name) => !(name in call)));
            return next(call);
          },
        ],
      },
      (s) =>
        s.registerFunction('Svc', 'Check', (_args: unknown, ctx: CallContext) => {
          checked.push(FORBIDDEN.every((name) => !(name in ctx)));
          expectNoWayToTheSocket(ctx.connection);
          return 'ok';
        }),
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Check', null, { seq: 1 }));
    expect(Buffer.from(res.payload).toString()).toBe('"ok"');
    expect(checked).toEqual([true, true]);
  });

  test('the handler’s ctx gives no way to the socket through its class either', async () => {
    const statics: string[][] = [];
    const { address } = await startServer({}, (s) =>
      s.registerFunction('Svc', 'Check', (_args: unknown, ctx: CallContext) => {
        // No static member (a way in that takes the ctx) besides what every class has.
        statics.push(
          Object.getOwnPropertyNames(ctx.constructor).filter(
            (name) => !['length', 'name', 'prototype'].includes(name),
          ),
        );
        return 'ok';
      }),
    );
    const client = await connect(address);
    await client.call(jsonRequest('Svc', 'Check', null, { seq: 1 }));
    expect(statics).toEqual([[]]);
  });
});
