/** Starts the demo's Arith server; Go rpcx clients can call it too (MsgPack, the Go default). */
import type { TlsOptions } from 'node:tls';
import { Server } from '@rpcx/server';
import { Arith } from './arith.js';

export async function startArithServer(
  address: string,
  tls?: TlsOptions,
): Promise<{ server: Server; address: string }> {
  const server = new Server();
  server.register(new Arith());
  const bound = await server.listen(address, tls ? { tls } : {});
  return { server, address: bound };
}
