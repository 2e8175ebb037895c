/**
 * Where a Client's server pushes and connection closes go: push handlers, push streams (bounded
 * async iterators) and close handlers. A handler that throws is logged and does not stop the
 * others.
 */
import { type Logger, messageOf, type RpcxError, type RpcxMessage } from '@rpcx/core';
import { PushStream, type PushStreamOptions } from './push-stream.js';

/** Receives server pushes. */
export type PushHandler = (message: RpcxMessage) => void;
/** Told each time the connection closes, with why (`Shutdown` after `close()`). */
export type CloseHandler = (reason: RpcxError) => void;

export class PushFanout {
  private readonly pushHandlers = new Set<PushHandler>();
  private readonly closeHandlers = new Set<CloseHandler>();
  private readonly streams = new Set<PushStream>();
  private endReason: RpcxError | undefined = undefined;

  constructor(
    private readonly logger: Logger,
    private readonly address: string,
    private readonly defaultBufferSize: number,
  ) {}

  onPush(handler: PushHandler): () => void {
    this.pushHandlers.add(handler);
    return () => this.pushHandlers.delete(handler);
  }

  onClose(handler: CloseHandler): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /** A new push stream; one made after `end` is ended at once. */
  stream(options: PushStreamOptions): PushStream {
    const stream = new PushStream(
      { bufferSize: options.bufferSize ?? this.defaultBufferSize, signal: options.signal },
      this.logger,
      (ended) => this.streams.delete(ended),
    );
    if (this.endReason !== undefined) stream.end(this.endReason);
    else if (!stream.closed) this.streams.add(stream);
    return stream;
  }

  /** One server push, to every handler and stream. */
  deliver(message: RpcxMessage): void {
    if (this.pushHandlers.size === 0 && this.streams.size === 0) {
      this.logger.debug('rpcx client: no one listens for server pushes; dropped', {
        address: this.address,
      });
      return;
    }
    this.notify(this.pushHandlers, message, 'onPush');
    for (const stream of this.streams) stream.deliver(message);
  }

  /** The connection closed: close handlers hear why, push streams end. */
  connectionClosed(reason: RpcxError): void {
    this.notify(this.closeHandlers, reason, 'onClose');
    this.endStreams(reason);
  }

  /** The client closed: every stream ends, and streams made later end at once. */
  end(reason: RpcxError): void {
    this.endReason = reason;
    this.endStreams(reason);
  }

  private endStreams(reason: RpcxError): void {
    for (const stream of this.streams) stream.end(reason);
  }

  private notify<T>(handlers: Iterable<(value: T) => void>, value: T, what: string): void {
    for (const handler of handlers) {
      try {
        handler(value);
      } catch (error) {
        this.logger.error(`rpcx client: ${what} handler threw`, {
          address: this.address,
          error: messageOf(error),
        });
      }
    }
  }
}
