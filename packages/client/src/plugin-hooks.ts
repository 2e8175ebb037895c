/**
 * Client plugins, sorted by hook once at construction: each hook is an array of the plugins that
 * implement it, so a hook nobody implements costs one length check on the hot path. Hooks whose
 * errors Go ignores are run here with their errors logged.
 */
import {
  type CallInfo,
  type ClientPlugin,
  type ConnectionInfo,
  ErrorCode,
  isRpcxError,
  type Logger,
  RpcxError,
  type RpcxMessage,
} from '@rpcx/core';
import { messageOf } from './errors.js';

type Hook = Exclude<keyof ClientPlugin, 'name'>;

export class PluginHooks {
  readonly preCall: readonly ClientPlugin[];
  readonly postCall: readonly ClientPlugin[];
  readonly connCreated: readonly ClientPlugin[];
  readonly connCreateFailed: readonly ClientPlugin[];
  readonly clientConnected: readonly ClientPlugin[];
  readonly clientConnectionClose: readonly ClientPlugin[];
  readonly clientBeforeEncode: readonly ClientPlugin[];
  readonly preWriteRequest: readonly ClientPlugin[];
  readonly postWriteRequest: readonly ClientPlugin[];
  readonly preReadResponseHeader: readonly ClientPlugin[];
  readonly postReadResponseHeader: readonly ClientPlugin[];
  readonly preReadResponseBody: readonly ClientPlugin[];
  readonly postReadResponseBody: readonly ClientPlugin[];
  readonly clientAfterDecode: readonly ClientPlugin[];
  /** Whether a call must go through the (async) pre/post-call path. */
  readonly wrapsCalls: boolean;
  /** Whether any write hook is set (requests then keep their Message until written). */
  readonly watchesWrites: boolean;
  /** Whether any read hook is set. */
  readonly watchesReads: boolean;

  constructor(
    readonly plugins: readonly ClientPlugin[],
    private readonly logger: Logger,
  ) {
    const having = (hook: Hook) => plugins.filter((plugin) => typeof plugin[hook] === 'function');
    this.preCall = having('preCall');
    this.postCall = having('postCall');
    this.connCreated = having('connCreated');
    this.connCreateFailed = having('connCreateFailed');
    this.clientConnected = having('clientConnected');
    this.clientConnectionClose = having('clientConnectionClose');
    this.clientBeforeEncode = having('clientBeforeEncode');
    this.preWriteRequest = having('preWriteRequest');
    this.postWriteRequest = having('postWriteRequest');
    this.preReadResponseHeader = having('preReadResponseHeader');
    this.postReadResponseHeader = having('postReadResponseHeader');
    this.preReadResponseBody = having('preReadResponseBody');
    this.postReadResponseBody = having('postReadResponseBody');
    this.clientAfterDecode = having('clientAfterDecode');
    this.wrapsCalls = this.preCall.length > 0 || this.postCall.length > 0;
    this.watchesWrites = this.preWriteRequest.length > 0 || this.postWriteRequest.length > 0;
    this.watchesReads =
      this.preReadResponseHeader.length > 0 ||
      this.postReadResponseHeader.length > 0 ||
      this.preReadResponseBody.length > 0 ||
      this.postReadResponseBody.length > 0 ||
      this.clientAfterDecode.length > 0;
  }

  /** Runs `preCall` hooks in order; the first failure fails the call. */
  async runPreCall(call: CallInfo, args: unknown): Promise<void> {
    for (const plugin of this.preCall) {
      try {
        await plugin.preCall!(call, args);
      } catch (error) {
        throw pluginError(plugin, 'preCall', error);
      }
    }
  }

  /** Runs `postCall` hooks in order; a failure replaces the outcome (returned). */
  async runPostCall(
    call: CallInfo,
    args: unknown,
    reply: unknown,
    error: RpcxError | undefined,
  ): Promise<RpcxError | undefined> {
    let outcome = error;
    for (const plugin of this.postCall) {
      try {
        await plugin.postCall!(call, args, outcome === undefined ? reply : undefined, outcome);
      } catch (thrown) {
        outcome = pluginError(plugin, 'postCall', thrown);
      }
    }
    return outcome;
  }

  /** Runs `connCreated` hooks; the first failure fails the connection attempt. */
  async runConnCreated(conn: ConnectionInfo): Promise<void> {
    for (const plugin of this.connCreated) {
      try {
        await plugin.connCreated!(conn);
      } catch (error) {
        throw pluginError(plugin, 'connCreated', error);
      }
    }
  }

  async runClientConnected(conn: ConnectionInfo): Promise<void> {
    for (const plugin of this.clientConnected) {
      try {
        await plugin.clientConnected!(conn);
      } catch (error) {
        this.logFailure(plugin, 'clientConnected', error);
      }
    }
  }

  async runConnCreateFailed(address: string, error: Error): Promise<void> {
    for (const plugin of this.connCreateFailed) {
      try {
        await plugin.connCreateFailed!(address, error);
      } catch (thrown) {
        this.logFailure(plugin, 'connCreateFailed', thrown);
      }
    }
  }

  async runClientConnectionClose(conn: ConnectionInfo, reason: Error): Promise<void> {
    for (const plugin of this.clientConnectionClose) {
      try {
        await plugin.clientConnectionClose!(conn, reason);
      } catch (error) {
        this.logFailure(plugin, 'clientConnectionClose', error);
      }
    }
  }

  /** Runs a synchronous message hook; errors are logged. */
  runMessageHook(
    hook: 'clientBeforeEncode' | 'preWriteRequest' | 'postReadResponseBody' | 'clientAfterDecode',
    message: RpcxMessage,
  ): void {
    for (const plugin of this[hook]) {
      try {
        plugin[hook]!(message);
      } catch (error) {
        this.logFailure(plugin, hook, error);
      }
    }
  }

  runPostWriteRequest(message: RpcxMessage, failure: Error | undefined): void {
    for (const plugin of this.postWriteRequest) {
      try {
        plugin.postWriteRequest!(message, failure);
      } catch (error) {
        this.logFailure(plugin, 'postWriteRequest', error);
      }
    }
  }

  runHeaderHook(
    hook: 'preReadResponseHeader' | 'postReadResponseHeader' | 'preReadResponseBody',
    header: Uint8Array,
  ): void {
    for (const plugin of this[hook]) {
      try {
        if (hook === 'preReadResponseHeader') plugin.preReadResponseHeader!();
        else plugin[hook]!(header);
      } catch (error) {
        this.logFailure(plugin, hook, error);
      }
    }
  }

  private logFailure(plugin: ClientPlugin, hook: Hook, error: unknown): void {
    this.logger.warn(`rpcx client: plugin ${describe(plugin)} failed in ${hook}`, {
      error: messageOf(error),
    });
  }
}

/** A plugin's failure as the caller sees it: an RpcxError as thrown, anything else wrapped. */
function pluginError(plugin: ClientPlugin, hook: Hook, error: unknown): RpcxError {
  if (isRpcxError(error)) return error;
  const message = messageOf(error);
  return new RpcxError(ErrorCode.Internal, `plugin ${describe(plugin)} ${hook}: ${message}`, {
    cause: error,
  });
}

function describe(plugin: ClientPlugin): string {
  return plugin.name ?? plugin.constructor?.name ?? 'anonymous';
}
