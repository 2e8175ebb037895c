/**
 * The worked examples of rpcx-spec.md §1.16, byte for byte, both ways: the message encodes to the
 * spec's bytes, and the spec's bytes decode to the message.
 */
import { MessageType } from '@rpcx/core';
import { hex } from '@rpcx/testing';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { fieldsOf, messageOf } from './test-support/messages.js';

const text = (s: string) => Buffer.from(s, 'utf8');

/** Example 3: a heartbeat and its echo, which differ only in byte 2. */
const PING = `
      08 00 40 30 00 00 00 00 00 00 00 07 00 00 00 19
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 09
      d3 17 97 9c fe 36 2a 00 00`;
const PONG = `
      08 00 c0 30 00 00 00 00 00 00 00 07 00 00 00 19
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 09
      d3 17 97 9c fe 36 2a 00 00`;

const examples = [
  {
    name: 'example 1, JSON call Arith.Mul',
    message: messageOf({
      serializeType: 1,
      seq: 1n,
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      payload: text('{"A":10,"B":20}'),
    }),
    frame: `
      08 00 00 10 00 00 00 00 00 00 00 01 00 00 00 27
      00 00 00 05 41 72 69 74 68 00 00 00 03 4d 75 6c
      00 00 00 00 00 00 00 0f 7b 22 41 22 3a 31 30 2c
      22 42 22 3a 32 30 7d`,
  },
  {
    name: 'example 1, its response',
    message: messageOf({
      messageType: MessageType.Response,
      serializeType: 1,
      seq: 1n,
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      payload: text('{"C":200}'),
    }),
    frame: `
      08 00 80 10 00 00 00 00 00 00 00 01 00 00 00 21
      00 00 00 05 41 72 69 74 68 00 00 00 03 4d 75 6c
      00 00 00 00 00 00 00 09 7b 22 43 22 3a 32 30 30
      7d`,
  },
  {
    name: 'example 2, MsgPack call Arith.Div with __AUTH metadata',
    message: messageOf({
      serializeType: 3,
      seq: 5n,
      servicePath: 'Arith',
      serviceMethod: 'Div',
      metadata: { __AUTH: 'abc' },
      payload: hex('82 a1 41 0a a1 42 14'),
    }),
    frame: `
      08 00 00 30 00 00 00 00 00 00 00 05 00 00 00 30
      00 00 00 05 41 72 69 74 68 00 00 00 03 44 69 76
      00 00 00 11 00 00 00 06 5f 5f 41 55 54 48 00 00
      00 03 61 62 63 00 00 00 07 82 a1 41 0a a1 42 14`,
  },
  {
    name: 'example 2, its error response',
    message: messageOf({
      messageType: MessageType.Response,
      statusType: 1,
      serializeType: 3,
      seq: 5n,
      servicePath: 'Arith',
      serviceMethod: 'Div',
      metadata: { __rpcx_error__: "rpcx: can't find method Div" },
    }),
    frame: `
      08 00 81 30 00 00 00 00 00 00 00 05 00 00 00 49
      00 00 00 05 41 72 69 74 68 00 00 00 03 44 69 76
      00 00 00 31 00 00 00 0e 5f 5f 72 70 63 78 5f 65
      72 72 6f 72 5f 5f 00 00 00 1b 72 70 63 78 3a 20
      63 61 6e 27 74 20 66 69 6e 64 20 6d 65 74 68 6f
      64 20 44 69 76 00 00 00 00`,
  },
  {
    name: 'example 3, heartbeat request',
    message: messageOf({
      heartbeat: true,
      serializeType: 3,
      seq: 7n,
      payload: hex('d3 17 97 9c fe 36 2a 00 00'),
    }),
    frame: PING,
  },
  {
    name: 'example 3, heartbeat response',
    message: messageOf({
      messageType: MessageType.Response,
      heartbeat: true,
      serializeType: 3,
      seq: 7n,
      payload: hex('d3 17 97 9c fe 36 2a 00 00'),
    }),
    frame: PONG,
  },
  {
    name: 'example 4, server push Notify.Event "hello"',
    message: messageOf({
      oneway: true,
      seq: 1n,
      servicePath: 'Notify',
      serviceMethod: 'Event',
      payload: text('hello'),
    }),
    frame: `
      08 00 20 00 00 00 00 00 00 00 00 01 00 00 00 20
      00 00 00 06 4e 6f 74 69 66 79 00 00 00 05 45 76
      65 6e 74 00 00 00 00 00 00 00 05 68 65 6c 6c 6f`,
  },
];

describe('spec §1.16 worked examples', () => {
  it.each(examples)('$name encodes to the spec’s bytes', ({ message, frame }) => {
    expect(encodeMessage(message)).toEqual(hex(frame));
  });

  it.each(examples)('$name decodes from the spec’s bytes', async ({ message, frame }) => {
    expect(fieldsOf(await decodeMessage(hex(frame)))).toEqual(fieldsOf(message));
  });

  it('example 3: the pong is the decoded ping with the response bit set, byte 2 = 0xC0', async () => {
    const decoded = await decodeMessage(hex(PING));
    decoded.messageType = MessageType.Response;
    expect(encodeMessage(decoded)).toEqual(hex(PONG));
  });

  it('the Go test-suite reference vector: 114 bytes, seq 1234567890, metaLen 48', () => {
    const frame = encodeMessage(
      messageOf({
        serializeType: 1,
        seq: 1234567890n,
        servicePath: 'Arith',
        serviceMethod: 'Add',
        metadata: { __ID: '6ba7b810-9dad-11d1-80b4-00c04fd430c9' },
        payload: text('{"A":1,"B":2}'.padEnd(26, ' ')),
      }),
    );
    expect(frame.length).toBe(114);
    expect(frame.subarray(0, 16)).toEqual(hex('08 00 00 10 00 00 00 00 49 96 02 d2 00 00 00 62'));
    expect(frame.readUInt32BE(16 + 9 + 7)).toBe(48);
  });
});
