import type { LatencyStats } from '../contract/serving.js';
import { quantileSorted } from '../results/stats.js';

/**
 * Summary of one latency sample as vLLM bench serve prints it: mean, median, population std (numpy's default),
 * percentiles by linear interpolation (numpy.percentile's default). null for an empty sample, never zeros.
 */
export function latencyStats(values: ArrayLike<number>): LatencyStats | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i]! - mean) ** 2;
  const q = (p: number): number => quantileSorted(sorted, p)!;
  return {
    n,
    mean,
    median: q(0.5),
    std: Math.sqrt(sq / n),
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}

/** Value of one percentile (0..100) of a sample, or null when empty. */
export function percentileOf(values: ArrayLike<number>, p: number): number | null {
  if (values.length === 0) return null;
  return quantileSorted(Float64Array.from(values).sort(), p / 100);
}
