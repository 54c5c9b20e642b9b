import { z } from 'zod';
import { Backend } from '../config/backends.js';
import { CampaignSettings } from '../config/campaign.js';
import { ExperimentConfig } from '../config/experiment.js';

/**
 * One run in a campaign plan. `id` is `<index>-c<cycle>-<backend>-<config_hash>`: unique in the campaign, the
 * same every time the same campaign file is planned, and safe as a file or directory name.
 */
export const PlannedExperiment = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** Position in the run order, from 0. */
  index: z.int().nonnegative(),
  /** Which repetition of the experiment set this run belongs to, from 1. */
  cycle: z.int().positive(),
  /** Position of this configuration in the campaign's experiment list (before cycles): the same across cycles. */
  config_index: z.int().nonnegative(),
  backend: Backend,
  /** Identity of the resolved config (see config/hash.ts): equal configs share it across cycles and campaigns. */
  config_hash: z.string().min(1),
  /** The fully resolved experiment config, every default filled in (parsing it again leaves it unchanged). */
  config: ExperimentConfig,
  /** The values `vary` gave this experiment, by dotted path (empty in mode 1). */
  varied: z.record(z.string(), z.unknown()),
  /** The experiment file (absolute path) it came from, in mode 1. */
  source: z.string().optional(),
});
export type PlannedExperiment = z.infer<typeof PlannedExperiment>;

/** The campaign's settings as the runner uses them (defaults filled in), plus what the plan adds. */
export const PlanCampaign = CampaignSettings.omit({ campaign_name: true }).extend({
  name: z.string().min(1),
  /** Absolute path of the campaign file. */
  file: z.string().min(1),
  mode: z.enum(['configs', 'grid']),
  /** Distinct experiments per cycle (the campaign's experiment list). */
  experiment_count: z.int().nonnegative(),
  /** Planned runs: experiment_count × cycles. */
  run_count: z.int().nonnegative(),
});
export type PlanCampaign = z.infer<typeof PlanCampaign>;

/** What `lem campaign plan --json` prints and the campaign runner consumes. */
export const Plan = z.strictObject({
  campaign: PlanCampaign,
  experiments: z.array(PlannedExperiment),
});
export type Plan = z.infer<typeof Plan>;
