import { describe, expect, it } from 'vitest';
import { arrivalGaps, arrivalTimes } from '../../src/serve/arrivals.js';

function gaps(n: number, o: Parameters<typeof arrivalGaps>[0]): number[] {
  const g = arrivalGaps(o);
  return Array.from({ length: n }, () => g());
}

function meanCv(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  return [m, sd / m];
}

describe('arrivals', () => {
  it('constant arrivals are exactly 1/rate apart, starting at 0', () => {
    expect(arrivalTimes(4, { rate: 4, arrival: 'constant', burstiness: 1, seed: 0 })).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it('the same seed gives the same schedule; another seed another one', () => {
    const o = { rate: 10, arrival: 'poisson' as const, burstiness: 1, seed: 42 };
    expect(arrivalTimes(50, o)).toEqual(arrivalTimes(50, o));
    expect(arrivalTimes(50, o)).not.toEqual(arrivalTimes(50, { ...o, seed: 43 }));
  });

  // Exponential gaps have CV 1; gamma gaps with shape k have CV 1/sqrt(k), the mean staying 1/rate.
  it.each([
    ['poisson', 1, 1],
    ['gamma', 0.25, 2],
    ['gamma', 4, 0.5],
    ['gamma', 1, 1],
  ] as const)('%s with burstiness %d: mean gap 1/rate, CV %d', (arrival, burstiness, cv) => {
    const [m, c] = meanCv(gaps(200_000, { rate: 8, arrival, burstiness, seed: 7 }));
    expect(m).toBeGreaterThan(0.125 * 0.98);
    expect(m).toBeLessThan(0.125 * 1.02);
    expect(c).toBeGreaterThan(cv * 0.97);
    expect(c).toBeLessThan(cv * 1.03);
  });
});
