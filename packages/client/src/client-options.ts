/** Client configuration and its defaults (Go's `client.Option` / `DefaultOption`, spec §4.2). */
import type { ConnectionOptions } from 'node:tls';
import { CodecRegistry, jsonCodec, rawCodec } from '@rpcx/codecs';
import {
  Backoff,
  type BackoffOptions,
  type ClientPlugin,
  type Codec,
  type Compressor,
  CompressType,
  ErrorCode,
  type Logger,
  RpcxError,
  SerializeType,
  silentLogger,
  traceFromEnvironment,
} from '@rpcx/core';
import {
  CompressorRegistry,
  type FrameLimits,
  gzipCompressor,
  type ReadOptions,
  resolveLimits,
} from '@rpcx/protocol';
import { formatAddress, parseAddress } from '@rpcx/transport';
import { DEFAULT_HEARTBEAT_MAX_WAIT_MS, type HeartbeatOptions } from './heartbeat.js';
import type { ClientInterceptor } from './interceptor.js';
import { PluginAdapter } from './plugin-adapter.js';
import { DEFAULT_PUSH_BUFFER_SIZE } from './push-stream.js';

/** What configures a client's calls and connections, whichever servers it talks to. */
export interface ClientSettings {
  /**
   * Codec for requests, unless a call says otherwise. Default MsgPack (3), as Go's
   * `DefaultOption` — so a TS client talks to a Go server configured the usual way. The MsgPack
   * codec is loaded when first used: install `@msgpack/msgpack` to use it.
   */
  serializeType?: number;
  /** Request compression, used only for payloads over 1024 bytes (Go's rule). Default none. */
  compressType?: number;
  /**
   * Codecs on top of the built-in raw (0) and JSON (1); one for a type already present replaces
   * it. MsgPack (3) is loaded on first use when not given here; Protobuf needs
   * `createProtobufCodec()` from `@rpcx/codecs/protobuf`.
   */
  codecs?: readonly Codec[];
  /** Compressors on top of the built-in gzip (1). */
  compressors?: readonly Compressor[];
  /** TLS options; with them a `tcp@` address is dialled with TLS too, as in Go. */
  tls?: ConnectionOptions;
  /** Dial timeout (ms). Default 1000, Go's `ConnectTimeout`. */
  connectTimeoutMs?: number;
  /** TCP keep-alive probe delay (ms); 0 disables. Default 60 000, as Go. */
  keepAliveMs?: number;
  /**
   * Close the connection after this long without traffic (ms), failing pending calls, like Go's
   * `IdleTimeout`. Default 0: never.
   */
  idleTimeoutMs?: number;
  /**
   * Largest frame accepted (`maxFrameLength`, also enforced on requests, so an oversized request
   * fails with `MessageTooLarge` instead of getting the connection closed), largest payload
   * after decompression, most metadata pairs and bytes in a response. Defaults 64 MiB, 64 MiB,
   * 1024 pairs and 1 MiB (see `DEFAULT_LIMITS` of @rpcx/protocol).
   */
  limits?: Partial<FrameLimits>;
  /**
   * Where the client logs. Default: silent. The first logger configured in a process also gets
   * the debug lines of the tracers `RPCX_TRACE` names (see `enableTrace` of @rpcx/core).
   */
  logger?: Logger;
  /** Go-style plugins (spec §4.9): hooks around calls, connections and frames. */
  plugins?: readonly ClientPlugin[];
  /**
   * Interceptors around every call, first outermost; the plugins' `preCall`/`postCall` run
   * inside them, once per attempt. Each gets the next handler and returns one; see
   * `ClientInterceptor`.
   */
  interceptors?: readonly ClientInterceptor[];
  /** Heartbeats; off by default, as in Go. */
  heartbeat?: HeartbeatOptions;
  /** Backoff between failed dials. */
  reconnect?: ReconnectOptions;
  /** Default buffer size of `pushes()` streams. Default 1024. */
  pushBufferSize?: number;
  /** Sent as `__AUTH` with every call that does not bring its own (Go's `Auth(token)`). */
  authToken?: string;
  /**
   * Request metadata keys a call made with `{ context }` copies from the incoming call (trace
   * ids, tenant, ...). Default none.
   */
  propagateMetadata?: readonly string[];
}

/** Backoff between failed dials (defaults: 100 ms, doubling, at most 5 s, ±20 %). */
export type ReconnectOptions = BackoffOptions;

export interface ClientOptions extends ClientSettings {
  /** The server: `tcp@127.0.0.1:8972`, `tls@host:8973`, `unix@/run/rpcx.sock` (no `@` = tcp). */
  address: string;
}

/** Internal: the options resolved once, shared by the client and its connections. */
export interface ClientContext {
  /** The address as given, normalised (`tcp@127.0.0.1:8972`). */
  readonly address: string;
  readonly serializeType: number;
  readonly compressType: number;
  readonly codecs: CodecRegistry;
  readonly compressors: CompressorRegistry;
  readonly limits: FrameLimits;
  /** How incoming frames are read (compressors and limits). */
  readonly readOptions: ReadOptions;
  readonly logger: Logger;
  readonly plugins: PluginAdapter;
  /** The user's interceptors (the plugins' call hooks are added inside them by the call path). */
  readonly interceptors: readonly ClientInterceptor[];
  readonly authToken: string | undefined;
  readonly propagateMetadata: readonly string[];
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMaxWaitMs: number;
  readonly idleTimeoutMs: number;
  readonly pushBufferSize: number;
}

/** A `Client`'s server address, checked and normalised (`tcp@127.0.0.1:8972`). */
export function normalizeAddress(address: unknown): string {
  if (typeof address !== 'string') {
    throw new RpcxError(ErrorCode.InvalidArgument, 'new Client: `address` is required');
  }
  return formatAddress(parseAddress(address));
}

/**
 * Resolves the options once. `address` is the server of a `Client`; an XClient passes its
 * service path as a label and gives each server's connections a context of their own.
 */
export function resolveClientOptions(
  options: ClientSettings,
  address: string,
  owner: string,
): {
  context: ClientContext;
  backoff: Backoff;
} {
  if (options.authToken !== undefined && typeof options.authToken !== 'string') {
    throw new RpcxError(ErrorCode.InvalidArgument, `${owner}: authToken must be a string`);
  }
  const codecs = new CodecRegistry([rawCodec, jsonCodec, ...(options.codecs ?? [])]);
  const compressors = new CompressorRegistry([gzipCompressor, ...(options.compressors ?? [])]);
  const serializeType = options.serializeType ?? SerializeType.MsgPack;
  const compressType = options.compressType ?? CompressType.None;
  checkType('serializeType', serializeType, 15);
  compressors.check(compressType);
  const logger = options.logger ?? silentLogger;
  const heartbeat = options.heartbeat;
  if (heartbeat !== undefined && !(heartbeat.intervalMs > 0)) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `heartbeat.intervalMs must be > 0, got ${heartbeat.intervalMs}`,
    );
  }
  const limits = resolveLimits(options.limits);
  const plugins = new PluginAdapter(options.plugins ?? [], logger);
  // RPCX_TRACE's tracers write to the first logger an application configures.
  traceFromEnvironment(logger);
  return {
    context: {
      address,
      serializeType,
      compressType,
      codecs,
      compressors,
      limits,
      readOptions: { compressors, limits },
      logger,
      plugins,
      interceptors: options.interceptors ?? [],
      authToken: options.authToken,
      propagateMetadata: options.propagateMetadata ?? [],
      heartbeatIntervalMs: heartbeat?.intervalMs ?? 0,
      heartbeatMaxWaitMs: heartbeat?.maxWaitMs ?? DEFAULT_HEARTBEAT_MAX_WAIT_MS,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
      pushBufferSize: options.pushBufferSize ?? DEFAULT_PUSH_BUFFER_SIZE,
    },
    backoff: new Backoff(options.reconnect),
  };
}

function checkType(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `${name} must be an integer in 0..${max}, got ${String(value)}`,
    );
  }
}
