/** The mutual TLS demo: principals by certificate and by token, strangers refused. */
import { runMtlsDemo } from './mtls-demo.js';

test('two certificates and a token give three principals; strangers are refused', async () => {
  const lines: string[] = [];
  const summary = await runMtlsDemo({ log: (line) => lines.push(line) });

  expect(summary.whoAmI).toEqual({
    'billing (certificate)': JSON.stringify({
      name: 'billing',
      via: 'certificate spiffe://demo/billing (CN=demo CA)',
    }),
    'reports (certificate)': JSON.stringify({
      name: 'reports',
      via: 'certificate spiffe://demo/reports (CN=demo CA)',
    }),
    'carol (token)': JSON.stringify({ name: 'carol', via: 'token' }),
  });
  // The principal's roles decide: only billing may transfer.
  expect(summary.transfer).toEqual({
    'billing (certificate)': JSON.stringify({ ok: true, amount: 10 }),
    'reports (certificate)': 'service_error: reports may not transfer',
    'carol (token)': 'service_error: carol may not transfer',
  });
  expect(summary.refused['no certificate']).toMatch(
    /^unauthenticated: connection to tls@127\.0\.0\.1:\d+ closed: certificate refused: tlsv13 alert certificate required$/,
  );
  expect(summary.refused['certificate of another CA']).toMatch(
    /^unavailable: .*unexpected EOF right after the TLS handshake \(the server may have refused the client certificate\)$/,
  );
  expect(lines[0]).toMatch(/^server: mutual TLS on tls@127\.0\.0\.1:\d+, tokens on tcp@/);
});
