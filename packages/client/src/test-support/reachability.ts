/**
 * What an interceptor could reach from a call: used to check that nothing it holds leads to an
 * object that writes to a socket or dials one.
 */

/** The properties of `value` (own and inherited, getters read), or none for a primitive. */
function properties(value: unknown): Array<[string, unknown]> {
  if (typeof value !== 'object' || value === null) return [];
  const found: Array<[string, unknown]> = [];
  for (let proto = value; proto !== null && proto !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      try {
        found.push([name, (value as Record<string, unknown>)[name]]);
      } catch {
        // A getter that throws leads nowhere.
      }
    }
    proto = Object.getPrototypeOf(proto) as object;
  }
  return found;
}

/** Whether `value` is (or holds on its surface) something that can write to or dial a socket. */
function ownsSocket(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return ['socket', 'framed', 'transmit', 'writeFrom', 'dialer', 'obtain'].some(
    (name) => name in value,
  );
}

/** The property paths, two levels deep from `call`, that are or hold a socket owner. */
export function pathsToSocket(call: unknown): string[] {
  const reachable: string[] = [];
  for (const [name, value] of properties(call)) {
    if (ownsSocket(value)) reachable.push(name);
    for (const [inner, innerValue] of properties(value)) {
      if (ownsSocket(innerValue)) reachable.push(`${name}.${inner}`);
    }
  }
  return reachable;
}
