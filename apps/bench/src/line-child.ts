/**
 * A child process that speaks a line protocol: it prints a ready line (`LISTENING <address>` for
 * the servers), then answers each command line written to its stdin with a line, and exits when
 * its stdin closes. The load run's server processes, the memory run's connector and Go's
 * benchserver all work this way.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface LineChildOptions {
  /** For messages. */
  name: string;
  /** The line that says the child is ready; `ready` is its match. Default `LISTENING <address>`. */
  ready?: RegExp;
  /** How long to wait for it (ms); default 30 000. */
  readyTimeoutMs?: number;
}

export interface LineChild {
  readonly name: string;
  readonly pid: number;
  /** The match of the ready line. */
  readonly ready: RegExpExecArray;
  /**
   * Writes `command` (a line) and resolves with the first line after it that matches `reply`;
   * lines that do not match are dropped. Rejects after `timeoutMs` (default 30 000) or when the
   * child exits. Asks are answered in order.
   */
  ask(command: string, reply: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Closes its stdin and waits for it to exit; SIGKILL after `timeoutMs` (default 10 000). */
  stop(timeoutMs?: number): Promise<void>;
}

interface Waiter {
  reply: RegExp;
  resolve: (match: RegExpExecArray) => void;
  reject: (error: Error) => void;
}

/** Starts `command` (program and arguments; stderr is inherited) and waits for its ready line. */
export async function startLineChild(
  command: readonly string[],
  options: LineChildOptions,
): Promise<LineChild> {
  const { name } = options;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.on('error', () => {}); // it may be gone; its exit says so
  const waiters: Waiter[] = [];
  let exited: Error | undefined;
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      const waiter = waiters[0];
      const match = waiter?.reply.exec(line);
      if (waiter && match) {
        waiters.shift();
        waiter.resolve(match);
      }
    }
  });
  const onExit = (error: Error) => {
    exited ??= error;
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
  };
  child.once('error', (error) => onExit(new Error(`${name}: ${error.message}`)));
  child.once('exit', (code, signal) => onExit(new Error(`${name} exited (${code ?? signal})`)));
  const wait = (reply: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(() => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        reject(new Error(`${name}: no line matching ${reply} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        reply,
        resolve: (match) => {
          clearTimeout(timer);
          resolve(match);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.push(waiter);
    });
  try {
    const ready = await wait(
      options.ready ?? /^LISTENING (\S+)$/,
      options.readyTimeoutMs ?? 30_000,
    );
    return {
      name,
      pid: child.pid ?? -1,
      ready,
      ask: (command, reply, timeoutMs = 30_000) => {
        const answer = wait(reply, timeoutMs);
        child.stdin!.write(`${command}\n`);
        return answer;
      },
      stop: (timeoutMs) => stop(child, timeoutMs),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

function stop(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.stdin!.end();
  });
}
