/**
 * UTF-8 text out of frame bytes. Service paths, method names and metadata keys are short, almost
 * always ASCII, and the same few on every request: those are looked up in a small cache of
 * recently decoded strings, so a request allocates no string for them, and built in JS on a miss
 * (a third of the cost of a call into `Buffer#toString`). Anything longer or non-ASCII takes the
 * native decoder.
 */

/** Longest string decoded in JS; past this the native decoder is faster. */
const SHORT_TEXT = 24;
/**
 * Recent short strings, one per (length, first byte): a lookup compares the bytes with the one
 * candidate in a single pass, with no hashing.
 */
const recent: string[] = new Array<string>((SHORT_TEXT + 1) << 7).fill('');

export function readText(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  const first = bytes[start]!;
  if (length > SHORT_TEXT || first >= 0x80) return bytes.toString('utf8', start, end);
  const slot = (length << 7) | first;
  const cached = recent[slot]!;
  if (cached.length === length) {
    let i = 1;
    while (i < length && cached.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return cached;
  }
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return bytes.toString('utf8', start, end);
    text += String.fromCharCode(byte);
  }
  recent[slot] = text;
  return text;
}
