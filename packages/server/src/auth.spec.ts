import type { RpcxMessage } from '@rpcx/core';
import { cleanup, connect, startServer } from './test-support/harness.js';
import { jsonRequest, request } from './test-support/raw-client.js';
import type { ServerConnection } from './types.js';

afterEach(cleanup);

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

function authServer(check: (token: string) => void | Promise<void>) {
  const seen: Array<{ token: string; request: RpcxMessage; connection: ServerConnection }> = [];
  let calls = 0;
  const started = startServer(
    {
      auth: (token, req, connection) => {
        seen.push({ token, request: req, connection });
        return check(token);
      },
    },
    (s) =>
      s.registerFunction('Svc', 'Hello', () => {
        calls++;
        return 'hello';
      }),
  );
  return { started, seen, calls: () => calls };
}

describe('auth', () => {
  test('the __AUTH token reaches auth; a passing check dispatches', async () => {
    const { started, seen } = authServer((token) => {
      if (token !== 'good') throw new Error('bad token');
    });
    const { address } = await started;
    const client = await connect(address);
    const res = await client.call(
      jsonRequest('Svc', 'Hello', null, { seq: 1, metadata: { __AUTH: 'good' } }),
    );
    expect(text(res.payload)).toBe('"hello"');
    expect(seen[0]!.token).toBe('good');
    expect(seen[0]!.request.serviceMethod).toBe('Hello');
    expect(seen[0]!.connection.remoteAddress).toBe(client.framed.localAddress);
  });

  test('a failing check: error response with its message, then the connection is closed', async () => {
    const { started, seen, calls } = authServer(async (token) => {
      await Promise.resolve();
      if (token !== 'good') throw new Error('invalid token');
    });
    const { address, server } = await started;
    const client = await connect(address);
    const res = await client.call(jsonRequest('Svc', 'Hello', null, { seq: 3 }));
    expect(seen[0]!.token).toBe('');
    expect(res.flags).toBe(0x81);
    expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'invalid token' });
    expect(res.payload.length).toBe(0);
    await client.closed;
    expect(calls()).toBe(0);
    expect(server.connections()).toHaveLength(0);
  });

  test('a oneway request that fails auth gets no response; the connection is closed', async () => {
    const { started } = authServer(() => {
      throw new Error('no');
    });
    const { address } = await started;
    const client = await connect(address);
    client.send(jsonRequest('Svc', 'Hello', null, { seq: 1, oneway: true }));
    await client.closed;
    expect(client.queued).toBe(0);
  });

  test('heartbeats bypass auth', async () => {
    const { started, seen } = authServer(() => {
      throw new Error('never');
    });
    const { address } = await started;
    const client = await connect(address);
    const pong = await client.call(request({ heartbeat: true, serializeType: 3, seq: 9 }));
    expect(pong.heartbeat).toBe(true);
    expect(seen).toHaveLength(0);
    expect(client.isOpen).toBe(true);
  });
});
