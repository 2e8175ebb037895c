/**
 * Reading what a `/metrics` endpoint serves, as a scraper would: over HTTP, parsed with an npm
 * parser of the Prometheus text format (parse-prometheus-text-format) and checked with
 * Prometheus's own parser and linter (`promtool check metrics`, from Debian's prometheus
 * package: scripts/prometheus.sh installs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Scraped {
  status: number;
  contentType: string;
  body: string;
}

/** GET `url`: status, content type and body. */
export function fetchText(url: string, method = 'GET'): Promise<Scraped> {
  return new Promise((resolve, reject) => {
    const req = get(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export interface Series {
  labels: Record<string, string>;
  value: number;
}

/**
 * The families of an exposition, by name, with their type, and every sample by its own name
 * (a histogram's `_bucket`, `_sum` and `_count` lines under those names). The parser reads the
 * typed text first (it throws on anything malformed); its histogram reading keeps no labels, so
 * the samples are read from the text again with the histograms untyped.
 */
export function parseExposition(text: string): {
  types: Map<string, string>;
  samples: Map<string, Series[]>;
} {
  const types = new Map<string, string>();
  for (const family of parsePrometheusTextFormat(text)) types.set(family.name, family.type);
  const untyped = text.replace(/^# TYPE \S+ histogram$/gm, '');
  const samples = new Map<string, Series[]>();
  // Untyped, each run of lines with one name is a family: a histogram's series alternate
  // `_bucket`, `_sum`, `_count`, so one name comes back as several families.
  for (const family of parsePrometheusTextFormat(untyped)) {
    const list = samples.get(family.name) ?? [];
    for (const sample of family.metrics) {
      list.push({ labels: sample.labels ?? {}, value: Number(sample.value) });
    }
    samples.set(family.name, list);
  }
  return { types, samples };
}

/** The series of `name` whose labels include `labels`. */
export function seriesOf(
  samples: Map<string, Series[]>,
  name: string,
  labels: Record<string, string> = {},
): Series[] {
  return (samples.get(name) ?? []).filter((series) =>
    Object.entries(labels).every(([key, value]) => series.labels[key] === value),
  );
}

/** The one value of `name` with `labels` (0 when absent); throws when several series match. */
export function sampleValue(
  samples: Map<string, Series[]>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = seriesOf(samples, name, labels);
  if (found.length > 1) {
    throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} series match`);
  }
  return found[0]?.value ?? 0;
}

const PROMTOOL = process.env.RPCX_PROMTOOL_BIN ?? '/usr/bin/promtool';

/**
 * `promtool check metrics` on `text`: Prometheus's own parser, and its lint of names, units and
 * types. Returns what it printed (empty when all is well); throws when the text does not parse
 * or promtool is missing.
 */
export function promtoolCheck(text: string): string {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`promtool not found at ${PROMTOOL}: run \`bash scripts/prometheus.sh\``);
  }
  try {
    return execFileSync(PROMTOOL, ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; status?: number };
    throw new Error(
      `promtool check metrics failed (status ${failed.status}):\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}
