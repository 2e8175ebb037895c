/**
 * The server side of log guarding (ARCHITECTURE §4, spec §3.4): text a peer supplies is cut short
 * in the log but never on the wire, and a flood of bad connections costs a bounded number of
 * warning lines, the rest counted and reported with a later one.
 */
import { ErrorCode, MessageStatusType, MetadataKey } from '@rpcx/core';
import type { ServerOptions } from './server.js';
import { cleanup, connect, startServer } from './test-support/harness.js';
import { MemoryLogger } from './test-support/memory-logger.js';
import { jsonRequest, type RawClient } from './test-support/raw-client.js';

afterEach(cleanup);

const BURST = 10; // WarningLimiter's default
const WINDOW_MS = 1000;
const FLOOD = 100;

/** Polls `condition` (clock: performance.now, which the fake-Date test leaves alone). */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A server that logs to memory and counts the served connections that have closed. */
async function loggedServer(options: ServerOptions = {}) {
  const logger = new MemoryLogger();
  let closedConnections = 0;
  const started = await startServer({ logger, ...options }, (s) => {
    s.registerFunction('Svc', 'Echo', (args: unknown) => args);
    s.addPlugin({
      name: 'close-counter',
      // Runs after the connection's close was logged (or counted by the limiter).
      postConnClose() {
        closedConnections++;
      },
    });
  });
  // Only what the tests cause is kept (not "server listening").
  logger.entries.length = 0;
  return {
    ...started,
    logger,
    get closedConnections() {
      return closedConnections;
    },
  };
}

/** A connection whose first frame starts with a wrong magic byte (7): the server closes it. */
async function badConnection(address: string): Promise<RawClient> {
  const client = await connect(address);
  const bytes = Buffer.alloc(16);
  bytes[0] = 0x07;
  client.write(bytes);
  return client;
}

const magicWarnings = (logger: MemoryLogger) =>
  logger.entries.filter((e) => e.level === 'warn' && e.message.includes('wrong magic number: 7'));

const suppressedIn = (entries: MemoryLogger['entries']) =>
  entries.reduce(
    (sum, e) => sum + (typeof e.fields?.suppressed === 'number' ? e.fields.suppressed : 0),
    0,
  );

describe('peer-supplied text', () => {
  test('a 10 000-character unknown service path: full text on the wire, truncated in the log', async () => {
    const setup = await loggedServer();
    const client = await connect(setup.address);
    const servicePath = `S${'x'.repeat(9_998)}Z`;
    expect(servicePath).toHaveLength(10_000);

    const res = await client.call(jsonRequest(servicePath, 'Method', 1, { seq: 7 }));
    expect(res.seq).toBe(7n);
    expect(res.statusType).toBe(MessageStatusType.Error);
    // Go's exact text, the whole path included (spec §3.4): the wire is not truncated.
    expect(res.metadata[MetadataKey.Error]).toBe(`rpcx: can't find service ${servicePath}`);
    expect(res.servicePath).toBe(servicePath);

    await until(() => setup.logger.entries.some((e) => e.message.includes("can't find service")));
    const lines = setup.logger.entries.filter((e) => e.message.includes("can't find service"));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.level).toBe('warn');
    expect(line.message.length).toBeLessThan(1_000);
    expect(line.message).toContain('more characters');
    expect(line.message).toContain("rpcx: can't find service Sxxx");
    expect(line.message).not.toContain('Z'); // the end of the path was cut off
    // Nothing logged carries the whole path, fields included.
    const logged = JSON.stringify(setup.logger.entries);
    expect(logged).not.toContain(servicePath);
    expect(String(line.fields?.servicePath).length).toBeLessThan(1_000);
    expect(String(line.fields?.servicePath)).toContain('more characters');
    expect(line.fields?.serviceMethod).toBe('Method');
    // The connection is fine: an unknown service is a service error, not a protocol error.
    expect(client.isOpen).toBe(true);
    const again = await client.call(jsonRequest('Svc', 'Echo', 'ok', { seq: 8 }));
    expect(Buffer.from(again.payload).toString()).toBe('"ok"');
  });

  test('a 10 000-character unknown method and a handler error quoting it: truncated in the log only', async () => {
    const setup = await loggedServer();
    const client = await connect(setup.address);
    const method = 'm'.repeat(10_000);
    const res = await client.call(jsonRequest('Svc', method, 1, { seq: 1 }));
    expect(res.metadata[MetadataKey.Error]).toBe(`rpcx: can't find method ${method}`);

    setup.server.registerFunction('Svc', 'Fail', (args: string) => {
      throw new Error(`bad input: ${args}`);
    });
    const long = 'y'.repeat(10_000);
    const failed = await client.call(jsonRequest('Svc', 'Fail', long, { seq: 2 }));
    expect(failed.metadata[MetadataKey.Error]).toBe(`bad input: ${long}`);

    await until(() => setup.logger.entries.length >= 2);
    expect(setup.logger.entries).toHaveLength(2);
    for (const entry of setup.logger.entries) {
      expect(entry.level).toBe('warn');
      expect(JSON.stringify(entry).length).toBeLessThan(1_000);
      expect(entry.message).toContain('more characters');
    }
    expect(setup.logger.entries[0]!.fields?.serviceMethod).toContain('(9872 more characters)');
  });
});

describe('a flood of bad connections', () => {
  test(`${FLOOD} wrong-magic connections log at most ${BURST} lines per window; the rest are counted and reported`, async () => {
    const setup = await loggedServer();
    const startedAt = performance.now();
    const clients = await Promise.all(
      Array.from({ length: FLOOD }, () => badConnection(setup.address)),
    );
    await Promise.all(clients.map((client) => client.closed));
    await until(() => setup.closedConnections === FLOOD);
    const span = performance.now() - startedAt;

    const floodLines = magicWarnings(setup.logger);
    // Windows start at least WINDOW_MS apart, so the flood touched at most this many (+2 ms for
    // the limiter's whole-millisecond Date.now against performance.now).
    const windows = Math.floor((span + 2) / WINDOW_MS) + 1;
    expect(floodLines.length).toBeGreaterThanOrEqual(1);
    expect(floodLines.length).toBeLessThanOrEqual(BURST * windows + 1);
    expect(setup.logger.entries).toHaveLength(floodLines.length); // nothing else was logged
    for (const line of floodLines) expect(line.fields?.code).toBe(ErrorCode.Protocol);

    // Past the window, the next warning goes through and says how many were dropped: every
    // warning is either a line or counted in exactly one `suppressed` field.
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 50));
    const late = await badConnection(setup.address);
    await late.closed;
    await until(() => setup.closedConnections === FLOOD + 1);
    const lines = magicWarnings(setup.logger);
    expect(lines).toHaveLength(floodLines.length + 1);
    const last = lines.at(-1)!;
    expect(last.fields?.remoteAddress).toBe(late.framed.localAddress);
    const owed = FLOOD - floodLines.length - suppressedIn(floodLines);
    if (owed > 0) {
      expect(last.message).toMatch(new RegExp(`\\(${owed} similar messages suppressed\\)$`));
      expect(last.fields?.suppressed).toBe(owed);
    } else {
      expect(last.fields?.suppressed).toBeUndefined();
    }
    expect(lines.length + suppressedIn(lines)).toBe(FLOOD + 1);
  });

  test('with the clock held still, exactly the burst gets through and the next window reports how many were dropped', async () => {
    // Only Date is faked (sockets, timers and performance.now stay real): the limiter, built
    // with the server, reads the frozen Date.now, so the whole flood falls in one window.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      jest.setSystemTime(1_000_000);
      const setup = await loggedServer();
      const clients = await Promise.all(
        Array.from({ length: FLOOD }, () => badConnection(setup.address)),
      );
      await Promise.all(clients.map((client) => client.closed));
      await until(() => setup.closedConnections === FLOOD);
      const floodLines = magicWarnings(setup.logger);
      expect(floodLines).toHaveLength(BURST);
      expect(suppressedIn(floodLines)).toBe(0);

      // Still inside the window (999 ms later): counted, not logged.
      jest.setSystemTime(1_000_000 + WINDOW_MS - 1);
      const inWindow = await badConnection(setup.address);
      await inWindow.closed;
      await until(() => setup.closedConnections === FLOOD + 1);
      expect(magicWarnings(setup.logger)).toHaveLength(BURST);

      // A full window later: logged, with the count of the 91 that were dropped.
      jest.setSystemTime(1_000_000 + WINDOW_MS);
      const nextWindow = await badConnection(setup.address);
      await nextWindow.closed;
      await until(() => setup.closedConnections === FLOOD + 2);
      const lines = magicWarnings(setup.logger);
      expect(lines).toHaveLength(BURST + 1);
      const report = lines.at(-1)!;
      const dropped = FLOOD + 1 - BURST;
      expect(report.message).toContain(`rpcx: connection ${nextWindow.framed.localAddress} closed`);
      expect(report.message.endsWith(`(${dropped} similar messages suppressed)`)).toBe(true);
      expect(report.fields).toMatchObject({
        suppressed: dropped,
        remoteAddress: nextWindow.framed.localAddress,
        code: ErrorCode.Protocol,
      });

      // The count starts again: the next line carries no report.
      const after = await badConnection(setup.address);
      await after.closed;
      await until(() => setup.closedConnections === FLOOD + 3);
      const final = magicWarnings(setup.logger).at(-1)!;
      expect(final.fields?.remoteAddress).toBe(after.framed.localAddress);
      expect(final.fields?.suppressed).toBeUndefined();
      expect(final.message).not.toContain('suppressed');
    } finally {
      jest.useRealTimers();
    }
  });

  test('a healthy client is answered during and after the flood', async () => {
    const setup = await loggedServer();
    const healthy = await connect(setup.address);
    const flood = Promise.all(
      Array.from({ length: FLOOD }, async () => (await badConnection(setup.address)).closed),
    );
    for (let seq = 1; seq <= 20; seq++) {
      const res = await healthy.call(jsonRequest('Svc', 'Echo', seq, { seq }));
      expect(Buffer.from(res.payload).toString()).toBe(String(seq));
    }
    await flood;
    const res = await healthy.call(jsonRequest('Svc', 'Echo', 'after', { seq: 99 }));
    expect(Buffer.from(res.payload).toString()).toBe('"after"');
    expect(healthy.isOpen).toBe(true);
  });
});
