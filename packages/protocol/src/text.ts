/**
 * UTF-8 text out of frame bytes. Service paths, method names and metadata keys are short, almost
 * always ASCII, and the same few on every request: those are looked up in a small cache of
 * recently decoded strings, so a request allocates no string for them, and built in JS on a miss
 * (a third of the cost of a call into `Buffer#toString`). Anything longer or non-ASCII takes the
 * native decoder.
 */

/** Longest string decoded in JS; past this the native decoder is faster. */
const SHORT_TEXT = 24;
/** Slots of the cache of recent short strings (a power of two). */
const CACHE_SLOTS = 512;

const recent: string[] = new Array<string>(CACHE_SLOTS).fill('');

export function readText(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > SHORT_TEXT) return bytes.toString('utf8', start, end);
  let hash = length;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return bytes.toString('utf8', start, end);
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  const slot = hash & (CACHE_SLOTS - 1);
  const cached = recent[slot]!;
  if (cached.length === length && sameAscii(cached, bytes, start)) return cached;
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  recent[slot] = text;
  return text;
}

function sameAscii(text: string, bytes: Buffer, start: number): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}
