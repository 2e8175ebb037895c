/**
 * RTTs for the network quality selector, measured without privileges: the time a TCP connect to
 * the server's own address takes (the socket is destroyed at once, nothing is sent). Go rpcx
 * pings the host with ICMP instead, which needs raw-socket privileges, and only when the server
 * list changes; this prober measures each server when it first appears and then every
 * `intervalMs`, one probe per server at a time, so the weights follow the network.
 *
 * - `tcp@`, `tcp4@`, `tcp6@` and `tls@` keys are probed at `host:port` (`[::1]:8972` for IPv6).
 * - `unix@` keys are not probed: a unix socket is on this machine, so it gets `unixRttMs`
 *   (default 0 ms, the best weight).
 * - Other networks (quic, kcp, ...) are not probed and stay unknown (weight 0).
 * - A refused connection, any other error or no answer within `timeoutMs` counts as 1000 ms,
 *   Go's value for a failed ping (weight 0).
 *
 * The measured time includes the event loop's delay in noticing the connect, so a busy process
 * sees slightly higher RTTs; the weight formula works in whole milliseconds anyway.
 */
import { connect, type Socket } from 'node:net';
import { monotonicNow } from '@rpcx/core';
import type { RttSource } from './rtt-source.js';

/** The RTT recorded for a failed or timed-out probe, as Go's `Ping` reports a failure. */
export const FAILED_RTT_MS = 1000;

export interface TcpRttProberOptions {
  /** Time between two measurements of every server, in ms (default 30 000). */
  intervalMs?: number;
  /** How long one connect may take before it counts as failed, in ms (default 3 000). */
  timeoutMs?: number;
  /** The RTT given to `unix@` servers without probing, in ms (default 0). */
  unixRttMs?: number;
  /** A monotonic clock in ms (default `performance.now`). */
  now?: () => number;
  /** Timer functions (default the global ones, looked up when called so fake timers apply). */
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export class TcpRttProber implements RttSource {
  private changes = 0;
  private readonly rtts = new Map<string, number>();
  private readonly targets = new Map<string, Target>();
  private readonly probes = new Map<string, Probe>();
  private timer: unknown;
  private closed = false;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly unixRttMs: number;
  private readonly now: () => number;
  private readonly startTimer: (callback: () => void, ms: number) => unknown;
  private readonly stopTimer: (handle: unknown) => void;

  constructor(options: TcpRttProberOptions = {}) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.unixRttMs = options.unixRttMs ?? 0;
    this.now = options.now ?? monotonicNow;
    this.startTimer = options.setTimeout ?? defaultSetTimeout;
    this.stopTimer = options.clearTimeout ?? defaultClearTimeout;
  }

  /** Grows by one whenever an RTT changes (or a server's RTT is forgotten). */
  get version(): number {
    return this.changes;
  }

  /** The last RTT measured to `key` in ms (1000 for a failure), `undefined` before the first. */
  rttMs(key: string): number | undefined {
    return this.rtts.get(key);
  }

  /** Measures these servers from now on: new ones at once, then every `intervalMs`. */
  track(keys: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(keys);
    for (const key of [...this.targets.keys()]) {
      if (wanted.has(key)) continue;
      this.targets.delete(key);
      this.probes.get(key)?.finish(undefined);
      if (this.rtts.delete(key)) this.changes++;
    }
    for (const key of wanted) {
      if (this.targets.has(key)) continue;
      this.targets.set(key, parseTarget(key, this.unixRttMs));
      this.probe(key);
    }
    if (this.timer === undefined && this.targets.size > 0) this.schedule();
  }

  /** Measures every tracked server now (those with a probe under way keep it). */
  probeAll(): void {
    for (const key of this.targets.keys()) this.probe(key);
  }

  /** Stops the timer and every probe; RTTs stay readable, nothing changes any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.stopTimer(this.timer);
    this.timer = undefined;
    for (const probe of [...this.probes.values()]) probe.finish(undefined);
  }

  private schedule(): void {
    this.timer = this.startTimer(() => {
      this.timer = undefined;
      if (this.closed || this.targets.size === 0) return;
      this.probeAll();
      this.schedule();
    }, this.intervalMs);
  }

  private probe(key: string): void {
    const target = this.targets.get(key);
    if (target === undefined || this.probes.has(key) || this.closed) return;
    if (target.kind === 'fixed') {
      this.record(key, target.rttMs);
      return;
    }
    if (target.kind === 'unknown') return;
    const started = this.now();
    let timer: unknown;
    let socket: Socket | undefined;
    const probe: Probe = {
      finish: (rttMs) => {
        if (this.probes.get(key) !== probe) return;
        this.probes.delete(key);
        this.stopTimer(timer);
        socket?.destroy();
        if (rttMs !== undefined && !this.closed && this.targets.get(key) === target) {
          this.record(key, rttMs);
        }
      },
    };
    this.probes.set(key, probe);
    timer = this.startTimer(() => probe.finish(FAILED_RTT_MS), this.timeoutMs);
    try {
      socket = connect({ host: target.host, port: target.port });
    } catch {
      probe.finish(FAILED_RTT_MS);
      return;
    }
    // Kept after the probe ends: a late error on a destroyed socket must not go unhandled.
    socket.on('error', () => probe.finish(FAILED_RTT_MS));
    socket.once('connect', () => probe.finish(Math.max(0, this.now() - started)));
  }

  private record(key: string, rttMs: number): void {
    if (this.rtts.get(key) === rttMs) return;
    this.rtts.set(key, rttMs);
    this.changes++;
  }
}

// ---------------------------------------------------------------------------------------------
// Internal

type Target =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'fixed'; rttMs: number }
  | { kind: 'unknown' };

interface Probe {
  /** Ends the probe once; `undefined` records nothing. */
  finish(rttMs: number | undefined): void;
}

const TCP_NETWORKS = new Set(['tcp', 'tcp4', 'tcp6', 'tls']);

/** What to measure for `network@address`. */
function parseTarget(key: string, unixRttMs: number): Target {
  const at = key.indexOf('@');
  if (at < 0) return { kind: 'unknown' };
  const network = key.slice(0, at);
  const address = key.slice(at + 1);
  if (network === 'unix') return { kind: 'fixed', rttMs: unixRttMs };
  if (!TCP_NETWORKS.has(network)) return { kind: 'unknown' };
  const hostPort = splitHostPort(address);
  return hostPort === undefined ? { kind: 'unknown' } : { kind: 'tcp', ...hostPort };
}

/** Go's `net.SplitHostPort` for the cases a key holds: `host:port` and `[v6]:port`. */
function splitHostPort(address: string): { host: string; port: number } | undefined {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']:');
    if (end < 0) return undefined;
    host = address.slice(1, end);
    portText = address.slice(end + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0 || address.indexOf(':') !== colon) return undefined;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return undefined;
  // Go dials the local machine for an empty host (`:8972`).
  return { host: host === '' ? 'localhost' : host, port };
}

function defaultSetTimeout(callback: () => void, ms: number): unknown {
  const handle = setTimeout(callback, ms);
  // Probing never keeps a process alive.
  (handle as { unref?: () => void }).unref?.();
  return handle;
}

function defaultClearTimeout(handle: unknown): void {
  clearTimeout(handle as ReturnType<typeof setTimeout>);
}
