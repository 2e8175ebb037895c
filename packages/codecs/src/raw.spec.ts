import { ErrorCode, isRpcxError, type RpcxError, SerializeType } from '@rpcx/core';
import { describeCodecContract } from '@rpcx/testing';
import fc from 'fast-check';
import { rawCodec } from './raw.js';

describeCodecContract('raw', rawCodec, {
  samples: [new Uint8Array(0), Uint8Array.of(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff)],
});

describe('rawCodec', () => {
  it('is serialize type 0 (None)', () => {
    expect(rawCodec.serializeType).toBe(SerializeType.None);
    expect(rawCodec.name).toBe('raw');
  });

  it('passes bytes through without copying, Buffers included', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    expect(rawCodec.encode(bytes)).toBe(bytes);
    expect(rawCodec.decode(bytes)).toBe(bytes);
    const buffer = Buffer.from('raw bytes');
    expect(rawCodec.encode(buffer)).toBe(buffer);
  });

  it('carries the payload of Go vector request-raw unchanged', () => {
    const payload = Buffer.from('00017f80feff726177206279746573', 'hex');
    expect(Buffer.from(rawCodec.encode(payload)).toString('hex')).toBe(
      '00017f80feff726177206279746573',
    );
  });

  it.each([
    ['a string', 'bytes', 'string'],
    ['a number', 7, 'number'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an array of numbers', [1, 2], 'array'],
    ['an ArrayBuffer', new ArrayBuffer(2), 'object ArrayBuffer'],
    ['another typed array', Uint16Array.of(1), 'object Uint16Array'],
  ])('refuses %s with RpcxError(codec) naming what it got', (_label, value, described) => {
    let error: unknown;
    try {
      rawCodec.encode(value as unknown as Uint8Array);
    } catch (e) {
      error = e;
    }
    expect(isRpcxError(error, ErrorCode.Codec)).toBe(true);
    expect((error as RpcxError).message).toContain('expected a Uint8Array');
    expect((error as RpcxError).message).toContain(`got ${described}`);
  });

  it('property: any bytes round-trip as the same object', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        expect(rawCodec.decode(rawCodec.encode(bytes))).toBe(bytes);
      }),
    );
  });
});
