import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PrometheusServer, prometheusBinary, startPrometheus } from './prometheus-launcher.js';

describe('prometheus launcher', () => {
  let prom: PrometheusServer | undefined;
  let target: Server | undefined;

  afterAll(async () => {
    await prom?.close();
    await new Promise((resolve) => (target ? target.close(resolve) : resolve(undefined)));
  });

  test('scrapes a loopback target every second; its query API answers; close stops it', async () => {
    let value = 41;
    target = createServer((request, response) => {
      value++;
      response.writeHead(request.url === '/custom' ? 200 : 404, {
        'content-type': 'text/plain; version=0.0.4',
      });
      response.end(
        `# HELP launcher_test a gauge\n# TYPE launcher_test gauge\nlauncher_test ${value}\n`,
      );
    });
    await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as AddressInfo;

    prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], metricsPath: '/custom' });
    expect(prom.url).toBe(`http://127.0.0.1:${prom.port}`);
    expect(prom.running).toBe(true);
    expect(await prom.targets()).toEqual([
      expect.objectContaining({ scrapeUrl: `http://127.0.0.1:${port}/custom` }),
    ]);
    // Two scrapes apart: the value the target served grows.
    const first = await prom.waitFor('launcher_test', (result) => result.length === 1);
    expect(first[0]!.metric).toEqual({
      __name__: 'launcher_test',
      instance: `127.0.0.1:${port}`,
      job: 'rpcx',
    });
    const seen = Number(first[0]!.value[1]);
    await prom.waitFor('launcher_test', (result) => Number(result[0]?.value[1]) > seen);
    await expect(prom.query('launcher_test{')).rejects.toThrow(/parse error/);

    await prom.close();
    expect(prom.running).toBe(false);
    await prom.close(); // idempotent
  });

  test('a missing installation fails with the install advice', () => {
    const saved = process.env.RPCX_PROMETHEUS_BIN;
    process.env.RPCX_PROMETHEUS_BIN = '/nonexistent/prometheus';
    try {
      expect(() => prometheusBinary()).toThrow(/scripts\/prometheus\.sh/);
    } finally {
      if (saved === undefined) delete process.env.RPCX_PROMETHEUS_BIN;
      else process.env.RPCX_PROMETHEUS_BIN = saved;
    }
    expect(existsSync(prometheusBinary())).toBe(true);
  });
});
