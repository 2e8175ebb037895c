/**
 * startInNetns and the guard. Needs root (unshare): where namespaces cannot be made, the first
 * test fails with unshare's own message (`netnsUnavailable()`), never skips.
 */
import { join } from 'node:path';
import {
  assertIsolatedNetns,
  currentNetns,
  netnsSetup,
  netnsUnavailable,
  OUTER_NETNS_ENV,
  startInNetns,
} from './netns.js';

const probe = join(__dirname, 'test-support', 'netns-probe.ts');

jest.setTimeout(30_000);

test('network namespaces can be made here (else this fails with the reason)', () => {
  expect(netnsUnavailable()).toBeUndefined();
});

test('the guard refuses the outer namespace', () => {
  const saved = process.env[OUTER_NETNS_ENV];
  try {
    delete process.env[OUTER_NETNS_ENV];
    expect(() => assertIsolatedNetns()).toThrow(/is not set/);
    process.env[OUTER_NETNS_ENV] = currentNetns();
    expect(() => assertIsolatedNetns()).toThrow(/still in the outer network namespace/);
    // Another namespace's name, but this one's interfaces: refused for the interfaces.
    process.env[OUTER_NETNS_ENV] = 'net:[1]';
    let message = '';
    try {
      assertIsolatedNetns();
    } catch (error) {
      message = (error as Error).message;
    }
    // Where the outer namespace has only lo (and br0), nothing but its name tells it apart.
    if (message !== '') expect(message).toMatch(/only lo, br0 allowed/);
  } finally {
    if (saved === undefined) delete process.env[OUTER_NETNS_ENV];
    else process.env[OUTER_NETNS_ENV] = saved;
  }
});

test('a program in its own namespace sees lo only, passes the guard, and talks over stdio', async () => {
  const child = await startInNetns(probe, [], { readyLine: /^READY (\S+) (\S+)$/ });
  expect(child.ready[1]).not.toBe(currentNetns());
  expect(child.ready[2]).toBe('lo');
  expect((await child.waitForLine(/^GUARD (.*)$/))[1]).toBe('ok');
  const seen: string[] = [];
  const stop = child.onLine((line) => seen.push(line));
  child.send('hello');
  expect((await child.waitForLine(/^ECHO (.*)$/))[1]).toBe('hello');
  stop();
  expect(seen).toContain('ECHO hello');
  expect(await child.kill('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
});

test('with bridge: lo and br0, both up, multicast route on lo', async () => {
  const child = await startInNetns(probe, [], { bridge: true, readyLine: /^READY (\S+) (\S+)$/ });
  expect(child.ready[2]).toBe('br0,lo');
  expect((await child.waitForLine(/^GUARD (.*)$/))[1]).toBe('ok');
  await child.kill('SIGKILL');
  expect(netnsSetup({ bridge: true })).toMatch(/ip route add 224\.0\.0\.0\/4 dev lo/);
});
