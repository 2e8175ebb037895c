/**
 * The demo: an Arith server and a client that calls it peer to peer, in one process.
 *
 *   node dist/main.js                 plain TCP on 127.0.0.1 (a free port)
 *   node dist/main.js --tls           TLS, with a throw-away certificate made by openssl
 *   node dist/main.js --address unix@/tmp/arith.sock
 */
import { parseArgs } from 'node:util';
import { createTlsFixture } from '@rpcx/testing';
import { runArithClient } from './demo-client.js';
import { startArithServer } from './demo-server.js';

const { values } = parseArgs({
  options: {
    tls: { type: 'boolean', default: false },
    address: { type: 'string', default: 'tcp@127.0.0.1:0' },
  },
});

const certificate = values.tls ? createTlsFixture() : undefined;
try {
  const { server, address } = await startArithServer(
    values.address,
    certificate && { key: certificate.key, cert: certificate.cert },
  );
  console.log(`Arith server listening on ${address}${certificate ? ' (TLS)' : ''}`);
  try {
    await runArithClient(address, certificate && { ca: certificate.ca });
  } finally {
    await server.shutdown({ timeoutMs: 1000 });
    console.log('server shut down');
  }
} finally {
  certificate?.dispose();
}
