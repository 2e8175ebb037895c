/**
 * A throw-away certificate authority, a server certificate for 127.0.0.1 / localhost / ::1, and
 * client certificates on demand (for mutual TLS), made with the openssl CLI in a temporary
 * directory. For tests and demos only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, as PEM text and as files. */
export interface TlsCredentials {
  cert: string;
  key: string;
  files: { cert: string; key: string };
}

/** What a client certificate says about its holder. */
export interface ClientCertificateOptions {
  /** The subject's CN. */
  commonName: string;
  /** More subject fields after the CN, e.g. `{ O: 'Acme' }`. */
  subject?: Readonly<Record<string, string>>;
  /** Subject alternative names. */
  dns?: readonly string[];
  uris?: readonly string[];
  ips?: readonly string[];
}

export interface TlsFixture extends TlsCredentials {
  /** PEM of the CA that signed `cert`: what clients trust. */
  ca: string;
  /** The same as files, for programs that want paths (e.g. the Go peer). */
  files: { ca: string; cert: string; key: string };
  /** A client certificate (extended key usage clientAuth) signed by this fixture's CA. */
  issueClient(options: ClientCertificateOptions): TlsCredentials;
  /** Removes the files. */
  dispose(): void;
}

export interface TlsFixtureOptions {
  /** The CA's CN. Default `rpcx test CA`. */
  caName?: string;
}

export function createTlsFixture(options: TlsFixtureOptions = {}): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'rpcx-tls-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const subject = (fields: Readonly<Record<string, string>>) =>
    Object.entries(fields)
      .map(([name, value]) => `/${name}=${value.replace(/[/\\]/g, '\\$&')}`)
      .join('');

  /** A key and a certificate signed by the CA, with the extensions of `ext`. */
  const issue = (name: string, fields: Readonly<Record<string, string>>, ext: string) => {
    openssl(
      'req',
      ...newKey,
      '-subj',
      subject(fields),
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
    );
    writeFileSync(path(`${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      path(`${name}.ext`),
      '-out',
      path(`${name}.pem`),
    );
    const files = { cert: path(`${name}.pem`), key: path(`${name}.key`) };
    return {
      cert: readFileSync(files.cert, 'utf8'),
      key: readFileSync(files.key, 'utf8'),
      files,
    };
  };

  openssl(
    'req',
    '-x509',
    ...newKey,
    '-days',
    '2',
    '-subj',
    subject({ CN: options.caName ?? 'rpcx test CA' }),
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
  );
  const server = issue(
    'server',
    { CN: '127.0.0.1' },
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n',
  );

  let clients = 0;
  const issueClient = (client: ClientCertificateOptions): TlsCredentials => {
    const names = [
      ...(client.dns ?? []).map((name, i) => `DNS.${i + 1}=${name}`),
      ...(client.uris ?? []).map((uri, i) => `URI.${i + 1}=${uri}`),
      ...(client.ips ?? []).map((ip, i) => `IP.${i + 1}=${ip}`),
    ];
    const ext = [
      'extendedKeyUsage=clientAuth',
      ...(names.length > 0 ? ['subjectAltName=@alt', '[alt]', ...names] : []),
      '',
    ].join('\n');
    clients += 1;
    return issue(`client-${clients}`, { CN: client.commonName, ...client.subject }, ext);
  };

  const files = { ca: path('ca.pem'), ...server.files };
  return {
    ca: readFileSync(files.ca, 'utf8'),
    cert: server.cert,
    key: server.key,
    files,
    issueClient,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
