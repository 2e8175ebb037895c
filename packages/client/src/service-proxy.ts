/**
 * Typed proxies: `client.service<Arith>('Arith').Mul({ A: 2, B: 3 })`, typed from a TypeScript
 * interface, no code generation. Each method of the interface becomes
 * `(args, options?) => Promise<reply>`; methods may be declared returning the reply or a promise
 * of it (so a server-side class can serve as the interface).
 */
import type { CallOptions } from '@rpcx/core';

/** One method of a service interface, as a remote call. */
export type RemoteMethod<F> = F extends () => infer R
  ? (args?: undefined, options?: CallOptions) => Promise<Awaited<R>>
  : F extends (args: infer A, ...rest: never[]) => infer R
    ? (args: A, options?: CallOptions) => Promise<Awaited<R>>
    : never;

/** The remote view of a service interface `S`: its methods, as calls. */
export type ServiceProxy<S> = {
  readonly [K in keyof S as K extends string
    ? S[K] extends (...args: never[]) => unknown
      ? K
      : never
    : never]: RemoteMethod<S[K]>;
};

/** What a proxy needs from the client. */
export interface Caller {
  call(
    servicePath: string,
    serviceMethod: string,
    args: unknown,
    options?: CallOptions,
  ): Promise<unknown>;
}

/**
 * A proxy whose every string property is a method calling `servicePath.<property>`; the bound
 * functions are made once per name. `then` is not a method, so a proxy is never mistaken for a
 * promise (a remote method named `then` must be called with `client.call`).
 */
export function createServiceProxy<S>(caller: Caller, servicePath: string): ServiceProxy<S> {
  const methods = new Map<string, (args: unknown, options?: CallOptions) => Promise<unknown>>();
  return new Proxy(Object.create(null) as ServiceProxy<S>, {
    get(_target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      let method = methods.get(name);
      if (method === undefined) {
        method = (args, options) => caller.call(servicePath, name, args, options);
        methods.set(name, method);
      }
      return method;
    },
    has(_target, name) {
      return typeof name === 'string' && name !== 'then';
    },
    set() {
      return false;
    },
  });
}

/** One proxy per service path, made on first use. */
export class ServiceProxies {
  private readonly made = new Map<string, unknown>();

  constructor(private readonly caller: Caller) {}

  get<S>(servicePath: string): ServiceProxy<S> {
    let proxy = this.made.get(servicePath);
    if (proxy === undefined) {
      proxy = createServiceProxy<S>(this.caller, servicePath);
      this.made.set(servicePath, proxy);
    }
    return proxy as ServiceProxy<S>;
  }
}
