import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { ExperimentConfig } from '../config/experiment.js';

/**
 * The plan as frozen when a campaign is created (plan.json beside the manifest). Resume runs exactly this
 * plan, so editing the campaign file afterwards can never reshuffle or re-hash a campaign in flight.
 */
export const StoredPlan = z.object({
  campaign: z.looseObject({
    name: z.string(),
    retries: z.int().nonnegative().default(1),
    experiment_timeout_s: z.number().positive().default(3600),
    thermal_gap_s: z.number().nonnegative().default(0),
    force_cold_start: z.boolean().default(false),
  }),
  experiments: z.array(
    z.looseObject({
      id: z.string(),
      index: z.int().nonnegative(),
      cycle: z.int().nonnegative(),
      backend: z.string(),
      config_hash: z.string(),
      // Resolved configs were validated when planned; they are carried verbatim.
      config: z.record(z.string(), z.unknown()).transform((c) => c as unknown as ExperimentConfig),
      source: z.string().nullable().optional(),
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
    if (!parsed.success) return err(lemError(ErrorCode.STATE_CORRUPT, `${file} is not a valid plan: ${parsed.error.issues[0]?.message}`));
    return ok(parsed.data);
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `cannot read ${file}: ${(e as Error).message}`));
  }
}
