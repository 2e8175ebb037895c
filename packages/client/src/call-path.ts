/**
 * The one call path of a client, shared by `Client` and `XClient`: `start` turns the caller's
 * arguments into a `Call` and runs it down the interceptor chain; the chain ends in `sendCall`,
 * which serializes the arguments and hands the call to a route — the one connection of a
 * `Client`, or the server an `XClient` picks for this attempt. Fail modes, breakers and
 * selection are layers of this chain, not a second path beside it. While someone listens, each
 * call run here is published on the `ClientCall…` diagnostics channels.
 */
import { isOptionalCodec } from '@rpcx/codecs';
import {
  asError,
  asRpcxError,
  type CallOptions,
  type ClientCallMessage,
  type Codec,
  chainInterceptors,
  diagnostics,
  ErrorCode,
  type Metadata,
  MetadataKey,
  monotonicNow,
  type ParentContext,
  RpcxError,
} from '@rpcx/core';
import { compressTypeFor, HeaderFlag, withCompressType } from '@rpcx/protocol';
import { Call, CallKind } from './call.js';
import { CallWatch } from './call-watch.js';
import type { ClientContext } from './client-options.js';
import type { CallHandler, ClientInterceptor } from './interceptor.js';

/** Sends a serialized call on (or fails it): the last step of the path. */
export type CallRoute = (call: Call) => void;

const NO_OPTIONS: CallOptions = Object.freeze({});

export class CallPath {
  readonly watch = new CallWatch<Call>();
  /** The chain: interceptors, then `sendCall`. */
  private readonly handle: CallHandler;
  private shutdownError: RpcxError | undefined = undefined;

  constructor(
    private readonly ctx: ClientContext,
    /** Interceptors between the user's and the plugins' (an XClient's fail mode). */
    inner: readonly ClientInterceptor[],
    private readonly route: CallRoute,
    /** The one server of a `Client` (an XClient's calls say where each attempt went). */
    private readonly server?: string,
  ) {
    const interceptors = [...ctx.interceptors, ...inner];
    if (ctx.plugins.interceptor !== undefined) interceptors.push(ctx.plugins.interceptor);
    this.handle = chainInterceptors(interceptors, this.sendCall);
  }

  /** Whether `shutdown` was called. */
  get closed(): boolean {
    return this.shutdownError !== undefined;
  }

  /** Why calls are refused: the reason given to `shutdown`, if it was called. */
  get closeReason(): RpcxError | undefined {
    return this.shutdownError;
  }

  /** Every later call (and attempt) fails with `reason`. */
  shutdown(reason: RpcxError): void {
    this.shutdownError ??= reason;
    this.watch.clear();
  }

  /** Starts a call: checks its options, then runs it down the chain. */
  start(
    kind: CallKind,
    servicePath: string,
    serviceMethod: string,
    args: unknown,
    options: CallOptions = NO_OPTIONS,
  ): Promise<unknown> {
    const call = this.create(kind, servicePath, serviceMethod, args, options);
    if (call instanceof RpcxError) return Promise.reject(call);
    return this.run(call);
  }

  /** Makes the call object of a call, or the error that refuses it. */
  create(
    kind: CallKind,
    servicePath: string,
    serviceMethod: string,
    args: unknown,
    options: CallOptions = NO_OPTIONS,
  ): Call | RpcxError {
    if (this.shutdownError !== undefined) return this.shutdownError;
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
      return new RpcxError(
        ErrorCode.InvalidArgument,
        `timeoutMs must be a number, got ${timeoutMs}`,
      );
    }
    // Infinity (like undefined) means no deadline.
    let deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : monotonicNow() + timeoutMs;
    let effective = options;
    const parent = options.context;
    if (parent !== undefined) {
      if (parent.deadline !== undefined) {
        deadline = Math.min(deadline, monotonicNow() + (parent.deadline - Date.now()));
      }
      effective = this.inherit(options, parent);
    } else if (this.ctx.authToken !== undefined) {
      effective = this.withAuth(options, options.metadata);
    }
    return new Call(kind, servicePath, serviceMethod, args, effective, deadline, this.watch);
  }

  /** Runs a call down the chain. */
  run(call: Call): Promise<unknown> {
    if (
      diagnostics.ClientCallStart.hasSubscribers ||
      diagnostics.ClientCallEnd.hasSubscribers ||
      diagnostics.ClientCallError.hasSubscribers
    ) {
      return this.runObserved(call);
    }
    try {
      return this.handle(call);
    } catch (error) {
      // An interceptor that throws instead of rejecting: the caller still gets a promise.
      return Promise.reject(error);
    }
  }

  /** `run`, with the call published on start and on its end or error (one message object). */
  private runObserved(call: Call): Promise<unknown> {
    const message: ClientCallMessage = {
      servicePath: call.servicePath,
      serviceMethod: call.serviceMethod,
      metadata: call.metadata,
      startTime: monotonicNow(),
      serverAddress: this.server,
      durationMs: undefined,
      error: undefined,
    };
    if (diagnostics.ClientCallStart.hasSubscribers) diagnostics.ClientCallStart.publish(message);
    let result: Promise<unknown>;
    try {
      result = this.handle(call);
    } catch (error) {
      result = Promise.reject(error);
    }
    return result.then(
      (value) => {
        message.serverAddress = call.server ?? this.server;
        message.durationMs = monotonicNow() - message.startTime;
        if (diagnostics.ClientCallEnd.hasSubscribers) diagnostics.ClientCallEnd.publish(message);
        return value;
      },
      (error: unknown) => {
        message.serverAddress = call.server ?? this.server;
        message.durationMs = monotonicNow() - message.startTime;
        message.error = asError(error);
        if (diagnostics.ClientCallError.hasSubscribers)
          diagnostics.ClientCallError.publish(message);
        throw error;
      },
    );
  }

  /**
   * The options of a call made for `parent`: its signal joins the call's, and the metadata keys
   * the client propagates come along (the call's own keys win).
   */
  private inherit(options: CallOptions, parent: ParentContext): CallOptions {
    let metadata = options.metadata;
    const keys = this.ctx.propagateMetadata;
    const from = parent.metadata;
    if (keys.length > 0 && from !== undefined) {
      let merged: Metadata | undefined;
      for (const key of keys) {
        const value = from[key];
        if (value === undefined || metadata?.[key] !== undefined) continue;
        merged ??= { ...metadata };
        merged[key] = value;
      }
      if (merged !== undefined) metadata = merged;
    }
    const parentSignal = parent.signal;
    const signal =
      parentSignal === undefined
        ? options.signal
        : options.signal === undefined
          ? parentSignal
          : AbortSignal.any([options.signal, parentSignal]);
    return this.withAuth({ ...options, signal, metadata }, metadata);
  }

  /** Adds the client's auth token as `__AUTH`, unless the call brings its own. */
  private withAuth(options: CallOptions, metadata: Metadata | undefined): CallOptions {
    const token = this.ctx.authToken;
    if (token === undefined || metadata?.[MetadataKey.Auth] !== undefined) return options;
    return { ...options, metadata: { ...metadata, [MetadataKey.Auth]: token } };
  }

  /** The end of the chain: serialize the arguments, then route the call. */
  private readonly sendCall: CallHandler = (given) => {
    if (!(given instanceof Call)) {
      return Promise.reject(
        new RpcxError(
          ErrorCode.InvalidArgument,
          'an interceptor must pass on the call it was given, not another object',
        ),
      );
    }
    const call = given;
    const promise = call.begin();
    if (call.done) return promise; // aborted or expired before it started
    if (this.shutdownError !== undefined) {
      call.fail(this.shutdownError);
      return promise;
    }
    const serializeType = call.options.serializeType ?? this.ctx.serializeType;
    const codec = this.ctx.codecs.get(serializeType);
    if (codec !== undefined) {
      this.serializeAndRoute(call, codec, serializeType);
    } else if (isOptionalCodec(serializeType)) {
      // MsgPack or Protobuf, used for the first time: loaded once, then on the path above.
      this.ctx.codecs.load(serializeType).then(
        (loaded) => {
          if (!call.done) this.serializeAndRoute(call, loaded, serializeType);
        },
        (error: unknown) => call.fail(asRpcxError(error, ErrorCode.Codec)),
      );
    } else {
      call.fail(
        new RpcxError(
          ErrorCode.Codec,
          `${call.describe()}: unsupported codec: no codec for serialize type ${serializeType}`,
        ),
      );
    }
    return promise;
  };

  private serializeAndRoute(call: Call, codec: Codec, serializeType: number): void {
    try {
      // Checked first, so a bad type fails small payloads too, not only compressed ones.
      const compressType = this.ctx.compressors.check(
        call.options.compressType ?? this.ctx.compressType,
      );
      const payload = codec.encode(call.args, call.options.argsType);
      const flags = call.kind === CallKind.Oneway ? HeaderFlag.Oneway : 0;
      call.flags = withCompressType(flags, compressTypeFor(payload.length, compressType));
      call.serializeType = serializeType;
      call.payload = payload;
    } catch (error) {
      call.fail(asRpcxError(error, ErrorCode.Codec));
      return;
    }
    this.route(call);
  }
}
