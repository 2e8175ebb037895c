/**
 * The encoded path sections of a frame (`spLen, servicePath, smLen, serviceMethod`) for the
 * names in use. A program calls a few methods over and over, so each pair is encoded once and
 * copied after that. Shared by every connection in the process: the buffers are never changed
 * after they are made, and the cache is bounded for programs that invent names per call.
 */
import { writeUint32 } from './uint32.js';

const sections = new Map<string, Map<string, Buffer>>();
let cached = 0;
const MAX_CACHED = 4096;

/** The path sections for `servicePath` and `serviceMethod` (read-only). */
export function pathSection(servicePath: string, serviceMethod: string): Buffer {
  let methods = sections.get(servicePath);
  const known = methods?.get(serviceMethod);
  if (known !== undefined) return known;
  const pathLength = Buffer.byteLength(servicePath);
  const methodLength = Buffer.byteLength(serviceMethod);
  const section = Buffer.alloc(8 + pathLength + methodLength);
  writeUint32(section, 0, pathLength);
  section.write(servicePath, 4);
  writeUint32(section, 4 + pathLength, methodLength);
  section.write(serviceMethod, 8 + pathLength);
  if (cached < MAX_CACHED) {
    if (methods === undefined) {
      methods = new Map();
      sections.set(servicePath, methods);
    }
    methods.set(serviceMethod, section);
    cached++;
  }
  return section;
}
