/**
 * The etcd connection both halves of the package use: an `etcd3` client set up for registry work
 * (a deadline on every unary call, gRPC keep-alive pings, capped reconnect backoff), shared by a
 * discovery and its clones and closed when the last of them closes.
 */
import { Etcd3, type IOptions, isRecoverableError } from 'etcd3';

/** How to reach etcd; shared by `EtcdDiscovery` and `EtcdRegisterPlugin`. */
export interface EtcdConnectionOptions {
  /**
   * etcd client endpoints: `127.0.0.1:2379` as Go's rpcx-etcd takes them, or with a scheme
   * (`http://…`, `https://…`). Required unless `client` is given.
   */
  endpoints?: string | readonly string[];
  /**
   * An `etcd3` client of your own instead (`endpoints` and `etcdOptions` are then unused); it is
   * not closed by this package.
   */
  client?: Etcd3;
  /** Bound on each etcd request (ms); Go's store uses 10 s. Default 5000. */
  requestTimeoutMs?: number;
  /**
   * More `etcd3` options (TLS `credentials`, `auth`, `grpcOptions`, `faultHandling`, ...),
   * applied over this package's defaults.
   */
  etcdOptions?: Omit<IOptions, 'hosts'>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** An etcd client with the number of discoveries / plugins using it. */
export class SharedClient {
  private users = 1;

  private constructor(
    readonly client: Etcd3,
    private readonly owned: boolean,
    readonly requestTimeoutMs: number,
  ) {}

  static from(options: EtcdConnectionOptions, what: string): SharedClient {
    const requestTimeoutMs = timeoutOf(options, what);
    if (options.client !== undefined) {
      return new SharedClient(options.client, false, requestTimeoutMs);
    }
    return new SharedClient(createEtcdClient(options, what), true, requestTimeoutMs);
  }

  /** One more user (a clone). */
  retain(): this {
    this.users++;
    return this;
  }

  /** One user fewer; the last closes the client (if it is ours). */
  release(): void {
    this.users--;
    if (this.users === 0 && this.owned) this.client.close();
  }
}

/**
 * An `etcd3` client set up as this package sets up its own: a deadline of `requestTimeoutMs` on
 * every unary call, gRPC keep-alive pings, a reconnect backoff capped at 5 s, and a per-member
 * circuit breaker that skips a failing member for 1 s (etcd3's default: 5 s). Give it as `client`
 * to share one connection between discoveries and plugins (you close it).
 */
export function createEtcdClient(
  options: Omit<EtcdConnectionOptions, 'client'>,
  what = 'createEtcdClient',
): Etcd3 {
  const requestTimeoutMs = timeoutOf(options, what);
  const hosts = toHosts(options.endpoints, what);
  const etcdOptions = options.etcdOptions ?? {};
  return new Etcd3({
    // Unary calls get a deadline (a hung member must not hang a registry operation); streams
    // (watch, lease keep-alive) are bounded where they are used.
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs },
    ...etcdOptions,
    faultHandling: {
      host: () => memberBreaker(),
      ...etcdOptions.faultHandling,
    },
    grpcOptions: {
      // Find a dead connection without traffic (etcd refuses pings more often than every 5 s).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      // A restarted etcd is reached again within a few seconds.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 5_000,
      ...etcdOptions.grpcOptions,
    },
    hosts,
  });
}

/** The policy type etcd3 takes for each member (cockatiel's `IPolicy`), named without cockatiel. */
type MemberPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/** Thrown instead of calling a member that failed a moment ago (etcd3 then tries another). */
class EtcdMemberSkippedError extends Error {
  override readonly name = 'EtcdMemberSkippedError';
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * etcd3's per-member circuit breaker, shorter: after 3 failures in a row a member is skipped for
 * `openMs`, then one call tries it again. (etcd3's default skips it for 5 s, which would keep a
 * restarted single etcd unused for up to 5 s after it is back; the registry's own loops already
 * wait between attempts.) etcd3 1.1.2 only calls `execute` on this policy.
 */
function memberBreaker(openMs = 1_000, threshold = 3): MemberPolicy {
  let failures = 0;
  let openUntil = 0;
  let probing = false;
  const policy = {
    async execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      const open = failures >= threshold;
      if (open && (probing || Date.now() < openUntil)) {
        throw new EtcdMemberSkippedError(`etcd member skipped after ${failures} failures`);
      }
      if (open) probing = true;
      try {
        const result = await fn({ signal: NEVER_ABORTED });
        failures = 0;
        return result;
      } catch (error) {
        if (error instanceof Error && isRecoverableError(error)) {
          failures++;
          if (failures >= threshold) openUntil = Date.now() + openMs;
        }
        throw error;
      } finally {
        if (open) probing = false;
      }
    },
  };
  return policy as unknown as MemberPolicy;
}

function timeoutOf(options: EtcdConnectionOptions, what: string): number {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!(requestTimeoutMs > 0)) {
    throw new RangeError(`${what}: requestTimeoutMs must be positive, got ${requestTimeoutMs}`);
  }
  return requestTimeoutMs;
}

/** `127.0.0.1:2379` → `http://127.0.0.1:2379`; URLs are kept. */
function toHosts(endpoints: EtcdConnectionOptions['endpoints'], what: string): string[] {
  const list = typeof endpoints === 'string' ? endpoints.split(',') : [...(endpoints ?? [])];
  const hosts = list.map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
  if (hosts.length === 0) throw new TypeError(`${what}: no etcd endpoints given`);
  return hosts.map((host) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`));
}

/**
 * `operation`, rejected after `ms` (the client's own retries across members would otherwise add
 * up to several deadlines) or when `signal` aborts. The operation itself ends at its deadline.
 */
export function bounded<T>(operation: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      operation.catch(() => {});
      return reject(new Error('closed'));
    }
    const timer = setTimeout(() => finish(new Error(`etcd did not answer within ${ms} ms`)), ms);
    const onAbort = () => finish(new Error('closed'));
    signal?.addEventListener('abort', onAbort, { once: true });
    function finish(error: Error | undefined, value?: T) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(value as T);
      else reject(error);
    }
    operation.then(
      (value) => finish(undefined, value),
      (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
    );
  });
}
