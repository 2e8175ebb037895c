/**
 * A real Redis for tests: Debian's `redis-server` (7.0) on a free loopback port with a temp
 * directory, nothing persisted (`--save '' --appendonly no`), ready when `PING` answers `PONG`
 * within a bounded wait, stopped by the test. Install it with `bash scripts/redis.sh` (the
 * launcher fails with that advice when it is missing); `$RPCX_REDIS_SERVER` names another binary.
 *
 *   const redis = await startRedis();                 // standalone
 *   redis.url;                                        // 'redis://127.0.0.1:PORT'
 *   await redis.command('GET', 'rate:Arith/Mul');     // one command, its reply
 *   const cluster = await startRedis({ cluster: true }); // a one-node cluster owning every slot
 *   await redis.close();                              // stopped, directory removed
 *
 * `cluster: true` starts Redis in cluster mode (bus on a second free port) and gives the node all
 * 16384 slots, so cluster clients — Go rpcx's RedisRateLimitingPlugin uses go-redis's
 * ClusterClient — work against one process; readiness then also waits for `cluster_state:ok`.
 *
 * Cleanup: servers still running are killed after each spec file that imports this module and
 * when the jest worker exits; with `setpriv` (util-linux) the kernel kills the server if this
 * process dies first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './zookeeper-launcher.js';

export interface RedisOptions {
  /** A one-node cluster owning every slot, for cluster clients. Default false. */
  cluster?: boolean;
  /** How long to wait for readiness (ms). Default 20 000. */
  readyTimeoutMs?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, as Go clients take it. */
  readonly address: string;
  readonly port: number;
  /** Its working directory (removed by `close`). */
  readonly dir: string;
  /** Sends one command; resolves with its reply as text (an array: one element a line). */
  command(...args: string[]): Promise<string>;
  /** What the server printed (the last 64 KiB). */
  output(): string;
  /** Stops the server (SIGKILL: nothing to save) and removes its directory. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_BINARY = '/usr/bin/redis-server';
const INSTALL_HINT = 'run `bash scripts/redis.sh` to install it';
const KEEP_OUTPUT = 64 * 1024;
const SETPRIV = '/usr/bin/setpriv';
const running = new Set<ChildProcess>();

/** The redis-server binary; throws with install advice when it is missing. */
export function redisServerBinary(): string {
  const given = process.env.RPCX_REDIS_SERVER;
  const binary = given !== undefined && given !== '' ? given : DEFAULT_BINARY;
  if (!existsSync(binary)) throw new Error(`redis-server not found at ${binary}: ${INSTALL_HINT}`);
  return binary;
}

/** Starts Redis on a free loopback port; resolves when it answers (and, clustered, serves). */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  // A port taken between our probe and Redis's bind makes Redis exit: try other ports.
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'rpcx-redis-'));
    const port = await freeLoopbackPort();
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ];
    if (options.cluster === true) {
      const busPort = await freeLoopbackPort();
      args.push('--cluster-enabled', 'yes', '--cluster-port', String(busPort));
      args.push('--cluster-config-file', join(dir, 'nodes.conf'));
      args.push('--cluster-announce-ip', '127.0.0.1');
    }
    const server = new LaunchedRedis(binary, args, port, dir);
    try {
      await server.ready(options.cluster === true, options.readyTimeoutMs ?? 20_000);
      return server;
    } catch (error) {
      await server.close();
      if (attempt >= 3 || !/Address already in use/.test(server.output())) throw error;
    }
  }
}

/** Kills every Redis started here that still runs. */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map((child) => killed(child)));
}

class LaunchedRedis implements RedisServer {
  readonly url: string;
  readonly address: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private out = '';
  private closed = false;

  constructor(
    binary: string,
    args: string[],
    readonly port: number,
    readonly dir: string,
  ) {
    this.address = `127.0.0.1:${port}`;
    this.url = `redis://${this.address}`;
    const [command, argv] = existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args]]
      : [binary, args];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-KEEP_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => keep(Buffer.from(`spawn failed: ${error.message}\n`)));
    if (running.size === 0) process.once('exit', killNow);
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('close', () => {
        running.delete(child);
        if (running.size === 0) process.removeListener('exit', killNow);
        resolve();
      });
    });
    this.child = child;
  }

  async ready(cluster: boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let slotsAdded = false;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`redis-server on port ${this.port} exited\n--- output ---\n${this.out}`);
      }
      const pong = await this.command('PING').catch(() => '');
      if (pong === 'PONG') {
        if (!cluster) return;
        if (!slotsAdded) {
          await this.command('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
          slotsAdded = true;
        }
        const info = await this.command('CLUSTER', 'INFO');
        if (/cluster_state:ok/.test(info)) return;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `redis-server on port ${this.port}: not ready within ${timeoutMs} ms\n--- output ---\n${this.out}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  command(...args: string[]): Promise<string> {
    return redisCommand(this.port, args);
  }

  output(): string {
    return this.out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await killed(this.child);
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One command on a fresh connection to 127.0.0.1:port. The reply as text: a status, an integer or
 * a bulk string as it is, an array as its elements joined by newlines; an error reply rejects.
 */
function redisCommand(port: number, args: readonly string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, reply?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(reply ?? '');
    };
    const timer = setTimeout(() => finish(new Error(`${args[0]}: no reply`)), timeoutMs);
    socket.on('connect', () => {
      const parts = [`*${args.length}\r\n`];
      for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
      socket.write(parts.join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parseReply(buffer, 0);
      if (reply === undefined) return; // more to come
      if (reply.error !== undefined) finish(new Error(reply.error));
      else finish(undefined, reply.text);
    });
    socket.on('error', (error) => finish(error));
  });
}

interface Reply {
  text: string;
  error?: string;
  end: number;
}

/** The RESP reply at `at`, or undefined when it is not complete yet. */
function parseReply(buffer: Buffer, at: number): Reply | undefined {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[at]!);
  const line = buffer.subarray(at + 1, lineEnd).toString();
  const next = lineEnd + 2;
  if (kind === '-') return { text: '', error: line, end: next };
  if (kind === '$' || kind === '*') {
    const count = Number(line);
    if (count < 0) return { text: '', end: next };
    if (kind === '$') {
      if (buffer.length < next + count + 2) return undefined;
      return { text: buffer.subarray(next, next + count).toString(), end: next + count + 2 };
    }
    const items: string[] = [];
    let end = next;
    for (let i = 0; i < count; i++) {
      const item = parseReply(buffer, end);
      if (item === undefined) return undefined;
      items.push(item.text);
      end = item.end;
    }
    return { text: items.join('\n'), end };
  }
  return { text: line, end: next };
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The worker is exiting: no time to wait, just send the signal. */
function killNow(): void {
  for (const child of running) child.kill('SIGKILL');
}

// A spec file that imports this module gets its leftover servers killed after its last test.
if (typeof afterAll === 'function') {
  try {
    afterAll(stopAllRedis);
  } catch {
    // imported from inside a test: hooks cannot be added there; the exit hook still runs
  }
}
