/** Internal byte helpers shared by the codecs. */

/**
 * Whether `value` is a Uint8Array (Buffer included). Checked by internal slot rather than
 * `instanceof`, so bytes from another realm (vm contexts, test sandboxes) are recognised too.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    ArrayBuffer.isView(value) &&
    (value as unknown as { [Symbol.toStringTag]: unknown })[Symbol.toStringTag] === 'Uint8Array'
  );
}
