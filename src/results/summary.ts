import type { ResultDocument } from '../contract/result.js';
import type { CollectedResult } from './collect.js';
import { descriptors, flattenConfig, variedKeys, type Scalar } from './config-params.js';
import { HEADLINE_METRICS, type HeadlineMetric } from './metrics.js';
import { runJobs, type BootstrapJob } from './bootstrap-jobs.js';
import { startJobs, type ParallelOptions } from './bootstrap-parallel.js';
import { rowKey, rowLabels } from './rows.js';
import { coefficientOfVariation, hashSeed, mean, sampleStd, type Interval } from './stats.js';
import { configUncertainty, MIN_RELIABLE_CYCLES, type ConfigUncertainty } from './uncertainty.js';

/**
 * Statistics per configuration (config hash) across cycles: n, mean, sample std, CV and a seeded bootstrap
 * percentile CI of the mean for each headline metric. Nulls (energy of simulated runs) are left out of n; the CI is
 * null when n < 2.
 */
export interface MetricSummary {
  n: number;
  mean: number | null;
  std: number | null;
  /** std / |mean| as a fraction (0.1 = 10 %). */
  cv: number | null;
  ci_low: number | null;
  ci_high: number | null;
  /**
   * False when the CI rests on fewer than 3 cycles: with 2 the percentile bootstrap of a mean is just [min, max].
   * Null when there is no CI.
   */
  ci_reliable: boolean | null;
}

export interface ConfigSummary {
  config_hash: string;
  label: string;
  campaign_ids: string[];
  backend: string;
  model: string | null;
  precision: string | null;
  quantization: string | null;
  batch_size: number | null;
  /** Config parameters that vary across the summarised set (dotted keys). */
  params: Record<string, Scalar>;
  experiments: number;
  cycles: number[];
  simulated: number;
  energy_available: number;
  throttled: number;
  warmup_unconverged: number;
  /** Results in this configuration that failed a validity check (present only with --include-invalid). */
  invalid: number;
  metrics: Record<string, MetricSummary>;
  /** Uncertainty budget of the mean J/output token (uncertainty.ts); null where no result carried one. */
  uncertainty: ConfigUncertainty | null;
}

export { DEFAULT_SUMMARY_OPTIONS, type SummaryOptions } from './defaults.js';
import { DEFAULT_SUMMARY_OPTIONS, type SummaryOptions } from './defaults.js';

/**
 * Results per row (config hash; simulated results apart from measured ones, see rows.ts), each group in a canonical
 * order (campaign, cycle, experiment): the bootstrap maps its draws to positions, so the order must not depend on
 * how the files happened to be read.
 */
export function groupByConfig(results: readonly CollectedResult[]): Map<string, CollectedResult[]> {
  const groups = new Map<string, CollectedResult[]>();
  for (const r of results) {
    const h = rowKey(r.doc);
    const g = groups.get(h);
    if (g) g.push(r);
    else groups.set(h, [r]);
  }
  for (const g of groups.values()) g.sort(canonicalOrder);
  return groups;
}

function canonicalOrder(a: CollectedResult, b: CollectedResult): number {
  const x = a.doc.experiment;
  const y = b.doc.experiment;
  return x.campaign_id.localeCompare(y.campaign_id) || x.cycle - y.cycle || x.experiment_id.localeCompare(y.experiment_id) || x.attempt - y.attempt || a.path.localeCompare(b.path);
}

/** Statistics per configuration, in this thread. */
export function summarise(results: readonly CollectedResult[], opts: SummaryOptions = DEFAULT_SUMMARY_OPTIONS): ConfigSummary[] {
  const plan = planSummaries(results, opts);
  return assemble(plan, runJobs(plan.jobs));
}

/** Same numbers as summarise (each job carries its own seed), with the bootstrap spread over all cores. */
export async function summariseParallel(
  results: readonly CollectedResult[],
  opts: SummaryOptions = DEFAULT_SUMMARY_OPTIONS,
  parallel: ParallelOptions = {},
): Promise<ConfigSummary[]> {
  return startSummaries(results, opts, parallel).wait();
}

/** Starts the bootstrap on worker threads and returns at once: the caller's thread is free until it awaits. */
export function startSummaries(
  results: readonly CollectedResult[],
  opts: SummaryOptions = DEFAULT_SUMMARY_OPTIONS,
  parallel: ParallelOptions = {},
): { wait(): Promise<ConfigSummary[]> } {
  const plan = planSummaries(results, opts);
  const pending = startJobs(plan.jobs, parallel);
  return { wait: async () => assemble(plan, await pending.wait()) };
}

interface PlannedMetrics {
  /** Per headline metric: its non-null values, and which bootstrap job and column give its CI. */
  values: Float64Array[];
  job: number[];
  column: number[];
}

interface Plan {
  configs: { base: Omit<ConfigSummary, 'metrics' | 'uncertainty'>; metrics: PlannedMetrics; docs: ResultDocument[] }[];
  jobs: BootstrapJob[];
}

function planSummaries(results: readonly CollectedResult[], opts: SummaryOptions): Plan {
  const groups = groupByConfig(results);
  const first = new Map<string, ResultDocument>([...groups].map(([h, g]) => [h, g[0]!.doc]));
  const labels = rowLabels(groups);
  const varied = variedKeys([...first.values()].map((d) => d.experiment.config));
  const jobs: BootstrapJob[] = [];
  const configs: Plan['configs'] = [];
  for (const [key, group] of groups) {
    const doc = group[0]!.doc;
    const hash = doc.experiment.config_hash;
    const d = descriptors(doc);
    const flat = flattenConfig(doc.experiment.config);
    configs.push({
      base: {
        config_hash: hash,
        label: labels.get(key) ?? hash,
        campaign_ids: [...new Set(group.map((r) => r.doc.experiment.campaign_id))].sort(),
        backend: d.backend,
        model: d.model,
        precision: d.precision,
        quantization: d.quantization,
        batch_size: d.batch_size,
        params: Object.fromEntries(varied.filter((k) => flat.has(k)).map((k) => [k, flat.get(k) ?? null])),
        experiments: group.length,
        cycles: [...new Set(group.map((r) => r.doc.experiment.cycle))].sort((a, b) => a - b),
        simulated: group.filter((r) => r.doc.simulated).length,
        energy_available: group.filter((r) => r.doc.energy.available).length,
        throttled: group.filter((r) => r.doc.thermal.throttled).length,
        warmup_unconverged: group.filter((r) => !r.doc.warmup.converged).length,
        invalid: group.filter((r) => !r.doc.validity.valid).length,
      },
      metrics: planMetrics(hash, group.map((r) => r.doc), HEADLINE_METRICS, opts, jobs),
      docs: group.map((r) => r.doc),
    });
  }
  return { configs, jobs };
}

/**
 * Metrics with the same cycles present (usually all of them, or all energy metrics absent) are bootstrapped jointly
 * from one stream of row draws; the seed depends only on the user's seed, the config hash and which cycles are
 * present, so a metric's CI equals bootstrapMeanCI(its values, that seed) and is independent of ordering.
 */
function planMetrics(configHash: string, docs: readonly ResultDocument[], metrics: readonly HeadlineMetric[], opts: SummaryOptions, jobs: BootstrapJob[]): PlannedMetrics {
  const raw = metrics.map((m) => docs.map((d) => m.get(d)));
  const values = raw.map((vs) => Float64Array.from(vs.filter((v): v is number => v !== null)));
  const job: number[] = [];
  const column: number[] = [];
  const byMask = new Map<string, number>();
  raw.forEach((vs, i) => {
    const mask = vs.map((v) => (v === null ? '0' : '1')).join('');
    let j = byMask.get(mask);
    if (j === undefined) {
      j = jobs.length;
      byMask.set(mask, j);
      jobs.push({ columns: [], seed: bootstrapSeed(opts.seed, configHash, mask), resamples: opts.resamples, level: opts.level });
    }
    job[i] = j;
    column[i] = jobs[j]!.columns.length;
    jobs[j]!.columns.push(values[i]!);
  });
  return { values, job, column };
}

function assemble(plan: Plan, intervals: readonly (Interval | null)[][]): ConfigSummary[] {
  const out = plan.configs.map(({ base, metrics, docs }) => {
    const summary: Record<string, MetricSummary> = {};
    HEADLINE_METRICS.forEach((m, i) => {
      const xs = metrics.values[i]!;
      const ci = intervals[metrics.job[i]!]?.[metrics.column[i]!] ?? null;
      summary[m.key] = {
        n: xs.length,
        mean: mean(xs),
        std: sampleStd(xs),
        cv: coefficientOfVariation(xs),
        ci_low: ci?.low ?? null,
        ci_high: ci?.high ?? null,
        ci_reliable: ci === null ? null : xs.length >= MIN_RELIABLE_CYCLES,
      };
    });
    const j = summary['j_per_output_token'];
    const jci = j && j.ci_low !== null && j.ci_high !== null ? { low: j.ci_low, high: j.ci_high, n: j.n } : null;
    return { ...base, metrics: summary, uncertainty: configUncertainty(docs, j?.mean ?? null, jci) };
  });
  return out.sort((a, b) => a.label.localeCompare(b.label, 'en', { numeric: true }) || a.config_hash.localeCompare(b.config_hash));
}

export function bootstrapSeed(seed: number, configHash: string, mask: string): number {
  return hashSeed(seed, `${configHash}|${mask}`);
}
