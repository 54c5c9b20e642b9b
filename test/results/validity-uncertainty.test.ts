import { describe, expect, it } from 'vitest';
import type { CollectedResult } from '../../src/results/collect.js';
import { compareResults, verdictOf } from '../../src/results/compare.js';
import { summarise } from '../../src/results/summary.js';
import { paperTable } from '../../src/results/text-summary.js';
import { configUncertainty, overlaps, rss } from '../../src/results/uncertainty.js';
import { invalidLines, partitionByValidity } from '../../src/results/validity.js';
import { buildResult, defaultConfig } from '../fixtures/result-builder.js';

const opts = { resamples: 2000, seed: 5, level: 0.95 };
const cfg = defaultConfig('vllm', 8);

function result(cycle: number, knobs: Parameters<typeof buildResult>[0] = {}, patch: Parameters<typeof buildResult>[1] = {}): CollectedResult {
  const doc = buildResult({ configHash: 'h', cycle, experimentId: `e${cycle}`, config: cfg, ...knobs }, patch);
  return { path: `c/e${cycle}/result.json`, dir: '.', doc };
}

const INVALID = { validity: { valid: false, assessed: true, checks: [], reasons: ['window_length: measured window 2.2 s (threshold >= 10 s)'] } };
const NOT_ASSESSED = { validity: { valid: true, assessed: false, checks: [], reasons: [] } };

describe('partitionByValidity', () => {
  const rs = [result(0), result(1, {}, INVALID), result(2, {}, NOT_ASSESSED)];

  it('leaves invalid results out by default and lists them with their reasons', () => {
    const p = partitionByValidity(rs, false);
    expect(p.kept.map((r) => r.doc.experiment.cycle)).toEqual([0, 2]);
    expect(p.invalid).toEqual([{ path: 'c/e1/result.json', experiment_id: 'e1', cycle: 1, reasons: INVALID.validity.reasons, included: false }]);
    expect(p.not_assessed).toBe(1);
    expect(invalidLines(p.invalid)).toEqual(['  c/e1/result.json: window_length: measured window 2.2 s (threshold >= 10 s)']);
  });

  it('keeps them with --include-invalid, still listed', () => {
    const p = partitionByValidity(rs, true);
    expect(p.kept).toHaveLength(3);
    expect(p.invalid.map((x) => x.included)).toEqual([true]);
  });
});

describe('configUncertainty', () => {
  it('averages each per-result component, adds the cycle spread and combines them by root sum of squares', () => {
    // Hand-computed: two results with update-period components 0.01 and 0.03 (mean 0.02), sensor 0.05 on both,
    // gap 0.004 and 0.012 (mean 0.008); spread: CI [0.95, 1.05] around mean 1.0 -> 0.05.
    // combined = sqrt(0.05^2 + 0.02^2 + 0.008^2 + 0.05^2) = sqrt(0.005464) = 0.073918...
    const u = (update: number, gap: number) => ({
      metric: 'j_per_output_token' as const,
      value: 1,
      components: [
        { name: 'sensor_accuracy', relative: 0.05, description: '' },
        { name: 'counter_update_period', relative: update, description: '' },
        { name: 'counter_vs_integral', relative: gap, description: '' },
      ],
      combined_relative: 0,
      low: 0,
      high: 0,
    });
    const docs = [buildResult({}, { uncertainty: u(0.01, 0.004) }), buildResult({}, { uncertainty: u(0.03, 0.012) })];
    const c = configUncertainty(docs, 1.0, { low: 0.95, high: 1.05, n: 3 })!;
    expect(c.components.map((x) => [x.name, x.relative])).toEqual([
      ['sensor_accuracy', 0.05],
      ['counter_update_period', 0.02],
      ['counter_vs_integral', 0.008],
      ['cycle_spread', expect.closeTo(0.05, 12)],
    ]);
    expect(c.combined_relative).toBeCloseTo(Math.sqrt(0.005464), 12);
    expect(c.low).toBeCloseTo(1 - Math.sqrt(0.005464), 12);
    expect(c.reliable).toBe(true);
    expect(configUncertainty(docs, 1.0, { low: 0.9, high: 1.1, n: 2 })!.reliable).toBe(false);
    const noSpread = configUncertainty(docs, 1.0, null)!;
    expect(noSpread.components.map((x) => x.name)).not.toContain('cycle_spread');
    expect(noSpread.reliable).toBe(false);
    expect(configUncertainty([buildResult({ simulated: true })], 1.0, null)).toBeNull();
    expect(rss([3, 4])).toBe(5);
    expect(overlaps({ low: 1, high: 2 }, { low: 2, high: 3 })).toBe(true);
    expect(overlaps({ low: 1, high: 2 }, { low: 2.01, high: 3 })).toBe(false);
  });
});

describe('verdicts', () => {
  it('never calls a difference better or worse when the CI, Welch or the intervals say it is not distinguishable', () => {
    expect(verdictOf('lower', 0.8, { low: 0.7, high: 0.9 }, 0.001, null)).toEqual({ verdict: 'B better', notes: [] });
    expect(verdictOf('lower', 1.2, { low: 1.1, high: 1.3 }, 0.001, null).verdict).toBe('B worse');
    expect(verdictOf('higher', 1.2, { low: 1.1, high: 1.3 }, 0.001, null).verdict).toBe('B better');
    // The case: a 0.1 % difference whose CI excludes 1 but Welch p = 0.112.
    const welch = verdictOf('lower', 0.999, { low: 0.9985, high: 0.9995 }, 0.112, null);
    expect(welch.verdict).toBe('not distinguishable');
    expect(welch.notes).toEqual(["Welch's test is not significant (p = 0.112 >= 0.05)"]);
    const ci = verdictOf('lower', 0.95, { low: 0.9, high: 1.01 }, 0.01, null);
    expect(ci).toEqual({ verdict: 'not distinguishable', notes: ['the CI of B/A includes 1'] });
    const overlap = verdictOf('lower', 0.9, { low: 0.85, high: 0.95 }, 0.001, { a: { low: 0.95, high: 1.05 }, b: { low: 0.85, high: 0.96 } });
    expect(overlap).toEqual({ verdict: 'not distinguishable', notes: ['the uncertainty intervals of A and B overlap'] });
    expect(verdictOf('lower', null, null, null, null).verdict).toBe('not comparable');
  });

  it('flags a comparison with fewer than 3 cycles on a side as unreliable', () => {
    const a = [0, 1].map((c) => result(c, { campaignId: 'A', powerW: 500 + c }));
    const b = [0, 1].map((c) => result(c, { campaignId: 'B', powerW: 300 + c }));
    const m = compareResults(a, b, opts).matched[0]!.metrics.find((x) => x.key === 'j_per_output_token')!;
    expect(m.ci_reliable).toBe(false);
    expect(m.notes).toContain('fewer than 3 cycles on a side: the intervals are [min, max]-like and unreliable');
    expect(m.uncertainty?.a && m.uncertainty.b).toBeTruthy();
  });

  it('says not distinguishable when two configurations are 1 % apart, inside the ±5 % sensor budget', () => {
    const jitter = [0, 2, -1, 1, -2];
    const a = jitter.map((j, c) => result(c, { campaignId: 'A', powerW: 500 + j }));
    const b = jitter.map((j, c) => result(c, { campaignId: 'B', powerW: 495 - j }));
    const m = compareResults(a, b, opts).matched[0]!.metrics.find((x) => x.key === 'j_per_output_token')!;
    expect(m.significant).toBe(true);
    expect(m.verdict).toBe('not distinguishable');
    expect(m.notes).toContain('the uncertainty intervals of A and B overlap');
  });
});

describe('summaries flag intervals from fewer than 3 cycles', () => {
  it('marks ci_reliable false for n = 2, true for n >= 3, null without a CI, and carries the J/token budget', () => {
    const two = summarise([result(0, { powerW: 480 }), result(1, { powerW: 520 })], opts)[0]!;
    const j = two.metrics['j_per_output_token']!;
    expect(j.n).toBe(2);
    expect(j.ci_reliable).toBe(false);
    // With two cycles the percentile bootstrap of the mean is exactly [min, max].
    expect([j.ci_low, j.ci_high]).toEqual([480 / 1070, 520 / 1070].map((x) => expect.closeTo(x, 12)));
    expect(two.uncertainty?.reliable).toBe(false);
    const three = summarise([0, 1, 2].map((c) => result(c, { powerW: 480 + 20 * c })), opts)[0]!;
    expect(three.metrics['j_per_output_token']!.ci_reliable).toBe(true);
    expect(three.uncertainty?.components.map((c) => c.name)).toContain('cycle_spread');
    const one = summarise([result(0)], opts)[0]!;
    expect(one.metrics['j_per_output_token']!.ci_reliable).toBeNull();
    // The printed table marks the unreliable intervals, and only those.
    expect(paperTable([two])).toMatch(/\] †/);
    expect(paperTable([three])).not.toMatch(/\] †/);
  });
});
