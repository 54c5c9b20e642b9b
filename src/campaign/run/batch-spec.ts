import type { ExperimentConfig } from '../../config/experiment.js';
import type { BatchSpec } from '../../contract/batch-spec.js';
import type { StoredExperiment } from '../stored-plan.js';

/** A batch's id: the manifest's sequence number when it was dispatched, and its first experiment. */
export function batchIdFor(seq: number, firstId: string): string {
  return `b${String(seq).padStart(6, '0')}-${firstId}`;
}

/**
 * The config as the harness must see it: a prompts file named by its host path is replaced by its path inside
 * the target; undefined when no mount exposes it there.
 */
export function targetConfig(
  e: StoredExperiment,
  pathFor: (hostPath: string) => string | undefined,
): ExperimentConfig | undefined {
  const config = e.config;
  const prompts = e.config.prompts;
  if (prompts.source !== 'file' || !prompts.file) return config;
  const inside = pathFor(prompts.file);
  return inside === undefined ? undefined : { ...config, prompts: { ...prompts, file: inside } };
}

export interface SpecItem {
  readonly experiment: StoredExperiment;
  readonly attempt: number;
  readonly pauseBeforeS: number;
  readonly config: ExperimentConfig;
}

export function buildBatchSpec(
  campaignId: string,
  batchId: string,
  resultsDir: string,
  items: readonly SpecItem[],
  baselineGate?: { readonly dir: string; readonly timeout_s: number },
): BatchSpec {
  return {
    schema_version: 1,
    campaign_id: campaignId,
    batch_id: batchId,
    results_dir: resultsDir,
    ...(baselineGate ? { baseline_gate: { ...baselineGate } } : {}),
    experiments: items.map(({ experiment: e, attempt, pauseBeforeS, config }) => ({
      experiment_id: e.id,
      config_hash: e.config_hash,
      cycle: e.cycle,
      index: e.index,
      attempt,
      pause_before_s: pauseBeforeS,
      config,
    })),
  };
}
