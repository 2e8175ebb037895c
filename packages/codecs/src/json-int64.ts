/**
 * Internal: exact 64-bit integers in JSON. Go writes int64/uint64 as plain JSON numbers, which
 * `JSON.stringify` cannot produce from a bigint and `JSON.parse` rounds past 2^53. Both directions
 * go through a marked string that never leaves this module.
 */

// A private-use character and a per-process nonce: no real string is ever taken for a mark.
const MARK = `\uE000int64-${Math.random().toString(36).slice(2, 10)}:`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)"`, 'g');

const INT64_MIN = -(2n ** 63n);
const UINT64_END = 2n ** 64n;
/** 2^53 has 16 digits: an integer literal with fewer is a safe integer. */
const UNSAFE_DIGITS = 16;
/** 1 for the bytes of '0'..'9', for `mayHoldUnsafeInteger`: a table read, not a call. */
const DIGIT_BYTE = new Uint8Array(256).fill(1, 0x30, 0x3a);
const INTEGER_LITERAL = /^-?(?:0|[1-9]\d*)$/;

/** Stands in for a bigint during `JSON.stringify`; see `unmarkBigInts`. */
export function markBigInt(value: bigint): string {
  return MARK + value.toString();
}

/** Turns the marked strings of `markBigInt` back into bare JSON numbers (exact digits). */
export function unmarkBigInts(json: string): string {
  return json.includes(MARK) ? json.replace(MARKED, '$1') : json;
}

/**
 * Whether UTF-8 JSON may hold an integer literal beyond ±(2^53−1), which `JSON.parse` would
 * round. Such a literal is a run of at least 16 digits, and any run of 16 bytes covers one of
 * the indexes 15, 31, 47, …, so only every 16th byte is read; when it is a digit, a run of 16
 * through it also covers the byte 8 before or 8 after it, and only then is the run measured.
 * Digits are ASCII, so the runs are those of the decoded text. A false positive (a long digit run
 * in a string, a long float) only costs `parseExact` its scan.
 */
export function mayHoldUnsafeInteger(utf8: Uint8Array): boolean {
  const length = utf8.length;
  for (let i = UNSAFE_DIGITS - 1; i < length; i += UNSAFE_DIGITS) {
    if (DIGIT_BYTE[utf8[i]!] === 0) continue;
    if (DIGIT_BYTE[utf8[i - 8]!] === 0 && (i + 8 >= length || DIGIT_BYTE[utf8[i + 8]!] === 0)) {
      continue;
    }
    let start = i;
    while (start > 0 && DIGIT_BYTE[utf8[start - 1]!] === 1) start--;
    let end = i + 1;
    while (end < length && DIGIT_BYTE[utf8[end]!] === 1) end++;
    // A shorter run ends before the next index looked at, so no run is read twice.
    if (end - start >= UNSAFE_DIGITS) return true;
  }
  return false;
}

/**
 * `JSON.parse`, except that integer literals beyond ±(2^53−1) that fit Go's int64/uint64 range
 * come back as bigint instead of a rounded number. Reads the whole text: call it when
 * `mayHoldUnsafeInteger` says so, plain `JSON.parse` otherwise (the same result then).
 */
export function parseExact(text: string): unknown {
  const marked = markUnsafeIntegers(text);
  if (marked === text) return JSON.parse(text);
  try {
    return JSON.parse(marked, reviveBigInt);
  } catch {
    // Report the error against the text as received, not the rewritten one.
    return JSON.parse(text);
  }
}

function reviveBigInt(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.startsWith(MARK)
    ? BigInt(value.slice(MARK.length))
    : value;
}

/** Rewrites unsafe integer literals (outside strings) as marked strings. */
function markUnsafeIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = skipString(text, i);
    } else if (c === 0x2d /* - */ || isDigit(c)) {
      const start = i;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      const literal = text.slice(start, i);
      if (isUnsafeInt64(literal)) {
        out += `${text.slice(copied, start)}"${MARK}${literal}"`;
        copied = i;
      }
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Index just past the string literal starting at `start` (escapes skipped). */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22 /* " */) return i + 1;
    else i++;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isNumberChar(c: number): boolean {
  // digits, '.', 'e', 'E', '+', '-'
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

function isUnsafeInt64(literal: string): boolean {
  if (literal.length < UNSAFE_DIGITS || !INTEGER_LITERAL.test(literal)) return false;
  const value = BigInt(literal);
  return !Number.isSafeInteger(Number(literal)) && value >= INT64_MIN && value < UINT64_END;
}
