/**
 * The `Fleet` service of the mixed-fleet and registry interop tests, on @rpcx/server: every reply
 * names the server that answered. Go's refserver and regserver register the same service
 * (conformance/go/internal/interop `Fleet`, `-id`), with the types of the same package
 * (`FleetArgs`, `FleetWho`, ...):
 *
 * | Method | Reply | Behaviour |
 * | --- | --- | --- |
 * | `Who` | `{ Id }` | |
 * | `Mul` | `{ Id, C }` | C = A×B |
 * | `Fail` | `{ Id }` | fails with `fleet <id>: failed` when `Ids` is empty or names this server |
 * | `Slow` | `{ Id, Slept }` | sleeps `Ms` when `Ids` is empty or names this server |
 */
import { type CallContext, Server } from '@rpcx/server';

export interface FleetArgs {
  A?: number;
  B?: number;
  Ms?: number;
  Ids?: string[];
}

export const fleetFailText = (id: string) => `fleet ${id}: failed`;

const METHODS = ['Who', 'Mul', 'Fail', 'Slow'] as const;
export type FleetMethod = (typeof METHODS)[number];

class Fleet {
  /** Calls received, per method (counted on entry). */
  readonly received = new Map<FleetMethod, number>();

  constructor(readonly id: string) {}

  private count(method: FleetMethod): void {
    this.received.set(method, (this.received.get(method) ?? 0) + 1);
  }

  private targeted(args: FleetArgs | null | undefined): boolean {
    const ids = args?.Ids ?? [];
    return ids.length === 0 || ids.includes(this.id);
  }

  Who() {
    this.count('Who');
    return { Id: this.id };
  }

  Mul(args: FleetArgs) {
    this.count('Mul');
    return { Id: this.id, C: (args.A ?? 0) * (args.B ?? 0) };
  }

  Fail(args: FleetArgs) {
    this.count('Fail');
    if (this.targeted(args)) throw new Error(fleetFailText(this.id));
    return { Id: this.id };
  }

  async Slow(args: FleetArgs, ctx: CallContext) {
    this.count('Slow');
    if (!this.targeted(args)) return { Id: this.id, Slept: false };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, args.Ms ?? 0);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
    return { Id: this.id, Slept: true };
  }
}

export interface FleetServer {
  id: string;
  /** `tcp@127.0.0.1:PORT`. */
  key: string;
  /** `127.0.0.1:PORT`, as Go's Inform receipts name it. */
  hostPort: string;
  server: Server;
  /** Calls of `method` this server has received so far. */
  received(method: FleetMethod): number;
  /** Closes listener and connections at once (idempotent). */
  close(): Promise<void>;
}

/** Registers a `Fleet` answering with `id` under `servicePath` (with registry `metadata`). */
export function registerFleet(
  server: Server,
  servicePath: string,
  id: string,
  metadata?: string,
): Fleet {
  const fleet = new Fleet(id);
  server.registerName(servicePath, fleet, { methods: [...METHODS], metadata });
  return fleet;
}

/** A TS server with `Fleet` registered, listening on a free loopback port. */
export async function startFleetServer(id: string): Promise<FleetServer> {
  const server = new Server();
  const fleet = registerFleet(server, 'Fleet', id);
  const key = await server.listen('tcp@127.0.0.1:0');
  let closing: Promise<void> | undefined;
  return {
    id,
    key,
    hostPort: key.slice(key.indexOf('@') + 1),
    server,
    received: (method) => fleet.received.get(method) ?? 0,
    close: () => {
      closing ??= server.close();
      return closing;
    },
  };
}
