import { groupIntoBatches } from '../campaign/batching.js';
import type { Plan } from '../campaign/plan.js';
import { gpuNeed } from './gpu-need.js';
import { simulatePlacement } from './simulate.js';
import { splitByNeed } from './split.js';

/** One batch of a simulated pack run: where and when (in units of one experiment's duration) it would run. */
export interface PlannedBatch {
  readonly batch: number;
  readonly backend: string;
  readonly gpus: number[];
  readonly start: number;
  readonly end: number;
  /** Its experiments' ids, in run order. */
  readonly experiments: string[];
}

/** What `lem campaign plan` shows for `placement: pack`: the simulated placement on the GPUs lem may use. */
export interface PlanPlacement {
  readonly gpus: readonly number[];
  /** Batches in the order they would start (ties in campaign order). */
  readonly batches: PlannedBatch[];
  /** When the last batch would end, in experiment durations. */
  readonly makespan: number;
  /** The same experiments one after another (placement: serial): one unit each. */
  readonly serial: number;
  /** serial / makespan: how many experiments would run at once on average. */
  readonly parallelism: number;
}

/**
 * Places the plan's batches as a pack run would (the same batching and GpuScheduler), on a virtual clock where
 * every experiment takes one unit of time: the real durations are unknown before the run, so starts and the
 * parallelism are what equal durations would give, and the GPU sets and order are what the scheduler decides.
 */
export function simulatePlanPlacement(plan: Plan, gpus: readonly number[]): PlanPlacement {
  const grouped = groupIntoBatches(plan.experiments, { forceColdStart: plan.campaign.force_cold_start ?? false });
  const batches = splitByNeed(grouped);
  const requests = batches.map((b, i) => ({ key: String(i), backend: b[0]!.backend, ...gpuNeed(b[0]!.config) }));
  const sim = simulatePlacement(gpus, requests, (key) => batches[Number(key)]!.length);
  const placed = sim.starts
    .map((s) => ({
      batch: Number(s.key),
      backend: s.backend,
      gpus: [...s.gpus],
      start: s.start,
      end: s.end,
      experiments: batches[Number(s.key)]!.map((e) => e.id),
    }))
    .sort((a, b) => a.start - b.start || a.batch - b.batch);
  const serial = plan.experiments.length;
  const parallelism = sim.makespan > 0 ? serial / sim.makespan : 0;
  return { gpus: [...gpus], batches: placed, makespan: sim.makespan, serial, parallelism };
}
