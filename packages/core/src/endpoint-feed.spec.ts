import type { ServiceEndpoint } from './discovery.js';
import { EndpointFeed } from './endpoint-feed.js';
import type { Logger } from './logger.js';

const a = { key: 'tcp@127.0.0.1:1', metadata: '' };
const b = { key: 'tcp@127.0.0.1:2', metadata: 'weight=2' };

const keys = (list: readonly ServiceEndpoint[]) => list.map((endpoint) => endpoint.key);

/** Every list a watcher of `feed` takes, as it takes them. */
function follow(feed: EndpointFeed): string[][] {
  const seen: string[][] = [];
  void (async () => {
    for await (const list of feed.watch()) seen.push(keys(list));
  })();
  return seen;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('EndpointFeed', () => {
  afterEach(() => jest.useRealTimers());

  test('publishes sorted, frozen copies, and only when the list changed', async () => {
    const feed = new EndpointFeed();
    const seen = follow(feed);
    const given = [b, a];
    feed.publish(given);
    expect(keys(feed.list)).toEqual([a.key, b.key]);
    expect(Object.isFrozen(feed.list)).toBe(true);
    expect(Object.isFrozen(feed.list[0])).toBe(true);
    expect(feed.list[0]).not.toBe(a);
    feed.publish([a, b]);
    await settle();
    feed.publish([a, { ...b, metadata: 'weight=3' }]);
    await settle();
    expect(seen).toEqual([
      [a.key, b.key],
      [a.key, b.key],
    ]);
    expect(feed.list[1]!.metadata).toBe('weight=3');
    feed.close();
  });

  test('an empty list without an outage before it is published at once', async () => {
    const feed = new EndpointFeed({ outageGraceMs: 20_000 });
    const seen = follow(feed);
    feed.publish([a]);
    await settle();
    feed.publish([]);
    await settle();
    expect(seen).toEqual([[a.key], []]);
    expect(feed.holding).toBe(false);
    feed.close();
  });

  test('an empty list after an outage is held back until a server is listed again', async () => {
    jest.useFakeTimers();
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
    const feed = new EndpointFeed({ outageGraceMs: 20_000, logger, name: 'test list' });
    feed.publish([a, b]);
    feed.outage();
    feed.publish([]);
    expect(keys(feed.list)).toEqual([a.key, b.key]);
    expect(feed.holding).toBe(true);
    expect(warnings).toEqual([
      'rpcx: test list lists no server after an outage; keeping the last 2 for up to 20000 ms',
    ]);
    // Still empty on the next read: still held (the grace runs from the first empty list).
    jest.advanceTimersByTime(10_000);
    feed.publish([]);
    expect(keys(feed.list)).toEqual([a.key, b.key]);
    // One server registered again: that is the list now, and the grace is over.
    feed.publish([b]);
    expect(keys(feed.list)).toEqual([b.key]);
    expect(feed.holding).toBe(false);
    jest.advanceTimersByTime(30_000);
    expect(keys(feed.list)).toEqual([b.key]);
    feed.close();
  });

  test('an empty list after an outage is believed when the grace is over', () => {
    jest.useFakeTimers();
    const feed = new EndpointFeed({ outageGraceMs: 5_000 });
    feed.publish([a]);
    feed.outage();
    feed.publish([]);
    jest.advanceTimersByTime(4_999);
    expect(keys(feed.list)).toEqual([a.key]);
    jest.advanceTimersByTime(1);
    expect(feed.list).toEqual([]);
    expect(feed.holding).toBe(false);
    feed.close();
  });

  test('grace 0 believes an empty list after an outage at once', () => {
    const feed = new EndpointFeed({ outageGraceMs: 0 });
    feed.publish([a]);
    feed.outage();
    feed.publish([]);
    expect(feed.list).toEqual([]);
    feed.close();
  });

  test('close ends the watchers, stops the grace timer and ignores later lists', async () => {
    jest.useFakeTimers();
    const feed = new EndpointFeed({ outageGraceMs: 1_000 });
    const watch = feed.watch();
    feed.publish([a]);
    expect(await watch.next()).toEqual({ done: false, value: feed.list });
    feed.outage();
    feed.publish([]);
    feed.close();
    expect(jest.getTimerCount()).toBe(0);
    feed.publish([b]);
    expect(keys(feed.list)).toEqual([a.key]);
    expect(await watch.next()).toEqual({ done: true, value: undefined });
    expect((await feed.watch().next()).done).toBe(true);
  });

  test('rejects a negative grace', () => {
    expect(() => new EndpointFeed({ outageGraceMs: -1 })).toThrow(RangeError);
  });
});
