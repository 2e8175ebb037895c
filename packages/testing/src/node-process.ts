/**
 * A TypeScript program of this workspace as a real child Node process, started from a jest test
 * without a build: `node --conditions=@rpcx/source register.cjs entry.ts ...args` (see
 * register.cjs). The child says it is ready by printing a line (default `READY <address>`);
 * `startProcess` waits for it, within a bound, and fails with the child's output otherwise.
 *
 *   const server = await startProcess(entry, ['--port', '0']);
 *   const address = server.ready[1];        // the first group of `readyLine`
 *   await server.waitForLine(/^DRAINING$/); // any later line, within a bound
 *   await server.kill('SIGKILL');           // resolves once it has exited
 *
 * Cleanup: every process still running is killed (SIGKILL) by `stopAllProcesses()`, which runs
 * after each spec file that imports this module, and when the jest worker exits. The child exits
 * by itself when its stdin (a pipe from this process) closes, so it never outlives a dead run.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The require hook and launcher, packages/testing/src/register.cjs. Known when this module runs
 * from its source as CommonJS (under jest); empty in the ESM build, where it is not shipped.
 */
export const REGISTER_HOOK = typeof __dirname === 'string' ? join(__dirname, 'register.cjs') : '';

export interface StartProcessOptions {
  /** The line that says the child is ready; its match is `ready`. Default `/^READY (\S+)$/`. */
  readyLine?: RegExp;
  /** How long to wait for it (ms). Default 30 000: child start-up is slow on a busy machine. */
  readyTimeoutMs?: number;
  /** Extra environment for the child (on top of this process's). */
  env?: Record<string, string>;
  /** A name for messages (default the entry's file name and args). */
  name?: string;
  /**
   * A command that runs `node` for us, `node` and its arguments appended (`unshare ... --`, see
   * netns.ts). Default none: `node` itself.
   */
  launcher?: readonly string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly name: string;
  readonly pid: number;
  /** The match of the ready line. */
  readonly ready: RegExpExecArray;
  /** Resolves when the child has exited (never rejects). */
  readonly exited: Promise<Exit>;
  /** Whether it is still running. */
  readonly running: boolean;
  /**
   * The first stdout line after the ready line that matches `pattern` (one already printed
   * counts); rejects after `timeoutMs` (default 10 000) or when the child exits first.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** What it printed so far (the last 64 KiB of each stream). */
  output(): { stdout: string; stderr: string };
  /** Sends `signal` (default SIGTERM) and resolves when the child has exited. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
  /** Writes `line` (and a newline) to the child's stdin. */
  send(line: string): void;
  /** Calls `listener` with every later stdout line (all of them, unlike `waitForLine`). */
  onLine(listener: (line: string) => void): () => void;
}

const DEFAULT_READY = /^READY (\S+)$/;
const KEEP_OUTPUT = 64 * 1024;
const MAX_UNREAD = 1_000;
const running = new Set<NodeProcess>();

/** Starts `entry` (a `.ts` file) with `args` and waits for its ready line. */
export async function startProcess(
  entry: string,
  args: readonly string[] = [],
  options: StartProcessOptions = {},
): Promise<NodeProcess> {
  if (REGISTER_HOOK === '') throw new Error('startProcess runs from the sources, under jest');
  const name = options.name ?? [entry.split('/').pop(), ...args].join(' ');
  const node = [process.execPath, '--conditions=@rpcx/source', REGISTER_HOOK, entry, ...args];
  const command = [...(options.launcher ?? []), ...node];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env, RPCX_EXIT_WITH_PARENT: '1' },
  });
  const out = { stdout: '', stderr: '' };
  const keep = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    out[stream] = (out[stream] + chunk.toString()).slice(-KEEP_OUTPUT);
  };
  child.stderr.on('data', (chunk: Buffer) => keep('stderr', chunk));
  child.once('error', () => {}); // a failed spawn ends in 'close' too

  let exit: Exit | undefined;
  const lines = new LineReader(() =>
    exit === undefined ? undefined : `exited (code ${exit.code}, signal ${exit.signal})`,
  );
  const exited = new Promise<Exit>((resolve) => {
    // 'close', not 'exit': by then stdout and stderr have been read to the end.
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
  const handle: NodeProcess = {
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
  track(handle, exited);
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

/** Kills (SIGKILL) every process started here that is still running; resolves when they exited. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill('SIGKILL')));
}

/**
 * Stdout as lines, for waiting on them in order: `next(pattern)` takes the first unread line that
 * matches, and drops the unread ones before it (so waits are meant to be one at a time).
 */
class LineReader {
  private partial = '';
  private readonly unread: string[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(line: string) => void>();

  /** `ended()` says why no more lines will come, or `undefined` while they may. */
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
      const look = () => {
        for (let line = this.unread.shift(); line !== undefined; line = this.unread.shift()) {
          const match = pattern.exec(line);
          if (match !== null) return settle(() => resolve(match));
        }
        const why = this.ended();
        if (why !== undefined) settle(() => reject(new Error(`${why} before printing ${pattern}`)));
      };
      const settle = (done: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(look);
        done();
      };
      this.waiters.add(look);
      look();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup

function track(child: NodeProcess, exited: Promise<Exit>): void {
  if (running.size === 0) process.once('exit', killNow);
  running.add(child);
  void exited.then(() => {
    running.delete(child);
    if (running.size === 0) process.removeListener('exit', killNow);
  });
}

/** The worker is exiting: no time to wait, just send the signal. */
function killNow(): void {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// A spec file that imports this module gets its leftovers killed after its last test.
if (typeof afterAll === 'function') {
  try {
    afterAll(stopAllProcesses);
  } catch {
    // imported from inside a test: hooks cannot be added there; the exit hook still runs
  }
}
