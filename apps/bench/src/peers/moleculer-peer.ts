/**
 * The Moleculer row: action `hello.say` between two brokers over Moleculer's TCP transporter with
 * its JSON serializer, carrying the Go struct of the BenchmarkMessage (the JSON rows' payload).
 * The action sets Field1 = "OK" and Field2 = 100; the caller checks Field1.
 *
 * Loopback only: no UDP discovery (so no multicast or broadcast), each broker knows the other
 * from static `urls` on 127.0.0.1 (its own entry gives its TCP port), and each listens on
 * 127.0.0.1. Logging, metrics and tracing are off, as they are in rpcx.
 */
import net from 'node:net';
import { type BrokerOptions, ServiceBroker, Transporters } from 'moleculer';
import { createGoBenchmarkStruct, type GoBenchmarkStruct } from '../bench-message.js';

export const SERVER_NODE = 'bench-server';
export const CLIENT_NODE = 'bench-client';

/** The TCP ports of the two brokers. */
export interface MoleculerPorts {
  server: number;
  client: number;
}

/** The part of Moleculer's TCP transporter that is not in its types. */
interface TcpTransporterInternals {
  startTcpServer(): Promise<unknown>;
}

/**
 * Moleculer's TCP transporter, listening on 127.0.0.1. Its own listens on every interface and has
 * no option for it; its one `listen` call is made synchronously inside `startTcpServer`, so a
 * host is added to that call alone.
 */
class LoopbackTcpTransporter extends Transporters.TCP {
  startTcpServer(): Promise<unknown> {
    const listen = net.Server.prototype.listen;
    net.Server.prototype.listen = function (
      this: net.Server,
      options: net.ListenOptions,
      ...rest: unknown[]
    ) {
      return Reflect.apply(listen, this, [{ ...options, host: '127.0.0.1' }, ...rest]);
    } as typeof listen;
    try {
      const tcp = Transporters.TCP.prototype as unknown as TcpTransporterInternals;
      return tcp.startTcpServer.call(this);
    } finally {
      net.Server.prototype.listen = listen;
    }
  }
}

function brokerOptions(nodeID: string, ports: MoleculerPorts): BrokerOptions {
  return {
    nodeID,
    logger: false,
    metrics: false,
    tracing: false,
    serializer: 'JSON',
    transporter: new LoopbackTcpTransporter({
      udpDiscovery: false,
      urls: [
        `127.0.0.1:${ports.server}/${SERVER_NODE}`,
        `127.0.0.1:${ports.client}/${CLIENT_NODE}`,
      ],
    }),
  };
}

/** The serving broker, started. */
export async function startMoleculerServer(ports: MoleculerPorts): Promise<ServiceBroker> {
  const broker = new ServiceBroker(brokerOptions(SERVER_NODE, ports));
  broker.createService({
    name: 'hello',
    actions: {
      say(ctx: { params: GoBenchmarkStruct }) {
        const message = ctx.params;
        message.Field1 = 'OK';
        message.Field2 = 100;
        return message;
      },
    },
  });
  await broker.start();
  return broker;
}

export interface MoleculerCaller {
  say(): Promise<void>;
  close(): Promise<void>;
}

/** The calling broker, started once it sees the server's `hello` service. */
export async function connectMoleculer(ports: MoleculerPorts): Promise<MoleculerCaller> {
  const broker = new ServiceBroker(brokerOptions(CLIENT_NODE, ports));
  await broker.start();
  await broker.waitForServices('hello', 30_000);
  const struct = createGoBenchmarkStruct();
  return {
    say: async () => {
      const reply = await broker.call<GoBenchmarkStruct, GoBenchmarkStruct>('hello.say', struct);
      if (reply.Field1 !== 'OK') throw new Error('bad reply');
    },
    close: () => broker.stop(),
  };
}

/** Two free loopback ports for the brokers (asked of the kernel, then released). */
export async function freeMoleculerPorts(): Promise<MoleculerPorts> {
  return { server: await freePort(), client: await freePort() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
