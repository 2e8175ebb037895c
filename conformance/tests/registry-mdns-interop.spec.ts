/**
 * mDNS interop between @rpcx/registry-mdns and Go rpcx v1.9.4's built-in
 * `serverplugin.MDNSRegisterPlugin` / `client.MDNSDiscovery` (grandcat/zeroconf), spec §6.8.
 *
 * Everything that sends multicast — Go servers and XClients (conformance/go-registry/mdns, built
 * by scripts/registries/mdns.sh), TS servers with `MdnsRegisterPlugin`, TS XClients over
 * `MdnsDiscovery` — runs inside one network namespace made for this file (`unshare --net`, `lo`
 * with multicast plus an empty bridge `br0`, which Go's zeroconf needs), as children of the
 * agent (packages/registry-mdns/src/test-support/netns-agent.ts); the TCP calls stay inside it
 * too. The Go programs and the agent refuse to run outside such a namespace. Where namespaces
 * cannot be made, the first test fails with unshare's message.
 *
 * Each test stops its servers, so the next one's browses do not see them: [Go quirk] Go's
 * discovery lists every rpcx server on the network whatever service it serves.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { netnsUnavailable } from '@rpcx/testing';
import { MdnsAgent } from '../../packages/registry-mdns/src/test-support/netns-registry.js';

jest.setTimeout(90_000);

interface CallsResult {
  servers: Array<{ key: string; metadata?: string; value?: string }>;
  calls: number;
  failed: number;
  answers: Record<string, number>;
  errors: string[];
}

const tally: Array<[string, number, number]> = [];
function record(scenario: string, result: CallsResult): CallsResult {
  tally.push([scenario, result.calls, result.failed]);
  return result;
}

let agent: MdnsAgent;
let unique = 0;
const pathOf = (name: string) => `${name}I${++unique}`;
const stops: Array<() => Promise<unknown>> = [];

test('network namespaces can be made here (the mDNS interop tests need them)', () => {
  expect(netnsUnavailable()).toBeUndefined();
});

beforeAll(async () => {
  const script = join(__dirname, '..', '..', 'scripts', 'registries', 'mdns.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', timeout: 10 * 60_000 });
  const goBin = out.trim().split('\n').pop()!;
  agent = await MdnsAgent.start({ bridge: true, goBin });
}, 11 * 60_000);

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

afterAll(async () => {
  await agent?.stop();
  if (tally.length > 0) {
    console.log(
      [
        'mDNS interop — calls per scenario',
        ...tally.map(([s, calls, failed]) => `${s.padEnd(62)} calls=${calls} failed=${failed}`),
      ].join('\n'),
    );
  }
});

async function goServer(id: string, path: string, extra: Record<string, unknown> = {}) {
  const { handle, address } = await agent.request<{ handle: number; address: string }>(
    'go.server',
    { id, path, ...extra },
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await agent.request('go.server.stop', { handle });
  };
  stops.push(stop);
  return {
    address,
    stop,
    kill: async () => {
      stopped = true;
      await agent.request('go.server.kill', { handle });
    },
  };
}

async function tsServer(id: string, path: string, metadata?: string) {
  const { handle, address } = await agent.request<{ handle: number; address: string }>(
    'ts.server',
    { id, path, metadata },
  );
  stops.push(() => agent.request('ts.server.stop', { handle }));
  return { handle, address };
}

/** Go's XClient: waits (at most `wait`) for `expect` servers, then calls `Who` `calls` times. */
const goCalls = (path: string, expect: number, calls: number, wait = '15s') =>
  agent.request<CallsResult>('go.xclient', { path, expect, calls, wait }, 60_000);
/** A TS XClient in the namespace: the same, waiting at most `waitMs`. */
const tsCalls = (path: string, expect: number, calls: number, waitMs = 15_000) =>
  agent.request<CallsResult>('ts.calls', { path, expect, calls, waitMs }, 60_000);

test("a Go server registered by Go's mDNS plugin is discovered and called by a TS XClient", async () => {
  const path = pathOf('Fleet');
  const go = await goServer('go-1', path, { metadata: 'weight=3&group=g' });
  const result = record('Go server ← TS XClient (MdnsDiscovery)', await tsCalls(path, 1, 10));
  expect(result.servers).toEqual([{ key: go.address, metadata: 'weight=3&group=g' }]);
  expect(result.answers).toEqual({ 'go-1': 10 });
  expect(result.failed).toBe(0);
});

test("a TS server registered by the TS plugin is discovered and called by a Go XClient (Go's MDNSDiscovery)", async () => {
  const path = pathOf('Fleet');
  const ts = await tsServer('ts-1', path, 'weight=2');
  const result = record('TS server ← Go XClient (MDNSDiscovery)', await goCalls(path, 1, 10));
  expect(result.servers).toEqual([{ key: ts.address, value: 'weight=2' }]);
  expect(result.answers).toEqual({ 'ts-1': 10 });
  expect(result.failed).toBe(0);
});

test('a mixed fleet (one Go, one TS server under one service): a Go and a TS XClient each reach both', async () => {
  const path = pathOf('Fleet');
  const go = await goServer('go-1', path);
  const ts = await tsServer('ts-1', path);
  const fromGo = record('mixed fleet ← Go XClient', await goCalls(path, 2, 20));
  const fromTs = record('mixed fleet ← TS XClient', await tsCalls(path, 2, 20));
  const both = [go.address, ts.address].sort();
  expect(fromGo.servers.map((s) => s.key).sort()).toEqual(both);
  expect(fromTs.servers.map((s) => s.key).sort()).toEqual(both);
  // RoundRobin over two servers: ten calls each.
  expect(fromGo.answers).toEqual({ 'go-1': 10, 'ts-1': 10 });
  expect(fromTs.answers).toEqual({ 'go-1': 10, 'ts-1': 10 });
  expect(fromGo.failed + fromTs.failed).toBe(0);
});

test("a Go server's goodbye reaches a TS discovery at once; a killed Go server is gone at the next browse", async () => {
  const path = pathOf('Fleet');
  // A 60 s interval: only the first browse and announcements can change this list.
  const slow = agent.discovery(path, 60_000);
  const browsing = agent.discovery(path);
  stops.push(
    () => slow.close(),
    () => browsing.close(),
  );
  // Two hosts: Go names its instance after the host name (see the next test).
  const first = await goServer('go-1', path, { hostname: 'go-host-1' });
  const second = await goServer('go-2', path, { hostname: 'go-host-2' });
  const listed = (d: typeof slow) =>
    d
      .getServices()
      .map((e) => e.key)
      .sort()
      .join();
  const both = [first.address, second.address].sort().join();
  await until(() => listed(slow) === both && listed(browsing) === both, 10_000, 'both listed');

  const started = Date.now();
  await first.stop(); // Shutdown, then zeroconf's goodbye (TTL 0)
  await until(() => listed(slow) === second.address, 2_000, 'go-1 gone after its goodbye');
  const goodbyeMs = Date.now() - started;

  await second.kill();
  await until(() => listed(browsing) === '', agent.watchIntervalMs + 2_000, 'go-2 gone');
  // No goodbye from a killed server: the slow discovery still lists it until it browses again.
  expect(listed(slow)).toBe(second.address);
  console.log(`[mdns interop] Go goodbye seen by the TS discovery after ${goodbyeMs} ms`);
});

test('[Go quirk] two Go servers of one host share one DNS-SD instance name: browsers see one of them', async () => {
  const path = pathOf('Fleet');
  const first = await goServer('go-1', path);
  const second = await goServer('go-2', path);
  // Each waits its whole bound for a second server that never shows.
  const fromGo = await goCalls(path, 2, 0, '2s');
  expect(fromGo.servers).toHaveLength(1);
  expect([first.address, second.address]).toContain(fromGo.servers[0]!.key);
  const fromTs = await tsCalls(path, 2, 0, 2_000);
  expect(fromTs.servers).toHaveLength(1);
});

test("[Go quirk] Go's discovery ignores the service path (Arith finds ArithX); the TS discovery does not", async () => {
  const path = pathOf('Arith');
  const exact = await tsServer('ts-exact', path);
  const longer = await tsServer('ts-longer', `${path}X`);
  const fromTs = record('Arith vs ArithX ← TS XClient', await tsCalls(path, 1, 4));
  expect(fromTs.servers.map((s) => s.key)).toEqual([exact.address]);
  expect(fromTs.answers).toEqual({ 'ts-exact': 4 });
  const fromGo = await goCalls(path, 2, 0);
  expect(fromGo.servers.map((s) => s.key).sort()).toEqual([exact.address, longer.address].sort());
});

test("services spread over several instances (255-byte TXT strings) are all read by Go's discovery", async () => {
  const path = pathOf('WideFleetService');
  const ts = await tsServer('ts-wide', path, 'weight=10&group=a-rather-long-group-name');
  const others = [1, 2, 3].map((i) => `${path}Other${i}`);
  for (const other of others) {
    await agent.request('ts.server.register', {
      handle: ts.handle,
      id: 'ts-wide',
      path: other,
      metadata: 'weight=10&group=a-rather-long-group-name',
    });
  }
  // [Go quirk] one pair per element, whatever its service: four, from more than one instance.
  const fromGo = record('4 services, several instances ← Go XClient', await goCalls(path, 4, 4));
  expect(fromGo.servers).toHaveLength(4);
  expect(new Set(fromGo.servers.map((s) => s.key))).toEqual(new Set([ts.address]));
  expect(fromGo.answers).toEqual({ 'ts-wide': 4 });
  const fromTs = record('4 services, several instances ← TS XClient', await tsCalls(path, 1, 4));
  expect(fromTs.servers).toEqual([
    { key: ts.address, metadata: 'weight=10&group=a-rather-long-group-name' },
  ]);
});

async function until(check: () => boolean, limitMs: number, what: string): Promise<void> {
  const giveUp = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > giveUp) throw new Error(`within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
