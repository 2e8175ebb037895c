/**
 * The Go rpcx peer for live interop (conformance/go/cmd/refserver and refclient): a real Go rpcx
 * server to call, and a real Go rpcx client that runs scripted cases against our server.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { goBin, jsonLines, runGo } from './go-tools.js';

export interface GoServer {
  /** `tcp@127.0.0.1:PORT` or `unix@/path`. */
  address: string;
  /** Heartbeats the Go server has seen so far. */
  heartbeats(): number;
  stop(): Promise<void>;
  /** SIGKILL: the process dies with its connections open, as in a crash. */
  kill(): Promise<void>;
}

export interface GoServerOptions {
  network?: 'tcp' | 'unix';
  /** Listen address (default 127.0.0.1:0) or socket path. */
  addr?: string;
  authToken?: string;
  tls?: { cert: string; key: string };
}

export async function startGoServer(options: GoServerOptions = {}): Promise<GoServer> {
  const args = ['-network', options.network ?? 'tcp'];
  if (options.addr) args.push('-addr', options.addr);
  if (options.authToken) args.push('-auth', options.authToken);
  if (options.tls) args.push('-tls-cert', options.tls.cert, '-tls-key', options.tls.key);
  // stdin stays an open pipe: refserver exits when it closes, so it never outlives the tests.
  const child: ChildProcessWithoutNullStreams = spawn(goBin('refserver'), args, { stdio: 'pipe' });
  let stderr = '';
  let heartbeats = 0;
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    heartbeats += text.split('\n').filter((line) => line === 'HEARTBEAT').length;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`refserver did not start: ${stderr}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^LISTENING (\S+)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`refserver exited with ${code}: ${stderr}`));
    });
  });

  return {
    address,
    heartbeats: () => heartbeats,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface CaseResult {
  case: string;
  ok: boolean;
  error?: string;
}

export interface GoClientRun {
  results: CaseResult[];
  summary: { passed: number; failed: number };
  code: number | null;
  stderr: string;
}

/** Runs refclient's scripted cases (all, or those matching `cases`) against `address`. */
export async function runGoClient(
  address: string,
  options: { token?: string; tlsCa?: string; cases?: string; timeoutMs?: number } = {},
): Promise<GoClientRun> {
  const args = ['-addr', address];
  if (options.token) args.push('-token', options.token);
  if (options.tlsCa) args.push('-tls-ca', options.tlsCa);
  if (options.cases) args.push('-cases', options.cases);
  const result = await runGo('refclient', args, Buffer.alloc(0), options.timeoutMs ?? 120_000);
  const lines = jsonLines<CaseResult & { summary?: { passed: number; failed: number } }>(
    result.stdout,
  );
  const summary = lines.find((line) => line.summary)?.summary ?? { passed: 0, failed: -1 };
  return {
    results: lines.filter((line) => !line.summary),
    summary,
    code: result.code,
    stderr: result.stderr,
  };
}

/** Every case name refclient knows. */
export async function goClientCases(): Promise<string[]> {
  const result = await runGo('refclient', ['-list'], Buffer.alloc(0));
  return result.stdout
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '');
}
