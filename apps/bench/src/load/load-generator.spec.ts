import {
  type ExternalLoad,
  type ExternalSlice,
  LoadRecorder,
  measureSlice,
  warmUp,
} from './load-generator.js';

/** A load generator in another process, faked: it reports the slices it is given. */
function fakeExternal(slices: ExternalSlice[]): ExternalLoad & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    warmUp: async (ms) => {
      asked.push(`warmup ${ms}`);
    },
    slice: async (ms) => {
      asked.push(`slice ${ms}`);
      return slices.shift()!;
    },
  };
}

describe('measureSlice with an external load', () => {
  it('adds what the other process reports, and charges the server around it', async () => {
    const external = fakeExternal([
      { requests: 3, errors: 1, seconds: 0.5, cpuUs: 900, rssBytes: 7e6, latencyUs: { 100: 3 } },
      { requests: 1, errors: 0, seconds: 0.5, cpuUs: 300, rssBytes: 8e6, latencyUs: { 300: 1 } },
    ]);
    let serverCpu = 1000;
    const options = {
      external,
      concurrency: 8,
      durationMs: 500,
      serverCpu: async () => (serverCpu += 200),
      serverRss: async () => 5e6,
    };
    const recorder = new LoadRecorder();
    await warmUp(options);
    await measureSlice(options, recorder);
    await measureSlice(options, recorder);
    expect(external.asked).toEqual(['warmup 500', 'slice 500', 'slice 500']);
    expect(recorder.result()).toMatchObject({
      requests: 4,
      errors: 1,
      seconds: 1,
      requestsPerSecond: 4,
      p50Ms: 0.1005,
      p999Ms: 0.3005,
      clientCpuUs: 300,
      // Each slice: one CPU reading before, one after (200 µs apart).
      serverCpuUs: 100,
      clientRssBytes: 8e6,
      serverRssBytes: 5e6,
    });
  });
});

describe('measureSlice with calls in this process', () => {
  it('counts good calls and errors, and reads this process for the client columns', async () => {
    let calls = 0;
    const recorder = new LoadRecorder();
    const call = async () => {
      calls++;
      if (calls % 2 === 0) throw new Error('every other call fails');
    };
    await measureSlice({ call, concurrency: 2, durationMs: 20 }, recorder);
    const result = recorder.result();
    expect(result.requests + result.errors).toBe(calls);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.clientRssBytes).toBeGreaterThan(0);
    expect(result.serverCpuUs).toBeNaN();
    expect(result.serverRssBytes).toBeNaN();
  });
});
