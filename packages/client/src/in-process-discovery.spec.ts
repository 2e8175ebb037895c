import { ErrorCode } from '@rpcx/core';
import { describeStaticDiscoveryContract, rpcxErrorOf } from '@rpcx/testing';
import { InProcessDiscovery } from './in-process-discovery.js';

describeStaticDiscoveryContract('InProcessDiscovery', {
  create: () => new InProcessDiscovery('arith', 'group=a'),
  expected: [{ key: 'inprocess@arith', metadata: 'group=a' }],
  watchEndsAtOnce: true,
});

describe('InProcessDiscovery', () => {
  test('one endpoint, keyed inprocess@<name>; clone() is itself', async () => {
    const discovery = new InProcessDiscovery('arith');
    expect(discovery.name).toBe('arith');
    expect(discovery.getServices()).toEqual([{ key: 'inprocess@arith', metadata: '' }]);
    expect(discovery.clone('Other')).toBe(discovery);
    const seen: unknown[] = [];
    for await (const list of discovery.watch()) seen.push(list);
    expect(seen).toEqual([]);
  });

  test('a name is required, metadata must be a string', () => {
    expect(rpcxErrorOf(() => new InProcessDiscovery(''), ErrorCode.InvalidArgument).message).toBe(
      'InProcessDiscovery: the name must be a non-empty string (the server listens on inprocess@<name>), got ""',
    );
    expect(
      rpcxErrorOf(() => new InProcessDiscovery(undefined as never), ErrorCode.InvalidArgument)
        .message,
    ).toContain('got undefined');
    expect(
      rpcxErrorOf(() => new InProcessDiscovery('arith', 7 as never), ErrorCode.InvalidArgument)
        .message,
    ).toBe(
      'InProcessDiscovery: the metadata of inprocess@arith must be a string (a URL query such as "weight=10"), got number 7',
    );
  });
});
