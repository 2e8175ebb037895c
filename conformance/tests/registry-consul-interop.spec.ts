/**
 * TS ↔ Go through Consul (spec §6.4, §6.7): Go rpcx v1.9.4 with rpcxio/rpcx-consul v0.1.1
 * (conformance/go-registry/consul: `consul-goserver` registers with the Go plugin,
 * `consul-goxclient` discovers with the Go discovery) against @rpcx/registry-consul, on a real
 * Consul v1.14.11 `agent -dev`. Built by scripts/registries/consul.sh (cached).
 *
 * - a Go server registered by the Go plugin is discovered and called by a TS XClient;
 * - a TS server registered by the TS plugin is discovered and called by a Go XClient;
 * - a mixed fleet (one Go, one TS server under one service): a Go XClient and a TS XClient each
 *   reach both.
 *
 * Every server answers `Who` with `{ Id }`, so each reply names the server that answered.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { FailMode, SelectMode, SerializeType, XClient } from '@rpcx/client';
import { ConsulDiscovery, ConsulRegisterPlugin, LOCK_FLAG_VALUE } from '@rpcx/registry-consul';
import { Server } from '@rpcx/server';
import { type ConsulAgent, startConsul } from '@rpcx/testing';

jest.setTimeout(60_000);

const BASE = '/rpcx_interop';
let consul: ConsulAgent;
let binDir: string;
const cleanups: Array<() => unknown> = [];
const tally: string[] = [];

beforeAll(async () => {
  // Builds the Go programs (seconds with Go's build cache); the Consul binary itself is built
  // beforehand by the same script (startConsul says so if it is missing).
  const script = join(__dirname, '..', '..', 'scripts', 'registries', 'consul.sh');
  const out = execFileSync('bash', [script, '--programs-only'], {
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  binDir = out.trim().split('\n').pop()!;
  consul = await startConsul();
}, 6 * 60_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await consul?.close();
  console.log(`[consul interop] calls made/failed:\n${tally.join('\n')}`);
});

// ---------------------------------------------------------------------------------------------
// Go programs

interface GoServerProcess {
  address: string;
  /** Graceful: EOF on stdin → Server.Shutdown (unregisters) and plugin.Stop(). */
  stop(): Promise<void>;
}

/** Starts consul-goserver and waits for `READY <address>` (the key is in Consul by then). */
async function startGoServer(id: string, service: string, metadata = ''): Promise<GoServerProcess> {
  const child = spawn(
    join(binDir, 'consul-goserver'),
    [
      '-consul',
      consul.address,
      '-base',
      BASE,
      '-service',
      service,
      '-id',
      id,
      '-interval',
      '10s',
      '-metadata',
      metadata,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const address = (await readyLine(child, /^READY (\S+)$/, 20_000))[1]!;
  return {
    address,
    async stop() {
      child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
    },
  };
}

function readyLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(`no ${pattern} within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${why}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    };
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n')) {
        const match = pattern.exec(line);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match);
          return;
        }
      }
    });
    child.once('close', (code) => fail(`exited (${code})`));
  });
}

interface GoXClientResult {
  discovered: Array<{ key: string; value: string }>;
  calls: number;
  failed: number;
  servers: Record<string, number>;
  errors: string[];
}

/** Runs consul-goxclient: waits for `expect` servers, makes `n` Who calls, prints JSON. */
function runGoXClient(service: string, expect: number, n: number): Promise<GoXClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(binDir, 'consul-goxclient'),
      [
        '-consul',
        consul.address,
        '-base',
        BASE,
        '-service',
        service,
        '-expect',
        String(expect),
        '-n',
        String(n),
        '-wait',
        '20s',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`goxclient exited ${code}:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as GoXClientResult);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// TS side

async function startTsServer(id: string, service: string, metadata: string) {
  const plugin = new ConsulRegisterPlugin({
    address: consul.address,
    basePath: BASE,
    updateIntervalMs: 5_000,
    sessionTtlMs: 10_000,
  });
  const server = new Server({ plugins: [plugin] });
  server.registerName(service, { Who: () => ({ Id: id }) }, { metadata });
  const address = await server.listen('tcp@127.0.0.1:0');
  cleanups.push(() => server.close());
  return { address, stop: () => server.shutdown({ timeoutMs: 2_000 }) };
}

function tsDiscovery(service: string): ConsulDiscovery {
  const discovery = new ConsulDiscovery({
    address: consul.address,
    basePath: BASE,
    servicePath: service,
  });
  cleanups.push(() => discovery.close());
  return discovery;
}

function tsXClient(service: string, discovery: ConsulDiscovery): XClient {
  const xclient = new XClient({
    servicePath: service,
    discovery,
    failMode: FailMode.Failover,
    selectMode: SelectMode.RoundRobin,
    serializeType: SerializeType.JSON,
  });
  cleanups.push(() => xclient.close());
  return xclient;
}

/** `n` Who calls through a TS XClient: answers per server id, and failures. */
async function tsCalls(xclient: XClient, n: number) {
  const servers: Record<string, number> = {};
  let failed = 0;
  for (let i = 0; i < n; i++) {
    try {
      const reply = await xclient.call<{ Id: string }>('Who', {}, { timeoutMs: 5_000 });
      servers[reply.Id] = (servers[reply.Id] ?? 0) + 1;
    } catch {
      failed++;
    }
  }
  return { calls: n, failed, servers };
}

async function eventually<T>(
  read: () => T,
  check: (value: T) => boolean,
  limitMs: number,
  what: string,
) {
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const value = read();
    if (check(value)) return value;
    if (Date.now() > giveUp)
      throw new Error(`not within ${limitMs} ms: ${what} (last ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rawKv(
  prefix: string,
): Promise<Array<{ Key: string; Value: string | null; Session?: string; Flags: string }>> {
  const response = await fetch(`http://${consul.address}/v1/kv/${prefix}?recurse=true`);
  if (response.status === 404) return [];
  const text = await response.text();
  const flags = [...text.matchAll(/"Flags":\s*(\d+)/g)].map((match) => match[1]!);
  return (JSON.parse(text) as Array<{ Key: string; Value: string | null; Session?: string }>).map(
    (item, i) => ({
      ...item,
      Value: item.Value === null ? null : Buffer.from(item.Value, 'base64').toString(),
      Flags: flags[i]!,
    }),
  );
}

// ---------------------------------------------------------------------------------------------

test('a Go server registered by the Go plugin is discovered and called by a TS XClient', async () => {
  const go = await startGoServer('go1', 'GoFleet', 'weight=3&group=g');
  // What Go wrote: no leading slash, Go's flags, the node held by a session.
  const written = await rawKv('rpcx_interop/GoFleet');
  const node = written.find((entry) => entry.Key === `rpcx_interop/GoFleet/${go.address}`);
  expect(node).toMatchObject({ Value: 'weight=3&group=g', Flags: LOCK_FLAG_VALUE });
  expect(node!.Session).toBeDefined();
  expect(written.find((entry) => entry.Key === 'rpcx_interop/GoFleet')?.Value).toBe('GoFleet');

  const discovery = tsDiscovery('GoFleet');
  const listed = await eventually(
    () => discovery.getServices(),
    (l) => l.length === 1,
    5_000,
    'the Go server listed',
  );
  expect(listed[0]).toEqual({ key: go.address, metadata: 'weight=3&group=g' });
  const result = await tsCalls(tsXClient('GoFleet', discovery), 10);
  tally.push(`  TS XClient → Go server: calls=${result.calls} failed=${result.failed}`);
  expect(result).toEqual({ calls: 10, failed: 0, servers: { go1: 10 } });

  // Go's graceful stop deletes its key; the TS discovery sees it go.
  await go.stop();
  await eventually(
    () => discovery.getServices(),
    (l) => l.length === 0,
    5_000,
    'the Go server gone',
  );
});

test('a TS server registered by the TS plugin is discovered and called by a Go XClient', async () => {
  const ts = await startTsServer('ts1', 'TsFleet', 'weight=2');
  const result = await runGoXClient('TsFleet', 1, 10);
  tally.push(`  Go XClient → TS server: calls=${result.calls} failed=${result.failed}`);
  expect(result.discovered).toEqual([{ key: ts.address, value: 'weight=2' }]);
  expect(result).toMatchObject({ calls: 10, failed: 0, servers: { ts1: 10 } });
});

test('a mixed fleet (Go and TS servers under one service): a Go XClient and a TS XClient reach both', async () => {
  const go = await startGoServer('go2', 'Mixed');
  const ts = await startTsServer('ts2', 'Mixed', '');
  const fromGo = await runGoXClient('Mixed', 2, 20);
  expect(fromGo.discovered.map((pair) => pair.key).sort()).toEqual([go.address, ts.address].sort());
  expect(fromGo).toMatchObject({ calls: 20, failed: 0 });
  // [Go] RoundRobin re-reads its servers from a map (random order) on each discovery event, and
  // the Go discovery's first watch event may land mid-run: 10/10 or 11/9. Both answer either way.
  expect(fromGo.servers.go2! + fromGo.servers.ts2!).toBe(20);
  expect(Math.min(fromGo.servers.go2!, fromGo.servers.ts2!)).toBeGreaterThanOrEqual(5);

  const discovery = tsDiscovery('Mixed');
  await eventually(
    () => discovery.getServices(),
    (l) => l.length === 2,
    5_000,
    'both servers listed',
  );
  const fromTs = await tsCalls(tsXClient('Mixed', discovery), 20);
  expect(fromTs).toEqual({ calls: 20, failed: 0, servers: { go2: 10, ts2: 10 } });
  tally.push(
    `  mixed fleet, Go XClient: calls=${fromGo.calls} failed=${fromGo.failed} ${JSON.stringify(fromGo.servers)}`,
    `  mixed fleet, TS XClient: calls=${fromTs.calls} failed=${fromTs.failed} ${JSON.stringify(fromTs.servers)}`,
  );
});
