import { frameFlags, HeaderFlag } from '@rpcx/protocol';
import { fitLine, median } from './fit.js';
import { heartbeatFrame, hostPort, loopbackSources } from './idle-sockets.js';
import { parseStatsLine, statusKilobytes } from './process-stats.js';
import { type MemorySample, trends } from './trends.js';

describe('fitLine', () => {
  it('finds the slope and intercept of points on a line, with no error', () => {
    const fit = fitLine([0, 1, 2, 3], [5, 7, 9, 11]);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(5, 12);
    expect(fit.slopeError).toBeCloseTo(0, 12);
    expect(fit.points).toBe(4);
  });

  it('fits noisy points by least squares, with the slope’s standard error', () => {
    // y = 1 + 0.5x, residuals +1 -1 -1 +1: the line is unchanged, its slope uncertain.
    const fit = fitLine([0, 1, 2, 3], [2, 0.5, 1, 3.5]);
    expect(fit.slope).toBeCloseTo(0.5, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    // sqrt(Σr² / (n − 2) / Σ(x − x̄)²) = sqrt(4 / 2 / 5)
    expect(fit.slopeError).toBeCloseTo(Math.sqrt(0.4), 12);
  });

  it('refuses what has no slope', () => {
    expect(() => fitLine([1], [1])).toThrow('two points');
    expect(() => fitLine([2, 2], [1, 3])).toThrow('every x is the same');
    expect(() => fitLine([1, 2], [1])).toThrow('differ in length');
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('trends', () => {
  const sample = (calls: number, bytes: number): MemorySample => ({
    calls,
    seconds: calls / 1e5,
    clientHeapUsed: bytes,
    clientRss: 2 * bytes,
    serverHeapUsed: 100,
    serverRss: bytes + calls / 1000,
  });

  it('gives first, last, max and the slope per 1,000,000 calls after the warm-up', () => {
    // A warm-up step (the first sample), then flat heap and RSS growing 1 byte per 1000 calls.
    const samples = [sample(0, 10), ...[1, 2, 3, 4].map((m) => sample(m * 1e6, 1000))];
    const result = trends(samples, 1e6);
    expect(result.clientHeapUsed).toMatchObject({ first: 10, last: 1000, max: 1000 });
    expect(result.clientHeapUsed.slopePerMillion).toBeCloseTo(0, 9);
    expect(result.serverHeapUsed.slopePerMillion).toBeCloseTo(0, 9);
    expect(result.serverRss.slopePerMillion).toBeCloseTo(1000, 9);
    expect(result.serverRss.slopeErrorPerMillion).toBeCloseTo(0, 9);
    expect(result.serverRss.lateSlopePerMillion).toBeCloseTo(1000, 9);
  });

  it('fits the second half alone too: a step up early on is no slope there', () => {
    // RSS steps up by 1000 bytes after 1M calls, then stays.
    const samples = [0, 1, 2, 3, 4, 5, 6].map((m) => sample(m * 1e6, m < 2 ? 0 : 1000));
    const result = trends(samples, 1e6);
    expect(result.clientHeapUsed.slopePerMillion).toBeGreaterThan(0);
    expect(result.clientHeapUsed.lateSlopePerMillion).toBeCloseTo(0, 9);
  });

  it('has no slope with fewer than two samples after the warm-up', () => {
    const result = trends([sample(0, 1), sample(10, 2)], 5);
    expect(result.clientRss.slopePerMillion).toBeNaN();
    expect(result.clientRss).toMatchObject({ first: 2, last: 4, max: 4 });
  });
});

describe('STATS lines', () => {
  it('reads Go benchserver’s', () => {
    expect(parseStatsLine('STATS {"cpuUs":1234,"rssBytes":9437184}')).toEqual({
      cpuUs: 1234,
      rssBytes: 9437184,
    });
  });

  it('reads ours, with the heap and the connection count', () => {
    const line =
      'STATS {"cpuUs":5,"rssBytes":6,"heapUsedBytes":7,"externalBytes":8,"arrayBuffersBytes":9,"connections":10}';
    expect(parseStatsLine(line)).toEqual({
      cpuUs: 5,
      rssBytes: 6,
      heapUsedBytes: 7,
      externalBytes: 8,
      arrayBuffersBytes: 9,
      connections: 10,
    });
  });

  it('leaves out what is not a number, and refuses a line without cpuUs and rssBytes', () => {
    expect(parseStatsLine('STATS {"cpuUs":1,"rssBytes":2,"note":"x"}')).toEqual({
      cpuUs: 1,
      rssBytes: 2,
    });
    expect(() => parseStatsLine('STATS {"cpuUs":1}')).toThrow('without cpuUs and rssBytes');
    expect(() => parseStatsLine('CPU 12')).toThrow('not a STATS line');
  });

  it('reads a /proc status field in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   12345 kB\nThreads:\t7\n';
    expect(statusKilobytes(status, 'VmRSS')).toBe(12345 * 1024);
    expect(statusKilobytes(status, 'VmSwap')).toBeUndefined();
  });
});

describe('idle connection helpers', () => {
  it('sends a heartbeat request: no service, the heartbeat bit, not a response', () => {
    const frame = heartbeatFrame(7);
    expect(frame.length).toBe(32);
    expect(frameFlags(frame, 0) & (HeaderFlag.Heartbeat | HeaderFlag.Response)).toBe(
      HeaderFlag.Heartbeat,
    );
  });

  it('splits addresses and names loopback sources', () => {
    expect(hostPort('tcp@127.0.0.1:8972')).toEqual({ host: '127.0.0.1', port: 8972 });
    expect(hostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => hostPort('unix@/tmp/x')).toThrow('not a host:port');
    expect(loopbackSources(0)).toEqual([]);
    expect(loopbackSources(3)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });
});
