/**
 * Server push (Go's `SendMessage`, spec §1.15): a oneway request with serialize type 0 (raw
 * bytes), no compression, and the next server-wide seq (1, 2, ...), with the
 * `preWriteRequest`/`postWriteRequest` plugins around the write.
 */
import { asRpcxError, type ConnectionInfo, ErrorCode, type Metadata, RpcxError } from '@rpcx/core';
import { Message } from '@rpcx/protocol';
import type { Acceptor } from './acceptor.js';
import type { PluginAdapter } from './plugin-adapter.js';

export class ServerPush {
  private seq = 0;

  constructor(
    private readonly acceptor: Acceptor,
    private readonly plugins: PluginAdapter,
  ) {}

  async send(
    connection: ConnectionInfo,
    servicePath: string,
    serviceMethod: string,
    data: Uint8Array,
    metadata: Metadata | undefined,
  ): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      throw new RpcxError(ErrorCode.InvalidArgument, 'rpcx: sendMessage data must be a Uint8Array');
    }
    const conn = this.acceptor.get(connection.id);
    const message = new Message({ servicePath, serviceMethod, metadata, payload: data });
    message.oneway = true;
    message.seqNumber = ++this.seq;
    if (conn === undefined || conn.closed) {
      throw new RpcxError(
        ErrorCode.Unavailable,
        `rpcx: connection ${connection.remoteAddress} is closed`,
      );
    }
    const plugins = this.plugins;
    const view = conn.view;
    if (plugins.preWriteRequest.length > 0) {
      await plugins.runIgnoring('preWriteRequest', plugins.preWriteRequest, (p) =>
        p.preWriteRequest(view, message),
      );
    }
    let failure: RpcxError | undefined;
    try {
      if (!conn.writeMessage(message)) {
        if (conn.closed) {
          failure = new RpcxError(
            ErrorCode.Unavailable,
            `rpcx: connection ${conn.remoteAddress} is closed`,
          );
        } else {
          await conn.framed.drained();
        }
      }
    } catch (error) {
      failure = asRpcxError(error, ErrorCode.InvalidArgument);
    }
    if (plugins.postWriteRequest.length > 0) {
      await plugins.runIgnoring('postWriteRequest', plugins.postWriteRequest, (p) =>
        p.postWriteRequest(view, message, failure),
      );
    }
    if (failure !== undefined) throw failure;
  }
}
