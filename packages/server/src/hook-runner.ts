/** Running the server hooks whose errors Go ignores: each plugin in order, failures logged. */

import type { ServerPlugin } from '@rpcx/core';
import { errorMessage } from './errors.js';
import { isThenable } from './plugin-container.js';
import type { ServerCore } from './server-core.js';

/**
 * Calls a hook whose errors Go ignores, on every plugin in order; errors are logged. Returns a
 * promise only if a hook returned one.
 */
export function runIgnoringErrors<P extends ServerPlugin>(
  core: Pick<ServerCore, 'logger'>,
  hook: string,
  plugins: readonly P[],
  call: (plugin: P) => unknown,
): Promise<void> | undefined {
  for (let i = 0; i < plugins.length; i++) {
    let result: unknown;
    try {
      result = call(plugins[i]!);
    } catch (error) {
      logHookError(core, hook, plugins[i]!, error);
      continue;
    }
    if (isThenable(result)) return finishIgnoring(core, hook, plugins, call, i, result);
  }
  return undefined;
}

async function finishIgnoring<P extends ServerPlugin>(
  core: Pick<ServerCore, 'logger'>,
  hook: string,
  plugins: readonly P[],
  call: (plugin: P) => unknown,
  at: number,
  pending: PromiseLike<unknown>,
): Promise<void> {
  try {
    await pending;
  } catch (error) {
    logHookError(core, hook, plugins[at]!, error);
  }
  for (let i = at + 1; i < plugins.length; i++) {
    try {
      const result = call(plugins[i]!);
      if (isThenable(result)) await result;
    } catch (error) {
      logHookError(core, hook, plugins[i]!, error);
    }
  }
}

function logHookError(
  core: Pick<ServerCore, 'logger'>,
  hook: string,
  plugin: ServerPlugin,
  error: unknown,
): void {
  core.logger.warn(
    `rpcx: ${hook} plugin ${plugin.name ?? '(unnamed)'} failed: ${errorMessage(error)}`,
  );
}
