/**
 * Waiting on real processes and sockets (a registry, a server): poll until what is read passes a
 * check. Waits on timers take the fake clock (fake-clock.ts) instead.
 */

/**
 * Polls `read` every 20 ms until `check` holds and resolves with the value that passed; after
 * `limitMs` it fails, naming `what` and the last value read.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  check: (value: T) => boolean,
  limitMs: number,
  what: string,
): Promise<T> {
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > giveUp) {
      throw new Error(`not within ${limitMs} ms: ${what} (last: ${JSON.stringify(value)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
