/**
 * The Go rpcx peer for live interop (conformance/go/cmd/refserver, refclient and goxclient): a real
 * Go rpcx server to call, a real Go rpcx client that runs scripted cases against our server, and a
 * real Go rpcx XClient over a fleet of servers, driven one operation at a time.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
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
  /** The id its `Fleet` service answers with (refserver's default: `go-refserver`). */
  id?: string;
}

export async function startGoServer(options: GoServerOptions = {}): Promise<GoServer> {
  const args = ['-network', options.network ?? 'tcp'];
  if (options.addr) args.push('-addr', options.addr);
  if (options.authToken) args.push('-auth', options.authToken);
  if (options.tls) args.push('-tls-cert', options.tls.cert, '-tls-key', options.tls.key);
  if (options.id) args.push('-id', options.id);
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

export interface GoXClientOptions {
  /** Server keys `tcp@127.0.0.1:PORT`, optionally followed by `?metadata` (`?weight=2`). */
  servers: string[];
  /** Service path (default `Fleet`). */
  service?: string;
  failMode?: 'failover' | 'failfast' | 'failtry' | 'failbackup';
  selectMode?: 'roundrobin' | 'random' | 'weighted' | 'consistenthash';
  codec?: 'json' | 'msgpack';
  /** Option.Retries (Go's default 3). */
  retries?: number;
  /** Option.BackupLatency in ms (Go's default 10). */
  backupLatencyMs?: number;
  /** Default deadline of each operation in ms (goxclient's default 5000). */
  timeoutMs?: number;
}

export type GoXClientOp =
  | {
      op: 'call' | 'broadcast' | 'fork' | 'inform';
      method: string;
      args?: unknown;
      timeoutMs?: number;
      tag?: unknown;
    }
  /** `MultipleServersDiscovery.Update`; the XClient applies it asynchronously. */
  | { op: 'update'; servers: string[]; tag?: unknown }
  | { op: 'sleep'; ms: number; tag?: unknown };

export interface GoReceipt {
  /** `host:port` (Go strips the network). */
  address: string;
  reply: unknown;
  /** [Go quirk] The shared aggregate error of the whole Inform, not this server's own. */
  error?: string;
}

export interface GoXClientResult {
  op: string;
  tag?: unknown;
  ok: boolean;
  reply?: unknown;
  error?: string;
  /** Whether the error is a Go `ServiceError` (an error the server sent). */
  serviceError?: boolean;
  /** The texts inside a Go `MultiError` (Broadcast, Fork, Inform), sorted. */
  errors?: string[];
  /** Inform only, sorted by address. */
  receipts?: GoReceipt[];
}

/** A running goxclient: one Go `XClient` over `MultipleServersDiscovery`. */
export interface GoXClient {
  /** Runs one operation and resolves with its result line. */
  run(op: GoXClientOp): Promise<GoXClientResult>;
  /** Runs the operations one after another. */
  runAll(ops: GoXClientOp[]): Promise<GoXClientResult[]>;
  /** Closes stdin (goxclient closes its XClient and exits); resolves with the exit code. */
  close(): Promise<number | null>;
  stderr(): string;
}

/** Starts conformance/go/cmd/goxclient. */
export function startGoXClient(options: GoXClientOptions): GoXClient {
  const args = ['-servers', options.servers.join(',')];
  if (options.service) args.push('-service', options.service);
  if (options.failMode) args.push('-failmode', options.failMode);
  if (options.selectMode) args.push('-selectmode', options.selectMode);
  if (options.codec) args.push('-codec', options.codec);
  if (options.retries !== undefined) args.push('-retries', String(options.retries));
  if (options.backupLatencyMs !== undefined) {
    args.push('-backup-latency', `${options.backupLatencyMs}ms`);
  }
  if (options.timeoutMs !== undefined) args.push('-timeout', `${options.timeoutMs}ms`);
  /** Results arrive in the order the operations were written. */
  const waiting: Array<{ resolve: (r: GoXClientResult) => void; reject: (e: Error) => void }> = [];
  const child = spawn(goBin('goxclient'), args, { stdio: 'pipe' });
  let stderr = '';
  // A write after goxclient died surfaces through `close` and the pending operations.
  child.stdin.on('error', () => {});
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      exitCode = code;
      for (const waiter of waiting.splice(0)) {
        waiter.reject(new Error(`goxclient exited with ${code} before answering: ${stderr}`));
      }
      resolve(code);
    }),
  );
  child.on('error', (error) => {
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });

  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.trim() === '') return;
    const waiter = waiting.shift();
    if (waiter === undefined) return;
    try {
      waiter.resolve(JSON.parse(line) as GoXClientResult);
    } catch (error) {
      waiter.reject(new Error(`goxclient printed ${line}: ${String(error)}`));
    }
  });

  const run = (op: GoXClientOp): Promise<GoXClientResult> => {
    if (exitCode !== undefined) {
      return Promise.reject(new Error(`goxclient has exited with ${exitCode}: ${stderr}`));
    }
    // Every operation has its own deadline inside goxclient; this only guards against a hang.
    const guardMs =
      ('timeoutMs' in op && op.timeoutMs ? op.timeoutMs : (options.timeoutMs ?? 5000)) +
      ('ms' in op ? op.ms : 0) +
      30_000;
    return new Promise<GoXClientResult>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`goxclient did not answer ${JSON.stringify(op)}: ${stderr}`)),
        guardMs,
      );
      waiting.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.stdin.write(`${JSON.stringify(op)}\n`);
    });
  };

  return {
    run,
    runAll: async (ops) => {
      const results: GoXClientResult[] = [];
      for (const op of ops) results.push(await run(op));
      return results;
    },
    close: async () => {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
    stderr: () => stderr,
  };
}
