/**
 * The certificate the peer of a TLS socket proved it holds: read once per connection, when the
 * handshake is done, into a small frozen `VerifiedCertificate` (nothing is read per call).
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { VerifiedCertificate } from '@rpcx/core';
import type { TransportSocket } from './transport-socket.js';

/**
 * The verified certificate of `socket`'s peer: undefined unless `socket` is a TLS socket whose
 * peer sent a certificate that the CA list verified (`authorized`) — so never for plain TCP,
 * unix or in-process sockets, nor for a certificate let through by `rejectUnauthorized: false`.
 */
export function verifiedPeerCertificate(socket: TransportSocket): VerifiedCertificate | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (tls.authorized !== true || typeof tls.getPeerX509Certificate !== 'function') return undefined;
  const x509 = tls.getPeerX509Certificate();
  return x509 === undefined ? undefined : describeCertificate(x509);
}

/** TLS sockets that `dial` opened with a client certificate. */
const withClientCertificate = new WeakSet<TransportSocket>();

/** Called by `dial` once the handshake is done: remembers whether we sent a certificate. */
export function noteClientCertificate(socket: TLSSocket): void {
  const own = socket.getCertificate();
  if (own !== null && Object.keys(own).length > 0) withClientCertificate.add(socket);
}

/**
 * Why a dialled socket may have closed without an error, as a suffix for the error text: a Node
 * server closes a mutual TLS connection whose client certificate it does not trust right after
 * the handshake, with no TLS alert — the client sees only an EOF before any byte. So for a socket
 * that sent a certificate and read nothing this says so; otherwise it is empty.
 */
export function silentCloseHint(socket: TransportSocket): string {
  if (!withClientCertificate.has(socket) || (socket as Partial<TLSSocket>).bytesRead !== 0) {
    return '';
  }
  return ' right after the TLS handshake (the server may have refused the client certificate)';
}

// ---------------------------------------------------------------------------------------------
// Internal

/** The fields of `x509` as a frozen `VerifiedCertificate`. */
function describeCertificate(x509: X509Certificate): VerifiedCertificate {
  const dnsNames: string[] = [];
  const uris: string[] = [];
  const ipAddresses: string[] = [];
  for (const [type, value] of parseAltNames(x509.subjectAltName ?? '')) {
    if (type === 'DNS') dnsNames.push(value);
    else if (type === 'URI') uris.push(value);
    else if (type === 'IP Address') ipAddresses.push(canonicalIp(value));
  }
  const cn = x509.toLegacyObject().subject?.CN as string | string[] | undefined;
  return Object.freeze({
    commonName: Array.isArray(cn) ? cn[0] : cn,
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    dnsNames: Object.freeze(dnsNames),
    uris: Object.freeze(uris),
    ipAddresses: Object.freeze(ipAddresses),
    fingerprint256: x509.fingerprint256,
    serialNumber: x509.serialNumber.toUpperCase(),
    validFrom: Date.parse(x509.validFrom),
    validTo: Date.parse(x509.validTo),
  });
}

/** `CN=alice\nO=Acme` (one attribute a line, as Node prints a name) as `CN=alice, O=Acme`. */
function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

/**
 * Splits Node's subjectAltName text — `DNS:a, URI:spiffe://x, IP Address:10.0.0.1` — into
 * `[type, value]` pairs. Node writes a value that holds a comma or a quote as a JSON string
 * (`URI:"http://x\u002cy"`), so a `, ` outside quotes always separates two names.
 */
export function parseAltNames(text: string): Array<[string, string]> {
  const names: Array<[string, string]> = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const type = text.slice(at, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      end += 1;
      value = JSON.parse(text.slice(colon + 1, end)) as string;
    } else {
      end = text.indexOf(', ', colon + 1);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    names.push([type, value]);
    at = end + 2; // past ', '
  }
  return names;
}

/** OpenSSL prints IPv6 in full (`0:0:0:0:0:0:0:1`); this gives the usual short form (`::1`). */
function canonicalIp(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}
