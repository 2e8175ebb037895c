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
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Exit, NodeProcess, StartProcessOptions } from './node-process.js';
import { REGISTER_HOOK } from './node-process.js';

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

/** A program running in its own network namespace: a `NodeProcess`, plus its stdin and lines. */
export interface NetnsProcess extends NodeProcess {
  /** Writes `line` (and a newline) to the program's stdin. */
  send(line: string): void;
  /** Calls `listener` with every later stdout line (all of them, unlike `waitForLine`). */
  onLine(listener: (line: string) => void): () => void;
}

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

const KEEP_OUTPUT = 64 * 1024;
const MAX_UNREAD = 1_000;
const DEFAULT_READY = /^READY (\S+)$/;
const running = new Set<NodeProcess>();

/**
 * Starts `entry` (a `.ts` file) with `args` inside a new network namespace, as `startProcess`
 * does in this one (same handle, ready line, bounded waits and cleanup). The child exits when
 * its stdin (a pipe from this process) closes, and so do its own children started with
 * `startProcess`.
 */
export async function startInNetns(
  entry: string,
  args: readonly string[] = [],
  options: NetnsOptions = {},
): Promise<NetnsProcess> {
  if (REGISTER_HOOK === '') throw new Error('startInNetns runs from the sources, under jest');
  const why = netnsUnavailable();
  if (why !== undefined) throw new Error(`cannot make a network namespace: ${why}`);
  const name = options.name ?? ['netns', entry.split('/').pop(), ...args].join(' ');
  const script = `${netnsSetup({ bridge: options.bridge })}\nexec "$@"`;
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
      script,
      'netns',
      process.execPath,
      '--conditions=@rpcx/source',
      REGISTER_HOOK,
      entry,
      ...args,
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...options.env,
        RPCX_EXIT_WITH_PARENT: '1',
        [OUTER_NETNS_ENV]: currentNetns(),
      },
    },
  );
  const out = { stdout: '', stderr: '' };
  const keep = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    out[stream] = (out[stream] + chunk.toString()).slice(-KEEP_OUTPUT);
  };
  child.stderr.on('data', (chunk: Buffer) => keep('stderr', chunk));
  child.once('error', () => {});

  let exit: Exit | undefined;
  const lines = new Lines(() =>
    exit === undefined ? undefined : `exited (code ${exit.code}, signal ${exit.signal})`,
  );
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
      lines.end();
    });
  });
  child.stdout.on('data', (chunk: Buffer) => {
    keep('stdout', chunk);
    lines.push(chunk.toString());
  });

  let ready: RegExpExecArray | undefined;
  const handle: NetnsProcess = {
    name,
    pid: child.pid ?? -1,
    get ready() {
      return ready!;
    },
    exited,
    get running() {
      return exit === undefined;
    },
    waitForLine: (pattern, timeoutMs = 10_000) => lines.next(pattern, timeoutMs),
    output: () => ({ ...out }),
    kill: (signal = 'SIGTERM') => {
      if (exit === undefined) child.kill(signal);
      return exited;
    },
    send: (line) => {
      if (exit === undefined && child.stdin.writable) child.stdin.write(`${line}\n`);
    },
    onLine: (listener) => lines.listen(listener),
  };
  child.stdin.on('error', () => {}); // the program may be gone
  if (running.size === 0) process.once('exit', killNow);
  running.add(handle);
  void exited.then(() => {
    running.delete(handle);
    if (running.size === 0) process.removeListener('exit', killNow);
  });
  try {
    ready = await lines.next(options.readyLine ?? DEFAULT_READY, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await handle.kill('SIGKILL');
    throw new Error(
      `${name}: ${(error as Error).message}\n--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`,
    );
  }
  return handle;
}

/** Kills (SIGKILL) every namespace program started here that is still running. */
export async function stopAllNetns(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill('SIGKILL')));
}

/** Stdout as lines, taken in order by `next(pattern)` (see node-process.ts). */
class Lines {
  private partial = '';
  private readonly unread: string[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(line: string) => void>();

  constructor(private readonly ended: () => string | undefined) {}

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    this.unread.push(...parts);
    // Lines nobody waits for (a protocol read through onLine) are not kept for ever.
    if (this.unread.length > MAX_UNREAD) this.unread.splice(0, this.unread.length - MAX_UNREAD);
    for (const line of parts) for (const listener of [...this.listeners]) listener(line);
    for (const look of [...this.waiters]) look();
  }

  listen(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  end(): void {
    for (const look of [...this.waiters]) look();
  }

  next(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(look);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (done: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(look);
        done();
      };
      const look = () => {
        for (let line = this.unread.shift(); line !== undefined; line = this.unread.shift()) {
          const match = pattern.exec(line);
          if (match !== null) return settle(() => resolve(match));
        }
        const why = this.ended();
        if (why !== undefined) settle(() => reject(new Error(`${why} before printing ${pattern}`)));
      };
      this.waiters.add(look);
      look();
    });
  }
}

/** Kills what is left when the worker exits (no time to wait, just the signal). */
function killNow(): void {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

if (typeof afterAll === 'function') {
  try {
    afterAll(stopAllNetns);
  } catch {
    // imported from inside a test
  }
}

/** `ip` run in this process's namespace (inside a namespace program: to take `lo` down, ...). */
export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}
