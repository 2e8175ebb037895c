/**
 * What the metrics specs share: servers, clients and metrics endpoints that are closed after each
 * test, a scrape that parses (and lints) what the endpoint serves, and histogram checks.
 */
import { Client, type ClientOptions, XClient, type XClientOptions } from '@rpcx/client';
import { SerializeType } from '@rpcx/core';
import { Server, type ServerOptions } from '@rpcx/server';
import type { Registry } from 'prom-client';
import { type MetricsServer, startMetricsServer } from '../metrics-handler.js';
import { fetchText, parseExposition, promtoolCheck, type Series, seriesOf } from './scrape.js';

const open: Array<{ close(): Promise<void> | void }> = [];

/** Closes what the test opened, last first. */
export async function closeAll(): Promise<void> {
  for (const item of open.splice(0).reverse()) await item.close();
}

export function track<T extends { close(): Promise<void> | void }>(item: T): T {
  open.push(item);
  return item;
}

export async function listen(
  options: ServerOptions,
  setup: (server: Server) => void,
): Promise<{ server: Server; address: string }> {
  const server = track(new Server(options));
  setup(server);
  return { server, address: await server.listen('tcp@127.0.0.1:0') };
}

export function client(options: ClientOptions): Client {
  return track(new Client({ serializeType: SerializeType.JSON, ...options }));
}

export function xclient(options: XClientOptions): XClient {
  return track(new XClient({ serializeType: SerializeType.JSON, ...options }));
}

export async function metricsEndpoint(registry: Registry): Promise<MetricsServer> {
  return track(await startMetricsServer({ registry, port: 0 }));
}

export type Samples = Map<string, Series[]>;

/** A promise a handler waits on, and the function that lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** The labels of a method (`Arith/Mul`): `rpc_system_name`, `rpc_service`, `rpc_method`. */
export function methodLabels(name: string): Record<string, string> {
  return { rpc_system_name: 'rpcx', rpc_service: name.split('/')[0]!, rpc_method: name };
}

/** The status labels of a call that failed with `code` (a success has `OK` and no error type). */
export function failedWith(code: string): Record<string, string> {
  return { rpc_response_status_code: code, error_type: code };
}

/** GETs the endpoint, checks the text with promtool, and parses it. */
export async function scrape(endpoint: MetricsServer): Promise<Samples> {
  const answer = await fetchText(endpoint.url);
  expect(answer.status).toBe(200);
  expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(promtoolCheck(answer.body)).toBe('');
  return parseExposition(answer.body).samples;
}

/** Scrapes until `accept` says yes (bounded: 10 s), for what settles after a socket event. */
export async function scrapeUntil(
  endpoint: MetricsServer,
  accept: (samples: Samples) => boolean,
  what: string,
): Promise<Samples> {
  const giveUpAt = Date.now() + 10_000;
  for (;;) {
    const samples = await scrape(endpoint);
    if (accept(samples)) return samples;
    if (Date.now() > giveUpAt) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface HistogramSeries {
  count: number;
  sum: number;
  /** Cumulative counts by `le` (`+Inf` included). */
  buckets: Map<string, number>;
}

/**
 * One histogram series (the one whose labels include `labels`, `le` aside), checked: one
 * `_count` and `_sum`, the buckets cumulative and in order, the `+Inf` bucket equal to the count.
 */
export function histogram(
  samples: Samples,
  name: string,
  labels: Record<string, string>,
): HistogramSeries {
  const counts = seriesOf(samples, `${name}_count`, labels);
  const sums = seriesOf(samples, `${name}_sum`, labels);
  expect(counts).toHaveLength(1);
  expect(sums).toHaveLength(1);
  const same = { ...counts[0]!.labels };
  const buckets = seriesOf(samples, `${name}_bucket`, same).filter(
    (series) => Object.keys(series.labels).length === Object.keys(same).length + 1,
  );
  const ordered = buckets
    .map((series) => ({ le: series.labels.le!, value: series.value }))
    .sort((a, b) => bound(a.le) - bound(b.le));
  expect(ordered.length).toBeGreaterThan(1);
  for (let i = 1; i < ordered.length; i++) {
    expect(ordered[i]!.value).toBeGreaterThanOrEqual(ordered[i - 1]!.value);
  }
  expect(ordered.at(-1)).toEqual({ le: '+Inf', value: counts[0]!.value });
  return {
    count: counts[0]!.value,
    sum: sums[0]!.value,
    buckets: new Map(ordered.map(({ le, value }) => [le, value])),
  };
}

function bound(le: string): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}
