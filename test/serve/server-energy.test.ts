import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { servingEnergy, type EnergySource } from '../../src/serve/energy-source.js';
import { counterAt, meanPowerW, windowEnergy, type CounterSample } from '../../src/serve/server/sampled-energy.js';

/** A counter sampled at the given times under constant power `w` (J/s = mJ/ms), from `e0` mJ. */
const constantPower = (times: number[], w: number, e0 = 0): CounterSample[] =>
  times.map((t) => ({ tMs: t, energyMj: e0 + w * (t - times[0]!), powerW: w }));

const sortedTimes = fc
  .uniqueArray(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 60 })
  .map((a) => a.sort((x, y) => x - y));

describe('window energy from a sampled cumulative counter', () => {
  it('constant power: any window inside the samples gets power × seconds, interpolated at both ends', () => {
    fc.assert(
      fc.property(
        sortedTimes,
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        (ts, w, [u, v]) => {
          const s = constantPower(ts, w);
          const lo = ts[0]!;
          const hi = ts.at(-1)!;
          // Whole milliseconds: the wall clock's resolution; below it the mean power is floating-point noise.
          const [a, b] = [Math.round(lo + Math.min(u, v) * (hi - lo)), Math.round(lo + Math.max(u, v) * (hi - lo))];
          const e = windowEnergy(s, a, b);
          if (!(b > a)) {
            expect(e.ok).toBe(false);
            return;
          }
          expect(e.ok).toBe(true);
          if (e.ok) expect(e.joules).toBeCloseTo((w * (b - a)) / 1000, 6);
          expect(meanPowerW(s, a, b)).toBeCloseTo(w, 6);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is additive over adjacent windows and never negative for a rising counter', () => {
    fc.assert(
      fc.property(sortedTimes, fc.array(fc.nat(5000), { minLength: 60, maxLength: 60 }), (ts, incs) => {
        let e = 0;
        const s = ts.map((t, i) => ({ tMs: t, energyMj: (e += incs[i]!), powerW: null }));
        const [lo, hi] = [ts[0]!, ts.at(-1)!];
        const mid = (lo + hi) / 2;
        const ab = windowEnergy(s, lo, mid);
        const bc = windowEnergy(s, mid, hi);
        const ac = windowEnergy(s, lo, hi);
        if (!(mid > lo)) return;
        if (ab.ok && bc.ok && ac.ok) {
          expect(ab.joules).toBeGreaterThanOrEqual(0);
          expect(ab.joules + bc.joules).toBeCloseTo(ac.joules, 6);
        } else expect.unreachable('a window inside the samples is covered');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a window the samples do not cover, a gap at an end, and a counter that went backwards', () => {
    const s = constantPower([1000, 1100, 1200, 1300], 100);
    expect(windowEnergy(s, 900, 1200)).toEqual({ ok: false, reason: 'the energy samples do not cover the window' });
    expect(windowEnergy(s, 1100, 1400).ok).toBe(false);
    expect(windowEnergy(s, 1200, 1100)).toEqual({ ok: false, reason: 'the window is empty' });
    const gap = [...s.slice(0, 2), { tMs: 1200, energyMj: null, powerW: null }, s[3]!];
    expect(counterAt(gap, 1250)).toBeCloseTo(counterAt(s, 1250)!); // a failed read is skipped, not zero
    const reset = [...s.slice(0, 2), { tMs: 1200, energyMj: 5, powerW: 100 }, { tMs: 1300, energyMj: 15, powerW: 100 }];
    expect(windowEnergy(reset, 1000, 1300)).toMatchObject({ ok: false, reason: expect.stringContaining('reset') });
  });
});

/** A source under constant power with a known baseline. */
function source(w: number, baselineW: number | null, simulated = false): EnergySource {
  return {
    name: simulated ? 'simulated' : 'nvml',
    simulated,
    energy: async (a, b) => ({ joules: (w * (b - a)) / 1000, baselineW }),
  };
}

describe('serving energy figures', () => {
  const windows = {
    epochMs: 1e12,
    whole: { start_ms: 0, end_ms: 10_000 },
    steady: { start_ms: 2000, end_ms: 8000, share: 0.6 },
  };
  const counts = { completed: 50, outputTokens: 5000, steadyTokens: 3600 };

  it('whole run and steady state, raw and idle-adjusted, per request and per output token', async () => {
    const e = await servingEnergy(source(300, 100), 'unused', windows, counts);
    expect(e).toMatchObject({ available: true, whole_j: 3000, steady_j: 1800, baseline_w: 100, source: 'nvml' });
    expect(e.j_per_request).toBeCloseTo(60);
    expect(e.j_per_output_token).toBeCloseTo(0.6);
    expect(e.adjusted_j_per_output_token).toBeCloseTo((3000 - 1000) / 5000);
    expect(e.adjusted_j_per_request).toBeCloseTo(2000 / 50);
    expect(e.steady_j_per_output_token).toBeCloseTo(0.5);
    expect(e.steady_adjusted_j_per_output_token).toBeCloseTo((1800 - 600) / 3600);
    expect(e.steady_j_per_request).toBeCloseTo(0.5 * 100); // per token × 100 tokens per request
    expect(e.steady_share).toBe(0.6);
    expect(e.simulated).toBe(false);
  });

  it('without a baseline the adjusted figures are null; simulated sources say so; no source says why', async () => {
    const e = await servingEnergy(source(300, null, true), 'unused', windows, counts);
    expect(e.adjusted_j_per_output_token).toBeNull();
    expect(e.steady_adjusted_j_per_output_token).toBeNull();
    expect(e.simulated).toBe(true);
    const none = await servingEnergy(null, 'no meter here', windows, counts);
    expect(none).toMatchObject({
      available: false,
      reason: 'no meter here',
      whole_j: null,
      steady_j_per_request: null,
    });
    const silent: EnergySource = { name: 'nvml', energy: async () => null, whyNone: () => 'NVML sees no GPU' };
    expect((await servingEnergy(silent, 'x', windows, counts)).reason).toBe(
      'nvml gave no reading for the load window: NVML sees no GPU',
    );
  });
});
