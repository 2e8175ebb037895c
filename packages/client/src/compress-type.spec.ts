/**
 * The compress type a caller asks for (spec §1.7): checked for every call whatever the payload's
 * size — a bad type used to pass for payloads under the 1024-byte threshold and fail only for
 * larger ones — and Go's 1024-byte rule for what is really compressed.
 */

import { gunzipSync } from 'node:zlib';
import { CompressType, ErrorCode, SerializeType } from '@rpcx/core';
import { rpcxErrorOf, rpcxRejectionOf } from '@rpcx/testing';
import { Client } from './client.js';
import { TestServer } from './test-support/test-server.js';

const raw = { serializeType: SerializeType.None };
const SMALL = Buffer.alloc(10, 's');
const LARGE = Buffer.alloc(2000, 'l');

describe('compressType checks', () => {
  let server: TestServer;
  let client: Client;

  beforeEach(async () => {
    server = await TestServer.start();
    client = new Client({ address: server.address });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('per call, compressType 9 fails with invalid_argument for small and large payloads alike', async () => {
    const small = await rpcxRejectionOf(
      client.call('Echo', 'Echo', SMALL, { ...raw, compressType: 9 }),
    );
    const large = await rpcxRejectionOf(
      client.call('Echo', 'Echo', LARGE, { ...raw, compressType: 9 }),
    );
    for (const error of [small, large]) {
      expect(error.code).toBe(ErrorCode.InvalidArgument);
      expect(error.message).toContain('compressType must be an integer in 0..7, got 9');
    }
    expect(small.message).toBe(large.message);
    // Nothing was sent, and the client still works.
    expect(server.calls).toHaveLength(0);
    expect(Buffer.from(await client.call<Uint8Array>('Echo', 'Echo', SMALL, raw))).toEqual(SMALL);
    expect(server.calls).toHaveLength(1);
  });

  it.each([-1, 1.5, 8, Number.NaN])(
    'per call, compressType %p fails with invalid_argument for a small payload too',
    async (compressType) => {
      const error = await rpcxRejectionOf(
        client.call('Echo', 'Echo', SMALL, { ...raw, compressType }),
      );
      expect(error.code).toBe(ErrorCode.InvalidArgument);
      expect(error.message).toContain('compressType must be an integer in 0..7');
      expect(server.calls).toHaveLength(0);
    },
  );

  it('per call, compressType 5 (no compressor registered) fails with codec "unsupported compressor" for small and large payloads alike', async () => {
    const small = await rpcxRejectionOf(
      client.call('Echo', 'Echo', SMALL, { ...raw, compressType: 5 }),
    );
    const large = await rpcxRejectionOf(
      client.call('Echo', 'Echo', LARGE, { ...raw, compressType: 5 }),
    );
    for (const error of [small, large]) {
      expect(error.code).toBe(ErrorCode.Codec);
      expect(error.message).toContain('unsupported compressor');
      expect(error.message).toContain('5');
    }
    expect(small.message).toBe(large.message);
    expect(server.calls).toHaveLength(0);
  });

  it('a client constructed with compressType 9 throws at construction, one with 5 too', () => {
    const nine = rpcxErrorOf(() => new Client({ address: server.address, compressType: 9 }));
    expect(nine.code).toBe(ErrorCode.InvalidArgument);
    expect(nine.message).toContain('compressType must be an integer in 0..7, got 9');

    const five = rpcxErrorOf(() => new Client({ address: server.address, compressType: 5 }));
    expect(five.code).toBe(ErrorCode.Codec);
    expect(five.message).toContain('unsupported compressor');
  });

  it('a compressor registered for type 5 makes compressType 5 valid', async () => {
    const reversed = {
      compressType: 5,
      name: 'reverse',
      compress: (bytes: Uint8Array) => Buffer.from(bytes).reverse(),
      decompress: async (bytes: Uint8Array) => Buffer.from(bytes).reverse(),
    };
    const custom = new Client({ address: server.address, compressors: [reversed] });
    try {
      // 10 bytes go uncompressed (Go's rule), so the test server, which has no type 5, is fine.
      expect(
        Buffer.from(
          await custom.call<Uint8Array>('Echo', 'Echo', SMALL, { ...raw, compressType: 5 }),
        ),
      ).toEqual(SMALL);
      expect(server.calls[0]!.compressType).toBe(CompressType.None);
    } finally {
      await custom.close();
    }
  });

  it('gzip: a 2000-byte payload goes compressed, a 10-byte one uncompressed', async () => {
    const gzip = { ...raw, compressType: CompressType.Gzip };
    expect(Buffer.from(await client.call<Uint8Array>('Echo', 'Echo', LARGE, gzip))).toEqual(LARGE);
    expect(Buffer.from(await client.call<Uint8Array>('Echo', 'Echo', SMALL, gzip))).toEqual(SMALL);

    const [large, small] = server.calls;
    expect(large!.compressType).toBe(CompressType.Gzip);
    expect(Buffer.from(large!.payload)).toEqual(LARGE); // decoded (inflated) by the server
    expect(small!.compressType).toBe(CompressType.None);
    expect(Buffer.from(small!.payload)).toEqual(SMALL);

    // On the wire: the large one's byte 2 says gzip and its payload is a gzip stream of it.
    const [largeFrame, smallFrame] = server.frames;
    expect(largeFrame![2]! & 0x1c).toBe(CompressType.Gzip << 2);
    expect(largeFrame!.length).toBeLessThan(LARGE.length);
    const gzipStart = largeFrame!.indexOf(Buffer.from([0x1f, 0x8b, 0x08]));
    expect(gzipStart).toBeGreaterThan(16);
    expect(largeFrame!.readUInt32BE(gzipStart - 4)).toBe(largeFrame!.length - gzipStart);
    expect(gunzipSync(largeFrame!.subarray(gzipStart))).toEqual(LARGE);
    // The small one's byte 2 says none, and its 10 bytes are the last of the frame as they are.
    expect(smallFrame![2]! & 0x1c).toBe(0);
    expect(smallFrame!.subarray(smallFrame!.length - SMALL.length)).toEqual(SMALL);
    expect(smallFrame!.readUInt32BE(smallFrame!.length - SMALL.length - 4)).toBe(SMALL.length);
  });

  it('a client-wide gzip setting follows the same rule, and a per-call 0 turns it off', async () => {
    const gzipClient = new Client({ address: server.address, compressType: CompressType.Gzip });
    try {
      await gzipClient.call('Echo', 'Echo', LARGE, raw);
      await gzipClient.call('Echo', 'Echo', SMALL, raw);
      await gzipClient.call('Echo', 'Echo', LARGE, { ...raw, compressType: CompressType.None });
      expect(server.calls.map((request) => request.compressType)).toEqual([
        CompressType.Gzip,
        CompressType.None,
        CompressType.None,
      ]);
      // A bad per-call type fails on a gzip client too, small payload or not.
      const error = await rpcxRejectionOf(
        gzipClient.call('Echo', 'Echo', SMALL, { ...raw, compressType: 9 }),
      );
      expect(error.code).toBe(ErrorCode.InvalidArgument);
      expect(server.calls).toHaveLength(3);
    } finally {
      await gzipClient.close();
    }
  });
});
