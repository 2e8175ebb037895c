/**
 * The services a server exposes: servicePath → method name → handler (spec §3.2). Built by
 * `Server.register`, `registerName` and `registerFunction`; looked up on every request with two
 * map reads.
 */

import { registrationError } from './errors.js';
import type { Handler } from './types.js';

/** Type hints for codecs that need them (protobuf): the message types of arguments and reply. */
export interface MethodTypes {
  readonly args?: unknown;
  readonly reply?: unknown;
}

/** The names of `T`'s function-valued properties. */
export type MethodName<T> = {
  // biome-ignore lint/suspicious/noExplicitAny: any function signature qualifies.
  [K in keyof T]: T[K] extends (...args: any[]) => unknown ? K : never;
}[keyof T] &
  string;

export interface RegisterOptions<T = object> {
  /** The service path; defaults to the class name of the instance (Go's `Register`). */
  name?: string;
  /**
   * Expose only these methods (Go's `RegisterWithMethods`); every name must be a method of the
   * service, else registration fails and nothing is registered.
   */
  methods?: readonly MethodName<T>[];
  /** URL-query string handed to every registry plugin (`weight=10&group=g1`, ...). */
  metadata?: string;
  /** Per-method type hints for codecs that need them: `{ Mul: { args: ArithArgs, reply: ArithReply } }`. */
  types?: { readonly [K in MethodName<T>]?: MethodTypes };
}

export interface RegisterFunctionOptions {
  /** URL-query string handed to every registry plugin. */
  metadata?: string;
  /** Type hints for codecs that need them (protobuf). */
  types?: MethodTypes;
}

/** One callable method. Internal. */
export interface MethodEntry {
  readonly servicePath: string;
  readonly name: string;
  // biome-ignore lint/complexity/noBannedTypes: any function is called with (args, ctx).
  readonly fn: Function;
  /** `this` for the call: the service object, or undefined for functions. */
  readonly receiver: unknown;
  readonly argsType: unknown;
  readonly replyType: unknown;
}

export type MethodTable = Map<string, MethodEntry>;

export class ServiceTable {
  private readonly services = new Map<string, MethodTable>();

  get(servicePath: string): MethodTable | undefined {
    return this.services.get(servicePath);
  }

  paths(): string[] {
    return [...this.services.keys()];
  }

  /**
   * Registers an object's methods under `name` (or its class name), replacing whatever was
   * registered under that path, as Go does. Returns the service path.
   */
  addObject(
    receiver: object,
    options: RegisterOptions<object>,
    explicitName: string | undefined,
    api: 'Register' | 'RegisterName',
  ): string {
    if ((typeof receiver !== 'object' && typeof receiver !== 'function') || receiver === null) {
      throw registrationError(
        `rpcx.Register: a service must be an object, got ${typeName(receiver)}`,
      );
    }
    const name = explicitName ?? options.name ?? className(receiver);
    if (name === undefined || name === '') {
      throw registrationError(
        `rpcx.Register: no service name for type ${typeName(receiver)}; give one with registerName or the name option`,
      );
    }

    const all = suitableMethods(receiver);
    let picked: Map<string, Handler>;
    if (options.methods === undefined) {
      picked = all;
    } else {
      if (options.methods.length === 0) {
        throw registrationError(
          `rpcx.Register: empty methods whitelist; use ${api} to register all methods`,
        );
      }
      picked = new Map();
      for (const method of options.methods) {
        const fn = all.get(method);
        if (fn !== undefined) {
          picked.set(method, fn);
        } else if (method in receiver) {
          throw registrationError(
            `rpcx.Register: method ${JSON.stringify(method)} of ${name} is not a suitable RPC method`,
          );
        } else {
          throw registrationError(
            `rpcx.Register: method ${JSON.stringify(method)} not found on ${name}`,
          );
        }
      }
    }
    if (picked.size === 0) {
      throw registrationError(
        `rpcx.Register: type ${name} has no exported methods of suitable type`,
      );
    }

    const types = (options.types ?? {}) as Readonly<Record<string, MethodTypes | undefined>>;
    const table: MethodTable = new Map();
    for (const [method, fn] of picked) {
      const hints = Object.hasOwn(types, method) ? types[method] : undefined;
      table.set(method, {
        servicePath: name,
        name: method,
        fn,
        receiver,
        argsType: hints?.args,
        replyType: hints?.reply,
      });
    }
    this.services.set(name, table);
    return name;
  }

  /** Adds one function to `servicePath` (beside whatever is there; same name replaces). */
  addFunction(
    servicePath: string,
    name: string,
    fn: Handler,
    types: MethodTypes | undefined,
  ): void {
    if (typeof servicePath !== 'string') {
      throw registrationError('rpcx.registerFunction: the service path must be a string');
    }
    if (typeof fn !== 'function') {
      throw registrationError(
        `rpcx.registerFunction: function must be a function, got ${typeName(fn)}`,
      );
    }
    if (typeof name !== 'string' || name === '') {
      throw registrationError(
        'rpcx.registerFunction: no func name for an anonymous function; give one as the second argument',
      );
    }
    let table = this.services.get(servicePath);
    if (table === undefined) {
      table = new Map();
      this.services.set(servicePath, table);
    }
    table.set(name, {
      servicePath,
      name,
      fn,
      receiver: undefined,
      argsType: types?.args,
      replyType: types?.reply,
    });
  }
}

/**
 * Every function on the object and its prototype chain (below `Object.prototype` and
 * `Function.prototype`), except `constructor` and names starting with `_`. A closer property
 * shadows a farther one, as property lookup does. Getters are never run.
 */
function suitableMethods(receiver: object): Map<string, Handler> {
  const found = new Map<string, Handler>();
  const seen = new Set<string>();
  let target: object | null = receiver;
  while (target !== null && target !== Object.prototype && target !== Function.prototype) {
    for (const key of Object.getOwnPropertyNames(target)) {
      if (seen.has(key)) continue;
      seen.add(key);
      if (key === 'constructor' || key.startsWith('_')) continue;
      const value = Object.getOwnPropertyDescriptor(target, key)?.value;
      if (typeof value === 'function') found.set(key, value as Handler);
    }
    target = Object.getPrototypeOf(target) as object | null;
  }
  return found;
}

/** The class name of an instance, or undefined for plain and prototype-less objects. */
function className(receiver: object): string | undefined {
  const proto = Object.getPrototypeOf(receiver) as { constructor?: { name?: unknown } } | null;
  if (proto === null || proto === Object.prototype || proto === Function.prototype)
    return undefined;
  const name = proto.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const name = className(value);
    if (name !== undefined) return name;
    return Object.getPrototypeOf(value) === null ? 'null-prototype object' : 'Object';
  }
  return typeof value;
}
