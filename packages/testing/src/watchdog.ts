/**
 * A watchdog for a server binary a launcher starts (ZooKeeper's JVM, Prometheus): a tiny `sh`
 * that waits on its stdin — a pipe from this process — and kills the server when the pipe
 * closes, which happens when this process dies, however it dies. Node programs do not need one
 * (they exit with their parent: `RPCX_EXIT_WITH_PARENT`).
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** Starts a watchdog for `pid`. */
export function startWatchdog(pid: number): ChildProcess {
  const watchdog = spawn('sh', ['-c', 'read -r line; kill -9 "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.once('error', () => {});
  return watchdog;
}

/**
 * The server is gone: its watchdog must not kill whatever reuses the pid (it is killed before
 * its stdin closes, so it never gets to `kill`).
 */
export function stopWatchdog(watchdog: ChildProcess | undefined): void {
  if (watchdog === undefined) return;
  watchdog.kill('SIGKILL');
  watchdog.stdin?.destroy();
}
