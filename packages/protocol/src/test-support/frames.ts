/** Frames and metadata blocks assembled by hand, so that their lengths can lie. */

export function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** One encoded metadata pair: `keyLen, key, valueLen, value`. */
export function pair(key: string, value: string): Buffer {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  return Buffer.concat([u32(k.length), k, u32(v.length), v]);
}

/** `count` pairs with empty keys and values (8 bytes each). */
export function emptyPairs(count: number): Buffer {
  return Buffer.alloc(8 * count);
}

export interface FrameParts {
  /** Header byte 2 (flags); 0 by default. */
  byte2?: number;
  servicePath?: string;
  metadata?: Buffer;
  payload?: Buffer;
  /** Override the length fields written for each section. */
  pathLength?: number;
  metaLength?: number;
  payloadLength?: number;
}

/** A frame with seq 0 and an empty serviceMethod, its sections and lengths as given. */
export function frameWith(parts: FrameParts): Buffer {
  const path = Buffer.from(parts.servicePath ?? '');
  const metadata = parts.metadata ?? Buffer.alloc(0);
  const payload = parts.payload ?? Buffer.alloc(0);
  const body = Buffer.concat([
    u32(parts.pathLength ?? path.length),
    path,
    u32(0),
    u32(parts.metaLength ?? metadata.length),
    metadata,
    u32(parts.payloadLength ?? payload.length),
    payload,
  ]);
  const header = Buffer.alloc(12);
  header[0] = 0x08;
  header[2] = parts.byte2 ?? 0;
  return Buffer.concat([header, u32(body.length), body]);
}
