import { runInNewContext } from 'node:vm';
import { ErrorCode, isRpcxError, RpcxError } from './errors.js';
import { asError, asRpcxError, isErrorLike, messageOf } from './thrown.js';

/** An Error made in another realm: `instanceof Error` is false for it here. */
const foreignError = () => runInNewContext('new Error("x")') as Error;
/** An object whose conversion to a string throws. */
const unprintable = () => ({
  toString() {
    throw new Error('no string for you');
  },
});

describe('messageOf', () => {
  it('takes the message of Errors of any realm', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf(new TypeError('bad type'))).toBe('bad type');
    const foreign = foreignError();
    expect(foreign instanceof Error).toBe(false);
    expect(messageOf(foreign)).toBe('x');
    expect(messageOf(new RpcxError(ErrorCode.Timeout, 'too slow'))).toBe('too slow');
    expect(messageOf(new Error(''))).toBe('');
  });

  it('takes strings as they are and anything else through String()', () => {
    expect(messageOf('plain text')).toBe('plain text');
    expect(messageOf('')).toBe('');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(undefined)).toBe('undefined');
    expect(messageOf(null)).toBe('null');
    expect(messageOf(10n)).toBe('10');
    expect(messageOf(Symbol('s'))).toBe('Symbol(s)');
    expect(messageOf({ toString: () => 'custom' })).toBe('custom');
    expect(messageOf({ message: 'error-like' })).toBe('error-like');
    expect(messageOf({ message: 7 })).toBe('[object Object]');
  });

  it('never throws, even when the value cannot be printed', () => {
    expect(messageOf(unprintable())).toBe('unknown error');
    expect(messageOf(Object.create(null))).toBe('unknown error');
  });
});

describe('isErrorLike', () => {
  it('is true for anything with a string message, whatever its realm', () => {
    expect(isErrorLike(new Error('a'))).toBe(true);
    expect(isErrorLike(foreignError())).toBe(true);
    expect(isErrorLike(new RpcxError(ErrorCode.Internal, 'b'))).toBe(true);
    expect(isErrorLike({ message: '' })).toBe(true);
  });

  it('is false for everything else', () => {
    expect(isErrorLike('boom')).toBe(false);
    expect(isErrorLike(null)).toBe(false);
    expect(isErrorLike(undefined)).toBe(false);
    expect(isErrorLike(42)).toBe(false);
    expect(isErrorLike({})).toBe(false);
    expect(isErrorLike({ message: 42 })).toBe(false);
    expect(isErrorLike(unprintable())).toBe(false);
    // A function with a message property is not an object.
    expect(isErrorLike(Object.assign(() => {}, { message: 'fn' }))).toBe(false);
  });
});

describe('asError', () => {
  it('returns Errors (any realm) themselves', () => {
    const local = new Error('local');
    expect(asError(local)).toBe(local);
    const foreign = foreignError();
    expect(asError(foreign)).toBe(foreign);
    const rpcx = new RpcxError(ErrorCode.Codec, 'bad bytes');
    expect(asError(rpcx)).toBe(rpcx);
  });

  it('wraps anything else in an Error carrying its text', () => {
    const fromString = asError('just a string');
    expect(fromString).toBeInstanceOf(Error);
    expect(fromString.message).toBe('just a string');
    expect(asError(404).message).toBe('404');
    expect(asError(undefined).message).toBe('undefined');
    const fromUnprintable = asError(unprintable());
    expect(fromUnprintable).toBeInstanceOf(Error);
    expect(fromUnprintable.message).toBe('unknown error');
  });
});

describe('asRpcxError', () => {
  it('passes an RpcxError through unchanged, its code kept', () => {
    const original = new RpcxError(ErrorCode.Timeout, 'deadline passed');
    const result = asRpcxError(original, ErrorCode.Internal);
    expect(result).toBe(original);
    expect(result.code).toBe(ErrorCode.Timeout);
  });

  it('recognises an RpcxError from another copy of the package by its brand', () => {
    const foreign = foreignError();
    Object.defineProperty(foreign, Symbol.for('@rpcx/core/RpcxError'), { value: true });
    (foreign as unknown as { code: string }).code = ErrorCode.Unavailable;
    expect(asRpcxError(foreign, ErrorCode.Internal)).toBe(foreign);
  });

  it('wraps an Error of another realm with the given code, the original as cause', () => {
    const foreign = foreignError();
    const result = asRpcxError(foreign, ErrorCode.Codec);
    expect(isRpcxError(result, ErrorCode.Codec)).toBe(true);
    expect(result).toBeInstanceOf(Error);
    expect(result.message).toBe('x');
    expect(result.cause).toBe(foreign);
    expect(result.retryable).toBe(false);
  });

  it('wraps strings and objects, even unprintable ones', () => {
    const fromString = asRpcxError('socket hang up', ErrorCode.Unavailable);
    expect(fromString.code).toBe(ErrorCode.Unavailable);
    expect(fromString.message).toBe('socket hang up');
    expect(fromString.cause).toBe('socket hang up');
    expect(fromString.retryable).toBe(true);

    const odd = unprintable();
    const fromObject = asRpcxError(odd, ErrorCode.Internal);
    expect(fromObject.code).toBe(ErrorCode.Internal);
    expect(fromObject.message).toBe('unknown error');
    expect(fromObject.cause).toBe(odd);
  });

  it('keeps no cause for undefined (nothing was thrown to keep)', () => {
    const result = asRpcxError(undefined, ErrorCode.Internal);
    expect(result.message).toBe('undefined');
    expect('cause' in result).toBe(false);
  });
});
