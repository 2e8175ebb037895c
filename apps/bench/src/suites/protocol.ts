/**
 * The wire format: `encodeMessage` of a whole `Hello.Say` request frame (header, service path,
 * method, two metadata pairs, the 581-byte protobuf payload) and `decodeMessage` of that frame.
 */
import { decodeMessage, encodeMessage } from '@rpcx/protocol';
import {
  BENCH_METADATA,
  BENCH_SERVICE_METHOD,
  BENCH_SERVICE_PATH,
  benchPayload,
  createBenchRequest,
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

    const decoded = decodeMessage(frame);
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
          name: 'encodeMessage',
          unit: 'op',
          opsPerRun: OPS_PER_RUN,
          run() {
            for (let i = 0; i < OPS_PER_RUN; i++) sink(encodeMessage(request).length);
          },
        },
        {
          name: 'decodeMessage',
          unit: 'op',
          opsPerRun: OPS_PER_RUN,
          run() {
            for (let i = 0; i < OPS_PER_RUN; i++) sink(decodeMessage(frame).payload.length);
          },
        },
      ],
    };
  },
};
