/**
 * One server of a test fleet, run as its own process (startFleetServer in support/fleet.ts): a
 * @rpcx/server serving service `Fleet` on `tcp@127.0.0.1:<port>`, printing
 * `READY tcp@127.0.0.1:<port>` once it listens. SIGTERM shuts it down gracefully (printing
 * `DRAINING` once it refuses new calls) and exits 0; SIGKILL just kills it, as a crash would.
 *
 *   --id <name>       what `Who` answers (default `fleet`)
 *   --port <n>        0 picks a free one (default); a given port lets a killed server come back
 *   --delay-ms <n>    every answer of Who and Mul waits this long (the slow server of a fleet)
 *   --slow-ms <n>     how long `Slow` waits (default 100)
 *   --role <r>        ok (default) | fail: Who and Mul fail | stall: Who and Mul never answer
 *
 * Methods: Who → id; Mul({A,B}) → {C}; Slow → id after slow-ms (printing `SLOW` as it starts); Fail → a service error naming
 * the id; Stall → no answer until the server shuts down (then a service error).
 */
import { parseArgs } from 'node:util';
import { Server } from '@rpcx/server';

const { values } = parseArgs({
  options: {
    id: { type: 'string', default: 'fleet' },
    port: { type: 'string', default: '0' },
    'delay-ms': { type: 'string', default: '0' },
    'slow-ms': { type: 'string', default: '100' },
    role: { type: 'string', default: 'ok' },
  },
});
const id = values.id;
const delayMs = Number(values['delay-ms']);
const slowMs = Number(values['slow-ms']);
const role = values.role;
if (!['ok', 'fail', 'stall'].includes(role)) throw new Error(`unknown --role ${role}`);

/** Stalled calls, released (with an error) when the server shuts down. */
const stalled = new Set<(error: Error) => void>();

/**
 * No answer until shutdown — not even at the call's deadline (the server aborts `ctx.signal`
 * then; a handler that answered would race the client's own timeout).
 */
function stall(): Promise<never> {
  return new Promise((_resolve, reject) => {
    stalled.add(reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Who and Mul as the role says: delayed, failing or stalled. */
async function answer<T>(reply: () => T): Promise<T> {
  if (role === 'stall') return stall();
  if (delayMs > 0) await sleep(delayMs);
  if (role === 'fail') throw new Error(`${id}: failing on purpose`);
  return reply();
}

class Fleet {
  Who() {
    return answer(() => id);
  }

  Mul(args: { A: number; B: number }) {
    return answer(() => ({ C: args.A * args.B }));
  }

  async Slow() {
    process.stdout.write('SLOW\n'); // a test may wait for the call to be under way
    await sleep(slowMs);
    return id;
  }

  Fail() {
    throw new Error(`${id}: Fail always fails`);
  }

  Stall() {
    return stall();
  }
}

const server = new Server();
server.register(new Fleet());

process.once('SIGTERM', () => {
  for (const release of stalled) release(new Error(`${id}: shutting down`));
  stalled.clear();
  const shutdown = server.shutdown({ timeoutMs: 5_000 });
  // The server refuses new calls from here on (and lets the ones under way finish).
  process.stdout.write('DRAINING\n');
  shutdown.then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

server.listen(`tcp@127.0.0.1:${values.port}`).then(
  (address) => process.stdout.write(`READY ${address}\n`),
  (error: unknown) => {
    process.stderr.write(`${id}: listen failed: ${String(error)}\n`);
    process.exit(1);
  },
);
