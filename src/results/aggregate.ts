import type { Collection } from './collect.js';
import { toCsv, type Cell } from './csv.js';
import { experimentsTable } from './experiments-table.js';
import { layerSummaries, type LayerSummary } from './layers.js';
import { HEADLINE_METRICS } from './metrics.js';
import { startSummaries, type ConfigSummary, type SummaryOptions } from './summary.js';
import type { InvalidResult } from './validity.js';
import { collectWarnings, type ResultWarning } from './warnings.js';

/** Everything `lem results aggregate` derives from a collection, without I/O, so tests need no files to check it. */
export interface Aggregation {
  campaigns: string[];
  summaries: ConfigSummary[];
  warnings: ResultWarning[];
  experimentsCsv: string;
  summaryCsv: string;
  summaryJson: SummaryJson;
}

export interface SummaryJson {
  schema: 'lem-summary/1';
  generated_at: string;
  campaigns: string[];
  sources: string[];
  experiments: number;
  bootstrap: { method: 'percentile'; level: number; resamples: number; seed: number; unit: 'cycle (latest valid attempt)' };
  definitions: Record<string, string>;
  metrics: { key: string; label: string; unit: string; better: 'lower' | 'higher' }[];
  configs: ConfigSummary[];
  /** Energy by layer (GPU, CPU, DRAM, node, rest of node) per row of configs; missing layers say why. */
  layers: LayerSummary[];
  warnings: ResultWarning[];
  skipped: { path: string; reason: string }[];
  superseded: string[];
  /** Results that failed a validity check, with reasons; left out of the statistics unless include_invalid. */
  invalid: InvalidResult[];
  include_invalid: boolean;
  /** Results (schema v3) whose validity was never assessed; they are in the statistics. */
  validity_not_assessed: number;
}

/** Results set aside by their validity (validity.ts), for the summary to list. */
export interface ValidityNote {
  invalid: InvalidResult[];
  includeInvalid: boolean;
  notAssessed: number;
}

export const DEFINITIONS: Record<string, string> = {
  std: 'sample standard deviation (n - 1 denominator), null when n < 2',
  cv: 'std / |mean|, a fraction (0.1 = 10 %)',
  ci:
    'bootstrap percentile interval of the mean over cycles; null when n < 2;' +
    ' ci_reliable false when n < 3 (with 2 cycles it is just [min, max])',
  uncertainty:
    'J/output token budget: per-result sensor, counter and gap components (averaged) and the cycle spread' +
    ' (CI half-width / mean), combined as a root sum of squares; docs/metrics.md',
  n: 'cycles with a value for this metric (null metrics, e.g. energy of simulated runs, are not counted)',
  j_per_output_token: 'gross GPU energy over the measured window (NVML counter delta, all GPUs) / output tokens',
  adjusted_j_per_output_token: '(gross energy - idle baseline power x window) / output tokens',
  ttft: 'request sent to first token received',
  e2e: 'client-side request latency',
  layers:
    'energy over the measured window by layer: gpu (NVML in the harness), cpu (RAPL packages), dram, node (a PDU or' +
    ' wall meter), rest_of_node = node - measured components; mean over the cycles that have a figure (docs/meters.md)',
};

const NO_VALIDITY_NOTE: ValidityNote = { invalid: [], includeInvalid: false, notAssessed: 0 };

export async function aggregate(
  collection: Collection,
  opts: SummaryOptions,
  now = new Date(),
  validity: ValidityNote = NO_VALIDITY_NOTE,
): Promise<Aggregation> {
  const results = collection.results;
  const pending = startSummaries(results, opts);
  // experiments.csv needs no statistics: built here while the bootstrap runs on the worker threads.
  const table = experimentsTable(results);
  const experimentsCsv = toCsv(table.header, table.rows);
  const summaries = await pending.wait();
  const warnings = collectWarnings(results, summaries);
  const campaigns = [...new Set(results.map((r) => r.doc.experiment.campaign_id))].sort();
  return {
    campaigns,
    summaries,
    warnings,
    experimentsCsv,
    summaryCsv: summaryCsv(summaries),
    summaryJson: {
      schema: 'lem-summary/1',
      generated_at: now.toISOString(),
      campaigns,
      sources: collection.sources,
      experiments: results.length,
      bootstrap: { method: 'percentile', level: opts.level, resamples: opts.resamples, seed: opts.seed, unit: 'cycle (latest valid attempt)' },
      definitions: DEFINITIONS,
      metrics: HEADLINE_METRICS.map(({ key, label, unit, better }) => ({ key, label, unit, better })),
      configs: summaries,
      layers: layerSummaries(results),
      warnings,
      skipped: collection.skipped,
      superseded: collection.superseded.map((r) => r.path),
      invalid: validity.invalid,
      include_invalid: validity.includeInvalid,
      validity_not_assessed: validity.notAssessed,
    },
  };
}

const STAT_FIELDS = ['n', 'mean', 'std', 'cv', 'ci_low', 'ci_high', 'ci_reliable'] as const;

export function summaryCsv(summaries: readonly ConfigSummary[]): string {
  const params = [...new Set(summaries.flatMap((s) => Object.keys(s.params)))].sort();
  const header = [
    'config_hash',
    'label',
    'campaigns',
    'backend',
    'model',
    'precision',
    'quantization',
    'batch_size',
    ...params.map((p) => `param.${p}`),
    'experiments',
    'simulated',
    'energy_available',
    'throttled',
    'warmup_unconverged',
    'invalid',
    ...HEADLINE_METRICS.flatMap((m) => STAT_FIELDS.map((f) => `${m.key}_${f}`)),
    'j_per_output_token_uncertainty_rel',
    'j_per_output_token_uncertainty_low',
    'j_per_output_token_uncertainty_high',
  ];
  const rows = summaries.map((s): Cell[] => [
    s.config_hash,
    s.label,
    s.campaign_ids.join(';'),
    s.backend,
    s.model,
    s.precision,
    s.quantization,
    s.batch_size,
    ...params.map((p) => s.params[p] ?? null),
    s.experiments,
    s.simulated,
    s.energy_available,
    s.throttled,
    s.warmup_unconverged,
    s.invalid,
    ...HEADLINE_METRICS.flatMap((m) => STAT_FIELDS.map((f) => s.metrics[m.key]?.[f] ?? null)),
    s.uncertainty?.combined_relative ?? null,
    s.uncertainty?.low ?? null,
    s.uncertainty?.high ?? null,
  ]);
  return toCsv(header, rows);
}
