/**
 * Named debug tracers, the way grpc-js has `GRPC_TRACE`: `RPCX_TRACE=client,retry` (or `all`)
 * writes one line per event of those areas at the `debug` level of a Logger. They are plain
 * subscribers of the diagnostics channels (`diagnostics.ts`): the event stream has one
 * implementation, and the tracers are its first consumer. Off — nobody subscribed — they cost
 * nothing.
 *
 *   RPCX_TRACE=all node app.js          // lines go to the logger of the first Client, XClient
 *                                       // or Server made with a `logger` option
 *   const stop = enableTrace('client,breaker', logger);  // or choose the logger yourself
 *
 * A list is comma- (or space-) separated; `all` (or `*`) names every tracer and `-name` takes one
 * out again (`all,-connection`); unknown names are ignored. Metadata is never written (it may
 * hold an auth token), and text that came from a peer is cut short.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type BreakerStateMessage,
  type ClientCallMessage,
  type ClientPickMessage,
  type ClientRetryMessage,
  type ConnectionMessage,
  DiagnosticsChannel,
  type DiagnosticsChannelName,
  type DiscoveryChangeMessage,
  type ServerRequestMessage,
} from './diagnostics.js';
import { isRpcxError } from './errors.js';
import { peerText } from './log-guard.js';
import { type Logger, silentLogger } from './logger.js';

/** The tracers, by area. */
export const TraceName = {
  /** Client calls (start, end, error) and each attempt's pick of a server. */
  Client: 'client',
  /** Requests on a server (start, end, error). */
  Server: 'server',
  /** Connections opened and closed, client and server side. */
  Connection: 'connection',
  /** Lists an XClient takes from its discovery. */
  Discovery: 'discovery',
  /** Circuit breaker transitions. */
  Breaker: 'breaker',
  /** Fail-mode retries and backup requests. */
  Retry: 'retry',
} as const;
export type TraceName = (typeof TraceName)[keyof typeof TraceName];

/** The environment variable read once, when this module loads. */
export const TRACE_ENV = 'RPCX_TRACE';

const ALL_TRACERS: readonly TraceName[] = Object.values(TraceName);

/**
 * The tracers a list names: `client,retry`, `all` (or `*`), `all,-connection`. Unknown names are
 * ignored; case and spaces do not matter.
 */
export function parseTraceNames(names: string | readonly string[]): TraceName[] {
  const words = typeof names === 'string' ? names.split(/[\s,]+/) : names;
  const chosen = new Set<TraceName>();
  for (const raw of words) {
    const word = raw.trim().toLowerCase();
    const remove = word.startsWith('-');
    const name = remove ? word.slice(1) : word;
    const named =
      name === 'all' || name === '*'
        ? ALL_TRACERS
        : ALL_TRACERS.includes(name as TraceName)
          ? [name as TraceName]
          : [];
    for (const tracer of named) {
      if (remove) chosen.delete(tracer);
      else chosen.add(tracer);
    }
  }
  return ALL_TRACERS.filter((tracer) => chosen.has(tracer));
}

/**
 * Writes the events of the named tracers to `logger.debug`, until the returned function is
 * called. Each call subscribes on its own: two calls with the same names write each line twice.
 */
export function enableTrace(names: string | readonly string[], logger: Logger): () => void {
  const subscriptions: Array<[DiagnosticsChannelName, (message: unknown) => void]> = [];
  for (const tracer of parseTraceNames(names)) {
    for (const [channel, describe] of LINES[tracer]) {
      const onMessage = (message: unknown): void => {
        const [text, fields] = describe(message);
        logger.debug(`rpcx ${tracer}: ${text}`, fields);
      };
      subscribe(channel, onMessage);
      subscriptions.push([channel, onMessage]);
    }
  }
  let enabled = true;
  return () => {
    if (!enabled) return;
    enabled = false;
    for (const [channel, onMessage] of subscriptions) unsubscribe(channel, onMessage);
  };
}

const environmentTrace = process.env[TRACE_ENV];
let environmentTraceTaken = false;

/**
 * Switches on the tracers `RPCX_TRACE` names (read once, when this module loaded), writing to
 * `logger` — for the first logger other than the silent default that it is given; later calls
 * do nothing. Client, XClient and Server call it with their `logger` option. Returns the
 * function that switches them off when this call switched them on.
 */
export function traceFromEnvironment(logger: Logger): (() => void) | undefined {
  if (environmentTraceTaken || logger === silentLogger) return undefined;
  if (environmentTrace === undefined || parseTraceNames(environmentTrace).length === 0) {
    return undefined;
  }
  environmentTraceTaken = true;
  return enableTrace(environmentTrace, logger);
}

// -----------------------------------------------------------------------------------------------
// Internals: one line per event

type Fields = Record<string, unknown>;
type Describe = (message: unknown) => [string, Fields];

const LINES: Record<TraceName, ReadonlyArray<readonly [DiagnosticsChannelName, Describe]>> = {
  client: [
    [DiagnosticsChannel.ClientCallStart, (m) => clientCall(m as ClientCallMessage, 'started')],
    [DiagnosticsChannel.ClientCallEnd, (m) => clientCall(m as ClientCallMessage, 'ok')],
    [DiagnosticsChannel.ClientCallError, (m) => clientCall(m as ClientCallMessage, 'failed')],
    [DiagnosticsChannel.ClientPick, (m) => clientPick(m as ClientPickMessage)],
  ],
  server: [
    [DiagnosticsChannel.ServerRequestStart, (m) => request(m as ServerRequestMessage, 'started')],
    [DiagnosticsChannel.ServerRequestEnd, (m) => request(m as ServerRequestMessage, 'ok')],
    [DiagnosticsChannel.ServerRequestError, (m) => request(m as ServerRequestMessage, 'failed')],
  ],
  connection: [
    [DiagnosticsChannel.ConnectionOpen, (m) => connection(m as ConnectionMessage, 'open')],
    [DiagnosticsChannel.ConnectionClose, (m) => connection(m as ConnectionMessage, 'closed')],
  ],
  discovery: [[DiagnosticsChannel.DiscoveryChange, (m) => discovery(m as DiscoveryChangeMessage)]],
  breaker: [[DiagnosticsChannel.BreakerState, (m) => breaker(m as BreakerStateMessage)]],
  retry: [[DiagnosticsChannel.ClientRetry, (m) => retry(m as ClientRetryMessage)]],
};

function clientCall(m: ClientCallMessage, outcome: string): [string, Fields] {
  const fields: Fields = { servicePath: m.servicePath, serviceMethod: m.serviceMethod };
  if (m.serverAddress !== undefined) fields.serverAddress = m.serverAddress;
  return [`${m.servicePath}.${m.serviceMethod} ${outcome}${ending(m, fields)}`, fields];
}

function clientPick(m: ClientPickMessage): [string, Fields] {
  return [
    `${m.servicePath}.${m.serviceMethod} attempt ${m.attempt} to ${m.serverAddress}`,
    {
      servicePath: m.servicePath,
      serviceMethod: m.serviceMethod,
      serverAddress: m.serverAddress,
      attempt: m.attempt,
    },
  ];
}

function request(m: ServerRequestMessage, outcome: string): [string, Fields] {
  const servicePath = peerText(m.servicePath);
  const serviceMethod = peerText(m.serviceMethod);
  const fields: Fields = { servicePath, serviceMethod, remoteAddress: m.remoteAddress };
  return [
    `${servicePath}.${serviceMethod} from ${m.remoteAddress} ${outcome}${ending(m, fields)}`,
    fields,
  ];
}

/** ` in 1.23 ms` and `: why` once a call or request ended; adds them to `fields`. */
function ending(m: { durationMs?: number; error?: Error }, fields: Fields): string {
  let text = '';
  if (m.durationMs !== undefined) {
    fields.durationMs = m.durationMs;
    text += ` in ${m.durationMs.toFixed(2)} ms`;
  }
  if (m.error !== undefined) {
    errorFields(m.error, fields);
    text += `: ${peerText(m.error.message)}`;
  }
  return text;
}

function errorFields(error: Error, fields: Fields): void {
  fields.error = peerText(error.message);
  if (isRpcxError(error)) fields.code = error.code;
}

function connection(m: ConnectionMessage, what: string): [string, Fields] {
  const fields: Fields = {
    side: m.side,
    id: m.id,
    localAddress: m.localAddress,
    remoteAddress: m.remoteAddress,
  };
  let text = `${m.side} connection #${m.id} ${m.localAddress} <-> ${m.remoteAddress} ${what}`;
  if (m.error !== undefined) {
    errorFields(m.error, fields);
    text += `: ${peerText(m.error.message)}`;
  }
  return [text, fields];
}

function discovery(m: DiscoveryChangeMessage): [string, Fields] {
  const count = m.servers.length;
  const list = count === 0 ? '' : `: ${m.servers.join(', ')}`;
  return [
    `${m.servicePath} has ${count} server${count === 1 ? '' : 's'}${list}`,
    { servicePath: m.servicePath, servers: m.servers },
  ];
}

function breaker(m: BreakerStateMessage): [string, Fields] {
  return [
    `${m.serverAddress} ${m.from} -> ${m.to}`,
    { serverAddress: m.serverAddress, from: m.from, to: m.to },
  ];
}

function retry(m: ClientRetryMessage): [string, Fields] {
  const fields: Fields = {
    servicePath: m.servicePath,
    serviceMethod: m.serviceMethod,
    serverAddress: m.serverAddress,
    attempt: m.attempt,
  };
  const where = m.serverAddress === undefined ? '' : ` on ${m.serverAddress}`;
  const name = `${m.servicePath}.${m.serviceMethod}`;
  if (m.error === undefined) {
    return [`${name} attempt ${m.attempt}${where} has not answered; sending a backup`, fields];
  }
  errorFields(m.error, fields);
  return [
    `${name} attempt ${m.attempt}${where} failed: ${peerText(m.error.message)}; trying again`,
    fields,
  ];
}
