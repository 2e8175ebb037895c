import { ErrorCode, isRpcxError, type RpcxError } from '@rpcx/core';
import { encodeMessage } from '@rpcx/protocol';
import { nextTurn, resolved, settle, useFakeClock } from '@rpcx/testing';
import { Client } from './client.js';
import { heartbeatMessage, heartbeatPayload } from './heartbeat.js';
import { TestServer } from './test-support/test-server.js';

const hex = (dump: string) => Buffer.from(dump.replace(/\s+/g, ''), 'hex');

describe('heartbeat frames', () => {
  it('carry the Unix time in ns as a msgpack int64, written by hand', () => {
    expect(heartbeatPayload(1_700_000_000_000_000_000n)).toEqual(hex('d3 17 97 9c fe 36 2a 00 00'));
  });

  it('are byte for byte the frame of spec example 3', () => {
    const message = heartbeatMessage(1_700_000_000_000_000_000n);
    message.seqNumber = 7;
    expect(encodeMessage(message)).toEqual(
      hex(`08 00 40 30 00 00 00 00 00 00 00 07 00 00 00 19
           00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 09
           d3 17 97 9c fe 36 2a 00 00`),
    );
  });
});

describe('heartbeats', () => {
  let server: TestServer;

  // The heartbeat's interval and its deadline run on fake timers the tests drive; sockets are real.
  beforeEach(async () => {
    server = await TestServer.start();
    useFakeClock();
  });

  afterEach(async () => {
    jest.useRealTimers();
    await server.close();
  });

  it('are off by default', async () => {
    const client = new Client({ address: server.address });
    try {
      await client.connect();
      jest.advanceTimersByTime(10 * 60_000);
      // A call after the quiet time: the server gets it, on the same connection, and nothing
      // before it.
      await client.call('Arith', 'Mul', { A: 1, B: 1 });
      expect(server.connections).toHaveLength(1);
      expect(server.requests.map((request) => request.heartbeat)).toEqual([false]);
    } finally {
      await client.close();
    }
  });

  it('are sent every intervalMs in Go’s exact bytes, taking seqs from the call counter', async () => {
    const client = new Client({ address: server.address, heartbeat: { intervalMs: 25 } });
    try {
      await client.call('Arith', 'Mul', { A: 1, B: 1 });
      const connectedAt = Date.now(); // fake: it moves only when the test says so
      jest.advanceTimersByTime(24);
      expect(client.pendingCalls).toBe(0);
      jest.advanceTimersByTime(1); // the first beat goes out, 25 ms after connecting
      expect(client.pendingCalls).toBe(1);
      await settle(() => server.requests.length === 2 && client.pendingCalls === 0, 'the echo');
      jest.advanceTimersByTime(24);
      expect(client.pendingCalls).toBe(0);
      jest.advanceTimersByTime(1);
      await settle(() => server.requests.length === 3 && client.pendingCalls === 0, 'the echo');

      const frame = server.frames[1]!;
      expect(frame.subarray(0, 4)).toEqual(hex('08 00 40 30'));
      expect(frame.readBigUInt64BE(4)).toBe(1n); // the call took seq 0
      expect(frame.subarray(12)).toEqual(
        Buffer.concat([hex('00000019 00000000 00000000 00000000 00000009 d3'), frame.subarray(33)]),
      );
      expect(frame).toHaveLength(41);
      // The Unix time in ns when it was sent.
      expect(frame.readBigInt64BE(33)).toBe(BigInt(connectedAt + 25) * 1_000_000n);
      expect(server.requests[2]!.seq).toBe(2n);
      expect(server.frames[2]!.readBigInt64BE(33)).toBe(BigInt(connectedAt + 50) * 1_000_000n);
      // Echoed: the connection stays up and works.
      expect(client.connected).toBe(true);
      await expect(client.call('Arith', 'Mul', { A: 2, B: 3 })).resolves.toEqual({ C: 6 });
    } finally {
      await client.close();
    }
  });

  it('detect a silent peer: the connection closes and pending calls fail', async () => {
    server.heartbeats = 'silent';
    const client = new Client({
      address: server.address,
      heartbeat: { intervalMs: 20, maxWaitMs: 60 },
    });
    try {
      const closed = new Promise<RpcxError>((resolve) => client.onClose(resolve));
      let failure: unknown;
      const call = client.call('Echo', 'Silent', {}).catch((error: unknown) => {
        failure = error;
      });
      await settle(() => server.calls.length === 1, 'the call to reach the server');
      jest.advanceTimersByTime(20); // the beat that is never answered
      await settle(() => server.requests.length === 2, 'the heartbeat to reach the server');
      // Beats are not stacked while one is out; the connection lives until maxWaitMs has passed.
      jest.advanceTimersByTime(59);
      await nextTurn();
      expect(failure).toBeUndefined();
      expect(client.connected).toBe(true);
      expect(server.requests).toHaveLength(2);
      jest.advanceTimersByTime(1); // no more fake time passes from here on
      await resolved(call, 'the call to fail');
      expect(client.connected).toBe(false);
      expect(isRpcxError(failure, ErrorCode.Unavailable)).toBe(true);
      expect((failure as RpcxError).message).toBe(
        `connection to ${client.address} closed: heartbeat: no answer within 60 ms`,
      );
      expect((await closed).message).toBe((failure as RpcxError).message);

      // A peer that answers again is reconnected to on the next call.
      server.heartbeats = 'echo';
      await expect(client.call('Arith', 'Mul', { A: 4, B: 4 })).resolves.toEqual({ C: 16 });
      expect(server.connections).toHaveLength(2);
    } finally {
      await client.close();
    }
  });
});
