import type { ResultDocument } from '../contract/result.js';
import type { CollectedResult } from './collect.js';
import { rowLabels } from './rows.js';
import { HEADLINE_METRICS, type HeadlineMetric } from './metrics.js';
import { bootstrapRatioCI, hashSeed, mean, welchTTest } from './stats.js';
import { groupByConfig, type SummaryOptions } from './summary.js';

/**
 * Compares two sets of results configuration by configuration. Configurations are matched by config hash only: a
 * changed default or engine section changes the hash, and matching "similar" configs by hand-picked fields would
 * silently compare different experiments. For each headline metric: ratio of means B / A with a bootstrap CI (A and
 * B resampled independently), and Welch's t-test p-value. "Significant" means the 95 % CI of the ratio excludes 1.
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
  /** B relative to A, in the metric's own direction of "better". */
  verdict: 'B better' | 'B worse' | 'no significant difference' | 'not comparable';
}

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

export function compareMetric(m: HeadlineMetric, hash: string, docsA: readonly ResultDocument[], docsB: readonly ResultDocument[], opts: SummaryOptions): MetricComparison {
  const xa = values(m, docsA);
  const xb = values(m, docsB);
  const ratio = bootstrapRatioCI(xa, xb, { resamples: opts.resamples, seed: hashSeed(opts.seed, `${hash}|${m.key}|compare`), level: opts.level });
  const welch = welchTTest(xa, xb);
  const ci = ratio?.ci ?? null;
  const significant = ci === null ? null : ci.low > 1 || ci.high < 1;
  let verdict: MetricComparison['verdict'] = 'not comparable';
  if (significant === false) verdict = 'no significant difference';
  else if (significant === true && ratio) {
    const bHigher = ratio.ratio > 1;
    verdict = bHigher === (m.better === 'higher') ? 'B better' : 'B worse';
  }
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
    verdict,
  };
}
