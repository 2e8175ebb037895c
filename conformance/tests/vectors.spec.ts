/**
 * Go → TS, from the committed golden frames: every vector decodes to the fields Go wrote, and the
 * fields re-encode to a frame that decodes to the same fields.
 */
import { decodeMessage, encodeMessage, FrameDecoder } from '@rpcx/protocol';
import { fieldsOf, loadVectors, messageOf, withoutWireLength } from './support/vectors.js';

const vectors = loadVectors();

describe('golden vectors from Go rpcx', () => {
  it('cover what the foundation promises', () => {
    const names = vectors.map((v) => v.name);
    for (const required of [
      'request-raw',
      'request-json',
      'request-protobuf',
      'request-protobuf-bench',
      'request-msgpack',
      'request-gzip',
      'response-gzip',
      'request-heartbeat',
      'response-heartbeat',
      'request-oneway',
      'response-error',
      'request-metadata',
      'message-empty',
      'request-seq-max',
      'request-seq-2p53plus1',
      'push-server',
    ]) {
      expect(names).toContain(required);
    }
  });

  describe.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const frame = Buffer.from(vector.hex, 'hex');

    it('decodes to the fields Go encoded', async () => {
      const message = await decodeMessage(frame);
      expect(fieldsOf(message)).toEqual(withoutWireLength(vector.expect));
      const wirePayloadLength = frame.readUInt32BE(
        frame.length - (vector.expect.wirePayloadLength ?? 0) - 4,
      );
      expect(wirePayloadLength).toBe(vector.expect.wirePayloadLength);
    });

    it('re-encodes to a frame that decodes to the same fields', async () => {
      const reencoded = encodeMessage(messageOf(vector.expect));
      expect(fieldsOf(await decodeMessage(reencoded))).toEqual(withoutWireLength(vector.expect));
      // Without compression and with at most one metadata pair the bytes are fixed: compare them.
      if (vector.expect.compressType === 0 && Object.keys(vector.expect.metadata).length <= 1) {
        expect(reencoded.toString('hex')).toBe(vector.hex);
      }
    });

    it('comes out of the FrameDecoder whole, however it is chunked', () => {
      for (const size of [1, 3, 16, 17, frame.length]) {
        const decoder = new FrameDecoder();
        const frames: Buffer[] = [];
        for (let at = 0; at < frame.length; at += size) {
          decoder.push(frame.subarray(at, at + size), (f) => frames.push(f));
        }
        expect(frames).toEqual([frame]);
      }
    });
  });
});
