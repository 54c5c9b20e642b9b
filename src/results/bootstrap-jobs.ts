import { bootstrapMeanCIs, type Interval } from './stats.js';

/** One joint bootstrap: equal-length columns (one configuration's metrics with the same cycles present). */
export interface BootstrapJob {
  columns: Float64Array[];
  seed: number;
  resamples: number;
  level: number;
}

export function runJob(job: BootstrapJob): (Interval | null)[] {
  return bootstrapMeanCIs(job.columns, { resamples: job.resamples, seed: job.seed, level: job.level });
}

export function runJobs(jobs: readonly BootstrapJob[]): (Interval | null)[][] {
  return jobs.map(runJob);
}

/** Cost in kernel row draws: rows × resamples × 8-column blocks (see resampleBlock). */
export function jobCost(job: BootstrapJob): number {
  const n = job.columns[0]?.length ?? 0;
  return n < 2 ? 0 : n * job.resamples * Math.ceil(job.columns.length / 8);
}
