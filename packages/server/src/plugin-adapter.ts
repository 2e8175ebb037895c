/**
 * Server plugins (Go's hook interfaces, spec §3.8) adapted to the request path: the hooks around
 * the call — `preHandleRequest`, `preCall`, `postCall` — become one interceptor, and the hooks of
 * the other stages (read, heartbeat, write, accept, close, push) are sorted into lists once, so
 * a request pays only for the hooks that exist. A hook may be synchronous or return a promise; a
 * synchronous one keeps the request on the synchronous path. Error semantics are Go's: where Go
 * stops on an error, the first throw stops the hooks and is returned; where Go ignores errors,
 * they are logged.
 */
import { asError, type Logger, messageOf, type ServerPlugin } from '@rpcx/core';
import { isThenable, type ServerInterceptor } from './interceptor.js';
import type { ServerCall } from './types.js';

type HookName = Exclude<keyof ServerPlugin, 'name'>;

/** The plugins that have hook `K`, in the order they were added. */
export type HookList<K extends HookName> = ReadonlyArray<
  ServerPlugin & Required<Pick<ServerPlugin, K>>
>;

const HOOKS: readonly HookName[] = [
  'postConnAccept',
  'postConnClose',
  'preReadRequest',
  'postReadRequest',
  'preHandleRequest',
  'preCall',
  'postCall',
  'preWriteResponse',
  'postWriteResponse',
  'preWriteRequest',
  'postWriteRequest',
  'heartbeatRequest',
];

export class PluginAdapter {
  readonly all: ServerPlugin[] = [];
  postConnAccept: HookList<'postConnAccept'> = [];
  postConnClose: HookList<'postConnClose'> = [];
  preReadRequest: HookList<'preReadRequest'> = [];
  postReadRequest: HookList<'postReadRequest'> = [];
  preHandleRequest: HookList<'preHandleRequest'> = [];
  preCall: HookList<'preCall'> = [];
  postCall: HookList<'postCall'> = [];
  preWriteResponse: HookList<'preWriteResponse'> = [];
  postWriteResponse: HookList<'postWriteResponse'> = [];
  preWriteRequest: HookList<'preWriteRequest'> = [];
  postWriteRequest: HookList<'postWriteRequest'> = [];
  heartbeatRequest: HookList<'heartbeatRequest'> = [];

  constructor(private readonly logger: Logger) {}

  add(plugin: ServerPlugin): void {
    this.all.push(plugin);
    const lists = this as unknown as Record<HookName, ServerPlugin[]>;
    for (const hook of HOOKS) {
      if (typeof plugin[hook] === 'function') lists[hook] = [...lists[hook], plugin];
    }
  }

  remove(plugin: ServerPlugin): boolean {
    const at = this.all.indexOf(plugin);
    if (at < 0) return false;
    this.all.splice(at, 1);
    const lists = this as unknown as Record<HookName, ServerPlugin[]>;
    for (const hook of HOOKS) lists[hook] = lists[hook].filter((p) => p !== plugin);
    return true;
  }

  /** `preHandleRequest`, `preCall` and `postCall` as one interceptor; undefined without them. */
  interceptor(): ServerInterceptor | undefined {
    const { preHandleRequest, preCall, postCall } = this;
    if (preHandleRequest.length + preCall.length + postCall.length === 0) return undefined;
    return (next) => async (call: ServerCall) => {
      if (preHandleRequest.length > 0) {
        const conn = call.connection;
        await this.runIgnoring('preHandleRequest', preHandleRequest, (p) =>
          p.preHandleRequest(conn, call.request),
        );
      }
      // Decoding first: an unknown method or a bad payload fails before any call hook.
      let args = call.args;
      for (const plugin of preCall) {
        let replaced = plugin.preCall(call, args);
        if (isThenable(replaced)) replaced = await replaced;
        if (replaced !== undefined) args = replaced;
      }
      call.args = args;
      let reply: unknown;
      let failure: Error | undefined;
      try {
        reply = await next(call);
      } catch (error) {
        failure = asError(error);
      }
      try {
        for (const plugin of postCall) {
          let replaced = plugin.postCall(call, args, reply, failure);
          if (isThenable(replaced)) replaced = await replaced;
          if (replaced !== undefined) reply = replaced;
        }
      } catch (error) {
        failure ??= asError(error);
      }
      if (failure !== undefined) throw failure;
      return reply;
    };
  }

  /**
   * Calls a hook on every plugin in `list`, in order, stopping at the first that throws (or
   * rejects): its error is thrown (or the returned promise rejects with it). Returns a promise
   * only once a hook returned one.
   */
  runAll<P extends ServerPlugin>(
    list: readonly P[],
    call: (plugin: P) => unknown,
  ): Promise<void> | undefined {
    for (let i = 0; i < list.length; i++) {
      const result = call(list[i]!);
      if (isThenable(result)) return this.finishAll(list, call, i, result);
    }
    return undefined;
  }

  /**
   * Calls a hook whose errors Go ignores on every plugin in order; errors are logged. Returns a
   * promise only once a hook returned one.
   */
  runIgnoring<P extends ServerPlugin>(
    hook: HookName,
    list: readonly P[],
    call: (plugin: P) => unknown,
  ): Promise<void> | undefined {
    for (let i = 0; i < list.length; i++) {
      let result: unknown;
      try {
        result = call(list[i]!);
      } catch (error) {
        this.logHookError(hook, list[i]!, error);
        continue;
      }
      if (isThenable(result)) return this.finishIgnoring(hook, list, call, i, result);
    }
    return undefined;
  }

  private async finishAll<P extends ServerPlugin>(
    list: readonly P[],
    call: (plugin: P) => unknown,
    at: number,
    pending: PromiseLike<unknown>,
  ): Promise<void> {
    await pending;
    for (let i = at + 1; i < list.length; i++) await call(list[i]!);
  }

  private async finishIgnoring<P extends ServerPlugin>(
    hook: HookName,
    list: readonly P[],
    call: (plugin: P) => unknown,
    at: number,
    pending: PromiseLike<unknown>,
  ): Promise<void> {
    try {
      await pending;
    } catch (error) {
      this.logHookError(hook, list[at]!, error);
    }
    for (let i = at + 1; i < list.length; i++) {
      try {
        await call(list[i]!);
      } catch (error) {
        this.logHookError(hook, list[i]!, error);
      }
    }
  }

  private logHookError(hook: HookName, plugin: ServerPlugin, error: unknown): void {
    this.logger.warn(
      `rpcx: ${hook} plugin ${plugin.name ?? '(unnamed)'} failed: ${messageOf(error)}`,
    );
  }
}
