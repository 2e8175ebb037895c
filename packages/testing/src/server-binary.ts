/**
 * A server binary a launcher runs (Prometheus, the OpenTelemetry Collector): spawned with its
 * output kept (the last 64 KiB, for failure messages), watched by a watchdog that kills it if this
 * process dies, and stopped with SIGTERM, then SIGKILL after a grace period.
 *
 *   const server = new ServerBinary('prometheus');
 *   server.start(binary, args);
 *   if (!(await server.waitReady(ready, timeoutMs))) ...;
 *   await server.stop();   // or kill(): SIGKILL at once
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { startWatchdog, stopWatchdog } from './watchdog.js';

/** Output kept per server (characters). */
const KEEP_OUTPUT = 64 * 1024;

export class ServerBinary {
  private out = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | undefined;

  /** `name` heads the line that says it exited. */
  constructor(private readonly name: string) {}

  /** Whether the process runs. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** What it printed (stdout and stderr), the last 64 KiB. */
  output(): string {
    return this.out;
  }

  /** Spawns `binary` with `args`; `onExit` is told when it has exited, however it ended. */
  start(binary: string, args: readonly string[], onExit?: () => void): void {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', this.keep);
    child.once('error', (error) => this.keep(`spawn failed: ${error.message}\n`));
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        if (this.child === child) this.child = undefined;
        this.keep(`[${this.name} exited: code ${code}, signal ${signal}]\n`);
        stopWatchdog(this.watchdog);
        this.watchdog = undefined;
        onExit?.();
        resolve();
      });
    });
    if (child.pid !== undefined) this.watchdog = startWatchdog(child.pid);
  }

  /**
   * Asks `ready` every 100 ms while the process runs: true once it says so, false when the
   * process exited or `timeoutMs` went by first.
   */
  async waitReady(ready: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running) {
      if (await ready()) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  /** SIGKILL; resolves once it has exited. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private readonly keep = (text: Buffer | string): void => {
    this.out = (this.out + String(text)).slice(-KEEP_OUTPUT);
  };
}
