/**
 * A network namespace of the test's own, for traffic that must never reach the machine's real
 * interfaces (mDNS multicast: on this machine `lo` has no multicast, so a socket in the normal
 * namespace would send to the outside interface). One child command makes the namespace and runs
 * a TypeScript program of this workspace inside it; that program starts every participant (TS
 * and Go) as its own children, which share the namespace:
 *
 *   unshare --net --mount --propagation private -- bash -c '<NETNS_SETUP>; exec node ... entry.ts'
 *
 * The setup mounts a fresh sysfs (so `/sys/class/net` lists this namespace's interfaces), turns
 * `lo` up with multicast on and a route for 224.0.0.0/4, and with `bridge` adds an empty bridge
 * `br0` with a documentation address (192.0.2.1/24, TEST-NET-1: never routed; the bridge has no
 * ports, so nothing sent on it goes anywhere) — Go's zeroconf needs an interface with a
 * non-loopback address. The jest process itself opens no multicast socket.
 *
 *   const runner = await startInNetns(entry, ['--fast'], { bridge: true });
 *   const line = await runner.waitForLine(/^RESULT (.*)$/);
 *
 * Inside, a program calls `assertIsolatedNetns()` before it creates any multicast socket: it
 * throws unless this process's network namespace differs from the one `startInNetns` was called
 * from and its only interfaces are `lo` (and `br0`), read from both `/sys/class/net` and
 * `/proc/self/net/dev`.
 *
 * Where namespaces cannot be made (not root, seccomp, a container without CAP_SYS_ADMIN), the
 * start fails loudly with unshare's own message: `netnsUnavailable()` runs `unshare --net
 * --mount true` once and returns that message (undefined when namespaces work), for a test to
 * fail with at once instead of timing out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  type NodeProcess,
  type StartProcessOptions,
  startProcess,
  stopAllProcesses,
} from './node-process.js';

/** Interfaces a namespace made by `startInNetns` may have. */
export const NETNS_INTERFACES: readonly string[] = ['lo', 'br0'];

/** The environment variable carrying the outer namespace (`net:[…]`) to the guard. */
export const OUTER_NETNS_ENV = 'RPCX_OUTER_NETNS';

/** The shell commands run inside the new namespace before the program starts. */
export function netnsSetup(options: { bridge?: boolean } = {}): string {
  const lines = [
    'set -e',
    'mount -t sysfs sysfs /sys',
    'ip link set lo up',
    'ip link set lo multicast on',
    'ip route add 224.0.0.0/4 dev lo',
  ];
  if (options.bridge) {
    lines.push(
      'ip link add br0 type bridge',
      'ip addr add 192.0.2.1/24 dev br0',
      'ip link set br0 up',
    );
  }
  return lines.join('\n');
}

/** A program running in its own network namespace. */
export type NetnsProcess = NodeProcess;

export interface NetnsOptions extends StartProcessOptions {
  /** Add the empty bridge `br0` (for Go's zeroconf). Default false. */
  bridge?: boolean;
}

let unavailable: string | undefined | null = null;

/** Why network namespaces cannot be made here (unshare's message), or undefined if they can. */
export function netnsUnavailable(): string | undefined {
  if (unavailable === null) {
    const probe = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', 'true'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    unavailable =
      probe.status === 0
        ? undefined
        : `\`unshare --net --mount true\` failed (${probe.error?.message ?? `exit ${probe.status}`}): ${probe.stderr.trim()}`;
  }
  return unavailable;
}

/** This process's network namespace, `net:[4026531840]`. */
export function currentNetns(): string {
  return readlinkSync('/proc/self/ns/net');
}

/**
 * Throws unless this process runs in a namespace made by `startInNetns`: another namespace than
 * the outer one, whose only interfaces are `lo` and `br0`. Call it before opening any
 * multicast socket.
 */
export function assertIsolatedNetns(): void {
  const outer = process.env[OUTER_NETNS_ENV];
  const here = currentNetns();
  if (outer === undefined || outer === '') {
    throw new Error(
      `refusing to open multicast sockets: ${OUTER_NETNS_ENV} is not set (start this program with startInNetns)`,
    );
  }
  if (outer === here) {
    throw new Error(
      `refusing to open multicast sockets: still in the outer network namespace ${here}`,
    );
  }
  const fromSys = readdirSync('/sys/class/net');
  const fromProc = readFileSync('/proc/self/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]!.trim())
    .filter((name) => name !== '');
  for (const [source, names] of [
    ['/sys/class/net', fromSys],
    ['/proc/self/net/dev', fromProc],
  ] as const) {
    const foreign = names.filter((name) => !NETNS_INTERFACES.includes(name));
    if (foreign.length > 0 || !names.includes('lo')) {
      throw new Error(
        `refusing to open multicast sockets: ${source} lists ${names.join(', ')} (only ${NETNS_INTERFACES.join(', ')} allowed)`,
      );
    }
  }
}

/**
 * Starts `entry` (a `.ts` file) with `args` inside a new network namespace: `startProcess` with
 * `unshare` as its launcher (same handle, ready line, bounded waits and cleanup). The child exits
 * when its stdin (a pipe from this process) closes, and so do its own children started with
 * `startProcess`.
 */
export async function startInNetns(
  entry: string,
  args: readonly string[] = [],
  options: NetnsOptions = {},
): Promise<NetnsProcess> {
  const why = netnsUnavailable();
  if (why !== undefined) throw new Error(`cannot make a network namespace: ${why}`);
  const script = `${netnsSetup({ bridge: options.bridge })}\nexec "$@"`;
  return startProcess(entry, args, {
    ...options,
    name: options.name ?? ['netns', entry.split('/').pop(), ...args].join(' '),
    launcher: [
      'unshare',
      '--net',
      '--mount',
      '--propagation',
      'private',
      '--',
      'bash',
      '-c',
      script,
      'netns',
    ],
    env: { ...options.env, [OUTER_NETNS_ENV]: currentNetns() },
  });
}

/** Kills (SIGKILL) every program started here that is still running (see `stopAllProcesses`). */
export const stopAllNetns = stopAllProcesses;

/** `ip` run in this process's namespace (inside a namespace program: to take `lo` down, ...). */
export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}
