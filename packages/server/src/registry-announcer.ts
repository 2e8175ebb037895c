/**
 * Keeps the registry plugins told (spec §6.4, §6.11): every service path with its metadata once
 * the server listens, new paths as they are registered, unregister on shutdown, stop at the end.
 * Operations run one after another in the order asked for; a failing plugin is logged, never
 * thrown, so registration stays synchronous and one bad registry cannot stop the server.
 */
import { asError, type Logger, type RegistryPlugin } from '@rpcx/core';
import { isThenable } from './interceptor.js';

export function isRegistryPlugin(plugin: object): plugin is RegistryPlugin {
  const candidate = plugin as Partial<RegistryPlugin>;
  return typeof candidate.register === 'function' && typeof candidate.unregister === 'function';
}

export class RegistryAnnouncer {
  private readonly plugins: RegistryPlugin[] = [];
  /** servicePath → metadata last announced (replayed when the plugins start). */
  private readonly registrations = new Map<string, string>();
  private started = false;
  private stopped = false;
  private unregistered = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly logger: Logger,
    /** The server's bound addresses, handed to `start`. */
    private readonly addresses: () => string[],
  ) {}

  /** A plugin added after the start is started and told every path at once. */
  add(plugin: RegistryPlugin): void {
    this.plugins.push(plugin);
    if (!this.started || this.stopped) return;
    this.enqueue(async () => {
      await this.call(plugin, 'start', '', () => plugin.start?.(this.addresses()));
      for (const [path, metadata] of this.registrations) {
        await this.call(plugin, 'register', path, () => plugin.register(path, metadata));
      }
    });
  }

  /** Forgets a plugin without telling it (its owner calls `stop`). */
  remove(plugin: RegistryPlugin): void {
    const at = this.plugins.indexOf(plugin);
    if (at >= 0) this.plugins.splice(at, 1);
  }

  /**
   * Records a service path; once started, tells the plugins. A known path is announced again
   * only with new metadata (Go re-announces every function).
   */
  announce(servicePath: string, given: string | undefined): void {
    const known = this.registrations.get(servicePath);
    if (known !== undefined && (given === undefined || given === known)) return;
    const metadata = given ?? '';
    this.registrations.set(servicePath, metadata);
    if (!this.started || this.stopped) return;
    this.forEachPlugin('register', servicePath, (plugin) => plugin.register(servicePath, metadata));
  }

  /** The first listen: starts the plugins and registers every path so far. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const plugins = [...this.plugins];
    const registrations = [...this.registrations];
    const addresses = this.addresses();
    this.enqueue(async () => {
      for (const plugin of plugins) {
        await this.call(plugin, 'start', '', () => plugin.start?.(addresses));
      }
      for (const [path, metadata] of registrations) {
        for (const plugin of plugins) {
          await this.call(plugin, 'register', path, () => plugin.register(path, metadata));
        }
      }
    });
    await this.queue;
  }

  /** Shutdown: every path is unregistered from every plugin, once. */
  async unregisterAll(): Promise<void> {
    if (!this.started || this.unregistered) return;
    this.unregistered = true;
    for (const path of this.registrations.keys()) {
      this.forEachPlugin('unregister', path, (plugin) => plugin.unregister(path));
    }
    await this.queue;
  }

  /** The end: every plugin is stopped, once. */
  async stop(): Promise<void> {
    if (!this.started || this.stopped) return;
    this.stopped = true;
    this.forEachPlugin('stop', '', (plugin) => plugin.stop?.());
    await this.queue;
  }

  private forEachPlugin(
    operation: string,
    servicePath: string,
    run: (plugin: RegistryPlugin) => unknown,
  ): void {
    const plugins = [...this.plugins];
    this.enqueue(async () => {
      for (const plugin of plugins)
        await this.call(plugin, operation, servicePath, () => run(plugin));
    });
  }

  private enqueue(operation: () => Promise<void>): void {
    this.queue = this.queue.then(operation, operation);
  }

  /** Runs one registry call; failures are logged (Go returns them from Register), never thrown. */
  private async call(
    plugin: RegistryPlugin,
    operation: string,
    servicePath: string,
    run: () => unknown,
  ): Promise<void> {
    try {
      const result = run();
      if (isThenable(result)) await result;
    } catch (error) {
      const subject = servicePath === '' ? '' : ` ${servicePath}`;
      this.logger.error(
        `rpcx: registry plugin ${plugin.name ?? '(unnamed)'} failed to ${operation}${subject}: ${asError(error).message}`,
        { servicePath, error },
      );
    }
  }
}
