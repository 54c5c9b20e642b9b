import type { CollectedResult } from './collect.js';
import { HEADLINE_METRICS } from './metrics.js';
import { rowKey, summaryRowKey } from './rows.js';
import type { ConfigSummary } from './summary.js';

/**
 * What a reader must know before trusting a number: throttled runs, warmups that never converged, spread between
 * cycles above 10 %, simulated results, missing energy, and the validity checks MEASUREMENT.md cites (ML.ENERGY's
 * ≥ 75 % sampler coverage; windows under 10 s, where the power sensor's partial sampling carries real error).
 */
export type WarningKind =
  | 'throttled'
  | 'warmup_unconverged'
  | 'high_cv'
  | 'simulated'
  | 'energy_unavailable'
  | 'low_sampler_coverage'
  | 'short_window';

export interface ResultWarning {
  kind: WarningKind;
  campaign_id: string | null;
  config_hash: string;
  label: string;
  experiment_id: string | null;
  cycle: number | null;
  message: string;
}

export const HIGH_CV = 0.1;
export const MIN_SAMPLER_COVERAGE = 0.75;
export const MIN_WINDOW_S = 10;

export const WARNING_TITLES: Record<WarningKind, string> = {
  throttled: 'GPU clocks throttled during the measured window',
  warmup_unconverged: 'warmup did not converge',
  high_cv: `coefficient of variation across cycles above ${HIGH_CV * 100} %`,
  simulated: 'simulated results (no real GPU measurement)',
  energy_unavailable: 'energy not measured',
  low_sampler_coverage: `power sampler covered less than ${MIN_SAMPLER_COVERAGE * 100} % of the window`,
  short_window: `measured window shorter than ${MIN_WINDOW_S} s`,
};

export function collectWarnings(results: readonly CollectedResult[], summaries: readonly ConfigSummary[]): ResultWarning[] {
  const labels = new Map(summaries.map((s) => [summaryRowKey(s), s.label]));
  const out: ResultWarning[] = [];
  for (const { doc } of results) {
    const e = doc.experiment;
    const base = { campaign_id: e.campaign_id, config_hash: e.config_hash, label: labels.get(rowKey(doc)) ?? e.config_hash, experiment_id: e.experiment_id, cycle: e.cycle };
    if (doc.thermal.throttled) {
      const reasons = doc.thermal.active_reasons.join(', ') || 'reason not reported';
      const peak = doc.thermal.max_temp_c === null ? '' : `, max ${doc.thermal.max_temp_c} °C`;
      out.push({ ...base, kind: 'throttled', message: `throttled (${reasons}${peak})` });
    }
    if (!doc.warmup.converged) {
      const cv = doc.warmup.final_cv === null ? 'n/a' : `${(doc.warmup.final_cv * 100).toFixed(1)} %`;
      out.push({ ...base, kind: 'warmup_unconverged', message: `warmup stopped after ${doc.warmup.runs} runs with CV ${cv} (threshold ${(doc.warmup.cv_threshold * 100).toFixed(1)} %)` });
    }
    if (doc.simulated) {
      const energy = doc.serving?.energy.simulated ? "energy is the synthetic server's power model" : 'energy is not measured';
      out.push({ ...base, kind: 'simulated', message: `simulated engine: latency and throughput are synthetic; ${energy}` });
    }
    else if (!doc.energy.available) out.push({ ...base, kind: 'energy_unavailable', message: `energy unavailable: ${doc.energy.reason ?? 'no reason given'}` });
    if (!doc.simulated && doc.sampler.enabled && doc.sampler.coverage !== null && doc.sampler.coverage < MIN_SAMPLER_COVERAGE) {
      out.push({ ...base, kind: 'low_sampler_coverage', message: `sampler coverage ${(doc.sampler.coverage * 100).toFixed(0)} %` });
    }
    if (!doc.simulated && doc.energy.available && doc.timing.measured_s < MIN_WINDOW_S) {
      out.push({ ...base, kind: 'short_window', message: `measured window ${doc.timing.measured_s.toFixed(1)} s` });
    }
  }
  for (const s of summaries) {
    for (const m of HEADLINE_METRICS) {
      const cv = s.metrics[m.key]?.cv;
      if (cv !== null && cv !== undefined && cv > HIGH_CV) {
        out.push({
          kind: 'high_cv',
          campaign_id: s.campaign_ids.length === 1 ? s.campaign_ids[0]! : null,
          config_hash: s.config_hash,
          label: s.label,
          experiment_id: null,
          cycle: null,
          message: `${m.label} CV ${(cv * 100).toFixed(1)} % over ${s.metrics[m.key]!.n} cycles`,
        });
      }
    }
  }
  return out;
}

/** Warnings that say the same thing about the same configuration, shown once with the experiments they cover. */
export interface WarningGroup {
  warning: ResultWarning;
  count: number;
  experiments: string[];
}

export function groupWarnings(warnings: readonly ResultWarning[]): WarningGroup[] {
  const groups = new Map<string, WarningGroup>();
  for (const w of warnings) {
    const key = JSON.stringify([w.kind, w.config_hash, w.label, w.message]);
    const g = groups.get(key);
    const id = w.experiment_id;
    const where = id === null ? [] : [w.cycle === null ? id : `${id} (cycle ${w.cycle})`];
    if (g) {
      g.count++;
      g.experiments.push(...where);
    } else groups.set(key, { warning: w, count: 1, experiments: where });
  }
  return [...groups.values()];
}

