/**
 * The interop service contract (conformance/README.md), implemented on @rpcx/server. The Go
 * reference server implements the same services, so one client suite runs against both, and the
 * Go reference client checks this server.
 */
import { join } from 'node:path';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import type { CallContext, Server } from '@rpcx/server';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(join(__dirname, '..', '..', 'proto', 'arith.proto'));
export const ArithArgs = root.lookupType('arith.ArithArgs');
export const ArithReply = root.lookupType('arith.ArithReply');
export const EchoMessage = root.lookupType('arith.EchoMessage');

export const protobufCodec = createProtobufCodec();

interface Args {
  A: number;
  B: number;
}

/** Every request metadata key not reserved by rpcx comes back as `echo-<key>`. */
function echoMetadata(ctx: CallContext): void {
  for (const [key, value] of Object.entries(ctx.metadata)) {
    if (!key.startsWith('__')) ctx.responseMetadata[`echo-${key}`] = value;
  }
}

function divide(a: number, b: number): number {
  if (b === 0) throw new Error('divide by zero');
  return Math.trunc(a / b);
}

class Arith {
  Mul(args: Args) {
    return { C: args.A * args.B };
  }
  Div(args: Args) {
    return { C: divide(args.A, args.B) };
  }
}

class ArithPB {
  Mul(args: { a: number; b: number }) {
    return { c: args.a * args.b };
  }
  Div(args: { a: number; b: number }) {
    return { c: divide(args.a, args.b) };
  }
  Echo(args: { text: string }, ctx: CallContext) {
    echoMetadata(ctx);
    return { text: args.text };
  }
}

class Echo {
  Text(args: { Text: string }, ctx: CallContext) {
    echoMetadata(ctx);
    return { Text: args.Text };
  }
}

class Raw {
  Echo(args: Uint8Array, ctx: CallContext) {
    echoMetadata(ctx);
    return args;
  }
}

class Slow {
  async Sleep(args: { Ms: number }, ctx: CallContext) {
    const deadlineMs = ctx.deadline === undefined ? -1 : Math.floor(ctx.deadline - Date.now());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, args.Ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
    return { Slept: true, DeadlineMs: deadlineMs };
  }
}

class Push {
  async Subscribe(args: { Count: number; Text: string }, ctx: CallContext) {
    for (let i = 0; i < args.Count; i++) {
      await ctx.server.sendMessage(ctx.connection, 'Push', 'Event', Buffer.from(args.Text), {
        i: String(i),
      });
    }
    return { C: args.Count };
  }
}

class Oneway {
  private last = '';
  Notify(args: { Text: string }) {
    this.last = args.Text;
  }
  Last() {
    return { Text: this.last };
  }
}

export function registerReferenceServices(server: Server): void {
  server.register(new Arith());
  server.register(new ArithPB(), {
    types: {
      Mul: { args: ArithArgs, reply: ArithReply },
      Div: { args: ArithArgs, reply: ArithReply },
      Echo: { args: EchoMessage, reply: EchoMessage },
    },
  });
  server.register(new Echo());
  server.register(new Raw());
  server.register(new Slow());
  server.register(new Push());
  server.register(new Oneway());
}
