/**
 * The interop cases seen from our client: the same cases refclient runs with Go's client, written
 * against @rpcx/client. `describeClientCases` declares them against any server implementing the
 * interop contract — the Go reference server, or ours.
 */
import { Client, type ClientOptions } from '@rpcx/client';
import {
  CompressType,
  ErrorCode,
  type Metadata,
  RpcxError,
  type RpcxMessage,
  SerializeType,
} from '@rpcx/core';
import { nextTurn, resolved, settle, useFakeClock } from '@rpcx/testing';
import { ArithArgs, ArithReply, EchoMessage, protobufCodec } from './reference-services.js';

export interface InteropTarget {
  address: string;
  /** The auth token the server wants, if it wants one. */
  token?: string;
  /** TLS options for the client. */
  tls?: ClientOptions['tls'];
  /** Heartbeats the server has seen, where the server can tell. */
  heartbeats?: () => number;
}

const MiB = 1024 * 1024;
/** An outcome not there yet. */
const PENDING = Symbol('pending');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Group {
  name: string;
  serializeType: number;
  compressType: number;
}

const groups: Group[] = [
  ['json', SerializeType.JSON],
  ['msgpack', SerializeType.MsgPack],
  ['protobuf', SerializeType.ProtoBuffer],
  ['raw', SerializeType.None],
].flatMap(([name, serializeType]) => [
  { name: name as string, serializeType: serializeType as number, compressType: CompressType.None },
  { name: `${name}+gzip`, serializeType: serializeType as number, compressType: CompressType.Gzip },
]);

async function expectRpcxError(promise: Promise<unknown>, code: string, message: string | RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcxError);
  expect((error as RpcxError).code).toBe(code);
  if (typeof message === 'string') expect((error as RpcxError).message).toBe(message);
  else expect((error as RpcxError).message).toMatch(message);
}

export function describeClientCases(getTarget: () => InteropTarget): void {
  const clients: Client[] = [];
  /** Every response the clients read, to check the compress flag of replies. */
  let responses: RpcxMessage[] = [];

  function client(options: Partial<ClientOptions> = {}): Client {
    const target = getTarget();
    const made = new Client({
      address: target.address,
      tls: target.tls,
      codecs: [protobufCodec],
      plugins: [{ postReadResponseBody: (message) => responses.push(message) }],
      ...options,
    });
    clients.push(made);
    return made;
  }

  /** Request metadata with the auth token, when the server wants one. */
  function meta(extra: Metadata = {}): Metadata {
    const token = getTarget().token;
    return token === undefined ? extra : { ...extra, __AUTH: token };
  }

  beforeEach(() => {
    responses = [];
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  describe.each(groups.map((g) => [g.name, g] as const))('%s', (_name, group) => {
    const options = () => ({
      serializeType: group.serializeType,
      compressType: group.compressType,
    });
    const isPB = group.serializeType === SerializeType.ProtoBuffer;
    const isRaw = group.serializeType === SerializeType.None;

    /** Calls Mul/Div in this group's codec and returns C. */
    async function arith(c: Client, method: 'Mul' | 'Div', a: number, b: number): Promise<number> {
      if (isPB) {
        const reply = await c.call<{ c: number }>(
          'ArithPB',
          method,
          { a, b },
          { metadata: meta(), argsType: ArithArgs, replyType: ArithReply },
        );
        return reply?.c ?? 0; // proto3 sends an all-default reply as zero bytes
      }
      return (await c.call<{ C: number }>('Arith', method, { A: a, B: b }, { metadata: meta() })).C;
    }

    /** Echoes `text` through this group's echo method. */
    async function echo(c: Client, text: string, metadata: Metadata = {}) {
      if (isRaw) {
        const result = await c.invoke<Uint8Array>('Raw', 'Echo', Buffer.from(text), {
          metadata: meta(metadata),
        });
        return { text: Buffer.from(result.reply).toString(), metadata: result.metadata };
      }
      if (isPB) {
        const result = await c.invoke<{ text: string }>(
          'ArithPB',
          'Echo',
          { text },
          { metadata: meta(metadata), argsType: EchoMessage, replyType: EchoMessage },
        );
        return { text: result.reply.text, metadata: result.metadata };
      }
      const result = await c.invoke<{ Text: string }>(
        'Echo',
        'Text',
        { Text: text },
        { metadata: meta(metadata) },
      );
      return { text: result.reply.Text, metadata: result.metadata };
    }

    if (!isRaw) {
      it('mul and div', async () => {
        const c = client(options());
        expect(await arith(c, 'Mul', 7, 6)).toBe(42);
        expect(await arith(c, 'Div', 17, 5)).toBe(3);
        expect(await arith(c, 'Div', -17, 5)).toBe(-3);
        expect(
          responses.every((r) => r.serializeType === group.serializeType && r.compressType === 0),
        ).toBe(true);
      });

      it('a service error, with the exact text', async () => {
        await expectRpcxError(
          arith(client(options()), 'Div', 1, 0),
          ErrorCode.ServiceError,
          'divide by zero',
        );
      });
    } else {
      it('echo', async () => {
        expect((await echo(client(options()), 'raw bytes')).text).toBe('raw bytes');
      });
    }

    it('a 1 MiB payload, compressed both ways under gzip', async () => {
      const text = 'rpcx '.repeat(MiB / 5);
      const result = await echo(client(options()), text);
      expect(result.text).toBe(text);
      expect(responses.at(-1)?.compressType).toBe(group.compressType);
    });

    it('metadata both ways', async () => {
      const result = await echo(client(options()), 'meta', { k1: 'v1', ключ: 'значение' });
      expect(result.metadata['echo-k1']).toBe('v1');
      expect(result.metadata['echo-ключ']).toBe('значение');
      expect(Object.keys(result.metadata).filter((k) => k.startsWith('echo-__'))).toEqual([]);
    });
  });

  it('oneway: the server runs it and answers nothing', async () => {
    const c = client();
    const text = `note ${Math.random()}`;
    await c.send('Oneway', 'Notify', { Text: text }, { metadata: meta() });
    let last = '';
    for (let i = 0; i < 40 && last !== text; i++) {
      last = (await c.call<{ Text: string }>('Oneway', 'Last', { Text: '' }, { metadata: meta() }))
        .Text;
      if (last !== text) await sleep(50);
    }
    expect(last).toBe(text);
    expect(responses.filter((r) => r.serviceMethod === 'Notify')).toEqual([]);
  });

  it('heartbeats keep the connection and reach the server', async () => {
    const target = getTarget();
    const before = target.heartbeats?.() ?? 0;
    const c = client({ heartbeat: { intervalMs: 100, maxWaitMs: 1000 } });
    const closes: unknown[] = [];
    c.onClose((reason) => closes.push(reason));
    // Our clock is driven (the Go peer keeps its own): four intervals, each beat echoed.
    useFakeClock();
    try {
      await c.call('Arith', 'Mul', { A: 1, B: 1 }, { metadata: meta() });
      for (let beat = 1; beat <= 4; beat++) {
        jest.advanceTimersByTime(100);
        await settle(
          () => responses.filter((r) => r.heartbeat).length >= beat,
          `the echo of heartbeat ${beat}`,
        );
      }
      expect(await c.call('Arith', 'Mul', { A: 2, B: 3 }, { metadata: meta() })).toEqual({ C: 6 });
    } finally {
      jest.useRealTimers();
    }
    expect(closes).toEqual([]);
    expect(responses.filter((r) => r.heartbeat)).toHaveLength(4);
    if (target.heartbeats) expect(target.heartbeats() - before).toBeGreaterThanOrEqual(4);
  });

  it('auth: the right token passes, a wrong one is refused and the connection closed', async () => {
    const token = getTarget().token;
    if (token === undefined) return; // this target has no auth; the suite with auth covers it
    const good = client();
    expect(
      await good.call('Arith', 'Mul', { A: 2, B: 2 }, { metadata: { __AUTH: token } }),
    ).toEqual({ C: 4 });
    const bad = client();
    const closed = new Promise((resolve) => bad.onClose(resolve));
    await expectRpcxError(
      bad.call('Arith', 'Mul', { A: 2, B: 2 }, { metadata: { __AUTH: 'wrong' } }),
      ErrorCode.ServiceError,
      'invalid token',
    );
    await closed;
  });

  it('timeout: the caller gives up on time', async () => {
    const c = client();
    await c.connect();
    // Our clock is driven; the Go peer's is real and may end the call first with its own
    // deadline (300 ms of __ServerTimeout): either report is right, never a late success.
    useFakeClock();
    try {
      let outcome: unknown = PENDING;
      const call = c.call('Slow', 'Sleep', { Ms: 5000 }, { metadata: meta(), timeoutMs: 300 }).then(
        (reply) => {
          outcome = reply;
        },
        (error: unknown) => {
          outcome = error;
        },
      );
      jest.advanceTimersByTime(299);
      await nextTurn();
      const serverFirst = outcome !== PENDING;
      if (!serverFirst) jest.advanceTimersByTime(1);
      await resolved(call, 'the call to end');
      expect(outcome).toBeInstanceOf(RpcxError);
      const { code, message } = outcome as RpcxError;
      if (serverFirst) {
        expect(code).toBe(ErrorCode.ServiceError);
        expect(message).toMatch(/deadline exceeded/);
      } else {
        expect(
          code === ErrorCode.Timeout ||
            (code === ErrorCode.ServiceError && /deadline exceeded/.test(message)),
        ).toBe(true);
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it('timeout: the deadline reaches the server as __ServerTimeout', async () => {
    const reply = await client().call<{ Slept: boolean; DeadlineMs: number }>(
      'Slow',
      'Sleep',
      { Ms: 1 },
      { metadata: meta(), timeoutMs: 5000 },
    );
    expect(reply.Slept).toBe(true);
    expect(reply.DeadlineMs).toBeGreaterThan(3000);
    expect(reply.DeadlineMs).toBeLessThanOrEqual(5000);
  });

  it('server push: every message, in order, before the reply', async () => {
    const c = client();
    const pushes: RpcxMessage[] = [];
    c.onPush((message) => pushes.push(message));
    const reply = await c.call<{ C: number }>(
      'Push',
      'Subscribe',
      { Count: 3, Text: 'hello push' },
      { metadata: meta() },
    );
    expect(reply.C).toBe(3);
    expect(
      pushes.map((p) => ({
        path: p.servicePath,
        method: p.serviceMethod,
        serializeType: p.serializeType,
        oneway: p.oneway,
        text: Buffer.from(p.payload).toString(),
        metadata: { ...p.metadata },
      })),
    ).toEqual(
      [0, 1, 2].map((i) => ({
        path: 'Push',
        method: 'Event',
        serializeType: 0,
        oneway: true,
        text: 'hello push',
        metadata: { i: String(i) },
      })),
    );
  });

  it("Go's errors for an unknown service and method", async () => {
    const c = client();
    await expectRpcxError(
      c.call('Nope', 'Mul', { A: 1, B: 1 }, { metadata: meta() }),
      ErrorCode.ServiceError,
      "rpcx: can't find service Nope",
    );
    await expectRpcxError(
      c.call('Arith', 'Nope', { A: 1, B: 1 }, { metadata: meta() }),
      ErrorCode.ServiceError,
      "rpcx: can't find method Nope",
    );
  });
}
