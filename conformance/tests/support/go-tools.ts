/**
 * The Go conformance programs, built from the Go module proxy by conformance/build.sh (cached;
 * a rebuild with nothing changed takes a fraction of a second).
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

let binDir: string | undefined;

export type GoProgram =
  | 'vectorgen'
  | 'framedecode'
  | 'framegen'
  | 'refserver'
  | 'refclient'
  | 'goxclient'
  | 'hashgen'
  | 'regserver'
  | 'regxclient'
  | 'benchserver'
  | 'benchclient'
  | 'otelrelay'
  | 'redisrate';

export function goBin(program: GoProgram): string {
  if (binDir === undefined) {
    const script = join(__dirname, '..', '..', 'build.sh');
    const out = execFileSync('bash', [script], { encoding: 'utf8', timeout: 10 * 60_000 });
    binDir = out.trim().split('\n').pop()!;
  }
  return join(binDir, program);
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a Go program with `input` on stdin; resolves when it exits (or fails after `timeoutMs`). */
export function runGo(
  program: GoProgram,
  args: string[],
  input: Buffer,
  timeoutMs = 30_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(goBin(program), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.end(input);
  });
}

export interface GoProcess {
  /** The match of the ready line. */
  ready: RegExpExecArray;
  /** Graceful: EOF on stdin (the programs stop on it), SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as in a crash; resolves on exit. */
  kill(): Promise<void>;
}

/**
 * Starts a long-running Go program and resolves at its first stdout line matching `readyLine`;
 * rejects (with its output) when it exits first or prints none within `timeoutMs`. Its stdin stays
 * an open pipe, so it never outlives the tests.
 */
export function startGo(
  program: GoProgram,
  args: string[],
  readyLine: RegExp,
  timeoutMs = 20_000,
): Promise<GoProcess> {
  const child = spawn(goBin(program), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // it may be gone
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done();
    };
    const fail = (why: string) =>
      settle(() =>
        reject(
          new Error(`${program} ${why}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`),
        ),
      );
    const timer = setTimeout(() => {
      void kill();
      fail(`printed no ${readyLine} within ${timeoutMs} ms`);
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-16_384);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n')) {
        const ready = readyLine.exec(line);
        if (ready === null) continue;
        const stop = async (graceMs = 10_000) => {
          child.stdin.end();
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(killer);
        };
        return settle(() => resolve({ ready, kill, stop }));
      }
    });
    child.once('error', (error) => fail(`did not start: ${error.message}`));
    child.once('close', (code, signal) => fail(`exited (${code ?? signal})`));
  });
}

/** framedecode prints one JSON object per frame. */
export function jsonLines<T>(out: Buffer): T[] {
  return out
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
