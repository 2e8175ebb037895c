/**
 * The server's one call path: auth (outermost) → the plugins' preHandleRequest/preCall/postCall
 * → `options.interceptors` in order → the method. Requests come from a RawClient over a real
 * socket on 127.0.0.1, so the tests see exactly what the server writes.
 */
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { type CallInfo, SerializeType, type ServerPlugin } from '@rpcx/core';
import type { ServerInterceptor } from './interceptor.js';
import { cleanup, connect, eventually, startServer } from './test-support/harness.js';
import { jsonRequest, request } from './test-support/raw-client.js';
import type { ServerCall, ServerConnection } from './types.js';

afterEach(cleanup);

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

/** Records `name before` / `name after` / `name failed` around `next`. */
function recording(name: string, log: string[]): ServerInterceptor {
  return (next) => async (call) => {
    log.push(`${name} before`);
    try {
      const reply = await next(call);
      log.push(`${name} after`);
      return reply;
    } catch (error) {
      log.push(`${name} failed`);
      throw error;
    }
  };
}

/** A plugin recording the hooks around a call (and the read/write hooks around them). */
function plugin(name: string, log: string[]): ServerPlugin {
  const record = (hook: string) => () => void log.push(`${name}.${hook}`);
  return {
    name,
    postReadRequest: record('postReadRequest'),
    preHandleRequest: record('preHandleRequest'),
    preCall: record('preCall'),
    postCall: record('postCall'),
    preWriteResponse: record('preWriteResponse'),
    postWriteResponse: record('postWriteResponse'),
    heartbeatRequest: record('heartbeatRequest'),
  };
}

describe('the order of the server chain', () => {
  async function orderedServer(log: string[]) {
    return startServer(
      {
        auth: (token) => {
          log.push(`auth ${token}`);
          if (token !== 'ok') throw new Error(`bad token ${token}`);
        },
        plugins: [plugin('P1', log), plugin('P2', log)],
        interceptors: [recording('I1', log), recording('I2', log)],
      },
      (s) =>
        s.registerFunction('Svc', 'Echo', (args: unknown) => {
          log.push('method');
          return args;
        }),
    );
  }

  test('auth, then plugins (preHandleRequest, preCall), interceptors in order, the method, then postCall', async () => {
    const log: string[] = [];
    const { address } = await orderedServer(log);
    const client = await connect(address);
    const res = await client.call(
      jsonRequest('Svc', 'Echo', { n: 1 }, { seq: 1, metadata: { __AUTH: 'ok' } }),
    );
    expect(text(res.payload)).toBe('{"n":1}');
    await eventually(() => log.includes('P2.postWriteResponse'));
    expect(log).toEqual([
      'P1.postReadRequest',
      'P2.postReadRequest',
      'auth ok',
      'P1.preHandleRequest',
      'P2.preHandleRequest',
      'P1.preCall',
      'P2.preCall',
      'I1 before',
      'I2 before',
      'method',
      'I2 after',
      'I1 after',
      'P1.postCall',
      'P2.postCall',
      'P1.preWriteResponse',
      'P2.preWriteResponse',
      'P1.postWriteResponse',
      'P2.postWriteResponse',
    ]);
  });

  test('a refused token reaches no call hook, interceptor or method; the connection closes after the error response', async () => {
    const log: string[] = [];
    const { address, server } = await orderedServer(log);
    const client = await connect(address);
    const res = await client.call(
      jsonRequest('Svc', 'Echo', { n: 1 }, { seq: 7, metadata: { __AUTH: 'forged' } }),
    );
    expect(res.seq).toBe(7n);
    expect(res.flags).toBe(0x81); // response, status error
    expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'bad token forged' });
    await client.closed;
    expect(server.connections()).toHaveLength(0);
    await eventually(() => log.includes('P2.postWriteResponse'));
    expect(log).toEqual([
      'P1.postReadRequest',
      'P2.postReadRequest',
      'auth forged',
      'P1.preWriteResponse',
      'P2.preWriteResponse',
      'P1.postWriteResponse',
      'P2.postWriteResponse',
    ]);
  });

  test('heartbeats never enter the chain', async () => {
    const log: string[] = [];
    const { address } = await orderedServer(log);
    const client = await connect(address);
    const pong = await client.call(request({ heartbeat: true, seq: 3, payload: 'ping' }));
    expect(pong.heartbeat).toBe(true);
    expect(text(pong.payload)).toBe('ping');
    expect(log).toEqual([
      'P1.postReadRequest',
      'P2.postReadRequest',
      'P1.heartbeatRequest',
      'P2.heartbeatRequest',
    ]);

    // The chain is there for ordinary requests on the same connection.
    log.length = 0;
    await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 4, metadata: { __AUTH: 'ok' } }));
    expect(log).toContain('I2 before');
    expect(log).toContain('auth ok');
  });
});

describe('server interceptors', () => {
  test('may replace call.args: the method gets the new args, and an undecodable payload is never decoded', async () => {
    const seen: unknown[] = [];
    const { address } = await startServer(
      {
        interceptors: [
          (next) => (call) => {
            call.args =
              call.serviceMethod === 'Echo'
                ? { ...(call.args as object), stamped: true }
                : { replaced: 'without reading' };
            return next(call);
          },
        ],
      },
      (s) => {
        s.registerFunction('Svc', 'Echo', (args: unknown) => {
          seen.push(args);
          return args;
        });
        s.registerFunction('Svc', 'Raw', (args: unknown) => {
          seen.push(args);
          return 'fine';
        });
      },
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Echo', { n: 5 }, { seq: 1 }));
    expect(JSON.parse(text(res.payload))).toEqual({ n: 5, stamped: true });
    // Not JSON at all: reading call.args would fail; replacing them skips the decode.
    const raw = await client.call(
      request({ servicePath: 'Svc', serviceMethod: 'Raw', payload: '{not json', seq: 2 }),
    );
    expect(raw.metadata.__rpcx_error__).toBeUndefined();
    expect(text(raw.payload)).toBe('"fine"');
    expect(seen).toEqual([{ n: 5, stamped: true }, { replaced: 'without reading' }]);
  });

  test('may short-circuit: the method is not called, the reply goes back in the request’s codec', async () => {
    let methodCalls = 0;
    const { address } = await startServer(
      {
        interceptors: [
          (next) => (call) =>
            call.serviceMethod === 'Cached'
              ? { cached: true, codec: call.request.serializeType }
              : next(call),
        ],
      },
      (s) =>
        s.registerFunction('Svc', 'Cached', () => {
          methodCalls++;
          return 'from the method';
        }),
    );
    const client = await connect(address);
    const json = await client.call(jsonRequest('Svc', 'Cached', null, { seq: 1 }));
    expect(json.serializeType).toBe(SerializeType.JSON);
    expect(json.metadata.__rpcx_error__).toBeUndefined();
    expect(JSON.parse(text(json.payload))).toEqual({ cached: true, codec: 1 });

    const packed = await client.call(
      request({
        servicePath: 'Svc',
        serviceMethod: 'Cached',
        serializeType: SerializeType.MsgPack,
        payload: msgpackCodec.encode(null),
        seq: 2,
      }),
    );
    expect(packed.serializeType).toBe(SerializeType.MsgPack);
    expect(packed.metadata.__rpcx_error__).toBeUndefined();
    expect(msgpackCodec.decode(packed.payload)).toEqual({ cached: true, codec: 3 });
    expect(methodCalls).toBe(0);
  });

  test.each([
    ['throws', false],
    ['rejects', true],
  ])(
    'one that %s fails the call: error response with its text, onServiceError told, method not called',
    async (_how, async) => {
      const reported: Array<{ error: Error; call: CallInfo }> = [];
      let methodCalls = 0;
      const refusal = new Error('stopped by interceptor');
      const { address } = await startServer(
        {
          onServiceError: (error, call) => reported.push({ error, call }),
          interceptors: [
            () => () => {
              if (async) return Promise.reject(refusal);
              throw refusal;
            },
          ],
        },
        (s) =>
          s.registerFunction('Svc', 'Echo', () => {
            methodCalls++;
            return 'no';
          }),
      );
      const client = await connect(address);
      const res = await client.call(jsonRequest('Svc', 'Echo', null, { seq: 9 }));
      expect(res.flags).toBe(0x81);
      expect(res.payload.length).toBe(0);
      expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'stopped by interceptor' });
      expect(methodCalls).toBe(0);
      expect(reported).toHaveLength(1);
      expect(reported[0]!.error).toBe(refusal);
      expect(reported[0]!.call.servicePath).toBe('Svc');
      expect(reported[0]!.call.serviceMethod).toBe('Echo');
      // The connection stays usable.
      expect(client.isOpen).toBe(true);
    },
  );

  test("reading call.args for an unknown method or service throws Go's dispatch error", async () => {
    const thrown: string[] = [];
    const { address } = await startServer(
      {
        interceptors: [
          (next) => (call) => {
            try {
              void call.args;
            } catch (error) {
              thrown.push((error as Error).message);
              throw error;
            }
            return next(call);
          },
        ],
      },
      (s) => s.registerFunction('Svc', 'Echo', (args: unknown) => args),
    );
    const client = await connect(address);
    const noMethod = await client.call(jsonRequest('Svc', 'Nope', 1, { seq: 1 }));
    expect({ ...noMethod.metadata }).toEqual({ __rpcx_error__: "rpcx: can't find method Nope" });
    const noService = await client.call(jsonRequest('Gone', 'Echo', 1, { seq: 2 }));
    expect({ ...noService.metadata }).toEqual({ __rpcx_error__: "rpcx: can't find service Gone" });
    expect(thrown).toEqual(["rpcx: can't find method Nope", "rpcx: can't find service Gone"]);
    // A known method still goes through.
    const ok = await client.call(jsonRequest('Svc', 'Echo', 2, { seq: 3 }));
    expect(text(ok.payload)).toBe('2');
  });

  test('see the call’s connection (a view, the one server.connections() gives) and its metadata', async () => {
    const seen: Array<{
      connection: ServerConnection;
      metadata: Record<string, string>;
      path: string;
    }> = [];
    const { address, server } = await startServer(
      {
        interceptors: [
          (next) => (call: ServerCall) => {
            seen.push({
              connection: call.connection,
              metadata: { ...call.metadata },
              path: `${call.servicePath}.${call.serviceMethod}`,
            });
            return next(call);
          },
        ],
      },
      (s) => s.registerFunction('Svc', 'Echo', (args: unknown) => args),
    );
    const client = await connect(address);
    await client.call(jsonRequest('Svc', 'Echo', 1, { seq: 1, metadata: { tenant: 't-1' } }));
    expect(seen).toHaveLength(1);
    const { connection, metadata, path } = seen[0]!;
    expect(path).toBe('Svc.Echo');
    expect(metadata).toEqual({ tenant: 't-1' });
    expect(connection).toBe(server.connections()[0]);
    expect(connection.remoteAddress).toBe(client.framed.localAddress);
    expect(connection.network).toBe('tcp');
    expect('socket' in connection).toBe(false);
    expect('writeMessage' in connection).toBe(false);
  });

  test('a throwing plugin preCall stops the chain before the interceptors (postCall not called, as in Go)', async () => {
    const log: string[] = [];
    const { address } = await startServer(
      {
        plugins: [
          {
            preCall: () => {
              log.push('preCall');
              throw new Error('preCall says no');
            },
            postCall: () => void log.push('postCall'),
          },
        ],
        interceptors: [recording('I1', log)],
      },
      (s) =>
        s.registerFunction('Svc', 'Echo', () => {
          log.push('method');
          return 1;
        }),
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Echo', null, { seq: 1 }));
    expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'preCall says no' });
    expect(log).toEqual(['preCall']);
  });

  test('plugin postCall sees an interceptor’s failure and may not turn it into success', async () => {
    const outcomes: unknown[] = [];
    const { address } = await startServer(
      {
        plugins: [
          {
            postCall: (_call, _args, reply, error) => {
              outcomes.push({ reply, error: error?.message });
              return 'replacement reply';
            },
          },
        ],
        interceptors: [
          () => () => {
            throw new Error('interceptor failed');
          },
        ],
      },
      (s) => s.registerFunction('Svc', 'Echo', () => 1),
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Echo', null, { seq: 1 }));
    expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'interceptor failed' });
    expect(outcomes).toEqual([{ reply: undefined, error: 'interceptor failed' }]);
  });
});
