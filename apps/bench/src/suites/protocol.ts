/**
 * The wire format: a whole `Hello.Say` request frame (header, service path, method, two metadata
 * pairs, the 581-byte protobuf payload) written by the frame writer — into a buffer of its own
 * (`encodeMessage`) and at an offset of a reused one, as connections write into their batch —
 * and read back in place (`readMessage`, what connections and `decodeMessage` use).
 */
import { encodeMessage, FrameWriter } from '@rpcx/protocol';
import {
  BENCH_METADATA,
  BENCH_SERVICE_METHOD,
  BENCH_SERVICE_PATH,
  benchPayload,
  createBenchRequest,
  readPlainFrame,
} from '../bench-frame.js';
import { check, type SuiteDefinition, sink } from '../suite.js';

/** Both calls take well under a microsecond. */
const OPS_PER_RUN = 1000;

export const protocolSuite: SuiteDefinition = {
  name: 'protocol',
  title: 'Protocol: request frame encode / decode',
  create() {
    const payload = benchPayload();
    const request = createBenchRequest(1, payload);
    const frame = encodeMessage(request);
    const writer = new FrameWriter();
    const target = Buffer.alloc(16 * frame.length);

    const decoded = readPlainFrame(frame);
    check(decoded.servicePath === BENCH_SERVICE_PATH, 'servicePath does not decode back');
    check(decoded.serviceMethod === BENCH_SERVICE_METHOD, 'serviceMethod does not decode back');
    check(decoded.metadata.trace_id === BENCH_METADATA.trace_id, 'metadata does not decode back');
    check(Buffer.from(decoded.payload).equals(payload), 'payload does not decode back');
    check(decoded.seq === 1n, 'seq does not decode back');

    return {
      notes: [
        `frame: ${frame.length} B (16 B prefix, Hello.Say, 2 metadata pairs, ` +
          `${payload.length} B protobuf payload), no compression`,
        `${OPS_PER_RUN} operations per sample; mean is per operation`,
      ],
      tasks: [
        {
          name: 'encodeMessage (a buffer per frame)',
          unit: 'op',
          opsPerRun: OPS_PER_RUN,
          run() {
            for (let i = 0; i < OPS_PER_RUN; i++) sink(encodeMessage(request).length);
          },
        },
        {
          name: 'FrameWriter at an offset (what connections do)',
          unit: 'op',
          opsPerRun: OPS_PER_RUN,
          run() {
            for (let i = 0; i < OPS_PER_RUN; i++) {
              writer.prepare(request).writeFrame(target, (i & 15) * frame.length);
            }
            sink(target[0]!);
          },
          verify() {
            check(target.subarray(0, frame.length).equals(frame), 'the writer wrote another frame');
          },
        },
        {
          name: 'readMessage (in place)',
          unit: 'op',
          opsPerRun: OPS_PER_RUN,
          run() {
            for (let i = 0; i < OPS_PER_RUN; i++) sink(readPlainFrame(frame).payload.length);
          },
        },
      ],
    };
  },
};
