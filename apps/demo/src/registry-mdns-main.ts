/**
 * The registry demo over mDNS. Multicast must never leave the machine, so the demo runs itself
 * again inside a network namespace of its own (`unshare -n`, as root), where `lo` carries the
 * multicast; the servers and the client all run in that one process.
 *
 *   pnpm demo:mdns
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MdnsDiscovery, MdnsRegisterPlugin } from '@rpcx/registry-mdns';
import { assertIsolatedNetns, currentNetns, netnsSetup, OUTER_NETNS_ENV } from '@rpcx/testing';
import { runRegistryDemo } from './registry-demo.js';

// Loopback inside the namespace (the multicast-dns settings registry-rig.md measured).
const socket = {
  interface: '127.0.0.1',
  bind: '0.0.0.0',
  multicast: true,
  loopback: true,
  reuseAddr: true,
};

if (process.env[OUTER_NETNS_ENV] === undefined) {
  const child = spawn(
    'unshare',
    [
      '--net',
      '--mount',
      '--propagation',
      'private',
      '--',
      'bash',
      '-c',
      `${netnsSetup()}\nexec "$@"`,
      'netns',
      process.execPath,
      fileURLToPath(import.meta.url),
    ],
    { stdio: 'inherit', env: { ...process.env, [OUTER_NETNS_ENV]: currentNetns() } },
  );
  child.on('exit', (code) => {
    process.exitCode = code ?? 1;
  });
} else {
  assertIsolatedNetns();
  const summary = await runRegistryDemo({
    name: 'mDNS',
    plugin: () => new MdnsRegisterPlugin({ socket }),
    discovery: (servicePath) =>
      new MdnsDiscovery(servicePath, { socket, watchIntervalMs: 500, browseTimeoutMs: 300 }),
  });
  process.exitCode = summary.failed === 0 ? 0 : 1;
}
