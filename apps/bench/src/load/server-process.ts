/** Child-process entry of the load run: starts one server, prints its address, serves until stdin closes. */
import { type ServerKind, startServer } from './servers.js';

const kind = process.argv[2] as ServerKind;
if (kind !== 'raw' && kind !== 'rpcx') {
  console.error('usage: server-process.js raw|rpcx');
  process.exit(2);
}
const address = await startServer(kind);
console.log(`LISTENING ${address}`);
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
