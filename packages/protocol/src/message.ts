/**
 * One rpcx message: a header plus service path, method, metadata and the plain payload. Field
 * accessors read and write the header bytes, so a response can be derived from a request the way
 * Go does it — by cloning the header (spec §1.11).
 */
import { type MessageType, type Metadata, newMetadata, type RpcxMessage } from '@rpcx/core';
import { Header } from './header.js';

const EMPTY_PAYLOAD = new Uint8Array(0);

export interface MessageInit {
  header?: Header;
  servicePath?: string;
  serviceMethod?: string;
  metadata?: Metadata;
  payload?: Uint8Array;
}

export class Message implements RpcxMessage {
  header: Header;
  servicePath: string;
  serviceMethod: string;
  metadata: Metadata;
  /** The plain payload; compression happens only on the wire. */
  payload: Uint8Array;

  constructor(init: MessageInit = {}) {
    this.header = init.header ?? new Header();
    this.servicePath = init.servicePath ?? '';
    this.serviceMethod = init.serviceMethod ?? '';
    this.metadata = init.metadata ?? newMetadata();
    this.payload = init.payload ?? EMPTY_PAYLOAD;
  }

  get version(): number {
    return this.header.version;
  }
  set version(value: number) {
    this.header.version = value;
  }
  get messageType(): MessageType {
    return this.header.messageType;
  }
  set messageType(value: MessageType) {
    this.header.messageType = value;
  }
  get heartbeat(): boolean {
    return this.header.heartbeat;
  }
  set heartbeat(value: boolean) {
    this.header.heartbeat = value;
  }
  get oneway(): boolean {
    return this.header.oneway;
  }
  set oneway(value: boolean) {
    this.header.oneway = value;
  }
  get compressType(): number {
    return this.header.compressType;
  }
  set compressType(value: number) {
    this.header.compressType = value;
  }
  get statusType(): number {
    return this.header.statusType;
  }
  set statusType(value: number) {
    this.header.statusType = value;
  }
  get serializeType(): number {
    return this.header.serializeType;
  }
  set serializeType(value: number) {
    this.header.serializeType = value;
  }
  get seq(): bigint {
    return this.header.seq;
  }
  set seq(value: bigint) {
    this.header.seq = value;
  }
}
