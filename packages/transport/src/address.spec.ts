import { RpcxError } from '@rpcx/core';
import { formatAddress, parseAddress } from './address.js';

describe('rpcx addresses', () => {
  it.each([
    ['tcp@127.0.0.1:8972', { network: 'tcp', host: '127.0.0.1', port: 8972 }],
    ['127.0.0.1:8972', { network: 'tcp', host: '127.0.0.1', port: 8972 }],
    ['tcp@[::1]:8972', { network: 'tcp', host: '::1', port: 8972 }],
    ['tcp6@[::1]:0', { network: 'tcp6', host: '::1', port: 0 }],
    ['tls@localhost:443', { network: 'tls', host: 'localhost', port: 443 }],
    ['tcp@:8972', { network: 'tcp', host: '127.0.0.1', port: 8972 }],
    ['unix@/var/run/rpcx.sock', { network: 'unix', path: '/var/run/rpcx.sock' }],
    ['inprocess@arith', { network: 'inprocess', name: 'arith' }],
    ['inprocess@127.0.0.1:0', { network: 'inprocess', name: '127.0.0.1:0' }],
  ])('parses %s', (key, expected) => {
    expect(parseAddress(key)).toEqual(expected);
  });

  it.each([
    'tcp@127.0.0.1:8972',
    'tcp@[::1]:8972',
    'unix@/tmp/x.sock',
    'tls@localhost:1',
    'inprocess@arith',
  ])('formats %s back', (key) => {
    expect(formatAddress(parseAddress(key))).toBe(key);
  });

  it.each([
    [
      'quic@127.0.0.1:1',
      'unsupported network "quic" in quic@127.0.0.1:1: use tcp, tcp4, tcp6, tls, unix or inprocess',
    ],
    ['tcp@127.0.0.1', 'bad rpcx address "tcp@127.0.0.1": expected host:port'],
    ['tcp@127.0.0.1:x1', 'bad rpcx address "tcp@127.0.0.1:x1": bad port "x1"'],
    ['tcp@127.0.0.1:70000', 'bad rpcx address "tcp@127.0.0.1:70000": bad port "70000"'],
    ['unix@', 'bad rpcx address "unix@": a unix address needs a socket path'],
    ['inprocess@', 'bad rpcx address "inprocess@": an inprocess address needs a name'],
  ])('refuses %s with a clear error', (key, message) => {
    expect(() => parseAddress(key)).toThrow(new RpcxError('invalid_argument', message));
    expect(() => parseAddress(key)).toThrow(RpcxError);
  });
});
