export { CodecRegistry, createCodecRegistry, defaultCodecs } from './codec-registry.js';
export { jsonCodec } from './json.js';
export { rawCodec } from './raw.js';
