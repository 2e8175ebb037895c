/**
 * One short run of each row kind's calls, all on 127.0.0.1: every call answered right (requests
 * above 0, no errors). The servers run in this process here (the run puts each in a child); no
 * timing is checked.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type Load, measureInterleaved } from '../load/interleave.js';
import { startCountedServer } from '../load/servers.js';
import { startGoClient } from './go-client.js';
import { connectGrpc, startGrpcServer } from './grpc-peer.js';
import { connectMoleculer, freeMoleculerPorts, startMoleculerServer } from './moleculer-peer.js';
import type { PeerCodec } from './peer-rows.js';
import { connectRpcxClient, rpcxCall } from './rpcx-calls.js';

const BENCH_PROTO = join(__dirname, '../../../../conformance/proto/bench.proto');
const PLAN = { concurrency: 8, durationMs: 150, warmupMs: 50, rounds: 1 };
const noServerCpu = async () => 0;

/** Measures `loads` briefly and expects every one to have made good calls only. */
async function expectGoodCalls(loads: Load[]): Promise<void> {
  const results = await measureInterleaved(loads, PLAN);
  for (const result of results) {
    expect({ name: result.name, errors: result.errors }).toEqual({ name: result.name, errors: 0 });
    expect(result.requests).toBeGreaterThan(0);
  }
}

describe('peers run calls (smoke)', () => {
  const codecs: PeerCodec[] = ['json', 'msgpack', 'protobuf', 'raw'];

  it('rpcx TS → TS, every codec', async () => {
    const server = await startCountedServer('rpcx');
    const client = await connectRpcxClient(server.address);
    try {
      await expectGoodCalls(
        codecs.map((codec) => ({
          name: codec,
          call: rpcxCall(client, codec),
          serverCpu: noServerCpu,
        })),
      );
    } finally {
      client.close();
      await server.close();
    }
  });

  it('grpc-js unary Protobuf', async () => {
    const server = await startGrpcServer(BENCH_PROTO);
    const caller = await connectGrpc(server.address, BENCH_PROTO);
    try {
      await expectGoodCalls([{ name: 'grpc', call: caller.say, serverCpu: noServerCpu }]);
    } finally {
      caller.close();
      await server.close();
    }
  });

  it('Moleculer TCP JSON', async () => {
    const ports = await freeMoleculerPorts();
    const server = await startMoleculerServer(ports);
    const caller = await connectMoleculer(ports);
    try {
      await expectGoodCalls([{ name: 'moleculer', call: caller.say, serverCpu: noServerCpu }]);
    } finally {
      await caller.close();
      await server.stop();
    }
  });

  it('Go client → TS server, every codec (the Go client driven slice by slice)', async () => {
    const bin = execFileSync('bash', [join(__dirname, '../../../../conformance/build.sh')], {
      encoding: 'utf8',
      timeout: 10 * 60_000,
    })
      .trim()
      .split('\n')
      .pop()!;
    const server = await startCountedServer('rpcx');
    const clients = await Promise.all(
      codecs.map((codec) => startGoClient(join(bin, 'benchclient'), server.address, codec, 8, 1)),
    );
    try {
      for (const client of clients) expect(client.gomaxprocs).toBe(1);
      await expectGoodCalls(
        clients.map((external, i) => ({ name: codecs[i]!, external, serverCpu: noServerCpu })),
      );
    } finally {
      for (const client of clients) await client.stop();
      await server.close();
    }
  }, 120_000);
});
