/**
 * Server plugins, sorted by hook once when added so that a request pays only for the hooks that
 * exist (Go type-asserts every plugin at every hook point; spec §3.8).
 */
import type { ServerPlugin } from '@rpcx/core';

type HookName = Exclude<keyof ServerPlugin, 'name'>;

/** The hooks that run on the way of a request; without any, requests take the plain path. */
const REQUEST_HOOKS: readonly HookName[] = [
  'preReadRequest',
  'postReadRequest',
  'preHandleRequest',
  'preCall',
  'postCall',
  'preWriteResponse',
  'postWriteResponse',
  'heartbeatRequest',
];

/** Every hook: the request ones, plus connection and server-push hooks. */
const HOOKS: readonly HookName[] = [
  ...REQUEST_HOOKS,
  'postConnAccept',
  'postConnClose',
  'preWriteRequest',
  'postWriteRequest',
];

/** The plugins that have a given hook, in registration order. */
export type HookList<K extends HookName> = ReadonlyArray<
  ServerPlugin & Required<Pick<ServerPlugin, K>>
>;

export class PluginContainer {
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
  /** Whether some plugin has a request hook. */
  watchRequests = false;

  add(plugin: ServerPlugin): void {
    this.all.push(plugin);
    const lists = this as unknown as Record<HookName, ServerPlugin[]>;
    for (const hook of HOOKS) {
      if (typeof plugin[hook] === 'function') lists[hook] = [...lists[hook], plugin];
    }
    this.updateWatchRequests();
  }

  remove(plugin: ServerPlugin): boolean {
    const at = this.all.indexOf(plugin);
    if (at < 0) return false;
    this.all.splice(at, 1);
    const lists = this as unknown as Record<HookName, ServerPlugin[]>;
    for (const hook of HOOKS) lists[hook] = lists[hook].filter((p) => p !== plugin);
    this.updateWatchRequests();
    return true;
  }

  private updateWatchRequests(): void {
    const lists = this as unknown as Record<HookName, ServerPlugin[]>;
    this.watchRequests = REQUEST_HOOKS.some((hook) => lists[hook].length > 0);
  }
}

/** Whether a hook's result must be awaited. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
