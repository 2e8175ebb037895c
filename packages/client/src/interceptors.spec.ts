/**
 * The client's one call path: the interceptor chain built in the constructor
 * (`options.interceptors`, then the plugins' `preCall`/`postCall`, next to the send, so they run
 * once per attempt). Every test talks to a real TestServer on 127.0.0.1.
 */
import {
  type ClientPlugin,
  chainInterceptors,
  ErrorCode,
  isRpcxError,
  RpcxError,
  SerializeType,
} from '@rpcx/core';
import { Client } from './client.js';
import type { CallHandler, ClientInterceptor } from './interceptor.js';
import { pathsToSocket } from './test-support/reachability.js';
import { defaultHandler, TestServer } from './test-support/test-server.js';

const decodeJson = (payload: Uint8Array): unknown => JSON.parse(Buffer.from(payload).toString());

/** An interceptor that records `name before` / `name after` (or `name failed`) around `next`. */
function recording(name: string, events: string[]): ClientInterceptor {
  return (next) => async (call) => {
    events.push(`${name} before`);
    try {
      const reply = await next(call);
      events.push(`${name} after`);
      return reply;
    } catch (error) {
      events.push(`${name} failed`);
      throw error;
    }
  };
}

function callRecorder(events: string[]): ClientPlugin {
  return {
    name: 'calls',
    preCall: (call, args) =>
      void events.push(`plugin preCall ${call.serviceMethod} ${JSON.stringify(args)}`),
    postCall: (_call, _args, reply, error) =>
      void events.push(
        `plugin postCall ${error === undefined ? JSON.stringify(reply) : `error=${error.message}`}`,
      ),
  };
}

describe('client interceptors', () => {
  let server: TestServer;
  const clients: Client[] = [];

  /** A client (JSON, so the server's view of the args is easy to read), closed afterwards. */
  function client(options: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client {
    const made = new Client({
      address: server.address,
      serializeType: SerializeType.JSON,
      ...options,
    });
    clients.push(made);
    return made;
  }

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    try {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    } finally {
      await server.close();
    }
  });

  test('run in order, first outermost, with the plugins’ preCall/postCall inside them', async () => {
    const events: string[] = [];
    server.handler = (request, conn) => {
      events.push(`server ${request.serviceMethod}`);
      return defaultHandler(request, conn);
    };
    const c = client({
      plugins: [callRecorder(events)],
      interceptors: [recording('A', events), recording('B', events)],
    });
    await expect(c.call('Arith', 'Mul', { A: 2, B: 3 })).resolves.toEqual({ C: 6 });
    expect(events).toEqual([
      'A before',
      'B before',
      'plugin preCall Mul {"A":2,"B":3}',
      'server Mul',
      'plugin postCall {"C":6}',
      'B after',
      'A after',
    ]);

    // A failing call unwinds the same way.
    events.length = 0;
    await expect(c.call('Echo', 'Fail', 'bad')).rejects.toThrow();
    expect(events).toEqual([
      'A before',
      'B before',
      expect.stringMatching(/^plugin preCall Fail /),
      'server Fail',
      expect.stringMatching(/^plugin postCall error=/),
      'B failed',
      'A failed',
    ]);
  });

  test('see the call: path, method, args, options and the caller’s metadata', async () => {
    const seen: unknown[] = [];
    const c = client({
      interceptors: [
        (next) => (call) => {
          seen.push({
            servicePath: call.servicePath,
            serviceMethod: call.serviceMethod,
            args: call.args,
            timeoutMs: call.options.timeoutMs,
            metadata: { ...call.metadata },
          });
          return next(call);
        },
      ],
    });
    await c.call('Arith', 'Mul', { A: 1, B: 5 }, { timeoutMs: 5_000, metadata: { k: 'v' } });
    expect(seen).toEqual([
      {
        servicePath: 'Arith',
        serviceMethod: 'Mul',
        args: { A: 1, B: 5 },
        timeoutMs: 5_000,
        metadata: { k: 'v' },
      },
    ]);
  });

  test('may replace call.args: the server gets the new args', async () => {
    const pluginArgs: unknown[] = [];
    const c = client({
      plugins: [{ preCall: (_call, args) => void pluginArgs.push(args) }],
      interceptors: [
        (next) => (call) => {
          const { A, B } = call.args as { A: number; B: number };
          call.args = { A: A * 10, B: B * 10 };
          return next(call);
        },
      ],
    });
    await expect(c.call('Arith', 'Mul', { A: 2, B: 3 })).resolves.toEqual({ C: 600 });
    expect(server.calls).toHaveLength(1);
    expect(decodeJson(server.calls[0]!.payload)).toEqual({ A: 20, B: 30 });
    // The plugin, inside the interceptor, saw the replaced args: what is sent.
    expect(pluginArgs).toEqual([{ A: 20, B: 30 }]);
  });

  test('may assign new call.metadata: the server gets it, the caller’s object is untouched', async () => {
    const mine = { k: 'v' };
    const c = client({
      interceptors: [
        (next) => (call) => {
          call.metadata = { ...call.metadata, traceparent: 'injected' };
          return next(call);
        },
      ],
    });
    await c.call('Arith', 'Mul', { A: 1, B: 2 }, { metadata: mine });
    expect(server.calls[0]!.metadata).toEqual({ k: 'v', traceparent: 'injected' });
    expect(mine).toEqual({ k: 'v' });
  });

  test('may retry by calling next again: the caller sees the second attempt’s success', async () => {
    let requests = 0;
    server.handler = (request, conn) => {
      requests++;
      if (requests === 1) return { error: 'try again later' };
      return defaultHandler(request, conn);
    };
    const failures: unknown[] = [];
    const events: string[] = [];
    const retryOnce: ClientInterceptor = (next) => async (call) => {
      try {
        return await next(call);
      } catch (error) {
        failures.push(error);
        return next(call);
      }
    };
    const c = client({ plugins: [callRecorder(events)], interceptors: [retryOnce] });
    await expect(c.call('Arith', 'Mul', { A: 4, B: 5 })).resolves.toEqual({ C: 20 });

    expect(failures).toHaveLength(1);
    expect(isRpcxError(failures[0], ErrorCode.ServiceError)).toBe(true);
    expect((failures[0] as Error).message).toBe('try again later');
    // Two requests went out, each a fresh request (its own seq) with the same args.
    expect(server.calls).toHaveLength(2);
    expect(server.calls.map((m) => m.seq)).toEqual([0n, 1n]);
    expect(server.calls.map((m) => decodeJson(m.payload))).toEqual([
      { A: 4, B: 5 },
      { A: 4, B: 5 },
    ]);
    // The plugin hooks are inside the retry: once per attempt, as Go's per XClient attempt.
    expect(events).toEqual([
      'plugin preCall Mul {"A":4,"B":5}',
      'plugin postCall error=try again later',
      'plugin preCall Mul {"A":4,"B":5}',
      'plugin postCall {"C":20}',
    ]);
  });

  test('may short-circuit: a value returned without calling next is the reply, nothing is sent', async () => {
    const events: string[] = [];
    const c = client({
      plugins: [callRecorder(events)],
      interceptors: [
        (_next) => async (call) => ({ cached: true, method: call.serviceMethod }),
        (next) => (call) => {
          events.push('inner interceptor');
          return next(call);
        },
      ],
    });
    await expect(c.call('Arith', 'Mul', { A: 1, B: 1 })).resolves.toEqual({
      cached: true,
      method: 'Mul',
    });
    expect(server.requests).toHaveLength(0);
    expect(c.connected).toBe(false);
    // Nothing was sent, so nothing was attempted: the plugins' hooks did not run either.
    expect(events).toEqual([]);
  });

  test('one that rejects fails the call with that very error', async () => {
    const refusal = new RpcxError(ErrorCode.Unauthenticated, 'no ticket, no call');
    const events: string[] = [];
    const c = client({
      plugins: [callRecorder(events)],
      interceptors: [
        (next) => async (call) => {
          if (call.serviceMethod === 'Mul') throw refusal;
          return next(call);
        },
      ],
    });
    await expect(c.call('Arith', 'Mul', { A: 1, B: 2 })).rejects.toBe(refusal);
    expect(server.requests).toHaveLength(0);
    expect(events).toEqual([]);
  });

  test('one that throws synchronously fails the call with that error, as a rejection', async () => {
    const boom = new Error('boom');
    const c = client({
      interceptors: [
        () => () => {
          throw boom;
        },
      ],
    });
    // client.call must not throw: the failure arrives as the promise's rejection.
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = c.call('Arith', 'Mul', { A: 1, B: 2 });
    }).not.toThrow();
    await expect(promise).rejects.toBe(boom);
    expect(server.requests).toHaveLength(0);
  });

  test('a plugin’s postCall sees an RpcxError, the caller gets what was thrown, unchanged', async () => {
    const boom = new Error('boom');
    const seen: unknown[] = [];
    let attempts = 0;
    server.handler = (request, conn) => {
      attempts++;
      return defaultHandler(request, conn);
    };
    const c = client({
      plugins: [{ postCall: (_call, _args, _reply, error) => void seen.push(error) }],
      interceptors: [
        (next) => async (call) => {
          await next(call);
          throw boom;
        },
      ],
    });
    await expect(c.call('Arith', 'Mul', { A: 1, B: 2 })).rejects.toBe(boom);
    expect(attempts).toBe(1);
    // The plugin ran inside the interceptor, around a call that succeeded.
    expect(seen).toEqual([undefined]);

    // A failure from inside the plugins' interceptor: postCall sees it as an RpcxError, the
    // caller gets it as the server's error.
    seen.length = 0;
    const failure = await c.call('Echo', 'Fail', 'no').catch((e: unknown) => e);
    expect(isRpcxError(failure, ErrorCode.ServiceError)).toBe(true);
    expect(seen).toEqual([failure]);
  });

  test('calling next again while the last attempt is in flight fails with invalid_argument', async () => {
    const c = client({
      interceptors: [(next) => (call) => Promise.race([next(call), next(call)])],
    });
    const error = await c.call('Arith', 'Mul', { A: 1, B: 2 }).catch((e: unknown) => e);
    expect(isRpcxError(error, ErrorCode.InvalidArgument)).toBe(true);
    expect((error as Error).message).toContain('only after its last attempt settled');
  });

  test('the call gives no way to the connection that owns the socket', async () => {
    const reachable: string[] = [];
    const c = client({
      interceptors: [
        (next) => async (call) => {
          const reply = await next(call);
          // Every property of the call and of what it hands out, own or inherited: none may be
          // (or lead to) the object that writes to the socket.
          reachable.push(...pathsToSocket(call));
          return reply;
        },
      ],
    });
    await c.call('Arith', 'Mul', { A: 1, B: 2 });
    expect(reachable).toEqual([]);
  });

  test('passing next another object than the call fails with invalid_argument', async () => {
    const c = client({
      interceptors: [(next) => (call) => next({ ...call, args: call.args } as typeof call)],
    });
    const error = await c.call('Arith', 'Mul', { A: 1, B: 2 }).catch((e: unknown) => e);
    expect(isRpcxError(error, ErrorCode.InvalidArgument)).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  test('call.connection is unset before next and set once next resolved', async () => {
    const seen: Array<{ before: unknown; after: unknown }> = [];
    const c = client({
      interceptors: [
        (next) => async (call) => {
          const before = call.connection;
          const reply = await next(call);
          seen.push({ before, after: call.connection });
          return reply;
        },
      ],
    });
    await c.call('Arith', 'Mul', { A: 1, B: 2 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.before).toBeUndefined();
    const after = seen[0]!.after as { remoteAddress: string; localAddress: string; id: number };
    const socket = server.lastConnection.socket;
    expect(after.remoteAddress).toBe(`${socket.localAddress}:${socket.localPort}`);
    expect(after.localAddress).toBe(`${socket.remoteAddress}:${socket.remotePort}`);
    expect(typeof after.id).toBe('number');
  });

  test('also wrap oneway sends', async () => {
    const events: string[] = [];
    const c = client({ interceptors: [recording('A', events)] });
    await c.send('Echo', 'Echo', { hello: 1 });
    expect(events).toEqual(['A before', 'A after']);
    await expect(c.call('Arith', 'Mul', { A: 2, B: 2 })).resolves.toEqual({ C: 4 });
    expect(server.calls.map((m) => m.oneway)).toEqual([true, false]);
  });
});

describe('the chain without interceptors', () => {
  test('chainInterceptors returns the handler itself when there are none, and nests the rest', async () => {
    const handler: CallHandler = async (call) => call.args;
    expect(chainInterceptors([], handler)).toBe(handler);

    const order: string[] = [];
    const tag =
      (name: string): ClientInterceptor =>
      (next) =>
      (call) => {
        order.push(name);
        return next(call);
      };
    const chained = chainInterceptors([tag('outer'), tag('inner')], handler);
    expect(chained).not.toBe(handler);
    await chained({ args: 1 } as Parameters<CallHandler>[0]);
    expect(order).toEqual(['outer', 'inner']);
  });

  test('a client with no interceptors and no call-hook plugins calls its send directly', async () => {
    const server = await TestServer.start();
    const bare = new Client({ address: server.address });
    // Plugins without preCall/postCall add no interceptor.
    const framesOnly = new Client({
      address: server.address,
      plugins: [{ name: 'frames', clientAfterDecode: () => {} }],
    });
    const withHooks = new Client({ address: server.address, plugins: [{ preCall: () => {} }] });
    try {
      // White-box: the private call path is the private send handler itself.
      const internals = (c: Client) =>
        (c as unknown as { path: { handle: unknown; sendCall: unknown } }).path;
      for (const c of [bare, framesOnly]) expect(internals(c).handle).toBe(internals(c).sendCall);
      expect(internals(withHooks).handle).not.toBe(internals(withHooks).sendCall);
      await expect(bare.call('Arith', 'Mul', { A: 3, B: 3 })).resolves.toEqual({ C: 9 });
    } finally {
      await Promise.all([bare.close(), framesOnly.close(), withHooks.close()]);
      await server.close();
    }
  });
});
