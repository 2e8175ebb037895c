/**
 * Endpoint metadata (`weight=10&group=a&state=inactive`) parsed as Go's `url.ParseQuery` does
 * (spec §5.1), so a TS client reads a registry value exactly as a Go client would.
 */

/**
 * The query's pairs, or `undefined` where Go's `ParseQuery` returns an error (a `;` in a pair,
 * a bad `%` escape). Go keeps the pairs it could parse beside the error; callers here treat any
 * error as "unparsable", as the XClient's filter does (it keeps such an endpoint).
 */
export function parseQuery(query: string): URLSearchParams | undefined {
  const params = new URLSearchParams();
  let failed = false;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) {
      failed = true;
      continue;
    }
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : queryUnescape(pair.slice(eq + 1));
    if (key === undefined || value === undefined) {
      failed = true;
      continue;
    }
    params.append(key, value);
  }
  return failed ? undefined : params;
}

const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/;

/** Go's `QueryUnescape`: `+` is a space, `%XX` a byte; undefined for a bad escape. */
function queryUnescape(text: string): string | undefined {
  if (BAD_ESCAPE.test(text)) return undefined;
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Escapes that are not UTF-8: Go keeps the bytes; we decode them as UTF-8 with replacements.
    return decodeBytes(spaced);
  }
}

function decodeBytes(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%') {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const byte of new TextEncoder().encode(text[i]!)) bytes.push(byte);
    }
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}
