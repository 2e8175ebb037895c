/**
 * One ZooKeeper session over node-zookeeper-client, shared by a discovery and its clones, or owned
 * by a register plugin. It keeps the session alive across connection losses, replaces it when
 * ZooKeeper expires it, and reconnects with jittered, capped exponential backoff, one attempt at
 * a time. Operations are promises that fail fast while disconnected and never wait longer than
 * the session timeout (the library would otherwise queue them until it reconnects, and never
 * answer them at all if the session has expired meanwhile).
 *
 * Backoff: node-zookeeper-client reconnects by itself, one socket at a time, after a uniform
 * random pause of up to `spinDelay` once every server was tried. Its `findNextServer` is replaced
 * per client (the library version is pinned) with: one immediate try of each server, then the
 * pauses of core's `Backoff` (jittered, doubling). `maxDelayMs` is kept under a third of the
 * session timeout so a restarted ZooKeeper is reached before the session could expire.
 *
 * Where the library has no timer, each connection gets a watchdog (`#watchSocket`): a handshake
 * that gets no answer, and a session connection that hears nothing (not even its pings' answers)
 * for two thirds of the session timeout, are dropped and retried. A server that keeps closing our
 * connections before a session is established is asked again without our last seen zxid
 * (`#forgetZxid`): a wiped ensemble otherwise locks its old clients out for good.
 */
import { asError, Backoff, type BackoffOptions, type Logger } from '@rpcx/core';
import zookeeper from 'node-zookeeper-client';

export interface ZkSessionOptions {
  connectString: string;
  sessionTimeoutMs: number;
  backoff: BackoffOptions | undefined;
  logger: Logger;
  /** Who owns it, for log lines. */
  name: string;
}

/** A ZooKeeper error code (node-zookeeper-client's `Exception`) on an `Error`. */
export interface ZkError extends Error {
  readonly code: number;
}

export const NO_NODE: number = zookeeper.Exception.NO_NODE;
export const NODE_EXISTS: number = zookeeper.Exception.NODE_EXISTS;
export const BAD_VERSION: number = zookeeper.Exception.BAD_VERSION;
const CONNECTION_LOSS: number = zookeeper.Exception.CONNECTION_LOSS;

export function isZkError(error: unknown, code: number): boolean {
  return (error as Partial<ZkError> | undefined)?.code === code;
}

/** What node-zookeeper-client's stat carries that we read. */
export interface ZkStat {
  readonly version: number;
  /** Hex session id of the owner of an ephemeral node; all zeros for a persistent one. */
  readonly ephemeralOwner: string;
}

/** A watch callback (fires once per registration). */
export type ZkWatcher = (event: { readonly type: number; readonly path: string }) => void;

type Client = zookeeper.Client;
type Callback<T> = (error: unknown, value?: T) => void;

/** The library's socket (a `net.Socket`), as far as it is used here. */
interface SocketInternals {
  readonly destroyed?: boolean;
  destroy(): void;
  on(event: 'data', listener: () => void): unknown;
  once(event: 'connect' | 'close', listener: () => void): unknown;
}

/** node-zookeeper-client internals the backoff replaces (1.1.3). */
interface ConnectionManagerInternals {
  servers: unknown[];
  nextServerIndex: number;
  socket?: SocketInternals;
  /** The last zxid seen (8 bytes), sent with every connect request. */
  zxid?: Buffer;
  findNextServer(callback: (server: unknown) => void): void;
}

const managerOf = (client: Client): ConnectionManagerInternals | undefined => {
  const manager = (client as unknown as { connectionManager?: ConnectionManagerInternals })
    .connectionManager;
  return manager !== undefined &&
    typeof manager.findNextServer === 'function' &&
    Array.isArray(manager.servers)
    ? manager
    : undefined;
};

/** Consecutive connections closed by a server before a session, before the zxid is forgotten. */
const REFUSED_LIMIT = 3;

export class ZkSession {
  readonly #options: ZkSessionOptions;
  readonly #backoff: Backoff;
  /** The longest pause: also the library's own `spinDelay`. */
  readonly #maxDelayMs: number;
  #client: Client | undefined;
  #connected = false;
  #sessionId: string | undefined;
  #closed = false;
  #refs = 1;
  #timer: NodeJS.Timeout | undefined;
  /** Connection attempts since the last session was established. */
  #failedInRow = 0;
  /** Connections that reached a server but were closed before a session was established. */
  #refusedInRow = 0;
  #attempts = 0;
  #sessions = 0;
  readonly #listeners = new Set<(fresh: boolean) => void>();
  #connectWaiters: Array<(connected: boolean) => void> = [];
  /** Sockets a session was established on. */
  readonly #sessionSockets = new WeakSet<object>();
  #closing: Promise<void> | undefined;

  constructor(options: ZkSessionOptions) {
    this.#options = options;
    // The first pause after every server was tried once: 100 ms; the longest: 5 s, and at most a
    // third of the session timeout.
    const initialDelayMs = Math.max(1, options.backoff?.initialDelayMs ?? 100);
    this.#maxDelayMs = Math.max(
      initialDelayMs,
      Math.min(options.backoff?.maxDelayMs ?? 5_000, Math.floor(options.sessionTimeoutMs / 3)),
    );
    this.#backoff = new Backoff({
      ...options.backoff,
      initialDelayMs,
      maxDelayMs: this.#maxDelayMs,
    });
    this.#newClient();
  }

  /** Whether a session is established and the connection is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The current session's id (hex), once one was established. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** TCP connection attempts made so far (the first one included). */
  get connectAttempts(): number {
    return this.#attempts;
  }

  /** Sessions established so far (1 + how often one was replaced after expiring). */
  get sessions(): number {
    return this.#sessions;
  }

  /**
   * Calls `listener` each time the connection is (re-)established; `fresh` says the session is
   * a new one (the first, or a replacement for an expired one: its watches and ephemeral nodes
   * are gone). Returns the unsubscribe function.
   */
  onConnected(listener: (fresh: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves `true` once connected, `false` after `timeoutMs` or on close. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.#connected) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (connected: boolean) => {
        clearTimeout(timer);
        this.#connectWaiters = this.#connectWaiters.filter((waiter) => waiter !== done);
        resolve(connected);
      };
      this.#connectWaiters.push(done);
    });
  }

  /** One more user of this session (a clone). */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** One user fewer; the last one closes the session. */
  release(): Promise<void> {
    this.#refs--;
    return this.#refs <= 0 ? this.close() : Promise.resolve();
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  getChildren(path: string, watcher?: ZkWatcher): Promise<string[]> {
    return this.#op('getChildren', path, (client, done: Callback<string[]>) => {
      if (watcher === undefined)
        client.getChildren(path, (error, children) => done(error, children));
      else client.getChildren(path, watcher, (error, children) => done(error, children));
    });
  }

  getData(path: string, watcher?: ZkWatcher): Promise<{ data: string; stat: ZkStat }> {
    return this.#op('getData', path, (client, done: Callback<{ data: string; stat: ZkStat }>) => {
      const callback = (error: unknown, data: Buffer | undefined, stat: zookeeper.Stat) =>
        error
          ? done(error)
          : done(null, { data: data?.toString('utf8') ?? '', stat: statOf(stat) });
      if (watcher === undefined) client.getData(path, callback);
      else client.getData(path, watcher, callback);
    });
  }

  /** The node's stat, or `undefined` when it does not exist (a watcher then fires on creation). */
  exists(path: string, watcher?: ZkWatcher): Promise<ZkStat | undefined> {
    return this.#op('exists', path, (client, done: Callback<ZkStat | undefined>) => {
      const callback = (error: unknown, stat: zookeeper.Stat | null | undefined) =>
        error ? done(error) : done(null, stat ? statOf(stat) : undefined);
      if (watcher === undefined) client.exists(path, callback);
      else client.exists(path, watcher, callback);
    });
  }

  create(path: string, data: string, ephemeral: boolean): Promise<void> {
    const mode = ephemeral ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT;
    return this.#op('create', path, (client, done: Callback<void>) =>
      client.create(path, Buffer.from(data, 'utf8'), mode, (error) => done(error)),
    );
  }

  setData(path: string, data: string, version = -1): Promise<ZkStat> {
    return this.#op('setData', path, (client, done: Callback<ZkStat>) =>
      client.setData(path, Buffer.from(data, 'utf8'), version, (error, stat) =>
        error ? done(error) : done(null, statOf(stat)),
      ),
    );
  }

  /** Deletes `path` and creates it again, ephemeral with `data`, in one transaction. */
  replaceEphemeral(path: string, data: string): Promise<void> {
    return this.#op('replace', path, (client, done: Callback<void>) =>
      client
        .transaction()
        .remove(path, -1)
        .create(path, Buffer.from(data, 'utf8'), zookeeper.CreateMode.EPHEMERAL)
        .commit((error) => done(error)),
    );
  }

  remove(path: string, version = -1): Promise<void> {
    return this.#op('remove', path, (client, done: Callback<void>) =>
      client.remove(path, version, (error) => done(error)),
    );
  }

  #op<T>(what: string, path: string, run: (client: Client, done: Callback<T>) => void): Promise<T> {
    const client = this.#client;
    if (!this.#connected || client === undefined) {
      return Promise.reject(
        zkError(CONNECTION_LOSS, `${what} ${path}: not connected to ZooKeeper`),
      );
    }
    const limitMs = this.#options.sessionTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(zkError(CONNECTION_LOSS, `${what} ${path}: no answer within ${limitMs} ms`));
      }, limitMs);
      const done: Callback<T> = (error, value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(asZkError(error, `${what} ${path}`));
        else resolve(value as T);
      };
      try {
        run(client, done);
      } catch (error) {
        done(error);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Connection

  /** Closes the session (its ephemeral nodes go at once); resolves when the socket is closed. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    const wasConnected = this.#connected;
    this.#client = undefined;
    this.#connected = false;
    this.#listeners.clear();
    for (const waiter of [...this.#connectWaiters]) waiter(false);
    this.#closing = client === undefined ? Promise.resolve() : closeClient(client, wasConnected);
    return this.#closing;
  }

  #newClient(): void {
    const client = zookeeper.createClient(this.#options.connectString, {
      sessionTimeout: this.#options.sessionTimeoutMs,
      spinDelay: this.#maxDelayMs,
      retries: 0,
    });
    this.#client = client;
    this.#failedInRow = 0;
    this.#refusedInRow = 0;
    this.#backoff.reset();
    const manager = managerOf(client);
    if (manager !== undefined) this.#installBackoff(client, manager);
    else
      this.#options.logger.warn(
        `${this.#options.name}: node-zookeeper-client internals changed; using its own reconnect pacing`,
      );
    client.on('state', (state: zookeeper.State) => this.#onState(client, state));
    client.connect();
  }

  #installBackoff(client: Client, manager: ConnectionManagerInternals): void {
    manager.findNextServer = (callback) => {
      const servers = manager.servers.length;
      const failed = this.#failedInRow++;
      const delay = failed < servers ? 0 : this.#backoff.fail();
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.#closed || this.#client !== client) return;
        if (this.#refusedInRow >= REFUSED_LIMIT) this.#forgetZxid(manager);
        const index = manager.nextServerIndex % servers;
        manager.nextServerIndex = index + 1;
        this.#attempts++;
        this.#options.logger.debug(`${this.#options.name}: connection attempt ${this.#attempts}`, {
          pausedMs: delay,
        });
        callback(manager.servers[index]);
        // `callback` opened the socket synchronously.
        if (manager.socket !== undefined) this.#watchSocket(client, manager.socket);
      }, delay);
    };
  }

  /**
   * Guards one connection where node-zookeeper-client has no timer of its own: the handshake (a
   * server that accepts the TCP connection but never answers the connect request, as ZooKeeper
   * sometimes does while it starts, would hold the client forever) and reads (the library pings
   * after a third of the session timeout of silence but never notices missing answers; Java's
   * client gives up after two thirds). Either way the socket is destroyed and the library
   * reconnects. Also counts connections closed by the server before a session was established.
   */
  #watchSocket(client: Client, socket: SocketInternals): void {
    const { logger, name } = this.#options;
    let lastRead = 0;
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      if (this.#client !== client || socket.destroyed === true) return;
      const sessionMs = client.getSessionTimeout();
      const established = this.#sessionSockets.has(socket);
      const limitMs = established ? (sessionMs * 2) / 3 : Math.max(500, sessionMs / 3);
      const silentMs = Date.now() - lastRead;
      if (silentMs < limitMs) return;
      logger.warn(
        `${name}: no answer from ZooKeeper for ${silentMs} ms${established ? '' : ' after connecting'}; reconnecting`,
      );
      socket.destroy();
    };
    socket.once('connect', () => {
      lastRead = Date.now();
      logger.debug(`${name}: TCP connected (attempt ${this.#attempts})`);
      timer = setInterval(check, Math.max(50, Math.floor(this.#options.sessionTimeoutMs / 6)));
      timer.unref();
      socket.on('data', () => {
        lastRead = Date.now();
      });
      socket.once('close', () => {
        clearInterval(timer);
        if (this.#client !== client || this.#sessionSockets.has(socket)) return;
        this.#refusedInRow++;
      });
    });
  }

  /**
   * The server is up but keeps closing our connections before a session is established. While it
   * starts that is normal; for good it means it has seen less than we have: a wiped or restored
   * ensemble refuses clients whose last seen zxid is ahead of its own. Either way, asking with
   * zxid 0 is harmless: a live session resumes, one the server does not know is reported expired
   * (then a new session is started). Clients would otherwise stay locked out forever.
   */
  #forgetZxid(manager: ConnectionManagerInternals): void {
    const zxid = manager.zxid;
    if (!Buffer.isBuffer(zxid) || zxid.every((byte) => byte === 0)) return;
    this.#options.logger.warn(
      `${this.#options.name}: ZooKeeper closed ${this.#refusedInRow} connections in a row without a session; reconnecting without our last seen zxid`,
    );
    manager.zxid = Buffer.alloc(zxid.length);
    this.#refusedInRow = 0;
  }

  #replaceClient(old: Client): void {
    this.#connected = false;
    void closeClient(old, false);
    if (!this.#closed) this.#newClient();
  }

  #onState(client: Client, state: zookeeper.State): void {
    if (client !== this.#client || this.#closed) return;
    const { logger, name } = this.#options;
    logger.debug(`${name}: state ${state.name}`);
    switch (state.code) {
      case zookeeper.State.SYNC_CONNECTED.code: {
        this.#connected = true;
        const socket = managerOf(client)?.socket;
        if (socket !== undefined) this.#sessionSockets.add(socket);
        this.#failedInRow = 0;
        this.#refusedInRow = 0;
        this.#backoff.reset();
        const id = client.getSessionId().toString('hex');
        const fresh = id !== this.#sessionId;
        this.#sessionId = id;
        if (fresh) this.#sessions++;
        logger.debug(`${name}: connected to ZooKeeper`, { sessionId: id, fresh });
        for (const waiter of [...this.#connectWaiters]) waiter(true);
        for (const listener of [...this.#listeners]) {
          try {
            listener(fresh);
          } catch (error) {
            logger.error(`${name}: session listener failed: ${asError(error).message}`);
          }
        }
        break;
      }
      case zookeeper.State.DISCONNECTED.code:
        if (this.#connected) logger.warn(`${name}: disconnected from ZooKeeper; reconnecting`);
        this.#connected = false;
        break;
      case zookeeper.State.EXPIRED.code:
        logger.warn(`${name}: ZooKeeper session expired; starting a new one`, {
          sessionId: this.#sessionId,
        });
        this.#replaceClient(client);
        break;
      case zookeeper.State.AUTH_FAILED.code:
        logger.error(`${name}: ZooKeeper authentication failed`);
        break;
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Internal

function statOf(stat: zookeeper.Stat): ZkStat {
  return { version: stat.version, ephemeralOwner: stat.ephemeralOwner.toString('hex') };
}

function zkError(code: number, message: string): ZkError {
  return Object.assign(new Error(message), { code, name: 'ZooKeeperError' });
}

function asZkError(error: unknown, what: string): ZkError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = (error as { name?: unknown } | undefined)?.name;
  if (typeof code === 'number') return zkError(code, `${what}: ${String(name ?? code)}`);
  return Object.assign(asError(error), { code: CONNECTION_LOSS });
}

/**
 * Closes a client: a connected one sends closeSession (ZooKeeper deletes its ephemeral nodes at
 * once) and we wait for the socket to close (bounded); any other one just loses its socket.
 */
function closeClient(client: Client, connected: boolean): Promise<void> {
  const manager = managerOf(client);
  const socket = manager?.socket;
  try {
    client.close();
  } catch {
    // closed already
  }
  if (!connected || socket === undefined || socket.destroyed === true) {
    socket?.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, 2_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
