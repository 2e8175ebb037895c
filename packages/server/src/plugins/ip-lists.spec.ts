/**
 * IpAllowListPlugin / IpDenyListPlugin (Go's WhitelistPlugin / BlacklistPlugin) on real sockets:
 * IPv4 and IPv6 loopback clients (::1), a dual-stack listener where an IPv4 client shows up as
 * ::ffff:127.0.0.1, exact addresses and CIDR ranges, and a unix socket peer (no IP: refused by
 * the allow list, served by the deny list, as Go treats an address it cannot parse).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerPlugin } from '@rpcx/core';
import type { Server } from '../server.js';
import { cleanup, connect, startServer } from '../test-support/harness.js';
import { jsonRequest } from '../test-support/raw-client.js';
import { IpAllowListPlugin } from './ip-allow-list.js';
import { IpDenyListPlugin } from './ip-deny-list.js';
import { IpList, remoteIp } from './ip-list.js';

afterEach(cleanup);

const echo = (s: Server) => s.registerFunction('Svc', 'Echo', (args: unknown) => args);

/** Whether a client dialling `address` through `listen` with `plugin` gets an answer. */
async function served(plugin: ServerPlugin, listen: string, dialHost: string): Promise<boolean> {
  const { address } = await startServer({ plugins: [plugin] }, echo, listen);
  const port = address.slice(address.lastIndexOf(':') + 1);
  const client = await connect(dialHost.startsWith('unix@') ? dialHost : `tcp@${dialHost}:${port}`);
  client.send(jsonRequest('Svc', 'Echo', 1, { seq: 1 }));
  const answered = client
    .waitFor((m) => m.seq === 1n)
    .then(
      () => true,
      () => false,
    );
  const result = await Promise.race([answered, client.closed.then(() => false)]);
  client.destroy();
  return result;
}

const ALLOW = (entries: string[]) => new IpAllowListPlugin(entries);
const DENY = (entries: string[]) => new IpDenyListPlugin(entries);
const V4 = 'tcp@127.0.0.1:0';
const V6 = 'tcp@[::1]:0';
const DUAL = 'tcp@[::]:0';

test.each([
  ['allow: exact IPv4', ALLOW, ['127.0.0.1'], V4, '127.0.0.1', true],
  ['allow: IPv4 CIDR', ALLOW, ['127.0.0.0/8'], V4, '127.0.0.1', true],
  ['allow: another IPv4', ALLOW, ['10.0.0.1', '192.168.0.0/16'], V4, '127.0.0.1', false],
  ['allow: exact ::1', ALLOW, ['::1'], V6, '[::1]', true],
  ['allow: IPv6 CIDR', ALLOW, ['::1/128'], V6, '[::1]', true],
  ['allow: IPv6 client, IPv4 list', ALLOW, ['127.0.0.1'], V6, '[::1]', false],
  [
    'allow: dual stack, IPv4 client as ::ffff:127.0.0.1',
    ALLOW,
    ['127.0.0.0/8'],
    DUAL,
    '127.0.0.1',
    true,
  ],
  ['allow: dual stack, mapped form listed', ALLOW, ['::ffff:127.0.0.1'], DUAL, '127.0.0.1', true],
  ['allow: dual stack, IPv4 client, IPv6 list', ALLOW, ['::1'], DUAL, '127.0.0.1', false],
  ['allow: empty list', ALLOW, [], V4, '127.0.0.1', false],
  ['deny: exact IPv4', DENY, ['127.0.0.1'], V4, '127.0.0.1', false],
  ['deny: IPv4 CIDR', DENY, ['127.0.0.0/8'], V4, '127.0.0.1', false],
  ['deny: another IPv4', DENY, ['10.0.0.0/8'], V4, '127.0.0.1', true],
  ['deny: exact ::1', DENY, ['::1'], V6, '[::1]', false],
  ['deny: IPv6 CIDR', DENY, ['::/0'], V6, '[::1]', false],
  ['deny: IPv4 list, IPv6 client', DENY, ['127.0.0.0/8'], V6, '[::1]', true],
  [
    'deny: dual stack, IPv4 client as ::ffff:127.0.0.1',
    DENY,
    ['127.0.0.1'],
    DUAL,
    '127.0.0.1',
    false,
  ],
  ['deny: dual stack, other client', DENY, ['::1'], DUAL, '127.0.0.1', true],
])('%s', async (_name, make, entries, listen, host, expected) => {
  expect(await served(make(entries), listen, host)).toBe(expected);
});

test('unix socket peer (no IP): refused by the allow list, served by the deny list (as Go)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpcx-ip-'));
  try {
    const a = `unix@${join(dir, 'a.sock')}`;
    expect(await served(new IpAllowListPlugin(['127.0.0.1', '::/0', '0.0.0.0/0']), a, a)).toBe(
      false,
    );
    const b = `unix@${join(dir, 'b.sock')}`;
    expect(await served(new IpDenyListPlugin(['::/0', '0.0.0.0/0']), b, b)).toBe(true);
  } finally {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dual-stack listener reports an IPv4 client as ::ffff:127.0.0.1 (what the lists match)', async () => {
  const remotes: string[] = [];
  const recorder: ServerPlugin = {
    postConnAccept: (conn) => {
      remotes.push(conn.remoteAddress);
      return true;
    },
  };
  expect(await served(recorder, 'tcp@[::]:0', '127.0.0.1')).toBe(true);
  expect(remotes).toHaveLength(1);
  expect(remotes[0]).toMatch(/^\[::ffff:127\.0\.0\.1\]:\d+$/);
  expect(remoteIp(remotes[0]!)).toBe('::ffff:127.0.0.1');
});

test('remoteIp reads host:port as Go SplitHostPort + ParseIP do', () => {
  expect(remoteIp('127.0.0.1:8972')).toBe('127.0.0.1');
  expect(remoteIp('[::1]:8972')).toBe('::1');
  expect(remoteIp('[::ffff:127.0.0.1]:1')).toBe('::ffff:127.0.0.1');
  expect(remoteIp('[fe80::1%eth0]:1')).toBe('fe80::1');
  expect(remoteIp('unix socket')).toBeUndefined();
  expect(remoteIp('::1:8972')).toBeUndefined(); // IPv6 without brackets is not host:port
  expect(remoteIp('example.com:80')).toBeUndefined();
  expect(remoteIp('[::1]')).toBeUndefined();
  expect(remoteIp('')).toBeUndefined();
});

test('IpList: addresses and ranges, v4 and v6, mapped forms; bad entries refused', () => {
  const list = new IpList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
  expect(list.has('10.255.0.1')).toBe(true);
  expect(list.has('11.0.0.1')).toBe(false);
  expect(list.has('::ffff:10.1.2.3')).toBe(true);
  expect(list.has('2001:db8:0:0::42')).toBe(true);
  expect(list.has('2001:db9::1')).toBe(false);
  expect(list.has('192.0.2.7')).toBe(true);
  expect(list.has('192.0.2.8')).toBe(false);
  expect(list.has('not an ip')).toBe(false);
  expect(list.add('0:0:0:0:0:0:0:1').has('::1')).toBe(true);
  for (const bad of [
    '',
    'localhost',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/x',
    '1.2.3',
  ]) {
    expect(() => new IpList([bad])).toThrow(/neither an IP address nor a CIDR range/);
  }
});
