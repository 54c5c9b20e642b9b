import { describe, expect, it } from 'vitest';
import type { CollectedResult } from '../../src/results/collect.js';
import { compareResults } from '../../src/results/compare.js';
import { buildResult, defaultConfig } from '../fixtures/result-builder.js';

const opts = { resamples: 4000, seed: 3, level: 0.95 };
const cfg = defaultConfig('vllm', 8);

function runs(hash: string, cycles: number, tps: (c: number) => number, power: (c: number) => number, campaign: string): CollectedResult[] {
  return Array.from({ length: cycles }, (_, cycle) => ({
    path: `${campaign}/${hash}/${cycle}`,
    dir: '.',
    doc: buildResult({ campaignId: campaign, configHash: hash, cycle, experimentId: `c${cycle}`, config: cfg, outputTokensPerS: tps(cycle), powerW: power(cycle) }),
  }));
}

describe('compareResults', () => {
  // B draws 20 % less power at the same throughput: J/token drops to 0.8×, throughput does not change.
  const jitter = (c: number) => [0, 3, -2, 4, -1, 2][c]!;
  const a = [...runs('aaaaaaaaaaaa', 6, (c) => 1000 + jitter(c), (c) => 500 + jitter(c), 'A'), ...runs('only-a', 3, () => 1, () => 1, 'A')];
  const b = [...runs('aaaaaaaaaaaa', 6, (c) => 1000 - jitter(c), (c) => 400 - jitter(c), 'B'), ...runs('only-b', 3, () => 1, () => 1, 'B')];
  const cmp = compareResults(a, b, opts);

  it('matches configurations by config hash only and lists the rest', () => {
    expect(cmp.matching).toBe('config_hash');
    expect(cmp.matched.map((m) => m.config_hash)).toEqual(['aaaaaaaaaaaa']);
    expect(cmp.only_a.map((m) => m.config_hash)).toEqual(['only-a']);
    expect(cmp.only_b.map((m) => m.config_hash)).toEqual(['only-b']);
  });

  it('reports the ratio B/A with a CI, a Welch p-value and a verdict in the direction of "better"', () => {
    const m = Object.fromEntries(cmp.matched[0]!.metrics.map((x) => [x.key, x]));
    const e = m['j_per_output_token']!;
    expect(e.ratio!).toBeCloseTo(0.8, 2);
    expect(e.ci_low!).toBeLessThan(e.ratio!);
    expect(e.ci_high!).toBeLessThan(1);
    expect(e.significant).toBe(true);
    expect(e.verdict).toBe('B better');
    expect(e.welch_p!).toBeLessThan(1e-6);
    const t = m['output_tokens_per_s']!;
    expect(t.ratio!).toBeCloseTo(1, 2);
    expect(t.significant).toBe(false);
    expect(t.verdict).toBe('not distinguishable');
  });

  it('calls a difference not comparable with fewer than 2 cycles on a side, or no values', () => {
    const one = compareResults(runs('h', 1, () => 1000, () => 500, 'A'), runs('h', 4, (c) => 900 + c, () => 500, 'B'), opts);
    const t = one.matched[0]!.metrics.find((x) => x.key === 'output_tokens_per_s')!;
    expect(t).toMatchObject({ significant: null, verdict: 'not comparable', ci_low: null, welch_p: null });
    expect(t.ratio!).toBeCloseTo(901.5 / 1000, 9);
    const sim = compareResults(
      [{ path: 'x', dir: '.', doc: buildResult({ configHash: 's', simulated: true }) }],
      [{ path: 'y', dir: '.', doc: buildResult({ configHash: 's', simulated: true }) }],
      opts,
    );
    expect(sim.matched[0]!.metrics[0]).toMatchObject({ key: 'j_per_output_token', ratio: null, verdict: 'not comparable' });
  });
});
