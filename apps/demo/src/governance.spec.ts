/** The governance demo runs to the end: no failed call, every server used, the killed one avoided. */
import { runGovernanceDemo } from './governance.js';

test('RoundRobin, WeightedRoundRobin and Failover past a killed server, with no failed call', async () => {
  const lines: string[] = [];
  const summary = await runGovernanceDemo({ log: (line) => lines.push(line) });
  const names = summary.servers.map((server) => server.name);

  expect(summary.failed).toBe(0);
  expect(summary.calls).toBe(
    summary.roundRobin.length + summary.weighted.length + summary.afterKill.length,
  );
  // Before the kill, all three answered, in turn with RoundRobin.
  expect(new Set(summary.roundRobin)).toEqual(new Set(names));
  expect(summary.roundRobin.slice(0, 3).sort()).toEqual([...names].sort());
  // WeightedRoundRobin over weight 5, 1, 1: one whole cycle of 7 calls.
  const count = (list: string[], name: string) => list.filter((n) => n === name).length;
  expect(names.map((name) => count(summary.weighted, name))).toEqual([5, 1, 1]);
  // After the kill: the others answered every call, the killed server none.
  expect(summary.afterKill).not.toContain(summary.killed);
  expect(new Set(summary.afterKill)).toEqual(new Set(names.filter((n) => n !== summary.killed)));
  expect(summary.failedOver).toBeGreaterThan(0);
  expect(lines.at(-1)).toMatch(/^summary: 19 calls, 0 failed/);
});
