/**
 * XClient over real sockets to scriptable test servers: selection, fail modes, retry budget,
 * breakers, fan-out, discovery changes, plugins, auth, deadline propagation and close.
 */
import { type ClientPlugin, ErrorCode, MetadataKey, type Selector } from '@rpcx/core';
import { SelectMode } from '@rpcx/selectors';
import { resolved, rpcxRejectionOf, settle, useFakeClock } from '@rpcx/testing';
import { FailMode } from './fail-mode.js';
import { MultipleServersDiscovery } from './multiple-servers-discovery.js';
import { OneClient } from './one-client.js';
import { pathsToSocket } from './test-support/reachability.js';
import { defaultHandler, type TestHandler, TestServer } from './test-support/test-server.js';
import { XClient } from './xclient.js';
import type { XClientOptions } from './xclient-options.js';
import { XClientPool } from './xclient-pool.js';

/** `Mul` of any service: `{ C: A * B }` in JSON. */
const mul: TestHandler = (request) => {
  const { A, B } = JSON.parse(Buffer.from(request.payload).toString()) as { A: number; B: number };
  return { payload: Buffer.from(JSON.stringify({ C: A * B })) };
};

/**
 * A server named `name`: `given` answers everything when there is one; otherwise `Id` answers the
 * name, `Mul` multiplies, anything else is the default test server's answer.
 */
function identified(name: string, given?: TestHandler): TestHandler {
  return async (request, conn) => {
    if (given !== undefined) return given(request, conn);
    if (request.serviceMethod === 'Id') return { payload: Buffer.from(JSON.stringify(name)) };
    if (request.serviceMethod === 'Mul') return mul(request, conn);
    return defaultHandler(request, conn);
  };
}

interface Fleet {
  servers: TestServer[];
  names: Map<string, string>;
  discovery: MultipleServersDiscovery;
  close(): Promise<void>;
}

async function fleet(count: number, handlers: (TestHandler | undefined)[] = []): Promise<Fleet> {
  const servers: TestServer[] = [];
  for (let i = 0; i < count; i++) servers.push(await TestServer.start());
  // Sorted by key, so names follow the order selectors see.
  servers.sort((a, b) => (a.address < b.address ? -1 : 1));
  const names = new Map<string, string>();
  servers.forEach((server, i) => {
    const name = `s${i}`;
    server.handler = identified(name, handlers[i]);
    names.set(server.address, name);
  });
  const discovery = new MultipleServersDiscovery(
    servers.map((server) => ({ key: server.address, metadata: '' })),
  );
  return {
    servers,
    names,
    discovery,
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}

const clients: { close(): Promise<void> }[] = [];
function xclient(options: Partial<XClientOptions> & Pick<XClientOptions, 'discovery'>): XClient {
  const client = new XClient({
    servicePath: 'Who',
    serializeType: 1,
    selectMode: SelectMode.RoundRobin,
    ...options,
  });
  clients.push(client);
  return client;
}

let current: Fleet | undefined;
afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await current?.close();
  current = undefined;
});

const who = (client: XClient, options = {}) => client.call<string>('Id', undefined, options);

describe('selection', () => {
  test('RoundRobin over three servers, one connection each', async () => {
    current = await fleet(3);
    const client = xclient({ discovery: current.discovery });
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await who(client));
    expect(answers).toEqual(['s0', 's1', 's2', 's0', 's1', 's2']);
    expect(current.servers.map((server) => server.connections.length)).toEqual([1, 1, 1]);
  });

  test('concurrent first calls to one server share one dial', async () => {
    current = await fleet(1);
    const client = xclient({ discovery: current.discovery });
    await Promise.all(Array.from({ length: 20 }, () => who(client)));
    expect(current.servers[0]!.connections.length).toBe(1);
  });

  test('a user selector and a wrapSelect plugin decide the server', async () => {
    current = await fleet(3);
    const last = current.servers[2]!.address;
    const first = current.servers[0]!.address;
    const selector: Selector = { select: () => last, update: () => {} };
    const client = xclient({ discovery: current.discovery, selector });
    expect(await who(client)).toBe('s2');
    const redirect: ClientPlugin = {
      wrapSelect: (pick) => (ctx) => (ctx.metadata.pin === '0' ? first : pick(ctx)),
    };
    const wrapped = xclient({ discovery: current.discovery, selector, plugins: [redirect] });
    expect(await who(wrapped, { metadata: { pin: '0' } })).toBe('s0');
    expect(await who(wrapped)).toBe('s2');
  });

  test('no server: NoServer, "can not found any server"', async () => {
    const client = xclient({
      discovery: new MultipleServersDiscovery([]),
      failMode: FailMode.Failfast,
    });
    const error = await rpcxRejectionOf(who(client));
    expect(error.code).toBe(ErrorCode.NoServer);
    expect(error.message).toContain('can not found any server');
  });
});

describe('discovery changes', () => {
  test('inactive and other-group servers are never picked; updates apply at once', async () => {
    current = await fleet(3);
    const [a, b, c] = current.servers.map((server) => server.address) as [string, string, string];
    current.discovery.update([
      { key: a, metadata: 'group=blue' },
      { key: b, metadata: 'group=blue&state=inactive' },
      { key: c, metadata: 'group=red' },
    ]);
    const client = xclient({ discovery: current.discovery, group: 'blue' });
    expect(client.servers.map((endpoint) => endpoint.key)).toEqual([a]);
    for (let i = 0; i < 3; i++) expect(await who(client)).toBe('s0');
    current.discovery.update([
      { key: a, metadata: 'group=blue' },
      { key: b, metadata: 'group=blue' },
    ]);
    await settle(() => client.servers.length === 2, 'the update');
    const seen = new Set([await who(client), await who(client)]);
    expect(seen).toEqual(new Set(['s0', 's1']));
  });

  test('a server that leaves discovery is closed once its call has finished', async () => {
    current = await fleet(2);
    const [a, b] = current.servers as [TestServer, TestServer];
    let release: (() => void) | undefined;
    a.handler = identified('s0', async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { payload: Buffer.from('"late"') };
    });
    const client = xclient({ discovery: current.discovery });
    const slow = client.call('Slow', undefined); // RoundRobin: to a
    await settle(() => release !== undefined, 'the slow call to reach a');
    current.discovery.update([{ key: b.address, metadata: '' }]);
    await settle(() => client.servers.length === 1, 'the update');
    expect(a.connections[0]!.socket.destroyed).toBe(false);
    release!();
    expect(await slow).toBe('late');
    await settle(() => a.connections[0]!.socket.destroyed, 'the retired connection to close');
    expect(await who(client)).toBe('s1');
  });
});

describe('fail modes', () => {
  test('Failover: a dead server is passed over with no failed call', async () => {
    current = await fleet(3);
    const dead = current.servers[1]!;
    const client = xclient({ discovery: current.discovery });
    await Promise.all([who(client), who(client), who(client)]);
    await dead.close();
    dead.dropConnections();
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await who(client));
    expect(answers).not.toContain('s1');
    expect(new Set(answers)).toEqual(new Set(['s0', 's2']));
  });

  test('Failfast: the error of the one attempt surfaces', async () => {
    current = await fleet(2);
    await current.servers[0]!.close();
    const client = xclient({
      discovery: current.discovery,
      failMode: FailMode.Failfast,
      breaker: false,
    });
    const error = await rpcxRejectionOf(who(client));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(await who(client)).toBe('s1');
  });

  test('Failtry: the retry goes to the same server', async () => {
    current = await fleet(2);
    const a = current.servers[0]!;
    let dropped = 0;
    a.handler = identified('s0', async (request, conn) => {
      if (dropped++ === 0) {
        conn.destroy();
        return undefined;
      }
      return mul(request, conn);
    });
    const client = xclient({ discovery: current.discovery, failMode: FailMode.Failtry });
    expect(await client.call('Mul', { A: 2, B: 5 })).toEqual({ C: 10 });
    expect(a.calls.length).toBe(2);
    expect(current.servers[1]!.calls.length).toBe(0);
  });

  test('a service error is never retried', async () => {
    current = await fleet(2);
    const client = xclient({ discovery: current.discovery });
    const error = await rpcxRejectionOf(client.call('Missing'));
    expect(error.code).toBe(ErrorCode.ServiceError);
    expect(error.message).toContain("can't find service Who");
    const total = current.servers.reduce((sum, server) => sum + server.calls.length, 0);
    expect(total).toBe(1);
  });

  test('a timeout is never retried', async () => {
    current = await fleet(2, [
      async () => undefined, // silent
      async () => undefined,
    ]);
    useFakeClock();
    const client = xclient({ discovery: current.discovery });
    const call = who(client, { timeoutMs: 100 });
    await settle(() => current!.servers[0]!.calls.length === 1, 'the request');
    jest.advanceTimersByTime(100);
    const error = await rpcxRejectionOf(call);
    expect(error.code).toBe(ErrorCode.Timeout);
    expect(current.servers[1]!.calls.length).toBe(0);
  });

  test('Failbackup: after backupLatency a second server is asked; the first answer wins', async () => {
    current = await fleet(2, [async () => undefined, undefined]); // s0 never answers
    useFakeClock();
    const client = xclient({
      discovery: current.discovery,
      failMode: FailMode.Failbackup,
      backupLatencyMs: 50,
      // The backup request carries what an interceptor put in the call's metadata too.
      interceptors: [
        (next) => (call) => {
          call.metadata = { ...call.metadata, traceparent: 'set by an interceptor' };
          return next(call);
        },
      ],
    });
    const call = who(client, { timeoutMs: 5_000 });
    await settle(() => current!.servers[0]!.calls.length === 1, 'the first request');
    expect(current.servers[1]!.calls.length).toBe(0);
    jest.advanceTimersByTime(50);
    expect(await resolved(call, 'the backup answer')).toBe('s1');
    for (const server of current.servers) {
      expect(server.calls[0]!.metadata.traceparent).toBe('set by an interceptor');
    }
  });

  test('the retry budget caps retries', async () => {
    current = await fleet(1);
    const address = current.servers[0]!.address;
    await current.close();
    const dials: string[] = [];
    const counting = xclient({
      discovery: new MultipleServersDiscovery([{ key: address, metadata: '' }]),
      retries: 3,
      breaker: false,
      reconnect: { initialDelayMs: 0, maxDelayMs: 0 },
      retryBudget: { ratio: 0, minRetriesPerSecond: 0.2 }, // 2 retries per 10 s
      plugins: [{ connCreateFailed: (addr) => void dials.push(addr) }],
    });
    for (let i = 0; i < 3; i++) await rpcxRejectionOf(who(counting));
    // 3 first attempts + only 2 retries from the budget (not 3 × 3).
    expect(dials.length).toBe(5);
  });
});

describe('circuit breaker', () => {
  test('opens after consecutive failures, then the server is skipped until a probe succeeds', async () => {
    current = await fleet(2);
    const [a] = current.servers as [TestServer, TestServer];
    const address = a.address;
    useFakeClock();
    const dials: string[] = [];
    const client = xclient({
      discovery: current.discovery,
      breaker: { failureThreshold: 2, openMs: 1_000 },
      reconnect: { initialDelayMs: 0, maxDelayMs: 0 },
      plugins: [{ connCreateFailed: (addr) => void dials.push(addr) }],
    });
    await resolved(a.close(), 'a closed');
    for (let i = 0; i < 8; i++) expect(await resolved(who(client), 'a call')).toBe('s1');
    expect(dials.length).toBe(2); // then the breaker is open: a is not dialled again
    // a comes back; after openMs one probe finds it.
    const back = await resolved(
      TestServer.start({ address, handler: identified('s0') }),
      'restart',
    );
    current.servers[0] = back;
    jest.advanceTimersByTime(1_000);
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await resolved(who(client), 'a call'));
    expect(answers).toContain('s0');
  });
});

describe('fan-out', () => {
  const failing: TestHandler = async () => ({ error: 'boom' });

  test('broadcast: every server must succeed', async () => {
    current = await fleet(3);
    const client = xclient({ discovery: current.discovery });
    expect(['s0', 's1', 's2']).toContain(await client.broadcast('Id'));
    expect(current.servers.map((server) => server.calls.length)).toEqual([1, 1, 1]);
    current.servers[2]!.handler = failing;
    const error = await rpcxRejectionOf(client.broadcast('Id'));
    expect(error.code).toBe(ErrorCode.ServiceError);
    expect(error.message).toContain('boom');
    expect(error.message).toContain(current.servers[2]!.address);
  });

  test('fork: the first success wins; all failing rejects with every error', async () => {
    current = await fleet(3, [failing, undefined, failing]);
    const client = xclient({ discovery: current.discovery });
    expect(await client.fork('Mul', { A: 3, B: 4 })).toEqual({ C: 12 });
    current.servers[1]!.handler = failing;
    const error = await rpcxRejectionOf(client.fork('Mul', { A: 3, B: 4 }));
    expect(error.message).toContain('3 of 3 servers failed');
    expect((error.cause as AggregateError).errors).toHaveLength(3);
  });

  test('inform: one receipt per server, reply or error', async () => {
    current = await fleet(3, [undefined, failing, undefined]);
    const client = xclient({ discovery: current.discovery });
    const receipts = await client.inform('Mul', { A: 2, B: 2 });
    expect(receipts.map((r) => r.key)).toEqual(current.servers.map((s) => s.address));
    expect(receipts[0]!.reply).toEqual({ C: 4 });
    expect(receipts[1]!.error?.message).toBe('boom');
    expect(receipts[2]!.reply).toEqual({ C: 4 });
    expect(receipts[0]!.address).toBe(current.servers[0]!.address.replace('tcp@', ''));
  });

  test('a timeout is honoured: a silent server fails broadcast with Timeout', async () => {
    current = await fleet(2, [async () => undefined, undefined]);
    useFakeClock();
    const client = xclient({ discovery: current.discovery });
    const call = client.broadcast('Mul', { A: 1, B: 1 }, { timeoutMs: 200 });
    await settle(() => current!.servers[0]!.calls.length === 1, 'the request');
    jest.advanceTimersByTime(200);
    expect((await rpcxRejectionOf(call)).code).toBe(ErrorCode.Timeout);
  });
});

describe('requests', () => {
  test('auth token, plugins once per attempt, deadline and metadata from a parent call', async () => {
    current = await fleet(1);
    const seen: string[] = [];
    const client = xclient({
      discovery: current.discovery,
      authToken: 'secret',
      propagateMetadata: ['trace'],
      plugins: [
        {
          preCall: (call) => void seen.push(`pre ${call.serviceMethod}`),
          postCall: () => void seen.push('post'),
        },
      ],
    });
    const parent = { deadline: Date.now() + 5_000, metadata: { trace: 't-1', other: 'x' } };
    await client.call('Mul', { A: 1, B: 1 }, { context: parent, metadata: { own: '1' } });
    const request = current.servers[0]!.calls[0]!;
    expect(request.metadata[MetadataKey.Auth]).toBe('secret');
    expect(request.metadata.trace).toBe('t-1');
    expect(request.metadata.own).toBe('1');
    expect(request.metadata.other).toBeUndefined();
    const timeout = Number(request.metadata[MetadataKey.ServerTimeout]);
    expect(timeout).toBeGreaterThan(0);
    expect(timeout).toBeLessThanOrEqual(5_000);
    expect(seen).toEqual(['pre Mul', 'post']);
  });

  test('the call an interceptor holds gives no way to a connection or dialer', async () => {
    current = await fleet(2);
    const reachable: string[] = [];
    const client = xclient({
      discovery: current.discovery,
      interceptors: [
        (next) => async (call) => {
          const reply = await next(call);
          reachable.push(...pathsToSocket(call));
          return reply;
        },
      ],
    });
    await who(client);
    await client.broadcast('Id');
    expect(reachable).toEqual([]);
  });

  test("a parent's abort cancels the call", async () => {
    current = await fleet(1, [async () => undefined]);
    const client = xclient({ discovery: current.discovery });
    const controller = new AbortController();
    const call = who(client, { context: { signal: controller.signal } });
    await settle(() => current!.servers[0]!.calls.length === 1, 'the request');
    controller.abort();
    expect((await rpcxRejectionOf(call)).code).toBe(ErrorCode.Canceled);
  });

  test('typed proxy, invoke and send', async () => {
    current = await fleet(1);
    const client = new XClient({
      servicePath: 'Arith',
      discovery: current.discovery,
      serializeType: 1,
    });
    clients.push(client);
    const arith = client.service<{ Mul(args: { A: number; B: number }): { C: number } }>();
    expect(await arith.Mul({ A: 6, B: 7 })).toEqual({ C: 42 });
    expect((await client.invoke('Mul', { A: 1, B: 2 })).reply).toEqual({ C: 2 });
    await client.send('Mul', { A: 1, B: 2 });
    await settle(() => current!.servers[0]!.calls.length === 3, 'the oneway request');
  });

  test('close fails pending and later calls (fan-out too) with "xClient is shut down"', async () => {
    current = await fleet(1, [async () => undefined]);
    const client = xclient({ discovery: current.discovery });
    const pending = who(client);
    await settle(() => current!.servers[0]!.calls.length === 1, 'the request');
    await client.close();
    const later = [who(client), client.broadcast('Id'), client.fork('Id'), client.inform('Id')];
    for (const rejection of [pending, ...later].map((call) => rpcxRejectionOf(call))) {
      const error = await rejection;
      expect(error.code).toBe(ErrorCode.Shutdown);
      expect(error.message).toBe('xClient is shut down');
    }
    await settle(
      () => current!.servers[0]!.connections[0]!.socket.destroyed,
      'the socket to close',
    );
  });
});

describe('XClientPool and OneClient', () => {
  test('a pool spreads calls over its XClients, one connection per server each', async () => {
    current = await fleet(1);
    const pool = new XClientPool(3, {
      servicePath: 'Who',
      discovery: current.discovery,
      serializeType: 1,
    });
    clients.push(pool);
    const first = pool.get();
    expect(pool.get()).not.toBe(first);
    pool.get();
    expect(pool.get()).toBe(first);
    await Promise.all([1, 2, 3].map(() => pool.get().call('Id')));
    expect(current.servers[0]!.connections.length).toBe(3);
  });

  test('OneClient calls many services through one discovery', async () => {
    current = await fleet(1);
    const one = new OneClient({ discovery: current.discovery, serializeType: 1 });
    clients.push(one);
    expect(await one.call('Who', 'Id')).toBe('s0');
    expect(await one.call('Arith', 'Mul', { A: 2, B: 4 })).toEqual({ C: 8 });
    expect(
      await one
        .service<{ Mul(a: { A: number; B: number }): { C: number } }>('Arith')
        .Mul({ A: 3, B: 3 }),
    ).toEqual({ C: 9 });
    expect(one.xclient('Arith')).toBe(one.xclient('Arith'));
  });
});
