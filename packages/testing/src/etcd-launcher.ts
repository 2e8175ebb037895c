/**
 * Real etcd servers for tests: one member or a cluster of several, on free loopback ports with
 * temp data dirs, ready (`GET /health` answers `"health":"true"`) within a bounded wait.
 *
 *   const etcd = await startEtcd();                 // etcd 3.6, one member
 *   etcd.endpoints;                                 // ['127.0.0.1:40123'] (Go style)
 *   etcd.clientUrls;                                // ['http://127.0.0.1:40123']
 *   await etcd.restart();                           // same ports, data kept
 *   const cluster = await startEtcdCluster(3);      // three members on loopback
 *   await cluster.members[0].kill();                // SIGKILL one
 *   await etcd.close();                             // stops every member, removes the data
 *
 * The binaries come from scripts/registries/etcd.sh: etcd 3.6 built from the Go module proxy into
 * `${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/etcd-<version>/etcd` (or `$RPCX_ETCD_BIN`), Debian's 3.4
 * at `/usr/bin/etcd` (or `$RPCX_ETCD34_BIN`). A missing 3.6 binary fails with a message naming the
 * script; `etcdBinary('3.4')` is `undefined` when 3.4 is not installed, for tests to skip.
 *
 * Cleanup: members still running when the process exits are killed; ours (3.6) also exits by
 * itself when its stdin — a pipe from this process — closes, so it never outlives a dead run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The etcd 3.6 release built by scripts/registries/etcd.sh (keep the three places in step). */
export const ETCD_VERSION = '3.6.16';

export type EtcdFlavor = '3.6' | '3.4';

export interface EtcdOptions {
  /** Which etcd: '3.6' (default, built from the module proxy) or Debian's '3.4'. */
  flavor?: EtcdFlavor;
  /** An explicit binary (overrides `flavor`'s lookup). */
  binary?: string;
  /** Bound on each member's start (ms). Default 30 000: a busy 2-core machine is slow. */
  readyTimeoutMs?: number;
}

export interface EtcdMember {
  readonly name: string;
  /** `http://127.0.0.1:PORT`, for etcd3 (npm) `hosts`. */
  readonly clientUrl: string;
  /** `127.0.0.1:PORT`, as Go's rpcx-etcd takes it. */
  readonly endpoint: string;
  readonly running: boolean;
  /** SIGTERM, then SIGKILL if it has not exited within 1 s; resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same ports with its data; resolves when it is healthy. */
  start(): Promise<void>;
  /** What it printed lately (the last 64 KiB of stderr and stdout). */
  output(): string;
}

export interface EtcdCluster {
  readonly version: string;
  readonly members: readonly EtcdMember[];
  readonly clientUrls: readonly string[];
  readonly endpoints: readonly string[];
  /**
   * Stops every member (SIGTERM) and starts them again on the same ports, data kept — or, with
   * `wipe`, wiped first: a registry that lost everything (a new cluster on the same ports).
   */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** Stops every member and removes the data dirs. Idempotent. */
  close(): Promise<void>;
}

const READY_POLL_MS = 50;
/**
 * How long `stop()` waits after SIGTERM before SIGKILL. etcd stops listening at once but waits for
 * open streams (watches, lease keep-alives) up to its request timeout (≥ 7 s), refusing new ones
 * meanwhile — long enough for short test leases to expire in a server on its way out. Its WAL is
 * synced on every commit, so a kill loses nothing.
 */
const STOP_GRACE_MS = 1_000;
const KEEP_OUTPUT = 64 * 1024;
const START_ATTEMPTS = 3;

/** Where the binary of `flavor` is, or `undefined` when it is not there. */
export function etcdBinary(flavor: EtcdFlavor = '3.6'): string | undefined {
  const path =
    flavor === '3.6'
      ? (process.env.RPCX_ETCD_BIN ??
        join(
          process.env.RPCX_CACHE_DIR ?? join(homedir(), '.cache', 'rpcx-ts'),
          `etcd-${ETCD_VERSION}`,
          'etcd',
        ))
      : (process.env.RPCX_ETCD34_BIN ?? '/usr/bin/etcd');
  return existsSync(path) ? path : undefined;
}

function requireBinary(options: EtcdOptions): string {
  if (options.binary !== undefined) return options.binary;
  const flavor = options.flavor ?? '3.6';
  const found = etcdBinary(flavor);
  if (found !== undefined) return found;
  const what = flavor === '3.6' ? `etcd ${ETCD_VERSION}` : "Debian's etcd 3.4 (etcd-server)";
  throw new Error(
    `${what} is not installed: run \`bash scripts/registries/etcd.sh\` (it builds or installs it` +
      ` into the cache; or set ${flavor === '3.6' ? 'RPCX_ETCD_BIN' : 'RPCX_ETCD34_BIN'})`,
  );
}

/** One etcd member on free loopback ports. */
export function startEtcd(options: EtcdOptions = {}): Promise<EtcdCluster> {
  return startEtcdCluster(1, options);
}

/** `size` members on loopback forming one cluster; resolves when every member is healthy. */
export async function startEtcdCluster(
  size: number,
  options: EtcdOptions = {},
): Promise<EtcdCluster> {
  const binary = requireBinary(options);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dataRoot = await mkdtemp(join(tmpdir(), 'rpcx-etcd-'));
  let lastError: unknown;
  // Free ports are found by binding port 0 and letting go, so another process may take one
  // meanwhile: a start that fails to bind is tried again on new ports.
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const ports = await freePorts(size * 2);
    const members = Array.from(
      { length: size },
      (_, i) =>
        new Member(
          binary,
          `m${i}`,
          ports[2 * i]!,
          ports[2 * i + 1]!,
          join(dataRoot, `a${attempt}m${i}`),
        ),
    );
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    for (const member of members) member.initialCluster = initialCluster;
    try {
      await Promise.all(members.map((member) => member.start(readyTimeoutMs)));
      return new Cluster(binary, members, dataRoot, readyTimeoutMs);
    } catch (error) {
      lastError = error;
      await Promise.all(members.map((member) => member.kill()));
      if (!members.some((member) => member.output().includes('address already in use'))) break;
    }
  }
  await rm(dataRoot, { recursive: true, force: true });
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// Internals

class Cluster implements EtcdCluster {
  readonly version: string;
  private closed = false;

  constructor(
    binary: string,
    readonly members: Member[],
    private readonly dataRoot: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.version = binary.includes(`etcd-${ETCD_VERSION}`) ? ETCD_VERSION : binary;
  }

  get clientUrls(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  get endpoints(): string[] {
    return this.members.map((member) => member.endpoint);
  }

  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    await Promise.all(this.members.map((member) => member.stop()));
    if (options.wipe) await Promise.all(this.members.map((member) => member.wipe()));
    await Promise.all(this.members.map((member) => member.start(this.readyTimeoutMs)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.members.map((member) => member.stop()));
    await rm(this.dataRoot, { recursive: true, force: true });
  }
}

class Member implements EtcdMember {
  readonly clientUrl: string;
  readonly endpoint: string;
  readonly peerUrl: string;
  initialCluster = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private out = '';

  constructor(
    private readonly binary: string,
    readonly name: string,
    clientPort: number,
    peerPort: number,
    private readonly dataDir: string,
  ) {
    this.endpoint = `127.0.0.1:${clientPort}`;
    this.clientUrl = `http://${this.endpoint}`;
    this.peerUrl = `http://127.0.0.1:${peerPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  output(): string {
    return this.out;
  }

  start(readyTimeoutMs = 30_000): Promise<void> {
    if (this.child !== undefined) return Promise.resolve();
    const args = [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--initial-cluster=${this.initialCluster}`,
      // Ignored once the data dir has a member: a restart rejoins with its data.
      '--initial-cluster-state=new',
      '--initial-cluster-token=rpcx-test',
      '--logger=zap',
      '--log-level=error',
    ];
    const child = spawn(this.binary, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, RPCX_EXIT_WITH_PARENT: '1' },
    });
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-KEEP_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => keep(Buffer.from(`spawn failed: ${error.message}\n`)));
    this.child = child;
    track(child);
    this.exited = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        if (this.child === child) this.child = undefined;
        keep(Buffer.from(`[${this.name} exited: code ${code}, signal ${signal}]\n`));
        resolve();
      });
    });
    return this.waitHealthy(child, readyTimeoutMs);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Removes the data dir (the member must be stopped). */
  async wipe(): Promise<void> {
    if (this.child !== undefined) throw new Error(`etcd ${this.name} is running`);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  private async waitHealthy(child: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child !== child) break;
      if (await healthy(this.clientUrl)) return;
      await sleep(READY_POLL_MS);
    }
    const why = this.child === child ? `not healthy within ${timeoutMs} ms` : 'exited';
    if (this.child === child) await this.kill();
    throw new Error(
      `etcd ${this.name} (${this.binary}, ${this.clientUrl}) ${why}\n--- output ---\n${this.out}`,
    );
  }
}

/** `GET /health` answers 200 with `"health":"true"` (bounded to 1 s). */
function healthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${clientUrl}/health`, { timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** `count` distinct free loopback ports (bound to 0 together, then let go). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Cleanup: members left running when the process exits are killed.

const running = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  if (running.size === 0) process.once('exit', killNow);
  running.add(child);
  child.once('close', () => {
    running.delete(child);
    if (running.size === 0) process.removeListener('exit', killNow);
  });
}

function killNow(): void {
  for (const child of running) child.kill('SIGKILL');
}
