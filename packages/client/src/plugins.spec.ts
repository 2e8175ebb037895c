import {
  type ClientPlugin,
  ErrorCode,
  isRpcxError,
  type Logger,
  RpcxError,
  type RpcxMessage,
} from '@rpcx/core';
import { settle, useFakeClock } from '@rpcx/testing';
import { Client } from './client.js';
import { TestServer, until } from './test-support/test-server.js';

/** A plugin implementing every hook, recording each call (and a detail) in `events`. */
function recorder(events: string[]): ClientPlugin {
  const describe = (message: RpcxMessage) =>
    `${message.servicePath}.${message.serviceMethod}#${message.seq}`;
  return {
    name: 'recorder',
    preCall: (call, args) =>
      void events.push(`preCall ${call.servicePath}.${call.serviceMethod} ${JSON.stringify(args)}`),
    postCall: (call, _args, reply, error) =>
      void events.push(
        `postCall ${call.serviceMethod} ${error ? `error=${error.message}` : JSON.stringify(reply)} conn=${call.connection !== undefined}`,
      ),
    connCreated: (conn) => void events.push(`connCreated ${conn.remoteAddress}`),
    connCreateFailed: (address) => void events.push(`connCreateFailed ${address}`),
    clientConnected: () => void events.push('clientConnected'),
    clientConnectionClose: (_conn, reason) =>
      void events.push(`clientConnectionClose ${reason?.message}`),
    clientBeforeEncode: (message) => {
      events.push(`clientBeforeEncode ${describe(message)}`);
      if (!message.heartbeat) message.metadata.added = 'by plugin';
    },
    preWriteRequest: (message) => void events.push(`preWriteRequest ${describe(message)}`),
    postWriteRequest: (message, error) =>
      void events.push(`postWriteRequest ${describe(message)} ${error ?? 'ok'}`),
    preReadResponseHeader: () => void events.push('preReadResponseHeader'),
    postReadResponseHeader: (header) =>
      void events.push(`postReadResponseHeader ${Buffer.from(header).toString('hex')}`),
    preReadResponseBody: (header) => void events.push(`preReadResponseBody ${header.length}`),
    postReadResponseBody: (message) =>
      void events.push(`postReadResponseBody ${describe(message)}`),
    clientAfterDecode: (message) => void events.push(`clientAfterDecode ${describe(message)}`),
  };
}

describe('client plugins', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    await server.close();
  });

  it('fire every hook, in order', async () => {
    const events: string[] = [];
    const client = new Client({ address: server.address, plugins: [recorder(events)] });
    await expect(client.call('Arith', 'Mul', { A: 2, B: 3 })).resolves.toEqual({ C: 6 });
    await client.close();
    expect(events).toEqual([
      'preCall Arith.Mul {"A":2,"B":3}',
      expect.stringMatching(/^connCreated 127\.0\.0\.1:\d+$/),
      'clientConnected',
      'clientBeforeEncode Arith.Mul#0',
      'preWriteRequest Arith.Mul#0',
      'postWriteRequest Arith.Mul#0 ok',
      'preReadResponseHeader',
      'postReadResponseHeader 080080300000000000000000',
      'preReadResponseBody 12',
      'postReadResponseBody Arith.Mul#0',
      'clientAfterDecode Arith.Mul#0',
      'postCall Mul {"C":6} conn=true',
      'clientConnectionClose connection is shut down',
    ]);
    // What clientBeforeEncode changed went on the wire.
    expect(server.calls[0]!.metadata.added).toBe('by plugin');
  });

  it('see heartbeats and pushes on the frame level, and report failed dials', async () => {
    const events: string[] = [];
    const client = new Client({
      address: server.address,
      plugins: [recorder(events)],
      heartbeat: { intervalMs: 20 },
    });
    useFakeClock();
    try {
      await client.connect();
      expect(events).not.toContain('preWriteRequest .#0');
      jest.advanceTimersByTime(20); // the first heartbeat is due
      await settle(() => events.includes('clientAfterDecode .#0'), 'the heartbeat echo');
      server.lastConnection.push('Notify', 'Event', Buffer.from('x'));
      await settle(() => events.includes('clientAfterDecode Notify.Event#1'), 'the push');
    } finally {
      jest.useRealTimers();
      await client.close();
    }
    expect(events).toContain('preWriteRequest .#0');

    const port = Number(server.address.split(':').at(-1));
    await server.close();
    const failing = new Client({ address: `tcp@127.0.0.1:${port}`, plugins: [recorder(events)] });
    await expect(failing.call('Arith', 'Mul', {})).rejects.toThrow(/ECONNREFUSED/);
    expect(events.at(-2)).toBe(`connCreateFailed tcp@127.0.0.1:${port}`);
    expect(events.at(-1)).toMatch(/^postCall Mul error=dial tcp@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    await failing.close();
  });

  it('let a throwing preCall fail the call before anything is sent', async () => {
    const client = new Client({
      address: server.address,
      plugins: [
        {
          name: 'auth',
          preCall: () => {
            throw new RpcxError(ErrorCode.Unauthenticated, 'no token');
          },
        },
        { name: 'other', preCall: () => Promise.reject(new Error('never reached')) },
      ],
    });
    await expect(client.call('Arith', 'Mul', {})).rejects.toThrow('no token');
    const plain = new Client({
      address: server.address,
      plugins: [{ name: 'broken', preCall: () => Promise.reject(new Error('oops')) }],
    });
    const error = await plain.call('Arith', 'Mul', {}).catch((thrown: unknown) => thrown);
    expect(isRpcxError(error, ErrorCode.Internal)).toBe(true);
    expect((error as Error).message).toBe('plugin broken preCall: oops');
    expect(server.requests).toHaveLength(0);
    await client.close();
    await plain.close();
  });

  it('let a throwing postCall replace the outcome', async () => {
    const client = new Client({
      address: server.address,
      plugins: [
        {
          postCall: (_call, _args, reply) => {
            if ((reply as { C: number }).C > 10) {
              throw new RpcxError(ErrorCode.InvalidArgument, 'too big');
            }
          },
        },
      ],
    });
    await expect(client.call('Arith', 'Mul', { A: 2, B: 2 })).resolves.toEqual({ C: 4 });
    await expect(client.call('Arith', 'Mul', { A: 5, B: 5 })).rejects.toThrow('too big');
    await client.close();
  });

  it('log and ignore errors of the hooks Go ignores', async () => {
    const warnings: string[] = [];
    const ignore = () => {};
    const logger: Logger = {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (m) => warnings.push(m),
    };
    const boom = () => {
      throw new Error('boom');
    };
    const client = new Client({
      address: server.address,
      logger,
      plugins: [
        {
          name: 'noisy',
          clientBeforeEncode: boom,
          preWriteRequest: boom,
          postWriteRequest: boom,
          preReadResponseHeader: boom,
          postReadResponseHeader: boom,
          preReadResponseBody: boom,
          postReadResponseBody: boom,
          clientAfterDecode: boom,
          clientConnected: boom,
          clientConnectionClose: boom,
        },
      ],
    });
    await expect(client.call('Arith', 'Mul', { A: 3, B: 4 })).resolves.toEqual({ C: 12 });
    await client.close();
    await until(() => warnings.length === 10);
    expect(warnings).toContain('rpcx client: plugin noisy failed in clientBeforeEncode');
    expect(warnings).toContain('rpcx client: plugin noisy failed in clientConnectionClose');
  });
});
