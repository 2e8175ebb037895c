/**
 * A real ZooKeeper for tests: Debian's `zookeeper` package (3.8) started standalone with java on a
 * free loopback port, with a temporary data directory, and stopped after. Install it with
 * `bash scripts/registries/zookeeper.sh` (the launcher fails with that advice when it is missing).
 *
 *   const zk = await startZookeeper();          // ready: `srvr` answered with a `Mode:` line
 *   zk.connectString;                           // '127.0.0.1:PORT'
 *   await zk.stop();  await zk.start();         // an outage: same port, data kept
 *   await zk.restart({ wipe: true });           // a fresh ensemble on the same port
 *   await zk.close();                           // stopped, data directory removed
 *
 * The server runs `java -cp <class path> org.apache.zookeeper.server.quorum.QuorumPeerMain
 * zoo.cfg` with `clientPortAddress=127.0.0.1`, the admin server off (it would take :8080), the
 * four-letter words `srvr,ruok,mntr` allowed and a short `tickTime` (default 200 ms, so sessions
 * may be as short as 2 × tickTime and expire fast). Readiness is the `srvr` command answering a
 * `Mode:` line within a bounded wait; `ruok` is not trusted (a server that is not serving yet
 * still answers `imok`).
 *
 * Class path: `$RPCX_ZOOKEEPER_CLASSPATH`, else `/etc/zookeeper/conf:/usr/share/java/zookeeper.jar`
 * (plus slf4j-simple when present, so the server's warnings reach `output()`); java is
 * `$JAVA_HOME/bin/java` or `java`.
 *
 * Cleanup: every server still running is killed (SIGKILL) after each spec file that imports this
 * module, and when the jest worker exits; a small watchdog process kills the JVM if this process
 * dies without doing so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWatchdog, stopWatchdog } from './watchdog.js';

export interface ZookeeperOptions {
  /** ZooKeeper's `tickTime` (ms); sessions may last 2 to 20 ticks. Default 200. */
  tickTimeMs?: number;
  /** How long to wait for `srvr` to answer `Mode:` (ms). Default 30 000. */
  readyTimeoutMs?: number;
}

export interface ZookeeperServer {
  /** `127.0.0.1:PORT`, for ZooKeeper clients. */
  readonly connectString: string;
  readonly port: number;
  readonly dataDir: string;
  readonly tickTimeMs: number;
  /** The shortest and longest session timeouts the server grants (2 and 20 ticks). */
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** The process id of the running JVM (-1 when stopped). */
  readonly pid: number;
  /** Starts the stopped server again on the same port with the same data; resolves when ready. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after 5 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; resolves when the process has exited. */
  kill(): Promise<void>;
  /** stop, then start; `wipe` empties the data directory in between (a brand-new ensemble). */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** The answer to a four-letter word (`srvr`, `mntr`, `ruok`). Rejects when it cannot connect. */
  fourLetter(word: 'srvr' | 'mntr' | 'ruok', timeoutMs?: number): Promise<string>;
  /** What the JVM printed (the last 64 KiB). */
  output(): string;
  /** Stops the server and removes its data directory. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';
const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar';
const INSTALL_HINT = 'run `bash scripts/registries/zookeeper.sh` to install it';
const KEEP_OUTPUT = 64 * 1024;

/** The Java class path of ZooKeeper, checked; throws with install advice when it is missing. */
export function zookeeperClasspath(): string {
  const given = process.env.RPCX_ZOOKEEPER_CLASSPATH;
  const classpath = given !== undefined && given !== '' ? given : DEFAULT_CLASSPATH;
  const jars = classpath.split(':').filter((entry) => entry.endsWith('.jar'));
  const missing = jars.filter((jar) => !existsSync(jar));
  if (jars.length === 0 || missing.length > 0) {
    throw new Error(
      `ZooKeeper not found (class path ${classpath}${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}): ${INSTALL_HINT}`,
    );
  }
  return existsSync(SLF4J_SIMPLE) && !classpath.includes('slf4j')
    ? `${classpath}:${SLF4J_SIMPLE}`
    : classpath;
}

function javaCommand(): string {
  const home = process.env.JAVA_HOME;
  return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
}

/** A free TCP port on 127.0.0.1 (free when asked; a test starting right away keeps it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Sends a four-letter word to 127.0.0.1:port and resolves with the whole answer. */
export function fourLetterWord(port: number, word: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${word}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(answer);
    });
  });
}

const running = new Set<Launched>();

/** Starts a standalone ZooKeeper on a free loopback port; resolves when it serves. */
export async function startZookeeper(options: ZookeeperOptions = {}): Promise<ZookeeperServer> {
  const classpath = zookeeperClasspath();
  const tickTimeMs = options.tickTimeMs ?? 200;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const root = mkdtempSync(join(tmpdir(), 'rpcx-zookeeper-'));
  // A port taken between our probe and the JVM's bind makes the JVM exit: try another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const server = new Launched(classpath, root, port, tickTimeMs, readyTimeoutMs);
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.kill();
      if (attempt >= 3 || server.portFree) {
        rmSync(root, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** Kills (SIGKILL) every ZooKeeper started here that still runs; resolves when they exited. */
export async function stopAllZookeepers(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
}

class Launched implements ZookeeperServer {
  readonly connectString: string;
  readonly dataDir: string;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** False when a failed start was not about the port (then another port would not help). */
  portFree = true;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private out = '';
  private closed = false;

  constructor(
    private readonly classpath: string,
    private readonly root: string,
    readonly port: number,
    readonly tickTimeMs: number,
    private readonly readyTimeoutMs: number,
  ) {
    this.connectString = `127.0.0.1:${port}`;
    this.dataDir = join(root, 'data');
    this.minSessionTimeoutMs = 2 * tickTimeMs;
    this.maxSessionTimeoutMs = 20 * tickTimeMs;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  output(): string {
    return this.out;
  }

  fourLetter(word: 'srvr' | 'mntr' | 'ruok', timeoutMs?: number): Promise<string> {
    return fourLetterWord(this.port, word, timeoutMs);
  }

  async start(): Promise<void> {
    if (this.closed) throw new Error('ZooKeeper launcher: closed');
    if (this.child !== undefined) return;
    mkdirSync(this.dataDir, { recursive: true });
    const config = join(this.root, 'zoo.cfg');
    writeFileSync(
      config,
      [
        `tickTime=${this.tickTimeMs}`,
        'initLimit=10',
        'syncLimit=5',
        `dataDir=${this.dataDir}`,
        `clientPort=${this.port}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        '4lw.commands.whitelist=srvr,ruok,mntr',
        // Tests need no fsync per write; the data survives a stop all the same (page cache).
        'forceSync=no',
        'maxClientCnxns=0',
        '',
      ].join('\n'),
    );
    const child = spawn(
      javaCommand(),
      [
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        this.classpath,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        config,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-KEEP_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', () => {
        if (this.child === child) this.child = undefined;
        this.stopWatchdog();
        running.delete(this);
        if (running.size === 0) process.removeListener('exit', killNow);
        resolve();
      });
    });
    if (running.size === 0) process.once('exit', killNow);
    running.add(this);
    if (child.pid !== undefined) this.startWatchdog(child.pid);

    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (this.child !== child) {
        const why =
          spawnError !== undefined
            ? `${javaCommand()} could not be started (${spawnError.message}); ${INSTALL_HINT}`
            : 'the JVM exited';
        this.portFree = !/Address already in use|BindException/.test(this.out);
        throw new Error(`ZooKeeper on port ${this.port}: ${why}\n--- output ---\n${this.out}`);
      }
      const answer = await this.fourLetter('srvr', 1_000).catch(() => '');
      if (/^Mode: /m.test(answer)) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `ZooKeeper on port ${this.port}: srvr did not answer Mode: within ${this.readyTimeoutMs} ms\n--- output ---\n${this.out}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    await this.stop();
    if (options.wipe === true) rmSync(this.dataDir, { recursive: true, force: true });
    await this.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Kills the JVM when this process dies without stopping it (watchdog.ts). */
  private startWatchdog(pid: number): void {
    this.watchdog = startWatchdog(pid);
  }

  private stopWatchdog(): void {
    stopWatchdog(this.watchdog);
    this.watchdog = undefined;
  }
}

/** The worker is exiting: no time to wait, just send the signal. */
function killNow(): void {
  for (const server of running) {
    try {
      if (server.pid > 0) process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// A spec file that imports this module gets its leftover servers killed after its last test.
if (typeof afterAll === 'function') {
  try {
    afterAll(stopAllZookeepers);
  } catch {
    // imported from inside a test: hooks cannot be added there; the exit hook still runs
  }
}
