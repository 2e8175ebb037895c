/**
 * A child program for consul-launcher.spec.ts: starts a Consul agent, prints
 * `READY <address>` and stays; SIGKILLed by the spec to show the agent goes with it.
 */
import { startConsul } from '../consul-launcher.js';

setInterval(() => {}, 60_000);
startConsul().then(
  (agent) => process.stdout.write(`READY ${agent.address}\n`),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
