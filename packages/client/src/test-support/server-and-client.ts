/**
 * The usual test setting: a fresh TestServer and a Client pointed at it for every test of a
 * describe block, both closed afterwards. `use` receives them before each test.
 */
import { Client } from '../client.js';
import { TestServer } from './test-server.js';

export function withServerAndClient(use: (server: TestServer, client: Client) => void): void {
  let server: TestServer;
  let client: Client;
  beforeEach(async () => {
    server = await TestServer.start();
    client = new Client({ address: server.address });
    use(server, client);
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });
}
