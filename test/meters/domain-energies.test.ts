import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossChecks, domainReport, energiesOf } from '../../src/meters/domain-energies.js';
import type { MeterSample, SourceSamples } from '../../src/meters/samples.js';

/** Constant power `w` on `domain`, sampled every `dt` s over [a, b]. */
function constant(
  source: string,
  domain: string,
  w: number,
  a: number,
  b: number,
  dt: number,
  offset = 0,
): SourceSamples {
  const samples: MeterSample[] = [];
  for (let t = a; t <= b + 1e-9; t += dt) samples.push({ t, domain, watts: w });
  return { source, clockOffsetS: offset, samples, notes: [`${source}: read`] };
}

describe('domain energies and cross-checks', () => {
  it('two meters of one domain: each figure, and their disagreement in %, flagged only above the threshold', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.double({ min: 0.5, max: 1.5, noNaN: true }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        (w, k, threshold) => {
          const report = domainReport(
            [constant('pdu', 'node', w, 0, 12, 0.5), constant('wall', 'node', w * k, 0, 12, 0.25)],
            1,
            11,
            {
              thresholdPct: threshold,
            },
          );
          expect(report.energies.map((e) => [e.source, e.method])).toEqual([
            ['pdu', 'integral'],
            ['wall', 'integral'],
          ]);
          expect(report.energies[0]!.joules).toBeCloseTo(w * 10, 6);
          expect(report.energies[1]!.joules).toBeCloseTo(w * k * 10, 6);
          expect(report.cross_checks).toHaveLength(1);
          const c = report.cross_checks[0]!;
          expect(c.reference).toBe('pdu');
          expect(c.other).toBe('wall');
          expect(c.disagreement_pct!).toBeCloseTo((k - 1) * 100, 6);
          expect(c.flagged).toBe(Math.abs(c.disagreement_pct!) > threshold);
          expect(report.notes).toEqual(['pdu: read', 'wall: read']);
        },
      ),
    );
  });

  it('domains seen by one meter only have no cross-check; three meters of one domain give two, against the first', () => {
    const r = domainReport(
      [
        constant('a', 'node', 100, 0, 10, 1),
        constant('b', 'gpu:0', 50, 0, 10, 1),
        constant('c', 'node', 104, 0, 10, 1),
        constant('d', 'node', 90, 0, 10, 1),
      ],
      0,
      10,
    );
    expect(r.threshold_pct).toBe(5);
    expect(
      r.cross_checks.map((c) => [
        c.domain,
        c.reference,
        c.other,
        Math.round(c.disagreement_pct! * 1e6) / 1e6,
        c.flagged,
      ]),
    ).toEqual([
      ['node', 'a', 'c', 4, false],
      ['node', 'a', 'd', -10, true],
    ]);
  });

  it('a meter with a counter and power gives both figures (counter delta, power integral) and checks one against the other', () => {
    const samples: MeterSample[] = [];
    // The counter says 200 W; the power gauge reads 10 % low (a meter's averaging or calibration).
    for (let t = 0; t <= 10; t += 0.1)
      samples.push({ t, domain: 'gpu:0', joules: 200 * t }, { t, domain: 'gpu:0', watts: 180 });
    const e = energiesOf([{ source: 'dcgm', clockOffsetS: -0.5, samples, notes: [] }], 1, 9);
    expect(e.map((x) => [x.source, x.method, x.clock_offset_s])).toEqual([
      ['dcgm', 'counter', -0.5],
      ['dcgm (power integral)', 'integral', -0.5],
    ]);
    expect(e[0]!.joules).toBeCloseTo(1600, 6);
    expect(e[1]!.joules).toBeCloseTo(1440, 6);
    const [c] = crossChecks(e);
    expect(c!.disagreement_pct).toBeCloseTo(-10, 6);
    expect(c!.flagged).toBe(true);
  });

  it('an invalid figure (no coverage) is reported with its reason, and its cross-check has no percentage and no flag', () => {
    const r = domainReport([constant('a', 'node', 100, 0, 10, 1), constant('late', 'node', 100, 8, 10, 1)], 0, 10);
    expect(r.energies[1]!.joules).toBeNull();
    expect(r.energies[1]!.invalid).toContain('cover');
    expect(r.cross_checks[0]).toMatchObject({ other: 'late', other_j: null, disagreement_pct: null, flagged: false });
  });
});
