import { SerializeType } from '@rpcx/core';
import type { Client } from './client.js';
import type { ServiceProxy } from './service-proxy.js';
import { withServerAndClient } from './test-support/server-and-client.js';
import type { TestServer } from './test-support/test-server.js';

interface ArithArgs {
  A: number;
  B: number;
}

/** A service interface, as the server's class would declare it. */
interface Arith {
  Mul(args: ArithArgs): { C: number };
  Div(args: ArithArgs): Promise<{ C: number }>;
  Ping(): string;
  readonly version: string; // not a method: not on the proxy
}

describe('typed service proxies', () => {
  let server: TestServer;
  let client: Client;

  withServerAndClient((s, c) => {
    server = s;
    client = c;
  });

  it('call service methods by name, with options', async () => {
    const arith = client.service<Arith>('Arith');
    const reply = await arith.Mul({ A: 2, B: 3 });
    expect(reply).toEqual({ C: 6 });
    expect(reply.C).toBe(6);
    await arith.Mul({ A: 2, B: 5 }, { serializeType: SerializeType.JSON, metadata: { k: 'v' } });
    expect(server.calls[1]!.serializeType).toBe(SerializeType.JSON);
    expect(server.calls[1]!.metadata.k).toBe('v');
    await expect(arith.Div({ A: 1, B: 1 })).rejects.toThrow("rpcx: can't find service Arith");
  });

  it('are cached per service, with one function per method', async () => {
    const arith = client.service<Arith>('Arith');
    expect(client.service<Arith>('Arith')).toBe(arith);
    expect(arith.Mul).toBe(arith.Mul);
    expect('Mul' in arith).toBe(true);
  });

  it('are not thenables, so they can be returned from async functions', async () => {
    const arith = await Promise.resolve(client.service<Arith>('Arith'));
    expect((arith as unknown as { then?: unknown }).then).toBeUndefined();
    await expect(arith.Mul({ A: 3, B: 3 })).resolves.toEqual({ C: 9 });
  });

  it('are typed from the interface', () => {
    const arith = client.service<Arith>('Arith');
    // Compile-time checks only: nothing below runs.
    const typeChecks = () => {
      const product: Promise<{ C: number }> = arith.Mul({ A: 1, B: 2 });
      const quotient: Promise<{ C: number }> = arith.Div({ A: 1, B: 2 });
      const pong: Promise<string> = arith.Ping();
      // @ts-expect-error: wrong argument shape
      void arith.Mul({ A: 1, C: 2 });
      // @ts-expect-error: wrong argument type
      void arith.Mul({ A: '1', B: 2 });
      // @ts-expect-error: missing argument
      void arith.Mul();
      // @ts-expect-error: the reply has no D
      void arith.Mul({ A: 1, B: 2 }).then((reply) => reply.D);
      // @ts-expect-error: not a method of Arith
      void arith.Add({ A: 1, B: 2 });
      // @ts-expect-error: properties that are not methods are not remote calls
      void arith.version;
      return [product, quotient, pong];
    };
    expect(typeof typeChecks).toBe('function');
    const proxy: ServiceProxy<Arith> = arith;
    expect(proxy).toBe(arith);
  });
});
