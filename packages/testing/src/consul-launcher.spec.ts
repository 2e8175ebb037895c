import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { type ConsulAgent, consulBinary, startConsul } from './consul-launcher.js';
import { startProcess } from './node-process.js';

jest.setTimeout(60_000);

/** One HTTP call to the agent: status and body, or the connection error's code. */
function http(address: string, method: string, path: string, body?: string) {
  const [host, port] = address.split(':');
  return new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = request({ host, port: Number(port), method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? 'error' }));
    req.end(body);
  });
}

const put = (agent: ConsulAgent, key: string, value: string) =>
  http(agent.address, 'PUT', `/v1/kv/${key}`, value);
const get = async (agent: ConsulAgent, key: string) => {
  const answer = await http(agent.address, 'GET', `/v1/kv/${key}?raw=true`);
  return 'status' in answer && answer.status === 200 ? answer.body : undefined;
};

describe('consul launcher', () => {
  const agents: ConsulAgent[] = [];
  afterAll(async () => {
    for (const agent of agents) await agent.close();
  });

  test('a -dev agent on loopback: KV works, stop refuses connections, start comes back empty', async () => {
    const agent = await startConsul();
    agents.push(agent);
    expect(agent.address).toBe(`127.0.0.1:${agent.httpPort}`);
    expect(agent.running).toBe(true);
    expect(await put(agent, 'k', 'v')).toMatchObject({
      status: 200,
      body: expect.stringMatching(/^true/),
    });
    expect(await get(agent, 'k')).toBe('v');
    // Only HTTP is served (DNS and gRPC off); the output is kept for failure messages.
    expect(agent.output()).toMatch(
      new RegExp(`HTTP: ${agent.httpPort}, HTTPS: -1, gRPC: -1, gRPC-TLS: -1, DNS: -1`),
    );

    await agent.stop();
    expect(agent.running).toBe(false);
    expect(await http(agent.address, 'GET', '/v1/status/leader')).toEqual({
      error: 'ECONNREFUSED',
    });

    await agent.start();
    expect(await get(agent, 'k')).toBeUndefined(); // -dev keeps nothing
    await agent.close();
    expect(agent.running).toBe(false);
    await agent.close(); // idempotent
  });

  test('persistent: restart keeps the KV data; extra HTTP addresses answer too', async () => {
    const agent = await startConsul({ persistent: true, extraHttpAddresses: ['127.0.0.2'] });
    agents.push(agent);
    expect(await put(agent, 'kept', 'yes')).toMatchObject({ status: 200 });
    const other = await http(`127.0.0.2:${agent.httpPort}`, 'GET', '/v1/kv/kept?raw=true');
    expect(other).toEqual({ status: 200, body: 'yes' });
    await agent.restart();
    expect(await get(agent, 'kept')).toBe('yes');
  });

  test('the agent does not outlive the process that started it', async () => {
    const holder = await startProcess(join(__dirname, 'test-support', 'consul-holder.ts'), [], {
      name: 'consul holder',
    });
    const address = holder.ready[1]!;
    expect(await http(address, 'GET', '/v1/status/leader')).toMatchObject({ status: 200 });
    await holder.kill('SIGKILL');
    const giveUp = Date.now() + 10_000;
    for (;;) {
      const answer = await http(address, 'GET', '/v1/status/leader');
      if ('error' in answer) break;
      if (Date.now() > giveUp) throw new Error('consul still answers after its parent died');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('a missing binary is a clear error naming the script', () => {
    const saved = process.env.RPCX_CONSUL_BIN;
    process.env.RPCX_CONSUL_BIN = '/nonexistent/consul';
    try {
      expect(() => consulBinary()).toThrow(/run `bash scripts\/registries\/consul\.sh`/);
    } finally {
      if (saved === undefined) delete process.env.RPCX_CONSUL_BIN;
      else process.env.RPCX_CONSUL_BIN = saved;
    }
    expect(existsSync(consulBinary())).toBe(true);
  });
});
