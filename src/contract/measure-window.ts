import { z } from 'zod';

/**
 * The measured window: its target length (min_measure_s), whole passes over the prompts, and when it ran on the
 * harness's wall clock (epoch seconds; end = start + measured_s), where host meters cut their samples. Optional:
 * older results lack the times and read as before, so no version bump.
 */
export const MeasureWindow = z.strictObject({
  target_s: z.number().nullable(),
  passes: z.int().nonnegative().nullable(),
  start_unix_s: z.number().optional(),
  end_unix_s: z.number().optional(),
});
