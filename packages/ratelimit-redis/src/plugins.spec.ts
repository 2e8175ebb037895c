/**
 * RedisRateLimitingPlugin (server, postReadRequest) and RedisRateLimitingClientPlugin (client,
 * preCall) with a TS server and client on 127.0.0.1 and a real redis-server: one budget per
 * `Service/Method` key, Go's text on refusal, the connection kept, nothing sent by a refused
 * client call; and what a Redis failure does under each `onRedisError` policy.
 */
import { Client } from '@rpcx/client';
import {
  ErrorCode,
  isRpcxError,
  type Logger,
  RATE_LIMIT_TEXT,
  SerializeType,
  type ServerPlugin,
} from '@rpcx/core';
import { Server } from '@rpcx/server';
import { type RedisServer, startRedis } from '@rpcx/testing';
import { type RedisLimit, RedisRateLimiter, type RedisScripting } from './redis-rate-limiter.js';
import { RedisRateLimitingClientPlugin } from './redis-rate-limiting-client-plugin.js';
import { RedisRateLimitingPlugin } from './redis-rate-limiting-plugin.js';
import type { RedisErrorPolicy } from './redis-verdict.js';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const TWO_PER_HOUR: RedisLimit = { rate: 2, burst: 2, periodMs: HOUR };
let redis: RedisServer;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await redis?.close();
});

async function serve(plugins: ServerPlugin[]) {
  const server = new Server({ plugins });
  let handled = 0;
  server.registerFunction('Svc', 'Who', () => {
    handled++;
    return 'ts';
  });
  server.registerFunction('Svc', 'Other', () => 'other');
  const address = await server.listen('tcp@127.0.0.1:0');
  closers.push(() => server.close());
  return { address, handled: () => handled };
}

function client(address: string, options: Partial<ConstructorParameters<typeof Client>[0]> = {}) {
  const made = new Client({ address, serializeType: SerializeType.JSON, ...options });
  closers.push(() => made.close());
  return made;
}

function limiter(limit: RedisLimit = TWO_PER_HOUR): RedisRateLimiter {
  const made = new RedisRateLimiter({ url: redis.url, limit, prefix: `t${Math.random()}:` });
  closers.push(() => made.close());
  return made;
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

test("server: the burst per Service/Method, then Go's text; the connection stays", async () => {
  const { address, handled } = await serve([new RedisRateLimitingPlugin({ limiter: limiter() })]);
  const c = client(address);
  expect(await c.call('Svc', 'Who')).toBe('ts');
  expect(await c.call('Svc', 'Who')).toBe('ts');
  const error = await failure(c.call('Svc', 'Who'));
  expect(isRpcxError(error, ErrorCode.ServiceError)).toBe(true);
  expect((error as Error).message).toBe(RATE_LIMIT_TEXT);
  expect(handled()).toBe(2);
  // Another method has its own key, on the same connection.
  expect(await c.call('Svc', 'Other')).toBe('other');
  expect(await c.call('Svc', 'Other')).toBe('other');
  expect(await failure(c.call('Svc', 'Other'))).toBeDefined();
  expect(c.connected).toBe(true);
});

test("client: the burst per Service/Method, then RateLimited with Go's text; nothing is sent", async () => {
  const { address, handled } = await serve([]);
  const shared = limiter();
  const c = client(address, { plugins: [new RedisRateLimitingClientPlugin({ limiter: shared })] });
  expect(await c.call('Svc', 'Who')).toBe('ts');
  // A second client on the same limiter and Redis draws from the same budget.
  const d = client(address, { plugins: [new RedisRateLimitingClientPlugin({ limiter: shared })] });
  expect(await d.call('Svc', 'Who')).toBe('ts');
  for (const each of [c, d]) {
    const error = await failure(each.call('Svc', 'Who'));
    expect(isRpcxError(error, ErrorCode.RateLimited)).toBe(true);
    expect((error as Error).message).toBe(RATE_LIMIT_TEXT);
  }
  expect(handled()).toBe(2);
});

describe('when Redis fails', () => {
  const broken: RedisScripting = {
    evalSha: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
    eval: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
  };
  const brokenLimiter = () => new RedisRateLimiter({ redis: broken, limit: TWO_PER_HOUR });
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message) => void warnings.push(message),
    error: () => {},
  };

  test.each<[RedisErrorPolicy | undefined, string]>([
    [undefined, 'served'],
    ['allow', 'served'],
    ['reject', RATE_LIMIT_TEXT],
    ['close', 'connection closed'],
  ])('server, onRedisError %s: %s', async (policy, outcome) => {
    warnings.length = 0;
    const plugin = new RedisRateLimitingPlugin({
      limiter: brokenLimiter(),
      onRedisError: policy,
      logger,
    });
    const { address } = await serve([plugin]);
    const c = client(address);
    const result = await c.call('Svc', 'Who').then(
      () => 'served',
      (error: Error) =>
        isRpcxError(error, ErrorCode.Unavailable) ? 'connection closed' : error.message,
    );
    expect(result).toBe(outcome);
    expect(warnings).toEqual([
      expect.stringContaining('rpcx: redis rate limiter: connect ECONNREFUSED'),
    ]);
  });

  test.each<[RedisErrorPolicy | undefined, string]>([
    [undefined, 'served'],
    ['reject', RATE_LIMIT_TEXT],
    ['close', 'plugin RedisRateLimitingClientPlugin preCall: connect ECONNREFUSED 127.0.0.1:1'],
  ])('client, onRedisError %s: %s', async (policy, outcome) => {
    const { address } = await serve([]);
    const plugin = new RedisRateLimitingClientPlugin({
      limiter: brokenLimiter(),
      onRedisError: policy,
    });
    const c = client(address, { plugins: [plugin] });
    const result = await c.call('Svc', 'Who').then(
      () => 'served',
      (error: Error) => error.message,
    );
    expect(result).toBe(outcome);
  });
});
