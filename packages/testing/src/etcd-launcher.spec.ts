/**
 * The etcd launcher against the real binaries (scripts/registries/etcd.sh): one member and a
 * three-member cluster on free loopback ports, healthy within the bound, data kept across a
 * restart and gone after a fresh-data restart, a killed member leaving a cluster that serves,
 * and a clear message when the binary is missing. Talks to etcd over its JSON gateway (`/v3/…`).
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { type EtcdCluster, etcdBinary, startEtcd, startEtcdCluster } from './etcd-launcher.js';

jest.setTimeout(60_000);

/** POSTs `body` to etcd's JSON gateway; resolves with the parsed answer. */
function gateway(clientUrl: string, path: string, body: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${clientUrl}${path}`,
      { method: 'POST', timeout: 5_000, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as Record<string, unknown>);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const put = (url: string, key: string, value: string) =>
  gateway(url, '/v3/kv/put', { key: b64(key), value: b64(value) });
async function get(url: string, key: string): Promise<string | undefined> {
  const answer = (await gateway(url, '/v3/kv/range', { key: b64(key) })) as {
    kvs?: Array<{ value: string }>;
  };
  const value = answer.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

/** `put`, tried again until it succeeds (a cluster elects a new leader first), for at most `limitMs`. */
async function putEventually(url: string, key: string, value: string, limitMs = 20_000) {
  const giveUp = Date.now() + limitMs;
  for (;;) {
    try {
      return await put(url, key, value);
    } catch (error) {
      if (Date.now() > giveUp) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const opened: EtcdCluster[] = [];
afterAll(async () => {
  for (const etcd of opened) await etcd.close();
});

test('one member: healthy, data kept by restart() and wiped by restart({ wipe })', async () => {
  const etcd = await startEtcd();
  opened.push(etcd);
  const [url] = etcd.clientUrls;
  expect(etcd.endpoints[0]).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(url).toBe(`http://${etcd.endpoints[0]}`);
  expect(etcd.members[0]!.running).toBe(true);

  await put(url!, '/launcher/k', 'v1');
  await etcd.restart();
  expect(await get(url!, '/launcher/k')).toBe('v1');
  await etcd.restart({ wipe: true });
  expect(await get(url!, '/launcher/k')).toBeUndefined();

  await etcd.close();
  expect(etcd.members[0]!.running).toBe(false);
  await expect(get(url!, '/launcher/k')).rejects.toThrow();
});

test('three members: one killed, the others serve; started again, it rejoins', async () => {
  const cluster = await startEtcdCluster(3);
  opened.push(cluster);
  expect(cluster.members).toHaveLength(3);
  expect(new Set(cluster.endpoints).size).toBe(3);
  const [first, second, third] = cluster.members;
  await put(first!.clientUrl, '/launcher/c', 'one');
  await first!.kill();
  expect(first!.running).toBe(false);
  // Killing the leader means an election before the next write: try until it is through.
  await putEventually(second!.clientUrl, '/launcher/c', 'two');
  expect(await get(third!.clientUrl, '/launcher/c')).toBe('two');
  await first!.start();
  expect(first!.running).toBe(true);
  expect(await get(first!.clientUrl, '/launcher/c')).toBe('two');
});

test("Debian's etcd 3.4, when installed", async () => {
  if (etcdBinary('3.4') === undefined) return; // optional: the 3.6 tests above are the contract
  const etcd = await startEtcd({ flavor: '3.4' });
  opened.push(etcd);
  await put(etcd.clientUrls[0]!, '/launcher/old', 'yes');
  expect(await get(etcd.clientUrls[0]!, '/launcher/old')).toBe('yes');
});

test('a missing binary fails with a message naming the install script', async () => {
  const saved = process.env.RPCX_ETCD_BIN;
  process.env.RPCX_ETCD_BIN = '/nonexistent/etcd';
  try {
    expect(etcdBinary('3.6')).toBeUndefined();
    await expect(startEtcd()).rejects.toThrow(/scripts\/registries\/etcd\.sh.*RPCX_ETCD_BIN/);
  } finally {
    if (saved === undefined) delete process.env.RPCX_ETCD_BIN;
    else process.env.RPCX_ETCD_BIN = saved;
  }
  expect(existsSync(etcdBinary('3.6') ?? '/nonexistent')).toBe(true);
});
