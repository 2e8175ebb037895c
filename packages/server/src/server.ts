/**
 * The rpcx server (spec §3): registration, listeners, plugins, server push and shutdown, wired
 * together. The parts do the work: `Acceptor` (connections), `RequestPipeline` (one request),
 * `ServerPush`, `ServerLifecycle` (shutdown) and `RegistryAnnouncer` (registries).
 */
import type { TlsOptions } from 'node:tls';
import { createCodecRegistry } from '@rpcx/codecs';
import {
  type Codec,
  type Compressor,
  type ConnectionInfo,
  ErrorCode,
  type Logger,
  type Metadata,
  type RegistryPlugin,
  RpcxError,
  type ServerPlugin,
  silentLogger,
  traceFromEnvironment,
  WarningLimiter,
} from '@rpcx/core';
import {
  CompressorRegistry,
  type FrameLimits,
  gzipCompressor,
  MAX_UINT32,
  resolveLimits,
} from '@rpcx/protocol';
import { type Listener, listen, parseAddress, type TransportSocket } from '@rpcx/transport';
import { Acceptor } from './acceptor.js';
import { registrationError } from './errors.js';
import type { ServerInterceptor } from './interceptor.js';
import { ServerLifecycle } from './lifecycle.js';
import { PluginAdapter } from './plugin-adapter.js';
import { isRegistryPlugin, RegistryAnnouncer } from './registry-announcer.js';
import { RequestPipeline } from './request-pipeline.js';
import { ServerPush } from './server-push.js';
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
  /**
   * Where the server says what happened (bad input, closed connections, plugin failures). The
   * first logger configured in a process also gets the debug lines of the tracers `RPCX_TRACE`
   * names (see `enableTrace` of @rpcx/core).
   */
  logger?: Logger;
  /**
   * Codecs besides the built-in raw (0) and JSON (1), e.g. `createProtobufCodec({ ... })`; one
   * with the serialize type of a built-in replaces it. MsgPack (3, Go's default) is loaded when
   * a request first uses it, if `@msgpack/msgpack` is installed.
   */
  codecs?: readonly Codec[];
  /** Compressors besides gzip (1). */
  compressors?: readonly Compressor[];
  /** Server plugins and registry plugins, in order (same as calling `addPlugin` for each). */
  plugins?: readonly (ServerPlugin | RegistryPlugin)[];
  /**
   * Checks every request's `__AUTH` token and/or its connection's verified client certificate
   * (Go's `AuthFunc`); what it returns is the call's `principal` (`ctx.principal`).
   */
  auth?: AuthFunction;
  /**
   * Interceptors around every call, first outermost (inside auth and the plugins' call hooks).
   * Each gets the next handler and returns one; see `ServerInterceptor`.
   */
  interceptors?: readonly ServerInterceptor[];
  /** Replaces the text sent in `__rpcx_error__` (Go's `ServerErrorFunc`). */
  errorText?: ErrorTextFunction;
  /** Told about every failed call (Go's `HandleServiceError`); without it, failures are logged. */
  onServiceError?: ServiceErrorHandler;
  /**
   * Largest accepted frame (wire size), decompressed payload, metadata pairs and metadata bytes
   * per request; defaults 64 MiB, 64 MiB, 1024 and 1 MiB (`DEFAULT_LIMITS` of @rpcx/protocol).
   * A frame over a limit closes its connection, with a clear error in the log.
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
  /** Serve TLS (required for `tls@` addresses; turns `tcp@` into TLS too; not `inprocess@`). */
  tls?: TlsOptions;
  backlog?: number;
}

export interface ShutdownOptions {
  /** How long in-flight calls may take before connections are closed anyway. Default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_IN_FLIGHT = 1024;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

export class Server implements ServerHandle {
  private readonly logger: Logger;
  /** Per-connection warnings, rate-limited: a flood of bad connections costs a few lines. */
  private readonly warnings: WarningLimiter;
  private readonly services = new ServiceTable();
  private readonly plugins: PluginAdapter;
  private readonly registry: RegistryAnnouncer;
  private readonly pipeline: RequestPipeline;
  private readonly acceptor: Acceptor;
  private readonly push: ServerPush;
  private readonly lifecycle: ServerLifecycle;
  private readonly listeners: Listener[] = [];

  constructor(options: ServerOptions = {}) {
    const logger = options.logger ?? silentLogger;
    this.logger = logger;
    const warnings = new WarningLimiter(logger);
    this.warnings = warnings;
    this.plugins = new PluginAdapter(logger);
    this.registry = new RegistryAnnouncer(logger, () => this.addresses());
    const compressors = new CompressorRegistry([gzipCompressor, ...(options.compressors ?? [])]);
    const limits: FrameLimits = resolveLimits(options.limits);
    this.pipeline = new RequestPipeline(
      {
        handle: this,
        services: this.services,
        codecs: createCodecRegistry(...(options.codecs ?? [])),
        compressors,
        readOptions: { compressors, limits },
        plugins: this.plugins,
        logger,
        warnings,
        auth: options.auth,
        interceptors: options.interceptors ?? [],
        errorText: options.errorText,
        onServiceError: options.onServiceError,
      },
      () => this.lifecycle.requestFinished(),
    );
    this.acceptor = new Acceptor(
      {
        limits,
        writer: { compressors, maxFrameLength: MAX_UINT32 },
        idleTimeoutMs: options.idleTimeoutMs ?? 0,
        frameTimeoutMs: options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS,
        maxInFlight: Math.max(1, options.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT),
      },
      this.plugins,
      this.pipeline,
      warnings,
      options.maxConnections ?? Number.POSITIVE_INFINITY,
      () => this.lifecycle.requestStarted(),
    );
    this.push = new ServerPush(this.acceptor, this.plugins);
    this.lifecycle = new ServerLifecycle({
      logger,
      acceptor: this.acceptor,
      pipeline: this.pipeline,
      registry: this.registry,
      closeListeners: () => this.closeListeners(),
    });
    for (const plugin of options.plugins ?? []) this.addPlugin(plugin);
    // RPCX_TRACE's tracers write to the first logger an application configures.
    traceFromEnvironment(logger);
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
    this.pipeline.rebuild();
    if (isRegistryPlugin(plugin)) this.registry.add(plugin);
  }

  /** Removes a plugin; a registry plugin is not told (call its `stop` yourself). */
  removePlugin(plugin: ServerPlugin | RegistryPlugin): void {
    this.plugins.remove(plugin as ServerPlugin);
    this.pipeline.rebuild();
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
   * `unix@/path`, or `inprocess@name`: clients of this process, no socket) and resolves with the
   * bound address (the real port when 0 was asked for). May be called several times. The first
   * call starts the registry plugins and registers the services registered so far.
   */
  async listen(address: string, options: ServerListenOptions = {}): Promise<string> {
    if (this.lifecycle.stopping) throw closedError();
    const parsed = parseAddress(address);
    const network =
      parsed.network === 'unix' || parsed.network === 'inprocess'
        ? parsed.network
        : parsed.network === 'tls' || options.tls !== undefined
          ? 'tls'
          : 'tcp';
    const listener = await listen(parsed, (socket) => this.accept(socket, network), {
      tls: options.tls,
      backlog: options.backlog,
      onHandshakeError: (error) => this.warnings.info(`rpcx: ${error.message}`, { address }),
    });
    if (this.lifecycle.stopping) {
      await listener.close();
      throw closedError();
    }
    this.listeners.push(listener);
    this.lifecycle.serving();
    this.logger.info(`rpcx: server listening on ${listener.address}`);
    await this.registry.start();
    return listener.address;
  }

  private accept(socket: TransportSocket, network: string): void {
    if (this.lifecycle.stopping) socket.destroy();
    else this.acceptor.accept(socket, network);
  }

  /** The bound addresses of the listeners. */
  addresses(): string[] {
    return this.listeners.map((listener) => listener.address);
  }

  connections(): ServerConnection[] {
    return this.acceptor.open().map((conn) => conn.view);
  }

  /** Requests being handled now, over all connections. */
  get inFlight(): number {
    return this.lifecycle.inFlight;
  }

  /**
   * Pushes a message to a client (Go's `SendMessage`, spec §1.15); see `ServerHandle`.
   */
  sendMessage(
    connection: ConnectionInfo,
    servicePath: string,
    serviceMethod: string,
    data: Uint8Array,
    metadata?: Metadata,
  ): Promise<void> {
    return this.push.send(connection, servicePath, serviceMethod, data, metadata);
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
    return this.lifecycle.shutdown(options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
  }

  /** Closes at once: listeners, every connection (in-flight calls lose their response), registries. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private async closeListeners(): Promise<void> {
    const listeners = this.listeners.splice(0);
    await Promise.all(listeners.map((listener) => listener.close()));
  }
}

function closedError(): RpcxError {
  return new RpcxError(ErrorCode.Shutdown, 'rpcx: server closed');
}
