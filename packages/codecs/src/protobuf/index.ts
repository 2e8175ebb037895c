export { isMessageType, type ProtobufMessageType } from './message-type.js';
export {
  createProtobufCodec,
  type ProtobufCodec,
  type ProtobufCodecOptions,
} from './protobuf-codec.js';
