/**
 * The metrics demo (see metrics-demo.ts): a server and clients with @rpcx/metrics, and what their
 * /metrics endpoint serves. `--serve` keeps it running (endpoint on 127.0.0.1:9464) for a
 * Prometheus to scrape.
 *
 *   node dist/metrics-demo-main.js [--serve]      (pnpm demo:metrics at the root builds and runs it)
 */
import { runMetricsDemo } from './metrics-demo.js';

const serve = process.argv.includes('--serve');
const summary = await runMetricsDemo({ serve, metricsPort: serve ? 9464 : 0 });
if (!summary.lines.some((line) => line.startsWith('rpc_server_call_started_total'))) {
  process.exitCode = 1;
}
