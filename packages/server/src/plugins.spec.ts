import { ErrorCode, type RegistryPlugin, RpcxError, type ServerPlugin } from '@rpcx/core';
import { settle, useFakeClock } from '@rpcx/testing';
import { RATE_LIMIT_TEXT } from './errors.js';
import { Server } from './server.js';
import { cleanup, connect, eventually, startServer, tracked } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, request } from './test-support/raw-client.js';

afterEach(cleanup);

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

/** A plugin with every hook, recording `name.hook`. */
function recorder(name: string, log: string[], async = false): ServerPlugin {
  const hook =
    (hookName: string, result?: unknown) =>
    (..._args: unknown[]): unknown => {
      log.push(`${name}.${hookName}`);
      return async ? Promise.resolve(result) : result;
    };
  return {
    name,
    postConnAccept: hook('postConnAccept', true) as ServerPlugin['postConnAccept'],
    postConnClose: hook('postConnClose') as ServerPlugin['postConnClose'],
    preReadRequest: hook('preReadRequest') as ServerPlugin['preReadRequest'],
    postReadRequest: hook('postReadRequest') as ServerPlugin['postReadRequest'],
    preHandleRequest: hook('preHandleRequest') as ServerPlugin['preHandleRequest'],
    preCall: hook('preCall') as ServerPlugin['preCall'],
    postCall: hook('postCall') as ServerPlugin['postCall'],
    preWriteResponse: hook('preWriteResponse') as ServerPlugin['preWriteResponse'],
    postWriteResponse: hook('postWriteResponse') as ServerPlugin['postWriteResponse'],
    preWriteRequest: hook('preWriteRequest') as ServerPlugin['preWriteRequest'],
    postWriteRequest: hook('postWriteRequest') as ServerPlugin['postWriteRequest'],
    heartbeatRequest: hook('heartbeatRequest') as ServerPlugin['heartbeatRequest'],
  };
}

const echo = (s: Server) => s.registerFunction('Svc', 'Echo', (args: unknown) => args);

describe('every hook fires, in registration order', () => {
  test.each([false, true])('sync and async hooks (async = %s)', async (async) => {
    const log: string[] = [];
    const { address, server } = await startServer(
      { plugins: [recorder('A', log, async), recorder('B', log, async)] },
      (s) => {
        echo(s);
        s.registerFunction('Svc', 'Hello', (_: unknown, ctx) => {
          log.push('handler');
          return ctx.connection.id;
        });
      },
    );
    const client = await connect(address);
    await eventually(() => server.connections().length === 1);
    expect(log.splice(0)).toEqual(['A.postConnAccept', 'B.postConnAccept']);

    await client.call(jsonRequest('Svc', 'Hello', null, { seq: 1 }));
    await eventually(() => log.length === 15);
    expect(log.splice(0)).toEqual([
      'A.preReadRequest',
      'B.preReadRequest',
      'A.postReadRequest',
      'B.postReadRequest',
      'A.preHandleRequest',
      'B.preHandleRequest',
      'A.preCall',
      'B.preCall',
      'handler',
      'A.postCall',
      'B.postCall',
      'A.preWriteResponse',
      'B.preWriteResponse',
      'A.postWriteResponse',
      'B.postWriteResponse',
    ]);

    await client.call(request({ heartbeat: true, seq: 2 }));
    expect(log.splice(0)).toEqual([
      'A.preReadRequest',
      'B.preReadRequest',
      'A.postReadRequest',
      'B.postReadRequest',
      'A.heartbeatRequest',
      'B.heartbeatRequest',
    ]);

    await server.sendMessage(server.connections()[0]!, 'P', 'M', new Uint8Array([1]));
    expect(log.splice(0)).toEqual([
      'A.preWriteRequest',
      'B.preWriteRequest',
      'A.postWriteRequest',
      'B.postWriteRequest',
    ]);

    client.close();
    await eventually(() => log.length === 2);
    expect(log).toEqual(['A.postConnClose', 'B.postConnClose']);
  });

  test('addPlugin after construction, removePlugin', async () => {
    const log: string[] = [];
    const plugin = recorder('late', log);
    const { address, server } = await startServer({}, echo);
    server.addPlugin(plugin);
    const client = await connect(address);
    await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
    expect(log).toContain('late.preCall');
    server.removePlugin(plugin);
    log.length = 0;
    await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 2 }));
    expect(log).toEqual([]);
  });
});

describe('hooks that change or refuse a call', () => {
  test('preCall replaces the arguments; postCall replaces the reply and sees the error', async () => {
    const seenErrors: Array<string | undefined> = [];
    const { address } = await startServer(
      {
        plugins: [
          {
            preCall: (_call, args) => (typeof args === 'number' ? args * 10 : undefined),
            postCall: async (call, _args, reply, error) => {
              seenErrors.push(error?.message);
              return call.serviceMethod === 'Echo' ? { wrapped: reply } : undefined;
            },
          },
        ],
      },
      (s) => {
        echo(s);
        s.registerFunction('Svc', 'Fail', () => {
          throw new Error('boom');
        });
      },
    );
    const client = await connect(address);
    expect(text((await client.call(jsonRequest('Svc', 'Echo', 4, { seq: 1 }))).payload)).toBe(
      '{"wrapped":40}',
    );
    const failed = await client.call(jsonRequest('Svc', 'Fail', null, { seq: 2 }));
    expect(failed.metadata.__rpcx_error__).toBe('boom');
    expect(seenErrors).toEqual([undefined, 'boom']);
  });

  test('preCall throwing fails the call without running the handler; postCall throwing fails it', async () => {
    let ran = 0;
    const { address } = await startServer(
      {
        plugins: [
          {
            preCall: (call) => {
              if (call.serviceMethod === 'Denied') throw new Error('denied by preCall');
            },
            postCall: (call) => {
              if (call.serviceMethod === 'Spoiled') throw new Error('spoiled by postCall');
            },
          },
        ],
      },
      (s) => {
        s.registerFunction('Svc', 'Denied', () => ran++);
        s.registerFunction('Svc', 'Spoiled', () => ran++);
      },
    );
    const client = await connect(address);
    expect(
      (await client.call(jsonRequest('Svc', 'Denied', null, { seq: 1 }))).metadata.__rpcx_error__,
    ).toBe('denied by preCall');
    expect(ran).toBe(0);
    const spoiled = await client.call(jsonRequest('Svc', 'Spoiled', null, { seq: 2 }));
    expect(spoiled.metadata.__rpcx_error__).toBe('spoiled by postCall');
    expect(spoiled.payload.length).toBe(0);
    expect(ran).toBe(1);
  });

  test('preWriteResponse may add response metadata; ignored hooks that throw are logged', async () => {
    const logger = new MemoryLogger();
    const { address } = await startServer(
      {
        logger,
        plugins: [
          {
            name: 'stamp',
            preWriteResponse: (_conn, _req, res) => {
              if (res) res.metadata.stamped = 'yes';
            },
            preHandleRequest: () => {
              throw new Error('ignored failure');
            },
          },
        ],
      },
      echo,
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Echo', 'x', { seq: 1 }));
    expect(res.metadata.stamped).toBe('yes');
    expect(text(res.payload)).toBe('"x"');
    expect(logger.messages('warn')).toContain(
      'rpcx: preHandleRequest plugin stamp failed: ignored failure',
    );
  });

  test('rate limit from postReadRequest: error response, connection kept; oneway: preWriteResponse only', async () => {
    let limited = true;
    const writes: Array<{ response: unknown; error?: string }> = [];
    const { address } = await startServer(
      {
        plugins: [
          {
            postReadRequest: (_conn, req) => {
              if (limited && req?.serviceMethod === 'Echo') {
                throw new RpcxError(ErrorCode.RateLimited, RATE_LIMIT_TEXT);
              }
            },
            preWriteResponse: (_conn, _req, response, error) => {
              writes.push({ response, error: error?.message });
            },
          },
        ],
      },
      echo,
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
    expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'request reached rate limit' });
    client.send(jsonRequest('Svc', 'Echo', 1, { seq: 2, oneway: true }));
    await eventually(() => writes.length === 2);
    expect(writes[1]).toEqual({ response: undefined, error: 'request reached rate limit' });
    limited = false;
    expect(text((await client.call(jsonRequest('Svc', 'Echo', 7, { seq: 3 }))).payload)).toBe('7');
  });

  test('other postReadRequest and preReadRequest errors close the connection without a response', async () => {
    for (const hook of ['postReadRequest', 'preReadRequest'] as const) {
      const logger = new MemoryLogger();
      const { address } = await startServer(
        {
          logger,
          plugins: [
            {
              [hook]: () => {
                throw new Error(`no by ${hook}`);
              },
            },
          ],
        },
        echo,
      );
      const client = await connect(address);
      client.send(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
      await client.closed;
      expect(client.queued).toBe(0);
      await eventually(() =>
        logger
          .messages('warn')
          .join('\n')
          .includes(`request rejected by ${hook} plugin: no by ${hook}`),
      );
    }
  });

  test('postReadRequest sees decode failures, once', async () => {
    const seen: Array<[boolean, string | undefined]> = [];
    let closed = false;
    const { address } = await startServer(
      {
        plugins: [
          {
            postReadRequest: (_conn, req, error) =>
              void seen.push([req === undefined, error?.message]),
            postConnClose: () => {
              closed = true;
            },
          },
        ],
      },
      echo,
    );
    const client = await connect(address);
    // A metadata block that lies about its pairs.
    const bad = Buffer.from(
      '0800001000000000000000010000001400000000000000000000000400000009' + '00000000',
      'hex',
    );
    client.write(bad.subarray(0, 16 + 20));
    await client.closed;
    // The server's close hooks have run: a second report would be there by now.
    await eventually(() => closed);
    expect(seen).toEqual([[true, 'wrong metadata lines. some keys or values are missing']]);
  });
});

describe('what postWriteResponse is told', () => {
  afterEach(() => jest.useRealTimers());

  test('served.receivedAt: when the request was read, on the clock of performance.now()', async () => {
    useFakeClock();
    const told: Array<{ status: string; ms: number }> = [];
    const timing: ServerPlugin = {
      postWriteResponse(_conn, _request, _response, error, served) {
        told.push({ status: error ? 'error' : 'ok', ms: performance.now() - served!.receivedAt! });
      },
    };
    const { address } = await startServer({ plugins: [timing] }, (s) => {
      s.registerFunction('Svc', 'Slow', () => {
        jest.advanceTimersByTime(7);
        return 'done';
      });
    });
    const client = await connect(address);
    await client.call(jsonRequest('Svc', 'Slow', null, { seq: 1 }));
    jest.advanceTimersByTime(100); // between requests: not part of the next one
    await client.call(jsonRequest('Svc', 'Missing', null, { seq: 2 }));
    await settle(() => told.length === 2, 'two responses');
    expect(told).toEqual([
      { status: 'ok', ms: 7 },
      { status: 'error', ms: 0 },
    ]);
  });
});

describe('connection hooks', () => {
  test('postConnAccept returning false (or throwing) closes the connection; no postConnClose', async () => {
    const closes: number[] = [];
    for (const verdict of ['false', 'throw', 'async-false'] as const) {
      const { address, server } = await startServer(
        {
          plugins: [
            {
              postConnAccept: async () => {
                if (verdict === 'throw') throw new Error('nope');
                return verdict === 'async-false' ? Promise.resolve(false) : false;
              },
              postConnClose: (conn) => void closes.push(conn.id),
            },
          ],
        },
        echo,
      );
      const client = await connect(address);
      client.send(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
      await client.closed;
      expect(client.queued).toBe(0);
      expect(server.connections()).toHaveLength(0);
    }
    expect(closes).toEqual([]);
  });

  test('an async postConnAccept holds requests until it resolves', async () => {
    let admit!: () => void;
    const admitted = new Promise<void>((resolve) => {
      admit = resolve;
    });
    const { address } = await startServer(
      {
        plugins: [
          {
            postConnAccept: async () => {
              await admitted;
              return true;
            },
          },
        ],
      },
      echo,
    );
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Echo', 'early', { seq: 1 }));
    await client.expectSilence(30);
    admit();
    expect(text((await client.next()).payload)).toBe('"early"');
  });
});

describe('registry plugins', () => {
  function registry(log: string[], fail = false): RegistryPlugin {
    return {
      name: 'reg',
      start: (addresses) => void log.push(`start ${addresses.join(',')}`),
      register: async (path, metadata) => {
        log.push(`register ${path} ${metadata}`);
        if (fail) throw new Error('registry down');
      },
      unregister: (path) => void log.push(`unregister ${path}`),
      stop: () => void log.push('stop'),
    };
  }

  test('start + register at listen, register later ones at once, unregister + stop on shutdown', async () => {
    const log: string[] = [];
    const server = tracked(new Server({ plugins: [registry(log)] }));
    server.registerName('A', { M: () => 1 }, { metadata: 'weight=10' });
    server.registerFunction('F', 'f', () => 1, { metadata: 'group=g' });
    expect(log).toEqual([]);
    const address = await server.listen('tcp@127.0.0.1:0');
    expect(log.splice(0)).toEqual([
      `start ${address}`,
      'register A weight=10',
      'register F group=g',
    ]);
    server.registerName('B', { M: () => 1 });
    await eventually(() => log.length === 1);
    expect(log.splice(0)).toEqual(['register B ']);
    await server.shutdown({ timeoutMs: 1000 });
    expect(log).toEqual(['unregister A', 'unregister F', 'unregister B', 'stop']);
    await server.shutdown();
    expect(log).toHaveLength(4);
  });

  test('registry failures are logged, never thrown; close() unregisters too', async () => {
    const log: string[] = [];
    const logger = new MemoryLogger();
    const server = tracked(new Server({ logger, plugins: [registry(log, true)] }));
    server.registerName('A', { M: () => 1 });
    await server.listen('tcp@127.0.0.1:0');
    expect(logger.messages('error')).toEqual([
      'rpcx: registry plugin reg failed to register A: registry down',
    ]);
    await server.close();
    expect(log).toContain('unregister A');
    expect(log[log.length - 1]).toBe('stop');
  });
});
