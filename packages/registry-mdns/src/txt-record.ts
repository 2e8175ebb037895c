/**
 * The TXT string Go rpcx's mDNS plugin writes and its discovery reads (spec §6.8): one string per
 * instance, `url.QueryEscape(json.Marshal(services))`, where `services` is an array of
 * `{"service": path, "meta": metadata, "service_address": "tcp@host:port"}` with empty fields
 * left out. Encoding here is byte-for-byte what Go writes; decoding accepts what Go's
 * `url.QueryUnescape` + `json.Unmarshal` accept.
 */
import { queryEscape } from '@rpcx/core';

/** One element of the TXT array: a service path one server serves. */
export interface ServiceMeta {
  /** The service path (`Arith`). */
  readonly service: string;
  /** Its metadata, a URL query (`weight=10&group=a`); may be empty. */
  readonly meta: string;
  /** `network@address` of the server (`tcp@127.0.0.1:8972`): the discovery's key. */
  readonly serviceAddress: string;
}

/** A DNS character-string holds at most 255 bytes (RFC 1035 §3.3). */
export const MAX_TXT_STRING_BYTES = 255;

/** Go's `json.Marshal(services)`: field order, `omitempty` and HTML-safe escaping as Go's. */
export function marshalServices(services: readonly ServiceMeta[]): string {
  const elements = services.map((s) => {
    const fields: string[] = [];
    if (s.service !== '') fields.push(`"service":${goJsonString(s.service)}`);
    if (s.meta !== '') fields.push(`"meta":${goJsonString(s.meta)}`);
    if (s.serviceAddress !== '') {
      fields.push(`"service_address":${goJsonString(s.serviceAddress)}`);
    }
    return `{${fields.join(',')}}`;
  });
  return `[${elements.join(',')}]`;
}

/** The TXT string for `services`, as Go writes it. */
export function encodeServicesTxt(services: readonly ServiceMeta[]): string {
  return queryEscape(marshalServices(services));
}

/**
 * The services in a TXT string; `undefined` when it is not Go's format (bad escape, not JSON,
 * not an array). `null` (Go's nil slice) is an empty list. Elements that are not objects are
 * skipped; missing or non-string fields read as empty, as Go's decoder leaves them.
 */
export function decodeServicesTxt(txt: string): ServiceMeta[] | undefined {
  const json = goQueryUnescape(txt);
  if (json === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) return undefined;
  const services: ServiceMeta[] = [];
  for (const element of parsed) {
    if (element === null || typeof element !== 'object' || Array.isArray(element)) continue;
    const record = element as Record<string, unknown>;
    services.push({
      service: stringField(record, 'service'),
      meta: stringField(record, 'meta'),
      serviceAddress: stringField(record, 'service_address'),
    });
  }
  return services;
}

function stringField(record: Record<string, unknown>, name: string): string {
  const value = record[name];
  return typeof value === 'string' ? value : '';
}

/** Go's `json.Marshal` of a string: JSON.stringify plus Go's HTML-safe escapes. */
function goJsonString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Go's `url.QueryUnescape`: `+` is a space; a `%` not followed by two hex digits is an error. */
export function goQueryUnescape(value: string): string | undefined {
  const bytes: number[] = [];
  const raw = Buffer.from(value, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x2b /* + */) bytes.push(0x20);
    else if (byte === 0x25 /* % */) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(byte);
  }
  return Buffer.from(bytes).toString('utf8');
}
