/**
 * Helpers of the Consul specs: raw Consul HTTP (what an operator or Go would see), bounded
 * polling, in-process rpcx servers registered through the plugin, and a call loop that counts.
 */
import { FailMode, SelectMode, XClient, type XClientOptions } from '@rpcx/client';
import type { RegistryPlugin, ServerPlugin, ServiceDiscovery } from '@rpcx/core';
import { Server } from '@rpcx/server';

/** One raw KV entry, as Consul's HTTP API returns it (Flags kept exact, as text). */
export interface RawEntry {
  key: string;
  value: string;
  flags: string;
  session: string | undefined;
}

/** Consul's HTTP API, without the package under test. */
export async function consulHttp(
  address: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://${address}${path}`, { method, body });
  return { status: response.status, text: await response.text() };
}

/** Every KV entry under `prefix`, Flags read from the JSON text (they exceed 2^53). */
export async function rawList(address: string, prefix: string): Promise<RawEntry[]> {
  const { status, text } = await consulHttp(address, 'GET', `/v1/kv/${prefix}?recurse=true`);
  if (status === 404) return [];
  if (status !== 200) throw new Error(`consul GET ${prefix}: ${status} ${text}`);
  const flags = [...text.matchAll(/"Flags":\s*(\d+)/g)].map((match) => match[1]!);
  const items = JSON.parse(text) as Array<{ Key: string; Value: string | null; Session?: string }>;
  return items.map((item, i) => ({
    key: item.Key,
    value: Buffer.from(item.Value ?? '', 'base64').toString(),
    flags: flags[i]!,
    session: item.Session,
  }));
}

/** Writes a key by hand (a plain PUT, as an operator would). */
export async function putByHand(address: string, key: string, value: string): Promise<void> {
  const { status, text } = await consulHttp(address, 'PUT', `/v1/kv/${key}`, value);
  if (status !== 200) throw new Error(`consul PUT ${key}: ${status} ${text}`);
}

export async function deleteByHand(address: string, key: string): Promise<void> {
  await consulHttp(address, 'DELETE', `/v1/kv/${key}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, for at most `limitMs`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  limitMs: number,
  what: string,
): Promise<T> {
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > giveUp) throw new Error(`not within ${limitMs} ms: ${what}`);
    await sleep(20);
  }
}

export interface TestServer {
  address: string;
  server: Server;
  stop(): Promise<void>;
}

/** An rpcx server on a free loopback port serving `servicePath.Who` → `id`, with `plugins`. */
export async function startWhoServer(
  id: string,
  servicePath: string,
  plugins: readonly (RegistryPlugin | ServerPlugin)[],
  metadata?: string,
): Promise<TestServer> {
  const server = new Server({ plugins });
  server.registerName(servicePath, { Who: () => id }, metadata === undefined ? {} : { metadata });
  const address = await server.listen('tcp@127.0.0.1:0');
  return { address, server, stop: () => server.shutdown({ timeoutMs: 2_000 }) };
}

/** An XClient (Failover, RoundRobin unless told) calling `Who`. */
export function whoClient(
  servicePath: string,
  discovery: ServiceDiscovery,
  options: Partial<XClientOptions> = {},
): { xclient: XClient; who(timeoutMs?: number): Promise<string>; close(): Promise<void> } {
  const xclient = new XClient({
    servicePath,
    discovery,
    failMode: FailMode.Failover,
    selectMode: SelectMode.RoundRobin,
    ...options,
  });
  return {
    xclient,
    who: (timeoutMs = 2_000) => xclient.call<string>('Who', {}, { timeoutMs }),
    close: () => xclient.close(),
  };
}

/** Calls `who` one after another until stopped, counting calls made and failed. */
export function callLoop(who: () => Promise<string>, pauseMs = 5) {
  const counts = { made: 0, failed: 0, answers: new Map<string, number>() };
  const errors: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      counts.made++;
      try {
        const id = await who();
        counts.answers.set(id, (counts.answers.get(id) ?? 0) + 1);
      } catch (error) {
        counts.failed++;
        if (errors.length < 5) errors.push(String(error));
      }
      await sleep(pauseMs);
    }
  })();
  return {
    counts,
    errors,
    async stop() {
      running = false;
      await done;
      return counts;
    },
  };
}
