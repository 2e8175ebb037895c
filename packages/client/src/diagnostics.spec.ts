/**
 * The diagnostics channels and the named tracers, end to end over real sockets on 127.0.0.1: a
 * real @rpcx/server Server (through its entry point, as the other cross-package specs do), a
 * Client and XClients. Each test subscribes to every channel and checks the exact sequence and
 * payloads; one checks that with nobody listening nothing is built or published.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  DiagnosticsChannel,
  type DiagnosticsChannelName,
  diagnostics,
  ErrorCode,
  enableTrace,
  type Logger,
  type Selector,
} from '@rpcx/core';
import {
  resolved,
  rpcxRejectionOf,
  settle,
  startProcess,
  stopAllProcesses,
  useFakeClock,
} from '@rpcx/testing';
import { Server } from '../../server/src/index.js';
import { Client } from './client.js';
import { FailMode } from './fail-mode.js';
import { MultipleServersDiscovery } from './multiple-servers-discovery.js';
import { XClient } from './xclient.js';
import type { XClientOptions } from './xclient-options.js';

// -----------------------------------------------------------------------------------------------
// Recording

interface Recorded {
  readonly channel: DiagnosticsChannelName;
  /** The object published (the same one on a call's start and end). */
  readonly message: object;
  /** Its fields when it was published (the object changes between start and end). */
  readonly fields: Record<string, unknown>;
}

/** Subscribes to every channel until `stop`. */
function record() {
  const events: Recorded[] = [];
  const handlers = Object.values(DiagnosticsChannel).map((channel) => {
    const onMessage = (message: unknown) => {
      events.push({
        channel,
        message: message as object,
        fields: { ...(message as Record<string, unknown>) },
      });
    };
    subscribe(channel, onMessage);
    return [channel, onMessage] as const;
  });
  return {
    events,
    /** The events of these channels, as [channel, fields]. */
    of: (...channels: DiagnosticsChannelName[]) =>
      events
        .filter((e) => channels.includes(e.channel))
        .map((e): [DiagnosticsChannelName, Record<string, unknown>] => [e.channel, e.fields]),
    stop: () => {
      for (const [channel, onMessage] of handlers) unsubscribe(channel, onMessage);
    },
  };
}

type Recorder = ReturnType<typeof record>;
let recorder: Recorder | undefined;
function recording(): Recorder {
  recorder = record();
  return recorder;
}

const C = DiagnosticsChannel;
const CLIENT_SIDE: DiagnosticsChannelName[] = [
  C.ClientCallStart,
  C.ClientCallEnd,
  C.ClientCallError,
  C.ClientPick,
  C.ClientRetry,
  C.BreakerState,
  C.DiscoveryChange,
];
const SERVER_REQUEST: DiagnosticsChannelName[] = [
  C.ServerRequestStart,
  C.ServerRequestEnd,
  C.ServerRequestError,
];

/** `tcp@127.0.0.1:8972` → `127.0.0.1:8972`. */
const hostPort = (key: string) => key.slice(key.indexOf('@') + 1);

const anyNumber = expect.any(Number) as unknown;

// -----------------------------------------------------------------------------------------------
// Servers and clients

const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  recorder?.stop();
  recorder = undefined;
  jest.useRealTimers();
  await Promise.all(closing.splice(0).map((thing) => thing.close()));
});

/** A server on 127.0.0.1 with Arith.Mul, Arith.Fail (throws), Who.Id (its name), Who.Wait. */
async function startServer(name = 'a', wait: Promise<unknown> = Promise.resolve()) {
  const server = new Server();
  closing.push(server);
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
    C: args.A * args.B,
  }));
  server.registerFunction('Arith', 'Fail', () => {
    throw new Error('boom');
  });
  server.registerFunction('Who', 'Id', () => name);
  server.registerFunction('Who', 'Wait', () => wait.then(() => name));
  const address = await server.listen('tcp@127.0.0.1:0');
  return { server, address };
}

/** A loopback address nobody listens on: a port that was just bound, then released. */
async function deadAddress(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `tcp@127.0.0.1:${port}`;
}

function client(address: string): Client {
  const made = new Client({ address, serializeType: 1 });
  closing.push(made);
  return made;
}

function xclient(options: Partial<XClientOptions> & Pick<XClientOptions, 'discovery'>): XClient {
  const made = new XClient({
    servicePath: 'Who',
    serializeType: 1,
    retryBudget: false,
    ...options,
  });
  closing.push(made);
  return made;
}

/** A selector that picks `keys` in turn, whatever the list says. */
function inTurn(...keys: string[]): Selector {
  let next = 0;
  return { select: () => keys[next++ % keys.length], update: () => {} };
}

/** The events one side sees, in order: its calls, picks, retries, breakers, lists, connections. */
function clientSide(events: Recorder) {
  return events.events
    .filter(
      (e) =>
        CLIENT_SIDE.includes(e.channel) ||
        ((e.channel === C.ConnectionOpen || e.channel === C.ConnectionClose) &&
          e.fields.side === 'client'),
    )
    .map((e) => [e.channel, e.fields]);
}

function sameObject(events: Recorder, first: DiagnosticsChannelName, then: DiagnosticsChannelName) {
  const of = (channel: DiagnosticsChannelName) =>
    events.events.filter((e) => e.channel === channel).map((e) => e.message);
  expect(of(then)).toHaveLength(of(first).length);
  for (const [i, message] of of(then).entries()) expect(message).toBe(of(first)[i]);
}

// -----------------------------------------------------------------------------------------------

describe('Client and server', () => {
  test('a call: one object on start and end, each side; connections open and close', async () => {
    const { address } = await startServer();
    const events = recording();
    const arith = client(address);
    await expect(arith.call('Arith', 'Mul', { A: 6, B: 7 })).resolves.toEqual({ C: 42 });
    await arith.close();
    await settle(() => events.of(C.ConnectionClose).length === 2, 'both closes');

    const opens = events.of(C.ConnectionOpen).map(([, m]) => m);
    expect(opens).toHaveLength(2);
    const clientOpen = opens.find((m) => m.side === 'client')!;
    const serverOpen = opens.find((m) => m.side === 'server')!;
    expect(clientOpen).toEqual({
      side: 'client',
      id: anyNumber,
      localAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      remoteAddress: hostPort(address),
      error: undefined,
    });
    expect(serverOpen).toEqual({
      side: 'server',
      id: anyNumber,
      localAddress: hostPort(address),
      remoteAddress: clientOpen.localAddress,
      error: undefined,
    });

    // The client's side, in order: the call dials the connection; closing says why.
    const call = {
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      metadata: {},
      startTime: anyNumber,
      serverAddress: address,
    };
    expect(clientSide(events)).toEqual([
      [C.ClientCallStart, { ...call, durationMs: undefined, error: undefined }],
      [C.ConnectionOpen, clientOpen],
      [C.ClientCallEnd, { ...call, durationMs: anyNumber, error: undefined }],
      [
        C.ConnectionClose,
        {
          ...clientOpen,
          error: expect.objectContaining({ code: ErrorCode.Shutdown }),
        },
      ],
    ]);

    // The server's side, in order; its close is the client's orderly hang-up.
    const request = {
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      metadata: {},
      remoteAddress: clientOpen.localAddress,
      startTime: anyNumber,
    };
    expect(
      events.events
        .filter((e) => SERVER_REQUEST.includes(e.channel) || e.fields.side === 'server')
        .map((e) => [e.channel, e.fields]),
    ).toEqual([
      [C.ConnectionOpen, serverOpen],
      [C.ServerRequestStart, { ...request, durationMs: undefined, error: undefined }],
      [C.ServerRequestEnd, { ...request, durationMs: anyNumber, error: undefined }],
      [C.ConnectionClose, serverOpen],
    ]);

    // One object per call on each side; the request ended before the call did.
    sameObject(events, C.ClientCallStart, C.ClientCallEnd);
    sameObject(events, C.ServerRequestStart, C.ServerRequestEnd);
    const order = events.events.map((e) => e.channel);
    expect(order.indexOf(C.ServerRequestEnd)).toBeLessThan(order.indexOf(C.ClientCallEnd));
  });

  test('a failing call: error on both sides; a oneway request; metadata as sent', async () => {
    const { address } = await startServer();
    const arith = client(address);
    await arith.connect();
    const events = recording();

    const failure = await rpcxRejectionOf(
      arith.call('Arith', 'Fail', {}, { metadata: { tenant: 'blue' } }),
    );
    expect(failure.code).toBe(ErrorCode.ServiceError);
    await arith.send('Arith', 'Mul', { A: 1, B: 2 });
    await settle(() => events.of(C.ServerRequestEnd).length === 1, 'the oneway request');

    const failed = {
      servicePath: 'Arith',
      serviceMethod: 'Fail',
      metadata: { tenant: 'blue' },
      startTime: anyNumber,
      serverAddress: address,
    };
    const oneway = { ...failed, serviceMethod: 'Mul', metadata: {} };
    expect(clientSide(events)).toEqual([
      [C.ClientCallStart, { ...failed, durationMs: undefined, error: undefined }],
      [C.ClientCallError, { ...failed, durationMs: anyNumber, error: failure }],
      [C.ClientCallStart, { ...oneway, durationMs: undefined, error: undefined }],
      [C.ClientCallEnd, { ...oneway, durationMs: anyNumber, error: undefined }],
    ]);
    const request = {
      servicePath: 'Arith',
      serviceMethod: 'Fail',
      metadata: { tenant: 'blue' },
      remoteAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      startTime: anyNumber,
    };
    const serverFailure = events.of(C.ServerRequestError)[0]![1].error as Error;
    expect(serverFailure.message).toBe('boom');
    expect(events.of(...SERVER_REQUEST)).toEqual([
      [C.ServerRequestStart, { ...request, durationMs: undefined, error: undefined }],
      [C.ServerRequestError, { ...request, durationMs: anyNumber, error: serverFailure }],
      [
        C.ServerRequestStart,
        { ...request, serviceMethod: 'Mul', metadata: {}, durationMs: undefined, error: undefined },
      ],
      [
        C.ServerRequestEnd,
        { ...request, serviceMethod: 'Mul', metadata: {}, durationMs: anyNumber, error: undefined },
      ],
    ]);
    const [failedStart] = events.events.filter((e) => e.channel === C.ServerRequestStart);
    const [failedEnd] = events.events.filter((e) => e.channel === C.ServerRequestError);
    expect(failedEnd!.message).toBe(failedStart!.message);
  });
});

describe('a server with auth', () => {
  test('a refused request: start, then error with the refusal; the connection closes', async () => {
    const server = new Server({
      auth: (token) => {
        if (token !== 'good') throw new Error('bad token');
      },
    });
    closing.push(server);
    server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
      C: args.A * args.B,
    }));
    const address = await server.listen('tcp@127.0.0.1:0');
    const events = recording();
    const refused = client(address);
    const failure = await rpcxRejectionOf(refused.call('Arith', 'Mul', { A: 1, B: 2 }));
    expect(failure.message).toBe('bad token');
    await settle(() => events.of(C.ConnectionClose).length === 2, 'the closes');
    const [, start] = events.of(C.ServerRequestStart)[0]!;
    const [, error] = events.of(C.ServerRequestError)[0]!;
    expect(start).toMatchObject({ servicePath: 'Arith', serviceMethod: 'Mul', error: undefined });
    expect(error).toMatchObject({
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      durationMs: anyNumber,
      // The error auth threw: what the client is answered with.
      error: expect.objectContaining({ message: 'bad token' }),
    });
    expect(events.of(C.ServerRequestEnd)).toEqual([]);
    expect(events.of(C.ClientCallError)[0]![1].error).toBe(failure);
  });
});

describe('XClient', () => {
  test('Failover over two servers, one down: start, pick, retry, pick, end', async () => {
    const alive = (await startServer('alive')).address;
    const dead = await deadAddress();
    const events = recording();
    const discovery = new MultipleServersDiscovery([
      { key: alive, metadata: '' },
      { key: dead, metadata: '' },
    ]);
    const who = xclient({ discovery, failMode: FailMode.Failover, selector: inTurn(dead, alive) });
    await expect(who.call('Id')).resolves.toBe('alive');

    const call = { servicePath: 'Who', serviceMethod: 'Id', metadata: {}, startTime: anyNumber };
    const [, retry] = events.of(C.ClientRetry)[0]!;
    expect(retry.error).toMatchObject({ code: ErrorCode.Unavailable });
    expect(clientSide(events)).toEqual([
      [C.DiscoveryChange, { servicePath: 'Who', servers: [alive, dead].sort() }],
      [
        C.ClientCallStart,
        { ...call, serverAddress: undefined, durationMs: undefined, error: undefined },
      ],
      [C.ClientPick, { servicePath: 'Who', serviceMethod: 'Id', serverAddress: dead, attempt: 1 }],
      [
        C.ClientRetry,
        {
          servicePath: 'Who',
          serviceMethod: 'Id',
          serverAddress: dead,
          attempt: 1,
          error: retry.error,
        },
      ],
      [C.ClientPick, { servicePath: 'Who', serviceMethod: 'Id', serverAddress: alive, attempt: 2 }],
      [
        C.ConnectionOpen,
        expect.objectContaining({ side: 'client', remoteAddress: hostPort(alive) }),
      ],
      [C.ClientCallEnd, { ...call, serverAddress: alive, durationMs: anyNumber, error: undefined }],
    ]);
    sameObject(events, C.ClientCallStart, C.ClientCallEnd);
    // The dead server was never connected: no open, and so no close, for it.
    expect(events.of(C.ConnectionOpen).map(([, m]) => m.remoteAddress)).not.toContain(
      hostPort(dead),
    );
  });

  test('Failbackup: the backup request is a retry without an error', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = (await startServer('first', slow)).address;
    const second = (await startServer('second')).address;
    const discovery = new MultipleServersDiscovery([
      { key: first, metadata: '' },
      { key: second, metadata: '' },
    ]);
    const who = xclient({
      discovery,
      failMode: FailMode.Failbackup,
      backupLatencyMs: 10,
      selector: inTurn(first, second),
    });
    const events = recording();
    const answer = who.call('Wait');
    await expect(resolved(answer, 'the backup answer')).resolves.toBe('second');
    release();
    expect(events.of(C.ClientPick, C.ClientRetry).map(([channel, m]) => [channel, m])).toEqual([
      [
        C.ClientPick,
        { servicePath: 'Who', serviceMethod: 'Wait', serverAddress: first, attempt: 1 },
      ],
      [
        C.ClientRetry,
        {
          servicePath: 'Who',
          serviceMethod: 'Wait',
          serverAddress: first,
          attempt: 1,
          error: undefined,
        },
      ],
      [
        C.ClientPick,
        { servicePath: 'Who', serviceMethod: 'Wait', serverAddress: second, attempt: 2 },
      ],
    ]);
    expect(events.of(C.ClientCallEnd)).toEqual([
      [C.ClientCallEnd, expect.objectContaining({ serviceMethod: 'Wait', error: undefined })],
    ]);
  });

  test('a breaker that opens, lets a probe through and closes: every transition', async () => {
    useFakeClock();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { address } = await startServer('only', gate);
    const discovery = new MultipleServersDiscovery([{ key: address, metadata: '' }]);
    const who = xclient({
      discovery,
      failMode: FailMode.Failfast,
      breaker: { failureThreshold: 1, openMs: 1_000 },
    });
    // Connected first: the dial's own timer is not what this test moves.
    await expect(resolved(who.call('Id'), 'the first call')).resolves.toBe('only');
    const events = recording();

    // A timeout counts against the server: the breaker opens.
    const waiting = who.call('Wait', undefined, { timeoutMs: 50 });
    await settle(() => events.of(C.ClientPick).length === 1, 'the first pick');
    jest.advanceTimersByTime(50);
    expect((await rpcxRejectionOf(waiting)).code).toBe(ErrorCode.Timeout);
    // Open: the call fails at once, with no pick.
    expect((await rpcxRejectionOf(who.call('Id'))).code).toBe(ErrorCode.CircuitOpen);
    // After openMs one probe goes through; its success closes the breaker.
    jest.advanceTimersByTime(1_000);
    await expect(who.call('Id')).resolves.toBe('only');
    release();

    const breaker = (from: string, to: string) => [
      C.BreakerState,
      { serverAddress: address, from, to },
    ];
    expect(
      events
        .of(C.BreakerState, C.ClientPick, C.ClientCallError, C.ClientCallEnd)
        .map(([c, m]) =>
          c === C.BreakerState || c === C.ClientPick ? [c, m] : [c, m.serviceMethod],
        ),
    ).toEqual([
      [
        C.ClientPick,
        { servicePath: 'Who', serviceMethod: 'Wait', serverAddress: address, attempt: 1 },
      ],
      breaker('closed', 'open'),
      [C.ClientCallError, 'Wait'],
      [C.ClientCallError, 'Id'],
      breaker('open', 'half-open'),
      [
        C.ClientPick,
        { servicePath: 'Who', serviceMethod: 'Id', serverAddress: address, attempt: 1 },
      ],
      breaker('half-open', 'closed'),
      [C.ClientCallEnd, 'Id'],
    ]);
  });

  test('a discovery update: the servers calls may go to now', async () => {
    const a = (await startServer('a')).address;
    const b = (await startServer('b')).address;
    const discovery = new MultipleServersDiscovery([{ key: a, metadata: '' }]);
    const events = recording();
    const who = xclient({ discovery });
    discovery.update([
      { key: a, metadata: '' },
      { key: b, metadata: '' },
    ]);
    await settle(() => events.of(C.DiscoveryChange).length === 2, 'the update');
    // An inactive server is listed by discovery but not used.
    discovery.update([
      { key: a, metadata: 'state=inactive' },
      { key: b, metadata: '' },
    ]);
    await settle(() => events.of(C.DiscoveryChange).length === 3, 'the second update');
    expect(who.servers.map((s) => s.key)).toEqual([b]);
    expect(events.of(C.DiscoveryChange)).toEqual([
      [C.DiscoveryChange, { servicePath: 'Who', servers: [a] }],
      [C.DiscoveryChange, { servicePath: 'Who', servers: [a, b].sort() }],
      [C.DiscoveryChange, { servicePath: 'Who', servers: [b] }],
    ]);
  });
});

// -----------------------------------------------------------------------------------------------

describe('nobody listening', () => {
  test('nothing is built or published: each site reads its gate and goes on', async () => {
    const { address } = await startServer();
    const dead = await deadAddress();
    // Every channel reports no subscriber (whatever else this process subscribed), and counts
    // the reads of its gate and any publish.
    const reads = new Map<string, number>();
    let publishes = 0;
    const channels = Object.entries(diagnostics);
    for (const [name, channel] of channels) {
      Object.defineProperty(channel, 'hasSubscribers', {
        configurable: true,
        get: () => {
          reads.set(name, (reads.get(name) ?? 0) + 1);
          return false;
        },
      });
      Object.defineProperty(channel, 'publish', {
        configurable: true,
        value: () => {
          publishes++;
        },
      });
    }
    try {
      const arith = client(address);
      await expect(arith.call('Arith', 'Mul', { A: 2, B: 3 })).resolves.toEqual({ C: 6 });
      await rpcxRejectionOf(arith.call('Arith', 'Fail', {}));
      const discovery = new MultipleServersDiscovery([
        { key: address, metadata: '' },
        { key: dead, metadata: '' },
      ]);
      const who = xclient({
        discovery,
        selector: inTurn(dead, address),
        breaker: { failureThreshold: 1 },
      });
      await expect(who.call('Id')).resolves.toBe('a');
      await arith.close();
      await who.close();
      await settle(() => (reads.get('ConnectionClose') ?? 0) === 4, 'the closes');
    } finally {
      for (const [, channel] of channels) {
        delete (channel as { hasSubscribers?: boolean }).hasSubscribers;
        delete (channel as { publish?: unknown }).publish;
      }
    }
    expect(publishes).toBe(0);
    // One read per site: the call sites read the three channels of a call once per call, the
    // server once per request; the XClient's pick once per attempt, its retry and the breaker
    // (which opened on the dead server) once each.
    expect(Object.fromEntries(reads)).toEqual({
      ClientCallStart: 3,
      ClientCallEnd: 3,
      ClientCallError: 3,
      ClientPick: 2,
      ClientRetry: 1,
      BreakerState: 1,
      DiscoveryChange: 1,
      ServerRequestStart: 3,
      ServerRequestEnd: 3,
      ServerRequestError: 3,
      ConnectionOpen: 4,
      ConnectionClose: 4,
    });
  });

  test('a call begun while nobody listened publishes nothing, even when someone joins', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { server, address } = await startServer('a', gate);
    const arith = client(address);
    await arith.connect();
    const waiting = arith.call('Who', 'Wait', {});
    await settle(() => server.inFlight === 1, 'the request at the handler');
    // Someone joins while the call is under way: its start built no message, so its end has
    // nothing to publish, on either side.
    const events = recording();
    release();
    await expect(waiting).resolves.toBe('a');
    expect(events.events).toEqual([]);
    // The next call is seen whole.
    await arith.call('Who', 'Id', {});
    expect(events.events.map((e) => e.channel)).toEqual([
      C.ClientCallStart,
      C.ServerRequestStart,
      C.ServerRequestEnd,
      C.ClientCallEnd,
    ]);
  });
});

// -----------------------------------------------------------------------------------------------

describe('tracers', () => {
  class Lines implements Logger {
    readonly lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> =
      [];
    debug(message: string, fields?: Record<string, unknown>) {
      this.lines.push({ level: 'debug', message, fields });
    }
    info(message: string) {
      this.lines.push({ level: 'info', message });
    }
    warn(message: string) {
      this.lines.push({ level: 'warn', message });
    }
    error(message: string) {
      this.lines.push({ level: 'error', message });
    }
  }

  test('enabled tracers write their lines at debug; disabled or unnamed ones write nothing', async () => {
    const { address } = await startServer();
    const dead = await deadAddress();
    const logger = new Lines();
    const stop = enableTrace('client,server,retry,discovery', logger);
    try {
      const arith = client(address);
      await arith.connect();
      await arith.call('Arith', 'Mul', { A: 2, B: 3 }, { metadata: { __AUTH: 'secret' } });
      await rpcxRejectionOf(arith.call('Arith', 'Fail', {}));
      const discovery = new MultipleServersDiscovery([
        { key: address, metadata: '' },
        { key: dead, metadata: '' },
      ]);
      const who = xclient({ discovery, selector: inTurn(dead, address) });
      await who.call('Id');
    } finally {
      stop();
    }
    const ms = String.raw`\d+\.\d\d ms`;
    const remote = String.raw`127\.0\.0\.1:\d+`;
    const expected = [
      `rpcx client: Arith.Mul started`,
      `rpcx server: Arith.Mul from ${remote} started`,
      `rpcx server: Arith.Mul from ${remote} ok in ${ms}`,
      `rpcx client: Arith.Mul ok in ${ms}`,
      `rpcx client: Arith.Fail started`,
      `rpcx server: Arith.Fail from ${remote} started`,
      `rpcx server: Arith.Fail from ${remote} failed in ${ms}: boom`,
      `rpcx client: Arith.Fail failed in ${ms}: boom`,
      `rpcx discovery: Who has 2 servers: ${[address, dead].sort().join(', ')}`,
      `rpcx client: Who.Id started`,
      `rpcx client: Who.Id attempt 1 to ${dead}`,
      `rpcx retry: Who.Id attempt 1 on ${dead} failed: .*; trying again`,
      `rpcx client: Who.Id attempt 2 to ${address}`,
      `rpcx server: Who.Id from ${remote} started`,
      `rpcx server: Who.Id from ${remote} ok in ${ms}`,
      `rpcx client: Who.Id ok in ${ms}`,
    ];
    expect(logger.lines.map((line) => line.level)).toEqual(expected.map(() => 'debug'));
    for (const [i, line] of logger.lines.entries()) {
      expect(line.message).toMatch(new RegExp(`^${expected[i]}$`));
    }
    // Fields carry the details, never the metadata (it may hold the auth token).
    expect(logger.lines[3]!.fields).toEqual({
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      serverAddress: address,
      durationMs: anyNumber,
    });
    expect(logger.lines[7]!.fields).toMatchObject({ error: 'boom', code: 'service_error' });
    expect(JSON.stringify(logger.lines)).not.toContain('secret');

    // Stopped: nothing more, and the channels have no subscriber left.
    const before = logger.lines.length;
    await client(address).call('Arith', 'Mul', { A: 1, B: 1 });
    expect(logger.lines).toHaveLength(before);
    expect(diagnostics.ClientCallStart.hasSubscribers).toBe(false);
  });

  test('connection and breaker lines; `all,-client` leaves the client tracer out', async () => {
    const dead = await deadAddress();
    const { address } = await startServer();
    const logger = new Lines();
    const stop = enableTrace('all,-client,-server,-retry,-discovery', logger);
    try {
      const arith = client(address);
      await arith.call('Arith', 'Mul', { A: 2, B: 3 });
      await arith.close();
      await settle(() => logger.lines.length === 4, 'both sides open and closed');
      const who = xclient({
        discovery: new MultipleServersDiscovery([{ key: dead, metadata: '' }]),
        failMode: FailMode.Failfast,
        breaker: { failureThreshold: 1 },
      });
      await rpcxRejectionOf(who.call('Id'));
    } finally {
      stop();
    }
    const end = String.raw`127\.0\.0\.1:\d+`;
    const messages = logger.lines.map((line) => line.message);
    const open = (side: string) =>
      new RegExp(`^rpcx connection: ${side} connection #\\d+ ${end} <-> ${end} open$`);
    expect(messages.filter((m) => open('client').test(m))).toHaveLength(1);
    expect(messages.filter((m) => open('server').test(m))).toHaveLength(1);
    expect(messages).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^rpcx connection: client connection #\\d+ ${end} <-> ${end} closed: connection is shut down$`,
        ),
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        new RegExp(`^rpcx connection: server connection #\\d+ ${end} <-> ${end} closed$`),
      ),
    );
    expect(messages.slice(4)).toEqual([`rpcx breaker: ${dead} closed -> open`]);
  });
});

describe('RPCX_TRACE', () => {
  afterEach(stopAllProcesses);

  /** Runs trace-child.ts with `env`; resolves with its output once it is done. */
  async function run(env: Record<string, string>): Promise<string[]> {
    const child = await startProcess(join(__dirname, 'test-support', 'trace-child.ts'), [], {
      env,
      name: 'trace-child',
    });
    await child.exited;
    return child.output().stdout.trim().split('\n');
  }

  test('names the tracers of a process; the first logger configured gets their lines', async () => {
    const lines = await run({ RPCX_TRACE: 'client,server' });
    const remote = String.raw`127\.0\.0\.1:\d+`;
    const ms = String.raw`\d+\.\d\d ms`;
    // The server's logger came first: every line is its, at debug.
    expect(
      lines.filter((line) => line.includes('rpcx client:') || line.includes('rpcx server:')),
    ).toEqual([
      expect.stringMatching(/^server debug rpcx client: Arith\.Mul started$/),
      expect.stringMatching(
        new RegExp(`^server debug rpcx server: Arith\\.Mul from ${remote} started$`),
      ),
      expect.stringMatching(
        new RegExp(`^server debug rpcx server: Arith\\.Mul from ${remote} ok in ${ms}$`),
      ),
      expect.stringMatching(new RegExp(`^server debug rpcx client: Arith\\.Mul ok in ${ms}$`)),
    ]);
    expect(lines).toContain('READY done');
  });

  test('unset: no tracer line', async () => {
    const lines = await run({ RPCX_TRACE: '' });
    expect(lines.filter((line) => line.includes(' debug '))).toEqual([]);
    expect(lines).toContain('READY done');
  });
});
