/**
 * A process that registers one service with Consul through ConsulRegisterPlugin and then just
 * stays (the registry contract's `spawnRegistrant`: SIGKILLed to play a crashed server).
 *
 *   registrant.ts <consul address> <basePath> <servicePath> <serviceAddress>
 *
 * Prints `READY <serviceAddress>` once the node is in Consul.
 */
import { ConsulRegisterPlugin } from '../consul-register-plugin.js';

const [address, basePath, servicePath, serviceAddress] = process.argv.slice(2);
if (serviceAddress === undefined) throw new Error('usage: registrant.ts address base path addr');

const plugin = new ConsulRegisterPlugin({
  address,
  basePath: basePath!,
  serviceAddress,
  updateIntervalMs: 5_000,
  sessionTtlMs: 10_000,
});
plugin.start([serviceAddress]);
plugin.register(servicePath!, 'weight=1').then(
  () => process.stdout.write(`READY ${serviceAddress}\n`),
  (error: unknown) => {
    process.stderr.write(`registrant: ${String(error)}\n`);
    process.exit(1);
  },
);
// Stays up: the refresh loop's timer is unref'd, this one is not.
setInterval(() => {}, 60_000);
