/**
 * The one error class of rpcx for TypeScript. Every failure a caller can see is an `RpcxError`
 * with a code from a closed set; fail modes decide on retries from the code alone.
 */

/** The closed set of error codes. */
export const ErrorCode = {
  /** The server answered with `__rpcx_error__` (handler threw, unknown service/method, ...). */
  ServiceError: 'service_error',
  /** No connection could be made or kept: refused, reset, EOF with calls pending. */
  Unavailable: 'unavailable',
  /** No server is known for the service (empty discovery, everything filtered out). */
  NoServer: 'no_server',
  /** The call's deadline passed. */
  Timeout: 'timeout',
  /** The caller aborted the call. */
  Canceled: 'canceled',
  /** This side is closed or the peer is draining for shutdown. */
  Shutdown: 'shutdown',
  /** The bytes on the wire are not a valid rpcx frame. */
  Protocol: 'protocol',
  /** A frame or a decompressed payload is over the configured limit. */
  MessageTooLarge: 'message_too_large',
  /** A payload could not be encoded or decoded, or no codec exists for its serialize type. */
  Codec: 'codec',
  /** Authentication failed. */
  Unauthenticated: 'unauthenticated',
  /** A rate limiter refused the call. */
  RateLimited: 'rate_limited',
  /** The circuit breaker for the chosen server is open. */
  CircuitOpen: 'circuit_open',
  /** The caller passed something unusable (bad address, bad option). */
  InvalidArgument: 'invalid_argument',
  /** A bug or an unexpected state inside rpcx. */
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The error text a draining server answers new requests with (Go drops them silently). Clients
 * read it as `Shutdown`, not as a service error, so fail modes try another server.
 */
export const SHUTTING_DOWN_TEXT = 'rpcx: server is shutting down';

/**
 * Go's `ErrReqReachLimit` text: what a rate-limited request is answered with (server) or fails
 * with (client-side limiters), exactly as Go's plugins word it.
 */
export const RATE_LIMIT_TEXT = 'request reached rate limit';

/** A rate limiter's refusal: code `RateLimited`, Go's text. */
export function rateLimited(): RpcxError {
  return new RpcxError(ErrorCode.RateLimited, RATE_LIMIT_TEXT);
}

const retryableCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Unavailable,
  ErrorCode.NoServer,
  ErrorCode.Shutdown,
  ErrorCode.Protocol,
  ErrorCode.CircuitOpen,
]);

/**
 * Whether another attempt (on the same or another server) may succeed. Like Go rpcx, a service
 * error, a timeout and a cancellation are never retried.
 */
export function isRetryable(code: ErrorCode): boolean {
  return retryableCodes.has(code);
}

// A registered symbol, so an RpcxError from another copy of this package is still recognised.
const brand = Symbol.for('@rpcx/core/RpcxError');

export interface RpcxErrorOptions {
  cause?: unknown;
  /** Response metadata that came with a service error. */
  metadata?: Readonly<Record<string, string>>;
}

export class RpcxError extends Error {
  readonly code: ErrorCode;
  readonly metadata: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, message: string, options: RpcxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RpcxError';
    this.code = code;
    this.metadata = options.metadata;
    Object.defineProperty(this, brand, { value: true });
  }

  get retryable(): boolean {
    return isRetryable(this.code);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

export function isRpcxError(value: unknown, code?: ErrorCode): value is RpcxError {
  return value instanceof RpcxError && (code === undefined || value.code === code);
}
