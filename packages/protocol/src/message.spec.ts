/**
 * The 12-byte header (spec §1.2): the layout declared in header.ts and the accessors `Message`
 * offers over it. Expected bytes are computed here from the spec's masks, not from header.ts.
 */
import { ErrorCode, MessageType } from '@rpcx/core';
import { rpcxErrorOf } from '@rpcx/testing';
import fc from 'fast-check';
import { CompressorRegistry } from './compressor-registry.js';
import { encodeMessage } from './encode.js';
import {
  compressTypeOf,
  FRAME_PREFIX_LENGTH,
  HEADER_LENGTH,
  HeaderFlag,
  HeaderMax,
  isServerPush,
  MAGIC_NUMBER,
  RESERVED_MASK,
  SERIALIZE_SHIFT,
  withCompressType,
} from './header.js';
import { Message } from './message.js';
import { type HeaderFields, messageOf } from './test-support/messages.js';

const headerFieldsArbitrary: fc.Arbitrary<HeaderFields> = fc.record({
  version: fc.integer({ min: 0, max: 255 }),
  messageType: fc.constantFrom(MessageType.Request, MessageType.Response),
  heartbeat: fc.boolean(),
  oneway: fc.boolean(),
  compressType: fc.integer({ min: 0, max: 7 }),
  statusType: fc.integer({ min: 0, max: 3 }),
  serializeType: fc.integer({ min: 0, max: 15 }),
  reserved: fc.integer({ min: 0, max: 15 }),
  seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
});

/** A compressor that changes nothing for every compress type, so that any type can be encoded. */
const passThrough = new CompressorRegistry(
  [1, 2, 3, 4, 5, 6, 7].map((compressType) => ({
    compressType,
    name: `pass-through ${compressType}`,
    compress: (bytes: Uint8Array) => bytes,
    decompress: async (bytes: Uint8Array) => bytes,
  })),
);

function headerFieldsOf(message: Message): HeaderFields {
  const { version, messageType, heartbeat, oneway, compressType } = message;
  const { statusType, serializeType, reserved, seq } = message;
  return {
    version,
    messageType,
    heartbeat,
    oneway,
    compressType,
    statusType,
    serializeType,
    reserved,
    seq,
  };
}

/** The header bytes of spec §1.2 for `fields`, from the spec's own masks. */
function specHeader(fields: HeaderFields): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x08;
  header[1] = fields.version;
  header[2] =
    (fields.messageType === MessageType.Response ? 0x80 : 0) |
    (fields.heartbeat ? 0x40 : 0) |
    (fields.oneway ? 0x20 : 0) |
    ((fields.compressType << 2) & 0x1c) |
    (fields.statusType & 0x03);
  header[3] = (fields.serializeType << 4) | fields.reserved;
  header.writeBigUInt64BE(fields.seq, 4);
  return header;
}

describe('header layout (header.ts)', () => {
  it('declares the offsets and masks of spec §1.2', () => {
    expect([MAGIC_NUMBER, HEADER_LENGTH, FRAME_PREFIX_LENGTH]).toEqual([0x08, 12, 16]);
    expect(HeaderFlag).toEqual({
      Response: 0x80,
      Heartbeat: 0x40,
      Oneway: 0x20,
      CompressMask: 0x1c,
      CompressShift: 2,
      StatusMask: 0x03,
    });
    expect([SERIALIZE_SHIFT, RESERVED_MASK]).toEqual([4, 0x0f]);
    expect(HeaderMax).toEqual({
      version: 255,
      compressType: 7,
      statusType: 3,
      serializeType: 15,
      reserved: 15,
    });
  });

  /** The flags bytes 0..255 for which `wrong(flags)` holds, so that a failure names them. */
  const flagsWhere = (wrong: (flags: number) => boolean) =>
    Array.from({ length: 256 }, (_, flags) => flags).filter(wrong);

  it('compressTypeOf reads bits 4..2 of every flags byte', () => {
    expect(flagsWhere((flags) => compressTypeOf(flags) !== (flags & 0x1c) >> 2)).toEqual([]);
  });

  it('withCompressType replaces bits 4..2 and keeps every other bit', () => {
    for (let type = 0; type <= 7; type++) {
      const wrong = flagsWhere((flags) => {
        const result = withCompressType(flags, type);
        return compressTypeOf(result) !== type || (result & ~0x1c) !== (flags & ~0x1c);
      });
      expect({ type, wrong }).toEqual({ type, wrong: [] });
    }
  });

  it.each([
    ['a server push (oneway request)', 0x20, true],
    ['a server push with status or compress bits', 0x3f, true],
    ['a normal request', 0x00, false],
    ['a oneway heartbeat request', 0x60, false],
    ['a oneway response', 0xa0, false],
    ['a heartbeat response', 0xc0, false],
  ])('isServerPush classifies %s', (_name, flags, expected) => {
    expect(isServerPush(flags)).toBe(expected);
  });

  it('isServerPush is Go’s rule: request, not heartbeat, oneway — for every flags byte', () => {
    const goRule = (flags: number) =>
      (flags & 0x80) === 0 && (flags & 0x40) === 0 && (flags & 0x20) !== 0;
    expect(flagsWhere((flags) => isServerPush(flags) !== goRule(flags))).toEqual([]);
  });
});

describe('Message header accessors', () => {
  it('start as a request with every header field zero', () => {
    const message = new Message();
    expect(headerFieldsOf(message)).toEqual({
      version: 0,
      messageType: MessageType.Request,
      heartbeat: false,
      oneway: false,
      compressType: 0,
      statusType: 0,
      serializeType: 0,
      reserved: 0,
      seq: 0n,
    });
    expect([message.flags, message.seqHigh, message.seqLow]).toEqual([0, 0, 0]);
    expect([...encodeMessage(message).subarray(0, 12)]).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  // [name, flags byte, [messageType, heartbeat, oneway, compressType, statusType]] (spec §1.2)
  it.each<[string, number, [number, boolean, boolean, number, number]]>([
    ['normal request', 0x00, [0, false, false, 0, 0]],
    ['normal response', 0x80, [1, false, false, 0, 0]],
    ['error response', 0x81, [1, false, false, 0, 1]],
    ['heartbeat request', 0x40, [0, true, false, 0, 0]],
    ['heartbeat response', 0xc0, [1, true, false, 0, 0]],
    ['oneway request / push', 0x20, [0, false, true, 0, 0]],
    ['gzip request', 0x04, [0, false, false, 1, 0]],
    ['gzip response', 0x84, [1, false, false, 1, 0]],
  ])('read the flags byte of a %s', (_name, flags, expected) => {
    const message = new Message();
    message.flags = flags;
    const { messageType, heartbeat, oneway, compressType, statusType } = message;
    expect([messageType, heartbeat, oneway, compressType, statusType]).toEqual(expected);
  });

  it('set and clear every field without touching the others, and encode as spec §1.2 lays out', () => {
    fc.assert(
      fc.property(headerFieldsArbitrary, headerFieldsArbitrary, (first, second) => {
        // Start with every bit set, so that a bit a setter forgets to clear would show.
        const message = messageOf({
          version: 255,
          serializeType: 15,
          reserved: 15,
          seq: 2n ** 64n - 1n,
        });
        message.flags = 0xff;
        Object.assign(message, first);
        Object.assign(message, second);
        expect(headerFieldsOf(message)).toEqual(second);
        const frame = encodeMessage(message, { compressors: passThrough });
        expect(frame.subarray(0, 12)).toEqual(specHeader(second));
      }),
    );
  });

  it('keep seq values above 2^53 exactly, as two uint32 halves', () => {
    const message = new Message();
    for (const seq of [2n ** 53n + 1n, 2n ** 63n + 12345n, 2n ** 64n - 1n]) {
      message.seq = seq;
      expect(message.seq).toBe(seq);
    }
    message.seq = 0x0102030405060708n;
    expect([message.seqHigh, message.seqLow]).toEqual([0x01020304, 0x05060708]);
    expect([...encodeMessage(message).subarray(4, 12)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('offer the seq as a number for counters below 2^53', () => {
    const message = new Message();
    message.seqNumber = 2 ** 53 - 1;
    expect(message.seq).toBe(2n ** 53n - 1n);
    expect([message.seqHigh, message.seqLow]).toEqual([0x1f_ffff, 0xffff_ffff]);
    message.seq = 1234567890n;
    expect(message.seqNumber).toBe(1234567890);
    message.seqNumber = 2 ** 32;
    expect(message.seq).toBe(2n ** 32n);
  });

  it('copyHeader copies every header field of another message, and nothing else', () => {
    fc.assert(
      fc.property(headerFieldsArbitrary, (fields) => {
        const source = messageOf({ ...fields, servicePath: 'S', payload: Buffer.from('source') });
        const target = messageOf({
          servicePath: 'T',
          metadata: { k: 'v' },
          payload: Buffer.from('t'),
        });
        expect(target.copyHeader(source)).toBe(target);
        expect(headerFieldsOf(target)).toEqual(fields);
        expect([target.servicePath, { ...target.metadata }]).toEqual(['T', { k: 'v' }]);
        expect(Buffer.from(target.payload).toString()).toBe('t');
      }),
    );
  });

  it.each<[string, unknown, string]>([
    ['version', 256, 'version must be an integer in 0..255, got 256'],
    ['messageType', 2, 'messageType must be an integer in 0..1, got 2'],
    ['compressType', 8, 'compressType must be an integer in 0..7, got 8'],
    ['compressType', -1, 'compressType must be an integer in 0..7, got -1'],
    ['compressType', 1.5, 'compressType must be an integer in 0..7, got 1.5'],
    ['statusType', 4, 'statusType must be an integer in 0..3, got 4'],
    ['serializeType', 16, 'serializeType must be an integer in 0..15, got 16'],
    ['reserved', 16, 'reserved must be an integer in 0..15, got 16'],
    [
      'seq',
      2n ** 64n,
      'seq must be a bigint that fits in 64 unsigned bits, got 18446744073709551616',
    ],
    ['seq', -1n, 'seq must be a bigint that fits in 64 unsigned bits, got -1'],
    ['seq', 1, 'seq must be a bigint that fits in 64 unsigned bits, got 1'],
    ['seqNumber', -1, 'seqNumber must be a safe non-negative integer, got -1'],
    ['seqNumber', 2 ** 53, 'seqNumber must be a safe non-negative integer, got 9007199254740992'],
    ['seqNumber', 0.5, 'seqNumber must be a safe non-negative integer, got 0.5'],
  ])(
    'refuse %s = %p with invalid_argument and leave the message as it was',
    (field, value, text) => {
      const message = messageOf({ version: 1, serializeType: 3, reserved: 2, seq: 9n });
      message.flags = 0x85;
      const before = headerFieldsOf(message);
      const error = rpcxErrorOf(() => {
        (message as unknown as Record<string, unknown>)[field] = value;
      }, ErrorCode.InvalidArgument);
      expect(error.message).toBe(text);
      expect(headerFieldsOf(message)).toEqual(before);
      expect(message.flags).toBe(0x85);
    },
  );
});
