/**
 * A plain node-zookeeper-client session for the specs: what an operator (or Go's store) does to
 * ZooKeeper by hand, independent of the package under test. Use a new one after ZooKeeper was
 * restarted: the plain library may hang reconnecting to a server that is starting.
 */
import zookeeper from 'node-zookeeper-client';

export interface RawNode {
  data: string;
  /** Hex session id of the owner; all zeros for a persistent node. */
  ephemeralOwner: string;
  version: number;
}

export interface RawZookeeper {
  get(path: string): Promise<RawNode | undefined>;
  children(path: string): Promise<string[] | undefined>;
  /** Creates every missing level (persistent, empty), then the node with `data`. */
  create(path: string, data: string, mode?: 'persistent' | 'ephemeral'): Promise<void>;
  set(path: string, data: string): Promise<void>;
  remove(path: string): Promise<void>;
  close(): Promise<void>;
}

const NO_NODE = zookeeper.Exception.NO_NODE;
const NODE_EXISTS = zookeeper.Exception.NODE_EXISTS;
const codeOf = (error: unknown) => (error as { code?: number } | null)?.code;

export async function connectRaw(connectString: string, timeoutMs = 10_000): Promise<RawZookeeper> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 4_000, spinDelay: 100 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`raw ZooKeeper client: not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  // Bounded: the library queues a request until it reconnects, and forever if its session expired.
  const call = <T>(run: (done: (error: unknown, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `raw ZooKeeper client: no answer within 5000 ms (state ${client.getState().name})`,
            ),
          ),
        5_000,
      );
      run((error, value) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value as T);
      });
    });
  return {
    get: (path) =>
      call<RawNode | undefined>((done) =>
        client.getData(path, (error, data, stat) => {
          if (codeOf(error) === NO_NODE) return done(null, undefined);
          if (error) return done(error);
          done(null, {
            data: data?.toString('utf8') ?? '',
            ephemeralOwner: stat.ephemeralOwner.toString('hex'),
            version: stat.version,
          });
        }),
      ),
    children: (path) =>
      call<string[] | undefined>((done) =>
        client.getChildren(path, (error, children) => {
          if (codeOf(error) === NO_NODE) return done(null, undefined);
          done(error, children);
        }),
      ),
    create: async (path, data, mode = 'persistent') => {
      const parent = path.slice(0, path.lastIndexOf('/'));
      if (parent !== '') {
        await call<void>((done) =>
          client.mkdirp(parent, (error) => done(codeOf(error) === NODE_EXISTS ? null : error)),
        );
      }
      const flag =
        mode === 'ephemeral' ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT;
      await call<void>((done) => client.create(path, Buffer.from(data), flag, (e) => done(e)));
    },
    set: (path, data) =>
      call<void>((done) => client.setData(path, Buffer.from(data), -1, (error) => done(error))),
    remove: (path) =>
      call<void>((done) =>
        client.remove(path, -1, (error) => done(codeOf(error) === NO_NODE ? null : error)),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        // Not connected (or stuck: this library has no handshake timeout): drop the socket.
        const drop = () => {
          const internals = client as unknown as {
            connectionManager?: { socket?: { destroy(): void } };
          };
          internals.connectionManager?.socket?.destroy();
          resolve();
        };
        if (client.getState() !== zookeeper.State.SYNC_CONNECTED) {
          client.close();
          drop();
          return;
        }
        const timer = setTimeout(drop, 2_000);
        client.once('disconnected', () => {
          clearTimeout(timer);
          resolve();
        });
        client.close();
      }),
  };
}
