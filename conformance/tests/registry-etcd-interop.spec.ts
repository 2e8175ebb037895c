/**
 * TS ↔ Go through etcd (spec §6.4, §6.5): Go rpcx v1.9.4 with rpcxio/rpcx-etcd v0.5.0
 * (conformance/go-registry/etcd: `etcd-goserver` registers with the Go plugin `EtcdV3RegisterPlugin`,
 * `etcd-goxclient` discovers with the Go `NewEtcdV3Discovery`) against @rpcx/registry-etcd, on a
 * real etcd 3.6 started on free loopback ports. Built by scripts/registries/etcd.sh (cached).
 *
 * - a Go server registered by the Go plugin is discovered and called by a TS XClient (and the
 *   Go plugin's layout and quirks are as the spec says);
 * - a TS server registered by the TS plugin is discovered and called by a Go XClient;
 * - a mixed fleet (one Go, one TS server under one service): a Go XClient and a TS XClient each
 *   reach both.
 *
 * Every server answers `Who` with `{ Id }`, so each reply names the server that answered. The
 * calls made and failed are printed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { FailMode, SelectMode, SerializeType, XClient } from '@rpcx/client';
import { createEtcdClient, EtcdDiscovery, EtcdRegisterPlugin } from '@rpcx/registry-etcd';
import { Server } from '@rpcx/server';
import { type EtcdCluster, startEtcd } from '@rpcx/testing';

jest.setTimeout(60_000);

const BASE = '/rpcx_interop';
/** The Go plugin writes a server's key only at its first UpdateInterval tick. */
const GO_INTERVAL = '500ms';
let etcd: EtcdCluster;
let admin: ReturnType<typeof createEtcdClient>;
let binDir: string;
const cleanups: Array<() => unknown> = [];
const tally: string[] = [];

beforeAll(async () => {
  // Builds the Go programs (seconds with Go's build cache) and checks the etcd binary.
  const script = join(__dirname, '..', '..', 'scripts', 'registries', 'etcd.sh');
  const out = execFileSync('bash', [script, '--no-debian'], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  binDir = out.trim().split('\n').pop()!;
  etcd = await startEtcd();
  admin = createEtcdClient({ endpoints: etcd.endpoints });
}, 16 * 60_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  admin?.close();
  await etcd?.close();
  console.log(`[etcd interop] calls made/failed:\n${tally.join('\n')}`);
});

// ---------------------------------------------------------------------------------------------
// Go programs

interface GoServerProcess {
  address: string;
  /** Graceful: EOF on stdin → Server.Shutdown (unregisters) and plugin.Stop(). */
  stop(): Promise<void>;
}

/** Starts etcd-goserver and waits for `READY <address>` (its key appears at the first tick). */
async function startGoServer(id: string, service: string, metadata = ''): Promise<GoServerProcess> {
  const child = spawn(
    join(binDir, 'etcd-goserver'),
    [
      '-etcd',
      etcd.endpoints.join(','),
      '-base',
      BASE,
      '-service',
      service,
      '-id',
      id,
      '-interval',
      GO_INTERVAL,
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

/** Runs etcd-goxclient: waits for `expect` servers, makes `n` Who calls, prints JSON. */
function runGoXClient(service: string, expect: number, n: number): Promise<GoXClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(binDir, 'etcd-goxclient'),
      [
        '-etcd',
        etcd.endpoints.join(','),
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
      if (code !== 0)
        return reject(new Error(`etcd-goxclient exited ${code}:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as GoXClientResult);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// TS side

async function startTsServer(id: string, service: string, metadata: string) {
  const plugin = new EtcdRegisterPlugin({
    endpoints: etcd.endpoints,
    basePath: BASE,
    ttlSeconds: 10,
    updateIntervalMs: 1_000,
  });
  const server = new Server({ plugins: [plugin] });
  server.registerName(service, { Who: () => ({ Id: id }) }, { metadata });
  const address = await server.listen('tcp@127.0.0.1:0');
  cleanups.push(() => server.close());
  return { address, plugin, stop: () => server.shutdown({ timeoutMs: 2_000 }) };
}

function tsDiscovery(service: string): EtcdDiscovery {
  const discovery = new EtcdDiscovery({
    endpoints: etcd.endpoints,
    basePath: BASE,
    servicePath: service,
  });
  cleanups.push(() => discovery.close());
  return discovery;
}

function tsXClient(service: string, discovery: EtcdDiscovery): XClient {
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

/** Polls `read` every 20 ms until `check` holds, for at most `limitMs`. */
async function eventually<T>(
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  limitMs: number,
  what: string,
): Promise<T> {
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > giveUp)
      throw new Error(`within ${limitMs} ms: ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `n` Who calls through a TS XClient; replies per server id, and the failures. */
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
  return { servers, failed };
}

async function dump(prefix: string) {
  const response = await admin.getAll().prefix(prefix).exec();
  return response.kvs.map((kv) => ({
    key: kv.key.toString(),
    value: kv.value.toString(),
    lease: kv.lease,
  }));
}

// ---------------------------------------------------------------------------------------------

test('a Go server registered by the Go plugin is discovered and called by a TS XClient', async () => {
  const service = `GoToTs${process.pid}`;
  const go = await startGoServer('go1', service, 'weight=3&group=g');
  const discovery = tsDiscovery(service);
  await discovery.ready();
  // [Go quirk] the key appears at the plugin's first UpdateInterval tick, not at Register, with
  // the metadata as given; the next tick writes it back re-encoded (url.Values.Encode: sorted).
  await eventually(
    () => discovery.getServices(),
    (l) => l.length === 1,
    10_000,
    'the Go server listed',
  );
  const list = await eventually(
    () => discovery.getServices(),
    (l) => l[0]?.metadata === 'group=g&weight=3',
    5_000,
    'the metadata re-encoded by the Go refresh',
  );
  expect(list).toEqual([{ key: go.address, metadata: 'group=g&weight=3' }]);

  // The Go plugin's layout: verbatim keys, all on one lease; [Go quirk] no service-level marker.
  const written = await dump(BASE);
  const mine = written.filter((kv) => kv.key === BASE || kv.key.startsWith(`${BASE}/${service}`));
  expect(mine.map(({ key, value }) => ({ key, value }))).toEqual([
    { key: BASE, value: 'rpcx_path' },
    { key: `${BASE}/${service}/${go.address}`, value: 'group=g&weight=3' },
  ]);
  const leases = new Set(mine.map((kv) => kv.lease));
  expect(leases.size).toBe(1);
  expect([...leases][0]).not.toBe('0');
  const ttl = await admin.leaseClient.leaseTimeToLive({ ID: [...leases][0]! });
  expect(ttl.grantedTTL).toBe('30'); // one 30 s lease per Go process, whatever UpdateInterval says

  const xclient = tsXClient(service, discovery);
  const result = await tsCalls(xclient, 20);
  tally.push(`  Go server → TS XClient: calls=20 failed=${result.failed}`);
  expect(result).toEqual({ servers: { go1: 20 }, failed: 0 });

  // A graceful Go shutdown deletes the key: the TS discovery drops it.
  await go.stop();
  await eventually(
    () => discovery.getServices().length,
    (n) => n === 0,
    5_000,
    'the Go server gone',
  );
});

test('a TS server registered by the TS plugin is discovered and called by a Go XClient', async () => {
  const service = `TsToGo${process.pid}`;
  const ts = await startTsServer('ts1', service, 'weight=2&group=g');
  const result = await runGoXClient(service, 1, 20);
  tally.push(`  TS server → Go XClient: calls=${result.calls} failed=${result.failed}`);
  expect(result.discovered).toEqual([{ key: ts.address, value: 'weight=2&group=g' }]);
  expect(result).toMatchObject({ calls: 20, failed: 0, servers: { ts1: 20 } });
});

test('a mixed fleet: a Go XClient and a TS XClient each reach the Go and the TS server', async () => {
  const service = `Mixed${process.pid}`;
  const go = await startGoServer('go2', service);
  const ts = await startTsServer('ts2', service, '');
  const discovery = tsDiscovery(service);
  await eventually(
    () =>
      discovery
        .getServices()
        .map((e) => e.key)
        .sort(),
    (keys) => keys.join() === [go.address, ts.address].sort().join(),
    10_000,
    'both servers listed',
  );

  const fromGo = await runGoXClient(service, 2, 20);
  tally.push(
    `  mixed fleet, Go XClient: calls=${fromGo.calls} failed=${fromGo.failed} ${JSON.stringify(fromGo.servers)}`,
  );
  // Round robin over both (the Go plugin rewrites its key every tick, so a list update may fall
  // between two calls: about half each, not exactly).
  expect(fromGo).toMatchObject({ calls: 20, failed: 0 });
  expect(Object.keys(fromGo.servers).sort()).toEqual(['go2', 'ts2']);
  expect(Math.min(...Object.values(fromGo.servers))).toBeGreaterThanOrEqual(5);

  const xclient = tsXClient(service, discovery);
  const fromTs = await tsCalls(xclient, 20);
  tally.push(
    `  mixed fleet, TS XClient: calls=20 failed=${fromTs.failed} ${JSON.stringify(fromTs.servers)}`,
  );
  expect(fromTs.failed).toBe(0);
  expect(Object.keys(fromTs.servers).sort()).toEqual(['go2', 'ts2']);
  expect(Math.min(...Object.values(fromTs.servers))).toBeGreaterThanOrEqual(5);
});
