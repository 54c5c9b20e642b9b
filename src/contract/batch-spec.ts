import { z } from 'zod';
import { ExperimentFields } from '../config/experiment.js';

/**
 * What the orchestrator hands the harness for one `docker exec`: experiments that share one loaded engine,
 * in the order to run them. The harness owns no scheduling: pauses between experiments are decided here.
 */
export const BatchExperiment = z.strictObject({
  experiment_id: z.string().min(1),
  config_hash: z.string().min(1),
  cycle: z.int().nonnegative(),
  index: z.int().nonnegative(),
  attempt: z.int().positive(),
  /** Seconds to sleep before this experiment starts (thermal gap); 0 for the first of a campaign. */
  pause_before_s: z.number().nonnegative(),
  /**
   * The resolved experiment config (ExperimentConfig's output: every default filled in, the backend's own section
   * present). Exported as JSON Schema in output mode, where every field with a zod default is required: the
   * harness takes these values as they are and has no defaults of its own.
   */
  config: ExperimentFields,
});

export const BatchSpec = z.strictObject({
  schema_version: z.literal(1),
  campaign_id: z.string().min(1),
  batch_id: z.string().min(1),
  /** Directory inside the container under which <campaign>/<experiment>/ result folders are written. */
  results_dir: z.string().min(1),
  experiments: z.array(BatchExperiment).min(1),
  /**
   * isolate_baseline (placement: pack): the folder (inside the container) of the baseline gate and how long the
   * harness waits at it before failing the experiment. Before an experiment's engine load and baselines the
   * harness asks lem for the gate there, and it carries on only when lem says so (lem_harness/baseline_gate.py).
   */
  baseline_gate: z.strictObject({ dir: z.string().min(1), timeout_s: z.number().positive() }).optional(),
});
export type BatchSpec = z.infer<typeof BatchSpec>;
export type BatchExperiment = z.infer<typeof BatchExperiment>;
