/**
 * UTF-8 text out of frame bytes. Service paths, method names and metadata are short and almost
 * always ASCII; for those, building the string in JS costs a third of a call into
 * `Buffer#toString`. Anything longer or non-ASCII takes the native decoder.
 */

/** Longest string decoded in JS; past this the native decoder is faster. */
const SHORT_TEXT = 24;

export function readText(bytes: Buffer, start: number, end: number): string {
  if (end - start > SHORT_TEXT) return bytes.toString('utf8', start, end);
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return bytes.toString('utf8', start, end);
    text += String.fromCharCode(byte);
  }
  return text;
}
