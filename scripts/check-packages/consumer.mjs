// The ESM consumer: packages resolve through their "import" conditions (dist/esm).
import runChecks from './consumer-checks.cjs';

process.exitCode = (await runChecks('esm', (name) => import(name))) > 0 ? 1 : 0;
