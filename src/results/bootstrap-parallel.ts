import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { jobCost, runJobs, type BootstrapJob } from './bootstrap-jobs.js';
import type { Interval } from './stats.js';

/**
 * Runs bootstrap jobs on worker threads, one per core: the bootstrap is ~10^8 row draws for 500 configurations ×
 * 20 cycles × 10,000 resamples, the largest cost of an aggregation. The jobs start at once and the caller keeps the
 * main thread for its own work (writing experiments.csv) until it awaits the intervals; the OS shares the cores.
 * Results are identical to running the jobs in order (each job carries its own seed), so parallelism never changes
 * a number. Small workloads run on the main thread, where starting a worker would cost more than it saves.
 */
const MIN_PARALLEL_COST = 20_000_000;
const MAX_WORKERS = 8;

export interface ParallelOptions {
  /** Worker threads to use (default: the machine's available parallelism). */
  threads?: number;
  /** Below this many row draws in total, everything runs on the main thread. */
  minCost?: number;
}

export type Intervals = (Interval | null)[][];

export interface PendingJobs {
  wait(): Promise<Intervals>;
}

export function startJobs(jobs: readonly BootstrapJob[], opts: ParallelOptions = {}): PendingJobs {
  const total = jobs.reduce((s, j) => s + jobCost(j), 0);
  const workerUrl = new URL('./bootstrap-worker.js', import.meta.url);
  const threads = Math.min(opts.threads ?? availableParallelism(), MAX_WORKERS, jobs.length);
  // The worker entry exists only as compiled JS (dist/); run from TypeScript sources (tests), stay in-thread.
  if (threads < 2 || total < (opts.minCost ?? MIN_PARALLEL_COST) || !existsSync(fileURLToPath(workerUrl))) {
    return { wait: async () => runJobs(jobs) };
  }
  const shares = partition(jobs, threads);
  const pending = Promise.all(shares.map((share) => runInWorker(workerUrl, share.map((i) => jobs[i]!))));
  // Handled here so a failing worker is never an unhandled rejection while the caller is busy; wait() rethrows it.
  const settled = pending.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return {
    wait: async () => {
      const r = await settled;
      if (!r.ok) throw r.error;
      const out = new Array<(Interval | null)[]>(jobs.length);
      r.value.forEach((results, w) => shares[w]!.forEach((jobIndex, k) => (out[jobIndex] = results[k]!)));
      return out;
    },
  };
}

function runInWorker(url: URL, jobs: BootstrapJob[]): Promise<Intervals> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: jobs });
    worker.once('message', (m: Intervals) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`bootstrap worker exited with code ${code}`));
    });
  });
}

/** Greedy balance by cost (largest first onto the least loaded thread); returns job indices per thread. */
function partition(jobs: readonly BootstrapJob[], threads: number): number[][] {
  const order = jobs.map((j, i) => [jobCost(j), i] as const).sort((a, b) => b[0] - a[0]);
  const loads = new Array<number>(threads).fill(0);
  const shares: number[][] = Array.from({ length: threads }, () => []);
  for (const [cost, i] of order) {
    let min = 0;
    for (let t = 1; t < threads; t++) if (loads[t]! < loads[min]!) min = t;
    loads[min]! += cost;
    shares[min]!.push(i);
  }
  return shares;
}
