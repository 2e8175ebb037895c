/**
 * One budget across languages: Go rpcx v1.9.4's RedisRateLimitingPlugin (server and client,
 * github.com/go-redis/redis_rate v10 on a go-redis ClusterClient; conformance/go/cmd/redisrate)
 * and @rpcx/ratelimit-redis on one real Redis — a one-node cluster owning every slot, started by
 * @rpcx/testing — draw from the same GCRA budget: same key (`rate:Fleet/<Method>`), same script
 * (Redis caches one SHA1), same arithmetic. Limits are per hour, so nothing refills while the
 * test runs: the counts are exact, not timed.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Client } from '@rpcx/client';
import { ErrorCode, isRpcxError, RATE_LIMIT_TEXT, SerializeType } from '@rpcx/core';
import {
  GCRA_SCRIPT_SHA1,
  type GcraResult,
  type RedisLimit,
  RedisRateLimiter,
  RedisRateLimitingClientPlugin,
  RedisRateLimitingPlugin,
} from '@rpcx/ratelimit-redis';
import { type RedisServer, startRedis } from '@rpcx/testing';
import { type FleetServer, startFleetServer } from './support/fleet.js';
import { goBin, jsonLines, runGo } from './support/go-tools.js';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
let redis: RedisServer;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  goBin('redisrate'); // builds the Go programs once, before the first timed step
  redis = await startRedis({ cluster: true });
});
beforeEach(async () => {
  await redis.command('FLUSHALL');
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await redis?.close();
});

const limitArgs = (limit: RedisLimit) => [
  '-rate',
  String(limit.rate),
  '-burst',
  String(limit.burst),
  '-period',
  `${limit.periodMs}ms`,
];

function limiter(limit: RedisLimit): RedisRateLimiter {
  const made = new RedisRateLimiter({ url: redis.url, limit });
  closers.push(() => made.close());
  return made;
}

/** Go's server with RedisRateLimitingPlugin; resolves with its address once it listens. */
async function startGoServer(limit: RedisLimit, id: string): Promise<string> {
  const args = ['-redis', redis.address, '-mode', 'server', '-id', id, ...limitArgs(limit)];
  const child: ChildProcessWithoutNullStreams = spawn(goBin('redisrate'), args, { stdio: 'pipe' });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  closers.push(async () => {
    child.stdin.end(); // redisrate shuts down at stdin EOF
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^LISTENING (\S+)\n/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('close', (code) => reject(new Error(`redisrate exited with ${code}: ${stderr}`)));
  });
}

async function startTsServer(limit: RedisLimit, id: string): Promise<FleetServer> {
  const fleet = await startFleetServer(id);
  closers.push(() => fleet.close());
  fleet.server.addPlugin(new RedisRateLimitingPlugin({ limiter: limiter(limit) }));
  return fleet;
}

function client(address: string, options: Partial<ConstructorParameters<typeof Client>[0]> = {}) {
  const made = new Client({ address, serializeType: SerializeType.JSON, ...options });
  closers.push(() => made.close());
  return made;
}

/** `Fleet.<method>` on `c`: the answering id, or the error text. */
async function who(c: Client, method = 'Who'): Promise<string> {
  return c.call<{ Id: string }>('Fleet', method, {}).then(
    (reply) => reply.Id,
    (error: Error) => error.message,
  );
}

interface GoCall {
  ok: boolean;
  id?: string;
  error?: string;
}

/** Go's XClient with clientplugin.RedisRateLimitingPlugin: `n` calls of Fleet.<method>. */
async function goCalls(server: string, limit: RedisLimit, n: number, method: string) {
  const args = ['-redis', redis.address, '-mode', 'client', '-server', server, '-n', String(n)];
  args.push('-method', method, ...limitArgs(limit));
  const run = await runGo('redisrate', args, Buffer.alloc(0));
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
    code: 0,
    stderr: '',
  });
  return jsonLines<GoCall>(run.stdout);
}

/** redis_rate's Limiter.Allow, `n` times on `key`, in Go. */
async function goAllow(key: string, limit: RedisLimit, n: number): Promise<GcraResult[]> {
  const args = ['-redis', redis.address, '-mode', 'allow', '-key', key, '-n', String(n)];
  const run = await runGo('redisrate', [...args, ...limitArgs(limit)], Buffer.alloc(0));
  expect(run.code).toBe(0);
  return jsonLines<GcraResult>(run.stdout);
}

test('a Go server and a TS server with the same limit share one budget (servers)', async () => {
  const limit: RedisLimit = { rate: 5, burst: 5, periodMs: HOUR };
  const goAddress = await startGoServer(limit, 'go');
  const ts = await startTsServer(limit, 'ts');
  const toGo = client(goAddress);
  const toTs = client(ts.key);
  const answers: string[] = [];
  for (let i = 0; i < 4; i++) {
    answers.push(await who(toTs));
    answers.push(await who(toGo));
  }
  // Five calls in all got through — alternating servers — then both refuse with Go's text.
  expect(answers).toEqual(['ts', 'go', 'ts', 'go', 'ts', ...Array(3).fill(RATE_LIMIT_TEXT)]);
  expect(ts.received('Who')).toBe(3);
  // Each method is its own key: Mul still has its whole burst, on both.
  expect(await who(toGo, 'Mul')).toBe('go');
  expect(await who(toTs, 'Mul')).toBe('ts');
  expect((await redis.command('KEYS', 'rate:*')).split('\n').sort()).toEqual([
    'rate:Fleet/Mul',
    'rate:Fleet/Who',
  ]);
  // Go loaded the script (EVALSHA, then EVAL) or we did: either way one entry, our SHA1.
  expect(await redis.command('SCRIPT', 'EXISTS', GCRA_SCRIPT_SHA1)).toBe('1');
});

test('a Go client and a TS client with the same limit share one budget (clients)', async () => {
  const limit: RedisLimit = { rate: 4, burst: 4, periodMs: HOUR };
  const server = await startFleetServer('plain');
  closers.push(() => server.close());
  const ts = client(server.key, {
    plugins: [new RedisRateLimitingClientPlugin({ limiter: limiter(limit) })],
  });
  expect(await goCalls(server.key, limit, 2, 'Who')).toEqual([
    { ok: true, id: 'plain' },
    { ok: true, id: 'plain' },
  ]);
  expect(await who(ts)).toBe('plain');
  expect(await who(ts)).toBe('plain');
  expect(await goCalls(server.key, limit, 1, 'Who')).toEqual([
    { ok: false, error: RATE_LIMIT_TEXT },
  ]);
  const refused = await ts.call('Fleet', 'Who', {}).catch((error: unknown) => error);
  expect(isRpcxError(refused, ErrorCode.RateLimited)).toBe(true);
  expect((refused as Error).message).toBe(RATE_LIMIT_TEXT);
  expect(server.received('Who')).toBe(4); // refused calls were never sent
});

describe('redis_rate.Allow in Go and RedisRateLimiter.allow in TS', () => {
  const cases: Array<[string, RedisLimit, number]> = [
    ['5 per hour', { rate: 5, burst: 5, periodMs: HOUR }, 7],
    ['10 per hour, burst 3', { rate: 10, burst: 3, periodMs: HOUR }, 5],
    ['1 per day, burst 2', { rate: 1, burst: 2, periodMs: 24 * HOUR }, 3],
    ['burst 0', { rate: 3, burst: 0, periodMs: HOUR }, 2],
  ];

  test.each(cases)('give the same results on fresh keys: %s', async (name, limit, n) => {
    const fromGo = await goAllow(`go/${name}`, limit, n);
    const ts = limiter(limit);
    const fromTs: GcraResult[] = [];
    for (let i = 0; i < n; i++) fromTs.push(await ts.allow(`ts/${name}`));
    expect(fromTs.map((r) => [r.allowed, r.remaining])).toEqual(
      fromGo.map((r) => [r.allowed, r.remaining]),
    );
    fromTs.forEach((r, i) => {
      const go = fromGo[i]!;
      expect(r.retryAfterMs === -1).toBe(go.retryAfterMs === -1);
      // Same formula, a few ms apart on Redis's clock.
      expect(Math.abs(r.resetAfterMs - go.resetAfterMs)).toBeLessThan(10_000);
      if (go.retryAfterMs !== -1)
        expect(Math.abs(r.retryAfterMs - go.retryAfterMs)).toBeLessThan(10_000);
    });
  });

  test('take turns on one key: the remaining count runs on across languages', async () => {
    const limit: RedisLimit = { rate: 5, burst: 5, periodMs: HOUR };
    const ts = limiter(limit);
    const goFirst = await goAllow('shared', limit, 2);
    const tsNext = [await ts.allow('shared'), await ts.allow('shared')];
    const goLast = await goAllow('shared', limit, 2);
    expect([...goFirst, ...tsNext, ...goLast].map((r) => [r.allowed, r.remaining])).toEqual([
      [1, 4],
      [1, 3],
      [1, 2],
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
  });
});
