/// <reference types="jest" />
/**
 * The contract every codec passes, declared as jest tests. Call it at the top level of a spec:
 *
 *   describeCodecContract('msgpack', msgpackCodec, { samples: [{ A: 10, B: 20 }, null] });
 *
 * Samples must survive encode → decode unchanged (jest `toEqual`), so pick values the codec
 * represents exactly (for JSON no bytes, for msgpack no safe-range bigint, for protobuf message
 * instances).
 */
import { type Codec, ErrorCode, isRpcxError } from '@rpcx/core';

export interface CodecContractOptions<T> {
  /** Values that round-trip unchanged. At least one. */
  samples: readonly T[];
  /** Passed to every encode and decode, for codecs that need a type (protobuf). */
  typeHint?: unknown;
}

/** Values no codec is expected to encode; each must encode or fail with `RpcxError(Codec)`. */
function oddValues(): unknown[] {
  const cyclic: Record<string, unknown> = { name: 'cyclic' };
  cyclic.self = cyclic;
  return [
    undefined,
    Symbol('odd'),
    () => 0,
    2n ** 70n,
    Number.NaN,
    cyclic,
    new Map([[1, 2]]),
    'text',
    42,
  ];
}

/** Bytes a peer (or an attacker) might send: empty, every single byte, cut and flipped samples, noise. */
function garbage(encodedSamples: readonly Uint8Array[]): Uint8Array[] {
  const inputs: Uint8Array[] = [new Uint8Array(0)];
  for (let b = 0; b < 256; b++) inputs.push(Uint8Array.of(b));
  for (const encoded of encodedSamples) {
    for (let end = 0; end < encoded.length; end++) inputs.push(encoded.subarray(0, end));
    for (let i = 0; i < encoded.length; i++) {
      const flipped = Uint8Array.from(encoded);
      flipped[i] = (flipped[i] ?? 0) ^ 0xff;
      inputs.push(flipped);
    }
    inputs.push(Uint8Array.from([...encoded, 0x00]));
  }
  // Deterministic noise (xorshift32), so a failure reproduces.
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let n = 0; n < 300; n++) {
    const bytes = new Uint8Array(next() % 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
    inputs.push(bytes);
  }
  return inputs;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A failure other than `RpcxError(Codec)`, described; `undefined` when `run` passed the rule. */
function offRule(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (isRpcxError(error, ErrorCode.Codec)) return undefined;
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

export function describeCodecContract<T>(
  name: string,
  codec: Codec<T>,
  options: CodecContractOptions<T>,
): void {
  const { samples, typeHint } = options;
  const encode = (value: T): Uint8Array => codec.encode(value, typeHint);
  const decode = (bytes: Uint8Array): T => codec.decode(bytes, typeHint);

  describe(`codec contract: ${name}`, () => {
    it('has samples to check', () => {
      expect(samples.length).toBeGreaterThan(0);
    });

    it('declares a serialize type that fits the header (integer 0..15)', () => {
      expect(Number.isInteger(codec.serializeType)).toBe(true);
      expect(codec.serializeType).toBeGreaterThanOrEqual(0);
      expect(codec.serializeType).toBeLessThanOrEqual(15);
    });

    it('has a name', () => {
      expect(typeof codec.name).toBe('string');
      expect(codec.name.length).toBeGreaterThan(0);
    });

    samples.forEach((sample, index) => {
      it(`encodes sample ${index} to a Uint8Array and decodes it back unchanged`, () => {
        const bytes = encode(sample);
        // By internal slot, not instanceof: Buffers may come from another realm under jest.
        expect(ArrayBuffer.isView(bytes)).toBe(true);
        expect(Object.prototype.toString.call(bytes)).toBe('[object Uint8Array]');
        expect(decode(bytes)).toEqual(sample);
      });
    });

    it('decodes garbage or fails with RpcxError(codec), never another exception', () => {
      const failures: string[] = [];
      for (const bytes of garbage(samples.map(encode))) {
        const problem = offRule(() => decode(bytes));
        if (problem !== undefined) failures.push(`[${hex(bytes)}] → ${problem}`);
      }
      expect(failures).toEqual([]);
    });

    it('encodes odd values or fails with RpcxError(codec), never another exception', () => {
      const failures: string[] = [];
      for (const value of oddValues()) {
        const problem = offRule(() => encode(value as T));
        if (problem !== undefined) failures.push(`${String(value)} → ${problem}`);
      }
      expect(failures).toEqual([]);
    });
  });
}
