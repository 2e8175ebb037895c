/**
 * The read side of a connection: a stream of `Hello.Say` request frames fed to a FrameDecoder in
 * 64 KiB chunks, as a socket delivers them, so frames straddle chunk boundaries. Each run pushes
 * the whole stream (1000 frames) and the numbers are per frame. `push` hands out a view per
 * frame, `pushRanges` the frame's place in the chunk (what connections use); the last task also
 * reads every frame into a Message in place, as connections do.
 */
import { encodeMessage, FrameDecoder } from '@rpcx/protocol';
import { benchPayload, createBenchRequest, readPlainFrame } from '../bench-frame.js';
import { type BenchTask, check, type SuiteDefinition, sink } from '../suite.js';

const FRAMES_PER_RUN = 1000;
const CHUNK_SIZE = 64 * 1024;

export const frameDecoderSuite: SuiteDefinition = {
  name: 'frame-decoder',
  title: `FrameDecoder: ${FRAMES_PER_RUN} request frames in 64 KiB chunks`,
  create() {
    const payload = benchPayload();
    const frames = Array.from({ length: FRAMES_PER_RUN }, (_, i) =>
      encodeMessage(createBenchRequest(i + 1, payload)),
    );
    const stream = Buffer.concat(frames);
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += CHUNK_SIZE) {
      chunks.push(stream.subarray(at, at + CHUNK_SIZE));
    }
    const straddling = countStraddling(frames, CHUNK_SIZE);

    // The stream as the decoder splits it must be the frames that went in.
    let seq = 0;
    new FrameDecoder().push(stream, (frame) => {
      seq++;
      check(readPlainFrame(frame).seq === BigInt(seq), `frame ${seq} decodes with a wrong seq`);
    });
    check(seq === FRAMES_PER_RUN, `the stream splits into ${seq} frames`);

    const frameLength = frames[0]!.length;
    return {
      notes: [
        `stream: ${FRAMES_PER_RUN} frames × ${frameLength} B = ${stream.length.toLocaleString('en-US')} B in ` +
          `${chunks.length} chunks; ${straddling} frames straddle a chunk boundary`,
        `one sample = the whole stream; mean and rate are per frame`,
      ],
      tasks: [
        streamTask('FrameDecoder.push (a view per frame)', chunks, (decoder, chunk) => {
          let frames = 0;
          decoder.push(chunk, (frame) => {
            frames++;
            sink(frame.length);
          });
          return frames;
        }),
        streamTask('FrameDecoder.pushRanges (what connections use)', chunks, (decoder, chunk) => {
          let frames = 0;
          decoder.pushRanges(chunk, (_bytes, start, end) => {
            frames++;
            sink(end - start);
          });
          return frames;
        }),
        streamTask('FrameDecoder.pushRanges + readMessage', chunks, (decoder, chunk) => {
          let frames = 0;
          decoder.pushRanges(chunk, (bytes, start, end) => {
            frames++;
            sink(readPlainFrame(bytes, start, end).payload.length);
          });
          return frames;
        }),
      ],
    };
  },
};

/**
 * A task pushing every chunk through one long-lived decoder, as one connection would; `feed`
 * pushes one chunk and returns the frames it delivered.
 */
function streamTask(
  name: string,
  chunks: Buffer[],
  feed: (decoder: FrameDecoder, chunk: Buffer) => number,
): BenchTask {
  const decoder = new FrameDecoder();
  let runs = 0;
  let delivered = 0;
  return {
    name,
    unit: 'frame',
    opsPerRun: FRAMES_PER_RUN,
    run() {
      runs++;
      for (const chunk of chunks) delivered += feed(decoder, chunk);
    },
    verify() {
      check(
        delivered === runs * FRAMES_PER_RUN,
        `${name}: ${delivered} frames in ${runs} runs, expected ${FRAMES_PER_RUN} per run`,
      );
      check(decoder.bufferedBytes === 0, `${name}: the decoder holds a partial frame`);
    },
  };
}

/** Frames whose bytes lie in more than one chunk. */
function countStraddling(frames: Buffer[], chunkSize: number): number {
  let count = 0;
  let start = 0;
  for (const frame of frames) {
    const end = start + frame.length;
    if (Math.floor(start / chunkSize) !== Math.floor((end - 1) / chunkSize)) count++;
    start = end;
  }
  return count;
}
