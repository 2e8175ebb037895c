/**
 * The `calls` and `connections` values Go's registry plugins write into every node of a server
 * when given a metrics registry (spec §6.9): go-metrics `Meter.RateMean()` — mean events per
 * second since the meter was made — formatted `%.2f`. Every register plugin takes a
 * `metrics?: RegistryMetricsSource` and writes `registryMetricsValues(metrics)` at each refresh;
 * `RegistryMeters` (registry-meters.ts) is the source that counts them itself.
 */

/** Where a register plugin reads the rates it writes as `calls` / `connections`. */
export interface RegistryMetricsSource {
  /** Calls per second (Go marks its `calls` meter in PreCall). */
  calls(): number;
  /** Accepted connections per second (Go marks `connections` in PostConnAccept). */
  connections(): number;
}

/** The metadata entries a refresh sets, formatted as Go's `fmt.Sprintf("%.2f", rate)`. */
export function registryMetricsValues(source: RegistryMetricsSource): {
  calls: string;
  connections: string;
} {
  return { calls: goFixed2(source.calls()), connections: goFixed2(source.connections()) };
}

/**
 * Go's `%.2f`. `toFixed(2)` agrees except where the value lies exactly halfway between two
 * hundredths (an odd number of eighths: 0.125, 0.625, ...): Go rounds those to even, `toFixed`
 * away from zero. Also Go's spelling of non-finite values and of the very large.
 */
function goFixed2(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (Math.abs(value) >= 1e21) return `${BigInt(value)}.00`; // toFixed turns exponential here
  const eighths = Math.abs(value) * 8;
  if (!Number.isInteger(eighths) || eighths % 2 !== 1) return value.toFixed(2);
  const below = (eighths * 25 - 1) / 2; // hundredths just under the halfway value
  const cents = below % 2 === 0 ? below : below + 1;
  const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  return value < 0 ? `-${text}` : text;
}
