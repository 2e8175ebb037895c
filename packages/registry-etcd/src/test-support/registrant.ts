/**
 * A child program for the registry contract's crash test: registers one service through
 * `EtcdRegisterPlugin` and stays alive (keeping its lease) until killed.
 *
 *   registrant.ts <endpoints,comma-separated> <basePath> <servicePath> <serviceAddress> <ttlSeconds>
 *
 * Prints `READY <serviceAddress>` once the node is written.
 */
import { EtcdRegisterPlugin } from '../etcd-register-plugin.js';

async function main(): Promise<void> {
  const [endpoints, basePath, servicePath, serviceAddress, ttl] = process.argv.slice(2);
  if (serviceAddress === undefined || ttl === undefined) {
    throw new Error(
      'usage: registrant.ts <endpoints> <basePath> <servicePath> <serviceAddress> <ttlSeconds>',
    );
  }
  const plugin = new EtcdRegisterPlugin({
    endpoints: endpoints!.split(','),
    basePath: basePath!,
    serviceAddress,
    ttlSeconds: Number(ttl),
  });
  await plugin.start();
  await plugin.register(servicePath!, '');
  if (!plugin.healthy) throw new Error('could not register');
  process.stdout.write(`READY ${serviceAddress}\n`);
  setInterval(() => {}, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`registrant: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
