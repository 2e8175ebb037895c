/** Building messages from header fields, and comparing messages field by field. */
import { Message, type MessageInit } from '../message.js';

/** The header fields `Message` exposes through its accessors. */
export type HeaderFields = Pick<
  Message,
  | 'version'
  | 'messageType'
  | 'heartbeat'
  | 'oneway'
  | 'compressType'
  | 'statusType'
  | 'serializeType'
  | 'reserved'
  | 'seq'
>;

/** A message with the given paths, metadata, payload and header fields (set through the setters). */
export function messageOf(fields: MessageInit & Partial<HeaderFields>): Message {
  const { servicePath, serviceMethod, metadata, payload, ...header } = fields;
  const message = new Message({ servicePath, serviceMethod, metadata, payload });
  Object.assign(message, header);
  return message;
}

/** Every field of `message` as plain data, for `toEqual`: metadata as a plain map, payload as a Buffer. */
export function fieldsOf(message: Message) {
  return {
    version: message.version,
    messageType: message.messageType,
    heartbeat: message.heartbeat,
    oneway: message.oneway,
    compressType: message.compressType,
    statusType: message.statusType,
    serializeType: message.serializeType,
    reserved: message.reserved,
    seq: message.seq,
    servicePath: message.servicePath,
    serviceMethod: message.serviceMethod,
    metadata: { ...message.metadata },
    payload: Buffer.from(message.payload),
  };
}

/**
 * `fieldsOf(message)` as it comes back from the wire: strings pass through UTF-8, so a lone
 * surrogate becomes U+FFFD.
 */
export function fieldsAfterWire(message: Message) {
  const utf8 = (text: string) => Buffer.from(text).toString();
  const fields = fieldsOf(message);
  return {
    ...fields,
    servicePath: utf8(fields.servicePath),
    serviceMethod: utf8(fields.serviceMethod),
    metadata: Object.fromEntries(
      Object.entries(fields.metadata).map(([key, value]) => [utf8(key), utf8(value)]),
    ),
  };
}
