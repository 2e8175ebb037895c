import { ErrorCode, isRpcxError, type RpcxError } from '@rpcx/core';
import { encodeMessage } from '@rpcx/protocol';
import { Client } from './client.js';
import { heartbeatMessage, heartbeatPayload } from './heartbeat.js';
import { TestServer, until } from './test-support/test-server.js';

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

  beforeEach(async () => {
    server = await TestServer.start();
  });

  afterEach(async () => {
    await server.close();
  });

  it('are off by default', async () => {
    const client = new Client({ address: server.address });
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(server.requests).toHaveLength(0);
    await client.close();
  });

  it('are sent every intervalMs in Go’s exact bytes, taking seqs from the call counter', async () => {
    const client = new Client({ address: server.address, heartbeat: { intervalMs: 25 } });
    try {
      const before = BigInt(Date.now()) * 1_000_000n;
      await client.call('Arith', 'Mul', { A: 1, B: 1 });
      await until(() => server.requests.length >= 3);
      const after = BigInt(Date.now()) * 1_000_000n;
      const frame = server.frames[1]!;
      expect(frame.subarray(0, 4)).toEqual(hex('08 00 40 30'));
      expect(frame.readBigUInt64BE(4)).toBe(1n); // the call took seq 0
      expect(frame.subarray(12)).toEqual(
        Buffer.concat([hex('00000019 00000000 00000000 00000000 00000009 d3'), frame.subarray(33)]),
      );
      expect(frame).toHaveLength(41);
      const sentAt = frame.readBigInt64BE(33);
      expect(sentAt >= before && sentAt <= after).toBe(true);
      expect(server.requests[2]!.seq).toBe(2n);
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
      const started = Date.now();
      let failure: unknown;
      try {
        await client.call('Echo', 'Silent', {});
      } catch (error) {
        failure = error;
      }
      expect(isRpcxError(failure, ErrorCode.Unavailable)).toBe(true);
      expect((failure as RpcxError).message).toBe(
        `connection to ${client.address} closed: heartbeat: no answer within 60 ms`,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
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
