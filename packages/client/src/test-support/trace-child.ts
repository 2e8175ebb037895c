/**
 * A process for the RPCX_TRACE test: a Server and a Client, each with a logger of its own that
 * prints `<who> <level> <message>` lines, make one call; then `READY done`. Run by
 * diagnostics.spec.ts with and without `RPCX_TRACE` in its environment.
 */
import type { Logger } from '@rpcx/core';
import { Server } from '../../../server/src/index.js';
import { Client } from '../client.js';

function printer(who: string): Logger {
  const print = (level: string) => (message: string) => {
    process.stdout.write(`${who} ${level} ${message}\n`);
  };
  return { debug: print('debug'), info: print('info'), warn: print('warn'), error: print('error') };
}

async function main(): Promise<void> {
  const server = new Server({ logger: printer('server') });
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
    C: args.A * args.B,
  }));
  const address = await server.listen('tcp@127.0.0.1:0');
  const client = new Client({ address, serializeType: 1, logger: printer('client') });
  await client.call('Arith', 'Mul', { A: 6, B: 7 });
  await client.close();
  await server.close();
  process.stdout.write('READY done\n');
}

void main();
