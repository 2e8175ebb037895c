/**
 * The Redis launcher: a standalone server and a one-node cluster on free loopback ports, each
 * answering commands, gone (port closed, directory removed) after close.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { startRedis } from './redis-launcher.js';

jest.setTimeout(60_000);

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('standalone: PING, SET/GET; close stops it and removes its directory', async () => {
  const redis = await startRedis();
  expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
  expect(await redis.command('PING')).toBe('PONG');
  expect(await redis.command('SET', 'k', 'v')).toBe('OK');
  expect(await redis.command('GET', 'k')).toBe('v');
  expect(existsSync(redis.dir)).toBe(true);
  expect(await redis.command('RPUSH', 'list', 'a', 'b')).toBe('2');
  expect(await redis.command('LRANGE', 'list', '0', '-1')).toBe('a\nb');
  expect(await redis.command('GET', 'missing')).toBe('');
  await expect(redis.command('NOPE')).rejects.toThrow(/unknown command/);
  await redis.close();
  expect(await portOpen(redis.port)).toBe(false);
  expect(existsSync(redis.dir)).toBe(false);
  await redis.close(); // idempotent
});

test('cluster: one node owns every slot', async () => {
  const redis = await startRedis({ cluster: true });
  const info = await redis.command('CLUSTER', 'INFO');
  expect(info).toMatch(/cluster_state:ok/);
  expect(info).toMatch(/cluster_slots_assigned:16384/);
  expect(await redis.command('SET', 'rate:Arith/Mul', '1')).toBe('OK');
  await redis.close();
  expect(await portOpen(redis.port)).toBe(false);
});
