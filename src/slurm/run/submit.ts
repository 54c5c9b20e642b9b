import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchIdFor, buildBatchSpec, targetConfig } from '../../campaign/run/batch-spec.js';
import type { StoredExperiment } from '../../campaign/stored-plan.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import { gpuNeed } from '../../placement/gpu-need.js';
import type { SharedPaths } from '../../project/project.js';
import { toContainerPath } from '../../runtime/container-paths.js';
import type { ServiceDefinition } from '../../runtime/compose-file.js';
import type { SlurmCommands } from '../commands.js';
import { jobScript, type JobBatch } from '../job-script.js';
import type { SlurmSection } from '../settings.js';
import { batchContainer } from './container-run.js';
import { recordSubmitted, type SubmittedBatch } from './job-records.js';

/** Slurm's default MaxArraySize is 1001 (task ids 0-1000): larger sets of batches go as several arrays. */
export const MAX_ARRAY_TASKS = 1000;

export interface SubmitContext {
  readonly slurm: SlurmCommands;
  readonly settings: SlurmSection;
  readonly paths: SharedPaths;
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  readonly projectName: string;
  readonly campaignId: string;
  /** Folder on the shared filesystem for job scripts, events and logs. */
  readonly outDir: string;
  readonly jobsFile: string;
  /** Pause before every experiment of a batch but its first (each job starts on a node of its own). */
  readonly thermalGapS: number;
}

interface Prepared {
  readonly batchId: string;
  readonly gpus: number;
  readonly job: JobBatch;
  readonly experiments: { id: string; attempts: number }[];
}

/**
 * Jobs for one round of batches: batches with the same GPU need go as one job array (when there are at least
 * `array_min_batches` of them), the rest as plain jobs. Each job is recorded durably as soon as sbatch gave its
 * id, before the next is submitted and before lem waits on any.
 */
export function groupForJobs<T extends { gpus: number }>(batches: readonly T[], s: SlurmSection): T[][] {
  const byGpus = new Map<number, T[]>();
  for (const b of batches) byGpus.set(b.gpus, [...(byGpus.get(b.gpus) ?? []), b]);
  const jobs: T[][] = [];
  for (const group of byGpus.values()) {
    if (group.length < s.array_min_batches) jobs.push(...group.map((b) => [b]));
    else for (let i = 0; i < group.length; i += MAX_ARRAY_TASKS) jobs.push(group.slice(i, i + MAX_ARRAY_TASKS));
  }
  return jobs;
}

export async function submitBatches(
  x: SubmitContext,
  batches: readonly (readonly StoredExperiment[])[],
  seq: number,
  attemptsOf: (id: string) => number,
): Promise<Result<SubmittedBatch[]>> {
  mkdirSync(x.outDir, { recursive: true });
  const prepared: Prepared[] = [];
  for (const batch of batches) {
    const p = prepare(x, batch, batchIdFor(seq, batch[0]!.id), attemptsOf);
    if (!p.ok) return p;
    prepared.push(p.value);
  }
  const out: SubmittedBatch[] = [];
  for (const group of groupForJobs(prepared, x.settings)) {
    const script = jobScript({
      campaignId: x.campaignId,
      gpus: group[0]!.gpus,
      settings: x.settings,
      outDir: x.outDir,
      batches: group.map((g) => g.job),
    });
    const path = join(x.outDir, `${group[0]!.batchId}.sbatch`);
    writeFileSync(path, script, { mode: 0o755 });
    const id = await x.slurm.submit(path);
    if (!id.ok) return id;
    const recs = group.map((g, i) => {
      const jobId = group.length > 1 ? `${id.value}_${i}` : id.value;
      return {
        batch_id: g.batchId,
        job_id: jobId,
        events: join(x.outDir, `${g.batchId}.${jobId}.events.jsonl`),
        log: join(x.outDir, `${g.batchId}.${jobId}.log`),
        experiments: g.experiments,
      };
    });
    const w = recordSubmitted(x.jobsFile, recs);
    if (!w.ok) return w;
    const at = new Date().toISOString();
    out.push(...recs.map((r) => ({ kind: 'submitted' as const, ...r, at })));
  }
  return ok(out);
}

/** Writes the batch's spec where its container reads it, and the container command that runs it. */
function prepare(
  x: SubmitContext,
  batch: readonly StoredExperiment[],
  batchId: string,
  attemptsOf: (id: string) => number,
): Result<Prepared> {
  const backend = batch[0]!.backend;
  const service = x.services.get(backend);
  if (!service) return err(lemError(ErrorCode.CONFIG_INVALID, `backend "${backend}" has no service in compose.yaml`));
  const inside = (p: string) => toContainerPath(service.binds, p);
  const items = [];
  for (const [i, e] of batch.entries()) {
    const config = targetConfig(e, inside);
    if (!config)
      return err(
        lemError(
          ErrorCode.CONFIG_INVALID,
          `prompts file ${e.config.prompts.file} of ${e.id} is not mounted into ${backend}`,
        ),
      );
    items.push({ experiment: e, attempt: attemptsOf(e.id) + 1, pauseBeforeS: i === 0 ? 0 : x.thermalGapS, config });
  }
  const hostSpec = join(x.paths.hostBatches, x.campaignId, `${batchId}.json`);
  const specPath = inside(hostSpec);
  if (specPath === undefined)
    return err(
      lemError(ErrorCode.CONFIG_INVALID, `the batch folder ${x.paths.hostBatches} is not mounted into ${backend}`),
    );
  const spec = buildBatchSpec(x.campaignId, batchId, x.paths.containerResults, items);
  // Not fsynced: the job that reads it is submitted after this write, and a spec lost to a crash of this machine
  // makes its job fail (and be retried), never run something else. A thousand fsyncs would dominate submission.
  const written = writeFileAtomic(hostSpec, JSON.stringify(spec, null, 2), { durable: false });
  if (!written.ok) return written;
  const run = batchContainer({ service, projectName: x.projectName, campaignId: x.campaignId, batchId, specPath });
  return ok({
    batchId,
    gpus: Math.max(...batch.map((e) => gpuNeed(e.config).count)),
    job: { batchId, run },
    experiments: batch.map((e) => ({ id: e.id, attempts: attemptsOf(e.id) })),
  });
}
