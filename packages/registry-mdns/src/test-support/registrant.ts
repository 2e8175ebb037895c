/**
 * A server process that only registers (the contract's crash test kills it with SIGKILL): an
 * `MdnsRegisterPlugin` announcing `<servicePath>` at `<serviceAddress>`, run by the agent inside
 * the test namespace. Prints `REGISTERED <serviceAddress>`; exits when its stdin closes.
 *
 *   registrant.ts <servicePath> <serviceAddress>
 */
import { assertIsolatedNetns } from '@rpcx/testing';
import { MdnsRegisterPlugin } from '../index.js';
import { NETNS_SOCKET } from './netns-socket.js';

assertIsolatedNetns();

const [servicePath, serviceAddress] = process.argv.slice(2);
if (servicePath === undefined || serviceAddress === undefined) {
  process.stderr.write('usage: registrant.ts <servicePath> <serviceAddress>\n');
  process.exit(64);
}
const plugin = new MdnsRegisterPlugin({ serviceAddress, socket: NETNS_SOCKET });
// Runs until killed or orphaned (its socket keeps it alive).
void (async () => {
  await plugin.start([serviceAddress]);
  await plugin.register(servicePath, '');
  process.stdout.write(`REGISTERED ${serviceAddress}\n`);
})();
