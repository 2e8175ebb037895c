/**
 * Fail modes (spec §4.5) as one interceptor of the XClient's call path: it decides whether and
 * where a failed attempt goes again; selection happens per attempt at the end of the chain.
 * Only retryable errors are retried (`isRetryable`: network, no server, breaker open) — never
 * a service error, a timeout or a cancellation — and each retry is taken from the retry budget.
 * Each retry and backup request is published on `diagnostics.ClientRetry` while someone listens.
 */
import {
  asError,
  asRpcxError,
  type ClientRetryMessage,
  diagnostics,
  ErrorCode,
  isRetryable,
  type RpcxError,
} from '@rpcx/core';
import { Call } from './call.js';
import type { CallHandler, ClientInterceptor } from './interceptor.js';
import type { RetryBudget } from './retry-budget.js';

/** Go's `FailMode` values. */
export const FailMode = {
  /** On a retryable error, select again (possibly the same server) up to `retries` times. */
  Failover: 0,
  /** One attempt; its error is the call's. */
  Failfast: 1,
  /** On a retryable error, try the same server again up to `retries` times. */
  Failtry: 2,
  /** After `backupLatencyMs` without an answer, send a backup request; the first to finish wins. */
  Failbackup: 3,
} as const;
export type FailMode = (typeof FailMode)[keyof typeof FailMode];

export interface FailModeSettings {
  readonly failMode: FailMode;
  readonly retries: number;
  readonly retryIntervalMs: number;
  readonly backupLatencyMs: number;
  readonly budget: RetryBudget | undefined;
}

export function failModeInterceptor(settings: FailModeSettings): ClientInterceptor {
  return (next) => {
    const attempt = (call: Call) => next(call);
    switch (settings.failMode) {
      case FailMode.Failfast:
        return guard(next, (call) => {
          settings.budget?.deposit();
          return attempt(call);
        });
      case FailMode.Failbackup:
        return guard(next, (call) => {
          settings.budget?.deposit();
          return withBackup(call, attempt, settings.backupLatencyMs);
        });
      default:
        return guard(next, (call) =>
          withRetries(call, attempt, settings, settings.failMode === FailMode.Failtry),
        );
    }
  };
}

/** Calls an XClient made get the fail mode; others (fan-out, foreign objects) pass through. */
function guard(next: CallHandler, handle: (call: Call) => Promise<unknown>): CallHandler {
  return (call) => (call instanceof Call && !call.fanOut ? handle(call) : next(call));
}

/**
 * Failover and Failtry. Written with `then` rather than `async`/`await`: a call that succeeds
 * first time (nearly all) costs one promise here, nothing more.
 */
function withRetries(
  call: Call,
  attempt: (call: Call) => Promise<unknown>,
  settings: FailModeSettings,
  sameServer: boolean,
): Promise<unknown> {
  settings.budget?.deposit();
  const retry = (error: unknown, tries: number): Promise<unknown> => {
    if (tries > settings.retries || !isRetryable(asRpcxError(error, ErrorCode.Internal).code)) {
      return Promise.reject(error);
    }
    if (settings.budget !== undefined && !settings.budget.tryRetry()) return Promise.reject(error);
    if (diagnostics.ClientRetry.hasSubscribers) publishRetry(call, asError(error));
    if (sameServer) call.pinned = call.server ?? call.pinned;
    const again = () => attempt(call).catch((next: unknown) => retry(next, tries + 1));
    return settings.retryIntervalMs > 0 ? sleep(settings.retryIntervalMs).then(again) : again();
  };
  return attempt(call).catch((error: unknown) => retry(error, 1));
}

/** Failbackup: the first attempt, and after `latencyMs` a second; the first to finish wins. */
function withBackup(
  call: Call,
  attempt: (call: Call) => Promise<unknown>,
  latencyMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let backup: Call | undefined;
    let finished = false;
    const finish = (loser: Call | undefined, ok: boolean, value: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      // The loser's answer is no longer wanted: stop waiting for it.
      loser?.abort(undefined);
      if (ok) resolve(value);
      else reject(value);
    };
    attempt(call).then(
      (value) => finish(backup, true, value),
      (error: RpcxError) => finish(backup, false, error),
    );
    const timer = setTimeout(() => {
      if (finished) return;
      if (diagnostics.ClientRetry.hasSubscribers) publishRetry(call, undefined);
      const second = call.sibling();
      // A backup to the server that has not answered would wait on the same thing.
      second.avoid = call.server;
      backup = second;
      attempt(second).then(
        (value) => finish(call, true, value),
        (error: RpcxError) => finish(call, false, error),
      );
    }, latencyMs);
  });
}

/** The attempt of `call` that just failed (or has not answered) is followed by another. */
function publishRetry(call: Call, error: Error | undefined): void {
  const message: ClientRetryMessage = {
    servicePath: call.servicePath,
    serviceMethod: call.serviceMethod,
    serverAddress: call.server,
    attempt: call.attempts,
    error,
  };
  diagnostics.ClientRetry.publish(message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
