/**
 * Internal: one call in flight. Every field is set in the constructor so all calls share one
 * hidden class; the object is its own deadline item, so a call allocates no closures beyond its
 * promise's executor. Deadlines of every client live in one DeadlineQueue (one timer for the
 * process), never a `setTimeout` per call; abort signals get one listener each however many
 * calls share them (no per-call listener, no MaxListeners warning for a shared signal).
 */
import { type DeadlineEntry, DeadlineQueue, ErrorCode, type Metadata, RpcxError } from '@rpcx/core';
import type { Message } from '@rpcx/protocol';
import { isErrorLike } from './errors.js';
import type { RequestFields } from './request-encoder.js';

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

/** The side that owns a call's seq entry: removes it when the call ends early. */
export interface CallOwner {
  forget(call: PendingCall): void;
}

const EMPTY = new Uint8Array(0);

export class PendingCall implements RequestFields {
  /** Sequence number on the connection; -1 until the call is given one. */
  seq = -1;
  /** The request (see RequestFields); payload and metadata are released once framed. */
  flags = 0;
  serializeType = 0;
  metadata: Metadata | undefined = undefined;
  payload: Uint8Array = EMPTY;
  /** The connection the call was sent on, once it is. */
  owner: CallOwner | undefined = undefined;
  /** The encoded frame while it waits for the socket to drain. */
  frame: Buffer | undefined = undefined;
  /** The request as a Message, only when plugins need one. */
  message: Message | undefined = undefined;
  done = false;
  resolve: (value: unknown) => void = noop;
  reject: (error: RpcxError) => void = noop;
  private deadlineEntry: DeadlineEntry<PendingCall> | undefined = undefined;
  private signal: AbortSignal | undefined = undefined;

  constructor(
    readonly kind: CallKind,
    readonly servicePath: string,
    readonly serviceMethod: string,
    readonly replyType: unknown,
    /** Monotonic deadline (ms), or Infinity. */
    readonly deadline: number,
  ) {}

  /** The promise the caller awaits; call once, before `watch`. */
  promise<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.resolve = resolve as (value: unknown) => void;
      this.reject = reject;
    });
  }

  /** Arms the deadline and the abort signal. */
  watch(signal: AbortSignal | undefined): void {
    if (this.deadline !== Number.POSITIVE_INFINITY) {
      this.deadlineEntry = deadlines.add(this.deadline, this);
    }
    if (signal !== undefined) {
      this.signal = signal;
      watchSignal(signal, this);
    }
  }

  /** Completes the call successfully (no-op when it already ended). */
  succeed(value: unknown): void {
    if (this.finish()) this.resolve(value);
  }

  /** Fails the call (no-op when it already ended). */
  fail(error: RpcxError): void {
    if (this.finish()) this.reject(error);
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

  /** Called by the deadline queue. */
  expire(): void {
    this.deadlineEntry = undefined;
    this.fail(new RpcxError(ErrorCode.Timeout, `${this.describe()}: deadline exceeded`));
  }

  describe(): string {
    if (this.kind === CallKind.Heartbeat) return 'heartbeat';
    return `${this.servicePath}.${this.serviceMethod}`;
  }

  /** Marks the call done and releases everything it holds; false if it was done already. */
  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.deadlineEntry !== undefined) {
      deadlines.cancel(this.deadlineEntry);
      this.deadlineEntry = undefined;
    }
    if (this.signal !== undefined) {
      signalWatchers.get(this.signal)?.delete(this);
      this.signal = undefined;
    }
    this.owner?.forget(this);
    this.frame = undefined;
    return true;
  }
}

function noop(): void {}

/** One queue, one timer, for every call of every client in the process. */
const deadlines = new DeadlineQueue<PendingCall>((call) => call.expire());

/** The calls watching each signal; the signal's one listener aborts them all. */
const signalWatchers = new WeakMap<AbortSignal, Set<PendingCall>>();

function watchSignal(signal: AbortSignal, call: PendingCall): void {
  let calls = signalWatchers.get(signal);
  if (calls === undefined) {
    const watching = new Set<PendingCall>();
    calls = watching;
    signalWatchers.set(signal, watching);
    signal.addEventListener(
      'abort',
      () => {
        signalWatchers.delete(signal);
        for (const watcher of watching) watcher.abort(signal.reason);
        watching.clear();
      },
      { once: true },
    );
  }
  calls.add(call);
}
