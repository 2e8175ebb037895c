/**
 * What plugins see of connections and calls. The plugin contracts themselves are in
 * server-plugin.ts and client-plugin.ts: one interface each whose hooks are all optional,
 * mirroring Go rpcx's hook points (spec §3.8, §4.9, §6.4). A hook that throws (or rejects) stops
 * the chain where Go's would return an error; where Go ignores a hook's error, so do we.
 */
import type { Metadata } from './message.js';

/** A connection as plugins see it. */
export interface ConnectionInfo {
  readonly id: number;
  /** `host:port` of the peer, or the socket path. */
  readonly remoteAddress: string;
  readonly localAddress: string;
  /**
   * On the server, the client certificate verified at the TLS handshake (mutual TLS: the
   * listener's `tls` has `requestCert` and a `ca`); undefined without one — plain TCP, unix and
   * in-process connections, TLS without client certificates, or one the server could not verify.
   */
  readonly peerCertificate?: VerifiedCertificate | undefined;
}

/**
 * What a verified peer certificate says, read once when the TLS handshake completes. Frozen.
 * Texts are as `node:crypto`'s `X509Certificate` prints them.
 */
export interface VerifiedCertificate {
  /** The subject's common name (the first CN); undefined when the subject has none. */
  readonly commonName: string | undefined;
  /** The subject, e.g. `CN=alice, O=Acme` (a comma inside a value is escaped as `\,`). */
  readonly subject: string;
  /** The issuer (the CA that signed it), in the same form, e.g. `CN=rpcx test CA`. */
  readonly issuer: string;
  /** Subject alternative names of type DNS. */
  readonly dnsNames: readonly string[];
  /** Subject alternative names of type URI (e.g. SPIFFE ids: `spiffe://acme/alice`). */
  readonly uris: readonly string[];
  /** Subject alternative names of type IP, as `127.0.0.1` and `::1`. */
  readonly ipAddresses: readonly string[];
  /** SHA-256 of the certificate, as `AB:CD:…` (upper-case hex): what pinning compares. */
  readonly fingerprint256: string;
  /** The serial number, upper-case hex. */
  readonly serialNumber: string;
  /** Not valid before / after, in `Date.now()` milliseconds. */
  readonly validFrom: number;
  readonly validTo: number;
}

/** One call as plugins see it. */
export interface CallInfo {
  readonly connection: ConnectionInfo | undefined;
  readonly servicePath: string;
  readonly serviceMethod: string;
  readonly metadata: Readonly<Metadata>;
}

export type Awaitable<T> = T | Promise<T>;
