/** Servers and clients that tests start, closed after each test. */
import { Server, type ServerOptions } from '../server.js';
import { RawClient } from './raw-client.js';

const servers: Server[] = [];
const clients: RawClient[] = [];

export async function startServer(
  options: ServerOptions = {},
  setup: (server: Server) => void = () => {},
  address = 'tcp@127.0.0.1:0',
): Promise<{ server: Server; address: string }> {
  const server = new Server(options);
  servers.push(server);
  setup(server);
  const bound = await server.listen(address);
  return { server, address: bound };
}

export async function connect(address: string): Promise<RawClient> {
  const client = await RawClient.connect(address);
  clients.push(client);
  return client;
}

/** Call from afterEach. */
export async function cleanup(): Promise<void> {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
}

/** Polls `condition` every few ms until it holds (or fails after `timeoutMs`). */
export async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function tracked(server: Server): Server {
  servers.push(server);
  return server;
}
