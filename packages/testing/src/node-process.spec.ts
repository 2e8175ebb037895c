import { join } from 'node:path';
import { useFakeClock } from './fake-clock.js';
import { startProcess } from './node-process.js';

const program = join(__dirname, 'test-support', 'child-program.ts');

afterEach(() => jest.useRealTimers());

test('runs a TypeScript program from its sources and waits for its lines', async () => {
  const child = await startProcess(program, ['ok'], { readyLine: /^READY (\S+) (\S+)$/ });
  // `./child-greeting.js` found the .ts file; `@rpcx/core` resolved to its src through the condition.
  expect([child.ready[1], child.ready[2]]).toEqual(['hello-child', 'timeout']);
  expect((await child.waitForLine(/^LATER (\d+)$/))[1]).toBe('42');
  expect(child.running).toBe(true);
  expect(await child.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  expect(child.output().stdout).toContain('BYE');
  expect(child.running).toBe(false);
});

test('a child that exits before it is ready fails the start with its output', async () => {
  const start = startProcess(program, ['crash'], { name: 'crasher' });
  await expect(start).rejects.toThrow(/crasher: exited \(code 3, signal null\)[\s\S]*boom/);
});

test('a child that never gets ready fails the start once the bound has passed', async () => {
  useFakeClock();
  const start = startProcess(program, ['silent'], { readyTimeoutMs: 60_000 });
  const failed = expect(start).rejects.toThrow(/no line matching .* within 60000 ms/);
  jest.advanceTimersByTime(60_000);
  await failed;
});
