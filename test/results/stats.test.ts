import { describe, expect, it } from 'vitest';
import {
  bootstrapMeanCI,
  bootstrapMeanCIs,
  bootstrapRatioCI,
  coefficientOfVariation,
  hashSeed,
  mean,
  percentile,
  quantileSelect,
  sampleStd,
} from '../../src/results/stats.js';
import { logGamma, regularizedIncompleteBeta, studentTSf, welchTTest } from '../../src/results/welch.js';
import { mulberry32 } from '../../src/core/prng.js';

/*
 * Expected values were computed independently with Python 3.11, numpy 2.4 and scipy 1.17:
 *   np.std(d, ddof=1); np.percentile(x, q) (method "linear"); scipy.stats.ttest_ind(b, a, equal_var=False);
 *   scipy.stats.t.sf; scipy.special.betainc; scipy.special.gammaln.
 * The bootstrap references re-implement mulberry32 and the resampling loop in plain Python (integers masked to
 * 32 bits) and take np.quantile(means, [0.025, 0.975]) over a full sort:
 *
 *   def mulberry32(seed):
 *       a = seed & 0xFFFFFFFF
 *       def nxt():
 *           nonlocal a
 *           a = (a + 0x6D2B79F5) & 0xFFFFFFFF
 *           t = ((a ^ (a >> 15)) * (1 | a)) & 0xFFFFFFFF
 *           t = ((t + (((t ^ (t >> 7)) * (61 | t)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
 *           return (t ^ (t >> 14)) & 0xFFFFFFFF
 *       return nxt
 *   def boot(xs, R, seed):
 *       n = len(xs); nx = mulberry32(seed); means = []
 *       for _ in range(R):
 *           means.append(sum(xs[int(nx() / 2**32 * n)] for _ in range(n)) / n)
 *       return np.quantile(means, 0.025), np.quantile(means, 0.975)
 */

describe('descriptive statistics', () => {
  const textbook = [2, 4, 4, 4, 5, 5, 7, 9]; // population σ = 2 (the classic example); sample s = √(32/7)

  it('mean, sample std and CV', () => {
    expect(mean(textbook)).toBe(5);
    expect(sampleStd(textbook)).toBeCloseTo(2.138089935299395, 12);
    expect(coefficientOfVariation(textbook)).toBeCloseTo(0.427617987059879, 12);
  });

  it('is null where undefined rather than NaN', () => {
    expect(mean([])).toBeNull();
    expect(sampleStd([3])).toBeNull();
    expect(coefficientOfVariation([1])).toBeNull();
    expect(coefficientOfVariation([0, 0])).toBeNull();
    expect(percentile([], 50)).toBeNull();
  });

  it('keeps digits for large, close values (two-pass variance)', () => {
    expect(sampleStd([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16])).toBeCloseTo(Math.sqrt(30), 6);
  });

  it('percentiles match numpy "linear"', () => {
    const p = [15, 20, 35, 40, 50];
    const expected = [15, 16, 23, 29, 35, 48, 50];
    [0, 5, 30, 40, 50, 95, 100].forEach((q, i) => expect(percentile(p, q)).toBeCloseTo(expected[i]!, 12));
    const u = [3.2, 1.5, 9.9, 4.4, 7.1, 2.0, 6.6]; // unsorted input
    [1.8, 4.4, 8.22, 9.732].forEach((v, i) => expect(percentile(u, [10, 50, 90, 99][i]!)).toBeCloseTo(v, 12));
  });

  it('quickselect quantile equals the sorted quantile', () => {
    const next = mulberry32(5);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + (next() % 300);
      const xs = Float64Array.from({ length: n }, () => (next() % 1000) / 7); // many ties
      for (const q of [0, 0.025, 0.5, 0.975, 1]) {
        expect(quantileSelect(Float64Array.from(xs), q)).toBeCloseTo(percentile(xs, q * 100)!, 10);
      }
    }
  });
});

describe('mulberry32 and seeds', () => {
  it('produces the reference sequence', () => {
    const r = mulberry32(42);
    expect([r(), r(), r(), r(), r()]).toEqual([2581720956, 1925393290, 3661312704, 2876485805, 750819978]);
  });

  it('derives distinct, stable seeds per key', () => {
    expect(hashSeed(1, 'abc')).toBe(hashSeed(1, 'abc'));
    expect(hashSeed(1, 'abc')).not.toBe(hashSeed(2, 'abc'));
    expect(hashSeed(1, 'abc')).not.toBe(hashSeed(1, 'abd'));
  });
});

describe('bootstrap', () => {
  const xs = [0.455, 0.462, 0.449, 0.471, 0.458, 0.452, 0.466, 0.46];

  it('matches an independent Python implementation (10,000 resamples, seed 7)', () => {
    const ci = bootstrapMeanCI(xs, { resamples: 10_000, seed: 7 })!;
    expect(ci.low).toBeCloseTo(0.45450000000000007, 12);
    expect(ci.high).toBeCloseTo(0.46387500000000004, 12);
  });

  it('matches the Python reference on a skewed sample (2,000 resamples, seed 123)', () => {
    expect(bootstrapMeanCI([1, 2, 3, 4, 10], { resamples: 2000, seed: 123 })).toEqual({ low: 1.8, high: 7 });
  });

  it('joint resampling gives each column the interval it would get alone with the same seed', () => {
    const ys = xs.map((x) => 1 / x);
    const [a, b] = bootstrapMeanCIs([xs, ys], { resamples: 3000, seed: 11 });
    expect(a).toEqual(bootstrapMeanCI(xs, { resamples: 3000, seed: 11 }));
    expect(b).toEqual(bootstrapMeanCI(ys, { resamples: 3000, seed: 11 }));
  });

  it('is null for n < 2, a point for constant data, and near the normal interval for large n', () => {
    expect(bootstrapMeanCI([1], { resamples: 100, seed: 1 })).toBeNull();
    expect(bootstrapMeanCI([3, 3, 3], { resamples: 100, seed: 1 })).toEqual({ low: 3, high: 3 });
    const next = mulberry32(3);
    const big = Array.from({ length: 400 }, () => next() / 2 ** 32); // U(0,1): σ = 1/√12
    const ci = bootstrapMeanCI(big, { resamples: 4000, seed: 9 })!;
    const half = (1.96 * sampleStd(big)!) / Math.sqrt(big.length);
    expect(ci.high - ci.low).toBeCloseTo(2 * half, 2);
    expect((ci.low + ci.high) / 2).toBeCloseTo(mean(big)!, 2);
  });

  it('ratio of means with an independent-resampling CI matches Python (5,000 resamples, seed 99)', () => {
    const a = [0.119, 0.121, 0.118, 0.124, 0.12];
    const b = [0.095, 0.097, 0.094, 0.099, 0.096, 0.093];
    const r = bootstrapRatioCI(a, b, { resamples: 5000, seed: 99 })!;
    expect(r.ratio).toBeCloseTo(0.7945736434108527, 12);
    expect(r.ci!.low).toBeCloseTo(0.7770455793520044, 12);
    expect(r.ci!.high).toBeCloseTo(0.8121827411167512, 12);
    expect(bootstrapRatioCI([0, 0], [1, 2], { resamples: 10, seed: 1 })).toBeNull();
    expect(bootstrapRatioCI([1], [1, 2], { resamples: 10, seed: 1 })!.ci).toBeNull();
  });
});

describe("Welch's t-test and its distribution functions", () => {
  it('special functions match scipy', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247, 12);
    expect(logGamma(10.3)).toBeCloseTo(13.482036786138359, 11);
    expect(logGamma(100)).toBeCloseTo(359.1342053695754, 10);
    expect(regularizedIncompleteBeta(2.5, 0.5, 0.3)).toBeCloseTo(0.018927124071945658, 13);
    expect(studentTSf(2.0, 10)).toBeCloseTo(0.03669401738537018, 12);
    expect(studentTSf(2.228138851986, 10)).toBeCloseTo(0.025, 10); // the t-table's 97.5 % point for df 10
    expect(studentTSf(1.5, 3.7)).toBeCloseTo(0.10679908460100675, 12);
    expect(studentTSf(0.3, 1)).toBeCloseTo(0.4072264209222577, 12);
  });

  it('matches scipy.stats.ttest_ind(b, a, equal_var=False)', () => {
    const a = [0.119, 0.121, 0.118, 0.124, 0.12];
    const b = [0.095, 0.097, 0.094, 0.099, 0.096, 0.093];
    const w = welchTTest(a, b)!;
    expect(w.t).toBeCloseTo(-18.244675889341895, 9);
    expect(w.df).toBeCloseTo(8.403908714738163, 9);
    expect(w.p / 4.6971005131289103e-8).toBeCloseTo(1, 8);
    const w2 = welchTTest([22.5, 23.1, 21.9, 24.8, 22.0], [19.1, 20.3, 18.7, 21.0])!;
    expect(w2.t).toBeCloseTo(-4.111902031364951, 10);
    expect(w2.df).toBeCloseTo(6.851198118481797, 10);
    expect(w2.p).toBeCloseTo(0.004718155452092682, 12);
  });

  it('handles degenerate inputs', () => {
    expect(welchTTest([1], [1, 2])).toBeNull();
    expect(welchTTest([2, 2], [2, 2])!.p).toBe(1);
    expect(welchTTest([2, 2], [3, 3])!.p).toBe(0);
  });
});
