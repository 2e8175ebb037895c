/** encodeMessage → decodeMessage gives the message back: every field, metadata as a map, gzip. */
import { gzipSync } from 'node:zlib';
import { MessageType } from '@rpcx/core';
import { hex } from '@rpcx/testing';
import fc from 'fast-check';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { Message } from './message.js';
import { messageArbitrary } from './test-support/arbitraries.js';
import { frameWith, pair } from './test-support/frames.js';
import { fieldsAfterWire, fieldsOf, messageOf } from './test-support/messages.js';

const text = (s: string) => Buffer.from(s, 'utf8');

describe('encodeMessage → decodeMessage', () => {
  it('round-trips every field, metadata compared as a map', async () => {
    const message = messageOf({
      version: 3,
      messageType: MessageType.Response,
      heartbeat: true,
      statusType: 1,
      serializeType: 3,
      reserved: 5,
      seq: 2n ** 64n - 1n,
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      metadata: { b: '2', a: '1', '': '', 'ключ 🔑': 'значение ✓' },
      payload: text('payload'),
    });
    expect(fieldsOf(await decodeMessage(encodeMessage(message)))).toEqual(fieldsOf(message));
  });

  it('round-trips random messages, payload through gzip when asked (property)', async () => {
    await fc.assert(
      fc.asyncProperty(messageArbitrary, async (message) => {
        const decoded = await decodeMessage(encodeMessage(message));
        expect(fieldsOf(decoded)).toEqual(fieldsAfterWire(message));
      }),
      { numRuns: 300 },
    );
  });

  it('writes empty metadata as metaLen 0 and decodes it to an empty map', async () => {
    const frame = encodeMessage(new Message());
    expect(frame).toEqual(
      hex(`08 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10${' 00'.repeat(16)}`),
    );
    const decoded = await decodeMessage(frame);
    expect(Object.keys(decoded.metadata)).toEqual([]);
    expect(decoded.servicePath).toBe('');
    expect(decoded.payload.length).toBe(0);
  });

  it('keeps a __proto__ metadata key as data', async () => {
    const frame = encodeMessage(messageOf({ metadata: JSON.parse('{"__proto__":"x","k":"v"}') }));
    const decoded = await decodeMessage(frame);
    expect('toString' in decoded.metadata).toBe(false); // no inherited keys
    expect(Object.getOwnPropertyDescriptor(decoded.metadata, '__proto__')?.value).toBe('x');
    expect(decoded.metadata.k).toBe('v');
  });

  it('lets a later duplicate metadata key win, as Go does', async () => {
    const block = Buffer.concat([pair('k', 'first'), pair('k', 'second')]);
    const decoded = await decodeMessage(frameWith({ metadata: block }));
    expect({ ...decoded.metadata }).toEqual({ k: 'second' });
  });

  it('gzips the payload when the header asks and inflates it on decode', async () => {
    const payload = Buffer.alloc(4096, 'rpcx ');
    const message = messageOf({ compressType: 1, payload });
    const frame = encodeMessage(message);
    expect(frame.length).toBeLessThan(payload.length);
    // payloadLen on the wire is the compressed size, and the bytes are a gzip stream.
    const wireLength = frame.length - 32;
    expect(frame.readUInt32BE(28)).toBe(wireLength);
    expect([...frame.subarray(32, 34)]).toEqual([0x1f, 0x8b]);
    const decoded = await decodeMessage(frame);
    expect(decoded.compressType).toBe(1); // the header keeps the compress type
    expect(Buffer.from(decoded.payload)).toEqual(payload);
    expect(message.payload).toBe(payload); // the message itself is untouched
  });

  it('decodes a frame whose payload is a multi-member gzip stream', async () => {
    const payload = Buffer.concat([gzipSync(text('hello ')), gzipSync(text('world'))]);
    const decoded = await decodeMessage(frameWith({ byte2: 0x04, payload }));
    expect(Buffer.from(decoded.payload).toString()).toBe('hello world');
  });

  it('leaves an empty payload with a gzip compress type as it is (nothing to inflate)', async () => {
    const decoded = await decodeMessage(frameWith({ byte2: 0x04 }));
    expect(decoded.compressType).toBe(1);
    expect(decoded.payload.length).toBe(0);
  });
});
