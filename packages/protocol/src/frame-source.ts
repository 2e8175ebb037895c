/**
 * A frame that writes itself: the transport gives it room in its write batch, so the frame is
 * written straight into the bytes that go to the socket — no frame buffer, no copy, no view.
 */
export interface FrameSource {
  /** Length of the frame to write. */
  readonly frameLength: number;
  /**
   * Writes the frame to `target[start, start + frameLength)`. If it throws, none of it is sent.
   * Called synchronously by whoever was handed the source, before anything else is prepared.
   */
  writeFrame(target: Buffer, start: number): void;
}
