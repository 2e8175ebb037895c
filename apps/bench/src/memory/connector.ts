/**
 * The connector child process (connector-process.ts) seen from the memory run: it opens and
 * closes the idle connections, apart from the server it measures and from the run itself.
 */
import { fileURLToPath } from 'node:url';
import { type LineChild, startLineChild } from '../line-child.js';
import { type CloseResult, hostPort, type OpenOptions, type OpenResult } from './idle-sockets.js';
import { fileLimitLauncher } from './process-stats.js';

const CONNECTOR_ENTRY = fileURLToPath(new URL('./connector-process.js', import.meta.url));

export interface ConnectorCount {
  open: number;
  closedByPeer: number;
}

export class Connector {
  private constructor(private readonly child: LineChild) {}

  /** Starts a connector that may hold `files` sockets. */
  static async start(files: number): Promise<Connector> {
    const command = [...fileLimitLauncher(files), process.execPath, CONNECTOR_ENTRY];
    return new Connector(await startLineChild(command, { name: 'connector', ready: /^READY$/ }));
  }

  /**
   * Opens `count` idle connections to `address` (`tcp@host:port`), one heartbeat each (none with
   * `heartbeat: false`).
   */
  async open(
    address: string,
    count: number,
    options: Pick<OpenOptions, 'sources' | 'heartbeat'> = {},
  ): Promise<OpenResult> {
    const line = `open ${JSON.stringify({ ...hostPort(address), count, ...options })}`;
    // Bounded: a connection gets 10 s, and they open 200 at a time.
    const timeoutMs = 30_000 + Math.ceil(count / 200) * 10_000;
    return JSON.parse((await this.child.ask(line, /^OPENED (.*)$/, timeoutMs))[1]!) as OpenResult;
  }

  async count(): Promise<ConnectorCount> {
    return JSON.parse((await this.child.ask('count', /^COUNT (.*)$/))[1]!) as ConnectorCount;
  }

  /** Closes every connection it holds (ends them; destroys those still open after 10 s). */
  async close(): Promise<CloseResult> {
    return JSON.parse((await this.child.ask('close', /^CLOSED (.*)$/))[1]!) as CloseResult;
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
