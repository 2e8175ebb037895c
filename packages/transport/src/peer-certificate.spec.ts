/**
 * Mutual TLS at the transport: the verified client certificate as `verifiedPeerCertificate`
 * reads it (real TLS sockets on 127.0.0.1), the subjectAltName parser, and how refused
 * certificates become errors on both ends.
 */
import { X509Certificate } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import { ErrorCode, type RpcxError } from '@rpcx/core';
import { createTlsFixture, type TlsFixture } from '@rpcx/testing';
import { dial } from './dial.js';
import { type Listener, listen } from './listen.js';
import { parseAltNames, silentCloseHint, verifiedPeerCertificate } from './peer-certificate.js';
import { toRpcxError } from './socket-errors.js';
import type { TransportSocket } from './transport-socket.js';

let ca: TlsFixture;
let otherCa: TlsFixture;
const listeners: Listener[] = [];
const sockets: TransportSocket[] = [];

beforeAll(() => {
  ca = createTlsFixture();
  otherCa = createTlsFixture({ caName: 'another CA' });
});
afterAll(() => {
  ca.dispose();
  otherCa.dispose();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

/** A TLS listener; resolves each accepted socket into `accepted`. */
async function tlsServer(tls: TlsOptions) {
  const accepted: TransportSocket[] = [];
  const handshakeErrors: RpcxError[] = [];
  let onAccept: (() => void) | undefined;
  const listener = await listen(
    'tls@127.0.0.1:0',
    (socket) => {
      sockets.push(socket);
      accepted.push(socket);
      onAccept?.();
    },
    { tls, onHandshakeError: (error) => handshakeErrors.push(error) },
  );
  listeners.push(listener);
  const nextAccepted = () =>
    accepted.length > 0
      ? Promise.resolve(accepted[0]!)
      : new Promise<TransportSocket>((resolve) => {
          onAccept = () => resolve(accepted[0]!);
        });
  return { address: listener.address, accepted, handshakeErrors, nextAccepted };
}

const mutual = (): TlsOptions => ({
  key: ca.key,
  cert: ca.cert,
  ca: ca.ca,
  requestCert: true,
  rejectUnauthorized: true,
});

/** Resolves once `socket` closes, with the error it closed with (if any). */
function closed(socket: TransportSocket): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    socket.on('error', (e: Error) => {
      error = e;
    });
    socket.on('close', () => resolve(error));
    socket.resume();
  });
}

describe('verifiedPeerCertificate', () => {
  test('reads every field of a verified client certificate', async () => {
    const alice = ca.issueClient({
      commonName: 'alice',
      subject: { O: 'Acme, Inc.' },
      dns: ['alice.example', 'alice.internal'],
      uris: ['spiffe://acme/alice', 'https://acme.example/users?id=1,2'],
      ips: ['10.0.0.1', '::1'],
    });
    const server = await tlsServer(mutual());
    sockets.push(
      await dial(server.address, { tls: { ca: ca.ca, key: alice.key, cert: alice.cert } }),
    );
    const socket = await server.nextAccepted();

    const identity = verifiedPeerCertificate(socket)!;
    const x509 = new X509Certificate(alice.cert);
    expect(identity).toEqual({
      commonName: 'alice',
      subject: 'CN=alice, O=Acme\\, Inc.',
      issuer: 'CN=rpcx test CA',
      dnsNames: ['alice.example', 'alice.internal'],
      uris: ['spiffe://acme/alice', 'https://acme.example/users?id=1,2'],
      ipAddresses: ['10.0.0.1', '::1'],
      fingerprint256: x509.fingerprint256,
      serialNumber: x509.serialNumber.toUpperCase(),
      validFrom: Date.parse(x509.validFrom),
      validTo: Date.parse(x509.validTo),
    });
    expect(identity.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(identity.validTo).toBeGreaterThan(identity.validFrom);
    expect(Object.isFrozen(identity)).toBe(true);
    expect(Object.isFrozen(identity.dnsNames)).toBe(true);
    expect(Object.isFrozen(identity.uris)).toBe(true);
    expect(Object.isFrozen(identity.ipAddresses)).toBe(true);
  });

  test('a certificate without alternative names has empty lists', async () => {
    const bob = ca.issueClient({ commonName: 'bob' });
    const server = await tlsServer(mutual());
    sockets.push(await dial(server.address, { tls: { ca: ca.ca, key: bob.key, cert: bob.cert } }));
    const identity = verifiedPeerCertificate(await server.nextAccepted())!;
    expect(identity.commonName).toBe('bob');
    expect(identity.subject).toBe('CN=bob');
    expect([identity.dnsNames, identity.uris, identity.ipAddresses]).toEqual([[], [], []]);
  });

  test('undefined without client certificates, and for one let through unverified', async () => {
    // TLS without requestCert: no client certificate at all.
    const plain = await tlsServer({ key: ca.key, cert: ca.cert });
    sockets.push(await dial(plain.address, { tls: { ca: ca.ca } }));
    expect(verifiedPeerCertificate(await plain.nextAccepted())).toBeUndefined();

    // rejectUnauthorized: false lets a certificate of another CA in: it is not an identity.
    const lax = await tlsServer({ ...mutual(), rejectUnauthorized: false });
    const mallory = otherCa.issueClient({ commonName: 'mallory' });
    sockets.push(
      await dial(lax.address, { tls: { ca: ca.ca, key: mallory.key, cert: mallory.cert } }),
    );
    const socket = (await lax.nextAccepted()) as TransportSocket & { authorized: boolean };
    expect(socket.authorized).toBe(false);
    expect(verifiedPeerCertificate(socket)).toBeUndefined();
  });

  test('undefined for a plain TCP socket', async () => {
    let accepted: TransportSocket | undefined;
    const listener = await listen('tcp@127.0.0.1:0', (socket) => {
      accepted = socket;
      sockets.push(socket);
    });
    listeners.push(listener);
    const client = await dial(listener.address);
    sockets.push(client);
    await new Promise<void>((resolve) => {
      const poll = () => (accepted ? resolve() : setImmediate(poll));
      poll();
    });
    expect(verifiedPeerCertificate(accepted!)).toBeUndefined();
    expect(verifiedPeerCertificate(client)).toBeUndefined();
  });
});

describe('refused client certificates', () => {
  test('no certificate: the client gets unauthenticated, the server hears why', async () => {
    const server = await tlsServer(mutual());
    // TLS 1.3: the client's handshake completes before the server has checked; the server's
    // alert arrives next.
    const socket = await dial(server.address, { tls: { ca: ca.ca } });
    sockets.push(socket);
    const error = toRpcxError(await closed(socket), 'connection x');
    expect(error.code).toBe(ErrorCode.Unauthenticated);
    expect(error.message).toBe(
      'connection x: certificate refused: tlsv13 alert certificate required',
    );
    expect(error.retryable).toBe(false);
    await until(() => server.handshakeErrors.length === 1);
    expect(server.handshakeErrors[0]!.code).toBe(ErrorCode.Unauthenticated);
    expect(server.handshakeErrors[0]!.message).toMatch(
      /^tls handshake with 127\.0\.0\.1:\d+: certificate refused: peer did not return a certificate$/,
    );
    expect(server.accepted).toEqual([]);
  });

  test('no certificate over TLS 1.2: the dial itself fails, worded by the alert', async () => {
    // TLS 1.2 finishes the handshake only after the server checked; its alert is the generic
    // handshake_failure (also sent for, e.g., no common cipher): unavailable, as before.
    const server = await tlsServer({ ...mutual(), maxVersion: 'TLSv1.2' });
    await expect(dial(server.address, { tls: { ca: ca.ca } })).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
      message: expect.stringMatching(/^dial tls@127\.0\.0\.1:\d+: sslv3 alert handshake failure$/),
    });
    await until(() => server.handshakeErrors.length === 1);
    expect(server.handshakeErrors[0]!.message).toMatch(/certificate refused: peer did not return/);
    expect(server.accepted).toEqual([]);
  });

  test('a certificate of another CA: closed without an alert, the client is given a hint', async () => {
    const server = await tlsServer(mutual());
    const mallory = otherCa.issueClient({ commonName: 'mallory' });
    const socket = await dial(server.address, {
      tls: { ca: ca.ca, key: mallory.key, cert: mallory.cert },
    });
    sockets.push(socket);
    await closed(socket);
    expect(silentCloseHint(socket)).toBe(
      ' right after the TLS handshake (the server may have refused the client certificate)',
    );
    await until(() => server.handshakeErrors.length === 1);
    expect(server.handshakeErrors[0]).toMatchObject({
      code: ErrorCode.Unauthenticated,
      message: 'tls handshake: certificate refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(server.accepted).toEqual([]);
  });

  test('no hint for a socket that sent no certificate, or that read something', async () => {
    const server = await tlsServer({ key: ca.key, cert: ca.cert });
    const socket = await dial(server.address, { tls: { ca: ca.ca } });
    sockets.push(socket);
    (await server.nextAccepted()).destroy();
    await closed(socket);
    expect(silentCloseHint(socket)).toBe('');

    const alice = ca.issueClient({ commonName: 'alice' });
    const good = await tlsServer(mutual());
    const withCert = await dial(good.address, {
      tls: { ca: ca.ca, key: alice.key, cert: alice.cert },
    });
    sockets.push(withCert);
    const peer = await good.nextAccepted();
    peer.end('bye');
    await closed(withCert);
    expect(silentCloseHint(withCert)).toBe('');
  });
});

describe('parseAltNames', () => {
  test.each([
    ['', []],
    ['DNS:a.example', [['DNS', 'a.example']]],
    [
      'DNS:a.example, URI:spiffe://acme/a, IP Address:10.0.0.1',
      [
        ['DNS', 'a.example'],
        ['URI', 'spiffe://acme/a'],
        ['IP Address', '10.0.0.1'],
      ],
    ],
    // Node quotes a value with a comma (or a quote) as a JSON string.
    [
      'URI:"http://x\\u002cy", DNS:b',
      [
        ['URI', 'http://x,y'],
        ['DNS', 'b'],
      ],
    ],
    [
      'DNS:"say \\"hi\\", DNS:x", DNS:c',
      [
        ['DNS', 'say "hi", DNS:x'],
        ['DNS', 'c'],
      ],
    ],
  ])('%j', (text, names) => {
    expect(parseAltNames(text)).toEqual(names);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
