import { describe, expect, it } from 'vitest';
import { shuffledIndices } from '../../src/campaign/planner.js';
import { mulberry32, mulberry32Unit } from '../../src/core/prng.js';
import { bootstrapMeanCI, bootstrapRatioCI } from '../../src/results/stats.js';

// The sequences below were printed by the two copies of mulberry32 that lem had before they became one (the
// planner's and the statistics module's): run orders and bootstrap intervals must not change with the merge.
describe('the seeded PRNG', () => {
  it('gives the uint32 sequence the statistics module always had', () => {
    const a = mulberry32(42);
    expect([a(), a(), a()]).toEqual([2581720956, 1925393290, 3661312704]);
    const b = mulberry32(0xdeadbeef);
    expect([b(), b(), b()]).toEqual([4043151706, 1147597007, 3315858022]);
  });

  it('gives the [0, 1) sequence the planner always had', () => {
    const u = mulberry32Unit(42);
    expect([u(), u(), u()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('keeps shuffled run orders and bootstrap intervals as they were', () => {
    expect(shuffledIndices(10, 7)).toEqual([6, 5, 8, 1, 2, 3, 4, 7, 9, 0]);
    expect(bootstrapMeanCI([1, 2, 3, 4, 5, 6, 7, 8], { resamples: 1000, seed: 12345 })).toEqual({
      low: 2.875,
      high: 6,
    });
    expect(bootstrapRatioCI([1, 2, 3, 4, 5], [2, 3, 4, 5, 7], { resamples: 1000, seed: 99 })).toEqual({
      ratio: 1.4000000000000001,
      ci: { low: 0.8125, high: 2.5011363636363626 },
    });
  });
});
