/** Hex dumps as the spec prints them (spaces and newlines ignored) → bytes. */
export function hex(dump: string): Buffer {
  return Buffer.from(dump.replace(/\s+/g, ''), 'hex');
}
