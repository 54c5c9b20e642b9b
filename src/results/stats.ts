/**
 * Pure statistics for results across cycles. No I/O, no globals: every random draw comes from a seeded PRNG the
 * caller passes in, so the same data and seed give the same confidence intervals on every machine.
 *
 * Conventions (stated because tools disagree):
 * - standard deviation is the sample one (n − 1 denominator); null when n < 2;
 * - percentiles interpolate linearly between order statistics (Hyndman & Fan type 7, numpy's default);
 * - bootstrap CIs use the percentile method on resampled means.
 */

import { MULBERRY32_STEP, mulberry32Output } from '../core/prng.js';

export type Numbers = ArrayLike<number>;

export function mean(xs: Numbers): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Sample standard deviation, two-pass (the one-pass formula loses digits when values are large and close). */
export function sampleStd(xs: Numbers): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const m = mean(xs)!;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1));
}

/** Coefficient of variation std / |mean|, a fraction (0.1 = 10 %); null when undefined. */
export function coefficientOfVariation(xs: Numbers): number | null {
  const s = sampleStd(xs);
  const m = mean(xs);
  if (s === null || m === null || m === 0) return null;
  return s / Math.abs(m);
}

/** Type-7 quantile of already sorted values, q in [0, 1]. */
export function quantileSorted(sorted: Numbers, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Percentile p in [0, 100], type 7 (numpy.percentile's default "linear"). */
export function percentile(xs: Numbers, p: number): number | null {
  const sorted = Float64Array.from(xs).sort();
  return quantileSorted(sorted, p / 100);
}

/** FNV-1a of a string: derives independent, order-free seeds (per configuration, per metric) from one user seed. */
export function hashSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Confidence level, 0.95 for a 95 % interval. */
  level?: number;
}

const TWO_32 = 4294967296;

/**
 * Bootstrap percentile CIs of the mean for several columns resampled jointly: each resample draws one set of row
 * indices and uses it for every column. Joint resampling keeps the cost at one index draw per row per resample
 * whatever the number of metrics (500 configurations × 20 cycles × 10,000 resamples stays well under a second),
 * and each column's interval is still a valid percentile bootstrap of its mean.
 * Columns must have equal length; null when n < 2 (a single value has no spread to resample).
 */
export function bootstrapMeanCIs(columns: readonly Numbers[], opts: BootstrapOptions): (Interval | null)[] {
  const n = columns[0]?.length ?? 0;
  if (columns.some((c) => c.length !== n)) throw new RangeError('bootstrapMeanCIs: columns differ in length');
  if (n < 2) return columns.map(() => null);
  const k = columns.length;
  const r = Math.max(1, Math.floor(opts.resamples));
  const means = scratch(k * r);
  // Columns go through the kernel eight at a time, each block replaying the same seed, hence the same row draws.
  for (let first = 0; first < k; first += LANES) resampleBlock(columns.slice(first, first + LANES), n, r, opts.seed >>> 0, means.subarray(first * r));
  const alpha = 1 - (opts.level ?? 0.95);
  return Array.from({ length: k }, (_, j) => {
    const m = means.subarray(j * r, (j + 1) * r);
    return { low: quantileSelect(m, alpha / 2), high: quantileSelect(m, 1 - alpha / 2) };
  });
}

const LANES = 8;

/**
 * Reused buffer for resampled means: a fresh 7 × 10,000 array per configuration allocated ~280 MB over 500
 * configurations and garbage collection took a tenth of the run. Only the returned intervals escape.
 */
let scratchBuffer = new Float64Array(0);
function scratch(length: number): Float64Array {
  if (scratchBuffer.length < length) scratchBuffer = new Float64Array(length);
  return scratchBuffer.subarray(0, length);
}

/**
 * Resampled means of up to 8 columns: column j's r means are written to out[j·r, (j+1)·r). The accumulators are
 * eight locals over a row-major, 8-wide copy of the data (unused lanes are zeros): kept in registers, this ran
 * 1.6× faster than summing into an array, and the loop runs ~10^8 times in a large aggregation. the PRNG state is
 * a local for the same reason (same sequence as mulberry32(seed)); x · (n / 2^32) equals (x / 2^32) · n exactly
 * (powers of two scale exactly), so indices match the reference floor(u · n).
 */
function resampleBlock(columns: readonly Numbers[], n: number, r: number, seed: number, out: Float64Array): void {
  const rows = new Float64Array(n * LANES);
  columns.forEach((c, j) => {
    for (let i = 0; i < n; i++) rows[i * LANES + j] = c[i]!;
  });
  const m0 = new Float64Array(r);
  const m = Array.from({ length: LANES }, (_, j) => (j < columns.length ? out.subarray(j * r, (j + 1) * r) : m0));
  const [o0, o1, o2, o3, o4, o5, o6, o7] = m as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const scale = n / TWO_32;
  let a = seed | 0; // int32 from the start: a uint32 above 2^31 would make V8 keep `a` as a heap double
  for (let b = 0; b < r; b++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; // prettier-ignore
    for (let i = 0; i < n; i++) {
      a = (a + MULBERRY32_STEP) | 0;
      const o = Math.floor(mulberry32Output(a) * scale) * LANES;
      s0 += rows[o]!;
      s1 += rows[o + 1]!;
      s2 += rows[o + 2]!;
      s3 += rows[o + 3]!;
      s4 += rows[o + 4]!;
      s5 += rows[o + 5]!;
      s6 += rows[o + 6]!;
      s7 += rows[o + 7]!;
    }
    o0[b] = s0 / n;
    o1[b] = s1 / n;
    o2[b] = s2 / n;
    o3[b] = s3 / n;
    o4[b] = s4 / n;
    o5[b] = s5 / n;
    o6[b] = s6 / n;
    o7[b] = s7 / n;
  }
}

/** Bootstrap percentile CI of one mean. */
export function bootstrapMeanCI(xs: Numbers, opts: BootstrapOptions): Interval | null {
  return bootstrapMeanCIs([xs], opts)[0] ?? null;
}

export interface RatioEstimate {
  /** mean(b) / mean(a). */
  ratio: number;
  ci: Interval | null;
}

/**
 * Ratio of means b/a with a bootstrap percentile CI; a and b are resampled independently (different runs).
 * Null when mean(a) is 0 or either side is empty; ci null when either side has fewer than 2 values.
 */
export function bootstrapRatioCI(a: Numbers, b: Numbers, opts: BootstrapOptions): RatioEstimate | null {
  const ma = mean(a);
  const mb = mean(b);
  if (ma === null || mb === null || ma === 0) return null;
  const ratio = mb / ma;
  if (a.length < 2 || b.length < 2) return { ratio, ci: null };
  const r = Math.max(1, Math.floor(opts.resamples));
  const ratios = new Float64Array(r);
  const na = a.length;
  const nb = b.length;
  const scaleA = na / TWO_32;
  const scaleB = nb / TWO_32;
  // The PRNG state in a local, as in resampleBlock (same sequence as mulberry32(seed): A's draws, then B's, per
  // resample).
  let s = opts.seed | 0;
  const draw = (scale: number): number => {
    s = (s + MULBERRY32_STEP) | 0;
    return Math.floor(mulberry32Output(s) * scale);
  };
  let kept = 0;
  for (let i = 0; i < r; i++) {
    let sa = 0;
    for (let j = 0; j < na; j++) sa += a[draw(scaleA)]!;
    let sb = 0;
    for (let j = 0; j < nb; j++) sb += b[draw(scaleB)]!;
    // A resampled denominator of 0 has no ratio; drop it rather than let Infinity widen the interval.
    if (sa !== 0) ratios[kept++] = sb / nb / (sa / na);
  }
  if (kept === 0) return { ratio, ci: null };
  const used = ratios.subarray(0, kept);
  const alpha = 1 - (opts.level ?? 0.95);
  return { ratio, ci: { low: quantileSelect(used, alpha / 2), high: quantileSelect(used, 1 - alpha / 2) } };
}

/**
 * Type-7 quantile without a full sort (Hoare quickselect, in place: reorders `xs`). Sorting 10,000 resampled means
 * for each of thousands of metric columns dominated aggregation time; selection is linear.
 */
export function quantileSelect(xs: Float64Array, q: number): number {
  const n = xs.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  if (lo + 1 >= n || h === lo) return selectKth(xs, lo);
  // Two neighbouring order statistics: select one, and the other is the extreme of the short side of the partition
  // (a scan of min(lo, n − lo) values instead of a second selection).
  if (lo < n / 2) {
    const b = selectKth(xs, lo + 1);
    let a = -Infinity;
    for (let i = 0; i <= lo; i++) if (xs[i]! > a) a = xs[i]!;
    return a + (h - lo) * (b - a);
  }
  const a = selectKth(xs, lo);
  let b = Infinity;
  for (let i = lo + 1; i < n; i++) if (xs[i]! < b) b = xs[i]!;
  return a + (h - lo) * (b - a);
}

/**
 * k-th smallest value, in place (Floyd–Rivest selection, after d3-array's quickselect). The bootstrap asks for order
 * statistics near the ends (2.5 % and 97.5 % of 10,000): sampling a pivot range close to k makes this about one pass,
 * where Hoare's quickselect took two to three.
 */
function selectKth(xs: Float64Array, k: number): number {
  let left = 0;
  let right = xs.length - 1;
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (m * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - m) * s) / n + sd));
      selectRange(xs, k, newLeft, newRight);
    }
    const t = xs[k]!;
    let i = left;
    let j = right;
    swap(xs, left, k);
    if (xs[right]! > t) swap(xs, left, right);
    while (i < j) {
      swap(xs, i, j);
      i++;
      j--;
      while (xs[i]! < t) i++;
      while (xs[j]! > t) j--;
    }
    if (xs[left] === t) swap(xs, left, j);
    else {
      j++;
      swap(xs, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return xs[k]!;
}

/** selectKth restricted to [left, right] (the recursive step of Floyd–Rivest). */
function selectRange(xs: Float64Array, k: number, left: number, right: number): void {
  const view = xs.subarray(left, right + 1);
  selectKth(view, k - left);
}

function swap(xs: Float64Array, i: number, j: number): void {
  const t = xs[i]!;
  xs[i] = xs[j]!;
  xs[j] = t;
}
