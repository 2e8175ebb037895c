/**
 * Splits a byte stream into whole frames, whatever the chunking: one byte at a time, many frames
 * in one chunk, a frame across chunks. A frame lying inside one chunk is returned as a view of
 * it (no copy) — or, from `pushRanges`, as its place in the chunk, not even a view: on a hot
 * path a Buffer view costs more than reading a small frame's header. Only a frame split across
 * chunks is copied, once, when its last byte arrives.
 *
 * Frames are handed to a callback in stream order, so the frames before a bad one are all
 * delivered before the error is thrown. The magic byte is checked as soon as it arrives and the
 * declared length as soon as the 16-byte prefix is complete, so a bad or oversized frame is
 * refused before any buffering for it. After an error the decoder stays failed: the stream has
 * lost its framing and must be closed.
 */
import type { RpcxError } from '@rpcx/core';
import { FRAME_PREFIX_LENGTH, HEADER_LENGTH, MAGIC_NUMBER } from './header.js';
import { DEFAULT_LIMITS, type FrameLimits } from './limits.js';
import { readUint32 } from './uint32.js';
import { frameTooLong, protocolError } from './wire-errors.js';

/** Smallest body: four empty length-prefixed sections. */
const MIN_BODY_LENGTH = 16;

/** Receives each whole frame; it must not throw (an exception fails the decoder). */
export type FrameHandler = (frame: Buffer) => void;

/**
 * Receives each whole frame as `bytes[start, end)`; it must not throw. The bytes stay valid
 * after the call: a frame may be kept as a view of them.
 */
export type FrameRangeHandler = (bytes: Buffer, start: number, end: number) => void;

export class FrameDecoder {
  private readonly maxFrameLength: number;
  /** Bytes of an unfinished frame, in arrival order. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Full length of the unfinished frame once its prefix is known, else 0. */
  private expected = 0;
  private failure: RpcxError | undefined;

  constructor(limits: Partial<Pick<FrameLimits, 'maxFrameLength'>> = {}) {
    this.maxFrameLength = limits.maxFrameLength ?? DEFAULT_LIMITS.maxFrameLength;
  }

  /** Bytes held for a frame that has not fully arrived. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /**
   * Feeds a chunk, calling `onFrame` for every frame it completes, then throws `RpcxError` if
   * the stream turned out to be broken.
   */
  push(chunk: Uint8Array, onFrame: FrameHandler): void {
    this.pushRanges(chunk, (bytes, start, end) => onFrame(bytes.subarray(start, end)));
  }

  /** As `push`, handing out each frame as its range in the chunk instead of a view. */
  pushRanges(chunk: Uint8Array, onFrame: FrameRangeHandler): void {
    if (this.failure) throw this.failure;
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      if (this.pendingLength === 0) {
        this.split(bytes, onFrame);
      } else {
        this.append(bytes, onFrame);
      }
    } catch (error) {
      this.failure = error as RpcxError;
      this.pending = [];
      this.pendingLength = 0;
      throw error;
    }
  }

  /** Convenience for tests and tools: the frames of `chunk`, in an array. */
  pushAll(chunk: Uint8Array): Buffer[] {
    const frames: Buffer[] = [];
    this.push(chunk, (frame) => frames.push(frame));
    return frames;
  }

  /** Cuts every whole frame out of `bytes`; keeps the unfinished tail. */
  private split(bytes: Buffer, onFrame: FrameRangeHandler): void {
    let at = 0;
    while (bytes.length - at >= FRAME_PREFIX_LENGTH) {
      const frameLength = this.frameLength(bytes, at);
      if (bytes.length - at < frameLength) break;
      onFrame(bytes, at, at + frameLength);
      at += frameLength;
    }
    if (at < bytes.length) {
      const tail = bytes.subarray(at);
      if (tail[0] !== MAGIC_NUMBER) throw protocolError(`wrong magic number: ${tail[0]}`);
      this.expected = tail.length >= FRAME_PREFIX_LENGTH ? this.frameLength(tail, 0) : 0;
      this.pending = [tail];
      this.pendingLength = tail.length;
    }
  }

  /** Adds to an unfinished frame; once it is whole, joins it and splits what follows. */
  private append(bytes: Buffer, onFrame: FrameRangeHandler): void {
    this.pending.push(bytes);
    this.pendingLength += bytes.length;
    if (this.expected === 0 && this.pendingLength >= FRAME_PREFIX_LENGTH) {
      const prefix = Buffer.concat(this.pending, FRAME_PREFIX_LENGTH);
      this.expected = this.frameLength(prefix, 0);
    }
    if (this.expected === 0 || this.pendingLength < this.expected) return;

    const joined = Buffer.concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    this.expected = 0;
    this.split(joined, onFrame);
  }

  /** Validates the 16-byte prefix at `at` and returns the whole frame's length. */
  private frameLength(bytes: Buffer, at: number): number {
    const magic = bytes[at];
    if (magic !== MAGIC_NUMBER) throw protocolError(`wrong magic number: ${magic}`);
    const bodyLength = readUint32(bytes, at + HEADER_LENGTH);
    if (bodyLength > this.maxFrameLength) throw frameTooLong(bodyLength, this.maxFrameLength);
    if (bodyLength < MIN_BODY_LENGTH) {
      throw protocolError(
        `frame body of ${bodyLength} bytes is shorter than its four length fields`,
      );
    }
    return FRAME_PREFIX_LENGTH + bodyLength;
  }
}
