/**
 * Deadline propagation across a chain A → B → C of real servers (sockets, one process): each
 * handler calls on with its context, so the remaining deadline, the abort and the propagated
 * metadata travel with the calls, and no server works past the first caller's deadline.
 */
import { ErrorCode, PeerDiscovery, XClient } from '@rpcx/client';
import { type CallContext, Server } from '@rpcx/server';
import { rpcxRejectionOf, settle, useFakeClock } from '@rpcx/testing';

interface Seen {
  serverTimeout: string | undefined;
  trace: string | undefined;
  aborted?: unknown;
}

describe('a handler calling on with { context }', () => {
  const servers: Server[] = [];
  const clients: XClient[] = [];
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function serve(name: string, method: (args: unknown, ctx: CallContext) => unknown) {
    const server = new Server();
    server.registerFunction(name, 'Run', method);
    servers.push(server);
    return server.listen('tcp@127.0.0.1:0');
  }

  function clientOf(address: string, servicePath: string): XClient {
    const client = new XClient({
      servicePath,
      discovery: new PeerDiscovery(address),
      serializeType: 1,
      propagateMetadata: ['trace'],
    });
    clients.push(client);
    return client;
  }

  test("passes on the remaining deadline, the abort and the marked metadata; C stops at A's deadline", async () => {
    useFakeClock();
    const seen: Record<string, Seen> = {};
    const record = (name: string, ctx: CallContext): Seen => {
      const entry: Seen = {
        serverTimeout: ctx.metadata.__ServerTimeout,
        trace: ctx.metadata.trace,
      };
      seen[name] = entry;
      return entry;
    };
    // C works until its call is over, then reports why.
    const cAddress = await serve('C', (_args, ctx) => {
      const entry = record('C', ctx);
      return new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          entry.aborted = ctx.signal.reason;
          resolve('stopped');
        });
      });
    });
    const toC = clientOf(cAddress, 'C');
    const bAddress = await serve('B', (_args, ctx) => {
      record('B', ctx);
      return toC.call('Run', {}, { context: ctx });
    });
    const toB = clientOf(bAddress, 'B');
    const aAddress = await serve('A', (_args, ctx) => {
      record('A', ctx);
      return toB.call('Run', {}, { context: ctx });
    });
    const toA = clientOf(aAddress, 'A');

    const call = toA.call('Run', {}, { timeoutMs: 300, metadata: { trace: 't-42', private: 'x' } });
    await settle(() => seen.C !== undefined, 'the call to reach C');
    expect(seen.A?.serverTimeout).toBe('300');
    for (const name of ['B', 'C']) {
      expect(Number(seen[name]?.serverTimeout)).toBeGreaterThan(0);
      expect(Number(seen[name]?.serverTimeout)).toBeLessThanOrEqual(300);
      expect(seen[name]?.trace).toBe('t-42');
    }
    expect(seen.C?.aborted).toBeUndefined();

    jest.advanceTimersByTime(300);
    expect((await rpcxRejectionOf(call)).code).toBe(ErrorCode.Timeout);
    await settle(() => seen.C?.aborted !== undefined, "C's call to end");
    expect((seen.C!.aborted as { code: string }).code).toBe(ErrorCode.Timeout);
  });

  test("the incoming call's abort cancels the outgoing one", async () => {
    let cSignal: AbortSignal | undefined;
    const cAddress = await serve('C', (_args, ctx) => {
      cSignal = ctx.signal;
      return new Promise(() => {});
    });
    const toC = clientOf(cAddress, 'C');
    const parent = new AbortController();
    const outgoing = toC.call('Run', {}, { context: { signal: parent.signal } });
    await settle(() => cSignal !== undefined, 'the call to reach C');
    parent.abort();
    expect((await rpcxRejectionOf(outgoing)).code).toBe(ErrorCode.Canceled);
  });
});
