import { ErrorCode } from '@rpcx/core';
import { describeStaticDiscoveryContract, rpcxErrorOf } from '@rpcx/testing';
import { PeerDiscovery } from './peer-discovery.js';

describeStaticDiscoveryContract('PeerDiscovery', {
  create: () => new PeerDiscovery('tcp@127.0.0.1:8972', 'weight=10'),
  expected: [{ key: 'tcp@127.0.0.1:8972', metadata: 'weight=10' }],
  watchEndsAtOnce: true,
});

describe('PeerDiscovery', () => {
  test('one fixed endpoint; metadata defaults to empty; the list is frozen', () => {
    const discovery = new PeerDiscovery('tcp@127.0.0.1:8972');
    const services = discovery.getServices();
    expect(services).toEqual([{ key: 'tcp@127.0.0.1:8972', metadata: '' }]);
    expect(Object.isFrozen(services)).toBe(true);
    expect(Object.isFrozen(services[0])).toBe(true);
    expect(discovery.getServices()).toBe(services);
  });

  test('watch() ends at once, whatever the signal', async () => {
    const discovery = new PeerDiscovery('tcp@127.0.0.1:8972');
    const seen: unknown[] = [];
    for await (const list of discovery.watch()) seen.push(list);
    for await (const list of discovery.watch(new AbortController().signal)) seen.push(list);
    expect(seen).toEqual([]);
  });

  test('clone() returns the discovery itself; close() changes nothing', () => {
    const discovery = new PeerDiscovery('unix@/run/rpcx.sock');
    expect(discovery.clone('Other')).toBe(discovery);
    discovery.close();
    expect(discovery.getServices()).toEqual([{ key: 'unix@/run/rpcx.sock', metadata: '' }]);
  });

  test.each([
    [
      '',
      'weight=1',
      'PeerDiscovery: a server key must be a non-empty string such as "tcp@127.0.0.1:8972", got ""',
    ],
    [
      42,
      '',
      'PeerDiscovery: a server key must be a non-empty string such as "tcp@127.0.0.1:8972", got number 42',
    ],
    [
      'tcp@127.0.0.1:1',
      { weight: 1 },
      'PeerDiscovery: the metadata of tcp@127.0.0.1:1 must be a string (a URL query such as "weight=10"), got an object',
    ],
  ])('refuses key %p with metadata %p', (key, metadata, message) => {
    const error = rpcxErrorOf(
      () => new PeerDiscovery(key as string, metadata as string),
      ErrorCode.InvalidArgument,
    );
    expect(error.message).toBe(message);
  });
});
