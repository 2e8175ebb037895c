import { getEventListeners } from 'node:events';
import { ErrorCode, type ServiceEndpoint } from '@rpcx/core';
import { describeStaticDiscoveryContract, nextTurn, resolved, rpcxErrorOf } from '@rpcx/testing';
import { MultipleServersDiscovery } from './multiple-servers-discovery.js';

const A = { key: 'tcp@127.0.0.1:8972', metadata: '' };
const B = { key: 'tcp@127.0.0.1:8973', metadata: 'weight=2' };
const C = { key: 'unix@/run/rpcx.sock', metadata: 'group=c' };

describeStaticDiscoveryContract('MultipleServersDiscovery', {
  create: () => new MultipleServersDiscovery([A, B]),
  expected: [A, B],
  watchEndsAtOnce: false,
});

type Lists = AsyncIterator<readonly ServiceEndpoint[], undefined>;

/** The next list of `lists` (fails the test if the watch ended instead). */
async function nextList(lists: Lists): Promise<readonly ServiceEndpoint[]> {
  const result = await resolved(lists.next(), 'the next list');
  if (result.done) throw new Error('the watch ended');
  return result.value;
}

/** Whether `promise` settles within a few event-loop turns. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  for (let i = 0; i < 5; i++) await nextTurn();
  return settled;
}

describe('MultipleServersDiscovery', () => {
  test('reports a frozen copy of the list it was given', () => {
    const input = [{ ...A }, { ...B }];
    const discovery = new MultipleServersDiscovery(input);
    input[0]!.key = 'tcp@127.0.0.1:1';
    input.pop();
    const services = discovery.getServices();
    expect(services).toEqual([A, B]);
    expect(Object.isFrozen(services)).toBe(true);
    expect(services.every((endpoint) => Object.isFrozen(endpoint))).toBe(true);
  });

  test('takes any iterable; missing metadata is empty', () => {
    const discovery = new MultipleServersDiscovery(new Set([{ key: A.key } as ServiceEndpoint]));
    expect(discovery.getServices()).toEqual([A]);
    discovery.update(
      (function* () {
        yield B;
        yield C;
      })(),
    );
    expect(discovery.getServices()).toEqual([B, C]);
  });

  test('update() replaces the list; two watchers see every change', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const first = discovery.watch();
    const second = discovery.watch();
    discovery.update([A, B]);
    expect(discovery.getServices()).toEqual([A, B]);
    expect(await nextList(first)).toEqual([A, B]);
    expect(await nextList(second)).toEqual([A, B]);
    discovery.update([C]);
    expect(await nextList(first)).toEqual([C]);
    expect(await nextList(second)).toEqual([C]);
    discovery.update([]);
    const [fromFirst, fromSecond] = await Promise.all([nextList(first), nextList(second)]);
    expect(fromFirst).toEqual([]);
    expect(fromSecond).toBe(fromFirst); // the same frozen list
    discovery.close();
  });

  test('a consumer waiting in next() gets the update', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const lists = discovery.watch();
    const pending = lists.next();
    expect(await settlesSoon(pending)).toBe(false);
    discovery.update([B]);
    await expect(pending).resolves.toEqual({ done: false, value: [B] });
    discovery.close();
  });

  test('watch() subscribes when called: getServices() then watch() misses nothing', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const before = discovery.getServices();
    const lists = discovery.watch();
    discovery.update([A, B]); // before anyone called next()
    expect(before).toEqual([A]);
    expect(await nextList(lists)).toEqual([A, B]);
    discovery.close();
  });

  test('watch() starts with no list: only changes are delivered', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const lists = discovery.watch();
    expect(await settlesSoon(lists.next())).toBe(false);
    discovery.close();
  });

  test('a slow watcher gets only the latest list; a fast one gets each', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const slow = discovery.watch();
    const fast = discovery.watch();
    const fastSeen: Array<readonly ServiceEndpoint[]> = [];
    for (const list of [[B], [C], [A, C], [B, C]]) {
      discovery.update(list);
      fastSeen.push(await nextList(fast));
    }
    expect(fastSeen).toEqual([[B], [C], [A, C], [B, C]]);
    expect(await nextList(slow)).toEqual([B, C]);
    expect(await settlesSoon(slow.next())).toBe(false); // nothing else is held
    discovery.close();
  });

  test('the lists watchers get are frozen: one watcher cannot change another’s', async () => {
    const discovery = new MultipleServersDiscovery([]);
    const first = discovery.watch();
    const second = discovery.watch();
    discovery.update([{ ...A }]);
    const mine = (await nextList(first)) as ServiceEndpoint[];
    expect(() => mine.push(B)).toThrow(TypeError);
    expect(() => {
      (mine[0] as { key: string }).key = 'changed';
    }).toThrow(TypeError);
    expect(await nextList(second)).toEqual([A]);
    expect(discovery.getServices()).toEqual([A]);
    discovery.close();
  });

  test('abort ends the watch, a waiting next() included, and lets go of the signal', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const controller = new AbortController();
    const lists = discovery.watch(controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const pending = lists.next();
    controller.abort();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(discovery.watcherCount).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    discovery.update([B]);
    await expect(lists.next()).resolves.toEqual({ done: true, value: undefined });
  });

  test('an untaken list is dropped when the watch ends', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const controller = new AbortController();
    const lists = discovery.watch(controller.signal);
    discovery.update([B]);
    controller.abort();
    await expect(lists.next()).resolves.toMatchObject({ done: true });
  });

  test('return() and break end the watch', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const lists = discovery.watch();
    const pending = lists.next();
    await expect(lists.return!()).resolves.toEqual({ done: true, value: undefined });
    await expect(pending).resolves.toMatchObject({ done: true });
    expect(discovery.watcherCount).toBe(0);

    const seen: Array<readonly ServiceEndpoint[]> = [];
    const loop = (async () => {
      for await (const list of discovery.watch()) {
        seen.push(list);
        if (list.length === 2) break;
      }
    })();
    await nextTurn();
    discovery.update([B]);
    await nextTurn();
    discovery.update([A, B]);
    await resolved(loop, 'the loop to break');
    expect(seen).toEqual([[B], [A, B]]);
    expect(discovery.watcherCount).toBe(0);
  });

  test('close() ends every watcher; later watches end at once; update still works', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const controller = new AbortController();
    const watchers = [discovery.watch(), discovery.watch(controller.signal), discovery.watch()];
    const pending = watchers.map((lists) => lists.next());
    expect(discovery.watcherCount).toBe(3);
    discovery.close();
    for (const result of await Promise.all(pending)) expect(result.done).toBe(true);
    expect(discovery.watcherCount).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await expect(discovery.watch().next()).resolves.toMatchObject({ done: true });
    discovery.update([B]);
    expect(discovery.getServices()).toEqual([B]);
    discovery.close();
  });

  test('an aborted signal: the watch ends at once and subscribes nothing', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const controller = new AbortController();
    controller.abort();
    const lists = discovery.watch(controller.signal);
    expect(discovery.watcherCount).toBe(0);
    await expect(lists.next()).resolves.toMatchObject({ done: true });
  });

  test('clone() shares the list both ways and closes on its own', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const clone = discovery.clone('Other');
    expect(clone).not.toBe(discovery);
    expect(clone.getServices()).toEqual([A]);
    const fromOriginal = discovery.watch();
    const fromClone = clone.watch();

    discovery.update([B]);
    expect(clone.getServices()).toEqual([B]);
    expect(await nextList(fromClone)).toEqual([B]);
    expect(await nextList(fromOriginal)).toEqual([B]);

    clone.update([C]);
    expect(discovery.getServices()).toEqual([C]);
    expect(await nextList(fromOriginal)).toEqual([C]);
    expect(await nextList(fromClone)).toEqual([C]);

    clone.close();
    await expect(fromClone.next()).resolves.toMatchObject({ done: true });
    expect(clone.watcherCount).toBe(0);
    expect(discovery.watcherCount).toBe(1);
    discovery.update([A, B]);
    expect(await nextList(fromOriginal)).toEqual([A, B]);
    // A clone of a clone shares the same list.
    expect(clone.clone('Third').getServices()).toEqual([A, B]);
    discovery.close();
  });

  test('no leaks: many watch and abort, return and close cycles leave no watcher behind', async () => {
    const discovery = new MultipleServersDiscovery([A]);
    const signal = new AbortController().signal; // shared, never aborted
    for (let i = 0; i < 1000; i++) {
      const controller = new AbortController();
      const lists = discovery.watch(controller.signal);
      const pending = lists.next();
      if (i % 3 === 0) controller.abort();
      else if (i % 3 === 1) await lists.return!();
      else {
        const clone = discovery.clone('Other');
        const fromClone = clone.watch(signal);
        clone.close();
        await fromClone.next();
        await lists.return!();
      }
      await pending;
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    }
    expect(discovery.watcherCount).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // Updates after all that reach a new watcher only.
    const lists = discovery.watch();
    discovery.update([B]);
    expect(await nextList(lists)).toEqual([B]);
    expect(discovery.watcherCount).toBe(1);
    discovery.close();
    expect(discovery.watcherCount).toBe(0);
  });

  describe('refuses bad input with InvalidArgument, keeping the list', () => {
    test.each([
      [
        undefined,
        'MultipleServersDiscovery.update: expected a list of { key, metadata } endpoints, got undefined',
      ],
      [
        'tcp@127.0.0.1:1',
        'MultipleServersDiscovery.update: expected a list of { key, metadata } endpoints, got "tcp@127.0.0.1:1"',
      ],
      [
        ['tcp@127.0.0.1:1'],
        'MultipleServersDiscovery.update: endpoint 0 must be an object { key, metadata }, got "tcp@127.0.0.1:1"',
      ],
      [
        [A, { metadata: '' }],
        'MultipleServersDiscovery.update: endpoint 1: a server key must be a non-empty string such as "tcp@127.0.0.1:8972", got undefined',
      ],
      [
        [{ key: 5, metadata: '' }],
        'MultipleServersDiscovery.update: endpoint 0: a server key must be a non-empty string such as "tcp@127.0.0.1:8972", got number 5',
      ],
      [
        [{ key: A.key, metadata: null }],
        'MultipleServersDiscovery.update: endpoint 0: the metadata of tcp@127.0.0.1:8972 must be a string (a URL query such as "weight=10"), got null',
      ],
    ])('update(%p)', async (input, message) => {
      const discovery = new MultipleServersDiscovery([A]);
      const lists = discovery.watch();
      const error = rpcxErrorOf(() => discovery.update(input as never), ErrorCode.InvalidArgument);
      expect(error.message).toBe(message);
      expect(discovery.getServices()).toEqual([A]);
      expect(await settlesSoon(lists.next())).toBe(false);
      discovery.close();
    });

    test('in the constructor too', () => {
      expect(
        rpcxErrorOf(
          () => new MultipleServersDiscovery([{ key: '', metadata: '' }]),
          ErrorCode.InvalidArgument,
        ).message,
      ).toBe(
        'MultipleServersDiscovery: endpoint 0: a server key must be a non-empty string such as "tcp@127.0.0.1:8972", got ""',
      );
      expect(
        rpcxErrorOf(() => new MultipleServersDiscovery(null as never), ErrorCode.InvalidArgument)
          .message,
      ).toBe('MultipleServersDiscovery: expected a list of { key, metadata } endpoints, got null');
    });
  });
});
