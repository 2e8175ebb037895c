/**
 * Mutual TLS end to end, with real TLS sockets on 127.0.0.1 and the real Client and XClient: the
 * handshake refuses clients without a certificate or with one from another CA (clear errors on
 * both ends, other connections untouched); a verified certificate reaches handlers and plugins
 * as `connection.peerCertificate`, read once per connection; `auth` maps a certificate or a
 * token to the call's `principal`; plain TCP has neither.
 */
import { X509Certificate } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import {
  type CallInfo,
  type ConnectionInfo,
  ErrorCode,
  MetadataKey,
  SerializeType,
  type ServerPlugin,
  type VerifiedCertificate,
} from '@rpcx/core';
import { createTlsFixture, rpcxRejectionOf, type TlsFixture } from '@rpcx/testing';
import {
  Client,
  type ClientOptions,
  FailMode,
  MultipleServersDiscovery,
  SelectMode,
  XClient,
  type XClientOptions,
} from '../../client/src/index.js';
import { Server, type ServerOptions } from './server.js';
import { eventually } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import type { AuthFunction, CallContext, ServerConnection } from './types.js';

let ca: TlsFixture;
let otherCa: TlsFixture;
let alice: { cert: string; key: string };
let bob: { cert: string; key: string };
let mallory: { cert: string; key: string };
const clients: Array<{ close(): Promise<void> }> = [];
const servers: Server[] = [];

beforeAll(() => {
  ca = createTlsFixture();
  otherCa = createTlsFixture({ caName: 'another CA' });
  alice = ca.issueClient({
    commonName: 'alice',
    subject: { O: 'Acme' },
    dns: ['alice.acme.example'],
    uris: ['spiffe://acme/alice'],
    ips: ['127.0.0.1'],
  });
  bob = ca.issueClient({ commonName: 'bob', uris: ['spiffe://acme/bob'] });
  mallory = otherCa.issueClient({ commonName: 'alice' }); // the right name, the wrong CA
});
afterAll(() => {
  ca.dispose();
  otherCa.dispose();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The server side of mutual TLS: our certificate, and client certificates of our CA only. */
const mutualTls = (): TlsOptions => ({
  key: ca.key,
  cert: ca.cert,
  ca: ca.ca,
  requestCert: true,
  rejectUnauthorized: true,
});

interface Seen {
  certificate: VerifiedCertificate | undefined;
  principal: unknown;
  connection: ServerConnection;
}

/** A server whose `Who` answers who called, and records what the handler saw. */
async function whoServer(
  options: ServerOptions = {},
  address = 'tls@127.0.0.1:0',
  /** null: plain TCP. */
  tls: TlsOptions | null = mutualTls(),
) {
  const logger = new MemoryLogger();
  const seen: Seen[] = [];
  const server = new Server({ logger, ...options });
  servers.push(server);
  server.registerFunction('Who', 'Am', (_args: unknown, ctx: CallContext) => {
    seen.push({
      certificate: ctx.connection.peerCertificate,
      principal: ctx.principal,
      connection: ctx.connection,
    });
    return {
      cn: ctx.connection.peerCertificate?.commonName ?? null,
      principal: ctx.principal ?? null,
    };
  });
  const bound = await server.listen(address, tls === null ? {} : { tls });
  return { server, address: bound, logger, seen };
}

function client(options: ClientOptions): Client {
  const c = new Client({ serializeType: SerializeType.JSON, ...options });
  clients.push(c);
  return c;
}

const as = (who: { cert: string; key: string }) => ({ ca: ca.ca, cert: who.cert, key: who.key });

/** Lines about TLS handshakes in `logger`. */
const handshakeLines = (logger: MemoryLogger) =>
  logger.entries.filter((e) => e.message.startsWith('rpcx: tls handshake'));

describe('the handshake', () => {
  test('refuses a client without a certificate: unauthenticated, one log line, others unaffected', async () => {
    const { server, address, logger } = await whoServer();
    const good = client({ address, tls: as(alice) });
    expect(await good.call('Who', 'Am', {})).toEqual({ cn: 'alice', principal: null });

    const anonymous = client({ address, tls: { ca: ca.ca } });
    const error = await rpcxRejectionOf(anonymous.call('Who', 'Am', {}));
    expect(error.code).toBe(ErrorCode.Unauthenticated);
    expect(error.message).toBe(
      `connection to ${address} closed: certificate refused: tlsv13 alert certificate required`,
    );
    expect(error.retryable).toBe(false);

    await eventually(() => handshakeLines(logger).length === 1);
    expect(handshakeLines(logger)[0]).toMatchObject({
      level: 'info',
      message: expect.stringMatching(
        /^rpcx: tls handshake with 127\.0\.0\.1:\d+: certificate refused: peer did not return a certificate$/,
      ),
    });
    // The good client's connection is the only one, and still serves.
    expect(server.connections()).toHaveLength(1);
    expect(await good.call('Who', 'Am', {})).toEqual({ cn: 'alice', principal: null });
  });

  test('refuses a certificate from another CA: the server says why, the client gets a hint', async () => {
    const { server, address, logger } = await whoServer();
    const good = client({ address, tls: as(bob) });
    await good.call('Who', 'Am', {});

    const impostor = client({
      address,
      tls: { ca: ca.ca, cert: mallory.cert, key: mallory.key },
    });
    const error = await rpcxRejectionOf(impostor.call('Who', 'Am', {}));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toBe(
      `connection to ${address} closed: unexpected EOF right after the TLS handshake (the server may have refused the client certificate)`,
    );
    await eventually(() => handshakeLines(logger).length === 1);
    expect(handshakeLines(logger)[0]!.message).toBe(
      'rpcx: tls handshake: certificate refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
    expect(server.connections().map((c) => c.peerCertificate?.commonName)).toEqual(['bob']);
    expect(await good.call('Who', 'Am', {})).toEqual({ cn: 'bob', principal: null });
  });

  test('a client that does not trust the server is refused on its side', async () => {
    const { address } = await whoServer();
    const doubter = client({
      address,
      tls: { ca: otherCa.ca, cert: alice.cert, key: alice.key },
    });
    const error = await rpcxRejectionOf(doubter.call('Who', 'Am', {}));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toMatch(/^dial tls@127\.0\.0\.1:\d+: .*certificate/);
  });
});

describe('the verified peer certificate', () => {
  test('handlers see its fields on ctx.connection, one frozen object per connection', async () => {
    const { address, seen } = await whoServer();
    const c = client({ address, tls: as(alice) });
    await c.call('Who', 'Am', {});
    await c.call('Who', 'Am', {});

    const x509 = new X509Certificate(alice.cert);
    const certificate = seen[0]!.certificate!;
    expect(certificate).toEqual({
      commonName: 'alice',
      subject: 'CN=alice, O=Acme',
      issuer: 'CN=rpcx test CA',
      dnsNames: ['alice.acme.example'],
      uris: ['spiffe://acme/alice'],
      ipAddresses: ['127.0.0.1'],
      fingerprint256: x509.fingerprint256,
      serialNumber: x509.serialNumber.toUpperCase(),
      validFrom: Date.parse(x509.validFrom),
      validTo: Date.parse(x509.validTo),
    });
    expect(Object.isFrozen(certificate)).toBe(true);
    // Read at the handshake, not per call: both calls get the very same object.
    expect(seen[1]!.certificate).toBe(certificate);
    expect(seen[0]!.connection.network).toBe('tls');
  });

  test('two connections with different certificates are told apart', async () => {
    const { address, seen } = await whoServer();
    await client({ address, tls: as(alice) }).call('Who', 'Am', {});
    await client({ address, tls: as(bob) }).call('Who', 'Am', {});
    expect(seen.map((s) => s.certificate?.commonName)).toEqual(['alice', 'bob']);
    expect(seen[0]!.certificate!.fingerprint256).not.toBe(seen[1]!.certificate!.fingerprint256);
    expect(seen[1]!.certificate!.uris).toEqual(['spiffe://acme/bob']);
  });

  test('plugins see it: on accept, around the call and on close', async () => {
    const heard: Array<[string, string | undefined]> = [];
    const cn = (conn: ConnectionInfo | undefined) => conn?.peerCertificate?.commonName;
    const watcher: ServerPlugin = {
      name: 'watcher',
      postConnAccept: (conn) => {
        heard.push(['postConnAccept', cn(conn)]);
        return true;
      },
      preCall: (call: CallInfo, args) => {
        heard.push(['preCall', cn(call.connection)]);
        return args;
      },
      postConnClose: (conn) => void heard.push(['postConnClose', cn(conn)]),
    };
    const { server, address } = await whoServer({ plugins: [watcher] });
    const c = client({ address, tls: as(alice) });
    await c.call('Who', 'Am', {});
    expect(server.connections()[0]!.peerCertificate?.commonName).toBe('alice');
    await c.close();
    await eventually(() => heard.length === 3);
    expect(heard).toEqual([
      ['postConnAccept', 'alice'],
      ['preCall', 'alice'],
      ['postConnClose', 'alice'],
    ]);
  });

  test('undefined on plain TCP, on TLS without client certificates, and for an unverified one', async () => {
    const tcp = await whoServer({}, 'tcp@127.0.0.1:0', null);
    await client({ address: tcp.address }).call('Who', 'Am', {});
    expect(tcp.seen[0]!.certificate).toBeUndefined();
    expect(tcp.seen[0]!.connection.network).toBe('tcp');

    const serverOnlyTls = await whoServer({}, 'tls@127.0.0.1:0', { key: ca.key, cert: ca.cert });
    // Even when the client offers one: the server did not ask for it.
    await client({ address: serverOnlyTls.address, tls: as(alice) }).call('Who', 'Am', {});
    expect(serverOnlyTls.seen[0]!.certificate).toBeUndefined();

    // Optional client certificates: an unverifiable one gets in, but is not an identity.
    const lax = await whoServer({}, 'tls@127.0.0.1:0', {
      ...mutualTls(),
      rejectUnauthorized: false,
    });
    await client({
      address: lax.address,
      tls: { ca: ca.ca, cert: mallory.cert, key: mallory.key },
    }).call('Who', 'Am', {});
    await client({ address: lax.address, tls: as(bob) }).call('Who', 'Am', {});
    expect(lax.seen.map((s) => s.certificate?.commonName)).toEqual([undefined, 'bob']);
  });
});

describe('auth: a certificate or a token becomes the principal', () => {
  interface Principal {
    name: string;
    via: 'certificate' | 'token';
  }
  /** Service accounts by certificate (SPIFFE id), users by token. */
  const byCertificate = new Map([['spiffe://acme/alice', 'alice-service']]);
  const byToken = new Map([['s3cret', 'carol']]);
  const auth: AuthFunction<Principal> = (token, _request, connection) => {
    const certificate = connection.peerCertificate;
    if (certificate !== undefined) {
      const name = certificate.uris.map((uri) => byCertificate.get(uri)).find(Boolean);
      if (name === undefined) throw new Error(`unknown certificate ${certificate.subject}`);
      return { name, via: 'certificate' };
    }
    const name = byToken.get(token);
    if (name === undefined) throw new Error('invalid token');
    return { name, via: 'token' };
  };

  /** One server, one `auth`: mutual TLS on one listener, tokens over plain TCP on another. */
  async function authServer(authFn: AuthFunction = auth) {
    const served = await whoServer({ auth: authFn });
    const tcpAddress = await served.server.listen('tcp@127.0.0.1:0');
    return { ...served, tlsAddress: served.address, tcpAddress };
  }

  test('by certificate and by token, on one server', async () => {
    const { tlsAddress, tcpAddress, seen } = await authServer();
    expect(await client({ address: tlsAddress, tls: as(alice) }).call('Who', 'Am', {})).toEqual({
      cn: 'alice',
      principal: { name: 'alice-service', via: 'certificate' },
    });
    expect(
      await client({ address: tcpAddress, authToken: 's3cret' }).call('Who', 'Am', {}),
    ).toEqual({ cn: null, principal: { name: 'carol', via: 'token' } });
    expect(seen.map((s) => s.principal)).toEqual([
      { name: 'alice-service', via: 'certificate' },
      { name: 'carol', via: 'token' },
    ]);
  });

  test('a verified certificate that maps to no one, and a bad token, are refused', async () => {
    const { tlsAddress, tcpAddress, seen } = await authServer();
    const bobError = await rpcxRejectionOf(
      client({ address: tlsAddress, tls: as(bob) }).call('Who', 'Am', {}),
    );
    expect(bobError).toMatchObject({
      code: ErrorCode.ServiceError,
      message: 'unknown certificate CN=bob',
    });
    const tokenError = await rpcxRejectionOf(
      client({ address: tcpAddress, authToken: 'guess' }).call('Who', 'Am', {}),
    );
    expect(tokenError).toMatchObject({ code: ErrorCode.ServiceError, message: 'invalid token' });
    expect(seen).toEqual([]);
  });

  test('an async auth resolves to the principal; without auth it is undefined', async () => {
    const { tlsAddress } = await authServer(async (_token, _request, connection) => {
      await Promise.resolve();
      return `user:${connection.peerCertificate!.commonName}`;
    });
    expect(await client({ address: tlsAddress, tls: as(bob) }).call('Who', 'Am', {})).toEqual({
      cn: 'bob',
      principal: 'user:bob',
    });

    const { address, seen } = await whoServer();
    await client({ address, tls: as(bob) }).call('Who', 'Am', {});
    expect(seen[0]!.principal).toBeUndefined();
  });

  test('an interceptor may set the principal its own way (e.g. from request metadata)', async () => {
    const { address, seen } = await whoServer({
      interceptors: [
        (next) => (call) => {
          call.principal = { name: call.metadata.user, via: 'header' };
          return next(call);
        },
      ],
    });
    const c = client({ address, tls: as(alice) });
    await c.call('Who', 'Am', {}, { metadata: { user: 'dave' } });
    expect(seen[0]!.principal).toEqual({ name: 'dave', via: 'header' });
  });

  test('the token travels as __AUTH, the certificate does not replace it', async () => {
    const tokens: string[] = [];
    const { tlsAddress } = await authServer((token, request, connection) => {
      tokens.push(`${token}|${request.metadata[MetadataKey.Auth] ?? ''}`);
      return connection.peerCertificate?.commonName;
    });
    await client({ address: tlsAddress, tls: as(alice), authToken: 'both' }).call('Who', 'Am', {});
    expect(tokens).toEqual(['both|both']);
  });
});

describe('XClient over mutual TLS', () => {
  /** Two mutual TLS servers and an XClient over both, with round robin. */
  async function fleet(options: Partial<XClientOptions>) {
    const servers = [await whoServer(), await whoServer()];
    const xclient = new XClient({
      servicePath: 'Who',
      discovery: new MultipleServersDiscovery(
        servers.map((s) => ({ key: s.address, metadata: '' })),
      ),
      selectMode: SelectMode.RoundRobin,
      serializeType: SerializeType.JSON,
      ...options,
    });
    clients.push(xclient);
    return { servers, xclient };
  }

  test('round robin over two servers, each seeing the client certificate', async () => {
    const { servers, xclient } = await fleet({ failMode: FailMode.Failfast, tls: as(alice) });
    for (let i = 0; i < 4; i++) await xclient.call('Am', {});
    for (const { seen } of servers) {
      expect(seen.map((s) => s.certificate?.commonName)).toEqual(['alice', 'alice']);
    }
  });

  test('without a certificate every server refuses, and Failover does not retry it', async () => {
    let attempts = 0;
    const { servers, xclient } = await fleet({
      failMode: FailMode.Failover,
      tls: { ca: ca.ca },
      // preCall runs once per attempt.
      plugins: [{ preCall: () => void attempts++ }],
    });
    const error = await rpcxRejectionOf(xclient.call('Am', {}));
    expect(error.code).toBe(ErrorCode.Unauthenticated);
    expect(error.message).toMatch(/certificate refused: tlsv13 alert certificate required$/);
    expect(attempts).toBe(1);
    const lines = () => servers.reduce((n, s) => n + handshakeLines(s.logger).length, 0);
    await eventually(() => lines() === 1);
    expect(servers.every((s) => s.seen.length === 0)).toBe(true);
  });
});
