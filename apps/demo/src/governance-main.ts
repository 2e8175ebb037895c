/**
 * The governance demo: three servers, an XClient with RoundRobin, then WeightedRoundRobin, then
 * Failover past a killed server (see governance.ts). Exits 1 if any call failed.
 *
 *   node dist/governance-main.js        (pnpm demo:governance at the root builds and runs it)
 */
import { runGovernanceDemo } from './governance.js';

const summary = await runGovernanceDemo();
if (summary.failed > 0) process.exitCode = 1;
