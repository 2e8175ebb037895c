/**
 * Mutual TLS and auth: one server, one `auth` function, two kinds of caller.
 *
 * - Services present a client certificate from the demo CA (mutual TLS on `tls@…`): the server
 *   verifies it at the handshake, and `auth` maps its SPIFFE id (a URI subject alternative name)
 *   to a principal.
 * - People send a token (`authToken`, Go's `__AUTH`) over plain TCP (`tcp@…`); `auth` maps the
 *   token to a principal.
 *
 * Handlers read `ctx.principal` (what `auth` returned) and `ctx.connection.peerCertificate` (the
 * verified certificate). Callers without a certificate, or with one from another CA, are refused
 * at the handshake. The certificates are made by openssl in a temporary directory.
 *
 * `runMtlsDemo()` prints what happened and returns the summary (mtls-demo-main.ts runs it;
 * mtls-demo.spec.ts checks it).
 */
import type { ConnectionOptions } from 'node:tls';
import { Client, RpcxError } from '@rpcx/client';
import { type AuthFunction, type CallContext, Server } from '@rpcx/server';
import { createTlsFixture } from '@rpcx/testing';

/** Who is calling, as `auth` decides. */
export interface Principal {
  name: string;
  kind: 'service' | 'user';
  roles: readonly string[];
}

/** Services by the SPIFFE id in their certificate; users by token. */
const SERVICES = new Map<string, Principal>([
  ['spiffe://demo/billing', { name: 'billing', kind: 'service', roles: ['read', 'write'] }],
  ['spiffe://demo/reports', { name: 'reports', kind: 'service', roles: ['read'] }],
]);
const TOKENS = new Map<string, Principal>([
  ['carol-token', { name: 'carol', kind: 'user', roles: ['read'] }],
]);

/** Go's AuthFunc, returning the principal: a certificate wins over a token. */
export const authenticate: AuthFunction<Principal> = (token, _request, connection) => {
  const certificate = connection.peerCertificate;
  if (certificate !== undefined) {
    const service = certificate.uris.map((uri) => SERVICES.get(uri)).find(Boolean);
    if (service === undefined) throw new Error(`no service for ${certificate.subject}`);
    return service;
  }
  const user = TOKENS.get(token);
  if (user === undefined) throw new Error('a client certificate or a valid token is required');
  return user;
};

/** The demo service. */
class Account {
  WhoAmI(_args: unknown, ctx: CallContext): { name: string; via: string } {
    const principal = ctx.principal as Principal;
    const certificate = ctx.connection.peerCertificate;
    return {
      name: principal.name,
      via: certificate ? `certificate ${certificate.uris[0]} (${certificate.issuer})` : 'token',
    };
  }

  Transfer(args: { amount: number }, ctx: CallContext): { ok: true; amount: number } {
    const principal = ctx.principal as Principal;
    if (!principal.roles.includes('write')) {
      throw new Error(`${principal.name} may not transfer`);
    }
    return { ok: true, amount: args.amount };
  }
}

export interface MtlsDemoSummary {
  /** Caller → what `WhoAmI` answered, or the error. */
  whoAmI: Record<string, string>;
  /** Caller → what `Transfer` answered, or the error. */
  transfer: Record<string, string>;
  /** Callers refused at the TLS handshake → the error code and message. */
  refused: Record<string, string>;
}

export interface MtlsDemoOptions {
  /** Where the lines go. Default `console.log`. */
  log?: (line: string) => void;
}

export async function runMtlsDemo(options: MtlsDemoOptions = {}): Promise<MtlsDemoSummary> {
  const log = options.log ?? console.log;
  const ca = createTlsFixture({ caName: 'demo CA' });
  const otherCa = createTlsFixture({ caName: 'someone else' });
  const server = new Server({ auth: authenticate });
  const clients: Client[] = [];
  try {
    server.register(new Account());
    // Mutual TLS: the server's certificate, and client certificates of the demo CA only.
    const tlsAddress = await server.listen('tls@127.0.0.1:0', {
      tls: { key: ca.key, cert: ca.cert, ca: ca.ca, requestCert: true, rejectUnauthorized: true },
    });
    // Tokens over plain TCP (in production: TLS without client certificates).
    const tcpAddress = await server.listen('tcp@127.0.0.1:0');
    log(`server: mutual TLS on ${tlsAddress}, tokens on ${tcpAddress}`);

    const service = (name: string, from = ca): ConnectionOptions => {
      const issued = from.issueClient({ commonName: name, uris: [`spiffe://demo/${name}`] });
      return { ca: ca.ca, cert: issued.cert, key: issued.key };
    };
    const callers: Array<[string, Client]> = [
      ['billing (certificate)', new Client({ address: tlsAddress, tls: service('billing') })],
      ['reports (certificate)', new Client({ address: tlsAddress, tls: service('reports') })],
      ['carol (token)', new Client({ address: tcpAddress, authToken: 'carol-token' })],
    ];
    const strangers: Array<[string, Client]> = [
      ['no certificate', new Client({ address: tlsAddress, tls: { ca: ca.ca } })],
      [
        'certificate of another CA',
        new Client({ address: tlsAddress, tls: service('billing', otherCa) }),
      ],
    ];
    for (const [, client] of [...callers, ...strangers]) clients.push(client);

    const summary: MtlsDemoSummary = { whoAmI: {}, transfer: {}, refused: {} };
    const outcome = async (call: Promise<unknown>) => {
      try {
        return JSON.stringify(await call);
      } catch (error) {
        return error instanceof RpcxError ? `${error.code}: ${error.message}` : String(error);
      }
    };
    for (const [name, client] of callers) {
      summary.whoAmI[name] = await outcome(client.call('Account', 'WhoAmI', {}));
      summary.transfer[name] = await outcome(client.call('Account', 'Transfer', { amount: 10 }));
      log(`${name.padEnd(26)} WhoAmI → ${summary.whoAmI[name]}`);
      log(`${''.padEnd(26)} Transfer → ${summary.transfer[name]}`);
    }
    for (const [name, client] of strangers) {
      summary.refused[name] = await outcome(client.call('Account', 'WhoAmI', {}));
      log(`${name.padEnd(26)} refused → ${summary.refused[name]}`);
    }
    return summary;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
    ca.dispose();
    otherCa.dispose();
  }
}
