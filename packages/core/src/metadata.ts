/**
 * Empty metadata maps. A map must not inherit keys (`toString` is not metadata) and a `__proto__`
 * key must be just a key; `Object.create(null)` gives both, but V8 makes such an object a slow
 * dictionary, which costs a few times more to create than an ordinary object. Objects made by a
 * constructor whose prototype is an empty, frozen, prototype-less object give the same guarantees
 * and stay fast — and a decoder makes one per message.
 */
import type { Metadata } from './message.js';

function MetadataMap(): void {}
MetadataMap.prototype = Object.freeze(Object.create(null));

/** A new, empty metadata map (no inherited keys; `__proto__` is an ordinary key). */
export function newMetadata(): Metadata {
  return new (MetadataMap as unknown as new () => Metadata)();
}

/** A new metadata map with the pairs of `source` (own keys only). */
export function copyMetadata(source: Readonly<Metadata> | undefined): Metadata {
  const metadata = newMetadata();
  if (source !== undefined) for (const key of Object.keys(source)) metadata[key] = source[key]!;
  return metadata;
}
