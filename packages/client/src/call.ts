/**
 * One call, from `client.call()` to its settlement: what interceptors see (`ClientCall`), the
 * request it frames (`FrameFields`: the frame writer reads the call itself, no Message per call),
 * and the pending entry its response settles. Every field is set in the constructor so all calls
 * share one hidden class; the call is its own deadline item, so it allocates no closures beyond
 * its promise's executor.
 */
import {
  type CallInfo,
  type CallOptions,
  type ConnectionInfo,
  type DeadlineEntry,
  ErrorCode,
  isErrorLike,
  type Metadata,
  monotonicNow,
  RpcxError,
} from '@rpcx/core';
import type { FrameFields, Message } from '@rpcx/protocol';
import type { CallWatch } from './call-watch.js';

/** What the caller gets back. */
export const CallKind = {
  /** The decoded reply (`call`). */
  Reply: 0,
  /** `{ reply, metadata }` (`invoke`). */
  Result: 1,
  /** Nothing: oneway, done once written (`send`). */
  Oneway: 2,
  /** A heartbeat: the echo is checked, nobody awaits it. */
  Heartbeat: 3,
} as const;
export type CallKind = (typeof CallKind)[keyof typeof CallKind];

/** The reply of `invoke`: the decoded reply and the response metadata. */
export interface CallResult<Reply = unknown> {
  reply: Reply;
  metadata: Metadata;
}

/** One call as interceptors see it; `args` may be replaced before the call goes on. */
export interface ClientCall extends CallInfo {
  readonly servicePath: string;
  readonly serviceMethod: string;
  args: unknown;
  readonly options: CallOptions;
  /**
   * The request metadata; a deadline travels beside it as `__ServerTimeout`. An interceptor may
   * send other metadata by assigning a new object (never change the one it got: it is the
   * caller's); the assignment holds for every later attempt of the call.
   */
  metadata: Readonly<Metadata>;
  /** The connection the call went out on, once it has. */
  readonly connection: ConnectionInfo | undefined;
}

/** Told how each attempt of a call ended (an XClient's pool: breaker and load feedback). */
export interface AttemptObserver {
  settled(call: Call, failure: RpcxError | undefined): void;
}

/** The side that holds a call's pending entry: told when the call ends early. */
export interface CallOwner {
  readonly info: ConnectionInfo;
  forget(call: Call): void;
}

const EMPTY = new Uint8Array(0);
const TWO_TO_32 = 0x1_0000_0000;
/** Metadata of a call that has none (frozen: nothing may add to it). */
export const NO_METADATA: Readonly<Metadata> = Object.freeze({});

export class Call implements ClientCall, FrameFields {
  // The request, as the frame writer reads it.
  readonly version = 0;
  /** Header byte 2: heartbeat, oneway and compress bits (never the response bit). */
  flags = 0;
  serializeType = 0;
  readonly reserved = 0;
  seqHigh = 0;
  seqLow = 0;
  metadata: Readonly<Metadata>;
  /** Time left of the deadline when sent (whole ms), written as `__ServerTimeout`. */
  serverTimeout: string | undefined = undefined;
  /** The serialized arguments; released once framed (a heartbeat keeps its payload). */
  payload: Uint8Array = EMPTY;

  /** Sequence number on the connection; -1 until the call is sent. */
  seq = -1;
  /** The framed request while it waits for the socket to drain. */
  frame: Buffer | undefined = undefined;
  /** The request as a Message, made only for plugins that look at it. */
  message: Message | undefined = undefined;
  done = true;
  /** XClient: the server key of the current attempt, once picked. */
  server: string | undefined = undefined;
  /** XClient: the attempt must go to this server (Failtry, fan-out), not to a selector's pick. */
  pinned: string | undefined = undefined;
  /** XClient: a server the selection should pass over if another is usable (a backup request). */
  avoid: string | undefined = undefined;
  /** XClient: a fan-out call (broadcast, fork, inform): never retried. */
  fanOut = false;
  /** XClient: when the current attempt was handed to its server (monotonic ms). */
  sentAt = 0;
  /** XClient: told when the current attempt settles. */
  observer: AttemptObserver | undefined = undefined;
  /** Attempts begun so far (1 during the first); a backup request counts on from its original. */
  attempts = 0;
  private resolve: (value: unknown) => void = noop;
  private reject: (error: RpcxError) => void = noop;
  private deadlineEntry: DeadlineEntry<Call> | undefined = undefined;
  private watchedSignal: AbortSignal | undefined = undefined;
  /**
   * The connection's view for the call (its addresses and a closure that drops the pending
   * entry), so nothing reachable from the call leads to the socket. A plain field, not `#owner`:
   * V8 defines a `#private` field by a slow runtime path whenever this constructor is not inlined
   * (measured: 14 % of the client's CPU on the XClient path).
   */
  private owner: CallOwner | undefined = undefined;

  constructor(
    readonly kind: CallKind,
    readonly servicePath: string,
    readonly serviceMethod: string,
    public args: unknown,
    readonly options: CallOptions,
    /** Monotonic deadline (ms), or Infinity. */
    readonly deadline: number,
    private readonly watch: CallWatch<Call>,
  ) {
    this.metadata = options.metadata ?? NO_METADATA;
  }

  /** Another call with the same request and deadline (a Failbackup backup request). */
  sibling(): Call {
    const sibling = new Call(
      this.kind,
      this.servicePath,
      this.serviceMethod,
      this.args,
      this.options,
      this.deadline,
      this.watch,
    );
    // What an interceptor put in place goes out with the backup request too.
    sibling.metadata = this.metadata;
    sibling.attempts = this.attempts;
    return sibling;
  }

  get connection(): ConnectionInfo | undefined {
    return this.owner?.info;
  }

  /** The call was sent on `owner`, which holds its pending entry. */
  sentOn(owner: CallOwner): void {
    this.owner = owner;
  }

  /**
   * Starts an attempt: a fresh promise, armed with the deadline and the abort signal — or
   * settled at once when the signal already aborted or the deadline already passed. An
   * interceptor that retries starts the same call again.
   */
  begin(): Promise<unknown> {
    if (!this.done) {
      return Promise.reject(
        new RpcxError(
          ErrorCode.InvalidArgument,
          `${this.describe()}: an interceptor may send a call again only after its last attempt settled`,
        ),
      );
    }
    this.done = false;
    this.attempts++;
    this.server = undefined;
    this.observer = undefined;
    this.seq = -1;
    this.owner = undefined;
    this.frame = undefined;
    this.message = undefined;
    const promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.abort(signal.reason);
      return promise;
    }
    if (this.deadline !== Number.POSITIVE_INFINITY) {
      if (this.deadline <= monotonicNow()) {
        this.expire();
        return promise;
      }
      this.deadlineEntry = this.watch.deadlines.add(this.deadline, this);
    }
    if (signal !== undefined) {
      this.watchedSignal = signal;
      this.watch.watchSignal(signal, this);
    }
    return promise;
  }

  /** Takes its seq on a connection. */
  setSeq(seq: number): void {
    this.seq = seq;
    this.seqHigh = seq > 0xffff_ffff ? Math.floor(seq / TWO_TO_32) : 0;
    this.seqLow = seq >>> 0;
  }

  /** Completes the call successfully (no-op when it already ended). */
  succeed(value: unknown): void {
    if (!this.finish()) return;
    this.observer?.settled(this, undefined);
    this.resolve(value);
  }

  /** Fails the call (no-op when it already ended). */
  fail(error: RpcxError): void {
    if (!this.finish()) return;
    this.observer?.settled(this, error);
    this.reject(error);
  }

  /** Fails the call as canceled; `reason` is the signal's. */
  abort(reason: unknown): void {
    if (this.done) return;
    this.fail(
      new RpcxError(ErrorCode.Canceled, `${this.describe()}: canceled`, {
        cause: isErrorLike(reason) ? reason : undefined,
      }),
    );
  }

  /** The deadline passed (called by the deadline queue). */
  expire(): void {
    this.deadlineEntry = undefined;
    this.fail(new RpcxError(ErrorCode.Timeout, `${this.describe()}: deadline exceeded`));
  }

  describe(): string {
    if (this.kind === CallKind.Heartbeat) return 'heartbeat';
    return `${this.servicePath}.${this.serviceMethod}`;
  }

  /** Marks the call done and lets go of everything it holds; false if it was done already. */
  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.deadlineEntry !== undefined) {
      this.watch.deadlines.cancel(this.deadlineEntry);
      this.deadlineEntry = undefined;
    }
    if (this.watchedSignal !== undefined) {
      this.watch.unwatchSignal(this.watchedSignal, this);
      this.watchedSignal = undefined;
    }
    this.owner?.forget(this);
    this.frame = undefined;
    return true;
  }
}

function noop(): void {}
