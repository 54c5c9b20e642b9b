import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { jobCost, runJobs, type BootstrapJob } from './bootstrap-jobs.js';
import type { Interval } from './stats.js';

/**
 * Runs bootstrap jobs on every core: the bootstrap is ~10^8 row draws for 500 configurations × 20 cycles ×
 * 10,000 resamples, the largest cost of an aggregation. Results are identical to running the jobs in order (each
 * job carries its own seed), so parallelism never changes a number. Small workloads stay on the main thread, where
 * starting a worker would cost more than it saves.
 */
const MIN_PARALLEL_COST = 20_000_000;
const MAX_WORKERS = 7;

export async function runJobsParallel(jobs: readonly BootstrapJob[], maxThreads = availableParallelism()): Promise<(Interval | null)[][]> {
  const total = jobs.reduce((s, j) => s + jobCost(j), 0);
  const workerUrl = new URL('./bootstrap-worker.js', import.meta.url);
  const threads = Math.min(maxThreads, MAX_WORKERS + 1);
  // The worker entry exists only as compiled JS (dist/); run from TypeScript sources (tests), stay in-thread.
  if (threads < 2 || total < MIN_PARALLEL_COST || !existsSync(fileURLToPath(workerUrl))) return runJobs(jobs);

  const shares = partition(jobs, threads);
  const [own, ...others] = shares;
  const pending = others.map((share) => runInWorker(workerUrl, share.map((i) => jobs[i]!)));
  // The main thread takes its share meanwhile instead of waiting idle.
  const ownResults = runJobs(own!.map((i) => jobs[i]!));
  const out = new Array<(Interval | null)[]>(jobs.length);
  own!.forEach((jobIndex, k) => (out[jobIndex] = ownResults[k]!));
  const settled = await Promise.all(pending);
  settled.forEach((results, w) => others[w]!.forEach((jobIndex, k) => (out[jobIndex] = results[k]!)));
  return out;
}

function runInWorker(url: URL, jobs: BootstrapJob[]): Promise<(Interval | null)[][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: jobs });
    worker.once('message', (m: (Interval | null)[][]) => resolve(m));
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
