import type { ResultDocument } from '../contract/result.js';
import type { CollectedResult } from './collect.js';
import { rowLabels } from './rows.js';
import { HEADLINE_METRICS, type HeadlineMetric } from './metrics.js';
import { bootstrapMeanCI, bootstrapRatioCI, hashSeed, mean } from './stats.js';
import { welchTTest } from './welch.js';
import { configUncertainty, MIN_RELIABLE_CYCLES, overlaps, type ConfigUncertainty } from './uncertainty.js';
import { groupByConfig, type SummaryOptions } from './summary.js';

/**
 * Compares two sets of results configuration by configuration. Configurations are matched by config hash only: a
 * changed default or engine section changes the hash, and matching "similar" configs by hand-picked fields would
 * silently compare different experiments. For each headline metric: ratio of means B / A with a bootstrap CI (A and
 * B resampled independently), and Welch's t-test p-value. "B better" / "B worse" only when the ratio's 95 % CI
 * excludes 1, Welch's p < 0.05 and, for J/output token, the two configurations' uncertainty budgets (uncertainty.ts)
 * do not overlap; otherwise "not distinguishable", with the reasons in `notes`. Fewer than 3 cycles on a side make
 * the intervals [min, max]-like: ci_reliable is false and a note says so.
 */
export interface MetricComparison {
  key: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  a: { n: number; mean: number | null };
  b: { n: number; mean: number | null };
  /** mean(B) / mean(A). */
  ratio: number | null;
  ci_low: number | null;
  ci_high: number | null;
  welch_p: number | null;
  /** CI of the ratio excludes 1; null when it cannot be judged (n < 2 on a side, or no values). */
  significant: boolean | null;
  /** False when a side has fewer than 3 cycles; null when there is no CI. */
  ci_reliable: boolean | null;
  /** J/output token only: each side's uncertainty interval (null where no result carried a budget). */
  uncertainty: { a: { low: number; high: number } | null; b: { low: number; high: number } | null } | null;
  /** B relative to A, in the metric's own direction of "better". */
  verdict: 'B better' | 'B worse' | 'not distinguishable' | 'not comparable';
  /** Why the verdict is "not distinguishable", and caveats. */
  notes: string[];
}

export const WELCH_ALPHA = 0.05;

export interface ConfigComparison {
  config_hash: string;
  label: string;
  metrics: MetricComparison[];
}

export interface Comparison {
  matching: 'config_hash';
  matched: ConfigComparison[];
  only_a: { config_hash: string; label: string }[];
  only_b: { config_hash: string; label: string }[];
}

export function compareResults(a: readonly CollectedResult[], b: readonly CollectedResult[], opts: SummaryOptions): Comparison {
  const ga = groupByConfig(a);
  const gb = groupByConfig(b);
  // Rows are matched by key: config hash, simulated results apart from measured ones (rows.ts).
  const labels = rowLabels(new Map([...gb, ...ga]));
  const label = (key: string): string => labels.get(key) ?? key;
  const hashOf = (g: readonly CollectedResult[]): string => g[0]!.doc.experiment.config_hash;
  const matched: ConfigComparison[] = [];
  for (const [key, ra] of ga) {
    const rb = gb.get(key);
    if (!rb) continue;
    const hash = hashOf(ra);
    matched.push({
      config_hash: hash,
      label: label(key),
      metrics: HEADLINE_METRICS.map((m) => compareMetric(m, hash, ra.map((r) => r.doc), rb.map((r) => r.doc), opts)),
    });
  }
  const only = (x: Map<string, CollectedResult[]>, y: Map<string, unknown>) =>
    [...x].filter(([k]) => !y.has(k)).map(([k, g]) => ({ config_hash: hashOf(g), label: label(k) }));
  const byLabel = <T extends { label: string }>(xs: T[]): T[] => xs.sort((p, q) => p.label.localeCompare(q.label, 'en', { numeric: true }));
  return { matching: 'config_hash', matched: byLabel(matched), only_a: byLabel(only(ga, gb)), only_b: byLabel(only(gb, ga)) };
}

function values(m: HeadlineMetric, docs: readonly ResultDocument[]): number[] {
  return docs.map((d) => m.get(d)).filter((v): v is number => v !== null);
}

function sideUncertainty(
  m: HeadlineMetric,
  hash: string,
  side: string,
  docs: readonly ResultDocument[],
  xs: number[],
  opts: SummaryOptions,
): ConfigUncertainty | null {
  if (m.key !== 'j_per_output_token') return null;
  const seed = hashSeed(opts.seed, `${hash}|${m.key}|${side}`);
  const ci = bootstrapMeanCI(xs, { resamples: opts.resamples, seed, level: opts.level });
  return configUncertainty(docs, mean(xs), ci === null ? null : { low: ci.low, high: ci.high, n: xs.length });
}

/** The verdict and its notes, from the ratio's CI, Welch's test and (J/token) the uncertainty intervals. */
export function verdictOf(
  better: 'lower' | 'higher',
  ratio: number | null,
  ci: { low: number; high: number } | null,
  welchP: number | null,
  intervals: { a: { low: number; high: number } | null; b: { low: number; high: number } | null } | null,
): { verdict: MetricComparison['verdict']; notes: string[] } {
  if (ci === null || ratio === null) {
    return { verdict: 'not comparable', notes: ['fewer than 2 cycles on a side, or no values'] };
  }
  const notes: string[] = [];
  if (ci.low <= 1 && ci.high >= 1) notes.push('the CI of B/A includes 1');
  if (welchP === null || welchP >= WELCH_ALPHA) {
    const p = welchP === null ? 'n/a' : `= ${welchP.toFixed(3)}`;
    notes.push(`Welch's test is not significant (p ${p} >= ${WELCH_ALPHA})`);
  }
  if (intervals?.a && intervals.b && overlaps(intervals.a, intervals.b)) {
    notes.push('the uncertainty intervals of A and B overlap');
  }
  if (notes.length > 0) return { verdict: 'not distinguishable', notes };
  return { verdict: ratio > 1 === (better === 'higher') ? 'B better' : 'B worse', notes };
}

export function compareMetric(m: HeadlineMetric, hash: string, docsA: readonly ResultDocument[], docsB: readonly ResultDocument[], opts: SummaryOptions): MetricComparison {
  const xa = values(m, docsA);
  const xb = values(m, docsB);
  const ratio = bootstrapRatioCI(xa, xb, { resamples: opts.resamples, seed: hashSeed(opts.seed, `${hash}|${m.key}|compare`), level: opts.level });
  const welch = welchTTest(xa, xb);
  const ci = ratio?.ci ?? null;
  const significant = ci === null ? null : ci.low > 1 || ci.high < 1;
  const ua = sideUncertainty(m, hash, 'a', docsA, xa, opts);
  const ub = sideUncertainty(m, hash, 'b', docsB, xb, opts);
  const span = (u: ConfigUncertainty | null) => u && { low: u.low, high: u.high };
  const uncertainty = m.key === 'j_per_output_token' ? { a: span(ua), b: span(ub) } : null;
  const { verdict, notes } = verdictOf(m.better, ratio?.ratio ?? null, ci, welch?.p ?? null, uncertainty);
  const reliable = ci === null ? null : Math.min(xa.length, xb.length) >= MIN_RELIABLE_CYCLES;
  if (reliable === false) notes.push('fewer than 3 cycles on a side: the intervals are [min, max]-like and unreliable');
  return {
    key: m.key,
    label: m.label,
    unit: m.unit,
    better: m.better,
    a: { n: xa.length, mean: mean(xa) },
    b: { n: xb.length, mean: mean(xb) },
    ratio: ratio?.ratio ?? null,
    ci_low: ci?.low ?? null,
    ci_high: ci?.high ?? null,
    welch_p: welch?.p ?? null,
    significant,
    ci_reliable: reliable,
    uncertainty,
    verdict,
    notes,
  };
}
