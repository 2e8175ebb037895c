import { existsSync } from 'node:fs';
import {
  fourLetterWord,
  startZookeeper,
  type ZookeeperServer,
  zookeeperClasspath,
} from './zookeeper-launcher.js';

describe('zookeeper launcher', () => {
  let zk: ZookeeperServer | undefined;

  afterAll(async () => {
    await zk?.close();
  });

  test('starts a standalone ZooKeeper on loopback, stops and restarts it on the same port', async () => {
    zk = await startZookeeper({ tickTimeMs: 200 });
    expect(zk.connectString).toBe(`127.0.0.1:${zk.port}`);
    expect(zk.running).toBe(true);
    expect(zk.minSessionTimeoutMs).toBe(400);
    expect(zk.maxSessionTimeoutMs).toBe(4_000);
    const srvr = await zk.fourLetter('srvr');
    expect(srvr).toMatch(/^Mode: standalone$/m);
    expect(srvr).toMatch(/^Zookeeper version: 3\./m);

    await zk.stop();
    expect(zk.running).toBe(false);
    await expect(fourLetterWord(zk.port, 'srvr')).rejects.toThrow(/ECONNREFUSED/);

    await zk.start();
    expect(await zk.fourLetter('srvr')).toMatch(/^Mode: standalone$/m);
    await zk.restart({ wipe: true });
    expect(await zk.fourLetter('mntr')).toMatch(/zk_server_state\tstandalone/);

    const dataDir = zk.dataDir;
    await zk.close();
    expect(zk.running).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    await zk.close(); // idempotent
  });

  test('a missing installation fails with the install advice', () => {
    const saved = process.env.RPCX_ZOOKEEPER_CLASSPATH;
    process.env.RPCX_ZOOKEEPER_CLASSPATH = '/nonexistent/zookeeper.jar';
    try {
      expect(() => zookeeperClasspath()).toThrow(/scripts\/registries\/zookeeper\.sh/);
    } finally {
      if (saved === undefined) delete process.env.RPCX_ZOOKEEPER_CLASSPATH;
      else process.env.RPCX_ZOOKEEPER_CLASSPATH = saved;
    }
  });
});
