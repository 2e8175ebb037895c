/**
 * The rpcx server (spec §3): registration, listeners, connections, plugins, server push and
 * shutdown. The request pipeline itself is in request-pipeline.ts.
 */
import type { Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { type CodecRegistry, createCodecRegistry } from '@rpcx/codecs';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import {
  type Codec,
  type Compressor,
  type ConnectionInfo,
  DeadlineQueue,
  ErrorCode,
  isRpcxError,
  type Logger,
  type Metadata,
  monotonicNow,
  newMetadata,
  type RegistryPlugin,
  RpcxError,
  type ServerPlugin,
  silentLogger,
} from '@rpcx/core';
import {
  CompressorRegistry,
  DEFAULT_LIMITS,
  encodeMessage,
  type FrameLimits,
  gzipCompressor,
  Header,
  Message,
} from '@rpcx/protocol';
import { type Listener, listen, parseAddress } from '@rpcx/transport';
import type { RequestContext } from './call-context.js';
import { Connection, type ConnectionHost, type ConnectionSettings } from './connection.js';
import { errorMessage, registrationError } from './errors.js';
import { runIgnoringErrors } from './hook-runner.js';
import { isThenable, PluginContainer } from './plugin-container.js';
import { isRegistryPlugin, RegistryAnnouncer } from './registry-announcer.js';
import { handleFrame } from './request-pipeline.js';
import type { ServerCore } from './server-core.js';
import {
  type RegisterFunctionOptions,
  type RegisterOptions,
  ServiceTable,
} from './service-table.js';
import type {
  AuthFunction,
  ErrorTextFunction,
  Handler,
  ServerConnection,
  ServerHandle,
  ServiceErrorHandler,
} from './types.js';

export interface ServerOptions {
  /** Where the server says what happened (bad input, closed connections, plugin failures). */
  logger?: Logger;
  /**
   * Codecs besides the built-in raw (0), JSON (1) and MsgPack (3), e.g. `createProtobufCodec()`;
   * one with the serialize type of a built-in replaces it.
   */
  codecs?: readonly Codec[];
  /** Compressors besides gzip (1). */
  compressors?: readonly Compressor[];
  /** Server plugins and registry plugins, in order (same as calling `addPlugin` for each). */
  plugins?: readonly (ServerPlugin | RegistryPlugin)[];
  /** Checks every request's `__AUTH` token (Go's `AuthFunc`). */
  auth?: AuthFunction;
  /** Replaces the text sent in `__rpcx_error__` (Go's `ServerErrorFunc`). */
  errorText?: ErrorTextFunction;
  /** Told about every failed call (Go's `HandleServiceError`); without it, failures are logged. */
  onServiceError?: ServiceErrorHandler;
  /**
   * Largest accepted frame (wire size) and decompressed payload; defaults 64 MiB and 256 MiB.
   * A frame over the limit closes its connection.
   */
  limits?: Partial<FrameLimits>;
  /** Close a connection that sends nothing for this long (ms); 0 = never (Go's default). */
  idleTimeoutMs?: number;
  /** Close a connection that starts a frame and does not finish it within this time (ms). Default 30 s; 0 = never. */
  frameTimeoutMs?: number;
  /** Connections beyond this many are closed at once (and logged). Default: no limit. */
  maxConnections?: number;
  /**
   * Requests handled at once per connection; past it, the server stops reading from that client
   * until some complete. Bounds what one client can make the server hold. Default 1024.
   */
  maxInFlightPerConnection?: number;
}

export interface ServerListenOptions {
  /** Serve TLS (required for `tls@` addresses; turns `tcp@` into TLS too). */
  tls?: TlsOptions;
  backlog?: number;
}

export interface ShutdownOptions {
  /** How long in-flight calls may take before connections are closed anyway. Default 30 s. */
  timeoutMs?: number;
}

type State = 'idle' | 'serving' | 'draining' | 'closed';

const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_IN_FLIGHT = 1024;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

export class Server implements ServerHandle {
  private readonly logger: Logger;
  private readonly services = new ServiceTable();
  private readonly plugins = new PluginContainer();
  private readonly registry: RegistryAnnouncer;
  private readonly codecs: CodecRegistry;
  private readonly compressors: CompressorRegistry;
  private readonly core: ServerCore;
  private readonly host: ConnectionHost;
  private readonly settings: ConnectionSettings;
  private readonly maxConnections: number;
  private readonly listeners: Listener[] = [];
  private readonly conns = new Map<number, Connection>();
  private state: State = 'idle';
  private inFlightCount = 0;
  private pushSeq = 0;
  private idleWaiters: Array<() => void> = [];
  private emptyWaiters: Array<() => void> = [];
  private shutdownPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.registry = new RegistryAnnouncer(this.logger, () => this.addresses());
    this.codecs = createCodecRegistry(msgpackCodec, ...(options.codecs ?? []));
    this.compressors = new CompressorRegistry([gzipCompressor, ...(options.compressors ?? [])]);
    const limits: FrameLimits = { ...DEFAULT_LIMITS, ...options.limits };
    this.maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
    this.settings = {
      maxFrameLength: limits.maxFrameLength,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
      frameTimeoutMs: options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS,
      maxInFlight: Math.max(1, options.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT),
    };
    this.core = {
      handle: this,
      services: this.services,
      codecs: this.codecs,
      compressors: this.compressors,
      plugins: this.plugins,
      logger: this.logger,
      deadlines: new DeadlineQueue<RequestContext>((ctx) => ctx.expire()),
      decodeOptions: { compressors: this.compressors, limits },
      auth: options.auth,
      errorText: options.errorText,
      onServiceError: options.onServiceError,
      draining: false,
      requestFinished: () => this.requestFinished(),
    };
    this.host = {
      logger: this.logger,
      handleFrame: (conn, frame) => {
        this.inFlightCount++;
        handleFrame(this.core, conn, frame);
      },
      connectionClosed: (conn, error) => this.connectionClosed(conn, error),
    };
    for (const plugin of options.plugins ?? []) this.addPlugin(plugin);
  }

  // ---------------------------------------------------------------------------------------------
  // Plugins and registration

  /**
   * Adds a plugin (Go's `s.Plugins.Add`): its server hooks run from now on, in the order plugins
   * were added; a registry plugin (one with `register` and `unregister`) is told about every
   * service once the server listens, and unregisters them on shutdown.
   */
  addPlugin(plugin: ServerPlugin | RegistryPlugin): void {
    this.plugins.add(plugin as ServerPlugin);
    if (isRegistryPlugin(plugin)) this.registry.add(plugin);
  }

  /** Removes a plugin; a registry plugin is not told (call its `stop` yourself). */
  removePlugin(plugin: ServerPlugin | RegistryPlugin): void {
    this.plugins.remove(plugin as ServerPlugin);
    if (isRegistryPlugin(plugin)) this.registry.remove(plugin);
  }

  /**
   * Registers the methods of `service` (Go's `Register` / `RegisterWithMethods`): every function
   * on the object and its prototype chain except `constructor` and names starting with `_`, or
   * only `options.methods`. The service path is the class name unless `options.name` is given.
   * Registering a path again replaces it. Throws `RpcxError('invalid_argument')` with Go's text
   * (`rpcx.Register: ...`) when there is nothing to register or a whitelisted method is missing.
   */
  register<T extends object>(service: T, options: RegisterOptions<T> = {}): void {
    const name = this.services.addObject(
      service,
      options as unknown as RegisterOptions<object>,
      undefined,
      'Register',
    );
    this.registry.announce(name, options.metadata);
  }

  /** Like `register`, under `name` (Go's `RegisterName` / `RegisterNameWithMethods`). */
  registerName<T extends object>(
    name: string,
    service: T,
    options: Omit<RegisterOptions<T>, 'name'> = {},
  ): void {
    if (typeof name !== 'string' || name === '') {
      throw registrationError('rpcx.Register: no service name given to registerName');
    }
    this.services.addObject(
      service,
      options as unknown as RegisterOptions<object>,
      name,
      'RegisterName',
    );
    this.registry.announce(name, options.metadata);
  }

  /**
   * Registers one function as `servicePath.name` (Go's `RegisterFunctionName`); without a name,
   * the function's own name is used (Go's `RegisterFunction`). Other functions and methods on
   * the same path stay.
   */
  registerFunction(
    servicePath: string,
    name: string,
    fn: Handler,
    options?: RegisterFunctionOptions,
  ): void;
  registerFunction(servicePath: string, fn: Handler, options?: RegisterFunctionOptions): void;
  registerFunction(
    servicePath: string,
    nameOrFn: string | Handler,
    fnOrOptions?: Handler | RegisterFunctionOptions,
    maybeOptions?: RegisterFunctionOptions,
  ): void {
    let name: string;
    let fn: Handler;
    let options: RegisterFunctionOptions | undefined;
    if (typeof nameOrFn === 'function') {
      fn = nameOrFn;
      // Like Go, which keeps what follows the last dot: `bound f` becomes `f`.
      name = nameOrFn.name.replace(/^(bound )+/, '');
      options = fnOrOptions as RegisterFunctionOptions | undefined;
    } else {
      name = nameOrFn;
      fn = fnOrOptions as Handler;
      options = maybeOptions;
    }
    this.services.addFunction(servicePath, name, fn, options?.types);
    this.registry.announce(servicePath, options?.metadata);
  }

  /** The registered service paths (Go's `ListServices`). */
  listServices(): string[] {
    return this.services.paths();
  }

  // ---------------------------------------------------------------------------------------------
  // Listening and connections

  /**
   * Starts accepting on `address` (`tcp@127.0.0.1:8972`, `tcp@:0`, `tls@host:port`,
   * `unix@/path`) and resolves with the bound address (the real port when 0 was asked for).
   * May be called several times. The first call starts the registry plugins and registers the
   * services registered so far.
   */
  async listen(address: string, options: ServerListenOptions = {}): Promise<string> {
    if (this.stopping()) throw closedError();
    const parsed = parseAddress(address);
    const network =
      parsed.network === 'unix'
        ? 'unix'
        : parsed.network === 'tls' || options.tls !== undefined
          ? 'tls'
          : 'tcp';
    const listener = await listen(parsed, (socket) => this.accept(socket, network), {
      tls: options.tls,
      backlog: options.backlog,
      onHandshakeError: (error) => this.logger.info(`rpcx: ${error.message}`, { address }),
    });
    if (this.stopping()) {
      await listener.close();
      throw closedError();
    }
    this.listeners.push(listener);
    this.state = 'serving';
    this.logger.info(`rpcx: server listening on ${listener.address}`);
    await this.registry.start();
    return listener.address;
  }

  /** The bound addresses of the listeners. */
  addresses(): string[] {
    return this.listeners.map((listener) => listener.address);
  }

  connections(): ServerConnection[] {
    const list: ServerConnection[] = [];
    for (const conn of this.conns.values()) if (conn.accepted && !conn.closed) list.push(conn);
    return list;
  }

  /** Requests being handled now, over all connections. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  async sendMessage(
    connection: ConnectionInfo,
    servicePath: string,
    serviceMethod: string,
    data: Uint8Array,
    metadata?: Metadata,
  ): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      throw new RpcxError(ErrorCode.InvalidArgument, 'rpcx: sendMessage data must be a Uint8Array');
    }
    const conn = this.conns.get(connection.id);
    const header = new Header();
    header.oneway = true;
    header.seqNumber = ++this.pushSeq;
    const message = new Message({
      header,
      servicePath,
      serviceMethod,
      metadata: metadata ?? newMetadata(),
      payload: data,
    });
    if (conn === undefined || conn.closed) {
      throw new RpcxError(
        ErrorCode.Unavailable,
        `rpcx: connection ${connection.remoteAddress} is closed`,
      );
    }
    const plugins = this.plugins;
    if (plugins.preWriteRequest.length > 0) {
      const pending = runIgnoringErrors(
        this.core,
        'preWriteRequest',
        plugins.preWriteRequest,
        (p) => p.preWriteRequest(conn, message),
      );
      if (pending !== undefined) await pending;
    }
    let failure: Error | undefined;
    try {
      const frame = encodeMessage(message, { compressors: this.compressors });
      if (!conn.write(frame)) {
        if (conn.closed) {
          failure = new RpcxError(
            ErrorCode.Unavailable,
            `rpcx: connection ${conn.remoteAddress} is closed`,
          );
        } else {
          await conn.framed.drained();
        }
      }
    } catch (error) {
      failure = isRpcxError(error)
        ? error
        : new RpcxError(ErrorCode.InvalidArgument, `rpcx: sendMessage: ${errorMessage(error)}`, {
            cause: error,
          });
    }
    if (plugins.postWriteRequest.length > 0) {
      const pending = runIgnoringErrors(
        this.core,
        'postWriteRequest',
        plugins.postWriteRequest,
        (p) => p.postWriteRequest(conn, message, failure),
      );
      if (pending !== undefined) await pending;
    }
    if (failure !== undefined) throw failure;
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /**
   * Graceful shutdown (spec §3.12): stops accepting, unregisters from the registries, lets
   * in-flight calls finish for up to `timeoutMs`, then closes every connection. Requests that
   * arrive meanwhile are answered with `rpcx: server is shutting down` (Go drops them silently).
   * Idempotent: later calls return the same promise.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.shutdownPromise !== undefined) return this.shutdownPromise;
    if (this.closePromise !== undefined) return this.closePromise;
    this.shutdownPromise = this.drainAndClose(options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    return this.shutdownPromise;
  }

  /** Closes at once: listeners, every connection (in-flight calls lose their response), registries. */
  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    this.closePromise = this.closeNow();
    return this.closePromise;
  }

  private async drainAndClose(timeoutMs: number): Promise<void> {
    const deadline = monotonicNow() + timeoutMs;
    this.state = 'draining';
    this.core.draining = true;
    this.logger.info('rpcx: shutdown begins', { inFlight: this.inFlightCount });
    await this.closeListeners();
    await this.registry.unregisterAll();

    const idle = () => this.inFlightCount === 0 || this.closePromise !== undefined;
    if (!(await this.waitUntil(this.idleWaiters, idle, deadline))) {
      this.logger.warn(
        `rpcx: shutdown timeout of ${timeoutMs} ms passed with ${this.inFlightCount} requests in flight`,
      );
    }
    const reason = new RpcxError(ErrorCode.Shutdown, 'server shut down');
    for (const conn of [...this.conns.values()]) conn.closeFor(reason);
    if (!(await this.waitUntil(this.emptyWaiters, () => this.conns.size === 0, deadline))) {
      for (const conn of [...this.conns.values()]) conn.destroy(reason);
    }
    await this.finish();
    this.logger.info('rpcx: shutdown complete');
  }

  private async closeNow(): Promise<void> {
    this.state = 'closed';
    this.core.draining = true;
    await this.closeListeners();
    const reason = new RpcxError(ErrorCode.Shutdown, 'server closed');
    for (const conn of [...this.conns.values()]) conn.destroy(reason);
    // A shutdown in progress stops waiting.
    release(this.idleWaiters);
    release(this.emptyWaiters);
    await this.registry.unregisterAll();
    await this.finish();
  }

  private async finish(): Promise<void> {
    this.state = 'closed';
    this.core.deadlines.clear();
    await this.registry.stop();
  }

  private async closeListeners(): Promise<void> {
    const listeners = this.listeners.splice(0);
    await Promise.all(listeners.map((listener) => listener.close()));
  }

  /** Resolves true once `done()` holds, false if `deadline` passes first. */
  private waitUntil(
    waiters: Array<() => void>,
    done: () => boolean,
    deadline: number,
  ): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(
        () => {
          const at = waiters.indexOf(wake);
          if (at >= 0) waiters.splice(at, 1);
          resolve(done());
        },
        Math.max(0, deadline - monotonicNow()),
      );
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      waiters.push(wake);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private stopping(): boolean {
    return this.state === 'draining' || this.state === 'closed';
  }

  private accept(socket: Socket, network: string): void {
    if (this.stopping()) {
      socket.destroy();
      return;
    }
    if (this.conns.size >= this.maxConnections) {
      const remote =
        socket.remoteAddress === undefined
          ? 'unix socket'
          : `${socket.remoteAddress}:${socket.remotePort}`;
      this.logger.warn(
        `rpcx: too many connections (max ${this.maxConnections}); closing ${remote}`,
        { remoteAddress: remote },
      );
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, network, this.host, this.settings);
    this.conns.set(conn.id, conn);
    if (this.plugins.postConnAccept.length === 0) {
      conn.accept();
    } else {
      void this.runAcceptHooks(conn);
    }
  }

  /** Go's `DoPostConnAccept`: the first `false` (or throw) closes the connection. */
  private async runAcceptHooks(conn: Connection): Promise<void> {
    let refusal: string | undefined;
    for (const plugin of this.plugins.postConnAccept) {
      try {
        let verdict = plugin.postConnAccept(conn);
        if (isThenable(verdict)) verdict = await verdict;
        if (verdict === false) {
          refusal = `refused by postConnAccept plugin ${plugin.name ?? '(unnamed)'}`;
          break;
        }
      } catch (error) {
        refusal = `refused by postConnAccept plugin ${plugin.name ?? '(unnamed)'}: ${errorMessage(error)}`;
        break;
      }
    }
    if (conn.closed) return;
    if (refusal !== undefined) {
      conn.destroy(new RpcxError(ErrorCode.Unavailable, refusal));
      return;
    }
    conn.accept();
  }

  private connectionClosed(conn: Connection, error: RpcxError | undefined): void {
    this.conns.delete(conn.id);
    const plugins = this.plugins;
    // Framing errors happen before a request exists; Go's PostReadRequest sees them too.
    if (
      conn.accepted &&
      error !== undefined &&
      (error.code === ErrorCode.Protocol || error.code === ErrorCode.MessageTooLarge) &&
      plugins.postReadRequest.length > 0
    ) {
      void runIgnoringErrors(this.core, 'postReadRequest', plugins.postReadRequest, (p) =>
        p.postReadRequest(conn, undefined, error),
      );
    }
    if (conn.accepted && plugins.postConnClose.length > 0) {
      void runIgnoringErrors(this.core, 'postConnClose', plugins.postConnClose, (p) =>
        p.postConnClose(conn),
      );
    }
    if (this.conns.size === 0) release(this.emptyWaiters);
  }

  private requestFinished(): void {
    this.inFlightCount--;
    if (this.inFlightCount === 0 && this.idleWaiters.length > 0) release(this.idleWaiters);
  }
}

function release(waiters: Array<() => void>): void {
  for (const wake of waiters.splice(0)) wake();
}

function closedError(): RpcxError {
  return new RpcxError(ErrorCode.Shutdown, 'rpcx: server closed');
}
