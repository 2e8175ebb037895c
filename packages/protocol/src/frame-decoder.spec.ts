import { ErrorCode, RpcxError } from '@rpcx/core';
import fc from 'fast-check';
import { encodeMessage } from './encode.js';
import { FrameDecoder } from './frame-decoder.js';
import { Message } from './message.js';
import { chunkingArbitrary, cut, messageArbitrary } from './test-support/arbitraries.js';

function frameOf(servicePath: string, payload = 'payload'): Buffer {
  return encodeMessage(
    new Message({ servicePath, serviceMethod: 'M', payload: Buffer.from(payload) }),
  );
}

describe('FrameDecoder', () => {
  const frames = [frameOf('A'), frameOf('Bee', 'x'.repeat(500)), frameOf('', '')];
  const stream = Buffer.concat(frames);

  it('returns each frame of a chunk holding many, as views of that chunk', () => {
    const decoder = new FrameDecoder();
    const out = decoder.pushAll(stream);
    expect(out).toEqual(frames);
    for (const frame of out) expect(frame.buffer).toBe(stream.buffer);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('hands out each frame as its range in the chunk from pushRanges', () => {
    const decoder = new FrameDecoder();
    const split = frames[0]!.length + 10;
    const ranges: Array<[Buffer, number, number]> = [];
    const onRange = (bytes: Buffer, start: number, end: number) => ranges.push([bytes, start, end]);
    decoder.pushRanges(stream.subarray(0, split), onRange);
    decoder.pushRanges(stream.subarray(split), onRange);
    expect(ranges.map(([bytes, start, end]) => bytes.subarray(start, end))).toEqual(frames);
    // The first lies in the first chunk; the second was joined from both chunks, then the third
    // follows it in that joined buffer.
    expect(ranges[0]![0].buffer).toBe(stream.buffer);
    expect(ranges[0]!.slice(1)).toEqual([0, frames[0]!.length]);
    expect(ranges[1]![0]).toBe(ranges[2]![0]);
    expect(ranges[2]![1]).toBe(ranges[1]![2]);
  });

  it('reassembles frames fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const out: Buffer[] = [];
    for (const byte of stream) out.push(...decoder.pushAll(Buffer.from([byte])));
    expect(out).toEqual(frames);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reassembles a frame split across chunks and keeps the next frame’s head', () => {
    const decoder = new FrameDecoder();
    const split = frames[0]!.length + 10;
    expect(decoder.pushAll(stream.subarray(0, split))).toEqual([frames[0]]);
    expect(decoder.bufferedBytes).toBe(10);
    expect(decoder.pushAll(stream.subarray(split))).toEqual(frames.slice(1));
  });

  it('accepts plain Uint8Array chunks', () => {
    const decoder = new FrameDecoder();
    expect(decoder.pushAll(new Uint8Array(stream))).toEqual(frames);
  });

  it('finds every frame whatever the chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(messageArbitrary, { minLength: 1, maxLength: 5 }),
        fc.context(),
        (messages, ctx) => {
          const encoded = messages.map((m) => encodeMessage(m));
          const all = Buffer.concat(encoded);
          return fc.assert(
            fc.property(chunkingArbitrary(all.length), (cuts) => {
              const decoder = new FrameDecoder();
              const out = cut(all, cuts).flatMap((chunk) => decoder.pushAll(chunk));
              ctx.log(`cuts ${cuts.join(',')}`);
              expect(out).toEqual(encoded);
            }),
            { numRuns: 5 },
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a wrong magic number as soon as the first byte arrives', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.pushAll(Buffer.from([0x47]))).toThrow('wrong magic number: 71');
  });

  it('delivers the frames before a bad one, then rejects the wrong magic number', () => {
    const decoder = new FrameDecoder();
    const seen: Buffer[] = [];
    const input = Buffer.concat([frames[0]!, frames[1]!, Buffer.from('GET / HTTP/1.1')]);
    expect(() => decoder.push(input, (frame) => seen.push(frame))).toThrow(
      'wrong magic number: 71',
    );
    expect(seen).toEqual([frames[0], frames[1]]);
  });

  it('rejects an oversized frame from its 16-byte prefix, before buffering the body', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 1024 });
    const prefix = Buffer.from(frameOf('A', 'x'.repeat(2000)).subarray(0, 16));
    let thrown: unknown;
    try {
      decoder.pushAll(prefix);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RpcxError);
    expect((thrown as RpcxError).code).toBe(ErrorCode.MessageTooLarge);
    expect((thrown as RpcxError).message).toBe(
      'message is too long: 2018 bytes exceed the limit of 1024 (maxFrameLength)',
    );
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('rejects a body too short to hold its four length fields', () => {
    const decoder = new FrameDecoder();
    const bad = Buffer.from(frameOf('A'));
    bad.writeUInt32BE(3, 12);
    expect(() => decoder.pushAll(bad)).toThrow(
      'frame body of 3 bytes is shorter than its four length fields',
    );
  });

  it('stays failed after an error: the stream has lost its framing', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.pushAll(Buffer.from([1]))).toThrow(RpcxError);
    expect(() => decoder.pushAll(frames[0]!)).toThrow('wrong magic number: 1');
  });

  it('never holds more than one frame’s worth of bytes', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 4096 });
    const big = frameOf('A', 'y'.repeat(4000));
    for (let at = 0; at < big.length - 1; at += 100) {
      decoder.pushAll(big.subarray(at, Math.min(at + 100, big.length - 1)));
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(big.length);
    }
    expect(decoder.pushAll(big.subarray(big.length - 1))).toEqual([big]);
  });
});
