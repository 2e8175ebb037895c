/**
 * The access log: one line per call — JSON by default — written to any Writable stream, with
 * sampling, a lines-per-second limit and a bounded buffer. A server plugin: `postWriteResponse`
 * decides whether a call is sampled (the only cost of an unsampled call) and writes its line once
 * the response was handed to the connection, timed from when the server read the request (its
 * `served.receivedAt`). A oneway request, which gets no response, is logged by `postReadRequest`
 * when it arrives. Lines are handed to the stream in chunks (every `flushIntervalMs`, or at
 * 64 KiB): a write per call would cost a file system request per call. When the stream holds
 * more than `maxBufferedBytes` not yet written, lines are dropped and counted, never queued
 * without bound.
 */
import type { Writable } from 'node:stream';
import {
  type ConnectionInfo,
  ErrorCode,
  isRpcxError,
  type Logger,
  messageOf,
  monotonicNow,
  peerText,
  type RpcxMessage,
  type ServedRequest,
  type ServerPlugin,
} from '@rpcx/core';

/** One call, as the access log writes it. */
export interface AccessLogEntry {
  /** When the line was written (the response handed to the connection), ISO 8601. */
  time: string;
  /** The client: `host:port` (`[v6]:port`), or `unix socket`. */
  peer: string;
  service: string;
  method: string;
  /** `ok`, `error`, or `oneway` (received; a oneway call has no outcome to report). */
  status: 'ok' | 'error' | 'oneway';
  /** On error: the `RpcxError` code (`service_error` for whatever else a handler threw). */
  code?: string;
  /** On error: the text the client got (cut to 128 characters). */
  error?: string;
  /** From the request's arrival to its response handed to the connection. */
  durationMs: number;
  /** Payload sizes (plain, before compression) of the request and the response. */
  bytesIn: number;
  bytesOut: number;
  /** The trace id of the request's W3C `traceparent` metadata, when it has a well-formed one. */
  traceId?: string;
}

/** A line about lines the log did not write. */
export interface AccessLogNotice {
  time: string;
  /** Lines left out by `maxLinesPerSecond` in the window that just ended. */
  suppressed?: number;
  /** Lines dropped because the stream's buffer was full (or the stream failed). */
  dropped?: number;
}

export interface AccessLogOptions {
  /** Where the lines go: a file (`fs.createWriteStream`), `process.stdout`, a socket... */
  stream: Writable;
  /** One line for an entry, without the newline. Default: the entry as JSON (`JSON.stringify`). */
  format?: (entry: AccessLogEntry) => string;
  /** One line for a notice, without the newline. Default: `JSON.stringify`. */
  formatNotice?: (notice: AccessLogNotice) => string;
  /** The share of calls logged, 0..1. Default 1 (every call). */
  sampleRatio?: number;
  /** The sampling's random numbers in [0, 1). Default `Math.random` (inject for tests). */
  random?: () => number;
  /** At most this many lines per second (a window per second); the rest are counted. Default: no limit. */
  maxLinesPerSecond?: number;
  /**
   * Lines are dropped (and counted) while the stream holds this many bytes not yet written.
   * Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Lines are handed to the stream in chunks: at most this long after the first line of a chunk
   * (ms), or at once when the chunk reaches 64 KiB. Default 100. `0`: at the end of each
   * event-loop turn (one write per turn, however few lines).
   */
  flushIntervalMs?: number;
  /**
   * Wall clock (ms): timestamps and the rate limit's windows. Default `Date.now`. (Durations are
   * on the server's clock, `performance.now()`: from when it read the request.)
   */
  now?: () => number;
  /** Told once when the stream fails (later lines are dropped). Default: silent. */
  logger?: Logger;
}

const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
const DEFAULT_FLUSH_INTERVAL_MS = 100;
/** A chunk this long is written without waiting for the interval. */
const CHUNK_BYTES = 64 * 1024;
const WINDOW_MS = 1000;
const TRACEPARENT = 'traceparent';

/** `new Server({ plugins: [new AccessLogPlugin({ stream })] })`. */
export class AccessLogPlugin implements ServerPlugin {
  readonly name = 'access-log';
  /** Lines dropped because the stream's buffer was full or the stream failed. */
  dropped = 0;
  /** Lines left out by the rate limit, in all. */
  suppressed = 0;
  /** Lines handed to the stream. */
  written = 0;

  private readonly stream: Writable;
  /** The user's formatter; undefined: the built-in JSON line. */
  private readonly format: ((entry: AccessLogEntry) => string) | undefined;
  private readonly formatNotice: (notice: AccessLogNotice) => string;
  private readonly sampleRatio: number;
  private readonly random: () => number;
  private readonly maxLines: number;
  private readonly maxBufferedBytes: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  /** Lines of this turn, not yet handed to the stream. */
  private batch = '';
  private batchLines = 0;
  private batchScheduled = false;
  private batchTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly flushIntervalMs: number;
  /** Dropped lines not yet reported by a notice. */
  private unreportedDrops = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowLines = 0;
  /** Lines suppressed in the current window (reported when it ends). */
  private windowSuppressed = 0;
  private windowTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private failed = false;
  /** The `"peer":…,"service":…,"method":…` part of the built-in lines. */
  private readonly names = new NamesJson();
  /** The last timestamp written and its ISO text: lines of one millisecond share it. */
  private lastTime = Number.NaN;
  private lastIso = '';

  constructor(options: AccessLogOptions) {
    this.stream = options.stream;
    this.format = options.format;
    this.formatNotice = options.formatNotice ?? JSON.stringify;
    this.sampleRatio = options.sampleRatio ?? 1;
    this.random = options.random ?? Math.random;
    this.maxLines = options.maxLinesPerSecond ?? Number.POSITIVE_INFINITY;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    if (!(this.sampleRatio >= 0 && this.sampleRatio <= 1)) {
      throw new RangeError(`AccessLogPlugin: sampleRatio must be in 0..1, got ${this.sampleRatio}`);
    }
    if (!(this.flushIntervalMs >= 0)) {
      throw new RangeError(
        `AccessLogPlugin: flushIntervalMs must be 0 or more, got ${this.flushIntervalMs}`,
      );
    }
    if (!(this.maxLines > 0)) {
      throw new RangeError(
        `AccessLogPlugin: maxLinesPerSecond must be above 0, got ${this.maxLines}`,
      );
    }
    this.stream.on('error', this.streamFailed);
    if (this.sampleRatio === 0) {
      // Logging nothing: no hooks at all, so the server skips their stages (and their clock).
      Object.defineProperty(this, 'postReadRequest', { value: undefined });
      Object.defineProperty(this, 'postWriteResponse', { value: undefined });
    }
  }

  /** Logs a oneway request (it has no response): sampled, when it arrives. */
  postReadRequest(conn: ConnectionInfo, request: RpcxMessage | undefined): void {
    if (request === undefined || !request.oneway || request.heartbeat || !this.sampled()) return;
    this.line(conn, request, 'oneway', undefined, 0, 0);
  }

  postWriteResponse(
    conn: ConnectionInfo,
    request: RpcxMessage,
    response: RpcxMessage | undefined,
    error?: Error,
    served?: ServedRequest,
  ): void {
    if (!this.sampled()) return;
    const receivedAt = served?.receivedAt;
    this.line(
      conn,
      request,
      error === undefined ? 'ok' : 'error',
      error,
      receivedAt === undefined ? 0 : monotonicNow() - receivedAt,
      response === undefined ? 0 : response.payload.length,
    );
  }

  private sampled(): boolean {
    return this.sampleRatio >= 1 || (this.sampleRatio > 0 && this.random() < this.sampleRatio);
  }

  /**
   * Writes what is pending now — this turn's lines and the count of suppressed lines of the
   * current window — and stops the window timer. Call it when the server is closed; the stream
   * stays open (it is yours).
   */
  flush(): void {
    if (this.windowTimer !== undefined) {
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
    }
    this.reportSuppressed();
    this.writeBatch();
  }

  // ---------------------------------------------------------------------------------------------

  private line(
    conn: ConnectionInfo,
    request: RpcxMessage,
    status: AccessLogEntry['status'],
    error: Error | undefined,
    durationMs: number,
    bytesOut: number,
  ): void {
    const now = this.now();
    if (!this.admit(now)) return;
    const time = this.isoTime(now);
    const bytesIn = request.payload.length;
    let code: string | undefined;
    let text: string | undefined;
    if (error !== undefined) {
      code = isRpcxError(error) ? error.code : ErrorCode.ServiceError;
      text = peerText(messageOf(error));
    }
    const traceId = traceIdOf(request.metadata[TRACEPARENT]);
    const format = this.format;
    if (format === undefined) {
      // What JSON.stringify(entry) writes, without the entry object.
      this.enqueue(
        `{"time":"${time}",${this.names.of(conn, request)},"status":"${status}"` +
          (code === undefined ? '' : `,"code":${jsonString(code)},"error":${jsonString(text!)}`) +
          `,"durationMs":${durationText(durationMs)},"bytesIn":${bytesIn},"bytesOut":${bytesOut}` +
          (traceId === undefined ? '}' : `,"traceId":"${traceId}"}`),
      );
      return;
    }
    // Whole microseconds are enough, and keep the lines short.
    const ms = Math.round(durationMs * 1000) / 1000;
    const service = peerText(request.servicePath);
    const method = peerText(request.serviceMethod);
    const peer = conn.remoteAddress;
    // The fields in the order of the built-in line.
    const entry: AccessLogEntry =
      code === undefined
        ? { time, peer, service, method, status, durationMs: ms, bytesIn, bytesOut }
        : {
            time,
            peer,
            service,
            method,
            status,
            code,
            error: text,
            durationMs: ms,
            bytesIn,
            bytesOut,
          };
    if (traceId !== undefined) entry.traceId = traceId;
    this.enqueue(format(entry));
  }

  private isoTime(now: number): string {
    if (now !== this.lastTime) {
      this.lastTime = now;
      this.lastIso = new Date(now).toISOString();
    }
    return this.lastIso;
  }

  /** The rate limit: whether one more line fits in the current one-second window. */
  private admit(now: number): boolean {
    if (now - this.windowStart >= WINDOW_MS) {
      // A new window: what the last one suppressed is said first.
      if (this.windowSuppressed > 0) this.flush();
      this.windowStart = now;
      this.windowLines = 0;
    }
    if (this.windowLines < this.maxLines) {
      this.windowLines++;
      return true;
    }
    this.suppressed++;
    if (this.windowSuppressed++ === 0) {
      // Said when the window ends, even if no line comes after.
      this.windowTimer = setTimeout(this.windowEnded, this.windowStart + WINDOW_MS - now);
      this.windowTimer.unref?.();
    }
    return false;
  }

  private readonly windowEnded = (): void => {
    this.windowTimer = undefined;
    this.reportSuppressed();
  };

  private reportSuppressed(): void {
    const count = this.windowSuppressed;
    if (count === 0) return;
    this.windowSuppressed = 0;
    this.enqueue(this.formatNotice({ time: this.isoTime(this.now()), suppressed: count }));
  }

  /** Adds a line to this turn's chunk, or drops it when the stream is full. */
  private enqueue(text: string): void {
    // Characters of the pending chunk stand for its bytes: close enough for a bound.
    if (this.failed || this.stream.writableLength + this.batch.length >= this.maxBufferedBytes) {
      this.dropped++;
      this.unreportedDrops++;
      return;
    }
    if (this.unreportedDrops > 0) {
      const dropped = this.unreportedDrops;
      this.unreportedDrops = 0;
      this.batch += `${this.formatNotice({ time: this.isoTime(this.now()), dropped })}\n`;
      this.batchLines++;
    }
    this.batch += `${text}\n`;
    this.batchLines++;
    if (this.batch.length >= CHUNK_BYTES) {
      this.writeBatch();
    } else if (!this.batchScheduled) {
      this.batchScheduled = true;
      if (this.flushIntervalMs > 0) {
        this.batchTimer = setTimeout(this.writeScheduled, this.flushIntervalMs);
        this.batchTimer.unref?.();
      } else {
        // A microtask, not a timer: the lines of one turn leave together, fake timers or not.
        Promise.resolve().then(this.writeScheduled);
      }
    }
  }

  private readonly writeScheduled = (): void => {
    this.batchTimer = undefined;
    this.batchScheduled = false;
    this.writeBatch();
  };

  private writeBatch(): void {
    if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
      this.batchScheduled = false;
    }
    const chunk = this.batch;
    if (chunk === '') return;
    const lines = this.batchLines;
    this.batch = '';
    this.batchLines = 0;
    if (this.failed || this.stream.destroyed || this.stream.writableEnded) {
      this.dropped += lines;
      return;
    }
    this.written += lines;
    this.stream.write(chunk);
  }

  private readonly streamFailed = (error: unknown): void => {
    if (this.failed) return;
    this.failed = true;
    this.logger?.warn(`rpcx: access log stream failed, lines are dropped: ${messageOf(error)}`);
  };
}

/** Method names remembered per connection, at most: a client cannot grow the cache further. */
const NAMES_PER_CONNECTION = 64;
/** Names longer than this (characters) are not remembered. */
const MAX_CACHED_NAME = 128;

/**
 * The `"peer":…,"service":…,"method":…` part of a built-in line, made once per connection and
 * method and then reused: the names of a connection's calls repeat, and building their JSON
 * (escaping checks, cutting long names) is a good part of a line's cost.
 */
class NamesJson {
  private readonly byConnection = new WeakMap<ConnectionInfo, Map<string, NamesEntry>>();

  of(conn: ConnectionInfo, request: RpcxMessage): string {
    const { servicePath, serviceMethod } = request;
    let byMethod = this.byConnection.get(conn);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.byConnection.set(conn, byMethod);
    }
    const known = byMethod.get(serviceMethod);
    if (known !== undefined && known.servicePath === servicePath) return known.json;
    const json =
      `"peer":${jsonString(conn.remoteAddress)},"service":${jsonString(peerText(servicePath))},` +
      `"method":${jsonString(peerText(serviceMethod))}`;
    // Long names are not kept: the cache holds the names themselves, a peer's to choose.
    const short = servicePath.length <= MAX_CACHED_NAME && serviceMethod.length <= MAX_CACHED_NAME;
    if (short && (known !== undefined || byMethod.size < NAMES_PER_CONNECTION)) {
      byMethod.set(serviceMethod, { servicePath, json });
    }
    return json;
  }
}

interface NamesEntry {
  servicePath: string;
  json: string;
}

/** Printable ASCII but `"` and `\\`: needs no escaping in JSON. */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `text` as a JSON string: quoted as is when nothing needs escaping, else by JSON.stringify. */
function jsonString(text: string): string {
  return PLAIN_JSON_TEXT.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * `ms` in whole microseconds as JSON writes `Math.round(ms * 1000) / 1000` (the entry's
 * `durationMs`), from integers: a fraction's shortest decimal form costs a few hundred
 * nanoseconds a line, integers' text is cached.
 */
export function durationText(ms: number): string {
  const us = Math.round(ms * 1000);
  // Anything odd (negative, NaN, past exact integers) is written the plain way.
  if (!(us >= 0 && us <= Number.MAX_SAFE_INTEGER)) return JSON.stringify(us / 1000);
  const whole = Math.floor(us / 1000);
  const fraction = us - whole * 1000;
  if (fraction === 0) return `${whole}`;
  if (fraction % 100 === 0) return `${whole}.${fraction / 100}`;
  if (fraction % 10 === 0) return `${whole}.${fraction < 100 ? '0' : ''}${fraction / 10}`;
  return `${whole}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}`;
}

/**
 * The trace id of a W3C `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`): its dashes and
 * the id's 32 lower-case hex digits are checked, and nothing else — cheap enough for every line,
 * and no peer-chosen character reaches a line unescaped.
 */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  if (traceparent === undefined || traceparent.length < 55) return undefined;
  if (traceparent.charCodeAt(2) !== 0x2d || traceparent.charCodeAt(35) !== 0x2d) return undefined;
  for (let i = 3; i < 35; i++) {
    const code = traceparent.charCodeAt(i);
    // 0-9, a-f
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return undefined;
  }
  return traceparent.slice(3, 35);
}
