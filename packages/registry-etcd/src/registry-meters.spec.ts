import { PeerDiscovery, SerializeType, XClient } from '@rpcx/client';
import { Server } from '@rpcx/server';
import { RegistryMeters } from './registry-meters.js';

test('RegistryMeters counts calls and accepted connections as mean rates per second', async () => {
  let now = 1_000;
  const meters = new RegistryMeters(() => now);
  const server = new Server({ plugins: [meters] });
  server.registerName('Echo', { Say: (text: string) => text }, { methods: ['Say'] });
  const address = await server.listen('tcp@127.0.0.1:0');
  const client = new XClient({
    servicePath: 'Echo',
    discovery: new PeerDiscovery(address),
    serializeType: SerializeType.JSON,
  });
  try {
    for (let i = 0; i < 3; i++) expect(await client.call('Say', 'hi')).toBe('hi');
    now += 2_000; // two seconds since the meters were made
    expect(meters.calls()).toBe(1.5);
    expect(meters.connections()).toBe(0.5);
  } finally {
    await client.close();
    await server.close();
  }
});
