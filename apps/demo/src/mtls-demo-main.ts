/**
 * The mutual TLS and auth demo (see mtls-demo.ts): services by client certificate, a user by
 * token, strangers refused at the handshake. Exits 1 if it did not go as it should.
 *
 *   node dist/mtls-demo-main.js        (pnpm demo:mtls at the root builds and runs it)
 */
import { runMtlsDemo } from './mtls-demo.js';

const summary = await runMtlsDemo();
const allowed = Object.values(summary.whoAmI).every((reply) => reply.startsWith('{'));
const refused = Object.values(summary.refused).every((reply) => !reply.startsWith('{'));
if (!allowed || !refused) process.exitCode = 1;
