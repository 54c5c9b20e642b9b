import { z } from 'zod';

/**
 * JSON-line events the harness prints on stdout, one object per line. Anything on stdout that is not a valid
 * event is a protocol error; the harness's diagnostics go to stderr.
 */
const base = { ts: z.number() };
const exp = { ...base, experiment_id: z.string() };

/** How far a serve load has got (lem's own load generator emits it; the harness never does). */
export const LoadProgress = z.strictObject({
  /** Measured requests finished (completed or failed); warm-up requests are not counted. */
  done: z.int().nonnegative(),
  /** The measured requests planned; null for a load bounded by duration only. */
  total: z.int().positive().nullable(),
  failed: z.int().nonnegative(),
  /** Seconds since the load (warm-up included) started. */
  elapsed_s: z.number().nonnegative(),
});
export type LoadProgress = z.infer<typeof LoadProgress>;

export const HarnessEvent = z.discriminatedUnion('event', [
  z.strictObject({
    event: z.literal('batch_started'),
    ...base,
    batch_id: z.string(),
    harness_version: z.string(),
    experiments: z.int().nonnegative(),
  }),
  z.strictObject({ event: z.literal('engine_loading'), ...exp }),
  z.strictObject({ event: z.literal('engine_loaded'), ...exp, load_s: z.number().nonnegative() }),
  z.strictObject({ event: z.literal('started'), ...exp }),
  z.strictObject({ event: z.literal('baseline'), ...exp, duration_s: z.number().nonnegative() }),
  z.strictObject({
    event: z.literal('warmup'),
    ...exp,
    run: z.int().positive(),
    max_runs: z.int().positive(),
    cv: z.number().nullable(),
  }),
  z.strictObject({ event: z.literal('measuring'), ...exp }),
  z.strictObject({ event: z.literal('load_progress'), ...exp, ...LoadProgress.shape }),
  z.strictObject({
    event: z.literal('finished'),
    ...exp,
    result_path: z.string(),
    duration_s: z.number().nonnegative(),
  }),
  z.strictObject({ event: z.literal('failed'), ...exp, reason: z.string() }),
  z.strictObject({
    event: z.literal('batch_finished'),
    ...base,
    batch_id: z.string(),
    completed: z.int().nonnegative(),
    failed: z.int().nonnegative(),
  }),
]);
export type HarnessEvent = z.infer<typeof HarnessEvent>;
