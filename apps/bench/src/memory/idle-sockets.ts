/**
 * Many idle rpcx connections, as the memory run's connector holds them: each connects, sends one
 * heartbeat (what an idle Go rpcx client sends now and then) and waits for its echo, so that the
 * server has read a frame and written one on every connection — whatever it allocates for that
 * exists — and then sits idle. Any rpcx server answers a heartbeat, with no service registered.
 *
 * Loopback only. With `sources`, connections are spread over several source addresses
 * (127.0.0.2, ...: the whole 127/8 is the loopback) when one address's ephemeral ports are few.
 */
import { connect, type Socket } from 'node:net';
import { encodeMessage, FrameDecoder, frameFlags, HeaderFlag, Message } from '@rpcx/protocol';

export interface OpenOptions {
  host: string;
  port: number;
  count: number;
  /** Source addresses to take in turn; none: the kernel picks (127.0.0.1). */
  sources?: readonly string[];
  /** Connections being opened at once, kept below the listen backlog. Default 200. */
  parallel?: number;
  /** Each connection's connect and heartbeat round trip must end within this (ms). Default 10 000. */
  timeoutMs?: number;
  /** Send the heartbeat (default); false: connect only. */
  heartbeat?: boolean;
}

export interface OpenResult {
  /** Connections open and answered. */
  opened: number;
  failed: number;
  /** The first failure, for the report. */
  firstError?: string;
  ms: number;
}

export interface CloseResult {
  closed: number;
  /** Destroyed because they had not closed within the bound. */
  forced: number;
  ms: number;
}

const HEARTBEAT_ANSWER = HeaderFlag.Response | HeaderFlag.Heartbeat;

/** One heartbeat request frame, as a Go client sends it: no service, no payload. */
export function heartbeatFrame(seq: number): Buffer {
  const message = new Message();
  message.heartbeat = true;
  message.seq = BigInt(seq);
  return encodeMessage(message);
}

export class IdleSockets {
  private readonly sockets = new Set<Socket>();
  /** Connections the server closed while they were idle. */
  closedByPeer = 0;

  /** Connections open now. */
  get size(): number {
    return this.sockets.size;
  }

  /** Opens `count` more connections, each answered once, and leaves them idle. */
  async open(options: OpenOptions): Promise<OpenResult> {
    const started = performance.now();
    const sources = options.sources ?? [];
    const result: OpenResult = { opened: 0, failed: 0, ms: 0 };
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < options.count; index = next++) {
        try {
          const source = sources.length > 0 ? sources[index % sources.length] : undefined;
          this.sockets.add(await this.openOne(options, index, source));
          result.opened++;
        } catch (error) {
          result.failed++;
          result.firstError ??= (error as Error).message;
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(options.parallel ?? 200, options.count) }, worker),
    );
    result.ms = performance.now() - started;
    return result;
  }

  /** Ends every connection and waits for it to close; destroys what is left after `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<CloseResult> {
    const started = performance.now();
    const sockets = [...this.sockets];
    this.sockets.clear();
    let forced = 0;
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed) return resolve();
            const timer = setTimeout(() => {
              forced++;
              socket.destroy();
            }, timeoutMs);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.end();
          }),
      ),
    );
    return { closed: sockets.length, forced, ms: performance.now() - started };
  }

  private openOne(options: OpenOptions, seq: number, source: string | undefined): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: options.host,
        port: options.port,
        localAddress: source,
        noDelay: true,
      });
      const decoder = new FrameDecoder();
      let answered = false;
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`no heartbeat answer within ${options.timeoutMs ?? 10_000} ms`)),
        options.timeoutMs ?? 10_000,
      );
      socket.on('data', (chunk: Buffer) => {
        decoder.pushRanges(chunk, (bytes, start) => {
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          if ((frameFlags(bytes, start) & HEARTBEAT_ANSWER) !== HEARTBEAT_ANSWER) {
            fail(new Error('the answer to a heartbeat was not a heartbeat response'));
          } else {
            resolve(socket);
          }
        });
      });
      socket.on('error', (error) => {
        if (!answered) fail(error);
      });
      socket.once('close', () => {
        if (!answered) return fail(new Error('closed before answering the heartbeat'));
        if (this.sockets.delete(socket)) this.closedByPeer++;
      });
      socket.once('connect', () => {
        if (options.heartbeat ?? true) {
          socket.write(heartbeatFrame(seq));
        } else {
          answered = true;
          clearTimeout(timer);
          resolve(socket);
        }
      });
    });
  }
}

/** `tcp@127.0.0.1:8972` → host and port. */
export function hostPort(address: string): { host: string; port: number } {
  const match = /^(?:tcp@)?(.+):(\d+)$/.exec(address);
  if (!match) throw new Error(`not a host:port address: ${address}`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) };
}

/** `count` loopback source addresses from 127.0.0.2 on (none for 0). */
export function loopbackSources(count: number): string[] {
  if (count > 250) throw new Error('--sources: 250 at most');
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
}
