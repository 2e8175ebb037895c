/** The registry demo's shared code, run over a real etcd (the other registries run the same code). */
import { EtcdDiscovery, EtcdRegisterPlugin } from '@rpcx/registry-etcd';
import { type EtcdCluster, startEtcd } from '@rpcx/testing';
import { runRegistryDemo } from './registry-demo.js';

let etcd: EtcdCluster;
beforeAll(async () => {
  etcd = await startEtcd();
}, 60_000);
afterAll(() => etcd.close());

test('three servers register, the client finds them and calls each in turn', async () => {
  const endpoints = [...etcd.endpoints];
  const lines: string[] = [];
  const summary = await runRegistryDemo(
    {
      name: 'etcd',
      plugin: () => new EtcdRegisterPlugin({ endpoints, basePath: '/rpcx_demo_spec' }),
      discovery: (servicePath) =>
        new EtcdDiscovery({ endpoints, basePath: '/rpcx_demo_spec', servicePath }),
    },
    { log: (line) => lines.push(line) },
  );
  expect(summary.failed).toBe(0);
  expect(new Set(summary.answers)).toEqual(new Set(['server-1', 'server-2', 'server-3']));
  expect(summary.answers.slice(0, 3)).toEqual(summary.answers.slice(3, 6));
  expect(lines.at(-1)).toBe('summary: 6 calls, 0 failed');
}, 60_000);
