/**
 * The mDNS side of the tests, run inside a network namespace of the test's own (started with
 * @rpcx/testing's `startInNetns`): every multicast socket of a test lives here, never in the
 * jest process. It refuses to start unless `assertIsolatedNetns()` holds.
 *
 * It owns real `MdnsRegisterPlugin`s and `MdnsDiscovery`s (and TS servers, TS XClients, Go
 * servers and Go XClients for the interop tests: regserver and regxclient of conformance/go with
 * `-registry mdns`) and is driven over stdin/stdout, one JSON object
 * per line: requests `{"rid":1,"op":"plugin.new",...}` on stdin, replies
 * `MSG {"rid":1,"ok":true,"result":...}` (or `"ok":false,"error":"..."`) and watch events
 * `MSG {"event":"list","handle":3,"list":[...]}` on stdout. The jest side is netns-registry.ts.
 *
 *   netns-agent.ts [--browse-timeout-ms 300] [--watch-interval-ms 1000] [--go-bin <dir>]
 *
 * Prints `READY <netns>` once it listens for requests. Exits when stdin closes (the launcher's
 * RPCX_EXIT_WITH_PARENT); its children (registrants, Go programs) read stdin from it and exit
 * with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SerializeType, XClient } from '@rpcx/client';
import { RegistryMeters, type ServiceEndpoint } from '@rpcx/core';
import { Server } from '@rpcx/server';
import {
  assertIsolatedNetns,
  currentNetns,
  ip,
  type NodeProcess,
  startProcess,
} from '@rpcx/testing';
import {
  MdnsDiscovery,
  type MdnsDiscoveryOptions,
  MdnsRegisterPlugin,
  type MdnsRegisterPluginOptions,
} from '../index.js';
import { NETNS_SOCKET } from './netns-socket.js';

assertIsolatedNetns();

const { values } = parseArgs({
  options: {
    'browse-timeout-ms': { type: 'string', default: '300' },
    'watch-interval-ms': { type: 'string', default: '1000' },
    'go-bin': { type: 'string', default: '' },
  },
});

const discoveryOptions: MdnsDiscoveryOptions = {
  socket: NETNS_SOCKET,
  browseTimeoutMs: Number(values['browse-timeout-ms']),
  watchIntervalMs: Number(values['watch-interval-ms']),
  backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
};
const pluginOptions: MdnsRegisterPluginOptions = {
  socket: NETNS_SOCKET,
  backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
};

type Args = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Handles

let nextHandle = 1;
const plugins = new Map<number, { plugin: MdnsRegisterPlugin; paths: Set<string> }>();
const discoveries = new Map<number, { discovery: MdnsDiscovery; stop: AbortController }>();
const registrants = new Map<number, NodeProcess>();
const tsServers = new Map<number, { server: Server; plugin: MdnsRegisterPlugin }>();
const goServers = new Map<number, GoProcess>();

function emit(message: object): void {
  process.stdout.write(`MSG ${JSON.stringify(message)}\n`);
}

const plain = (list: readonly ServiceEndpoint[]) =>
  list.map((e) => ({ key: e.key, metadata: e.metadata }));

function handleOf<T>(map: Map<number, T>, args: Args): T {
  const entry = map.get(Number(args.handle));
  if (entry === undefined) throw new Error(`no such handle ${String(args.handle)}`);
  return entry;
}

const str = (args: Args, name: string): string => {
  const value = args[name];
  if (typeof value !== 'string') throw new Error(`${name} must be a string`);
  return value;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms for at most `limitMs`; returns whether it came true. */
async function until(check: () => boolean, limitMs: number): Promise<boolean> {
  const giveUp = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > giveUp) return false;
    await sleep(20);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Operations

class Fleet {
  constructor(private readonly id: string) {}
  Who() {
    return { Id: this.id };
  }
  Mul(args: { A?: number; B?: number }) {
    return { Id: this.id, C: (args?.A ?? 0) * (args?.B ?? 0) };
  }
}

const ops: Record<string, (args: Args) => Promise<unknown> | unknown> = {
  'plugin.new': (args) => {
    const plugin = new MdnsRegisterPlugin({
      ...pluginOptions,
      serviceAddress: typeof args.serviceAddress === 'string' ? args.serviceAddress : undefined,
    });
    const handle = nextHandle++;
    plugins.set(handle, { plugin, paths: new Set() });
    return { handle };
  },
  'plugin.start': async (args) => {
    const { plugin } = handleOf(plugins, args);
    await plugin.start((args.addresses as string[] | undefined) ?? []);
    return { serviceAddress: plugin.serviceAddress };
  },
  'plugin.register': async (args) => {
    const entry = handleOf(plugins, args);
    await entry.plugin.register(str(args, 'path'), str(args, 'metadata'));
    entry.paths.add(str(args, 'path'));
    return { instances: entry.plugin.instanceNames };
  },
  'plugin.unregister': async (args) => {
    const entry = handleOf(plugins, args);
    await entry.plugin.unregister(str(args, 'path'));
    entry.paths.delete(str(args, 'path'));
    return {};
  },
  'plugin.stop': async (args) => {
    const entry = handleOf(plugins, args);
    await entry.plugin.stop();
    plugins.delete(Number(args.handle));
    return {};
  },
  'plugin.stats': (args) => handleOf(plugins, args).plugin.stats(),

  'discovery.new': (args) => {
    const discovery = new MdnsDiscovery(str(args, 'path'), {
      ...discoveryOptions,
      ...(typeof args.watchIntervalMs === 'number'
        ? { watchIntervalMs: args.watchIntervalMs }
        : {}),
    });
    const handle = nextHandle++;
    const stop = new AbortController();
    discoveries.set(handle, { discovery, stop });
    void (async () => {
      for await (const list of discovery.watch(stop.signal)) {
        emit({ event: 'list', handle, list: plain(list) });
      }
    })();
    return { handle, list: plain(discovery.getServices()) };
  },
  'discovery.ready': async (args) => {
    const { discovery } = handleOf(discoveries, args);
    await discovery.ready();
    return { list: plain(discovery.getServices()) };
  },
  'discovery.stats': (args) => handleOf(discoveries, args).discovery.stats(),
  'discovery.close': async (args) => {
    const entry = handleOf(discoveries, args);
    entry.stop.abort();
    await entry.discovery.close();
    discoveries.delete(Number(args.handle));
    return {};
  },

  /** The operator's edit: the server (here, its plugin) announces other metadata. */
  edit: async (args) => {
    const path = str(args, 'path');
    const address = str(args, 'address');
    for (const { plugin, paths } of plugins.values()) {
      if (plugin.serviceAddress === address && paths.has(path)) {
        await plugin.register(path, str(args, 'metadata'));
        return {};
      }
    }
    throw new Error(`no plugin here registers ${path} at ${address}`);
  },

  'registrant.spawn': async (args) => {
    const child = await startProcess(
      join(__dirname, 'registrant.ts'),
      [str(args, 'path'), str(args, 'address')],
      { readyLine: /^REGISTERED (\S+)$/ },
    );
    const handle = nextHandle++;
    registrants.set(handle, child);
    return { handle, pid: child.pid };
  },
  'registrant.kill': async (args) => {
    const child = handleOf(registrants, args);
    const exit = await child.kill('SIGKILL');
    registrants.delete(Number(args.handle));
    return exit;
  },

  /** `lo` down for `ms`, then up again (the route for 224.0.0.0/4 goes with it: put it back). */
  'net.down': () => {
    ip('link', 'set', 'lo', 'down');
    return {};
  },
  'net.up': () => {
    ip('link', 'set', 'lo', 'up');
    ip('route', 'replace', '224.0.0.0/4', 'dev', 'lo');
    return {};
  },
  'net.outage': async (args) => {
    ip('link', 'set', 'lo', 'down');
    await sleep(Number(args.ms ?? 1000));
    ip('link', 'set', 'lo', 'up');
    ip('route', 'replace', '224.0.0.0/4', 'dev', 'lo');
    return {};
  },

  /**
   * A TS server serving `Fleet`-like `path` in this namespace, registered over mDNS; with
   * `metrics`, counting its calls and connections (RegistryMeters) for the plugin's refresh
   * every `updateIntervalMs`.
   */
  'ts.server': async (args) => {
    const meters = args.metrics === true ? new RegistryMeters() : undefined;
    const plugin = new MdnsRegisterPlugin({
      ...pluginOptions,
      metrics: meters,
      ...(typeof args.updateIntervalMs === 'number'
        ? { updateIntervalMs: args.updateIntervalMs }
        : {}),
    });
    const server = new Server({ plugins: meters === undefined ? [plugin] : [meters, plugin] });
    server.registerName(str(args, 'path'), new Fleet(str(args, 'id')), {
      methods: ['Who', 'Mul'],
      metadata: typeof args.metadata === 'string' ? args.metadata : undefined,
    });
    const address = await server.listen('tcp@127.0.0.1:0');
    const handle = nextHandle++;
    tsServers.set(handle, { server, plugin });
    return { handle, address, instances: plugin.instanceNames };
  },
  'ts.server.register': (args) => {
    const { server } = handleOf(tsServers, args);
    server.registerName(str(args, 'path'), new Fleet(str(args, 'id')), {
      methods: ['Who', 'Mul'],
      metadata: typeof args.metadata === 'string' ? args.metadata : undefined,
    });
    return {};
  },
  'ts.server.stats': (args) => handleOf(tsServers, args).plugin.stats(),
  'ts.server.stop': async (args) => {
    const { server } = handleOf(tsServers, args);
    await server.shutdown({ timeoutMs: 2_000 });
    tsServers.delete(Number(args.handle));
    return {};
  },

  /**
   * A TS XClient over an MdnsDiscovery of `path` in this namespace: waits until the discovery
   * lists `expect` servers, then calls `Who` `n` times. The result has regxclient's shape:
   * `{ discovered: [{ key, value }], calls, failed, servers: { id: answers }, errors }`.
   */
  'ts.calls': async (args) => {
    const path = str(args, 'path');
    const expect = Number(args.expect ?? 1);
    const discovery = new MdnsDiscovery(path, discoveryOptions);
    const xclient = new XClient({
      servicePath: path,
      discovery,
      serializeType: SerializeType.JSON,
    });
    try {
      await until(() => xclient.servers.length >= expect, Number(args.waitMs ?? 15_000));
      const discovered = discovery
        .getServices()
        .map((e) => ({ key: e.key, value: e.metadata }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const servers: Record<string, number> = {};
      const errors: string[] = [];
      let failed = 0;
      const calls = Number(args.n ?? 10);
      for (let i = 0; i < calls; i++) {
        try {
          const reply = await xclient.call<{ Id: string }>('Who', {}, { timeoutMs: 5_000 });
          servers[reply.Id] = (servers[reply.Id] ?? 0) + 1;
        } catch (error) {
          failed++;
          errors.push((error as Error).message);
        }
      }
      return { discovered, calls, failed, servers, errors };
    } finally {
      await xclient.close();
      await discovery.close();
    }
  },

  /** A Go rpcx server with Go's mDNS plugin (conformance/go cmd/regserver -registry mdns). */
  'go.server': async (args) => {
    const argv = ['-registry', 'mdns', '-id', str(args, 'id'), '-service', str(args, 'path')];
    if (typeof args.metadata === 'string') argv.push('-metadata', args.metadata);
    if (typeof args.interval === 'string') argv.push('-interval', args.interval);
    const hostname = typeof args.hostname === 'string' ? args.hostname : undefined;
    const go = await startGo('regserver', argv, /^READY (\S+)$/, 20_000, hostname);
    const handle = nextHandle++;
    goServers.set(handle, go);
    return { handle, address: go.ready[1] };
  },
  'go.server.stop': async (args) => {
    const go = handleOf(goServers, args);
    goServers.delete(Number(args.handle));
    return go.stop();
  },
  'go.server.kill': async (args) => {
    const go = handleOf(goServers, args);
    goServers.delete(Number(args.handle));
    go.child.kill('SIGKILL');
    return go.exited;
  },
  /**
   * A Go XClient over Go's MDNSDiscovery (conformance/go cmd/regxclient -registry mdns): its JSON
   * result line, and its exit code.
   */
  'go.xclient': async (args) => {
    const argv = [
      '-registry',
      'mdns',
      '-service',
      str(args, 'path'),
      '-expect',
      String(args.expect ?? 1),
      '-n',
      String(args.n ?? 10),
      '-browse-timeout',
      String(args.browseTimeout ?? '500ms'),
      '-interval',
      String(args.interval ?? '1s'),
      '-wait',
      String(args.wait ?? '15s'),
    ];
    const go = await startGo('regxclient', argv, /^(\{.*\})$/, 60_000);
    const { code } = await go.exited;
    return { ...JSON.parse(go.ready[1]!), code };
  },
  ping: () => ({ netns: currentNetns() }),
};

// ---------------------------------------------------------------------------------------------
// Go programs (children of this process: they share the namespace)

interface GoProcess {
  child: ChildProcess;
  ready: RegExpExecArray;
  exited: Promise<{ code: number | null; signal: string | null }>;
  stop(): Promise<{ code: number | null; signal: string | null; stdout: string }>;
}

/**
 * Starts a Go program of `--go-bin`. With `hostname`, in a UTS namespace of its own with that
 * host name (same network namespace): Go's plugin names its DNS-SD instance after the host, so
 * two Go servers of one host collide.
 */
function startGo(
  program: string,
  argv: string[],
  ready: RegExp,
  timeoutMs = 20_000,
  hostname?: string,
) {
  const dir = values['go-bin'];
  if (dir === undefined || dir === '') throw new Error('no --go-bin given to the agent');
  const binary = join(dir, program);
  const [command, commandArgs] =
    hostname === undefined
      ? [binary, argv]
      : [
          'unshare',
          ['--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, binary, ...argv],
        ];
  return new Promise<GoProcess>((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.once('close', (code, signal) => {
        done({ code, signal });
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${program} exited (${code}, ${signal}): ${stderr}${stdout}`));
        }
      }),
    );
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${program}: no line matching ${ready} in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-16_384);
    });
    child.stdin!.on('error', () => {});
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (settled) return;
      for (const line of stdout.split('\n')) {
        const match = ready.exec(line);
        if (match === null) continue;
        settled = true;
        clearTimeout(timer);
        resolve({
          child,
          ready: match,
          exited,
          stop: async () => {
            child.stdin!.end(); // EOF on stdin: graceful shutdown
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            const exit = await exited;
            clearTimeout(kill);
            return { ...exit, stdout };
          },
        });
        return;
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The request loop

let buffered = '';
process.stdin.ref?.(); // the launcher unrefs stdin; it is this program's lifeline
process.stdin.on('data', (chunk: Buffer) => {
  const lines = (buffered + chunk.toString()).split('\n');
  buffered = lines.pop()!;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let request: Args;
    try {
      request = JSON.parse(line) as Args;
    } catch {
      emit({ rid: -1, ok: false, error: `bad request line: ${line}` });
      continue;
    }
    const rid = request.rid;
    const op = ops[String(request.op)];
    if (op === undefined) {
      emit({ rid, ok: false, error: `unknown op ${String(request.op)}` });
      continue;
    }
    Promise.resolve()
      .then(() => op(request))
      .then(
        (result) => emit({ rid, ok: true, result: result ?? {} }),
        (error: unknown) =>
          emit({ rid, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  }
});

process.stdout.write(`READY ${currentNetns()}\n`);
