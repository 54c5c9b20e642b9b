import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dominates, operatingPoints, paretoFront3, type ServeOperatingPoint } from '../../src/results/serving-pareto.js';

const point = fc.record({
  id: fc.string({ minLength: 1, maxLength: 4 }),
  throughput: fc.integer({ min: 0, max: 20 }),
  latency: fc.integer({ min: 0, max: 20 }),
  energy: fc.integer({ min: 0, max: 20 }),
});

describe('throughput–latency–energy Pareto front', () => {
  it('no point on the front is dominated; every point off it is dominated by one on it', () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 30 }), (ps) => {
        const front = paretoFront3(ps);
        for (const f of front) expect(ps.some((q) => dominates(q, f))).toBe(false);
        for (const p of ps.filter((x) => !front.includes(x))) expect(front.some((f) => dominates(f, p))).toBe(true);
        for (let i = 1; i < front.length; i++)
          expect(front[i]!.throughput).toBeGreaterThanOrEqual(front[i - 1]!.throughput);
      }),
      { numRuns: 1000 },
    );
  });

  it('a faster, slower-per-token, cheaper trade-off keeps both; a point worse on all three goes', () => {
    const a: ServeOperatingPoint = { id: 'c=1', throughput: 180, latency: 5, energy: 0.49 };
    const b: ServeOperatingPoint = { id: 'c=16', throughput: 2500, latency: 9, energy: 0.1 };
    const c: ServeOperatingPoint = { id: 'bad', throughput: 100, latency: 10, energy: 0.5 };
    expect(paretoFront3([c, b, a]).map((p) => p.id)).toEqual(['c=1', 'c=16']);
    expect(dominates(a, a)).toBe(false);
  });

  it('averages cycles per server and load; runs without latency or energy are left out', () => {
    const runs = [
      { series: 's', load: 4, throughput: 100, latency: 10, energy: 1 },
      { series: 's', load: 4, throughput: 300, latency: 20, energy: 3 },
      { series: 's', load: 8, throughput: 500, latency: null, energy: 1 },
      { series: 't', load: 4, throughput: 500, latency: 1, energy: null },
    ];
    expect(operatingPoints(runs)).toEqual([{ id: 's @ load 4', throughput: 200, latency: 15, energy: 2 }]);
  });
});
