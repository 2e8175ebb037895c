/**
 * A real Consul agent for tests: Consul v1.14.11 (built once by `scripts/registries/consul.sh`
 * into `${RPCX_CACHE_DIR:-$HOME/.cache/rpcx-ts}/consul-1.14.11/consul`, or `$RPCX_CONSUL_BIN`)
 * on free loopback ports, DNS and gRPC off, with a temp data dir; stopped by the test.
 *
 *   const consul = await startConsul();              // `agent -dev`: in memory
 *   consul.address                                   // '127.0.0.1:<http port>'
 *   await consul.stop();  await consul.start();      // an outage; same ports (-dev: data lost)
 *   await consul.restart({ wipe: true });            // back without its data
 *   await consul.close();                            // stop and remove the data dir
 *
 * `persistent: true` runs a one-server cluster with a data dir instead (`-server
 * -bootstrap-expect=1`): `restart()` keeps the KV data and sessions. Readiness is a leader in
 * `/v1/status/leader` and a session that can be created (the agent's node is in the catalog),
 * within `readyTimeoutMs`. Ports are picked outside Linux's ephemeral range, so that no
 * outgoing socket takes them while the agent is down.
 *
 * The agent runs under a small shell that kills it when this process's end of its stdin closes:
 * a jest worker that dies does not leave Consul agents behind. Agents still running are killed
 * after each spec file that imports this module, and when the process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const CONSUL_VERSION = '1.14.11';

export interface StartConsulOptions {
  /** A one-server cluster with a data dir, kept across `restart()` (default: `-dev`, in memory). */
  persistent?: boolean;
  /**
   * Loopback addresses the HTTP API listens on besides 127.0.0.1 (e.g. `127.0.0.2`), so that
   * clients can be told apart, or cut off one at a time, by the address they use.
   */
  extraHttpAddresses?: readonly string[];
  /** How long to wait for the agent to be ready (ms). Default 30 000. */
  readyTimeoutMs?: number;
}

export interface ConsulAgent {
  /** `127.0.0.1:<http port>`: what Consul clients are given. */
  readonly address: string;
  readonly httpPort: number;
  /** Whether the agent is running (started and not stopped). */
  readonly running: boolean;
  /** Stops the agent (SIGKILL by default: an outage) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and waits until it is ready. */
  start(): Promise<void>;
  /**
   * `stop('SIGTERM')` then `start()`: data kept only with `persistent`, and not with `wipe`
   * (a registry that lost everything).
   */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** Stops it and removes its data dir. Idempotent. */
  close(): Promise<void>;
  /** The agent's recent output (last 64 KiB). */
  output(): string;
}

/** The Consul binary: `$RPCX_CONSUL_BIN`, else the one `scripts/registries/consul.sh` builds. */
export function consulBinary(): string {
  const cache = process.env.RPCX_CACHE_DIR || join(homedir(), '.cache', 'rpcx-ts');
  const binary = process.env.RPCX_CONSUL_BIN || join(cache, `consul-${CONSUL_VERSION}`, 'consul');
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(
      `Consul v${CONSUL_VERSION} not found at ${binary}: run \`bash scripts/registries/consul.sh\` ` +
        '(builds it once from the Go module proxy, ~4 min; or set RPCX_CONSUL_BIN)',
    );
  }
  return binary;
}

/** Starts a Consul agent on free loopback ports and waits until it is ready. */
export async function startConsul(options: StartConsulOptions = {}): Promise<ConsulAgent> {
  const binary = consulBinary();
  const [http, serfLan, serfWan, server] = await freePorts(4);
  const dataDir = mkdtempSync(join(tmpdir(), 'rpcx-consul-'));
  const clientAddresses = ['127.0.0.1', ...(options.extraHttpAddresses ?? [])];
  const args = [
    'agent',
    ...(options.persistent
      ? ['-server', '-bootstrap-expect=1', `-data-dir=${dataDir}`, '-node=rpcx-test']
      : ['-dev']),
    '-bind=127.0.0.1',
    `-client=${clientAddresses.join(' ')}`,
    '-hcl',
    `ports { http = ${http}, https = -1, dns = -1, grpc = -1, grpc_tls = -1, serf_lan = ${serfLan}, serf_wan = ${serfWan}, server = ${server} }`,
    '-hcl',
    'disable_update_check = true',
    '-hcl',
    'performance { raft_multiplier = 1 }',
  ];
  const agent = new Agent(binary, args, http!, dataDir, options.readyTimeoutMs ?? 30_000);
  try {
    await agent.start();
  } catch (error) {
    await agent.close();
    throw error;
  }
  return agent;
}

/** Closes every agent started here that is still open. */
export async function stopAllConsulAgents(): Promise<void> {
  await Promise.all([...open].map((agent) => agent.close()));
}

// ---------------------------------------------------------------------------------------------
// internal

const KEEP_OUTPUT = 64 * 1024;
const open = new Set<Agent>();

/**
 * Runs `consul "$@"` and kills it (SIGKILL) when stdin reaches EOF, i.e. when the process that
 * started it has gone. Prints the agent's pid first, on stderr.
 */
const WRAPPER = [
  // A background job's stdin is /dev/null: keep ours as fd 3 for the watcher.
  'exec 3<&0',
  '"$0" "$@" </dev/null 3<&- &',
  'child=$!',
  'echo "consul-pid $child" >&2',
  '(cat <&3 >/dev/null; kill -9 "$child" 2>/dev/null) &',
  'exec 3<&-',
  'wait "$child"',
].join('\n');

class Agent implements ConsulAgent {
  readonly address: string;
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #exited: Promise<void> = Promise.resolve();
  #output = '';
  #closed = false;

  constructor(
    private readonly binary: string,
    private readonly args: readonly string[],
    readonly httpPort: number,
    private readonly dataDir: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.address = `127.0.0.1:${httpPort}`;
    open.add(this);
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  output(): string {
    return this.#output;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error('consul agent closed');
    if (this.#child !== undefined) return;
    const child = spawn('/bin/sh', ['-c', WRAPPER, this.binary, ...this.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#pid = undefined;
    let head = ''; // this run's first output, where the wrapper prints the agent's pid
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-KEEP_OUTPUT);
      if (this.#pid === undefined && this.#child === child) {
        head += chunk.toString();
        const match = /consul-pid (\d+)/.exec(head);
        if (match !== null) this.#pid = Number(match[1]);
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', () => {});
    let exited = false;
    this.#exited = new Promise((resolve) => {
      child.once('close', () => {
        exited = true;
        child.stdin!.destroy();
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    const giveUp = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`consul agent exited before it was ready:\n${this.#output}`);
      if (await this.#ready()) return;
      if (Date.now() > giveUp) {
        await this.stop('SIGKILL');
        throw new Error(
          `consul agent not ready within ${this.readyTimeoutMs} ms:\n${this.#output.slice(-4000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const pid = this.#pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    } else {
      // Not even started: closing stdin makes the wrapper kill it.
      child.stdin!.destroy();
    }
    const killLater = setTimeout(() => child.stdin!.destroy(), 10_000);
    await this.#exited;
    clearTimeout(killLater);
  }

  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    await this.stop('SIGTERM');
    if (options.wipe) {
      rmSync(this.dataDir, { recursive: true, force: true });
      mkdirSync(this.dataDir);
    }
    await this.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.stop('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
    open.delete(this);
  }

  /** A leader, and a session can be made (the agent's node is registered). */
  async #ready(): Promise<boolean> {
    const leader = await httpCall(this.httpPort, 'GET', '/v1/status/leader');
    if (leader?.status !== 200 || !/"[^"]+"/.test(leader.body)) return false;
    const created = await httpCall(this.httpPort, 'PUT', '/v1/session/create', '{"TTL":"10s"}');
    if (created?.status !== 200) return false;
    const id = (JSON.parse(created.body) as { ID: string }).ID;
    await httpCall(this.httpPort, 'PUT', `/v1/session/destroy/${id}`);
    return true;
  }
}

function httpCall(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, timeout: 2_000, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

/**
 * `count` distinct ports free for TCP and UDP on 127.0.0.1 (serf uses both), picked between
 * 20 000 and 32 000: below Linux's ephemeral range (32768–60999).
 */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 200) throw new Error('no free loopback ports for consul');
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.includes(port) && (await tcpFree(port)) && (await udpFree(port))) ports.push(port);
  }
  return ports;
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

function killNow(): void {
  for (const agent of open) void agent.stop('SIGKILL');
}
process.once('exit', killNow);

// A spec file that imports this module gets its leftover agents closed after its last test.
if (typeof afterAll === 'function') {
  try {
    afterAll(stopAllConsulAgents);
  } catch {
    // imported from inside a test: hooks cannot be added there; the exit hook still runs
  }
}
