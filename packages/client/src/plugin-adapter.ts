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
  type SelectFunc,
} from '@rpcx/core';
import { HEADER_LENGTH } from '@rpcx/protocol';
import type { ClientCall } from './call.js';
import type { CallHandler, ClientInterceptor } from './interceptor.js';

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

  /** `wrapSelect`: each plugin wraps the pick of the one before (the selector's first). */
  wrapSelect(select: SelectFunc): SelectFunc {
    let wrapped = select;
    for (const plugin of this.lists.wrapSelect) wrapped = plugin.wrapSelect!(wrapped);
    return wrapped;
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

  /**
   * `preCall` hooks, the rest of the chain, then `postCall` hooks. Hooks that return no promise
   * are not awaited, so plugins with synchronous hooks cost one `then` per call.
   */
  private callInterceptor(): ClientInterceptor {
    const { preCall, postCall } = this.lists;
    const send = (next: CallHandler, call: ClientCall): Promise<unknown> =>
      next(call).then(
        (reply) => runPostCalls(postCall, call, reply, undefined, undefined, 0),
        (error: unknown) => {
          const failure = asRpcxError(error, ErrorCode.Internal);
          return runPostCalls(postCall, call, undefined, error, failure, 0, failure);
        },
      );
    return (next) => (call) => {
      const before = runPreCalls(preCall, call, 0);
      return before === undefined ? send(next, call) : before.then(() => send(next, call));
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

/** Runs `preCall` hooks from `index`; a promise only once a hook returned one. */
function runPreCalls(
  plugins: readonly ClientPlugin[],
  call: ClientCall,
  index: number,
): Promise<void> | undefined {
  for (let i = index; i < plugins.length; i++) {
    const plugin = plugins[i]!;
    let result: unknown;
    try {
      result = plugin.preCall!(call, call.args);
    } catch (error) {
      return Promise.reject(pluginError(plugin, 'preCall', error));
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        () => runPreCalls(plugins, call, i + 1),
        (error: unknown) => {
          throw pluginError(plugin, 'preCall', error);
        },
      );
    }
  }
  return undefined;
}

/**
 * Runs `postCall` hooks from `index` with the outcome so far (`outcome`: the failure, or what a
 * hook replaced it with); returns the reply or throws — unless a postCall replaced it, what the
 * call failed with, as thrown.
 */
function runPostCalls(
  plugins: readonly ClientPlugin[],
  call: ClientCall,
  reply: unknown,
  thrown: unknown,
  failure: RpcxError | undefined,
  index: number,
  outcome: RpcxError | undefined = failure,
): unknown {
  for (let i = index; i < plugins.length; i++) {
    const plugin = plugins[i]!;
    let result: unknown;
    try {
      result = plugin.postCall!(
        call,
        call.args,
        outcome === undefined ? reply : undefined,
        outcome,
      );
    } catch (error) {
      outcome = pluginError(plugin, 'postCall', error);
      continue;
    }
    if (isPromiseLike(result)) {
      const current = outcome;
      return Promise.resolve(result).then(
        () => runPostCalls(plugins, call, reply, thrown, failure, i + 1, current),
        (error: unknown) =>
          runPostCalls(
            plugins,
            call,
            reply,
            thrown,
            failure,
            i + 1,
            pluginError(plugin, 'postCall', error),
          ),
      );
    }
  }
  if (outcome !== undefined) throw outcome === failure ? thrown : outcome;
  return reply;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

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
