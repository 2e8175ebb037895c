/** The Arith service of the demo: the interface clients are typed from, and the server's class. */
import type { CallContext } from '@rpcx/server';

export interface Args {
  A: number;
  B: number;
}

export interface Reply {
  C: number;
}

/** What a client sees: each method takes Args and resolves with a Reply. */
export interface ArithService {
  Mul(args: Args): Reply;
  Div(args: Args): Reply;
  /** Pushes `B` countdown messages to the caller, then replies with how many it sent. */
  Countdown(args: Args): Reply;
}

export class Arith {
  Mul(args: Args): Reply {
    return { C: args.A * args.B };
  }

  Div(args: Args): Reply {
    if (args.B === 0) throw new Error('divide by zero');
    return { C: Math.trunc(args.A / args.B) };
  }

  async Countdown(args: Args, ctx: CallContext): Promise<Reply> {
    for (let i = args.B; i > 0; i--) {
      await ctx.server.sendMessage(ctx.connection, 'Arith', 'Tick', Buffer.from(`${i}…`));
    }
    return { C: args.B };
  }
}
