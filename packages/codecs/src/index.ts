export { CodecRegistry, createCodecRegistry, defaultCodecs } from './codec-registry.js';
export { jsonCodec } from './json.js';
export { isOptionalCodec, loadOptionalCodec } from './optional-codecs.js';
export { rawCodec } from './raw.js';
