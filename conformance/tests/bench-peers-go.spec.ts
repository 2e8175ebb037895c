/**
 * The Go side of `pnpm bench:peers` (conformance/go/cmd/benchserver and cmd/benchclient): the Go
 * client against the Go server for every codec of rpcx-benchmark's `Hello.Say` plus the raw
 * `Hello.Echo`, and the Go client against our server. Checks the line protocol the benchmark
 * drives them with, never timings.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SerializeType } from '@rpcx/core';
import { type CallContext, Server } from '@rpcx/server';
import protobuf from 'protobufjs';
import type { ExternalSlice } from '../../apps/bench/src/load/load-generator.js';
import { type GoProgram, goBin, runGo } from './support/go-tools.js';
import { protobufCodec } from './support/reference-services.js';

jest.setTimeout(120_000);

const BenchmarkMessage = protobuf
  .loadSync(join(__dirname, '..', 'proto', 'bench.proto'))
  .lookupType('bench.BenchmarkMessage');
/** The keys Go's JSON and MsgPack codecs write for the message: Go field names, declaration order. */
const GO_KEYS = BenchmarkMessage.fieldsArray.map((f) => f.name[0]!.toUpperCase() + f.name.slice(1));
const BENCH_STRING = '许多往事在眼前一幕一幕，变的那麼模糊';

type Codec = 'json' | 'msgpack' | 'protobuf' | 'raw';
const RUNS: ReadonlyArray<readonly [Codec, 'Say' | 'Echo']> = [
  ['json', 'Say'],
  ['msgpack', 'Say'],
  ['protobuf', 'Say'],
  ['raw', 'Echo'],
];

/** What `benchclient` answers to `slice <ms>`: the bench app's type for it. */
type Slice = ExternalSlice;

/** A Go program driven line by line: every command written gets one stdout line back. */
class LineProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private readonly waiting: Array<(line: string | undefined) => void> = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(program: GoProgram, args: string[]) {
    this.child = spawn(goBin(program), args, { stdio: 'pipe' });
    this.child.stdin.on('error', () => {}); // it may be gone; `next` reports that
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-16_384);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter === undefined) this.lines.push(line);
      else waiter(line);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code) => {
        for (const waiter of this.waiting.splice(0)) waiter(undefined);
        resolve(code);
      }),
    );
  }

  /** The next stdout line; fails with stderr when the program exits or stays silent. */
  async next(timeoutMs = 30_000): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return queued;
    const line = await new Promise<string | undefined>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure('printed nothing in time')), timeoutMs);
      this.waiting.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
    if (line === undefined) throw this.failure('exited');
    return line;
  }

  async command(line: string): Promise<string> {
    this.child.stdin.write(`${line}\n`);
    return this.next();
  }

  /** EOF on stdin, then the exit code (SIGKILL after 10 s). */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(killer);
    return code;
  }

  private failure(why: string): Error {
    return new Error(`${this.child.spawnfile} ${why}\n--- stderr ---\n${this.stderr}`);
  }
}

function parseSlice(line: string): Slice {
  expect(line).toMatch(/^SLICE \{/);
  return JSON.parse(line.slice('SLICE '.length)) as Slice;
}

/** Runs benchclient: READY, a warmup, one 200 ms slice, EOF; returns the slice. */
async function runClient(address: string, codec: Codec, method: string): Promise<Slice> {
  const client = new LineProcess('benchclient', [
    '-addr',
    address,
    '-codec',
    codec,
    '-method',
    method,
    '-concurrency',
    '8',
  ]);
  try {
    expect(await client.next()).toMatch(/^READY gomaxprocs=[1-9]\d*$/);
    expect(await client.command('warmup 50')).toBe('DONE');
    return parseSlice(await client.command('slice 200'));
  } finally {
    expect(await client.close()).toBe(0);
  }
}

function expectGoodSlice(slice: Slice): void {
  expect(slice.errors).toBe(0);
  expect(slice.requests).toBeGreaterThan(0);
  expect(slice.seconds).toBeGreaterThan(0);
  expect(Number.isInteger(slice.cpuUs) && slice.cpuUs >= 0).toBe(true);
  expect(slice.rssBytes).toBeGreaterThan(0);
  const buckets = Object.entries(slice.latencyUs);
  for (const [us, count] of buckets) {
    expect(us).toMatch(/^(0|[1-9]\d*)$/);
    expect(Number.isInteger(count) && count > 0).toBe(true);
  }
  expect(buckets.reduce((sum, [, count]) => sum + count, 0)).toBe(slice.requests);
}

/** rpcx-benchmark's service on our server, checking that Go sends the message as expected. */
class Hello {
  Say(args: Record<string, unknown>, ctx: CallContext) {
    if (ctx.request.serializeType === SerializeType.ProtoBuffer) {
      if (args.field9 !== BENCH_STRING) throw new Error('protobuf: field9 is not the bench string');
      args.field1 = 'OK';
      args.field2 = 100;
      return args;
    }
    // JSON and MsgPack: the Go struct, keyed by Go field names; the unset repeated field is nil.
    if (Object.keys(args).join() !== GO_KEYS.join() || args.Field5 !== null) {
      throw new Error(`not the Go BenchmarkMessage: ${Object.keys(args).join()}`);
    }
    args.Field1 = 'OK';
    args.Field2 = 100;
    return args;
  }
  Echo(args: Uint8Array) {
    return args;
  }
}

describe('Go benchmark peers', () => {
  describe('benchclient → benchserver', () => {
    let server: LineProcess;
    let address: string;

    beforeAll(async () => {
      server = new LineProcess('benchserver', ['-addr', '127.0.0.1:0']);
      const listening = /^LISTENING (tcp@127\.0\.0\.1:\d+)$/.exec(await server.next());
      expect(listening).not.toBeNull();
      address = listening![1]!;
    });
    afterAll(async () => {
      expect(await server.close()).toBe(0);
    });

    it.each(RUNS)('%s %s', async (codec, method) => {
      expectGoodSlice(await runClient(address, codec, method));
    });

    it('exits 1 on a bad start', async () => {
      const mismatch = await runGo(
        'benchclient',
        ['-addr', address, '-codec', 'raw', '-method', 'Say', '-concurrency', '1'],
        Buffer.alloc(0),
      );
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toContain('want Say with json, msgpack or protobuf');
      const refused = await runGo(
        'benchclient',
        ['-addr', 'tcp@127.0.0.1:1', '-codec', 'json', '-method', 'Say', '-concurrency', '1'],
        Buffer.alloc(0),
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('connect tcp@127.0.0.1:1');
    });

    it('answers stats', async () => {
      const line = await server.command('stats');
      expect(line).toMatch(/^STATS \{/);
      const stats = JSON.parse(line.slice('STATS '.length)) as Record<string, unknown>;
      expect(Object.keys(stats).sort()).toEqual(['cpuUs', 'rssBytes']);
      expect(Number.isInteger(stats.cpuUs) && (stats.cpuUs as number) > 0).toBe(true);
      expect(Number.isInteger(stats.rssBytes) && (stats.rssBytes as number) > 0).toBe(true);
    });
  });

  describe('benchclient → TS server', () => {
    let server: Server;
    let address: string;

    beforeAll(async () => {
      server = new Server({ codecs: [protobufCodec] });
      server.register(new Hello(), {
        types: { Say: { args: BenchmarkMessage, reply: BenchmarkMessage } },
      });
      address = await server.listen('tcp@127.0.0.1:0');
    });
    afterAll(() => server.close());

    it.each(RUNS)('%s %s', async (codec, method) => {
      expectGoodSlice(await runClient(address, codec, method));
    });
  });
});
