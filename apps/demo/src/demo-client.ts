/** The demo's client side: plain calls, an error, a timeout-bound call, the typed proxy and pushes. */
import type { ConnectionOptions } from 'node:tls';
import { Client } from '@rpcx/client';
import { RpcxError } from '@rpcx/core';
import type { ArithService, Reply } from './arith.js';

export async function runArithClient(address: string, tls?: ConnectionOptions): Promise<void> {
  // Peer to peer: the client is given the server's address directly, no registry involved.
  const client = new Client({ address, tls });
  try {
    const product = await client.call<Reply>('Arith', 'Mul', { A: 7, B: 6 }, { timeoutMs: 1000 });
    console.log(`Arith.Mul(7, 6) = ${product.C}`);

    const arith = client.service<ArithService>('Arith');
    console.log(`Arith.Div(100, 7) = ${(await arith.Div({ A: 100, B: 7 })).C}   (typed proxy)`);

    try {
      await arith.Div({ A: 1, B: 0 });
    } catch (error) {
      if (!(error instanceof RpcxError)) throw error;
      console.log(`Arith.Div(1, 0) failed: [${error.code}] ${error.message}`);
    }

    const ticks: string[] = [];
    client.onPush((message) => ticks.push(Buffer.from(message.payload).toString()));
    const sent = await arith.Countdown({ A: 0, B: 3 });
    console.log(`Arith.Countdown pushed ${sent.C} messages: ${ticks.join(' ')}`);
  } finally {
    await client.close();
  }
}
