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
  | 'hashgen';

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

/** framedecode prints one JSON object per frame. */
export function jsonLines<T>(out: Buffer): T[] {
  return out
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
