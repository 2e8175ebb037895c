import { MessageType } from '@rpcx/core';
import fc from 'fast-check';
import { Header, MAGIC_NUMBER } from './header.js';

describe('Header', () => {
  it('starts as a request with only the magic number set', () => {
    const header = new Header();
    expect([...header.bytes]).toEqual([MAGIC_NUMBER, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(header.messageType).toBe(MessageType.Request);
  });

  it.each([
    [
      'normal request',
      0x00,
      { messageType: 0, heartbeat: false, oneway: false, compressType: 0, statusType: 0 },
    ],
    [
      'normal response',
      0x80,
      { messageType: 1, heartbeat: false, oneway: false, compressType: 0, statusType: 0 },
    ],
    [
      'error response',
      0x81,
      { messageType: 1, heartbeat: false, oneway: false, compressType: 0, statusType: 1 },
    ],
    [
      'heartbeat request',
      0x40,
      { messageType: 0, heartbeat: true, oneway: false, compressType: 0, statusType: 0 },
    ],
    [
      'heartbeat response',
      0xc0,
      { messageType: 1, heartbeat: true, oneway: false, compressType: 0, statusType: 0 },
    ],
    [
      'oneway request / push',
      0x20,
      { messageType: 0, heartbeat: false, oneway: true, compressType: 0, statusType: 0 },
    ],
    [
      'gzip request',
      0x04,
      { messageType: 0, heartbeat: false, oneway: false, compressType: 1, statusType: 0 },
    ],
    [
      'gzip response',
      0x84,
      { messageType: 1, heartbeat: false, oneway: false, compressType: 1, statusType: 0 },
    ],
  ])('reads byte 2 of a %s', (_name, byte2, fields) => {
    const header = new Header(Buffer.from([8, 0, byte2, 0x30, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect({
      messageType: header.messageType,
      heartbeat: header.heartbeat,
      oneway: header.oneway,
      compressType: header.compressType,
      statusType: header.statusType,
    }).toEqual(fields);
    expect(header.serializeType).toBe(3);
  });

  it('sets and clears every field without touching the others', () => {
    const fields = fc.record({
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
    fc.assert(
      fc.property(fields, fields, (first, second) => {
        // Start from random bytes so that stale bits would show.
        const header = new Header(Buffer.from([8, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]));
        Object.assign(header, first);
        Object.assign(header, second);
        expect({
          version: header.version,
          messageType: header.messageType,
          heartbeat: header.heartbeat,
          oneway: header.oneway,
          compressType: header.compressType,
          statusType: header.statusType,
          serializeType: header.serializeType,
          reserved: header.reserved,
          seq: header.seq,
        }).toEqual(second);
        expect(header.magic).toBe(MAGIC_NUMBER);
      }),
    );
  });

  it('round-trips seq values above 2^53 exactly', () => {
    const header = new Header();
    for (const seq of [2n ** 53n + 1n, 2n ** 63n + 12345n, 2n ** 64n - 1n]) {
      header.seq = seq;
      expect(header.seq).toBe(seq);
    }
    header.seq = 0x0102030405060708n;
    expect([...header.bytes.subarray(4)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('offers the seq as a number for counters below 2^53', () => {
    const header = new Header();
    header.seqNumber = 2 ** 53 - 1;
    expect(header.seq).toBe(2n ** 53n - 1n);
    header.seq = 1234567890n;
    expect(header.seqNumber).toBe(1234567890);
  });

  it('refuses values that do not fit their bits', () => {
    const header = new Header();
    expect(() => {
      header.compressType = 8;
    }).toThrow('compressType must be an integer in 0..7, got 8');
    expect(() => {
      header.serializeType = 16;
    }).toThrow(/serializeType/);
    expect(() => {
      header.seq = 2n ** 64n;
    }).toThrow(/64 unsigned bits/);
    expect(() => {
      header.seqNumber = -1;
    }).toThrow(/seqNumber/);
    expect(() => new Header(new Uint8Array(11))).toThrow('a header is 12 bytes, got 11');
  });

  it('reads the first 12 bytes of a longer buffer in place, as a decoded frame does', () => {
    const frame = Buffer.alloc(20);
    frame[0] = 0x08;
    frame[3] = 0x30;
    frame.writeUInt32BE(7, 8);
    const header = new Header(frame);
    expect(header.serializeType).toBe(3);
    expect(header.seqNumber).toBe(7);
    expect(header.bytes.length).toBe(12);
    header.oneway = true;
    expect(frame[2]).toBe(0x20);
    expect(header.bytes[2]).toBe(0x20);
    const copy = Buffer.alloc(14);
    header.copyTo(copy, 2);
    expect(copy.subarray(2)).toEqual(frame.subarray(0, 12));
  });

  it('clones independently', () => {
    const header = new Header();
    const copy = header.clone();
    copy.messageType = MessageType.Response;
    expect(header.messageType).toBe(MessageType.Request);
    expect(copy.messageType).toBe(MessageType.Response);
  });
});
