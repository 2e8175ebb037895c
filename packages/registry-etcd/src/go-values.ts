/**
 * Go's `url.Values.Encode`, for metadata this package rewrites the way Go's registry plugins do
 * (spec §6.4, §6.9): keys sorted, each `key=value` query-escaped as Go's `QueryEscape` does
 * (space → `+`; every byte but `A-Z a-z 0-9 - _ . ~` → `%XX`, upper case), pairs joined by `&`.
 */
import { parseQuery } from '@rpcx/core';

export function encodeGoValues(values: URLSearchParams): string {
  const keys = [...new Set(values.keys())].sort(compareBytes);
  const pairs: string[] = [];
  for (const key of keys) {
    const escapedKey = queryEscape(key);
    for (const value of values.getAll(key)) pairs.push(`${escapedKey}=${queryEscape(value)}`);
  }
  return pairs.join('&');
}

/**
 * `metadata` with `extra` set in it (replacing those keys), re-encoded as Go's refresh loop
 * writes it back; `undefined` when `metadata` cannot be parsed (then it is better left alone).
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

/** Go's `QueryEscape`. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}

/** Go's `sort.Strings`: by UTF-8 bytes (UTF-16 order differs only beyond the BMP). */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
