/**
 * Go's `url.QueryEscape` and `url.Values.Encode`, and the merge Go's registry plugins do on each
 * refresh (spec §6.4, §6.9): parse the stored metadata, set `calls` / `connections` over it,
 * write it back encoded — keys sorted, so a TS server's node reads byte for byte as a Go one's.
 * The parsing half is `parseQuery` (endpoint-metadata.ts).
 */
import { parseQuery } from './endpoint-metadata.js';

/** Go's `url.QueryEscape`: UTF-8 bytes; `A-Z a-z 0-9 - _ . ~` kept, space `+`, the rest `%XX`. */
export function queryEscape(text: string): string {
  let escaped = '';
  for (const byte of utf8.encode(text)) {
    if (UNRESERVED[byte]) escaped += String.fromCharCode(byte);
    else if (byte === 0x20) escaped += '+';
    else escaped += HEX_ESCAPES[byte];
  }
  return escaped;
}

/** Go's `url.Values.Encode`: keys sorted by their UTF-8 bytes, each key's values in order. */
export function encodeGoValues(values: URLSearchParams): string {
  const keys = [...new Set(values.keys())].sort(byUtf8);
  const pairs: string[] = [];
  for (const key of keys) {
    const escapedKey = queryEscape(key);
    for (const value of values.getAll(key)) pairs.push(`${escapedKey}=${queryEscape(value)}`);
  }
  return pairs.join('&');
}

/**
 * `metadata` with `extra` set over it (replacing those keys), re-encoded as Go's refresh loop
 * writes it back; `undefined` when `metadata` does not parse (Go would drop the bad pairs; an
 * operator's value is better left alone).
 */
export function mergeMetadata(
  metadata: string,
  extra: Readonly<Record<string, string>>,
): string | undefined {
  const values = parseQuery(metadata);
  if (values === undefined) return undefined;
  for (const [key, value] of Object.entries(extra)) values.set(key, value);
  return encodeGoValues(values);
}

// ---------------------------------------------------------------------------------------------

const utf8 = new TextEncoder();

const UNRESERVED: readonly boolean[] = Array.from({ length: 256 }, (_, byte) =>
  /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)),
);

const HEX_ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
);

/** Go's `sort.Strings` compares bytes; UTF-16 order (JS's) differs beyond the BMP. */
function byUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const shared = Math.min(x.length, y.length);
  for (let i = 0; i < shared; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
