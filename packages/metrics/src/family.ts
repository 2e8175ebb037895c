/**
 * Metric families read from plain counters at scrape time. A call updates a few numbers in
 * objects resolved once per service and method (`cells.ts`); prom-client sees the numbers only
 * when its registry is scraped, through the metric interface its registry reads (`get()`, the
 * documented `MetricObjectWithValues` shape). prom-client's own label children cost one to three
 * microseconds per operation (a labels object, a hashed key and a map lookup each time): several
 * per call would be a real share of an rpcx call.
 */
import type { Metric, Registry, RegistryContentType } from 'prom-client';

/** A prom-client registry, whichever exposition it is set to (text 0.0.4 or OpenMetrics). */
export type AnyRegistry = Registry<RegistryContentType>;

/** A label set: Prometheus label name → value. */
export type Labels = Readonly<Record<string, string>>;

/** One sample of a family, as prom-client's registry formats it. */
export interface Sample {
  labels: Labels;
  value: number;
  /** For histograms: `<name>_bucket`, `_sum`, `_count`. */
  metricName?: string;
}

export type FamilyType = 'counter' | 'gauge' | 'histogram';

/** A fixed-bucket histogram over plain numbers: `observe` is a scan and three additions. */
export class HistogramCell {
  /** Per bucket (not cumulative); the last is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** The labels of each `_bucket` sample, made at the first scrape. */
  #bucketLabels: Labels[] | undefined = undefined;

  constructor(
    readonly labels: Labels,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** Appends the `_bucket` (cumulative, `le`), `_sum` and `_count` samples. */
  collect(name: string, out: Sample[]): void {
    this.#bucketLabels ??= [...this.bounds.map(String), '+Inf'].map((le) => ({
      ...this.labels,
      le,
    }));
    const bucket = `${name}_bucket`;
    let cumulative = 0;
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i]!;
      out.push({ labels: this.#bucketLabels[i]!, value: cumulative, metricName: bucket });
    }
    out.push({ labels: this.labels, value: this.sum, metricName: `${name}_sum` });
    out.push({ labels: this.labels, value: this.count, metricName: `${name}_count` });
  }
}

/**
 * One metric family in a prom-client registry. `name` is not readonly: the registry renames
 * counters (drops `_total`) when it exposes OpenMetrics.
 */
export class Family {
  readonly aggregator = 'sum';

  constructor(
    public name: string,
    readonly help: string,
    readonly type: FamilyType,
    private readonly collectInto: (name: string, out: Sample[]) => void,
    private readonly resetCells: () => void = () => {},
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: FamilyType;
    values: Sample[];
    aggregator: 'sum';
  }> {
    const values: Sample[] = [];
    this.collectInto(this.name, values);
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  /** `registry.resetMetrics()`: counters and histograms start again from zero. */
  reset(): void {
    this.resetCells();
  }
}

/** Registers families in `registry`; returns a function that removes them again. */
export function registerFamilies(registry: AnyRegistry, families: readonly Family[]): () => void {
  // By the names they were registered under: the registry may rename a counter later.
  const added: Array<[string, Family]> = [];
  try {
    for (const family of families) {
      if (registry.getSingleMetric(family.name) !== undefined) {
        throw new Error(
          `@rpcx/metrics: a metric named ${family.name} is already registered in this registry (one ServerMetrics and one ClientMetrics per registry)`,
        );
      }
      // The registry reads a metric through `get()` (and `reset()`); a Family has both.
      registry.registerMetric(family as unknown as Metric);
      added.push([family.name, family]);
    }
  } catch (error) {
    for (const [name] of added) registry.removeSingleMetric(name);
    throw error;
  }
  return () => {
    for (const [name, family] of added) {
      if (registry.getSingleMetric(name) === (family as unknown as Metric)) {
        registry.removeSingleMetric(name);
      }
    }
  };
}
