/** Golden vectors written by Go rpcx (conformance/go/cmd/vectorgen), and the fields they carry. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Message } from '@rpcx/protocol';

/** The JSON shape shared with the Go programs (conformance/go/internal/wire/expect.go). */
export interface ExpectedFields {
  version: number;
  messageType: number;
  heartbeat: boolean;
  oneway: boolean;
  compressType: number;
  messageStatusType: number;
  serializeType: number;
  seq: string;
  servicePath: string;
  serviceMethod: string;
  metadata: Record<string, string>;
  payloadHex: string;
  wirePayloadLength?: number;
}

export interface Vector {
  name: string;
  description: string;
  hex: string;
  expect: ExpectedFields;
  value?: unknown;
}

export const vectorsDir = join(__dirname, '..', '..', 'vectors');

export function loadVectors(dir = vectorsDir): Vector[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Vector);
}

/** The fields of a decoded message, in the shared shape (without the wire length). */
export function fieldsOf(message: Message): ExpectedFields {
  return {
    version: message.version,
    messageType: message.messageType,
    heartbeat: message.heartbeat,
    oneway: message.oneway,
    compressType: message.compressType,
    messageStatusType: message.statusType,
    serializeType: message.serializeType,
    seq: message.seq.toString(),
    servicePath: message.servicePath,
    serviceMethod: message.serviceMethod,
    metadata: { ...message.metadata },
    payloadHex: Buffer.from(message.payload).toString('hex'),
  };
}

/** A message carrying the given fields. */
export function messageOf(fields: ExpectedFields): Message {
  const message = new Message({
    servicePath: fields.servicePath,
    serviceMethod: fields.serviceMethod,
    metadata: Object.assign(Object.create(null), fields.metadata),
    payload: Buffer.from(fields.payloadHex, 'hex'),
  });
  message.version = fields.version;
  message.messageType = fields.messageType === 1 ? 1 : 0;
  message.heartbeat = fields.heartbeat;
  message.oneway = fields.oneway;
  message.compressType = fields.compressType;
  message.statusType = fields.messageStatusType;
  message.serializeType = fields.serializeType;
  message.seq = BigInt(fields.seq);
  return message;
}

export function withoutWireLength(fields: ExpectedFields): ExpectedFields {
  const { wirePayloadLength: _ignored, ...rest } = fields;
  return rest;
}
