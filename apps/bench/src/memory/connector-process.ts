/**
 * The memory run's connector, a child process apart from the servers it measures: it holds the
 * idle connections (idle-sockets.ts). It prints `READY`, then answers each stdin line with one:
 *
 * - `open {OpenOptions as JSON}` → `OPENED {"opened","failed","firstError","ms"}`
 * - `count` → `COUNT {"open","closedByPeer"}`
 * - `close` → `CLOSED {"closed","forced","ms"}`
 *
 * and closes every connection and exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { IdleSockets, type OpenOptions } from './idle-sockets.js';

const sockets = new IdleSockets();
const reply = (word: string, value: object) => console.log(`${word} ${JSON.stringify(value)}`);

async function handle(line: string): Promise<void> {
  const [command, json] = line.trim().split(/ (.*)/);
  switch (command) {
    case 'open':
      return reply('OPENED', await sockets.open(JSON.parse(json!) as OpenOptions));
    case 'count':
      return reply('COUNT', { open: sockets.size, closedByPeer: sockets.closedByPeer });
    case 'close':
      return reply('CLOSED', await sockets.close());
  }
}

const lines = createInterface({ input: process.stdin });
// One command at a time, in order.
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(() => handle(line)).catch((error: unknown) => console.error(error));
});
lines.on('close', () => {
  void queue.then(() => sockets.close(2_000)).then(() => process.exit(0));
});
console.log('READY');
