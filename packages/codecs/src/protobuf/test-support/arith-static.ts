/**
 * A message class shaped like `pbjs -t static-module` output for arith.proto's ArithArgs (static
 * encode/decode/verify over protobufjs/minimal, defaults on the prototype), written by hand so
 * the tests need no code generator.
 */
import protobuf from 'protobufjs/minimal.js';

const { Reader, Writer, util } = protobuf;

export interface IArithArgs {
  a?: number | null;
  b?: number | null;
}

export class ArithArgs implements IArithArgs {
  declare a: number;
  declare b: number;

  constructor(properties?: IArithArgs) {
    if (properties) {
      if (properties.a != null) this.a = properties.a;
      if (properties.b != null) this.b = properties.b;
    }
  }

  static encode(message: IArithArgs, writer?: protobuf.Writer): protobuf.Writer {
    const w = writer ?? Writer.create();
    if (message.a != null && Object.hasOwn(message, 'a')) w.uint32(8).int32(message.a);
    if (message.b != null && Object.hasOwn(message, 'b')) w.uint32(16).int32(message.b);
    return w;
  }

  static decode(reader: protobuf.Reader | Uint8Array, length?: number): ArithArgs {
    const r = reader instanceof Reader ? reader : Reader.create(reader);
    const end = length === undefined ? r.len : r.pos + length;
    const message = new ArithArgs();
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1:
          message.a = r.int32();
          break;
        case 2:
          message.b = r.int32();
          break;
        default:
          r.skipType(tag & 7);
      }
    }
    return message;
  }

  static verify(message: { [key: string]: unknown }): string | null {
    if (typeof message !== 'object' || message === null) return 'object expected';
    if (message.a != null && !util.isInteger(message.a)) return 'a: integer expected';
    if (message.b != null && !util.isInteger(message.b)) return 'b: integer expected';
    return null;
  }
}

ArithArgs.prototype.a = 0;
ArithArgs.prototype.b = 0;
