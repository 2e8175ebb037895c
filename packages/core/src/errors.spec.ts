import { ErrorCode, isRetryable, isRpcxError, RpcxError } from './errors.js';

describe('RpcxError', () => {
  it('carries a code, a message, a cause and service metadata', () => {
    const cause = new Error('socket hang up');
    const err = new RpcxError(ErrorCode.ServiceError, 'boom', {
      cause,
      metadata: { __rpcx_error__: 'boom' },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('RpcxError');
    expect(err.code).toBe('service_error');
    expect(err.message).toBe('boom');
    expect(err.cause).toBe(cause);
    expect(err.metadata).toEqual({ __rpcx_error__: 'boom' });
  });

  it('is recognised across copies of the package by its registered brand', () => {
    const foreign = new Error('from another copy');
    Object.defineProperty(foreign, Symbol.for('@rpcx/core/RpcxError'), { value: true });
    expect(foreign instanceof RpcxError).toBe(true);
    expect(new Error('plain') instanceof RpcxError).toBe(false);
    expect(isRpcxError(null)).toBe(false);
  });

  it('matches a code when asked', () => {
    const err = new RpcxError(ErrorCode.Timeout, 'late');
    expect(isRpcxError(err, ErrorCode.Timeout)).toBe(true);
    expect(isRpcxError(err, ErrorCode.Canceled)).toBe(false);
  });
});

describe('isRetryable', () => {
  it('never retries service errors, timeouts or cancellation, like Go rpcx', () => {
    expect(isRetryable(ErrorCode.ServiceError)).toBe(false);
    expect(isRetryable(ErrorCode.Timeout)).toBe(false);
    expect(isRetryable(ErrorCode.Canceled)).toBe(false);
    expect(isRetryable(ErrorCode.Unauthenticated)).toBe(false);
  });

  it('retries connection-level failures', () => {
    expect(isRetryable(ErrorCode.Unavailable)).toBe(true);
    expect(isRetryable(ErrorCode.NoServer)).toBe(true);
    expect(isRetryable(ErrorCode.CircuitOpen)).toBe(true);
    expect(new RpcxError(ErrorCode.Protocol, 'bad magic').retryable).toBe(true);
  });
});
