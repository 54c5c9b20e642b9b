import { z } from 'zod';

const gpuList = z.array(z.int().nonnegative());

/**
 * A result's placement (placement: pack), written by lem, never by the harness: the target (container) and GPU set
 * it ran on, and, once the run ends, what else was measuring on the node's other GPUs during its window
 * (src/placement/neighbours.ts): `ran` alone or packed, each neighbour with its overlap, and the neighbours' mean
 * GPU power over this window (null when unknown, e.g. simulated runs).
 */
export const PlacementBlock = z.strictObject({
  target: z.string(),
  gpus: gpuList,
  ran: z.enum(['alone', 'packed']).optional(),
  neighbours: z.array(z.strictObject({ experiment_id: z.string(), gpus: gpuList, overlap_s: z.number() })).optional(),
  neighbours_mean_power_w: z.number().nullable().optional(),
  /**
   * isolate_baseline: the experiment's engine load and idle baselines ran while no other experiment of the node
   * did any work: from `granted_at` (lem gave it the gate) to `done_at` (its baselines ended, the harness's clock);
   * it went on to warmup and measurement at `resumed_at`. Absent where baselines were not isolated.
   */
  isolated_baseline: z
    .strictObject({ granted_at: z.string(), done_at: z.string().nullable(), resumed_at: z.string().nullable() })
    .optional(),
});
