import { parentPort, workerData } from 'node:worker_threads';
import { runJobs, type BootstrapJob } from './bootstrap-jobs.js';

// Entry of a bootstrap worker thread: computes its share of jobs (handed over as workerData) and posts the intervals.
const jobs = workerData as BootstrapJob[];
parentPort?.postMessage(runJobs(jobs));
