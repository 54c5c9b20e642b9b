import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { PlanCampaign, PlannedExperiment } from './plan.js';

const campaign = PlanCampaign.shape;
const experiment = PlannedExperiment.shape;

/**
 * The plan as frozen when a campaign is created (plan.json beside the manifest). Resume runs exactly this
 * plan, so editing the campaign file afterwards can never reshuffle or re-hash a campaign in flight.
 *
 * Plan (plan.ts) is the one description of a plan; this is how plan.json is read back: the fields a run needs,
 * each with its type from Plan, in loose objects so that every other field is carried verbatim (and plans written
 * by earlier versions, with fewer fields, still load). Resolved configs were validated when planned and are not
 * validated again on every resume.
 */
export const StoredPlan = z.object({
  campaign: z.looseObject({
    name: campaign.name,
    retries: campaign.retries,
    experiment_timeout_s: campaign.experiment_timeout_s,
    thermal_gap_s: campaign.thermal_gap_s,
    // Absent in Plan means "each experiment decides"; the runner needs a plain yes or no.
    force_cold_start: campaign.force_cold_start.unwrap().default(false),
    // Plans written before placement existed ran serially.
    placement: campaign.placement,
    gpu_ids: campaign.gpu_ids,
  }),
  experiments: z.array(
    z.looseObject({
      id: experiment.id,
      index: experiment.index,
      cycle: experiment.cycle,
      backend: experiment.backend,
      config_hash: experiment.config_hash,
      config: z.record(z.string(), z.unknown()).transform((c) => c as unknown as ExperimentConfig),
      source: experiment.source.unwrap().nullable().optional(),
    }),
  ),
});
export type StoredPlan = z.infer<typeof StoredPlan>;
export type StoredExperiment = StoredPlan['experiments'][number];

export const PLAN_FILE = 'plan.json';

export function savePlan(dir: string, plan: unknown): void {
  mustWrite(writeFileAtomic(join(dir, PLAN_FILE), JSON.stringify(plan, null, 2)));
}

export function loadPlan(dir: string): Result<StoredPlan> {
  const file = join(dir, PLAN_FILE);
  try {
    const parsed = StoredPlan.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      return err(lemError(ErrorCode.STATE_CORRUPT, `${file} is not a valid plan: ${parsed.error.issues[0]?.message}`));
    return ok(parsed.data);
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `cannot read ${file}: ${(e as Error).message}`));
  }
}
