import { channel } from 'node:diagnostics_channel';
import {
  type BreakerStateMessage,
  type ClientRetryMessage,
  type ConnectionMessage,
  DiagnosticsChannel,
  type DiscoveryChangeMessage,
} from './diagnostics.js';
import { enableTrace, parseTraceNames, type traceFromEnvironment } from './diagnostics-trace.js';
import { RpcxError } from './errors.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';

function memoryLogger() {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
  const logger: Logger = {
    debug: (message, fields) => lines.push(['debug', message, fields]),
    info: (message, fields) => lines.push(['info', message, fields]),
    warn: (message, fields) => lines.push(['warn', message, fields]),
    error: (message, fields) => lines.push(['error', message, fields]),
  };
  return { lines, logger };
}

describe('parseTraceNames', () => {
  test.each([
    ['client,retry', ['client', 'retry']],
    [' Client , SERVER ', ['client', 'server']],
    ['breaker discovery', ['discovery', 'breaker']],
    ['all', ['client', 'server', 'connection', 'discovery', 'breaker', 'retry']],
    ['*,-connection,-server', ['client', 'discovery', 'breaker', 'retry']],
    ['nonsense,,retry', ['retry']],
    ['', []],
  ])('%j', (spec, expected) => {
    expect(parseTraceNames(spec)).toEqual(expected);
  });

  test('a list of names works as the string does', () => {
    expect(parseTraceNames(['retry', 'client', 'retry'])).toEqual(['client', 'retry']);
  });
});

describe('enableTrace', () => {
  test('one debug line per event of the named tracers, until stopped', () => {
    const { lines, logger } = memoryLogger();
    const stop = enableTrace('breaker,retry,connection,discovery', logger);
    const breaker: BreakerStateMessage = {
      serverAddress: 'tcp@127.0.0.1:1',
      from: 'closed',
      to: 'open',
    };
    const retry: ClientRetryMessage = {
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      serverAddress: 'tcp@127.0.0.1:1',
      attempt: 2,
      error: new RpcxError('unavailable', 'connection refused'),
    };
    const connection: ConnectionMessage = {
      side: 'server',
      id: 7,
      localAddress: '127.0.0.1:8972',
      remoteAddress: '127.0.0.1:5000',
      error: new RpcxError('protocol', 'x'.repeat(1000)),
    };
    const list: DiscoveryChangeMessage = { servicePath: 'Arith', servers: ['tcp@127.0.0.1:1'] };
    channel(DiagnosticsChannel.BreakerState).publish(breaker);
    channel(DiagnosticsChannel.ClientRetry).publish(retry);
    channel(DiagnosticsChannel.ClientRetry).publish({ ...retry, error: undefined });
    channel(DiagnosticsChannel.ConnectionClose).publish(connection);
    channel(DiagnosticsChannel.DiscoveryChange).publish(list);
    channel(DiagnosticsChannel.DiscoveryChange).publish({ ...list, servers: [] });
    // Not named: nothing.
    channel(DiagnosticsChannel.ClientPick).publish({});
    stop();
    stop();
    channel(DiagnosticsChannel.BreakerState).publish(breaker);

    expect(lines.map(([level, message]) => [level, message])).toEqual([
      ['debug', 'rpcx breaker: tcp@127.0.0.1:1 closed -> open'],
      [
        'debug',
        'rpcx retry: Arith.Mul attempt 2 on tcp@127.0.0.1:1 failed: connection refused; trying again',
      ],
      [
        'debug',
        'rpcx retry: Arith.Mul attempt 2 on tcp@127.0.0.1:1 has not answered; sending a backup',
      ],
      [
        'debug',
        expect.stringMatching(
          /^rpcx connection: server connection #7 127\.0\.0\.1:8972 <-> 127\.0\.0\.1:5000 closed: x+… \(\d+ more characters\)$/,
        ),
      ],
      ['debug', 'rpcx discovery: Arith has 1 server: tcp@127.0.0.1:1'],
      ['debug', 'rpcx discovery: Arith has 0 servers'],
    ]);
    expect(lines[1]![2]).toEqual({
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      serverAddress: 'tcp@127.0.0.1:1',
      attempt: 2,
      error: 'connection refused',
      code: 'unavailable',
    });
    expect(channel(DiagnosticsChannel.BreakerState).hasSubscribers).toBe(false);
  });
});

describe('RPCX_TRACE', () => {
  const saved = process.env.RPCX_TRACE;
  afterEach(() => {
    if (saved === undefined) delete process.env.RPCX_TRACE;
    else process.env.RPCX_TRACE = saved;
  });

  /** The module as a process started with `RPCX_TRACE=value` loads it. */
  function loadWith(value: string | undefined): typeof traceFromEnvironment {
    if (value === undefined) delete process.env.RPCX_TRACE;
    else process.env.RPCX_TRACE = value;
    let load: typeof traceFromEnvironment | undefined;
    jest.isolateModules(() => {
      load = (require('./diagnostics-trace.js') as typeof import('./diagnostics-trace.js'))
        .traceFromEnvironment;
      isolatedSilentLogger = (require('./logger.js') as typeof import('./logger.js')).silentLogger;
    });
    return load!;
  }
  /** The silent logger of the copy `loadWith` loaded. */
  let isolatedSilentLogger = silentLogger;

  const publishBreaker = () =>
    channel(DiagnosticsChannel.BreakerState).publish({
      serverAddress: 'tcp@127.0.0.1:1',
      from: 'open',
      to: 'half-open',
    } satisfies BreakerStateMessage);

  test('read once at load; the first logger other than the silent one gets the lines', () => {
    const traceFromEnvironment = loadWith('breaker');
    // Changing the variable later changes nothing: it was read when the module loaded.
    process.env.RPCX_TRACE = '';
    const first = memoryLogger();
    const second = memoryLogger();
    expect(traceFromEnvironment(isolatedSilentLogger)).toBeUndefined();
    const stop = traceFromEnvironment(first.logger);
    expect(stop).toBeInstanceOf(Function);
    expect(traceFromEnvironment(second.logger)).toBeUndefined();
    try {
      publishBreaker();
    } finally {
      stop?.();
    }
    expect(first.lines).toEqual([
      [
        'debug',
        'rpcx breaker: tcp@127.0.0.1:1 open -> half-open',
        { serverAddress: 'tcp@127.0.0.1:1', from: 'open', to: 'half-open' },
      ],
    ]);
    expect(second.lines).toEqual([]);
    expect(channel(DiagnosticsChannel.BreakerState).hasSubscribers).toBe(false);
  });

  test.each([
    ['unset', undefined],
    ['empty', ''],
    ['naming no tracer', 'nonsense'],
  ])('%s: nothing is enabled', (_name, value) => {
    const traceFromEnvironment = loadWith(value);
    const { lines, logger } = memoryLogger();
    expect(traceFromEnvironment(logger)).toBeUndefined();
    publishBreaker();
    expect(lines).toEqual([]);
  });
});
