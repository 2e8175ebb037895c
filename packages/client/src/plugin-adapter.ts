/**
 * Client plugins (Go's hook interfaces, spec §4.9) adapted to the call path once, at
 * construction: `preCall`/`postCall` become one interceptor, the frame hooks are sorted into
 * lists so that a hook nobody implements costs one boolean check per frame. Go's error rules:
 * a failing `preCall` fails the call before anything is sent, a failing `postCall` replaces the
 * call's outcome, a failing `connCreated` fails the connection attempt; every other hook's
 * errors are logged and ignored.
 */
import {
  asRpcxError,
  type ClientPlugin,
  type ConnectionInfo,
  ErrorCode,
  isRpcxError,
  type Logger,
  messageOf,
  RpcxError,
  type RpcxMessage,
} from '@rpcx/core';
import { HEADER_LENGTH } from '@rpcx/protocol';
import type { ClientCall } from './call.js';
import type { ClientInterceptor } from './interceptor.js';

type Hook = Exclude<keyof ClientPlugin, 'name'>;
type MessageHook =
  | 'clientBeforeEncode'
  | 'preWriteRequest'
  | 'postReadResponseBody'
  | 'clientAfterDecode';

export class PluginAdapter {
  /** `preCall`/`postCall` around the call; undefined when no plugin has them. */
  readonly interceptor: ClientInterceptor | undefined;
  /** Whether requests are shown to plugins as a Message (before encoding or around the write). */
  readonly watchesRequests: boolean;
  /** Whether some plugin watches request writes. */
  readonly watchesWrites: boolean;
  /** Whether some plugin watches incoming frames. */
  readonly watchesReads: boolean;
  private readonly lists: Readonly<Record<Hook, readonly ClientPlugin[]>>;

  constructor(
    readonly plugins: readonly ClientPlugin[],
    private readonly logger: Logger,
  ) {
    const having = (hook: Hook) => plugins.filter((plugin) => typeof plugin[hook] === 'function');
    const lists = {} as Record<Hook, readonly ClientPlugin[]>;
    for (const hook of HOOKS) lists[hook] = having(hook);
    this.lists = lists;
    this.interceptor =
      lists.preCall.length + lists.postCall.length > 0 ? this.callInterceptor() : undefined;
    this.watchesWrites = lists.preWriteRequest.length + lists.postWriteRequest.length > 0;
    this.watchesRequests = this.watchesWrites || lists.clientBeforeEncode.length > 0;
    this.watchesReads = READ_HOOKS.some((hook) => lists[hook].length > 0);
  }

  /** `clientBeforeEncode`: the request, to be framed once the hooks are done with it. */
  beforeEncode(message: RpcxMessage): void {
    this.runMessageHook('clientBeforeEncode', message);
  }

  preWrite(message: RpcxMessage): void {
    this.runMessageHook('preWriteRequest', message);
  }

  postWrite(message: RpcxMessage, failure: Error | undefined): void {
    for (const plugin of this.lists.postWriteRequest) {
      try {
        plugin.postWriteRequest!(message, failure);
      } catch (error) {
        this.logFailure(plugin, 'postWriteRequest', error);
      }
    }
  }

  /** The header hooks of an incoming frame at `bytes[start]`, before it is read. */
  beforeRead(bytes: Buffer, start: number): void {
    const lists = this.lists;
    if (lists.preReadResponseHeader.length > 0) {
      for (const plugin of lists.preReadResponseHeader) {
        this.guard(plugin, 'preReadResponseHeader', () => plugin.preReadResponseHeader!());
      }
    }
    if (lists.postReadResponseHeader.length + lists.preReadResponseBody.length === 0) return;
    const header = bytes.subarray(start, start + HEADER_LENGTH);
    for (const plugin of lists.postReadResponseHeader) {
      this.guard(plugin, 'postReadResponseHeader', () => plugin.postReadResponseHeader!(header));
    }
    for (const plugin of lists.preReadResponseBody) {
      this.guard(plugin, 'preReadResponseBody', () => plugin.preReadResponseBody!(header));
    }
  }

  /** The body hooks of an incoming frame, once read. */
  afterRead(message: RpcxMessage): void {
    this.runMessageHook('postReadResponseBody', message);
    this.runMessageHook('clientAfterDecode', message);
  }

  /** `connCreated`: the first failure fails the connection attempt (thrown). */
  async connCreated(conn: ConnectionInfo): Promise<void> {
    for (const plugin of this.lists.connCreated) {
      try {
        await plugin.connCreated!(conn);
      } catch (error) {
        throw pluginError(plugin, 'connCreated', error);
      }
    }
  }

  async clientConnected(conn: ConnectionInfo): Promise<void> {
    for (const plugin of this.lists.clientConnected) {
      await this.guardAsync(plugin, 'clientConnected', () => plugin.clientConnected!(conn));
    }
  }

  async connCreateFailed(address: string, failure: Error): Promise<void> {
    for (const plugin of this.lists.connCreateFailed) {
      await this.guardAsync(plugin, 'connCreateFailed', () =>
        plugin.connCreateFailed!(address, failure),
      );
    }
  }

  async clientConnectionClose(conn: ConnectionInfo, reason: Error): Promise<void> {
    for (const plugin of this.lists.clientConnectionClose) {
      await this.guardAsync(plugin, 'clientConnectionClose', () =>
        plugin.clientConnectionClose!(conn, reason),
      );
    }
  }

  private callInterceptor(): ClientInterceptor {
    const { preCall, postCall } = this.lists;
    return (next) => async (call: ClientCall) => {
      for (const plugin of preCall) {
        try {
          await plugin.preCall!(call, call.args);
        } catch (error) {
          throw pluginError(plugin, 'preCall', error);
        }
      }
      let reply: unknown;
      let thrown: unknown;
      let outcome: RpcxError | undefined;
      try {
        reply = await next(call);
      } catch (error) {
        thrown = error;
        outcome = asRpcxError(error, ErrorCode.Internal);
      }
      const failure = outcome;
      for (const plugin of postCall) {
        try {
          await plugin.postCall!(
            call,
            call.args,
            outcome === undefined ? reply : undefined,
            outcome,
          );
        } catch (error) {
          outcome = pluginError(plugin, 'postCall', error);
        }
      }
      // Unless a postCall replaced it, the caller gets what the call failed with, as thrown.
      if (outcome !== undefined) throw outcome === failure ? thrown : outcome;
      return reply;
    };
  }

  private runMessageHook(hook: MessageHook, message: RpcxMessage): void {
    for (const plugin of this.lists[hook]) this.guard(plugin, hook, () => plugin[hook]!(message));
  }

  private guard(plugin: ClientPlugin, hook: Hook, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.logFailure(plugin, hook, error);
    }
  }

  private async guardAsync(plugin: ClientPlugin, hook: Hook, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logFailure(plugin, hook, error);
    }
  }

  private logFailure(plugin: ClientPlugin, hook: Hook, error: unknown): void {
    this.logger.warn(`rpcx client: plugin ${describe(plugin)} failed in ${hook}`, {
      error: messageOf(error),
    });
  }
}

const READ_HOOKS: readonly Hook[] = [
  'preReadResponseHeader',
  'postReadResponseHeader',
  'preReadResponseBody',
  'postReadResponseBody',
  'clientAfterDecode',
];

const HOOKS: readonly Hook[] = [
  'preCall',
  'postCall',
  'connCreated',
  'connCreateFailed',
  'clientConnected',
  'clientConnectionClose',
  'clientBeforeEncode',
  'preWriteRequest',
  'postWriteRequest',
  ...READ_HOOKS,
  'wrapSelect',
];

/** A plugin's failure as the caller sees it: an RpcxError as thrown, anything else wrapped. */
function pluginError(plugin: ClientPlugin, hook: Hook, error: unknown): RpcxError {
  if (isRpcxError(error)) return error;
  return new RpcxError(
    ErrorCode.Internal,
    `plugin ${describe(plugin)} ${hook}: ${messageOf(error)}`,
    {
      cause: error,
    },
  );
}

function describe(plugin: ClientPlugin): string {
  return plugin.name ?? plugin.constructor?.name ?? 'anonymous';
}
