/** Least-squares lines and medians for the memory runs. */

export interface LineFit {
  /** Change of y per unit of x. */
  slope: number;
  intercept: number;
  /** Standard error of the slope (NaN with fewer than three points). */
  slopeError: number;
  points: number;
}

/** The least-squares line through the points (x[i], y[i]); needs two distinct x at least. */
export function fitLine(x: readonly number[], y: readonly number[]): LineFit {
  const n = x.length;
  if (n !== y.length) throw new Error('fitLine: x and y differ in length');
  if (n < 2) throw new Error('fitLine: needs two points at least');
  const meanX = x.reduce((sum, value) => sum + value, 0) / n;
  const meanY = y.reduce((sum, value) => sum + value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - meanX) ** 2;
    sxy += (x[i]! - meanX) * (y[i]! - meanY);
  }
  if (sxx === 0) throw new Error('fitLine: every x is the same');
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += (y[i]! - (intercept + slope * x[i]!)) ** 2;
  const slopeError = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.NaN;
  return { slope, intercept, slopeError, points: n };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
